"""Coverage-guided fuzzing of bagsmith's readers of untrusted input, with atheris.

    python scripts/fuzz.py TARGET [libFuzzer options …]
    python scripts/fuzz.py --list

TARGET is one of tests/fuzzing.py's TARGETS (tag-files, bagit-txt, archive, xml,
text-article, html-article, sidecar, record, jpeg). The corpus starts from the target's seeds
(written to ./fuzz-corpus/TARGET/ in the current folder unless a corpus folder is given). Typical options:
``-max_total_time=3600`` (seconds), ``-timeout=10`` (a single input taking longer is a
hang), ``-rss_limit_mb=2048`` (memory), ``-jobs=N``. A crash, hang or memory blow-up leaves
``crash-…``/``timeout-…``/``oom-…`` files: copy each into tests/fuzz_regressions/TARGET/ (a
test replays them) and fix the cause. See docs/reliability.md.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def import_all() -> list[str]:
    """Every module of bagsmith, imported now: only modules imported inside
    ``atheris.instrument_imports`` give the fuzzer coverage, and bagsmith imports many on
    first use (a module first imported while fuzzing would be invisible to it)."""
    import importlib
    import pkgutil

    import bagsmith

    names = ["bagsmith"]
    for module in pkgutil.walk_packages(bagsmith.__path__, "bagsmith."):
        if module.name == "bagsmith.__main__":  # it takes Ctrl-C over: the program's alone
            continue
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional extra that is not installed (dask, cloud SDKs)
            continue
        names.append(module.name)
    return names


def main(argv: list[str]) -> int:
    import atheris

    with atheris.instrument_imports(include=["bagsmith"]):
        instrumented = import_all()
    from tests import fuzzing

    if len(argv) < 2 or argv[1] == "--list":
        print("targets:", ", ".join(fuzzing.TARGETS))
        return 0 if len(argv) >= 2 else 2
    target = argv[1]
    if target not in fuzzing.TARGETS:
        print(f"unknown target {target!r}; targets: {', '.join(fuzzing.TARGETS)}")
        return 2
    options = argv[2:]
    if not any(not a.startswith("-") for a in options):
        corpus = Path.cwd() / "fuzz-corpus" / target
        corpus.mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(fuzzing.seeds(target)):
            (corpus / f"seed-{i}").write_bytes(seed)
        options.append(str(corpus))
    print(f"fuzz.py: {len(instrumented)} modules of bagsmith instrumented", file=sys.stderr)
    function = fuzzing.TARGETS[target]
    # libFuzzer runs argv[0] through the shell for -merge=1 and -fork: this script with its
    # target, by this interpreter (the script itself is not executable)
    script = shlex.quote(os.path.abspath(argv[0]))
    program = f"{shlex.quote(sys.executable)} {script} {shlex.quote(target)}"
    atheris.Setup([program, *options], function)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
