"""Atomic creation: interrupting a real `bagsmith bag` process leaves no DEST or a valid bag."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import bagit
import pytest

from bagsmith.bagit import staging
from bagsmith.pipeline.bagging import BagOptions, create_bag

DIRS = 30
FILES_PER_DIR = 100


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
            out[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("atomic") / "src"
    for d in range(DIRS):
        folder = src / f"d{d:03d}"
        folder.mkdir(parents=True)
        for f in range(FILES_PER_DIR):
            (folder / f"f{f:03d}.bin").write_bytes(os.urandom(4096))
    (src / "d000" / "big.bin").write_bytes(os.urandom(16 * 1024 * 1024))
    return src


def start(src: Path, dest: Path) -> subprocess.Popen[bytes]:
    code = "import sys; from bagsmith.cli import main; sys.exit(main())"
    return subprocess.Popen(
        [sys.executable, "-c", code, "bag", str(src), "--output", str(dest), "--processes", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out


def wait_gone(pids: list[int], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)]
        if not alive:
            return
        time.sleep(0.02)
    raise AssertionError(f"worker processes still running: {alive}")


def _zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False


def wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.001)
    return False


def check_outcome(dest: Path) -> None:
    """Either no DEST or a complete, valid bag."""
    if dest.exists():
        bagit.Bag(str(dest)).validate()


needs_proc = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")


@pytest.mark.slow
@needs_proc
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_mid_run_removes_staging(
    signum: signal.Signals, big_source: Path, tmp_path: Path
) -> None:
    before = snapshot(big_source)
    dest = tmp_path / "bag"
    proc = start(big_source, dest)
    stage = tmp_path / f".bag{staging.STAGING}{proc.pid}"
    reached = wait_for(stage / "data" / "d001", proc)
    workers = children(proc.pid)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    wait_gone(workers)
    assert reached, "the run ended before it could be interrupted"
    assert proc.returncode == 130, err.decode()
    assert b"interrupted" in err and b"Traceback" not in err
    assert not dest.exists()
    check_outcome(dest)
    assert not stage.exists()
    assert snapshot(big_source) == before


@pytest.mark.slow
@needs_proc
def test_sigkill_leaves_no_dest_and_next_run_cleans_up(big_source: Path, tmp_path: Path) -> None:
    before = snapshot(big_source)
    dest = tmp_path / "bag"
    proc = start(big_source, dest)
    stage = tmp_path / f".bag{staging.STAGING}{proc.pid}"
    reached = wait_for(stage / "data" / f"d{DIRS // 2:03d}", proc)
    workers = children(proc.pid)
    proc.kill()
    proc.communicate(timeout=60)
    wait_gone(workers)  # the workers die with the main process
    assert reached, "the run ended before it could be killed"
    assert not dest.exists()
    assert stage.is_dir()  # a hard kill cannot clean up ...
    assert snapshot(big_source) == before
    result = create_bag([big_source], dest, BagOptions(processes=2))  # ... the next run does
    assert [w.code for w in result.warnings] == ["stale-staging-removed"]
    assert not stage.exists()
    bagit.Bag(str(dest)).validate()
    assert result.files == DIRS * FILES_PER_DIR + 1
    assert snapshot(big_source) == before


def test_stale_staging_of_live_process_is_left_alone(tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    live = tmp_path / f".bag{staging.STAGING}{os.getppid()}"
    dead_pid = 2**22 + 12345  # above the default pid_max: no such process
    dead = tmp_path / f".bag{staging.STAGING}{dead_pid}"
    partial = tmp_path / f".bag{staging.PARTIAL}{dead_pid}"
    other = tmp_path / f".other{staging.STAGING}{dead_pid}"
    for folder in (live, dead, other):
        folder.mkdir()
    partial.write_bytes(b"half an archive")
    assert staging.remove_stale(dest) == [partial, dead]
    assert live.is_dir() and other.is_dir() and not dead.exists()


def test_stale_staging_of_a_killed_process_not_yet_reaped_is_removed(tmp_path: Path) -> None:
    # a worker killed mid-bag is a zombie until its parent waits for it; kill(pid, 0) still
    # succeeds, but it will never write again: the next run must not wait for the parent
    dest = tmp_path / "bag"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    zombie = tmp_path / f".bag{staging.STAGING}{child.pid}"
    zombie.mkdir()
    try:
        deadline = time.monotonic() + 30
        while Path(f"/proc/{child.pid}/stat").read_bytes().split(b") ")[1][:1] != b"Z":
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.01)
        os.kill(child.pid, 0)  # not reaped: the pid still answers
        assert not staging.pid_alive(child.pid)
        assert staging.remove_stale(dest) == [zombie]
    finally:
        child.wait()
    assert not zombie.exists()


def test_error_after_copy_removes_staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    from bagsmith.pipeline import bagging

    def fail(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bagging, "write_tag_files", fail)
    with pytest.raises(bagging.Interrupted):
        create_bag([src], tmp_path / "bag")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
