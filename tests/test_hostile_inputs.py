"""Hostile input, as an attacker would craft it (issue 17): never a traceback, a hang, an
escape from the bag or unbounded use of the machine; a problem with its code instead."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith import fixity, limits, xmlschemas
from bagsmith.bagit.reader import open_bag
from bagsmith.bagit.validate import Mode, validate_bag
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


def test_a_file_other_than_the_one_listed_is_never_hashed(tmp_path: Path) -> None:
    # the walk records each file's device and inode; hashing opens that very file or nothing
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    other = os.stat(tmp_path / "b")
    with pytest.raises(OSError, match="not the file listed"):
        fixity.digest_file(
            tmp_path / "a", ["sha256"], follow_links=False, expect=(other.st_dev, other.st_ino)
        )
    st = os.stat(tmp_path / "a")
    digests, size = fixity.digest_file(
        tmp_path / "a", ["sha256"], follow_links=False, expect=(st.st_dev, st.st_ino)
    )
    assert size == 1 and digests == [hashlib.sha256(b"a").digest()]


def _outside_copy(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    (outside / "a.txt").write_bytes(b"secret")
    (outside / "deeper" / "a.txt").write_bytes(b"secret")
    return outside


def test_a_folder_swapped_for_a_link_after_the_walk_is_never_read_through(
    tmp_path: Path,
) -> None:
    bag = write_bag(tmp_path / "bag", {"sub/a.txt": b"a", "sub/deeper/a.txt": b"a"})
    outside = _outside_copy(tmp_path)
    reader = open_bag(bag)
    entries = list(reader.payload_files())
    (bag / "data" / "sub").rename(tmp_path / "moved")
    (bag / "data" / "sub").symlink_to(outside, target_is_directory=True)
    for processes in (1, 2):
        done = list(reader.digest(entries, ("sha256",), processes=processes, total_bytes=1 << 30))
        assert [d.path for d in done] == ["data/sub/a.txt", "data/sub/deeper/a.txt"]
        assert all(d.digests is None and "symbolic link" in (d.error or "") for d in done), done


@pytest.mark.parametrize("case", ["folder", "folder-above"])
def test_a_folder_swapped_for_a_link_during_the_walk_is_never_listed(
    tmp_path: Path, case: str
) -> None:
    # data/sub is swapped after the walk saw it as a folder, before it opens it (the last part
    # of the path is a link: O_NOFOLLOW) or one of its subfolders (a folder above is a link:
    # the folder opened is not the one listed)
    if case == "folder":
        payload, hook, listed, refused = ["a/x.txt", "sub/deeper/a.txt"], "data/a", 1, "data/sub"
    else:
        payload, hook, listed, refused = (
            ["sub/aaa/x.txt", "sub/deeper/a.txt"],
            "data/sub/aaa",
            1,
            "data/sub/deeper",
        )
    bag = write_bag(tmp_path / "bag", dict.fromkeys(payload, b"a"))
    outside = _outside_copy(tmp_path)

    def on_names(folder: str, names: list[str]) -> None:
        if folder == hook:
            (bag / "data" / "sub").rename(tmp_path / "moved")
            (bag / "data" / "sub").symlink_to(outside, target_is_directory=True)

    reader = open_bag(bag)
    entries = list(reader.payload_files(on_names))
    assert [e.path for e in entries] == ["data/" + payload[0]][:listed]
    [(folder, reason)] = reader.unreadable_folders
    assert folder == refused and "link" in reason


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


# Defence in depth behind the gate: were a DTD ever to slip past it, libxml2's schema check
# gives up ("Internal error") on the entity references it leaves, and lxml's error (with its
# error log) cannot be pickled. That document gets a problem; the other bags their reports.
ENTITY_IN_METS = (b"<mets:mets ", b'<!DOCTYPE mets:mets [<!ENTITY e "x">]>\n<mets:mets ')
ENTITY_REF = (b"<mods:title>Figure 1</mods:title>", b"<mods:title>&e;</mods:title>")


def entity_tree() -> object:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    return etree.fromstring(
        b'<!DOCTYPE r [<!ENTITY e "x">]><mets:mets xmlns:mets="http://www.loc.gov/METS/">'
        b"<mets:metsHdr>&e;</mets:metsHdr></mets:mets>",
        parser,
    ).getroottree()


def test_a_schema_check_libxml2_gives_up_on_is_a_problem_of_that_document(
    schema_cache: Path,
) -> None:
    from bagsmith.xmlschemas.validate import validator

    [problem] = validator(schema_cache).validate(entity_tree(), "mets.xml")
    assert problem.code == "xml-schema-check-failed"
    assert "Internal error" in problem.message and problem.path == "mets.xml"


@pytest.fixture
def gate_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The XML safety gate lets everything through (workers forked later inherit it)."""
    from bagsmith.xmlschemas import stream

    monkeypatch.setattr(stream, "prolog_problem", lambda *args, **kwargs: None)


