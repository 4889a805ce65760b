"""Progress bars: on a terminal (a pty) with their total; nothing on a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

import bagsmith

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(*args: str, timeout: float = 60.0) -> tuple[int, str]:
    """Run ``bagsmith ARGS`` with stdout and stderr on a pseudo-terminal; (exit code, text)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bagsmith", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError("bagsmith did not finish on the terminal")
        try:
            data = os.read(leader, 65536)
        except OSError:  # the other end is closed: the process has finished
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout), ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def big_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    src = root / "src"
    src.mkdir()
    for i in range(3):
        (src / f"scan-{i}.tif").write_bytes(os.urandom(1024) * 2048)  # 2 MiB each
    return bagsmith.make_bag(src, root / "bag", algorithms="sha256").path


def test_validate_shows_its_total_from_payload_oxum_on_a_terminal(big_bag: Path) -> None:
    code, text = run_on_a_terminal("validate", str(big_bag))
    assert code == 0, text
    # the bar counts bytes against Payload-Oxum (6291456 bytes = 6.3 MB), not "?"
    assert re.search(r"validating .* 0\.0/6\.3 MB", text), text  # known before any hashing
    assert f"{big_bag}: valid" in text


def test_nothing_but_the_result_on_a_pipe(big_bag: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bagsmith", "validate", str(big_bag)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert proc.stderr == "" and proc.stdout.startswith(f"{big_bag}: valid")
