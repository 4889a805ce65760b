"""Serialised bags: naming, one top folder, deterministic bytes, atomic writing."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
import zipfile
from pathlib import Path

import bagit
import pytest

from bagsmith.bagit import archive as archive_mod
from bagsmith.bagit.serialize import ArchiveFormat, archive_names
from bagsmith.bagit.validate import Mode, validate_bag
from bagsmith.errors import DestinationError
from bagsmith.pipeline.bagging import BagOptions, create_bag


def make_source(root: Path) -> Path:
    src = root / "src"
    (src / "photos").mkdir(parents=True)
    (src / "photos" / "01.jpg").write_bytes(os.urandom(50_000))
    (src / "Győr notes.txt").write_text("notes\n", encoding="utf-8")
    (src / "a.txt").write_text("a\n")
    return src


def test_archive_names() -> None:
    assert archive_names(Path("out/x"), ArchiveFormat.ZIP) == (Path("out/x.zip"), "x")
    assert archive_names(Path("out/x.zip"), ArchiveFormat.ZIP) == (Path("out/x.zip"), "x")
    assert archive_names(Path("x.tar.gz"), ArchiveFormat.TGZ) == (Path("x.tar.gz"), "x")
    assert archive_names(Path("x.tgz"), ArchiveFormat.TGZ) == (Path("x.tgz"), "x")
    assert archive_names(Path("x.zip"), ArchiveFormat.TAR) == (Path("x.zip.tar"), "x.zip")


@pytest.mark.parametrize("fmt", list(ArchiveFormat))
def test_serialised_bag_is_deterministic(
    fmt: ArchiveFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_source(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    os.utime(src / "a.txt", (1800000000, 1800000000))  # newer than the epoch: clamped
    a = create_bag([src], tmp_path / "one" / "bag", BagOptions(serialize=fmt))
    b = create_bag([src], tmp_path / "two" / "bag", BagOptions(serialize=fmt, processes=1))
    assert a.serialized == str(tmp_path / "one" / f"bag.{'tgz' if fmt == 'tgz' else fmt.value}")
    pa, pb = Path(a.path), Path(b.path)
    assert pa.read_bytes() == pb.read_bytes()
    # nothing else is left beside the archive: no staging folder, no bag folder
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [pa.name]
    extract = tmp_path / "x"
    names = _extract(pa, fmt, extract)
    assert names[0] == "bag" and all(n == "bag" or n.startswith("bag/") for n in names)
    tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    tags += ["tagmanifest-sha256.txt", "tagmanifest-sha512.txt"]
    payload = ["data", "data/Győr notes.txt", "data/a.txt", "data/photos", "data/photos/01.jpg"]
    assert names == ["bag"] + [f"bag/{n}" for n in tags + payload]  # tag files before data/
    bagit.Bag(str(extract / "bag")).validate()
    assert (extract / "bag" / "data" / "photos" / "01.jpg").read_bytes() == (
        src / "photos" / "01.jpg"
    ).read_bytes()


def _extract(path: Path, fmt: ArchiveFormat, target: Path) -> list[str]:
    if fmt is ArchiveFormat.ZIP:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            for info in infos:
                assert info.date_time <= (2023, 11, 14, 22, 13, 20)
                assert info.external_attr >> 16 in (0o100644, 0o40755)
            zf.extractall(target)
            return [i.filename.rstrip("/") for i in infos]
    if fmt is ArchiveFormat.TGZ:
        raw = path.read_bytes()
        assert raw[4:8] == b"\0\0\0\0"  # gzip header time
        assert gzip.decompress(raw)
    with tarfile.open(path) as tf:
        members = tf.getmembers()
        for m in members:
            assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "", "")
            assert m.mtime <= 1700000000
            assert m.mode in (0o644, 0o755)
            assert m.isfile() or m.isdir()
        tf.extractall(target, filter="data")
        return [m.name for m in members]


@pytest.mark.parametrize("fmt", [ArchiveFormat.TAR, ArchiveFormat.TGZ])
def test_tar_made_by_bagsmith_validates_in_one_pass(
    fmt: ArchiveFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_source(tmp_path)
    result = create_bag([src], tmp_path / "bag", BagOptions(serialize=fmt))
    passes: list[int] = []
    original = archive_mod.Archive._tar_members

    def counting(self: archive_mod.Archive):  # type: ignore[no-untyped-def]
        passes.append(1)
        return original(self)

    monkeypatch.setattr(archive_mod.Archive, "_tar_members", counting)
    checked = validate_bag(result.path, mode=Mode.FULL, processes=1)
    assert checked.valid, [str(p) for p in checked.report]
    assert checked.payload_files == 3
    assert len(passes) == 1  # manifests came first: payload hashed during the scan


def test_member_times_are_file_times_without_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    src = make_source(tmp_path)
    os.utime(src / "a.txt", (1500000000, 1500000000))
    result = create_bag([src], tmp_path / "bag", BagOptions(serialize=ArchiveFormat.TAR))
    with tarfile.open(result.path) as tf:
        assert tf.getmember("bag/data/a.txt").mtime == 1500000000
        data = tf.extractfile("bag/manifest-sha256.txt")
        assert data is not None
        lines = data.read().decode().splitlines()
    digest = hashlib.sha256((src / "a.txt").read_bytes()).hexdigest()
    assert f"{digest}  data/a.txt" in lines


def test_existing_archive_is_refused(tmp_path: Path) -> None:
    src = make_source(tmp_path)
    (tmp_path / "bag.zip").write_bytes(b"not mine to replace")
    with pytest.raises(DestinationError, match="exists"):
        create_bag([src], tmp_path / "bag", BagOptions(serialize=ArchiveFormat.ZIP))
    assert (tmp_path / "bag.zip").read_bytes() == b"not mine to replace"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bag.zip", "src"]


def test_cli_serialize(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bagsmith.cli.bag_cmd import bag

    src = make_source(tmp_path)
    res = CliRunner().invoke(bag, [str(src), "-o", str(tmp_path / "out.tgz"), "--serialize", "tgz"])
    assert res.exit_code == 0, res.output
    assert "serialised" in res.stdout
    with tarfile.open(tmp_path / "out.tgz") as tf:
        assert tf.getnames()[0] == "out"
