"""The validator checks a folder's files at once (issue 16): the checks it skips for a folder
must be exactly those that cannot find anything there.

A folder of plain names skips the case/normalization collision finder, a folder with no name of
an operating-system file skips the per-file test, and a folder whose files are all listed is
ticked off the manifests in one pass; anything else goes file by file as before.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bagsmith.bagit.names import OS_FILES, is_os_file
from bagsmith.bagit.reader import FileEntry, open_bag
from bagsmith.bagit.validate import Mode, _maybe_os_files, _plain_names, validate_bag
from tests.validate_helpers import write_bag


@pytest.mark.parametrize("name", [*sorted(OS_FILES), "._photo.jpg", "._"])
def test_every_operating_system_file_is_found_in_a_folder(name: str) -> None:
    assert is_os_file(name)
    files = [FileEntry(f"data/a/{n}", 1) for n in ("x.txt", name, "z.txt")]
    assert _maybe_os_files(files)
    assert _maybe_os_files([FileEntry(f"data/{name}", 1)])


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
    assert not _maybe_os_files([FileEntry("data/._dir/x.txt", 1), FileEntry("data/.DS_Store/y", 1)])
    assert not _maybe_os_files([FileEntry(f"data/sub/{n}", 1) for n in names])


def test_plain_names_are_only_those_with_no_possible_collision() -> None:
    assert _plain_names(["a.txt", "b.txt", "A.txt.bak"])
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
