"""Progress bars: on a terminal (a pty) with their total and the time left; nothing on a pipe.

Every long operation goes through the one display of ``cli/progress.py``. The bar is drawn as
soon as it is opened (and again when its total is found), so the first frame, with nothing
done yet, is always on the terminal: ``0.0/6.3 MB`` and the time left not known yet
(``-:--:--``). Nothing here depends on how fast the work goes.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bagsmith

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: the first frame of a bar of bytes: nothing done of the total, the time left not known yet
FIRST_FRAME = r"0\.0/{total} MB .*-:--:--"


def run_on_a_terminal(*args: str, timeout: float = 60.0) -> tuple[int, str]:
    """Run ``bagsmith ARGS`` with stdout and stderr on a pseudo-terminal; (exit code, text)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "160", "LINES": "40"}
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
    # known before any hashing, and with it the time left
    assert re.search("validating .*" + FIRST_FRAME.format(total=r"6\.3"), text), text
    assert f"{big_bag}: valid" in text


def test_nothing_but_the_result_on_a_pipe(big_bag: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bagsmith", "validate", str(big_bag)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert proc.stderr == "" and proc.stdout.startswith(f"{big_bag}: valid")


def on_a_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bagsmith", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where deposit keeps its record (inherited by the bagsmith processes)."""
    monkeypatch.setenv("BAGSMITH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _copy(bag: Path, dest: Path) -> Path:
    shutil.copytree(bag, dest)
    return dest


def test_bag_shows_its_total_on_a_terminal_and_nothing_on_a_pipe(
    big_bag: Path, tmp_path: Path
) -> None:
    src = big_bag / "data"
    code, text = run_on_a_terminal("bag", str(src), "-o", str(tmp_path / "one"))
    assert code == 0, text
    assert re.search("Copying and hashing .*" + FIRST_FRAME.format(total=r"6\.3"), text), text
    piped = on_a_pipe("bag", str(src), "-o", str(tmp_path / "two"))
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert piped.stdout.startswith("Bagged")


def test_update_shows_its_total_on_a_terminal_and_nothing_on_a_pipe(
    big_bag: Path, tmp_path: Path
) -> None:
    code, text = run_on_a_terminal("update", str(_copy(big_bag, tmp_path / "a")))
    assert code == 0, text
    assert re.search("Hashing .*" + FIRST_FRAME.format(total=r"6\.3"), text), text
    piped = on_a_pipe("update", str(_copy(big_bag, tmp_path / "b")))
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr


def test_deposit_shows_its_total_on_a_terminal_and_nothing_on_a_pipe(
    big_bag: Path, tmp_path: Path, data_dir: Path
) -> None:
    for name in ("share-1", "share-2"):
        (tmp_path / name).mkdir()
    code, text = run_on_a_terminal("deposit", str(big_bag), "--to", (tmp_path / "share-1").as_uri())
    assert code == 0, text
    # the total is the payload's (Payload-Oxum), known once bag-info.txt is read
    assert re.search("Validating and hashing .*" + FIRST_FRAME.format(total=r"6\.3"), text), text
    # then the copy to the target, a second phase of the bar with its own total (the bag's
    # files, tag files included: 6291456 bytes and a few hundred)
    assert re.search("Sending .*" + FIRST_FRAME.format(total=r"6\.3"), text), text
    piped = on_a_pipe("deposit", str(big_bag), "--to", (tmp_path / "share-2").as_uri())
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert "deposited and verified" in piped.stdout


def test_audit_counts_bags_and_bytes_on_a_terminal_and_prints_only_its_result_on_a_pipe(
    big_bag: Path, tmp_path: Path
) -> None:
    root = tmp_path / "storage"
    _copy(big_bag, root / "one")
    code, text = run_on_a_terminal("audit", str(root), "--workers", "1")
    assert code == 0, text
    assert re.search(r"Auditing 1 bags .*0/1 bags +" + FIRST_FRAME.format(total=r"6\.3"), text)
    piped = on_a_pipe("audit", str(root), "--workers", "1")
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert "Auditing" not in piped.stdout and "bags" in piped.stdout


def test_package_and_batch_show_their_totals_on_a_terminal_and_nothing_on_a_pipe(
    tmp_path: Path, schema_cache: Path
) -> None:
    from tests.batch_helpers import make_collection

    coll = make_collection(tmp_path / "coll", 1)
    article = coll / "art-01"
    org = ["-i", "Source-Organization=Test Archive", "-i", "Contact-Name=Ann"]
    org += ["-i", "Contact-Email=ann@example.org"]
    package = ["package", str(article / "article.txt"), "--images", str(article / "images")]
    code, text = run_on_a_terminal(*package, "-o", str(tmp_path / "p1"), *org)
    assert code == 0, text
    assert re.search(r"Copying and hashing .*0\.0/[0-9.]+ kB .*-:--:--", text), text
    assert re.search(r"Validating .*0\.0/[0-9.]+ kB .*-:--:--", text), text
    piped = on_a_pipe(*package, "-o", str(tmp_path / "p2"), *org)
    assert piped.returncode == 0, piped.stderr
    assert "Copying" not in piped.stderr and "Validating" not in piped.stderr

    batch = ["batch", str(coll), "--workers", "1", *org]
    code, text = run_on_a_terminal(*batch, "-o", str(tmp_path / "b1"))
    assert code == 0, text
    first = r"Packaging 1 articles .*0/1 articles +0\.0/[0-9.]+ kB .*-:--:--"
    assert re.search(first, text), text
    piped = on_a_pipe(*batch, "-o", str(tmp_path / "b2"))
    assert piped.returncode == 0, piped.stderr
    assert "Packaging" not in piped.stderr and "articles" not in piped.stderr
