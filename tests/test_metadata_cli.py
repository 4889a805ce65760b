"""``bagsmith describe``: article record JSON + files → valid dc.xml and mets.xml, atomically."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.pipeline.describing import check_metadata_file

from .metadata_helpers import example_article

CREATED = "2026-11-27T09:30:00Z"


def _setup(tmp_path: Path) -> tuple[Path, list[str], Path]:
    src = tmp_path / "src"
    article, files = example_article(src)
    record = tmp_path / "article.json"
    record.write_text(json.dumps(article.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    paths = [str(src / pf.path.removeprefix("data/")) for pf in files]
    return record, paths, src


def test_describe_writes_valid_metadata(schema_cache: Path, tmp_path: Path) -> None:
    record, paths, src = _setup(tmp_path)
    out = tmp_path / "out"
    args = [
        "describe",
        str(record),
        *paths,
        "--root",
        str(src),
        "--output",
        str(out),
        "--created",
        CREATED,
    ]
    result = CliRunner().invoke(main, [*args, "--archivist", "Ann Archivist", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["files"] == 4 and summary["figures_with_image"] == 3
    assert sorted(p.name for p in out.iterdir()) == ["dc.xml", "mets.xml"]
    assert check_metadata_file(out / "mets.xml", "mets.xml") == []
    assert check_metadata_file(out / "dc.xml", "dc.xml", kind="dc") == []
    mets = (out / "mets.xml").read_bytes()
    assert b"<premis:agentName>Ann Archivist</premis:agentName>" in mets
    assert b'CREATEDATE="2026-11-27T09:30:00Z"' in mets

    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "exists already" in again.output and "--force" in again.output
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert b"Ann Archivist" not in (out / "mets.xml").read_bytes()  # replaced: no archivist now
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_describe_reports_bad_input_without_writing(schema_cache: Path, tmp_path: Path) -> None:
    record, _, src = _setup(tmp_path)
    out = tmp_path / "out"
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "x",\n "figures": [}\n')
    result = CliRunner().invoke(main, ["describe", str(broken), "--output", str(out)])
    assert (
        result.exit_code == 2
        and "broken.json:2" in result.output
        and "not valid JSON" in result.output
    )
    untitled = tmp_path / "untitled.json"
    untitled.write_text(json.dumps({"figures": []}))
    result = CliRunner().invoke(main, ["describe", str(untitled), "--output", str(out)])
    assert result.exit_code == 2 and "'title' is a required property" in result.output
    outside = CliRunner().invoke(
        main, ["describe", str(record), str(record), "--root", str(src), "--output", str(out)]
    )
    assert outside.exit_code == 2 and "is not inside --root" in outside.output
    assert not out.exists()


def test_describe_without_schemas_says_how_to_install(tmp_path: Path) -> None:
    record, paths, src = _setup(tmp_path)
    out = tmp_path / "out"
    env = {"BAGSMITH_SCHEMA_DIR": str(tmp_path / "no-cache")}
    result = CliRunner().invoke(
        main, ["describe", str(record), *paths, "--root", str(src), "--output", str(out)], env=env
    )
    assert result.exit_code == 1
    assert "error[schema-cache]" in result.output and "bagsmith schemas install" in result.output
    assert not out.exists()
