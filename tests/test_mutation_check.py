"""scripts/mutation_check.py stays applicable: each named mutation still finds its place.

The mutation check itself runs the tests on broken copies (minutes; docs/testing.md). This test
only keeps it from going stale: when the code a mutation breaks is rewritten, this fails and
the mutation must be moved to the new code (or replaced), not silently lost.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mutation_check", ROOT / "scripts" / "mutation_check.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


MUTATIONS = _script().MUTATIONS


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_each_mutation_applies_once_and_compiles(mutation: Any) -> None:
    path = ROOT / mutation.path
    text = path.read_text(encoding="utf-8")
    assert text.count(mutation.old) == 1, (
        f"{mutation.name}: its text no longer occurs exactly once in {mutation.path}; "
        "move the mutation to the code that now keeps the promise"
    )
    mutated = text.replace(mutation.old, mutation.new)
    compile(mutated, str(path), "exec")  # a mutation is a change in behaviour, not a syntax error
    for arg in mutation.tests:
        if arg.startswith("tests/"):
            assert (ROOT / arg).is_file(), f"{mutation.name}: {arg} does not exist"
