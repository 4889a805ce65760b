"""The command reference in docs/cli.md is generated from the CLI and must stay current."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from click.testing import CliRunner

from bagsmith import __version__
from bagsmith.cli import main
from tests.conftest import ROOT


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_cli", ROOT / "scripts" / "gen_cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current() -> None:
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == _load_generator().render(), "run: python scripts/gen_cli_docs.py"


def test_every_command_has_help_text() -> None:
    gen = _load_generator()
    for path, cmd in gen._walk(main, ["bagsmith"]):
        assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
        for param in cmd.params:
            if param.param_type_name == "option":
                assert getattr(param, "help", None), f"{' '.join(path)} {param.name} has no help"


def test_version_and_help() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0 and "Exit codes" in result.output
    proc = subprocess.run(
        [sys.executable, "-m", "bagsmith", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in proc.stdout
