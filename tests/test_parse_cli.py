"""``bagsmith parse``: JSON record, readable summary, exit codes, nothing written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from PIL import Image

from bagsmith.cli import main
from bagsmith.resources import json_schema

ARTICLE = """\
Portraits from the Harbour

By Tom Reed | May 1, 2020

The harbour photographs below were taken by the port's own photographer between the wars.

1. Dock workers at dawn. Hamburg, June 1928 (Photo by Erich Lang)
2. The customs house, 1930.
4. A steamer leaving. Hamburg, October 23, 1929
"""


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (30, 20), "red").save(images / "01.jpg")
    Image.new("RGB", (30, 20), "blue").save(images / "img-4.png")
    (tmp_path / "meta.yaml").write_text("rights: CC BY 4.0\n", encoding="utf-8")
    return tmp_path


def _run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_parse_json_follows_the_schema_and_writes_nothing(workdir: Path) -> None:
    before = _tree(workdir)
    code, out, _ = _run(
        ["parse", "article.txt", "--images", "images", "--metadata", "meta.yaml", "--json"],
        workdir,
    )
    assert code == 0
    record = json.loads(out)
    jsonschema.validate(
        record, json_schema("article.schema.json"), cls=jsonschema.Draft202012Validator
    )
    assert record["title"] == "Portraits from the Harbour"
    assert record["creators"] == ["Tom Reed"] and record["date_published"] == "2020-05-01"
    assert record["rights"] == "CC BY 4.0"
    figs = {f["number"]: f for f in record["figures"]}
    assert figs[1]["credit"] == "Erich Lang" and figs[1]["image"]["format"] == "JPEG"
    assert figs[4]["image"]["mime_type"] == "image/png" and figs[4]["date"] == "1929-10-23"
    assert figs[2]["image"] is None
    assert any("figure-numbers-missing" in w for w in record["warnings"])
    assert _tree(workdir) == before  # nothing written, nothing touched


def test_parse_summary_is_readable(workdir: Path) -> None:
    code, out, err = _run(["parse", "article.txt", "--images", "images"], workdir)
    assert code == 0
    assert "title:      Portraits from the Harbour" in out
    assert "creators:   Tom Reed" in out
    assert "figures:    3 numbered 1–2, 4; 3 dated, 2 with image" in out
    assert "[01.jpg]" in out and "credit Erich Lang" in out
    assert "info[figure-numbers-missing]" in err


def test_parse_quiet_prints_nothing(workdir: Path) -> None:
    code, out, err = _run(["parse", "article.txt", "--quiet"], workdir)
    assert (code, out, err) == (0, "", "")


def test_parse_seed(seed_article: Path, tmp_path: Path) -> None:
    code, out, _ = _run(["parse", str(seed_article), "--json"], tmp_path)
    assert code == 0
    record = json.loads(out)
    assert len(record["figures"]) == 69 and record["creators"] == ["Benjamin Grayson"]
    assert list(tmp_path.iterdir()) == []


def test_missing_article_exits_2(tmp_path: Path) -> None:
    code, out, err = _run(["parse", "nope.txt"], tmp_path)
    assert code == 2
    assert "error[input]" in err and "nope.txt" in err and "Traceback" not in err + out


def test_broken_image_exits_2_unless_allowed(workdir: Path) -> None:
    (workdir / "images" / "02.jpg").write_bytes(b"\xff\xd8\xff broken")
    code, out, err = _run(["parse", "article.txt", "--images", "images"], workdir)
    assert code == 2 and "02.jpg" in err and "--allow-broken-images" in err
    code, out, err = _run(
        ["parse", "article.txt", "--images", "images", "--allow-broken-images", "--json"], workdir
    )
    assert code == 0
    assert any("image-unreadable" in w and "02.jpg" in w for w in json.loads(out)["warnings"])


def test_bad_sidecar_exits_1_naming_file_line_and_field(workdir: Path) -> None:
    (workdir / "meta.yaml").write_text(
        "title: T\nfigures:\n  - number: 1\n    date: 1956-13\n", encoding="utf-8"
    )
    code, _, err = _run(["parse", "article.txt", "--metadata", "meta.yaml"], workdir)
    assert code == 1
    assert "error[metadata]" in err and "meta.yaml:4 (field figures[0].date)" in err
    code, out, _ = _run(["parse", "article.txt", "--metadata", "meta.yaml", "--json"], workdir)
    error = json.loads(out)["error"]
    assert code == 1 and error["line"] == 4 and error["field"] == "figures[0].date"
