"""Property tests (Hypothesis) of every reader of untrusted input: any bytes give a result or
problems with codes or one of bagsmith's errors — never another exception, never a hang
(a deadline per input). The coverage-guided fuzzer behind the same targets, and the crashes
it found (replayed here), are described in docs/reliability.md."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import fuzzing

REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
SETTINGS = settings(
    max_examples=30,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # reproducible in CI; hours of random search: scripts/fuzz.py
)


def mutated(target: str) -> st.SearchStrategy[bytes]:
    """Random bytes, and the target's seeds with bytes flipped, cut or inserted."""
    seeds = fuzzing.seeds(target)

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(1, 8))):
            if not data:
                break
            at = draw(st.integers(0, len(data) - 1))
            kind = draw(st.sampled_from(["flip", "cut", "insert"]))
            if kind == "flip":
                data[at] = draw(st.integers(0, 255))
            elif kind == "cut":
                del data[at : at + draw(st.integers(1, 64))]
            else:
                data[at:at] = draw(st.binary(min_size=1, max_size=64))
        return bytes(data)

    return st.one_of(st.binary(max_size=4096), mutate())


@pytest.mark.parametrize("target", sorted(fuzzing.TARGETS))
def test_any_input_gives_a_result_or_problems(target: str) -> None:
    function = fuzzing.TARGETS[target]

    @SETTINGS
    @given(mutated(target))
    def check(data: bytes) -> None:
        function(data)

    check()


@pytest.mark.parametrize(
    "case",
    sorted(p for p in REGRESSIONS.glob("*/*") if p.is_file()),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_crashes_found_by_fuzzing_stay_fixed(case: Path) -> None:
    fuzzing.TARGETS[case.parent.name](case.read_bytes())


def test_the_private_input_folder_is_removed_at_exit() -> None:
    """Every process that imports the targets (each xdist worker, each fuzzing run) writes
    under its own temporary folder; nothing of it may be left behind in the system's /tmp."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    code = "from tests import fuzzing; fuzzing.tag_files(b'x'); print(fuzzing._ROOT)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    folder = Path(done.stdout.strip())
    assert folder.name.startswith("bagsmith-fuzz-")
    assert not folder.exists()
