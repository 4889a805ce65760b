"""fixity: one-pass hashing of small and large files, bounded memory, quiet workers on Ctrl-C."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bagsmith import fixity

ALGS = ["md5", "sha1", "sha256", "sha512"]


@pytest.mark.parametrize(
    "size",
    [
        0,
        1,
        fixity.SMALL_FILE - 1,
        fixity.SMALL_FILE,
        fixity.SMALL_FILE + 1,  # first size hashed through the reusable buffer
        fixity.SMALL_FILE + 3 * fixity.READ_CHUNK + 17,  # a partial last chunk
    ],
)
def test_hash_file_matches_hashlib_on_both_sides_of_the_small_file_limit(
    tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    digests, got = fixity.hash_file(path, ALGS)
    assert got == size
    assert digests == {a: hashlib.new(a, data).hexdigest() for a in ALGS}


def test_hash_file_errors_are_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fixity.hash_file(tmp_path / "absent", ["sha256"])
    with pytest.raises(IsADirectoryError):
        fixity.hash_file(tmp_path, ["sha256"])


def test_hashing_a_large_file_keeps_memory_at_one_buffer(tmp_path: Path) -> None:
    """A 256 MiB file must not enter the resident set (as an mmap of it would: ~260 MB)."""
    path = tmp_path / "sparse.bin"
    with open(path, "wb") as fh:
        fh.truncate(256 * 1024 * 1024)  # sparse: reads as zeros, takes no disk space
    script = textwrap.dedent(
        """
        import json, resource, sys
        from bagsmith import fixity
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        digests, size = fixity.hash_file(sys.argv[1], ["sha256"])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"grew_kb": after - before, "size": size, "sha256": digests["sha256"]}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    assert result["size"] == 256 * 1024 * 1024
    zeros = hashlib.sha256()
    block = bytes(1024 * 1024)
    for _ in range(256):
        zeros.update(block)
    assert result["sha256"] == zeros.hexdigest()
    assert result["grew_kb"] < 32 * 1024  # a few buffers, not the file


def _sigint_disposition(
    path: object, algorithms: object, **options: object
) -> tuple[list[bytes], int]:
    handler = signal.getsignal(signal.SIGINT)
    return [getattr(handler, "name", str(handler)).encode()], 0


def test_hash_many_workers_ignore_sigint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Workers are forked, so they run this stand-in for digest_file and report what they do
    # with SIGINT; the main process keeps its own handler (Ctrl-C still stops the run).
    monkeypatch.setattr(fixity, "digest_file", _sigint_disposition)
    # as in a terminal's foreground job, whatever the suite inherited (a job started in the
    # background by a shell without job control has SIGINT ignored, and Python keeps that)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        jobs = [fixity.HashJob(f"f{i}", str(tmp_path / f"f{i}"), 1_000_000) for i in range(8)]
        results = list(fixity.hash_many(jobs, ["sha256"], processes=2, total_bytes=8_000_000))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert {bytes.fromhex(r.digests["sha256"]) for r in results if r.digests} == {b"SIG_IGN"}


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT are POSIX")
def test_ctrl_c_with_idle_workers_prints_no_worker_traceback(tmp_path: Path) -> None:
    """Ctrl-C on a terminal signals the whole process group, idle workers included.

    Workers waiting for work used to die with one ``KeyboardInterrupt`` traceback each; now
    only the main process reacts (and stops the pool).
    """
    (tmp_path / "f").write_bytes(b"x")
    script = textwrap.dedent(
        """
        import sys, time
        from bagsmith import fixity
        jobs = [fixity.HashJob(str(i), sys.argv[1], 1) for i in range(4)]
        def progress(done, count):
            print("progress", flush=True)
            time.sleep(60)  # the workers are idle now, waiting for more work
        try:
            for _ in fixity.hash_many(jobs, ["sha256"], processes=2, total_bytes=1 << 30,
                                      progress=progress):
                pass
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "f")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
        # and SIGINT not ignored, as in one (even when the suite runs as a background job)
        preexec_fn=_sigint_default,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "progress"
    time.sleep(0.3)  # let the workers go back to waiting (only makes the check stricter)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_a_pool_worker_whose_main_process_is_already_gone_exits_at_once() -> None:
    # the main process can die between a worker's fork and its request to be killed with it
    # (PR_SET_PDEATHSIG is not inherited across that gap): the worker must not wait for ever
    code = "from bagsmith.fixity import worker_init; worker_init({}); print('waiting')"
    gone = subprocess.run(
        [sys.executable, "-c", code.format(2**22 + 12345)],  # not our parent: it died
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gone.returncode == -signal.SIGKILL and "waiting" not in gone.stdout
    alive = subprocess.run(
        [sys.executable, "-c", code.format("__import__('os').getppid()")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert alive.returncode == 0 and alive.stdout.strip() == "waiting"


def test_the_hashing_pool_tells_its_workers_who_their_main_process_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # forked workers inherit this stand-in: they see a parent other than the pool's and leave
    monkeypatch.setattr(os, "getppid", lambda: 2**22 + 12345)
    from concurrent.futures.process import BrokenProcessPool

    with pytest.raises(BrokenProcessPool), fixity.process_pool(1) as pool:
        pool.submit(os.getpid).result(timeout=60)


@pytest.mark.parametrize(
    ("digest", "valid"),
    [
        ("ab" * 32, True),
        ("AB" * 32, True),
        ("0x" + "ab" * 31, False),  # int(…, 16) reads a Python number: it took these
        ("0X" + "ab" * 31, False),
        ("ab" * 31 + "a_", False),
        (" " + "ab" * 31 + "a", False),
        ("ab" * 31 + "ag", False),
        ("ab" * 31 + "a\u0663", False),  # an Arabic-Indic digit: int() took it too
        ("ab" * 31, False),
    ],
)
def test_a_digest_is_hex_digits_only(digest: str, valid: bool) -> None:
    assert fixity.is_valid_digest("sha256", digest) is valid
    assert not fixity.is_valid_digest("no-such-algorithm", digest)
