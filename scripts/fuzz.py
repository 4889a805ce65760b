"""Coverage-guided fuzzing of bagsmith's readers of untrusted input, with atheris.

    python scripts/fuzz.py TARGET [libFuzzer options …]
    python scripts/fuzz.py --list

TARGET is one of tests/fuzzing.py's TARGETS (tag-files, bagit-txt, archive, xml,
text-article, html-article, sidecar, record). The corpus starts from the target's seeds
(written to ./fuzz-corpus/TARGET/ in the current folder unless a corpus folder is given). Typical options:
``-max_total_time=3600`` (seconds), ``-timeout=10`` (a single input taking longer is a
hang), ``-rss_limit_mb=2048`` (memory), ``-jobs=N``. A crash, hang or memory blow-up leaves
``crash-…``/``timeout-…``/``oom-…`` files: copy each into tests/fuzz_regressions/TARGET/ (a
test replays them) and fix the cause. See docs/reliability.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    import atheris

    with atheris.instrument_imports(include=["bagsmith"]):
        import bagsmith.bagit.validate
        import bagsmith.ingest.article
        import bagsmith.pipeline.describing
        import bagsmith.xmlschemas.safeparse  # noqa: F401
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
    function = fuzzing.TARGETS[target]
    atheris.Setup([argv[0], *options], function)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
