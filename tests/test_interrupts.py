"""Ctrl-C and SIGKILL at every kind of point of ``bag``, ``package`` and ``deposit`` (issue
17, finding 17): the sources stay byte-identical, the destination never holds an incomplete
bag, and the exit code and the last message say what happened.

The points are exact and repeatable (``tests/interrupt_driver.py``): the command's *steps*
are the interpreter's audit events on its folders (each file read, written, renamed or
removed), counted in a first run; the probes then send SIGINT, and SIGKILL, at 20 steps
spread from the first to the last. No timing is involved, so a loaded machine hits the same
points as a quiet one, and a failure names its step. A few probes at real times remain: the
first milliseconds of the program (Python starting, bagsmith's imports) and ``bag`` with its
worker processes.

What is asserted holds at every point:

* SIGKILL: the final name is absent or a complete, valid bag;
* SIGINT: exit 130 with ``error[interrupted]`` — and the message says the output is complete
  exactly when it is there (``complete in place``) — or exit 0 with a complete bag (the
  signal came after the work was done); never a traceback, never click's ``Aborted!``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bagsmith.bagit.validate import Mode, validate_bag
from tests.test_package_support import make_example
from tests.validate_helpers import tree_fingerprint, write_bag

POINTS = 20  # steps per command, each probed with SIGINT and with SIGKILL
DRIVER = Path(__file__).with_name("interrupt_driver.py")


@dataclass
class Probe:
    signum: int
    where: str  # "step 12 of 108", "after 0.350 s"
    returncode: int
    stderr: str
    stdout: str


def run_probe(argv: list[str], env: dict[str, str], signum: int, delay: float) -> Probe:
    """A signal at a real time: the command as its own program."""
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    return Probe(signum, f"after {delay:.3f} s", proc.returncode, err, out)


def stepped_probes(
    argv: list[str], watch: list[Path], env: dict[str, str], **plan: object
) -> dict[str, Probe]:
    """SIGINT and SIGKILL at POINTS steps of the command, spread over all its steps; by
    probe name (``{i}`` in ``argv`` becomes it). See tests/interrupt_driver.py."""
    spec = {"argv": argv, "watch": [str(w) for w in watch], "points": POINTS}
    spec |= {"signals": ["SIGINT", "SIGKILL"], "warm": True, **plan}
    proc = subprocess.run(
        [sys.executable, str(DRIVER)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    counted = data["counted"]
    assert counted["returncode"] == 0, counted["stderr"]
    steps = counted["steps"]  # "event path" of each step, in order
    assert len(steps) >= POINTS, f"{len(steps)} steps: fewer than {POINTS} points to probe"
    assert len(data["probes"]) == 2 * POINTS
    return {
        p["name"]: Probe(
            p["signal"],
            f"step {p['k']} of {len(steps)}: {steps[p['k'] - 1]}",
            p["returncode"],
            p["stderr"],
            p["stdout"],
        )
        for p in data["probes"]
    }


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
    where = f"({signal.Signals(probe.signum).name} at {probe.where})"
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


def check_all(probes: dict[str, Probe], final: Callable[[str], Path]) -> None:
    """Every probe's outcome, and the points reach both sides of the moment the bag is put in
    place: some probes leave nothing, some the complete bag."""
    kept = set()
    for name, probe in probes.items():
        check_outcome(probe, final(name), valid_bag)
        kept.add(final(name).exists())
    assert kept == {False, True}, "the probes did not cover the whole run"


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


def test_bag_interrupted_or_killed_at_every_kind_of_step(tmp_path: Path) -> None:
    src = sources(tmp_path)
    before = tree_fingerprint(src)
    out = tmp_path / "out"
    out.mkdir()
    argv = ["bag", str(src), "-o", str(out / "b{i}"), "-p", "1"]
    probes = stepped_probes(argv, [src, out], base_env(tmp_path))
    check_all(probes, lambda name: out / f"b{name}")
    assert tree_fingerprint(src) == before


def test_package_interrupted_or_killed_at_every_kind_of_step(
    tmp_path: Path, schema_cache: Path
) -> None:
    example = make_example(tmp_path / "src")
    before = tree_fingerprint(example)
    env = base_env(tmp_path)
    env["BAGSMITH_SCHEMA_DIR"] = str(schema_cache)
    out = tmp_path / "out"
    out.mkdir()
    argv = [
        "package",
        str(example / "article" / "article.txt"),
        "--images",
        str(example / "article"),
        "--metadata",
        str(example / "metadata.yaml"),
        "--output",
        str(out / "p{i}"),
        "--created",
        "2026-11-27T09:30:00Z",
        "--processes",
        "1",
        "--info",
        "Source-Organization=Example Archive",
    ]
    probes = stepped_probes(argv, [example, out], env)
    check_all(probes, lambda name: out / f"p{name}")
    assert tree_fingerprint(example) == before


def test_deposit_interrupted_or_killed_at_every_kind_of_step(tmp_path: Path) -> None:
    rng = random.Random(3)
    bag = write_bag(tmp_path / "bag", {f"f{i:03}.bin": rng.randbytes(50_000) for i in range(30)})
    before = tree_fingerprint(bag)
    roots = tmp_path / "roots"
    argv = ["deposit", str(bag), "--to", f"{roots.as_uri()}/r{{i}}"]
    probes = stepped_probes(argv, [bag, roots], base_env(tmp_path), mkdir=[str(roots / "r{i}")])
    check_all(probes, lambda name: roots / f"r{name}" / "bag")
    for probe in probes.values():
        if probe.returncode == 0 and probe.signum == signal.SIGINT:
            assert "deposited" in probe.stdout
    assert tree_fingerprint(bag) == before


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_bag_with_workers_interrupted_at_a_real_time(tmp_path: Path, fraction: float) -> None:
    """Real timing, worker processes included: what is asserted holds wherever it lands."""
    src = sources(tmp_path)
    before = tree_fingerprint(src)
    env = base_env(tmp_path)
    argv = [sys.executable, "-m", "bagsmith", "bag", str(src), "-p", "2", "-o"]
    start = time.monotonic()
    subprocess.run([*argv, str(tmp_path / "timed")], env=env, check=True, capture_output=True)
    duration = time.monotonic() - start
    for signum in (signal.SIGINT, signal.SIGKILL):
        final = tmp_path / f"b-{signum}"
        probe = run_probe([*argv, str(final)], env, signum, duration * fraction)
        check_outcome(probe, final, valid_bag)
    assert tree_fingerprint(src) == before


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
