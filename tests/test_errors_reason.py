"""`--json` errors carry a deposit error's machine-readable ``reason`` (and no ``reason`` key
for errors that have none)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.errors import BagsmithError, InputError
from tests.servers import deposit_env, sample_bag

__all__ = ["deposit_env"]


def test_json_error_of_a_failed_deposit_has_its_reason(tmp_path: Path, deposit_env: Path) -> None:
    dest = tmp_path / "share"
    dest.mkdir()
    first = CliRunner().invoke(
        main, ["deposit", str(sample_bag(tmp_path / "a")), "--to", dest.as_uri()]
    )
    assert first.exit_code == 0, first.output
    other = sample_bag(tmp_path / "b", variant="two")  # same name, different content
    result = CliRunner().invoke(main, ["deposit", str(other), "--to", dest.as_uri(), "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "deposit" and error["reason"] == "conflict"
    assert "--name" in error["message"] + (error["hint"] or "")


def test_errors_without_a_reason_have_no_reason_key(tmp_path: Path) -> None:
    assert "reason" not in InputError("x").to_dict()
    result = CliRunner().invoke(main, ["validate", "--json", "--profile", "nope", str(tmp_path)])
    error = json.loads(result.stdout)["error"]
    assert result.exit_code == 2 and error["code"] == "usage" and "reason" not in error
    custom = BagsmithError("x")
    custom.reason = "auth"  # type: ignore[attr-defined]
    assert custom.to_dict()["reason"] == "auth"
