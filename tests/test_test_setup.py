"""The README's test command sets up everything itself, at the versions of constraints.txt.

The proof that it works on a bare machine is CI itself: `.ci/run` runs the command in a fresh venv
(docs/testing.md records the times). These tests keep the pieces consistent: every requirement
has a pin that satisfies it, the check that lets the set-up skip pip notices a wrong version,
and CI fails when the command fails or pytest runs no test.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_constraints", ROOT / "scripts" / "gen_constraints.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```sh\n", 1)[1].split("\n```", 1)[0]
    return block.splitlines()


def test_readme_test_command_sets_up_then_lints_then_tests() -> None:
    command = _readme_commands()[1]
    steps = [s.strip() for s in command.split("&&")]
    assert steps[0] == "bash scripts/test-setup.sh"
    assert steps[-1] == "python -m pytest -n 2"
    assert "mypy" in steps
    assert any(s.startswith("ruff check ") for s in steps)
    assert any(s.startswith("ruff format --check ") for s in steps)


def test_every_requirement_is_pinned_by_a_version_that_satisfies_it() -> None:
    gen = _gen()
    extras, extra_reqs = gen.setup_lists()
    assert extras == ["test"]
    assert any(r.startswith("swh-deposit[server]") for r in extra_reqs)
    pins = gen.read_constraints()
    assert "bagsmith" not in pins
    roots = gen.own_requirements(extras) + [Requirement(r) for r in extra_reqs]
    for req in roots:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} has no pin in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, which does not satisfy {req}"
        )


def test_the_skip_check_notices_a_version_other_than_the_pin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gen = _gen()
    roots = [Requirement("click>=8.1")]
    installed = gen.closure(roots)["click"]
    monkeypatch.setattr(gen, "read_constraints", lambda: {"click": installed})
    assert not [w for w in gen.check(roots) if "click" in w]
    monkeypatch.setattr(gen, "read_constraints", lambda: {"click": "0.0.1"})
    assert f"click {installed} is installed, constraints.txt pins 0.0.1" in gen.check(roots)
    missing = gen.check([Requirement("no-such-distribution-here")])
    assert any("no-such-distribution-here" in w and "not installed" in w for w in missing)


def test_shell_scripts_parse() -> None:
    for script in (ROOT / "scripts" / "test-setup.sh", ROOT / ".ci" / "run"):
        subprocess.run(["bash", "-n", str(script)], check=True)


@pytest.mark.parametrize(("test_command", "code"), [("exit 5", 5), ("false", 1), ("true", 0)])
def test_ci_runs_the_readme_test_command_and_fails_with_it(
    tmp_path: Path, test_command: str, code: int
) -> None:
    """pytest's exit 5 (no test collected) fails CI like any failure."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "README.md").write_text(
        f"# x\n\n```sh\necho first\n{test_command}\n```\n", encoding="utf-8"
    )
    done = subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run")],
        env={"PATH": "/usr/bin:/bin", "BAGSMITH_CI_VENV": "no"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == code, done.stderr
    assert f"+ {test_command}" in done.stdout


@pytest.mark.parametrize(
    ("required", "code", "summary"), [("1", 1, "1 failed"), ("", 0, "1 skipped")]
)
def test_in_ci_a_test_skipped_for_a_missing_tool_fails(
    tmp_path: Path, required: str, code: int, summary: str
) -> None:
    """.ci/run sets BAGSMITH_REQUIRE_TOOLS=1: the set-up installed every tool, so a skip for a
    missing one must not pass silently (tests/conftest.py)."""
    assert "export BAGSMITH_REQUIRE_TOOLS=1" in (ROOT / ".ci" / "run").read_text()
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_runtest_makereport  # noqa: F401\n"
    )
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n\n\ndef test_probe():\n    pytest.skip('frobnicator is not installed')\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "BAGSMITH_REQUIRE_TOOLS": required},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == code, done.stdout
    assert summary in done.stdout
