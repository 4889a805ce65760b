"""The coverage-guided fuzzer (atheris, scripts/fuzz.py) run briefly on every target: a fixed,
reproducible exploration in CI (a set seed and number of inputs, so a run on a loaded machine
explores what a run on a quiet one does, and CI never fails on luck); hours, with random seeds,
when run by hand (docs/reliability.md). A crash, a hang (over
10 s for one input) or memory over 1 GiB fails the test and leaves the input in the test's
temporary folder, to be added to tests/fuzz_regressions/TARGET/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import fuzzing

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 60  # a cap only: RUNS inputs take a few seconds
SEED = 1
RUNS = 4000

pytest.importorskip("atheris", reason="atheris is not installed (the test extra has it)")


@pytest.mark.parametrize("target", sorted(fuzzing.TARGETS))
def test_the_fuzzer_finds_no_crash_in_a_few_seconds(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(fuzzing.seeds(target)):
        (corpus / f"seed-{i}").write_bytes(seed)
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "fuzz.py"),
            target,
            f"-seed={SEED}",
            f"-runs={RUNS}",
            f"-max_total_time={SECONDS}",
            "-timeout=10",
            "-rss_limit_mb=1024",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = sorted(
        p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-"))
    )
    assert proc.returncode == 0 and not found, (found, proc.stderr[-4000:])
