"""Signals at exact, repeatable points of a bagsmith command (tests/test_interrupts.py).

    python tests/interrupt_driver.py < plan.json > results.json

The plan names a command line, the folders it works in and a number of probes. A *step* is
an audit event of the interpreter (``sys.addaudithook``: ``open``, ``os.rename``,
``os.mkdir``, ``os.remove``, ``shutil.copyfile``, ``os.scandir`` …) whose arguments name a
path under one of those folders: reading a source, writing into the staging folder, renaming
it into place, removing it. The driver imports the command line once, then forks one child
per probe; the child runs the command as the ``bagsmith`` program does, and sends itself
the probe's signal right after its k-th step (when the call that made the step returns: a
rename has moved the bag, a write has written). A first child without a signal counts the steps, so the
probes can be spread over the whole run, from the first step to the last.

The same k gives the same point on every machine, however loaded: no timing is involved.
bagsmith itself has no test hook for this; what runs is the command as a user runs it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _paths(args: tuple[Any, ...]) -> list[str]:
    out = []
    for arg in args:
        if isinstance(arg, (str, bytes, os.PathLike)):
            path = os.fsdecode(arg)
            if path.startswith("/"):
                out.append(path)
    return out


def child(argv: list[str], watch: list[str], k: int, signum: int, out: str, err: str) -> None:
    """Run the command in this (forked) process; never returns."""
    fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fd_err = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd_out, 1)
    os.dup2(fd_err, 2)
    steps: list[str] = []  # "event path" of each step

    def hook(event: str, args: tuple[Any, ...]) -> None:
        paths = [p for p in _paths(args) if any(p.startswith(w) for w in watch)]
        if not paths:
            return
        steps.append(f"{event} {paths[0]}")
        if len(steps) == k:
            sys.setprofile(after_the_step)

    def after_the_step(frame: Any, event: str, arg: Any) -> None:
        """The first event after the hook: the audited call has done its work (a rename has
        moved the bag) and returned. The signal lands there, before the next line runs."""
        if frame.f_code is hook.__code__:
            return
        sys.setprofile(None)
        os.kill(os.getpid(), signum)

    sys.addaudithook(hook)
    sys.argv = ["bagsmith", *argv]
    code: Any = 0
    try:
        from bagsmith.cli import run_as_program

        run_as_program()
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # a traceback is what the test looks for: print it as Python would
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            with open(out + ".steps", "w") as f:
                json.dump(steps, f)
            os._exit(code if isinstance(code, int) else 1)


def run(argv: list[str], watch: list[str], k: int, signum: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bagsmith-probe-") as tmp:
        out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(argv, watch, k, signum, out, err)
        _, status = os.waitpid(pid, 0)
        returncode = os.waitstatus_to_exitcode(status)
        steps = Path(out + ".steps")
        return {
            "k": k,
            "signal": signum,
            "returncode": returncode,
            "stdout": Path(out).read_text(errors="replace"),
            "stderr": Path(err).read_text(errors="replace"),
            "steps": json.loads(steps.read_text()) if steps.exists() else None,
        }


def warm(argv: list[str]) -> None:
    """Run the command once here, so that what it loads on first use (format signatures,
    grammars, compiled schemas) is loaded once for all the children; then forget the run."""
    from click.testing import CliRunner

    from bagsmith import interrupts
    from bagsmith.cli import main

    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    interrupts.reset()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def points(steps: int, count: int) -> list[int]:
    """``count`` steps spread evenly from the first to the last (fewer if the run is short)."""
    if steps <= count:
        return list(range(1, steps + 1))
    return sorted({1 + round(j * (steps - 1) / (count - 1)) for j in range(count)})


def main() -> None:
    """Plan (JSON on stdin): ``argv`` (``{i}`` in an argument is replaced by the probe's
    name, so each probe writes its own output), ``watch`` (folders), ``points``, ``signals``
    (names), ``mkdir`` (folders made before each probe, ``{i}`` replaced too), ``warm``
    (run the command once in this process first: what it loads on first use is then
    inherited by every child)."""
    plan = json.load(sys.stdin)
    sys.path.insert(0, str(ROOT))
    import bagsmith.cli  # noqa: F401 — imported once, before the children are forked

    watch = [os.path.realpath(w) + os.sep for w in plan["watch"]]

    def argv(name: str) -> list[str]:
        for folder in plan.get("mkdir", []):
            os.makedirs(folder.replace("{i}", name), exist_ok=True)
        return [a.replace("{i}", name) for a in plan["argv"]]

    if plan.get("warm"):
        warm(argv("warm"))
    counted = run(argv("count"), watch, 0, 0)
    probes = []
    for k in points(len(counted["steps"] or ()), plan["points"]):
        for name in plan["signals"]:
            signum = signal.Signals[name]
            probes.append({"name": f"{name}-{k}", **run(argv(f"{name}-{k}"), watch, k, signum)})
    json.dump({"counted": counted, "probes": probes}, sys.stdout)


if __name__ == "__main__":
    main()
