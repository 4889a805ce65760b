"""Smoke test of bench/bench_jpegcheck.py at a tiny scale, so the script cannot rot.

No timing is asserted: the numbers of a tiny run mean nothing. What is checked is that every
part runs and reports, and that no damaged copy Pillow's decode rejects passes the walk.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_bench_jpegcheck_runs_at_a_tiny_scale(tmp_path: Path) -> None:
    args = [sys.executable, str(ROOT / "bench" / "bench_jpegcheck.py"), "--workdir", str(tmp_path)]
    args += ["--photos", "2", "--repeat", "1", "--variants", "60", "--seed", "3"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "1. cost: 2 photographs" in out and "Pillow decode at 1/8 (draft)" in out
    assert out.count("/100, the walk") == 3
    assert "3. 60 damaged copies" in out
    assert "rejected by Pillow's decode, passed by the walk: 0" in out
