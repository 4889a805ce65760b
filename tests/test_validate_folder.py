"""Validating bag folders: every rejection and warning the issue names, every problem reported."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from bagsmith.bagit.validate import Mode, validate_bag
from tests.validate_helpers import codes, errors, make_fifo, retag, tree_fingerprint, write_bag

PAYLOAD = {"a.txt": b"alpha\n", "sub/b.txt": b"bravo\n", "sub/c d.txt": b"charlie\n"}


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    return write_bag(tmp_path / "bag", PAYLOAD, algorithms=("sha256", "sha512"))


def check(path: Path, mode: Mode = Mode.FULL) -> object:
    before = tree_fingerprint(path)
    result = validate_bag(path, mode=mode, processes=1)
    assert tree_fingerprint(path) == before, "validation changed the bag"
    return result


def test_valid_bag_has_no_problems(bag: Path) -> None:
    result = check(bag)
    assert result.valid and codes(result) == []
    assert result.payload_files == 3 and result.payload_bytes == sum(map(len, PAYLOAD.values()))
    assert result.payload_algorithms == ["sha512", "sha256"]
    assert result.tag_algorithms == ["sha512", "sha256"]


def test_every_problem_is_reported_not_just_the_first(bag: Path) -> None:
    (bag / "data/a.txt").write_bytes(b"tampered\n")  # corrupt and Oxum bytes change
    (bag / "data/sub/b.txt").unlink()  # missing
    (bag / "data/new.txt").write_bytes(b"extra\n")  # unlisted
    result = check(bag)
    assert not result.valid
    found = {(p.code, p.path) for p in result.report}
    assert ("payload-oxum-mismatch", "bag-info.txt") in found
    assert ("payload-file-missing", "data/sub/b.txt") in found
    assert ("payload-file-unlisted", "data/new.txt") in found
    mismatches = [p for p in result.report if p.code == "payload-digest-mismatch"]
    assert {p.path for p in mismatches} == {"data/a.txt"}
    assert len(mismatches) == 2  # one per algorithm, each naming both digests
    sha = next(p for p in mismatches if p.message.startswith("sha256"))
    assert hashlib.sha256(b"alpha\n").hexdigest() in sha.message
    assert hashlib.sha256(b"tampered\n").hexdigest() in sha.message


def test_fast_and_completeness_modes_hash_nothing(bag: Path) -> None:
    (bag / "data/a.txt").write_bytes(b"ALPHA\n")  # same size: only hashing can tell
    for mode in (Mode.FAST, Mode.COMPLETENESS):
        assert check(bag, mode).valid
    assert errors(check(bag)) == ["payload-digest-mismatch"] * 2
    (bag / "data/sub/b.txt").unlink()
    (bag / "data/x").write_bytes(b"1")
    for mode in (Mode.FAST, Mode.COMPLETENESS):
        assert sorted(errors(check(bag, mode))) == [
            "payload-file-missing",
            "payload-file-unlisted",
            "payload-oxum-mismatch",
        ]


def test_never_writes_even_for_broken_bags(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(
        b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )
    (bag / "data/a.txt").write_bytes(b"changed")
    (bag / "manifest-sha256.txt").write_text("zz  ../../etc/passwd\n", encoding="utf-8")
    os.chmod(bag / "data/sub/b.txt", 0o444)
    for mode in Mode:
        result = check(bag, mode)  # check() compares fingerprints with mtimes
        assert not result.valid


def test_not_a_bag(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder/readme.txt").write_text("hi")
    result = check(tmp_path / "folder")
    assert codes(result) == ["not-a-bag"] and not result.valid


def test_missing_bag_info_is_a_warning(tmp_path: Path) -> None:
    """RFC 8493 §2.2.2: bag-info.txt is optional (LoC conformance suite v1.0/valid/basicBag)."""
    result = check(write_bag(tmp_path / "b", PAYLOAD, bag_info_name=""))
    assert result.valid, result.report.problems
    assert [p.code for p in result.report.warnings] == ["bag-info-missing"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", "bagit-txt-bom"),
        (b"BagIt-Version: one\nTag-File-Character-Encoding: UTF-8\n", "bagit-txt-invalid"),
        (b"Tag-File-Character-Encoding: UTF-8\n", "bagit-txt-invalid"),
        (b"BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n", "bagit-version-unsupported"),
        (
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: EBCDIC-XYZ\n",
            "tag-encoding-unsupported",
        ),
    ],
)
def test_bad_declarations(bag: Path, content: bytes, code: str) -> None:
    (bag / "bagit.txt").write_bytes(content)
    retag(bag, "sha256")
    retag(bag, "sha512")
    result = check(bag)
    assert code in errors(result), codes(result)


def test_corrupt_tag_file_names_file_and_digests(bag: Path) -> None:
    (bag / "bag-info.txt").write_text("Source-Organization: Changed\nPayload-Oxum: 20.3\n")
    result = check(bag)
    found = [p for p in result.report if p.code == "tag-digest-mismatch"]
    assert found and found[0].path == "bag-info.txt"
    assert hashlib.sha512((bag / "bag-info.txt").read_bytes()).hexdigest() in found[0].message
    (bag / "bag-info.txt").unlink()
    assert "tag-file-missing" in errors(check(bag))


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("{d}  ../outside.txt", "manifest-path-unsafe"),
        ("{d}  /etc/passwd", "manifest-path-unsafe"),
        ("{d}  ~/secret", "manifest-path-unsafe"),
        ("{d}  data/../../x", "manifest-path-unsafe"),
        ("{d}\u00a0data/a.txt", "manifest-whitespace-invalid"),
        (" {d}  data/a.txt", "manifest-whitespace-invalid"),
        ("{d}", "manifest-line-invalid"),
        ("abc  data/a.txt", "manifest-digest-malformed"),
        ("{d}  bag-info.txt", "manifest-path-outside-payload"),
    ],
)
def test_bad_manifest_lines(bag: Path, line: str, code: str) -> None:
    digest = hashlib.sha256(b"alpha\n").hexdigest()
    path = bag / "manifest-sha256.txt"
    path.write_text(path.read_text() + line.format(d=digest) + "\n")
    result = check(bag)
    found = [p for p in result.report if p.code == code]
    assert found, codes(result)
    assert found[0].path == "manifest-sha256.txt" and found[0].line == 4


def test_listed_twice(bag: Path) -> None:
    path = bag / "manifest-sha256.txt"
    good = hashlib.sha256(b"alpha\n").hexdigest()
    path.write_text(path.read_text() + f"{good}  ./data/a.txt\n")
    retag(bag, "sha256")
    retag(bag, "sha512")
    result = check(bag)
    # BagIt 1.0: an error (bagit-python and the LoC suite's v1.0/invalid agree)
    assert not result.valid and errors(result) == ["manifest-duplicate-entry"]
    assert "manifest-path-dot-slash" in codes(result)
    (bag / "bagit.txt").write_text("BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")
    retag(bag, "sha256")
    retag(bag, "sha512")
    result = check(bag)  # before 1.0: a warning (the suite's v0.97/warning)
    assert result.valid and "manifest-duplicate-entry" in codes(result)
    path.write_text(path.read_text() + f"{'0' * 64}  data/a.txt\n")
    result = check(bag)
    conflict = [p for p in result.report if p.code == "manifest-conflicting-entry"]
    assert conflict and conflict[0].line == 5 and "0" * 64 in conflict[0].message


def test_manifests_that_disagree(bag: Path) -> None:
    path = bag / "manifest-sha512.txt"
    path.write_text(
        "".join(line for line in path.read_text().splitlines(True) if "a.txt" not in line)
    )
    result = check(bag)
    found = [p for p in result.report if p.code == "manifests-disagree"]
    assert found and "data/a.txt" in found[0].message and found[0].path == "manifest-sha512.txt"


def test_md5sum_binary_marker_is_a_warning(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD, algorithms=("md5",))
    path = bag / "manifest-md5.txt"
    path.write_text(path.read_text().replace("  data/", " *data/"))
    retag(bag, "md5")
    result = check(bag)
    assert result.valid
    assert {"manifest-binary-marker", "manifest-algorithm-weak"} <= set(codes(result))


def test_case_and_normalization_collisions_and_os_files_warn(tmp_path: Path) -> None:
    payload = {
        "Photo.jpg": b"1",
        "photo.jpg": b"2",
        "caf\u00e9.txt": b"3",
        "cafe\u0301.txt": b"4",
        ".DS_Store": b"5",
    }
    result = check(write_bag(tmp_path / "b", payload))
    assert result.valid
    assert {"name-case-collision", "name-normalization-collision", "os-special-file"} <= set(
        codes(result)
    )


def test_manifest_in_other_normalization_form_matches_with_warning(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", {"cafe\u0301.txt": b"x"})
    path = bag / "manifest-sha256.txt"
    path.write_text(path.read_text().replace("cafe\u0301", "caf\u00e9"), encoding="utf-8")
    retag(bag)
    result = check(bag)
    assert result.valid and "name-normalization-collision" in codes(result)


def test_special_files_are_never_opened(bag: Path) -> None:
    make_fifo(bag / "data/pipe")
    (bag / "data/link").symlink_to("/etc/hostname")
    result = check(bag)  # would hang on the FIFO if it were opened
    bad = {p.path for p in result.report if p.code == "file-unreadable"}
    assert bad == {"data/pipe", "data/link"}


def test_missing_payload_folder_and_manifest(tmp_path: Path) -> None:
    bag = tmp_path / "b"
    bag.mkdir()
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (bag / "bag-info.txt").write_text("Payload-Oxum: 0.0\n")
    result = check(bag)
    assert {"payload-dir-missing", "manifest-missing"} <= set(errors(result))


def test_invalid_oxum_and_unknown_algorithm(bag: Path) -> None:
    (bag / "bag-info.txt").write_text("Payload-Oxum: lots\n")
    (bag / "manifest-whirlpool.txt").write_text("")
    result = check(bag)
    assert {"payload-oxum-invalid", "manifest-algorithm-unknown"} <= set(errors(result))


def test_parallel_hashing_reports_the_same(bag: Path) -> None:
    for i in range(50):
        (bag / f"data/extra{i}").write_bytes(os.urandom(200_000))
    (bag / "data/a.txt").write_bytes(b"x")
    one = validate_bag(bag, processes=1)
    two = validate_bag(bag, processes=2)
    assert codes(one) == codes(two)
    assert codes(one).count("payload-file-unlisted") == 50


def test_progress_reports_hashed_bytes(bag: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = validate_bag(bag, processes=1, progress=lambda done, files: seen.append((done, files)))
    assert result.valid
    assert seen and seen[-1] == (result.payload_bytes, result.payload_files)


def test_unlistable_folder_is_reported(bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def open_(path: str, flags: int, *args: object, **kwargs: object) -> int:
        if str(path).endswith("/data/sub"):  # the walk opens each folder to list it
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_)
    result = validate_bag(bag, processes=1)
    found = [(p.code, p.path) for p in result.report]
    assert ("file-unreadable", "data/sub") in found
    assert ("payload-file-missing", "data/sub/b.txt") in found
