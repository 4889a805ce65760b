"""`bagsmith validate`: exit codes, human output, the JSON report and its schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from bagsmith.cli.validate_cmd import validate
from bagsmith.resources import json_schema
from tests.validate_helpers import tree_fingerprint, write_bag, zip_tree

PAYLOAD = {"a.txt": b"alpha\n", "b.txt": b"bravo\n"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(validate, list(args))
    return result.exit_code, result.stdout, result.stderr


def schema_check(data: object) -> None:
    schema = json_schema("validation-report.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_bag(tmp_path / "good", PAYLOAD)


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    bag = write_bag(tmp_path / "bad", PAYLOAD)
    (bag / "data/a.txt").write_bytes(b"ALPHA\n")
    (bag / "data/os").mkdir()
    (bag / "data/os/.DS_Store").write_bytes(b"")
    return bag


def test_exit_codes(good: Path, bad: Path, tmp_path: Path) -> None:
    assert run(str(good))[0] == 0
    assert run(str(bad))[0] == 1
    assert run(str(good), str(bad))[0] == 1
    (tmp_path / "plain").mkdir()
    assert run(str(tmp_path / "plain"))[0] == 1  # not a bag at all
    assert run(str(tmp_path / "nowhere"))[0] == 2
    assert run(str(good), str(tmp_path / "nowhere"))[0] == 2
    assert run("--fast", "--completeness-only", str(good))[0] == 2
    assert run("--processes", "0", str(good))[0] == 2
    assert run()[0] == 2


def test_human_output(bad: Path) -> None:
    code, out, err = run("--processes", "1", str(bad))
    assert code == 1
    lines = err.splitlines()
    assert any(
        line.startswith(f"error[payload-digest-mismatch] {bad}/data/a.txt: sha256 expected ")
        for line in lines
    )
    assert any(line.startswith("warning[os-special-file]") for line in lines)
    assert any(
        line.startswith(f"error[payload-oxum-mismatch] {bad}/bag-info.txt:2: ") for line in lines
    )
    assert out.strip().startswith(f"{bad}: INVALID (full check; 3 files")
    quiet_code, quiet_out, quiet_err = run("--quiet", str(bad))
    assert quiet_code == 1 and quiet_out == ""
    assert "warning[" not in quiet_err and "error[payload-digest-mismatch]" in quiet_err


def test_json_report_follows_the_schema(good: Path, bad: Path, tmp_path: Path) -> None:
    archive = zip_tree(good, tmp_path / "good.zip")
    code, out, _ = run("--json", str(good), str(bad), str(archive), str(tmp_path / "missing"))
    assert code == 2
    data = json.loads(out)
    schema_check(data)
    bags = {b["path"]: b for b in data["bags"]}
    assert bags[str(good)]["valid"] and bags[str(archive)]["format"] == "zip"
    report = bags[str(bad)]
    assert not report["valid"] and report["counts"]["error"] >= 2
    assert {"code", "severity", "message", "path", "line"} <= set(report["problems"][0])
    assert report["algorithms"] == {"payload": ["sha256"], "tag": ["sha256"]}
    assert report["payload"]["files"] == 3 and report["bagit_version"] == "1.0"
    assert bags[str(tmp_path / "missing")]["readable"] is False
    for mode in ("--fast", "--completeness-only"):
        code, out, _ = run("--json", mode, str(good))
        assert code == 0
        schema_check(json.loads(out))


def test_cli_never_writes(bad: Path) -> None:
    before = tree_fingerprint(bad)
    for args in ([], ["--fast"], ["--completeness-only"], ["--json"]):
        run(*args, str(bad))
    assert tree_fingerprint(bad) == before


def test_real_process_exit_code_and_streams(bad: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bagsmith", "validate", "--processes", "2", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "error[payload-digest-mismatch]" in proc.stderr
    assert "INVALID" in proc.stdout