def two_bags(root: Path) -> tuple[Path, Path]:
    from tests.test_validate_metadata import article_source, bag_of

    good = bag_of(article_source(root / "src-good"), root / "good")
    edits = article_source(root / "src-bad", mets_edit=ENTITY_REF).joinpath("mets.xml")
    edits.write_bytes(edits.read_bytes().replace(*ENTITY_IN_METS, 1))
    bad = bag_of(edits.parent, root / "bad")
    return good, bad


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dtd_past_the_gate_fails_its_own_bag_and_the_others_get_reports(
    schema_cache: Path, tmp_path: Path, gate_missing: None, workers: int
) -> None:
    from bagsmith.pipeline.audit import validate_collection

    good, bad = two_bags(tmp_path)
    report = validate_collection([str(good), str(bad)], mode=Mode.FULL, workers=workers)
    first, second = report.entries
    assert first.valid and first.readable, first.problems
    bad_codes = {p["code"] for p in second.problems}
    assert not second.valid and second.readable, second.problems
    assert bad_codes & {"xml-unsafe", "xml-schema-check-failed"}, second.problems
    assert "internal" not in bad_codes


def test_validate_and_report_of_a_dtd_past_the_gate_go_on_to_the_next_bag(
    schema_cache: Path, tmp_path: Path, gate_missing: None
) -> None:
    good, bad = two_bags(tmp_path)
    code, output = cli("validate", "-p", "1", str(good), str(bad))
    assert code == 1 and "Traceback" not in output
    assert f"{good}: valid" in output and f"{bad}: INVALID" in output
    page = tmp_path / "bad.html"
    code, output = cli("report", str(bad), "--html", str(page), "-p", "1")
    assert code == 1 and "Traceback" not in output, output
    assert "xml-unsafe" in page.read_text() or "xml-schema-check-failed" in page.read_text()


@pytest.mark.parametrize("tblib", [False, True], ids=["pickle", "tblib"])
def test_an_exception_that_cannot_be_pickled_comes_back_from_a_worker_by_name(
    monkeypatch: pytest.MonkeyPatch, tblib: bool
) -> None:
    """Also where exceptions are pickled with their context and traceback (tblib, which
    importing Dask's distributed installs for every exception: batch --scheduler)."""
    from bagsmith.pipeline.executors import LocalExecutor, TaskFailed

    if tblib:
        import copyreg
        import types

        from lxml import etree
        from tblib import pickling_support

        table = copyreg.dispatch_table  # what pickling_support.install() does, undone after
        for kind in (TaskFailed, TypeError, etree.DocumentInvalid):
            monkeypatch.setitem(table, kind, pickling_support.pickle_exception)
        monkeypatch.setitem(table, types.TracebackType, pickling_support.pickle_traceback)
    [(index, outcome)] = list(LocalExecutor(1).run(assert_valid, ["<other/>"]))
    assert index == 0 and isinstance(outcome, TaskFailed)
    assert "DocumentInvalid: Element 'other': No matching global declaration" in str(outcome)


def assert_valid(document: str) -> None:
    """A worker task raising one of lxml's errors, which carry their (unpicklable) log."""
    from lxml import etree

    schema = etree.XMLSchema(
        etree.fromstring(
            b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            b'<xs:element name="r" type="xs:string"/></xs:schema>'
        )
    )
    schema.assertValid(etree.fromstring(document))


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


