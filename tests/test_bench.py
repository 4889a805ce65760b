"""Smoke test of bench/bench_bagit.py on tiny generated payloads, so the script cannot rot.

No timing is asserted: the numbers of a tiny run mean nothing. What is checked is that every
scenario runs both tools to completion on valid bags and reports its row.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "bench" / "bench_bagit.py"
SCENARIOS = [
    "small-validate",
    "small-fast",
    "small-create",
    "small-create-tmpfs",
    "mixed-validate",
    "large-validate",
    "rss-100k",
    "rss-1m",
]


@pytest.mark.slow
def test_bench_runs_every_scenario_at_tiny_scale(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    cmd = [sys.executable, str(SCRIPT), "--scale", "tiny", "--workdir", str(tmp_path / "work")]
    cmd += ["--tmpfs", str(tmp_path / "ram"), "--repeat", "1", "--settle", "0", "--quiet-wait", "0"]
    cmd += ["--json", str(out)]
    proc = subprocess.run([*cmd, "--only", *SCENARIOS], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["scale"] == "tiny" and doc["repeat"] == 1
    rows = {row["scenario"]: row for row in doc["rows"]}
    expected = set(SCENARIOS) - {"large-validate"}
    expected |= {"large-validate (engine)", "large-validate (CLI)"}
    assert set(rows) == expected
    assert all(row["ok"] for row in rows.values())
    for name in ("small-validate", "small-fast", "small-create", "mixed-validate"):
        assert rows[name]["ratio"] > 0 and rows[name]["target"].startswith(">=")
    assert rows["large-validate (engine)"]["ratio"] > 0
    assert "MB peak RSS" in rows["rss-1m"]["ours"]
    for name in expected:  # the printed table has one line per row
        assert name in proc.stdout
    # the tiny payloads were generated and bagged once, and reused by a second run
    work = tmp_path / "work"
    assert (work / "tiny-small-bagit" / "bagit.txt").is_file()
    assert len(list((work / "tiny-small-src").rglob("*.bin"))) == 200
    again = subprocess.run([*cmd, "--only", "small-fast"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "small-fast" in again.stdout
