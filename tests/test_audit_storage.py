"""Validating many bags: validate_collection, and bagsmith audit of folders and OCFL roots."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.bagit.validate import Mode
from bagsmith.cli import main
from bagsmith.errors import InputError
from bagsmith.pipeline.audit import audit_storage, find_bags, validate_collection
from bagsmith.pipeline.depositing import deposit_bag
from tests.servers import FAST_RETRY, deposit_env, sample_bag, zip_bag

__all__ = ["deposit_env"]


def _storage(tmp_path: Path) -> Path:
    """good/a, good/deep/b (with a bagit.txt inside its payload), c.zip, bad/d (a changed file)."""
    root = tmp_path / "storage"
    sample_bag(root / "good", "a")
    b = sample_bag(root / "good" / "deep", "b")
    assert (b / "data" / "article.txt").is_file()
    sample_bag(tmp_path, "c")
    zip_bag(tmp_path / "c", root / "c.zip")
    d = sample_bag(root / "bad", "d")
    (d / "data" / "article.txt").write_text("changed after bagging\n")
    (root / "notes.txt").write_text("not a bag")
    return root


def test_find_bags_does_not_descend_into_bags(tmp_path: Path) -> None:
    root = _storage(tmp_path)
    nested = root / "good" / "a" / "data" / "inner"
    nested.mkdir()
    (nested / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    found = [(Path(t.path).relative_to(root).as_posix(), t.kind) for t in find_bags(root)]
    assert found == [("bad/d", "bag"), ("c.zip", "bag"), ("good/a", "bag"), ("good/deep/b", "bag")]


def test_validate_collection_spreads_bags_over_workers(tmp_path: Path) -> None:
    root = _storage(tmp_path)
    paths = [root / "good" / "a", root / "bad" / "d", root / "c.zip", root / "missing"]
    report = validate_collection(paths, workers=2)
    assert [Path(e.path).name for e in report.entries] == ["a", "d", "c.zip", "missing"]
    a, d, c, missing = report.entries
    assert a.valid and c.valid and c.format == "zip" and a.files == 3
    assert not d.valid and d.errors >= 1
    assert d.first_problem.startswith("error[payload-digest-mismatch] data/article.txt")
    assert not missing.valid and not missing.readable
    assert missing.problems[0]["code"] == "input"
    assert report.status == "unreadable" and report.executor == "local pool of 2 process(es)"
    # fast: no hashing, so the changed file of the same size is not seen; the size change is
    fast = validate_collection(paths[:3], workers=1, mode=Mode.FAST)
    assert fast.mode is Mode.FAST and fast.status == "invalid"
    assert [e.valid for e in fast.entries] == [True, False, True]  # Payload-Oxum differs


def test_audit_folder_cli_text_json_and_csv(tmp_path: Path) -> None:
    root = _storage(tmp_path)
    table = tmp_path / "audit.csv"
    result = CliRunner().invoke(main, ["audit", str(root), "-w", "2", "--csv", str(table)])
    assert result.exit_code == 1
    assert "4 bags: 3 valid, 1 invalid" in result.stdout
    assert f"error[payload-digest-mismatch] {root}/bad/d/data/article.txt" in result.stderr
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert list(rows[0]) == [
        "path",
        "kind",
        "valid",
        "errors",
        "warnings",
        "files",
        "bytes",
        "first_problem",
    ]
    by_name = {Path(r["path"]).name: r for r in rows}
    assert by_name["d"]["valid"] == "false" and by_name["d"]["errors"] != "0"
    assert "payload-digest-mismatch" in by_name["d"]["first_problem"]
    assert by_name["a"]["valid"] == "true" and by_name["a"]["files"] == "3"
    assert by_name["a"]["first_problem"] == ""

    doc = json.loads(CliRunner().invoke(main, ["audit", str(root / "good"), "--json"]).stdout)
    assert doc["valid"] and doc["bags"] == 2 and doc["exit_code"] == 0
    assert {Path(e["path"]).name for e in doc["entries"]} == {"a", "b"}

    empty = tmp_path / "empty"
    empty.mkdir()
    none = CliRunner().invoke(main, ["audit", str(empty)])
    assert none.exit_code == 2 and "no bags here" in none.stderr
    with pytest.raises(InputError):
        audit_storage(tmp_path / "nowhere")


def test_audit_ocfl_storage_root(tmp_path: Path, deposit_env: Path) -> None:
    ocfl_root = tmp_path / "ocfl"
    one = sample_bag(tmp_path / "src", "one", External_Identifier="urn:test:one")
    two = sample_bag(tmp_path / "src", "two", External_Identifier="urn:test:two")
    for bag in (one, two):
        assert deposit_bag(bag, f"ocfl://{ocfl_root}", retry_policy=FAST_RETRY).verified
    # a second version of "two": only the changed file is stored in v2 (forward delta)
    two_b = sample_bag(tmp_path / "later", "two", variant="b", External_Identifier="urn:test:two")
    assert deposit_bag(two_b, f"ocfl://{ocfl_root}").identifiers["ocfl-version"] == "v2"

    report = audit_storage(ocfl_root, workers=2)
    assert [e.kind for e in report.entries] == ["ocfl-object", "ocfl-object"]
    assert report.valid, [e.problems for e in report.entries]
    versions = {e.details["id"]: e.details["version"] for e in report.entries}
    assert versions == {"urn:test:one": "v1", "urn:test:two": "v2"}
    assert all(e.files == 3 for e in report.entries)

    # damage object one's content: both ocfl-py and the bag validation see it
    objdir = next(Path(e.path) for e in report.entries if e.details["id"] == "urn:test:one")
    (objdir / "v1" / "content" / "data" / "article.txt").write_text("tampered\n")
    result = CliRunner().invoke(main, ["audit", str(ocfl_root), "--json", "-w", "1"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    bad = next(e for e in doc["entries"] if e["details"]["id"] == "urn:test:one")
    codes = {p["code"] for p in bad["problems"] if p["severity"] == "error"}
    assert {"ocfl-object-invalid", "payload-digest-mismatch"} <= codes
    assert sum(e["valid"] for e in doc["entries"]) == 1
    assert not list(tmp_path.glob("ocfl/**/.bagsmith*"))  # the audit wrote nothing


def test_validate_collection_applies_the_single_bag_checks(tmp_path: Path) -> None:
    from bagsmith.errors import ProfileError

    root = _storage(tmp_path)
    bags = [root / "good" / "a", root / "c.zip"]
    plain = validate_collection(bags, workers=1)
    assert plain.valid
    # a profile given for every bag: bagit-python's bags lack its required tags
    profiled = validate_collection(bags, workers=2, profile="bagsmith-article-v1")
    assert not profiled.valid
    for entry in profiled.entries:
        assert any(p["code"].startswith("profile-") for p in entry.problems)
    with pytest.raises(ProfileError):
        validate_collection(bags, profile="no-such-profile")


def test_audit_cli_with_a_profile(tmp_path: Path) -> None:
    root = _storage(tmp_path)
    result = CliRunner().invoke(
        main, ["audit", str(root / "good"), "--profile", "bagsmith-article-v1", "-q"]
    )
    assert result.exit_code == 1
    assert "error[profile-" in result.stderr
    missing = CliRunner().invoke(main, ["audit", str(root), "--profile", "nope", "--json"])
    assert missing.exit_code == 1 and json.loads(missing.stdout)["error"]["code"] == "profile"
