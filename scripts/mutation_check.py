"""Break the engine's core promises on purpose and check that the tests notice.

Each mutation below is a small named change to one source file that breaks one promise
bagsmith makes (docs/testing.md lists them). For each, the script copies the checkout (the
files git tracks, plus uncommitted changes) into a temporary folder, applies the change, and
runs the chosen tests there with ``PYTHONPATH`` pointing at the copy's ``src``: the tests must
FAIL (pytest exit 1). A mutation the tests survive is a promise nothing checks.

    python scripts/mutation_check.py            # every mutation
    python scripts/mutation_check.py --list     # names only
    python scripts/mutation_check.py NAME ...   # some of them

Prints one line per mutation (killed / SURVIVED, seconds) and exits 1 when one survived. Each
run also checks that the same tests pass on the unchanged copy, so a mutation is never counted
as killed by tests that fail anyway.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    promise: str
    path: str  # relative to the repository
    old: str  # must occur exactly once
    new: str
    tests: tuple[str, ...]  # pytest arguments


MUTATIONS = [
    Mutation(
        "archive-spills-to-tmpdir",
        "archives are validated by streaming, never extracted (members copied to $TMPDIR)",
        "src/bagsmith/bagit/archive.py",
        "    hashers = [hashlib.new(a) for a in algorithms]\n",
        "    hashers = [hashlib.new(a) for a in algorithms]\n"
        "    import shutil as _sh, tempfile as _tf\n"
        "    _spill = _tf.NamedTemporaryFile(delete=False)\n"
        "    _sh.copyfileobj(stream, _spill)\n"
        "    _spill.seek(0)\n"
        "    stream = _spill\n",
        ("tests/test_validate_archive.py",),
    ),
    Mutation(
        "archive-tmpfile-cleaned-up",
        "archives are validated by streaming (a temporary copy, even one deleted afterwards)",
        "src/bagsmith/bagit/archive.py",
        "    hashers = [hashlib.new(a) for a in algorithms]\n",
        "    hashers = [hashlib.new(a) for a in algorithms]\n"
        "    import shutil as _sh, tempfile as _tf\n"
        "    _spill = _tf.TemporaryFile()\n"
        "    _sh.copyfileobj(stream, _spill)\n"
        "    _spill.seek(0)\n"
        "    stream = _spill\n",
        ("tests/test_validate_archive.py",),
    ),
    Mutation(
        "package-manifest-unencoded",
        "package writes manifest lines with %, CR and LF percent-encoded",
        "src/bagsmith/bagit/writer.py",
        "format_line(digests[path][alg], path) for path in sorted(digests)",
        'f"{digests[path][alg]}  {path}\\n" for path in sorted(digests)',
        ("tests/test_manifest_lines.py",),
    ),
    Mutation(
        "bag-manifest-unencoded",
        "bag writes manifest lines with %, CR and LF percent-encoded",
        "src/bagsmith/bagit/writer.py",
        "out.append(format_line(h.hexdigest(), rel))",
        'out.append(f"{h.hexdigest()}  {rel}\\n")',
        ("tests/test_manifest_lines.py",),
    ),
    Mutation(
        "update-manifest-unencoded",
        "update writes manifest lines with %, CR and LF percent-encoded",
        "src/bagsmith/bagit/update.py",
        "fh.write(format_line(res.digests[alg], res.key))",
        'fh.write(f"{res.digests[alg]}  {res.key}\\n")',
        ("tests/test_manifest_lines.py",),
    ),
    Mutation(
        "resume-skips-mets",
        "batch --resume re-checks the METS/DC of a bag it adopts",
        "src/bagsmith/pipeline/batch_tasks.py",
        "        declared_profile=False,  # package checks only the profile it was given\n",
        "        declared_profile=False,  # package checks only the profile it was given\n"
        "        metadata=False,\n",
        ("tests/test_batch_local.py", "-k", "mets"),
    ),
    Mutation(
        "payload-digest-unchecked",
        "a full validation compares every payload digest",
        "src/bagsmith/bagit/validate.py",
        "        for alg, expected, actual in table.mismatches(value, computed):\n"
        "            self.report.add(\n"
        '                "payload-digest-mismatch",',
        "        for alg, expected, actual in table.mismatches(value, computed)[:0]:\n"
        "            self.report.add(\n"
        '                "payload-digest-mismatch",',
        ("tests/test_validate_folder.py", "tests/test_validate_archive.py"),
    ),
    Mutation(
        "vouched-digests-trusted",
        "a file vouched for is re-read and its bytes compared before the vouched digests count",
        "src/bagsmith/bagit/validate.py",
        "        if given is not None and given.get(proving) == done.digests[0].hex():\n",
        "        if given is not None:\n",
        ("tests/test_validate_vouched.py",),
    ),
    Mutation(
        "holey-bag-valid",
        "a bag with files still to fetch is incomplete, so invalid",
        "src/bagsmith/bagit/validate.py",
        "severity=Severity.INFO if self.allow_holey else None,",
        "severity=Severity.INFO,",
        ("tests/test_conformance_cases.py", "tests/test_validate_compat.py"),
    ),
    Mutation(
        "bagit-txt-lenient",
        "bagit.txt's two lines are exactly as RFC 8493 writes them",
        "src/bagsmith/bagit/declaration.py",
        "        elif not _DECL_LINE.fullmatch(lines[tag.line - 1]) or tag.label != label:",
        "        elif False:",
        ("tests/test_conformance_cases.py",),
    ),
    Mutation(
        "zip-names-cp437-only",
        "zip member names without the UTF-8 flag are read as UTF-8 first (Info-ZIP)",
        "src/bagsmith/bagit/archive.py",
        '        return name.encode("cp437").decode("utf-8")',
        "        return name",
        ("tests/test_conformance_cases.py", "-k", "zip or cp437"),
    ),
    Mutation(
        "unlisted-payload-accepted",
        "every payload file must be listed in the manifests",
        "src/bagsmith/bagit/validate.py",
        "        for entry in unlisted:\n            self.report.add(",
        "        for entry in unlisted[:0]:\n            self.report.add(",
        ("tests/test_validate_folder.py", "tests/test_validate_archive.py"),
    ),
]


def copy_checkout(dest: Path) -> None:
    """The files git tracks, plus untracked ones not ignored, as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def run_tests(copy: Path, tests: tuple[str, ...]) -> int:
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    env["BAGSMITH_SHARED"] = os.environ.get("BAGSMITH_SHARED", str(ROOT.parent / "shared"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:<28} {m.promise}")
        return 0
    chosen = [m for m in MUTATIONS if not args.names or m.name in args.names]
    unknown = set(args.names) - {m.name for m in MUTATIONS}
    if unknown:
        parser.error(f"unknown mutation(s): {', '.join(sorted(unknown))}")
    survived = 0
    with tempfile.TemporaryDirectory(prefix="bagsmith-mutants-") as tmp:
        copy = Path(tmp) / "repo"
        copy_checkout(copy)
        baseline: dict[tuple[str, ...], int] = {}
        for m in chosen:
            target = copy / m.path
            original = target.read_text(encoding="utf-8")
            count = original.count(m.old)
            if count != 1:
                print(f"{m.name:<28} BROKEN   the text to change occurs {count} times in {m.path}")
                survived += 1
                continue
            if m.tests not in baseline:
                baseline[m.tests] = run_tests(copy, m.tests)
            if baseline[m.tests] != 0:
                print(f"{m.name:<28} BROKEN   {' '.join(m.tests)} fail without the mutation")
                survived += 1
                continue
            target.write_text(original.replace(m.old, m.new), encoding="utf-8")
            start = time.monotonic()
            try:
                code = run_tests(copy, m.tests)
            finally:
                target.write_text(original, encoding="utf-8")
            seconds = time.monotonic() - start
            killed = code == 1
            survived += not killed
            verdict = "killed  " if killed else f"SURVIVED (pytest exit {code})"
            print(f"{m.name:<28} {verdict} {seconds:5.1f} s  {' '.join(m.tests)}", flush=True)
    print(f"\n{len(chosen) - survived} killed, {survived} survived or broken")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
