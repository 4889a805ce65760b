"""Smoke test of bench/bench_floor.py and bench/floor.py on tiny payloads, so they cannot rot.

No timing is asserted (the numbers of a tiny run mean nothing): every scenario runs bagsmith
and the floor to completion and reports its row.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"


@pytest.mark.slow
def test_bench_floor_runs_every_scenario_on_tiny_payloads(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    cmd = [sys.executable, str(BENCH / "bench_floor.py"), "--workdir", str(tmp_path / "w")]
    cmd += ["--small-files", "200", "--large-mib", "5", "--files", "1500", "--repeat", "1"]
    proc = subprocess.run([*cmd, "--json", str(out), "--clean"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {row["scenario"]: row for row in json.loads(out.read_text())["rows"]}
    assert set(rows) == {
        "small",
        "small-fast",
        "large",
        "rss bag (1,500 files)",
        "rss validate (1,500 files)",
    }
    assert all(row["ok"] for row in rows.values())
    assert all(row["ratio"] > 0 for name, row in rows.items() if not name.startswith("rss"))
    assert "MB peak RSS" in rows["rss validate (1,500 files)"]["bagsmith"]
    assert not (tmp_path / "w").exists()  # --clean


def test_floor_script_hashes_and_sums_sizes(tmp_path: Path) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "a").write_bytes(b"abc")
    (tmp_path / "d" / "e" / "b").write_bytes(b"x" * (3 << 20))  # over one 1 MiB buffer
    for mode in (["hash", str(tmp_path / "d"), "sha256"], ["sizes", str(tmp_path / "d")]):
        proc = subprocess.run(
            [sys.executable, str(BENCH / "floor.py"), *mode], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"2 files, {3 + (3 << 20)} bytes"
    usage = subprocess.run(
        [sys.executable, str(BENCH / "floor.py"), "--help"], capture_output=True, text=True
    )
    assert usage.returncode == 0 and "floor.py hash DIR" in usage.stdout
