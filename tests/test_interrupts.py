"""Ctrl-C and SIGKILL at random points of ``bag``, ``package`` and ``deposit`` (issue 17,
finding 17): the sources stay byte-identical, the destination never holds an incomplete bag,
and the exit code and the last message say what happened.

Each command is first timed once; the signals then land at random points over that time
(seeded: a failure names its seed and delay), several probes at once. What is asserted holds
wherever the signal lands, so a loaded machine changes only which points are hit:

* SIGKILL: the final name is absent or a complete, valid bag;
* SIGINT: exit 130 with ``error[interrupted]`` — and the message says the output is complete
  exactly when it is there (``complete in place``) — or exit 0 with a complete bag (the
  signal came after the work was done); never a traceback, never click's ``Aborted!``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bagsmith.bagit.validate import Mode, validate_bag
from tests.test_package_support import make_example
from tests.validate_helpers import tree_fingerprint, write_bag

POINTS = 20  # per command, half SIGINT, half SIGKILL
PARALLEL = 4
SEED = int(os.environ.get("BAGSMITH_INTERRUPT_SEED", random.randrange(1 << 30)))


@dataclass
class Probe:
    signum: int
    delay: float
    returncode: int
    stderr: str
    stdout: str


def run_probe(argv: list[str], env: dict[str, str], signum: int, delay: float) -> Probe:
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    return Probe(signum, delay, proc.returncode, err, out)


def probes(
    make_argv: Callable[[int], list[str]], env: dict[str, str], duration: float
) -> list[tuple[int, Probe]]:
    rng = random.Random(SEED)
    plan = [
        (i, signal.SIGINT if i % 2 == 0 else signal.SIGKILL, rng.uniform(0, duration * 1.1))
        for i in range(POINTS)
    ]
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = [
            (i, pool.submit(run_probe, make_argv(i), env, signum, delay))
            for i, signum, delay in plan
        ]
        return [(i, f.result()) for i, f in futures]


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=300)
    return time.monotonic() - start


def before_bagsmith(probe: Probe) -> bool:
    """Ctrl-C while Python itself was starting (``site`` and the ``.pth`` files it runs,
    ``runpy``), before the first line of bagsmith's own code could take Ctrl-C over:
    Python's traceback (or "Fatal Python error: init_import_site") and its own exit status,
    nothing written. No program written in Python can answer that one."""
    if probe.returncode == -signal.SIGINT and not probe.stderr and not probe.stdout:
        return True  # before Python had installed any handler: the default action
    frames = [line for line in probe.stderr.splitlines() if line.lstrip().startswith("File ")]
    ours = [f for f in frames if "bagsmith" in f and "bagsmith/__init__.py" not in f]
    return (
        probe.returncode in (-signal.SIGINT, 1)
        and "KeyboardInterrupt" in probe.stderr
        and "bagsmith: " not in probe.stderr
        and not ours
        and not probe.stdout
    )


def check_outcome(probe: Probe, final: Path, complete: Callable[[Path], bool]) -> None:
    where = f"(seed {SEED}, {signal.Signals(probe.signum).name} after {probe.delay:.3f} s)"
    present = final.exists()
    assert not present or complete(final), f"an incomplete bag at the destination {where}"
    if probe.signum == signal.SIGINT and before_bagsmith(probe):
        assert not present, where
        return
    assert "Traceback" not in probe.stderr, where + probe.stderr
    assert "Aborted!" not in probe.stderr, where + probe.stderr
    if probe.signum == signal.SIGKILL:
        assert probe.returncode in (0, -signal.SIGKILL), where
        return
    assert probe.returncode in (0, 130), where + probe.stderr
    if probe.returncode == 0:
        assert present, f"exit 0 without the bag {where}"
        return
    assert "error[interrupted]" in probe.stderr, where + probe.stderr
    says_complete = "complete in place" in probe.stderr
    assert says_complete == present, f"the message does not say what happened {where}: " + (
        probe.stderr
    )


def valid_bag(path: Path) -> bool:
    return validate_bag(path, mode=Mode.FULL, processes=1).valid


def base_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BAGSMITH_DATA_DIR"] = str(tmp_path / "userdata")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "userconfig")
    env.pop("BAGSMITH_LIMITS", None)
    return env


def sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    rng = random.Random(7)
    for i in range(40):
        (src / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i % 4}" / f"f{i:03}.bin").write_bytes(rng.randbytes(20_000))
    return src


def test_bag_interrupted_or_killed_anywhere(tmp_path: Path) -> None:
    src = sources(tmp_path)
    before = tree_fingerprint(src)
    env = base_env(tmp_path)
    out = tmp_path / "out"
    out.mkdir()

    def argv(i: int) -> list[str]:
        return [sys.executable, "-m", "bagsmith", "bag", str(src), "-o", str(out / f"b{i}")]

    duration = timed(argv(-1), env)
    results = probes(argv, env, duration)
    for i, probe in results:
        check_outcome(probe, out / f"b{i}", valid_bag)
    assert tree_fingerprint(src) == before


def test_package_interrupted_or_killed_anywhere(tmp_path: Path, schema_cache: Path) -> None:
    example = make_example(tmp_path / "src")
    before = tree_fingerprint(example)
    env = base_env(tmp_path)
    env["BAGSMITH_SCHEMA_DIR"] = str(schema_cache)
    out = tmp_path / "out"
    out.mkdir()

    def argv(i: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "bagsmith",
            "package",
            str(example / "article" / "article.txt"),
            "--images",
            str(example / "article"),
            "--metadata",
            str(example / "metadata.yaml"),
            "--output",
            str(out / f"p{i}"),
            "--created",
            "2026-11-27T09:30:00Z",
            "--processes",
            "1",
            "--info",
            "Source-Organization=Example Archive",
        ]

    duration = timed(argv(-1), env)
    results = probes(argv, env, duration)
    for i, probe in results:
        check_outcome(probe, out / f"p{i}", valid_bag)
    assert tree_fingerprint(example) == before


def test_deposit_interrupted_or_killed_anywhere(tmp_path: Path) -> None:
    rng = random.Random(3)
    bag = write_bag(tmp_path / "bag", {f"f{i:03}.bin": rng.randbytes(50_000) for i in range(60)})
    before = tree_fingerprint(bag)
    env = base_env(tmp_path)
    roots = tmp_path / "roots"

    def argv(i: int) -> list[str]:
        root = roots / f"r{i}"
        root.mkdir(parents=True, exist_ok=True)
        return [sys.executable, "-m", "bagsmith", "deposit", str(bag), "--to", root.as_uri()]

    duration = timed(argv(-1), env)
    results = probes(argv, env, duration)
    for i, probe in results:
        final = roots / f"r{i}" / "bag"
        check_outcome(probe, final, valid_bag)
        if probe.returncode == 0 and probe.signum == signal.SIGINT:
            assert "deposited" in probe.stdout
    assert tree_fingerprint(bag) == before
    shutil.rmtree(roots)


@pytest.mark.parametrize("command", [["validate", "--help"], ["bag", "--help"]])
def test_an_interrupt_while_starting_exits_130_with_bagsmith_words(command: list[str]) -> None:
    """Ctrl-C before a command starts its work (click parsing, imports): 130, not 'Aborted!'."""
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2):
        probe = run_probe(
            [sys.executable, "-m", "bagsmith", *command], dict(os.environ), signal.SIGINT, delay
        )
        assert "Aborted!" not in probe.stderr
        if before_bagsmith(probe):
            continue
        assert "Traceback" not in probe.stderr
        if probe.returncode != 0:
            assert probe.returncode == 130, probe
            assert "error[interrupted]" in probe.stderr


def test_a_ctrl_c_python_swallows_prints_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    """Python reports an exception it swallows (an import-lock callback, a finaliser) with
    'Exception ignored in' and a traceback; a swallowed Ctrl-C is bagsmith's to report."""
    from bagsmith.cli.common import noting_interrupts

    class RaisesOnDelete:
        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        def __del__(self) -> None:
            raise self.exc

    with noting_interrupts():
        RaisesOnDelete(KeyboardInterrupt())
        assert capfd.readouterr().err == ""
        RaisesOnDelete(ValueError("other"))  # anything else is still reported as Python does
        assert "ValueError: other" in capfd.readouterr().err
