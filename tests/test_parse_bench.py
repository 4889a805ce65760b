"""Smoke test of bench/parse_steps.py on a tiny collection, so the script cannot rot.

No timing is asserted: the numbers of a tiny run mean nothing. What is checked is that every
piece of the parse side is reported, and that ``--loops`` (for instruction counts) runs quietly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "bench" / "parse_steps.py"


@pytest.mark.slow
def test_parse_steps_runs_on_a_tiny_collection(tmp_path: Path) -> None:
    args = [sys.executable, str(SCRIPT), "--workdir", str(tmp_path)]
    args += ["--articles", "2", "--images", "2", "--size", "40x30", "--rounds", "1"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for piece in ("parse_article", "parse_text", "analyse", "plan_layout", "_record_bytes"):
        assert any(
            piece in line and "ms CPU per article" in line for line in done.stdout.splitlines()
        ), done.stdout
    quiet = subprocess.run([*args, "--loops", "1"], capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stdout == "", quiet.stderr