# Fork refused: as root, Linux does not enforce RLIMIT_NPROC (root is exempt), so the real
# limit is tried as the unprivileged user nobody (setpriv, keeping only the capabilities to
# read the test's files and the interpreter under /root), and a fork that fails after some
# workers started is simulated by replacing os.fork in the child before bagsmith runs.
FORK_FAILS_AFTER = """
import os, runpy, sys
real, left = os.fork, [int(sys.argv.pop(1))]
def fork():
    if left[0] <= 0:
        raise BlockingIOError(11, "Resource temporarily unavailable")
    left[0] -= 1
    return real()
os.fork = fork
sys.argv[0] = "bagsmith"
runpy.run_module("bagsmith", run_name="__main__")
"""


def many_files(root: Path, count: int = 40, size: int = 120_000) -> Path:
    root.mkdir()
    for i in range(count):  # over the thresholds under which no pool is started
        (root / f"f{i:02}.bin").write_bytes(bytes([i]) * size)
    return root


def run_bagsmith(
    args: list[str], prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-c", FORK_FAILS_AFTER, *args],
        capture_output=True,
        text=True,
        timeout=60,  # the bug: a traceback, then a wait for ever on the workers started
    )


def test_a_process_limit_is_a_problem_not_a_traceback_or_a_hang() -> None:
    """``-p 100000`` under ``ulimit -u``: the kernel refuses the first fork (EAGAIN)."""
    with tempfile.TemporaryDirectory() as folder:  # pytest's own is readable by root only
        tmp_path = Path(folder)
        tmp_path.chmod(0o755)
        check_process_limit(tmp_path)


def check_process_limit(tmp_path: Path) -> None:
    src = many_files(tmp_path / "src")
    (tmp_path / "out").mkdir()
    (tmp_path / "out").chmod(0o777)
    limit = ["prlimit", "--nproc=1"]
    if os.geteuid() == 0:
        caps = "+dac_read_search,+dac_override"
        limit += ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        limit += [f"--inh-caps={caps}", f"--ambient-caps={caps}"]
    argv = ["99", "--limit", "processes=100000", "bag", str(src), "-o", str(tmp_path / "out" / "b")]
    proc = run_bagsmith([*argv, "-p", "100000"], prefix=limit)
    assert proc.returncode == 2, proc.stderr
    assert "error[processes-unavailable]" in proc.stderr and "--processes" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "b").exists()
    assert os.listdir(tmp_path / "out") == []


@pytest.mark.parametrize(
    ("command", "started"), [("bag", 0), ("bag", 2), ("validate", 2), ("batch", 2)]
)
def test_a_fork_refused_after_some_workers_started_stops_them_and_exits_2(
    tmp_path: Path, command: str, started: int
) -> None:
    src = many_files(tmp_path / "src")
    if command == "bag":
        args = ["bag", str(src), "-o", str(tmp_path / "b"), "-p", "4"]
    elif command == "validate":
        bag = tmp_path / "bag"
        assert cli("bag", str(src), "-o", str(bag))[0] == 0
        args = ["validate", str(bag), "-p", "4"]
    else:
        from tests.batch_helpers import make_collection

        args = ["batch", str(make_collection(tmp_path / "c", 2)), "-o", str(tmp_path / "b")]
        args += ["--workers", "4"]
    proc = run_bagsmith([str(started), *args])
    option = "--workers" if command == "batch" else "--processes"
    assert proc.returncode == 2, proc.stderr
    assert "error[processes-unavailable]" in proc.stderr and option in proc.stderr
    assert "Traceback" not in proc.stderr
    if command == "bag":
        assert not (tmp_path / "b").exists()


def test_the_library_raises_processes_unavailable_and_leaves_no_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing

    from bagsmith.errors import ProcessesUnavailable

    real, calls = os.fork, []

    def fork() -> int:
        calls.append(1)
        if len(calls) > 2:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return real()

    before = set(multiprocessing.active_children())
    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(ProcessesUnavailable, match="refused to start 5 worker processes"):
        fixity.process_pool(5)
    assert len(calls) == 3
    assert set(multiprocessing.active_children()) <= before


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


# --- 9, 10, 14: archives -------------------------------------------------------------------

# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked (pytest) process
MEASURE = """
import json, re, sys
from bagsmith.bagit.validate import Mode, validate_bag
result = validate_bag(sys.argv[1], mode=Mode(sys.argv[2]), processes=1)
status = open("/proc/self/status").read()
print(json.dumps({"codes": [p.code for p in result.report],
                  "rss_kb": int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1))}))
"""


def measured(path: Path, mode: str = "full") -> dict[str, object]:
    """Validate in a fresh process: its problem codes and its peak resident memory."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def tar_bz2_with_a_huge_member(path: Path, gib: int = 2) -> Path:
    """A ~2 KB .tar.bz2 whose one member claims (and holds) GIB GiB of zeros: a multi-stream
    bzip2 file (the zeros compressed once, repeated), so making it costs a second."""
    import bz2
    import io
    import tarfile

    header = io.BytesIO()
    with tarfile.open(fileobj=header, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in [
            ("bag/bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        big = tarfile.TarInfo("bag/big.bin")
        big.size = gib << 30
        header.write(big.tobuf(format=tarfile.USTAR_FORMAT))
    head = header.getvalue()
    head = head[: head.index(big.tobuf(format=tarfile.USTAR_FORMAT)) + 512]
    zeros = bz2.compress(bytes(8 << 20))
    with path.open("wb") as fh:
        fh.write(bz2.compress(head))
        for _ in range((gib << 30) // (8 << 20)):
            fh.write(zeros)
        fh.write(bz2.compress(bytes(1024 * 10)))
    return path


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_a_2kb_tar_bz2_holding_2gib_is_a_bomb_at_once(tmp_path: Path, mode: str) -> None:
    path = tar_bz2_with_a_huge_member(tmp_path / "bomb.tar.bz2")
    assert path.stat().st_size < 32 * 1024
    result = measured(path, mode)
    assert "archive-bomb" in result["codes"]  # type: ignore[operator]
    assert result["rss_kb"] < 200 * 1024  # type: ignore[operator]


def _zip_bag(tmp_path: Path, members: dict[str, bytes], method: int) -> Path:
    """A valid bag (its tag manifest lists MEMBERS, extra files outside or inside data/),
    zipped with MEMBERS compressed by METHOD."""
    import hashlib
    import zipfile

    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    path = tmp_path / "bag.zip"
    from tests.validate_helpers import zip_tree

    listed = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in members.items()
        if not name.startswith("data/")
    )
    with (bag / "tagmanifest-sha256.txt").open("a") as fh:
        fh.write(listed)
    zip_tree(bag, path)
    with zipfile.ZipFile(path, "a", method) as zf:
        for name, data in members.items():
            zf.writestr(f"bag/{name}", data)
    return path


def test_zip_members_under_the_bomb_floor_count_together(tmp_path: Path) -> None:
    import zipfile

    blob = bytes(40 << 20)  # each under the 64 MiB floor, together over it
    path = _zip_bag(tmp_path, {"tags/t0.bin": blob, "tags/t1.bin": blob}, zipfile.ZIP_BZIP2)
    assert path.stat().st_size < 64 * 1024
    result = measured(path)
    assert "archive-bomb" in result["codes"]  # type: ignore[operator]
    assert result["rss_kb"] < 200 * 1024  # type: ignore[operator]


def test_many_small_payload_bombs_are_stopped_after_the_floor(tmp_path: Path) -> None:
    import zipfile

    blob = bytes(1 << 20)
    members = {f"data/z{i:03}.bin": blob for i in range(80)}
    path = _zip_bag(tmp_path, members, zipfile.ZIP_BZIP2)
    result = measured(path)
    assert "archive-bomb" in result["codes"]  # type: ignore[operator]


@pytest.mark.parametrize("order", [(b"one", b"two"), (b"two", b"one")])
def test_duplicate_zip_member_names_are_an_error_whatever_their_order(
    tmp_path: Path, order: tuple[bytes, bytes]
) -> None:
    import warnings
    import zipfile

    from tests.validate_helpers import zip_tree

    bag = write_bag(tmp_path / "bag", {"a.txt": b"two"})
    path = zip_tree(bag, tmp_path / "bag.zip")
    with zipfile.ZipFile(path) as zf:
        kept = [(i, zf.read(i)) for i in zf.infolist() if i.filename != "bag/data/a.txt"]
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        for info, data in kept:
            zf.writestr(info, data)
        for data in order:
            zf.writestr("bag/data/a.txt", data)
    result = validate_bag(path)
    assert not result.valid
    [dup] = [p for p in result.report if p.code == "archive-member-duplicate"]
    assert "data/a.txt" in dup.message


def test_duplicate_tar_member_names_are_an_error(tmp_path: Path) -> None:
    import io
    import tarfile

    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    path = tmp_path / "bag.tar"
    with tarfile.open(path, "w") as tf:
        for p in sorted(bag.rglob("*")):
            tf.add(p, f"bag/{p.relative_to(bag).as_posix()}", recursive=False)
        info = tarfile.TarInfo("bag/data/a.txt")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"b"))
    assert "archive-member-duplicate" in codes(validate_bag(path))


def test_the_archive_limits_can_be_set(tmp_path: Path) -> None:
    from tests.validate_helpers import zip_tree

    bag = write_bag(tmp_path / "bag", {f"f{i}.txt": b"x" for i in range(20)})
    path = zip_tree(bag, tmp_path / "bag.zip")
    assert validate_bag(path).valid
    limits.configure({"archive-members": 10})
    assert "archive-too-many-members" in codes(validate_bag(path))
    limits.configure({"archive-members": 1000, "tag-file-bytes": 10})
    result = validate_bag(path)
    assert "tag-file-too-large" in codes(result)


# --- limits on lines, images; 18: a FIFO among the images ----------------------------------


def test_a_manifest_line_over_the_line_limit_stops_reading_with_its_code(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", {"a.txt": b"a"})
    with (bag / "manifest-sha256.txt").open("ab") as fh:
        fh.write(b"0" * 64 + b"  data/" + b"x" * 5000 + b"\n")
    limits.configure({"line-bytes": 1024})
    result = validate_bag(bag)
    [long] = [p for p in result.report if p.code == "tag-line-too-long"]
    assert long.path == "manifest-sha256.txt" and long.line == 2
    assert "line-bytes limit" in long.message and "can be raised" in long.message
    limits.reset()
    assert "tag-line-too-long" not in codes(validate_bag(bag))


def test_a_fifo_among_the_images_is_named_never_opened(tmp_path: Path) -> None:
    from bagsmith.ingest.article import read_article

    (tmp_path / "article.txt").write_text("A title\n\nText.\n\n1. A caption.\n")
    os.mkfifo(tmp_path / "01.jpg")
    result = read_article(tmp_path / "article.txt", tmp_path)
    [skipped] = [p for p in result.report if p.path and p.path.endswith("01.jpg")]
    assert skipped.code == "image-file-skipped" and "FIFO" in skipped.message


def test_the_image_pixels_limit_applies_and_can_be_raised(tmp_path: Path) -> None:
    from PIL import Image

    from bagsmith.ingest.images import characterise

    path = tmp_path / "01.png"
    Image.new("L", (200, 100)).save(path)
    limits.configure({"image-pixels": 10_000})
    checked = characterise(path)
    assert [p.code for p in checked.problems] == ["image-too-large"]
    limits.configure({"image-pixels": 1_000_000})
    assert not [p for p in characterise(path).problems if p.code == "image-too-large"]


def test_every_limit_has_a_documented_code_default_and_option() -> None:
    from bagsmith.problems import CATALOGUE

    doc = (Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text()
    for limit in limits.LIMITS.values():
        assert limit.code in CATALOGUE or limit.code == "usage", limit
        assert f"`{limit.name}`" in doc and f"`{limit.code}`" in doc, limit.name
        assert f"{limit.default:,}" in doc, limit.name


def test_the_figures_limit_reports_and_keeps_the_first(tmp_path: Path) -> None:
    from bagsmith.ingest.article import read_article

    captions = "".join(f"{n}. Caption {n}.\n\n" for n in range(1, 31))
    (tmp_path / "article.txt").write_text("A title\n\nText.\n\n" + captions)
    limits.configure({"figures": 10})
    result = read_article(tmp_path / "article.txt", tmp_path)
    assert "figures-too-many" in [p.code for p in result.report]
    assert len(result.article.figures) == 10
