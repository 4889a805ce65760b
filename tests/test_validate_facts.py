"""`read_bag_facts`: the structured summary other parts (profiles) build on."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bagsmith.bagit.facts import read_bag_facts
from bagsmith.bagit.validate import Mode, validate_bag
from bagsmith.errors import BagError, InputError
from tests.validate_helpers import tar_tree, write_bag, zip_tree

PAYLOAD = {"a.txt": b"alpha", "sub/b.txt": b"bravo!"}


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    return write_bag(
        tmp_path / "bag",
        PAYLOAD,
        algorithms=("sha256", "md5"),
        info=[("Contact-Name", "One"), ("Contact-Name", "Two"), ("Source-Organization", "Org")],
        extra_tags={"fetch.txt": b"", "meta/extra.xml": b"<x/>"},
    )


def test_facts_of_a_folder(bag: Path) -> None:
    facts = read_bag_facts(bag)
    assert facts.bagit_version == "1.0" and facts.tag_encoding == "UTF-8"
    assert not facts.serialized and facts.serialization is None
    assert facts.info_values("contact-name") == ["One", "Two"]
    assert facts.bag_info[0] == ("Contact-Name", "One")
    assert facts.payload_algorithms == ("md5", "sha256")
    assert facts.tag_algorithms == ("md5", "sha256")
    assert "meta/extra.xml" in facts.tag_files and "bag-info.txt" in facts.tag_files
    assert facts.has_fetch
    assert facts.payload_files == ("data/a.txt", "data/sub/b.txt") and facts.payload_octets == 11
    assert facts.info_lines[:3] == (1, 2, 3) and facts.bag_info_name == "bag-info.txt"
    assert [p.code for p in facts.problems] == ["bag-info-repeated-tag"]


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_facts_of_an_archive(bag: Path, tmp_path: Path, fmt: str) -> None:
    path = (
        zip_tree(bag, tmp_path / "b.zip")
        if fmt == "zip"
        else tar_tree(bag, tmp_path / "b.tgz", mode="w:gz")
    )
    facts = read_bag_facts(path)
    assert facts.serialized and facts.serialization == fmt
    assert facts.info_values("Source-Organization") == ["Org"]
    assert facts.payload_files == ("data/a.txt", "data/sub/b.txt") and facts.payload_octets == 11


def test_facts_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_bag_facts(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError):
        read_bag_facts(tmp_path / "empty")


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("fmt", ["folder", "zip", "tgz"])
def test_the_validator_gathers_the_same_facts_in_its_one_pass(
    bag: Path, tmp_path: Path, fmt: str, mode: Mode
) -> None:
    """One facts type, two producers: read_bag_facts and the validator's by-product agree."""
    (bag / "fetch.txt").write_text("https://example.org/c 3 data/c.txt\n", encoding="utf-8")
    path = bag
    if fmt == "zip":
        path = zip_tree(bag, tmp_path / "b.zip")
    elif fmt == "tgz":
        path = tar_tree(bag, tmp_path / "b.tgz", mode="w:gz")
    alone = read_bag_facts(path)
    result = validate_bag(path, mode=mode, processes=1, facts=True)
    assert result.facts is not None
    assert result.facts == alone.__class__(**{**alone.__dict__, "problems": ()})
    assert result.facts.fetch_paths == ("data/c.txt",)
    digests = result.facts.manifest_digests
    assert digests is not None and set(digests) == {"data/a.txt", "data/sub/b.txt"}
    assert digests["data/a.txt"]["md5"] == hashlib.md5(b"alpha").hexdigest()
    assert set(digests["data/a.txt"]) == {"md5", "sha256"}
    # asked for nothing, the validator keeps nothing; asked by a function, it decides late
    assert validate_bag(path, mode=mode, processes=1).facts is None
    seen: list[tuple[tuple[str, str, int], ...]] = []

    def want(info: Sequence[tuple[str, str, int]], is_file: Callable[[str], bool]) -> bool:
        seen.append(tuple(info))
        assert is_file("data/a.txt") and not is_file("data/none.txt")
        return False

    assert validate_bag(path, mode=mode, processes=1, facts=want).facts is None
    assert seen and seen[0][0] == ("Contact-Name", "One", 1)
