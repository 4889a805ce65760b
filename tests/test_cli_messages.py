"""Library errors name settings in library terms; the CLI names them by its options, and picks
the exit code from the error's class or the run's status (cli/flags.py, cli/exits.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.cli.exits import ERROR_EXITS, error_exit, status_exit, with_exit_code
from bagsmith.cli.flags import flag_name
from bagsmith.errors import (
    BagsmithError,
    CaptureError,
    DestinationError,
    InputError,
    Interrupted,
    ProfileError,
    UsageError,
    catalogue,
)


def test_settings_are_named_by_the_library_and_by_the_cli() -> None:
    exc = UsageError(
        "{max_size} 10 leaves no room; {unknown} and {} stay as they are",
        parameter="max_size",
        hint="raise {max_size}, use {symlinks=follow}, or {force}",
    )
    assert exc.message == "max_size 10 leaves no room; {unknown} and {} stay as they are"
    assert exc.hint == 'raise max_size, use symlinks="follow", or force=True'
    assert str(exc) == f"field max_size: {exc.message}\n  hint: {exc.hint}"
    cli = exc.text(flag_name)
    assert cli.startswith("field --max-size: --max-size 10 leaves no room; {unknown}")
    assert cli.endswith("hint: raise --max-size, use --symlinks follow, or --force")
    data = exc.to_dict(flag_name)
    assert data["field"] == "--max-size" and data["hint"] == cli.split("hint: ")[1]
    assert exc.to_dict()["field"] == "max_size" and "--" not in str(exc.to_dict())
    labelled = UsageError("bad", field="Bag-Count", parameter="info")  # a field wins
    assert labelled.to_dict(flag_name)["field"] == "Bag-Count"


def test_exit_codes_come_from_one_table() -> None:
    assert [error_exit(c) for c in (UsageError, InputError, DestinationError)] == [2, 2, 2]
    assert error_exit(Interrupted("x")) == 130 and error_exit(ProfileError("x")) == 1
    assert error_exit(CaptureError("x", reason="robots")) == 1  # from BagsmithError
    assert all(error_exit(info.cls) in {1, 2, 130} for info in catalogue())
    assert set(ERROR_EXITS) <= {info.cls for info in catalogue()} | {BagsmithError}
    assert [status_exit(s) for s in ("valid", "invalid", "unreadable")] == [0, 1, 2]
    doc = with_exit_code({"tool": 1, "valid": False, "bags": []}, "invalid")
    assert list(doc) == ["tool", "valid", "exit_code", "bags"] and doc["exit_code"] == 1


def test_the_command_line_names_its_options(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_limit = runner.invoke(main, ["--limit", "nope=1", "validate", str(tmp_path)])
    assert bad_limit.exit_code == 2
    assert "--limit 'nope=1' is not NAME=VALUE with a known NAME" in bad_limit.stderr
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("a" * 10, encoding="utf-8")
    args = ["bag", str(source), "-o", str(tmp_path / "bag"), "--max-size", "100", "--json"]
    too_small = runner.invoke(main, args)
    assert too_small.exit_code == 2, too_small.output
    error = json.loads(too_small.stdout)["error"]
    assert error["field"] == "--max-size" and error["message"].startswith("--max-size 100 ")
    (source / "link").symlink_to(source / "a.txt")
    linked = runner.invoke(main, ["bag", str(source), "-o", str(tmp_path / "bag2")])
    assert linked.exit_code == 1
    assert "use --symlinks follow to bag what it points to, or --symlinks skip" in linked.stderr
