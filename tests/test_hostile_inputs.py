"""Hostile input, as an attacker would craft it (issue 17): never a traceback, a hang, an
escape from the bag or unbounded use of the machine; a problem with its code instead."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith import fixity, limits, xmlschemas
from bagsmith.bagit.validate import validate_bag
from bagsmith.cli import main
from tests.validate_helpers import retag, tree_fingerprint, write_bag


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exc_info
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _default_limits() -> object:
    limits.reset()
    yield
    limits.reset()


def codes(result: object) -> list[str]:
    return [p.code for p in result.report]  # type: ignore[attr-defined]


# --- 1: links anywhere in a bag are reported and never followed ----------------------------


def test_a_tag_folder_linked_outside_the_bag_is_reported_never_hashed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"}, extra_tags={"tags/x.txt": b"x"})
    (bag / "tags" / "x.txt").unlink()
    (bag / "tags").rmdir()
    (bag / "tags").symlink_to(outside, target_is_directory=True)
    with (bag / "tagmanifest-sha256.txt").open("a") as fh:
        fh.write("0" * 64 + "  tags/secret.txt\n")
    result = validate_bag(bag)
    assert not result.valid
    unreadable = [p for p in result.report if p.code == "file-unreadable"]
    assert {p.path for p in unreadable} == {"tags", "tags/secret.txt", "tags/x.txt"}
    assert all("symbolic link" in p.message for p in unreadable)
    assert "tag-digest-mismatch" not in codes(result)  # never opened, so never compared


@pytest.mark.parametrize("name", ["bagit.txt", "bag-info.txt", "data", "manifest-sha256.txt"])
def test_a_link_in_place_of_a_bag_file_is_reported_as_a_link(tmp_path: Path, name: str) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    real = tmp_path / f"real-{name}"
    (bag / name).rename(real)
    (bag / name).symlink_to(real)
    result = validate_bag(bag)
    assert not result.valid
    [link] = [p for p in result.report if p.code == "file-unreadable"]
    assert link.path == name and "symbolic link" in link.message


def test_hashing_never_goes_through_a_linked_folder(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError, match="symbolic link"):
        fixity.hash_file(tmp_path / "link" / "f", ["sha256"], follow_links=False)
    with pytest.raises(OSError, match="symbolic link"):
        fixity.hash_file(tmp_path / "link", ["sha256"], follow_links=False)
    assert fixity.hash_file(tmp_path / "real" / "f", ["sha256"], follow_links=False)[1] == 1


# --- 5: a FIFO in a file's place never blocks ----------------------------------------------


def test_a_fifo_swapped_in_for_a_payload_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    outcome: list[object] = []

    def attempt() -> None:
        try:
            fixity.hash_file(fifo, ["sha256"])
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "hashing a FIFO blocked"
    [exc] = outcome
    assert isinstance(exc, OSError) and exc.errno == errno.EINVAL and "FIFO" in str(exc)


# --- 2: the XML safety gate sees the whole prolog ------------------------------------------

ENTITY_DOCTYPE = b'<!DOCTYPE r [<!ENTITY e "boom">]>\n<r>&e;</r>\n'


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?>\n<!--' + b"x" * (70 * 1024) + b"-->\n" + ENTITY_DOCTYPE,
        b'<?xml version="1.0"?>\n' + b"<?pi x?>\n" * 9000 + ENTITY_DOCTYPE,
        ('<?xml version="1.0" encoding="UTF-16"?>\n' + ENTITY_DOCTYPE.decode()).encode("utf-16"),
        ENTITY_DOCTYPE.decode().encode("utf-16-le"),  # no byte order mark, no declaration
    ],
    ids=["after-70KiB-comment", "after-9000-PIs", "utf-16", "utf-16le-no-bom"],
)
def test_a_doctype_anywhere_in_the_prolog_is_refused(tmp_path: Path, document: bytes) -> None:
    parsed = xmlschemas.parse_untrusted(document, "data/mets.xml")
    assert parsed.tree is None
    assert [p.code for p in parsed.problems] == ["xml-unsafe"]
    path = tmp_path / "mets.xml"
    path.write_bytes(document)
    assert xmlschemas.safeparse.prolog_problem(path, "mets.xml") is not None


def test_a_doctype_line_is_counted_past_a_long_prolog() -> None:
    document = b"<?xml version='1.0'?>\n" + b"<!-- c -->\n" * 20_000 + ENTITY_DOCTYPE
    problem = xmlschemas.safeparse.prolog_problem(document, "x.xml")
    assert problem is not None and problem.line == 20_002


# --- 3, 8: numbers too long for int() ------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_a_payload_oxum_of_5000_digits_is_invalid_not_a_crash(
    tmp_path: Path, as_json: bool
) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"}, oxum=False)
    with (bag / "bag-info.txt").open("a") as fh:
        fh.write(f"Payload-Oxum: {'9' * 5000}.1\n")
    retag(bag)
    code, output = cli("validate", str(bag), *(["--json"] if as_json else []))
    assert code == 1
    assert "payload-oxum-invalid" in output and "Traceback" not in output


def test_a_fetch_length_of_5000_digits_is_a_bad_line(tmp_path: Path) -> None:
    bag = write_bag(
        tmp_path / "bag",
        {"a.txt": b"a"},
        extra_tags={"fetch.txt": f"https://example.org/b {'9' * 5000} data/b\n".encode()},
    )
    assert "fetch-line-invalid" in codes(validate_bag(bag))


@pytest.mark.parametrize("value", ["99999999999999999999", "253402300800", "9" * 5000])
def test_source_date_epoch_out_of_range_is_a_usage_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    code, output = cli(
        "bag",
        str(tmp_path / "src"),
        "-o",
        str(tmp_path / "bag"),
        env={"SOURCE_DATE_EPOCH": value},
    )
    assert code == 2, output
    assert "error[usage]" in output and "SOURCE_DATE_EPOCH" in output
    assert not (tmp_path / "bag").exists()


# --- 4: nesting depth ----------------------------------------------------------------------


def test_describe_of_100000_nested_arrays_is_refused_by_the_depth_limit(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text("[" * 100_000 + "]" * 100_000)
    code, output = cli("describe", str(record), "-o", str(tmp_path / "out"))
    assert code == 2
    assert "nesting-too-deep" in output and "--limit depth=N" in output
    assert "Traceback" not in output and not (tmp_path / "out").exists()


def test_the_depth_limit_skips_brackets_in_strings_and_can_be_raised() -> None:
    text = json.dumps({"s": "[[[[" * 1000, "a": [[[1]]]})
    assert limits.json_depth(text) == 4
    deep = "[" * 150 + "]" * 150
    with pytest.raises(limits.TooDeep):
        limits.load_json(deep)
    limits.configure({"depth": 200})
    assert limits.load_json(deep)


# --- 6: a full file system during update ---------------------------------------------------


def test_update_on_a_full_file_system_is_a_problem_and_keeps_the_old_tag_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    before = {p.name: p.read_bytes() for p in bag.iterdir() if p.is_file()}
    real_write = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.name.startswith("."):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    code, output = cli("update", str(bag))
    assert code == 2, output
    assert "No space left on device" in output and "left as they were" in output
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in bag.iterdir() if p.is_file()} == before


# --- 7: processes --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["300", "99999999999999999999", "0"])
def test_processes_over_the_limit_are_refused_before_any_work(tmp_path: Path, value: str) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    code, output = cli("validate", "-p", value, str(bag))
    assert code == 2
    assert "from 1 to 256" in output


def test_the_processes_limit_can_be_raised_for_one_run(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    code, output = cli("--limit", "processes=400", "validate", "-p", "300", "--fast", str(bag))
    assert code == 0, output
    code, output = cli("--limit", "processes=lots", "validate", str(bag))
    assert code == 2 and "--limit" in output


def test_the_library_checks_processes_too(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    with pytest.raises(Exception, match="over the limit of 256"):
        validate_bag(bag, processes=10_000)


# --- nothing written while validating hostile bags ----------------------------------------


def test_validating_the_hostile_bags_writes_nothing(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"}, extra_tags={"tags/x.txt": b"x"})
    (bag / "data" / "m.xml").write_bytes(ENTITY_DOCTYPE)
    (bag / "link").symlink_to(tmp_path)
    before = tree_fingerprint(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "bagsmith", "validate", str(bag)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert tree_fingerprint(tmp_path) == before
