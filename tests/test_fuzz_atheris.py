"""The coverage-guided fuzzer (atheris, scripts/fuzz.py) run briefly on every target: a few
seconds each in CI; hours when run by hand (docs/reliability.md). A crash, a hang (over
10 s for one input) or memory over 1 GiB fails the test and leaves the input in the test's
temporary folder, to be added to tests/fuzz_regressions/TARGET/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import fuzzing

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 3

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
    )
    found = sorted(
        p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-"))
    )
    assert proc.returncode == 0 and not found, (found, proc.stderr[-4000:])
