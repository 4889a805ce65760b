"""Validate bags and list every problem: python validate_bag.py BAG..."""

import sys

import bagsmith

invalid = 0
for path in sys.argv[1:]:
    try:
        result = bagsmith.validate(path)
    except bagsmith.InputError as exc:  # a path that cannot be read at all
        print(f"{path}: cannot be read: {exc}")
        invalid += 1
        continue
    print(f"{result.path}: {'valid' if result.valid else 'INVALID'}")
    for problem in result.problems:
        where = problem.path or "(bag)"
        print(f"  {problem.severity}[{problem.code}] {where}: {problem.message}")
    invalid += not result.valid
sys.exit(1 if invalid else 0)
