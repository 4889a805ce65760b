"""Reading collections: CSV and JSON manifests, collection folders, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bagsmith.cli.exits import error_exit
from bagsmith.errors import InputError
from bagsmith.pipeline.collection import read_collection
from tests.batch_helpers import make_article, make_collection


def _two_articles(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    make_article(src / "a", 1)
    make_article(src / "b", 2, sidecar=False)
    return src


def test_csv_manifest_rows_paths_and_info_columns(tmp_path: Path) -> None:
    _two_articles(tmp_path)
    manifest = tmp_path / "collection.csv"
    manifest.write_text(
        "name,article,images,metadata,info:Source-Organization,info:Internal-Sender-Identifier\n"
        "first,src/a/article.txt,src/a/images,src/a/metadata.yaml,Archive A,ID-1\n"
        "\n"
        ",src/b/article.txt,src/b/images,,Archive B,\n",
        encoding="utf-8",
    )
    coll = read_collection(manifest)
    assert coll.kind == "csv" and coll.name == "collection"
    first, second = coll.articles
    assert (first.index, first.name, first.source) == (1, "first", f"{manifest}:2")
    assert first.article == tmp_path / "src/a/article.txt"
    assert first.images == tmp_path / "src/a/images"
    assert first.metadata == tmp_path / "src/a/metadata.yaml"
    assert first.info == (
        ("Source-Organization", "Archive A"),
        ("Internal-Sender-Identifier", "ID-1"),
    )
    assert first.problems == () and first.source_bytes > 0
    # no name column value: the article file's stem; the blank line was skipped
    assert (second.index, second.name, second.metadata) == (2, "article", None)
    assert second.source == f"{manifest}:4"
    assert second.info == (("Source-Organization", "Archive B"),)


def test_json_manifest_with_line_numbers(tmp_path: Path) -> None:
    _two_articles(tmp_path)
    manifest = tmp_path / "list.json"
    entries = [
        {
            "name": "a",
            "article": "src/a/article.txt",
            "images": "src/a/images",
            "sidecar": "src/a/metadata.yaml",
            "info": {"Source-Organization": "X", "Keywords": ["one", "two"]},
        },
        {"name": "b", "article": "src/b/article.txt", "images": None},
    ]
    manifest.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    coll = read_collection(manifest)
    a, b = coll.articles
    assert a.metadata == tmp_path / "src/a/metadata.yaml"
    assert a.info == (("Source-Organization", "X"), ("Keywords", "one"), ("Keywords", "two"))
    assert a.source == f"{manifest}:2"
    assert b.images is None and b.source.endswith(":15")  # json.dumps puts Keywords on 4 lines


def test_missing_files_are_the_articles_problem_not_the_manifests(tmp_path: Path) -> None:
    _two_articles(tmp_path)
    manifest = tmp_path / "c.csv"
    manifest.write_text(
        "name,article,images\nok,src/a/article.txt,src/a/images\ngone,src/nope.txt,src/nodir\n",
        encoding="utf-8",
    )
    ok, gone = read_collection(manifest).articles
    assert ok.problems == ()
    assert [p["field"] for p in gone.problems] == ["article", "images"]
    assert all(p["path"] == str(manifest) and p["line"] == 3 for p in gone.problems)
    assert "src/nope.txt does not exist" in gone.problems[0]["message"]


@pytest.mark.parametrize(
    ("name", "text", "line", "field", "message"),
    [
        ("a.csv", "article,imagse\nx.txt,y\n", 1, "imagse", "unknown column"),
        ("b.csv", "name,images\nx,y\n", 1, "article", "no 'article' (or 'url') column"),
        ("c.csv", "article,name\nx.txt,a\ny.txt,A\n", 3, "name", "also given at"),
        ("d.csv", "article,info:\nx.txt,v\n", 1, "info:", "invalid tag label"),
        ("e.csv", "article,name\nx.txt,.hidden\n", 2, "name", "hidden"),
        ("f.csv", "article\nx.txt,extra\n", 2, None, "cells"),
        ("g.json", '[\n {"article": "x.txt"},\n {"article": 3}\n]', 3, "[1].article", "string"),
        ("h.json", '[\n {"article": "x.txt",\n  "colour": "red"}\n]', 2, "[0].colour", "unknown"),
        ("i.json", '[\n {"article": "x.txt"},\n {"article": "y.txt",}\n]', 3, None, "JSON"),
        ("j.json", '{"article": "x.txt"}', 1, None, "array"),
        ("k.json", '[{"name": "n"}]', 1, "[0].article", "no 'article'"),
        ("l.txt", "article\n", None, None, ".csv or .json"),
    ],
)
def test_bad_manifests_name_file_line_and_field(
    tmp_path: Path, name: str, text: str, line: int | None, field: str | None, message: str
) -> None:
    manifest = tmp_path / name
    manifest.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_collection(manifest)
    err = info.value
    assert err.path == str(manifest) and err.line == line and err.field == field
    assert message in err.message
    assert error_exit(err) == 2


def test_collection_folder_one_article_per_sub_folder(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "coll", 2)
    (root / ".hidden").mkdir()
    (root / "README.txt").write_text("not an article folder")
    empty = root / "c-empty"
    empty.mkdir()
    two = root / "d-two"
    two.mkdir()
    (two / "one.txt").write_text("x")
    (two / "two.html").write_text("<p>x</p>")
    page = root / "b-page"
    (page / "page_files").mkdir(parents=True)
    (page / "page.html").write_text("<h1>A saved page</h1>")
    (page / "page_files" / "photo.jpg").write_bytes(b"x" * 10)
    coll = read_collection(root)
    assert coll.kind == "folder" and coll.name == "coll"
    names = [a.name for a in coll.articles]
    assert names == ["art-01", "art-02", "b-page", "c-empty", "d-two"]
    saved = coll.articles[2]
    assert (saved.article, saved.images, saved.metadata) == (page / "page.html", None, None)
    assert saved.problems == () and saved.source_bytes == 31
    first = coll.articles[0]
    assert first.article == root / "art-01" / "article.txt"
    assert first.images == root / "art-01" / "images"
    assert first.metadata == root / "art-01" / "metadata.yaml"
    assert first.problems == ()
    assert "no article file" in coll.articles[3].problems[0]["message"]
    assert "one.txt, two.html" in coll.articles[4].problems[0]["message"]


def test_folder_names_differing_only_by_case(tmp_path: Path) -> None:
    root = make_collection(tmp_path / "coll", 1)
    make_article(root / "ART-01", 2)
    with pytest.raises(InputError, match="differ only by case"):
        read_collection(root)


def test_empty_or_missing_collection(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no article folders"):
        read_collection(tmp_path / "empty")
    with pytest.raises(InputError, match="does not exist"):
        read_collection(tmp_path / "nowhere.csv")
