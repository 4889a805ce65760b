"""Run the Library of Congress BagIt conformance suite against `bagsmith validate`.

A development check, not part of the test suite (the suite is a public repository we do not copy
into ours; tests/test_conformance_cases.py holds fixtures of our own for each case that once
failed). Bring a copy of LibraryOfCongress/bagit-conformance-suite anywhere, then:

    python scripts/bagit_conformance.py PATH/TO/bagit-conformance-suite

Every case is run as ``bagsmith validate --json CASE`` from its category folder (as the suite's
own harness does) and judged strictly: ``valid`` exit 0, ``invalid`` and ``linux-only`` exit 1,
``warning`` exit 0 with at least one warning (``valid`` allows warnings, such as the md5-only
warning most of the suite's bags get). The suite's own harness runs ``windows-only`` cases only
on Windows; here they are judged on every system (a bag travels). Cases
broken in the suite itself are listed in KNOWN_BROKEN with the reason, judged by the expectation
given there, and shown as such. Prints one table row per case; exits 1 when any case fails.
docs/validation.md records the result.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

#: case (VERSION/CATEGORY/NAME) -> (expected outcome, why the suite's own expectation is wrong)
KNOWN_BROKEN: dict[str, tuple[str, str]] = {
    "v0.97/warning/special-system-files": (
        "invalid",
        "its manifest lists data/.DS_Store (and Payload-Oxum counts 2 files), but the "
        "repository never contained that file, so the bag is incomplete; with the empty file "
        "the manifest describes added, bagsmith reports exit 0 with os-special-file warnings",
    ),
}
#: cases judged as the suite says, with a flaw of the suite worth knowing
NOTES: dict[str, str] = {
    "v1.0/invalid/same-filename-listed-twice-with-the-same-hash": (
        "also stale: tagmanifest digests of bagit.txt do not match the committed file"
    ),
    "v1.0/invalid/same-filename-listed-twice-with-different-hashes": (
        "also stale: tagmanifest digests of bagit.txt do not match the committed file"
    ),
}


def expected(category: str) -> str | None:
    # the *-only cases (linux-only, windows-only) are paths out of the bag on that system; a
    # bag travels, so bagsmith rejects them on every system and all are judged here
    if category.endswith("-only"):
        return "invalid"
    return {"valid": "valid", "invalid": "invalid", "warning": "warning"}.get(category)


def outcome(code: int, report: dict[str, object] | None) -> str:
    if code == 1:
        return "invalid"
    if code != 0 or report is None:
        return f"exit {code}"  # 2: not read at all
    bags = report.get("bags")
    assert isinstance(bags, list)
    warnings = sum(b["counts"]["warning"] for b in bags)
    return "warning" if warnings else "valid"


def run_case(bagsmith: str, folder: Path, name: str) -> tuple[str, list[str]]:
    done = subprocess.run(
        [bagsmith, "validate", "--json", "--no-profile", name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = None
    codes = []
    if report is not None:
        for bag in report["bags"]:
            codes += [f"{p['severity']}[{p['code']}]" for p in bag["problems"]]
    elif done.stderr.strip():
        codes.append(done.stderr.strip().splitlines()[-1])
    return outcome(done.returncode, report), codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path, help="a checkout of bagit-conformance-suite")
    parser.add_argument("--bagsmith", default=shutil.which("bagsmith") or "bagsmith")
    args = parser.parse_args()
    suite: Path = args.suite
    versions = sorted(p for p in suite.iterdir() if p.is_dir() and p.name.startswith("v"))
    if not versions:
        parser.error(f"{suite}: no v*/ folders; is this the conformance suite?")
    rows: list[tuple[str, str, str, str, str]] = []
    failed = 0
    for version in versions:
        for category in sorted(p for p in version.iterdir() if p.is_dir()):
            want = expected(category.name)
            for case in sorted(p for p in category.iterdir() if p.is_dir()):
                key = f"{version.name}/{category.name}/{case.name}"
                if want is None:
                    rows.append((key, "-", "-", "skipped (other system)", ""))
                    continue
                got, codes = run_case(args.bagsmith, category, case.name)
                goal, note = want, ""
                if key in KNOWN_BROKEN:
                    goal, why = KNOWN_BROKEN[key]
                    note = f"suite case broken: {why}; "
                # valid: exit 0, warnings allowed; warning: exit 0 with at least one warning
                ok = got == goal or (goal == "valid" and got == "warning")
                if key in NOTES:
                    note = f"{NOTES[key]}; "
                failed += not ok
                broken = " (known broken)" if key in KNOWN_BROKEN else ""
                verdict = ("pass" if ok else "FAIL") + broken
                rows.append((key, goal, got, verdict, note + " ".join(sorted(set(codes)))))
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'expected':<8}  {'got':<8}  verdict  problems")
    for key, goal, got, verdict, codes in rows:
        print(f"{key:<{width}}  {goal:<8}  {got:<8}  {verdict:<7}  {codes}")
    judged = sum(1 for r in rows if r[1] != "-")
    print(f"\n{judged - failed} passed, {failed} failed ({len(rows) - judged} skipped)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
