"""`bagsmith validate --from-list / --workers / --csv`: many bags, one combined report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.resources import json_schema
from tests.servers import sample_bag


def _bags(tmp_path: Path) -> tuple[Path, Path, Path]:
    good = sample_bag(tmp_path / "bags", "good")
    bad = sample_bag(tmp_path / "bags", "bad")
    (bad / "data" / "article.txt").write_text("changed after bagging\n")
    listing = tmp_path / "bags.txt"
    listing.write_text("# bags to audit\n\nbags/good\n" + f"{bad}\n", encoding="utf-8")
    return good, bad, listing


def test_from_list_with_workers_reports_every_bag_and_writes_csv(tmp_path: Path) -> None:
    good, bad, listing = _bags(tmp_path)
    report_csv = tmp_path / "report.csv"
    result = CliRunner().invoke(
        main, ["validate", "--from-list", str(listing), "-w", "2", "--csv", str(report_csv)]
    )
    assert result.exit_code == 1, result.output
    assert f"{good}: valid" in result.stdout
    assert f"{bad}: INVALID" in result.stdout
    assert "error[payload-digest-mismatch]" in result.stderr
    rows = list(csv.DictReader(io.StringIO(report_csv.read_text(encoding="utf-8"))))
    assert [(Path(r["path"]).name, r["valid"]) for r in rows] == [
        ("good", "true"),
        ("bad", "false"),
    ]
    assert rows[1]["first_problem"].startswith("error[payload-digest-mismatch]")


def test_collection_json_and_a_bag_given_beside_the_list(tmp_path: Path) -> None:
    good, _bad, _listing = _bags(tmp_path)
    only_good = tmp_path / "good.txt"
    only_good.write_text(f"{good}\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["validate", str(good), "--from-list", str(only_good), "--json", "-w", "1"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [b["path"] for b in data["bags"]] == [str(good), str(good)]
    assert data["collection"]["valid_bags"] == 2


def _without_run_facts(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "collection"}


def test_validate_json_has_one_shape_whatever_the_options(tmp_path: Path) -> None:
    """The same document, bag for bag, one by one and side by side; both follow the schema."""
    good, bad, _listing = _bags(tmp_path)
    missing = str(tmp_path / "missing")
    runner = CliRunner()
    args = ["validate", "--json", str(good), str(bad)]
    plain = runner.invoke(main, args)
    side = runner.invoke(main, [*args, "--workers", "2"])
    assert plain.exit_code == side.exit_code == 1, plain.output + side.output
    one, many = json.loads(plain.stdout), json.loads(side.stdout)
    assert _without_run_facts(many) == one
    assert many["collection"]["valid_bags"] == 1 and many["collection"]["executor"]
    schema = json_schema("validation-report.schema.json")
    for doc in (one, many):
        jsonschema.Draft202012Validator(schema).validate(doc)
        assert doc["$schema"] == schema["$id"] and not doc["$schema"].startswith("http")
    unreadable = runner.invoke(main, ["validate", "--json", "-w", "1", str(good), missing])
    assert unreadable.exit_code == 2
    doc = json.loads(unreadable.stdout)
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["bags"][1]["path"] == missing and doc["bags"][1]["readable"] is False


def test_collection_usage_errors(tmp_path: Path) -> None:
    good, _bad, listing = _bags(tmp_path)
    runner = CliRunner()
    none = runner.invoke(main, ["validate"])
    assert none.exit_code == 2 and "--from-list" in none.stderr
    both = runner.invoke(main, ["validate", str(good), "-w", "1", "--scheduler", "tcp://x:1"])
    assert both.exit_code == 2 and "cannot be used together" in both.stderr
    csv_alone = runner.invoke(main, ["validate", str(good), "--csv", str(tmp_path / "r.csv")])
    assert csv_alone.exit_code == 2 and "--csv goes with" in csv_alone.stderr
    missing = runner.invoke(main, ["validate", "--from-list", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "nope.txt" in missing.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    nothing = runner.invoke(main, ["validate", "--from-list", str(empty)])
    assert nothing.exit_code == 2 and "names no bag" in nothing.stderr
    assert listing.read_text(encoding="utf-8").startswith("# bags")
