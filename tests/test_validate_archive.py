"""Validating serialised bags by streaming zip/tar/tgz, never extracting anything."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import bagit
import pytest

from bagsmith.bagit import archive as archive_mod
from bagsmith.bagit.reader import ArchiveReader
from bagsmith.bagit.validate import Mode, validate_bag
from tests.validate_helpers import (
    add_tar_member,
    errors,
    tar_tree,
    tree_fingerprint,
    write_bag,
    zip_tree,
)

PAYLOAD = {"a.txt": b"alpha\n", "sub/b.txt": b"bravo\n" * 100, "sp ace.txt": b"s"}
FORMATS = {"zip": ".zip", "tar": ".tar", "tgz": ".tar.gz"}


def serialise(bag: Path, fmt: str, dest: Path, **kw: object) -> Path:
    if fmt == "zip":
        return zip_tree(bag, dest.with_suffix(".zip"), **kw)  # type: ignore[arg-type]
    mode = "w:gz" if fmt == "tgz" else "w"
    return tar_tree(bag, Path(str(dest) + FORMATS[fmt]), mode=mode, **kw)  # type: ignore[arg-type]


def check(path: Path, mode: Mode = Mode.FULL) -> object:
    """Validate, proving that nothing was written anywhere: not near the archive, not in the
    working directory, and not in a temporary folder — the temporary folder is a regular
    *file* while validating, so any temporary file or folder the validator tried to make
    would fail (and the bag would not come out as it should)."""
    before = tree_fingerprint(path.parent)
    cwd_before = sorted(os.listdir("."))
    blocker = path.parent.parent / "tmpdir-is-a-file"
    blocker.write_bytes(b"")
    saved = tempfile.tempdir
    tempfile.tempdir = str(blocker)
    try:
        result = validate_bag(path, mode=mode, processes=1)
    finally:
        tempfile.tempdir = saved
        blocker.unlink()
    assert tree_fingerprint(path.parent) == before
    assert sorted(os.listdir(".")) == cwd_before
    return result


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    return write_bag(tmp_path / "src" / "mybag", PAYLOAD, algorithms=("sha256", "md5"))


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("top", [None, ""])
def test_valid_archives_in_every_format_and_layout(
    bag: Path, tmp_path: Path, fmt: str, top: str | None
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = serialise(bag, fmt, out / "mybag", top=top)
    for mode in Mode:
        result = check(path, mode)
        assert result.valid, [str(p) for p in result.report]
        assert result.format == fmt and result.payload_files == 3


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_corrupt_missing_and_extra_members(bag: Path, tmp_path: Path, fmt: str) -> None:
    (bag / "data/a.txt").write_bytes(b"ALPHA\n")
    (bag / "data/sub/b.txt").unlink()
    (bag / "data/extra.txt").write_bytes(b"e")
    out = tmp_path / "out"
    out.mkdir()
    result = check(serialise(bag, fmt, out / "mybag"))
    found = {(p.code, p.path) for p in result.report}
    assert ("payload-digest-mismatch", "data/a.txt") in found
    assert ("payload-file-missing", "data/sub/b.txt") in found
    assert ("payload-file-unlisted", "data/extra.txt") in found
    assert ("payload-oxum-mismatch", "bag-info.txt") in found


def test_tar_with_manifests_first_is_hashed_in_one_pass(
    bag: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ["bagit.txt", "bag-info.txt", "manifest-md5.txt", "manifest-sha256.txt"]
    path = tar_tree(bag, tmp_path / "first.tar", order=first)
    reader = ArchiveReader(path, "tar")
    assert set(reader.archive.speculative_algorithms) == {"md5", "sha256"}
    assert "mybag/data/a.txt" in reader.archive.speculative
    passes = []
    original = archive_mod.Archive._tar_members

    def counting(self: archive_mod.Archive, **options: bool):  # type: ignore[no-untyped-def]
        passes.append(1)
        return original(self, **options)

    monkeypatch.setattr(archive_mod.Archive, "_tar_members", counting)
    assert check(path).valid
    assert len(passes) == 1
    last_first = tar_tree(bag, tmp_path / "late.tar", order=["data/a.txt"])
    passes.clear()
    assert check(last_first).valid
    assert len(passes) == 2
    monkeypatch.undo()
    # manifests after the payload: a second pass computes the digests, same verdict
    last = tar_tree(bag, tmp_path / "last.tar", order=["data/a.txt"])
    assert ArchiveReader(last, "tar").archive.speculative == {}
    (bag / "data/a.txt").write_bytes(b"changed")
    for order in (first, ["data/a.txt"]):
        changed = tar_tree(bag, tmp_path / f"c{len(order)}.tar", order=order)
        assert errors(check(changed)).count("payload-digest-mismatch") == 2


def test_unsafe_tar_members_are_refused(bag: Path, tmp_path: Path) -> None:
    path = tar_tree(bag, tmp_path / "evil.tar")
    with tarfile.open(path, "a") as tf:
        add_tar_member(tf, "../escape.txt", b"x")
        add_tar_member(tf, "/abs.txt", b"x")
        add_tar_member(tf, "mybag/data/link", kind=tarfile.SYMTYPE, link="/etc/passwd")
        add_tar_member(tf, "mybag/data/hard", kind=tarfile.LNKTYPE, link="mybag/data/a.txt")
        add_tar_member(tf, "mybag/data/dev", kind=tarfile.CHRTYPE)
        add_tar_member(tf, "mybag/data/fifo", kind=tarfile.FIFOTYPE)
    result = check(path)
    unsafe = [p.path for p in result.report if p.code == "archive-member-unsafe"]
    assert unsafe == [
        "../escape.txt",
        "/abs.txt",
        "mybag/data/link",
        "mybag/data/hard",
        "mybag/data/dev",
        "mybag/data/fifo",
    ]
    assert not (tmp_path / "escape.txt").exists() and not Path("/abs.txt").exists()


def test_unsafe_zip_members_are_refused(bag: Path, tmp_path: Path) -> None:
    path = zip_tree(bag, tmp_path / "evil.zip")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("../../escape.txt", b"x")
        link = zipfile.ZipInfo("mybag/data/link")
        link.external_attr = (0o120777) << 16
        zf.writestr(link, "/etc/passwd")
    result = check(path)
    unsafe = {p.path for p in result.report if p.code == "archive-member-unsafe"}
    assert unsafe == {"../../escape.txt", "mybag/data/link"}


@pytest.fixture
def small_bomb_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_mod, "BOMB_FLOOR", 1024 * 1024)


@pytest.mark.usefixtures("small_bomb_floor")
@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_compression_bombs_are_refused(bag: Path, tmp_path: Path, fmt: str) -> None:
    zeros = b"\0" * (8 * 1024 * 1024)
    if fmt == "zip":
        path = zip_tree(bag, tmp_path / "bomb.zip")
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            zf.writestr("mybag/data/zeros.bin", zeros)
    else:
        path = tmp_path / "bomb.tar.gz"
        with tarfile.open(path, "w:gz", compresslevel=9) as tf:
            for p in sorted(bag.rglob("*")):
                tf.add(p, f"mybag/{p.relative_to(bag).as_posix()}", recursive=False)
            add_tar_member(tf, "mybag/data/zeros.bin", zeros)
    result = check(path)
    assert "archive-bomb" in errors(result)


def test_layout_problems(bag: Path, tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("one/bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        zf.writestr("two/readme.txt", b"x")
    result = check(path)
    assert {"archive-layout-invalid", "not-a-bag"} <= set(errors(result))
    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w"):
        pass
    assert "archive-layout-invalid" in errors(check(empty))


def test_truncated_and_non_archive_files(bag: Path, tmp_path: Path) -> None:
    good = tar_tree(bag, tmp_path / "good.tar.gz", mode="w:gz")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    result = check(cut)
    assert "archive-unreadable" in errors(result)
    text = tmp_path / "notes.txt"
    text.write_text("just a file")
    assert errors(check(text)) == ["not-a-bag"]


def test_bagit_python_bag_serialised(tmp_path: Path) -> None:
    src = tmp_path / "b"
    (src / "x").mkdir(parents=True)
    (src / "x/\u00e9t\u00e9.txt").write_bytes(b"summer")
    bagit.make_bag(str(src), checksums=["sha512"])
    out = tmp_path / "archives"
    out.mkdir()
    for fmt in ("zip", "gztar", "tar"):
        path = Path(shutil.make_archive(str(out / f"b-{fmt}"), fmt, tmp_path, "b"))
        result = check(path)
        assert result.valid, [str(p) for p in result.report]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_command_leaves_tmpdir_empty(tmp_path: Path, fmt: str) -> None:
    """`bagsmith validate` in its own process, with TMPDIR an empty folder, on a bag whose
    payload is larger than one read: TMPDIR is empty afterwards, and so is every folder the
    archive is near."""
    big = os.urandom(3 * archive_mod.CHUNK + 5)
    bag = write_bag(tmp_path / "src" / "mybag", {**PAYLOAD, "big.bin": big})
    out = tmp_path / "out"
    out.mkdir()
    path = serialise(bag, fmt, out / "mybag")
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    before = tree_fingerprint(out)
    for extra in ([], ["--fast"]):
        done = subprocess.run(
            [sys.executable, "-m", "bagsmith", "validate", "--no-profile", *extra, str(path)],
            env={**os.environ, "TMPDIR": str(scratch), "TEMP": str(scratch), "TMP": str(scratch)},
            capture_output=True,
            text=True,
            cwd=scratch,
        )
        assert done.returncode == 0, done.stderr
        assert list(scratch.iterdir()) == []
    assert tree_fingerprint(out) == before


def test_fast_mode_scan_hashes_nothing(bag: Path, tmp_path: Path) -> None:
    path = tar_tree(bag, tmp_path / "b.tar", order=["bagit.txt", "manifest-sha256.txt"])
    reader = ArchiveReader(path, "tar", hash_payload=False)
    assert reader.archive.speculative == {} and reader.archive.speculative_algorithms == ()
    assert check(path, Mode.FAST).valid
