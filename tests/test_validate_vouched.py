"""A full check of a bag whose digests the caller took from the bytes it wrote (``vouched``,
``package`` checking its staged bag, issue 16): each file is re-read and hashed with one strong
algorithm; the manifests are still compared with every digest."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bagsmith import fixity
from bagsmith.bagit import reader as bag_reader
from bagsmith.bagit.validate import Mode, validate_bag, vouching_algorithm

from .validate_helpers import write_bag

PAYLOAD = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(256)) * 40, "c.txt": b"gamma"}
ALGORITHMS = ("sha256", "sha512")


def _vouched(payload: dict[str, bytes], algorithms: Sequence[str]) -> dict[str, dict[str, str]]:
    return {
        f"data/{rel}": {a: hashlib.new(a, data).hexdigest() for a in algorithms}
        for rel, data in payload.items()
    }


@pytest.fixture
def hashed_with(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The algorithms each file was hashed with, one entry a file (the bags here have no
    tag manifests: only payload files are hashed)."""
    calls: list[tuple[str, ...]] = []
    real = fixity.digest_file

    def spy(path: Any, algorithms: Sequence[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(tuple(sorted(algorithms)))
        return real(path, algorithms, *args, **kwargs)

    monkeypatch.setattr(fixity, "digest_file", spy)
    return calls


def _codes(result: Any) -> list[tuple[str, str | None]]:
    return sorted((p.code, p.path) for p in result.report)


@pytest.mark.parametrize(
    ("algorithms", "chosen"),
    [
        (("sha256", "sha512"), "sha256"),
        (("sha512", "md5"), "sha512"),
        (("md5", "sha1"), None),  # neither proves the bytes are the same: all hashed
        (("sha512",), None),  # one algorithm: nothing to spare
    ],
)
def test_vouching_algorithm(algorithms: tuple[str, ...], chosen: str | None) -> None:
    assert vouching_algorithm(algorithms) == chosen


def test_files_vouched_for_are_hashed_once(
    tmp_path: Path, hashed_with: list[tuple[str, ...]]
) -> None:
    bag = write_bag(tmp_path / "bag", PAYLOAD, algorithms=ALGORITHMS, tag_manifests=False)
    result = validate_bag(bag, mode=Mode.FULL, vouched=_vouched(PAYLOAD, ALGORITHMS))
    assert result.report.valid, _codes(result)
    assert result.payload_files == 3
    assert hashed_with == [("sha256",)] * 3
    hashed_with.clear()
    assert validate_bag(bag, mode=Mode.FULL).report.valid  # without: every algorithm
    assert hashed_with == [ALGORITHMS] * 3


def test_a_wrong_line_in_the_other_manifest_is_still_found(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", PAYLOAD, algorithms=ALGORITHMS, tag_manifests=False)
    manifest = bag / "manifest-sha512.txt"
    lines = manifest.read_text().splitlines(keepends=True)
    wrong = next(i for i, line in enumerate(lines) if line.endswith("data/a.txt\n"))
    lines[wrong] = "0" * 128 + "  data/a.txt\n"
    manifest.write_text("".join(lines))
    result = validate_bag(bag, mode=Mode.FULL, vouched=_vouched(PAYLOAD, ALGORITHMS))
    mismatches = [p for p in result.report if p.code == "payload-digest-mismatch"]
    assert [(p.path, p.message.split()[0]) for p in mismatches] == [("data/a.txt", "sha512")]
    assert hashlib.sha512(PAYLOAD["a.txt"]).hexdigest() in mismatches[0].message


def test_a_file_changed_since_it_was_vouched_for_is_hashed_with_every_algorithm(
    tmp_path: Path, hashed_with: list[tuple[str, ...]]
) -> None:
    bag = write_bag(tmp_path / "bag", PAYLOAD, algorithms=ALGORITHMS, tag_manifests=False)
    (bag / "data" / "c.txt").write_bytes(b"GAMMA")  # not the bytes vouched for
    result = validate_bag(bag, mode=Mode.FULL, vouched=_vouched(PAYLOAD, ALGORITHMS))
    mismatches = sorted(
        (p.path, p.message) for p in result.report if p.code == "payload-digest-mismatch"
    )
    assert [(path, message.split()[0]) for path, message in mismatches] == [
        ("data/c.txt", "sha256"),
        ("data/c.txt", "sha512"),
    ]
    # the digests found are those of the bytes in the bag, for both algorithms
    assert hashlib.sha512(b"GAMMA").hexdigest() in mismatches[1][1]
    assert hashlib.sha256(b"GAMMA").hexdigest() in mismatches[0][1]
    assert sorted(hashed_with).count(ALGORITHMS) == 1  # that file again, with both


def test_files_not_vouched_for_are_hashed_with_every_algorithm(
    tmp_path: Path, hashed_with: list[tuple[str, ...]]
) -> None:
    bag = write_bag(tmp_path / "bag", PAYLOAD, algorithms=ALGORITHMS, tag_manifests=False)
    manifest = bag / "manifest-sha512.txt"
    text = manifest.read_text()
    good = hashlib.sha512(PAYLOAD["c.txt"]).hexdigest()
    manifest.write_text(text.replace(good, "f" * 128))
    vouched = _vouched(PAYLOAD, ALGORITHMS)
    del vouched["data/c.txt"]
    vouched["data/a.txt"] = {"sha256": vouched["data/a.txt"]["sha256"]}  # one algorithm only
    result = validate_bag(bag, mode=Mode.FULL, vouched=vouched)
    assert _codes(result) == [("payload-digest-mismatch", "data/c.txt")]
    assert hashed_with.count(ALGORITHMS) == 2  # a.txt and c.txt with both


def test_many_processes_take_the_vouched_digests_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, ...]] = []
    real = bag_reader.FolderReader.digest

    def spy(self: Any, entries: Any, algorithms: tuple[str, ...], **kwargs: Any) -> Any:
        asked.append(tuple(sorted(algorithms)))
        return real(self, entries, algorithms, **kwargs)

    monkeypatch.setattr(bag_reader.FolderReader, "digest", spy)
    payload = {**PAYLOAD, "d.txt": b"delta"}
    bag = write_bag(tmp_path / "bag", payload, algorithms=ALGORITHMS, tag_manifests=False)
    vouched = _vouched(payload, ALGORITHMS)
    vouched["data/d.txt"]["sha256"] = "0" * 64  # vouched for other bytes: hashed again
    result = validate_bag(bag, mode=Mode.FULL, processes=2, vouched=vouched)
    assert result.report.valid, _codes(result)
    assert asked == [("sha256",), ALGORITHMS]


def test_package_refuses_a_staged_file_changed_after_it_was_copied(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staged check still reads the bytes in the bag: one changed between the copy (where
    its digests were taken) and the check fails the package, and nothing is written."""
    from bagsmith.errors import BagError
    from bagsmith.pipeline import package_steps
    from bagsmith.pipeline.packaging import PackageOptions, package_article

    from .test_package_support import INFO, make_example

    example = make_example(tmp_path / "src")
    real = package_steps.validate_staged

    def tampered(root: Path, **kwargs: Any) -> Any:
        image = sorted((root / "data" / "images").iterdir())[0]
        data = bytearray(image.read_bytes())
        data[len(data) // 2] ^= 0xFF
        image.write_bytes(bytes(data))
        return real(root, **kwargs)

    monkeypatch.setattr(package_steps, "validate_staged", tampered)
    dest = tmp_path / "out" / "bag"
    options = PackageOptions(images=example / "article", info=INFO, processes=1)
    with pytest.raises(BagError) as caught:
        package_article(example / "article" / "article.txt", dest, options)
    found = {(p.code, p.message.split()[0]) for p in caught.value.problems}
    assert {("payload-digest-mismatch", "sha256"), ("payload-digest-mismatch", "sha512")} <= found
    assert not dest.exists()
