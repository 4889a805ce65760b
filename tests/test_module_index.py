"""docs/modules.md lists every module of src/bagsmith with its docstring's first paragraph; it is
generated (``scripts/gen_module_index.py``) and must stay current."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "gen_modules", ROOT / "scripts" / "gen_module_index.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_module_index_is_current() -> None:
    current = (ROOT / "docs" / "modules.md").read_text(encoding="utf-8")
    assert current == _generator().render(), "run: python scripts/gen_module_index.py"


def test_every_module_is_listed_once() -> None:
    text = _generator().render()
    modules = sorted(
        p.relative_to(ROOT / "src" / "bagsmith").as_posix()
        for p in (ROOT / "src" / "bagsmith").rglob("*.py")
    )
    listed = sorted(line.split("`")[1] for line in text.splitlines() if line.startswith("| `"))
    assert listed == modules
