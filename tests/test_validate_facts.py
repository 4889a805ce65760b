"""`read_bag_facts`: the structured summary other parts (profiles) build on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bagsmith.bagit.facts import read_bag_facts
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
    assert sorted(facts.payload_files()) == [("data/a.txt", 5), ("data/sub/b.txt", 6)]
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
    assert sorted(facts.payload_files()) == [("data/a.txt", 5), ("data/sub/b.txt", 6)]


def test_facts_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_bag_facts(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError):
        read_bag_facts(tmp_path / "empty")
