"""The coverage-guided fuzzer (atheris, scripts/fuzz.py) in CI: every target replays its
corpus — the inputs hours of fuzzing kept because they reach new code (tests/fuzz_corpus/,
merged from the long runs in docs/reliability.md), its seeds and the crashes it found — once,
instrumented, under the fuzzer's limits (over 10 s for one input is a hang; over 1 GiB of
memory a failure). What runs is the same on every machine and every run.

Exploring from there (libFuzzer mutating and keeping what reaches new code) is what the long
runs do, by hand: two explorations with the same seed and number of inputs were measured to
part ways after about 1,200 inputs (docs/reliability.md), so in CI one would find different
inputs on different runs — a red build on a commit that changed nothing. Deterministic
mutation of every target runs in CI through Hypothesis (tests/test_fuzz_properties.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import fuzzing

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "fuzz_corpus"
REGRESSIONS = Path(__file__).parent / "fuzz_regressions"

pytest.importorskip("atheris", reason="atheris is not installed (the test extra has it)")


def inputs_of(target: str, folder: Path) -> int:
    folder.mkdir()
    for i, seed in enumerate(fuzzing.seeds(target)):
        (folder / f"seed-{i}").write_bytes(seed)
    for kept in (CORPUS / target, REGRESSIONS / target):
        if kept.is_dir():
            for path in kept.iterdir():
                shutil.copyfile(path, folder / f"{kept.parent.name}-{path.name}")
    return len(list(folder.iterdir()))


@pytest.mark.parametrize("target", sorted(fuzzing.TARGETS))
def test_the_fuzzers_corpus_replays_without_a_crash(target: str, tmp_path: Path) -> None:
    count = inputs_of(target, tmp_path / "inputs")
    assert (CORPUS / target).is_dir(), f"no corpus for {target}: see docs/reliability.md"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "fuzz.py"),
            target,
            "-runs=0",  # the inputs only, each once: no exploration
            "-timeout=10",
            "-rss_limit_mb=1024",
            f"-artifact_prefix={tmp_path}/",
            str(tmp_path / "inputs"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = sorted(
        p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-"))
    )
    assert proc.returncode == 0 and not found, (found, proc.stderr[-4000:])
    assert f"INFO: seed corpus: files: {count} " in proc.stderr, proc.stderr[-2000:]
