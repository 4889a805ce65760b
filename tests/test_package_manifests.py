"""`package` writes each payload manifest once: the digests taken while copying stay in memory,
the generated metadata files are added, and the manifests are written at the end (never
written, read back and rewritten)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import bagit
import pytest

from bagsmith.bagit import writer
from bagsmith.bagit.payload import PayloadPolicy, scan_sources
from bagsmith.pipeline.packaging import PackageOptions, package_article
from tests.test_package_support import INFO, make_example


def test_copy_payload_can_keep_the_digests_and_write_no_manifest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha\n")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 9)
    plan = scan_sources([src], PayloadPolicy())
    root = tmp_path / "stage"
    root.mkdir()
    digests: writer.Digests = {}
    totals = writer.copy_payload(root, plan, ("sha256", "md5"), digests=digests)
    assert sorted(p.name for p in root.iterdir()) == ["data"]  # no manifest yet
    assert (totals.files, totals.bytes) == (2, 6 + 256 * 9)
    for rel, by_alg in digests.items():
        data = (root / rel).read_bytes()
        assert by_alg == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "md5": hashlib.md5(data).hexdigest(),
        }
    writer.write_manifests(root, ("sha256", "md5"), digests)
    lines = (root / "manifest-sha256.txt").read_text().splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == sorted(digests)


def test_package_writes_each_manifest_once(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = make_example(tmp_path / "src")
    written: list[str] = []
    real = writer.write_text

    def spy(path: Path, text: str, encoding: str = "utf-8") -> None:
        written.append(path.name)
        real(path, text, encoding)

    monkeypatch.setattr(writer, "write_text", spy)
    result = package_article(
        example / "article" / "article.txt",
        tmp_path / "bag",
        PackageOptions(images=example / "article", info=INFO, algorithms=("sha256", "sha512")),
    )
    manifests = [name for name in written if name.startswith("manifest-")]
    assert sorted(manifests) == ["manifest-sha256.txt", "manifest-sha512.txt"]  # once each
    bag = bagit.Bag(result.path)
    bag.validate()  # the oracle: every file listed once, with its right digests
    assert sorted(bag.payload_files()) == sorted(
        p.relative_to(result.path).as_posix()
        for p in Path(result.path, "data").rglob("*")
        if p.is_file()
    )
    assert result.payload_oxum == bag.info["Payload-Oxum"]
