"""The validator checks a folder's files at once (issue 16): the checks it skips for a folder
must be exactly those that cannot find anything there.

A folder of plain names skips the case/normalization collision finder, a folder with no name of
an operating-system file skips the per-file test, and a folder whose files are all listed is
ticked off the manifests in one pass; anything else goes file by file as before.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from bagsmith.bagit import validate as validate_module
from bagsmith.bagit.names import OS_FILES, is_os_file
from bagsmith.bagit.reader import FolderReader, open_bag
from bagsmith.bagit.validate import (
    Mode,
    _folder_names,
    _maybe_os_files,
    _plain_names,
    validate_bag,
)
from tests.validate_helpers import write_bag


@pytest.mark.parametrize("name", [*sorted(OS_FILES), "._photo.jpg", "._"])
def test_every_operating_system_file_is_found_in_a_folder(name: str) -> None:
    assert is_os_file(name)
    assert _maybe_os_files([f"data/a/{n}" for n in ("x.txt", name, "z.txt")])
    assert _maybe_os_files([f"data/{name}"])
    # the folder's names say so first (else no file of the bag is looked at)
    for names in (["x.txt", name, "z.txt"], [name], [name, "a"]):
        assert _folder_names(names)[1]
    assert not _folder_names(["x.txt", "z.txt", "a.b", "c.d.e"])[1]


@pytest.mark.parametrize(
    "names",
    [
        ["x.DS_Store", "Thumbs.db.txt", "my._file", "Icon"],
        ["a._b", "desktop.ini2", ".DS_Storex"],
    ],
)
def test_names_that_only_look_like_operating_system_files_are_not(names: list[str]) -> None:
    assert not any(is_os_file(n) for n in names)
    # folders with such names hold no such file
    assert not _maybe_os_files(["data/._dir/x.txt", "data/.DS_Store/y"])
    assert not _maybe_os_files([f"data/sub/{n}" for n in names])


def test_a_folder_of_plain_names_is_ruled_out_without_the_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def search(joined: str) -> None:
        raise AssertionError(f"searched {joined!r}")

    monkeypatch.setattr(validate_module, "_os_file_search", search)
    assert not _maybe_os_files([f"data/sub/file-{i}.txt" for i in range(50)] + ["data/a b/c"])
    with pytest.raises(AssertionError):  # a name starting with '.': searched
        _maybe_os_files(["data/sub/.hidden"])


def test_plain_names_are_only_those_with_no_possible_collision() -> None:
    assert _plain_names(["a.txt", "b.txt", "A.txt.bak"])
    assert _plain_names(["a.txt", "b.txt"]) and _plain_names(["1", "2", "-"])  # no upper case
    assert not _plain_names(["a.txt", "A.TXT"])
    nfc, nfd = unicodedata.normalize("NFC", "é"), unicodedata.normalize("NFD", "é")
    assert not _plain_names([nfc, "x"])  # not ASCII: the finder decides
    assert not _plain_names([nfd + ".txt", nfc + ".txt"])


@pytest.mark.parametrize("mode", [Mode.FULL, Mode.FAST])
def test_a_folder_with_odd_files_is_checked_file_by_file(tmp_path: Path, mode: Mode) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "é"), unicodedata.normalize("NFD", "é")
    files = {f"plain/f{i}.txt": b"x" for i in range(30)}
    files |= {"odd/.DS_Store": b"1", "odd/Thumbs.db": b"2", "odd/._a": b"3", "odd/ok": b"4"}
    files |= {"case/Read.me": b"1", "case/read.me": b"2"}
    bag = write_bag(tmp_path / "bag", files)
    (bag / "data" / "plain" / "unlisted.txt").write_bytes(b"u")
    (bag / "data" / f"{nfd}.txt").write_bytes(b"n")  # listed in no manifest, in NFD
    result = validate_bag(bag, mode=mode, processes=1)
    found = sorted((p.code, p.path) for p in result.report)
    assert found == [
        ("name-case-collision", "data/case/read.me"),
        ("os-special-file", "data/odd/.DS_Store"),
        ("os-special-file", "data/odd/._a"),
        ("os-special-file", "data/odd/Thumbs.db"),
        ("payload-file-unlisted", f"data/{nfd}.txt"),
        ("payload-file-unlisted", "data/plain/unlisted.txt"),
        ("payload-oxum-mismatch", "bag-info.txt"),
    ]
    assert result.payload_files == len(files) + 2
    assert nfc != nfd


def test_every_file_is_walked_once_in_folders(tmp_path: Path) -> None:
    files = {f"d{i % 3}/sub{i % 2}/f{i}": bytes([i]) for i in range(40)}
    bag = write_bag(tmp_path / "bag", files)
    reader = open_bag(bag)
    folders = list(reader.payload_folders())
    flat = [e for folder in folders for e in folder]
    assert flat == list(reader.payload_files())
    assert sorted(e.path for e in flat) == sorted(f"data/{p}" for p in files)
    assert all(len({e.path.rpartition("/")[0] for e in folder}) == 1 for folder in folders)
    # each file carries the device and inode its listing saw (hashing in processes opens
    # only that file); a walk whose files are not hashed (--fast) leaves them out
    for entry in flat:
        st = os.lstat(bag / entry.path)
        assert entry.ident == (st.st_dev, st.st_ino)
    unidentified = [e for folder in reader.payload_folders(identify=False) for e in folder]
    assert [e.ident for e in unidentified] == [None] * len(flat)
    assert [e[:3] for e in unidentified] == [e[:3] for e in flat]


# --- one process: each file hashed by its name in its folder, held open ----------------------


def _spy_folders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = FolderReader.digest_folders

    def spy(self: FolderReader, *args: Any, **kwargs: Any) -> Any:
        calls.append(self.location)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FolderReader, "digest_folders", spy)
    return calls


def test_one_process_hashes_as_it_walks_and_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"d{i % 3}/f{i}.txt": bytes([i]) * i for i in range(40)}
    bag = write_bag(tmp_path / "bag", files)
    (bag / "data" / "d1" / "f1.txt").write_bytes(b"changed")
    (bag / "data" / "d2" / "extra.txt").write_bytes(b"unlisted")
    (bag / "data" / "d0" / "f3.txt").unlink()
    (bag / "data" / "d0" / "link").symlink_to(bag / "data" / "d0" / "f6.txt")
    calls = _spy_folders(monkeypatch)
    progress: list[tuple[int, int]] = []
    one = validate_bag(bag, processes=1, progress=lambda b, f: progress.append((b, f)))
    assert calls == [str(bag.resolve())]
    two = validate_bag(bag, processes=2)
    assert calls == [str(bag.resolve())]  # (two processes: the pool, as before)
    assert sorted(map(str, one.report)) == sorted(map(str, two.report))
    assert {p.code for p in one.report} == {
        "payload-digest-mismatch",
        "payload-file-unlisted",
        "payload-file-missing",
        "file-unreadable",
        "payload-oxum-mismatch",
    }
    assert (one.payload_files, one.payload_bytes) == (two.payload_files, two.payload_bytes)
    assert progress[-1] == (one.payload_bytes, one.payload_files)


def test_a_file_swapped_for_a_link_or_a_fifo_after_the_listing_is_never_read(
    tmp_path: Path,
) -> None:
    bag = write_bag(tmp_path / "bag", {"sub/a.txt": b"a", "sub/b.txt": b"b", "sub/c.txt": b"c"})
    outside = _outside(tmp_path)
    sub = bag / "data" / "sub"

    def on_names(folder: str, names: list[str]) -> None:
        if folder == "data/sub":  # listed as regular files; swapped before they are opened
            (sub / "a.txt").unlink()
            (sub / "a.txt").symlink_to(outside / "a.txt")
            (sub / "b.txt").unlink()
            os.mkfifo(sub / "b.txt")

    walk = open_bag(bag).digest_folders(("sha256",), on_names)
    assert walk is not None
    [(files, done)] = list(walk)
    assert [d.path for d in done] == ["data/sub/a.txt", "data/sub/b.txt", "data/sub/c.txt"]
    a, b, c = done
    assert a.digests is None and "symbolic link" in (a.error or "")
    assert b.digests is None and "FIFO" in (b.error or "")
    assert c.digests == [hashlib.sha256(b"c").digest()] and c.size == 1
    assert [(f.path, f.size) for f in files] == [
        ("data/sub/a.txt", len(os.readlink(sub / "a.txt"))),
        ("data/sub/b.txt", 0),
        ("data/sub/c.txt", 1),
    ]


def test_a_folder_swapped_for_a_link_while_it_is_hashed_is_never_read_through(
    tmp_path: Path,
) -> None:
    bag = write_bag(tmp_path / "bag", {"sub/a.txt": b"a", "sub/deeper/a.txt": b"a"})
    outside = _outside(tmp_path)

    def on_names(folder: str, names: list[str]) -> None:
        if folder == "data/sub":  # open and listed: now moved away, a link in its place
            (bag / "data" / "sub").rename(tmp_path / "moved")
            (bag / "data" / "sub").symlink_to(outside, target_is_directory=True)

    walk = open_bag(bag).digest_folders(("sha256",), on_names)
    assert walk is not None
    done = [d for _files, digested in walk for d in digested]
    reader = open_bag(bag)
    # the files of the folder listed are hashed (by name, in that folder); its subfolder is
    # reached through the link's path only to be refused, and nothing outside is ever read
    assert [(d.path, d.digests) for d in done] == [
        ("data/sub/a.txt", [hashlib.sha256(b"a").digest()])
    ]
    assert (outside / "a.txt").read_bytes() == b"secret"
    assert reader.is_dir("data")


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    (outside / "a.txt").write_bytes(b"secret")
    (outside / "deeper" / "a.txt").write_bytes(b"secret")
    return outside


@pytest.mark.parametrize("mode", [Mode.FAST, Mode.COMPLETENESS, Mode.FULL])
def test_links_and_fifos_in_the_payload_are_never_followed(tmp_path: Path, mode: Mode) -> None:
    """``--fast`` looks at each entry by its name in the folder (``fstatat``, not following
    links): a link to a file or a folder, or a FIFO, is reported, never read or walked."""
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a", "sub/b.txt": b"b"})
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret")
    (bag / "data" / "link.txt").symlink_to(outside)
    (bag / "data" / "dirlink").symlink_to(bag / "data" / "sub")
    os.mkfifo(bag / "data" / "fifo")
    result = validate_bag(bag, mode=mode, processes=1)
    problems = [(p.code, p.path) for p in result.report]
    assert problems == [
        ("file-unreadable", "data/dirlink"),
        ("file-unreadable", "data/fifo"),
        ("file-unreadable", "data/link.txt"),
    ]
    assert (result.payload_files, result.payload_bytes) == (2, 2)
