"""Sidecar metadata: YAML and JSON, overrides, image mapping, errors with field path and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bagsmith.errors import MetadataError
from bagsmith.ingest import read_article
from bagsmith.ingest.sidecar import json_lines, load_sidecar

ARTICLE = """\
Portraits from the Harbour

Written by Tom Reed

The harbour photographs below were taken by the port's own photographer between the wars.

1) Dock workers at dawn. Hamburg, June 1928
2) The customs house, 1930.
"""

YAML = """\
title: Portraits from the Harbour (corrected)
creators: [Tom Reed, Erich Lang]
source_url: https://example.org/harbour
date_published: 2020-05-01
date_captured: 2024-01-31T10:00:00Z
publisher: Port Magazine
language: en
rights: CC BY 4.0
subjects: [harbours, Hamburg]
identifiers: ["urn:example:harbour"]
figures:
  - number: 2
    image: customs.jpg
    date: 1931
    places: [Hamburg, Altona]
    credit: Port Archive
  - number: 9
    caption: A figure the text does not have
"""


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    Image.new("RGB", (20, 10), "gray").save(tmp_path / "customs.jpg")
    return path


def test_yaml_sidecar_overrides_parsed_facts(article: Path) -> None:
    sidecar = article.parent / "meta.yaml"
    sidecar.write_text(YAML, encoding="utf-8")
    result = read_article(article, metadata=sidecar)
    a = result.article
    assert a.title == "Portraits from the Harbour (corrected)"
    assert a.creators == ("Tom Reed", "Erich Lang")
    assert a.date_published == "2020-05-01"  # a YAML date stays the string written
    assert a.date_captured == "2024-01-31T10:00:00Z"
    assert (a.source_url, a.publisher, a.language, a.rights) == (
        "https://example.org/harbour", "Port Magazine", "en", "CC BY 4.0",
    )  # fmt: skip
    assert a.subjects == ("harbours", "Hamburg") and a.identifiers == ("urn:example:harbour",)
    figs = {f.number: f for f in a.figures}
    assert figs[1].date == "1928-06"  # untouched
    assert figs[2].caption == "The customs house, 1930."
    assert figs[2].date == "1931" and figs[2].places == ("Hamburg", "Altona")
    assert figs[2].credit == "Port Archive"
    assert figs[2].image is not None and figs[2].image.path.endswith("customs.jpg")
    assert figs[9].caption == "A figure the text does not have"
    assert "sidecar-figure-added" in result.report.codes()
    assert result.sidecar == str(sidecar)


def test_json_sidecar_is_equivalent(article: Path) -> None:
    sidecar = article.parent / "meta.json"
    sidecar.write_text(
        json.dumps({"title": "From JSON", "figures": [{"number": 1, "date": None}]}),
        encoding="utf-8",
    )
    a = read_article(article, metadata=sidecar).article
    assert a.title == "From JSON" and a.figures[0].date is None


def test_images_in_sidecar_resolve_against_images_dir(article: Path, tmp_path: Path) -> None:
    images = tmp_path / "photos"
    images.mkdir()
    Image.new("RGB", (5, 5)).save(images / "docks.png")
    sidecar = tmp_path / "m.yml"
    sidecar.write_text("figures:\n  - number: 1\n    image: docks.png\n", encoding="utf-8")
    a = read_article(article, images_dir=images, metadata=sidecar).article
    assert a.figures[0].image is not None and a.figures[0].image.path.endswith("docks.png")


@pytest.mark.parametrize(
    ("text", "suffix", "line", "field", "message"),
    [
        ("title: T\ncreator: [A]\n", ".yaml", 2, "creator", "unknown field 'creator'"),
        ("title: T\nfigures: 7\n", ".yaml", 2, "figures", "is not of type 'array'"),
        ("figures:\n  - 7\n", ".yaml", 2, "figures[0]", "is not of type 'object'"),
        ("figures:\n  - number: 1\n  - number: 2\n    date: 1956-13\n", ".yaml", 4,
         "figures[1].date", "not a valid EDTF"),
        ("figures:\n  - number: 1\n    places: Budapest\n", ".yaml", 3, "figures[0].places",
         "is not of type 'array'"),
        ("figures:\n  - caption: no number\n", ".yaml", 2, "figures[0]", "'number' or an 'image'"),
        ("language: not a language\n", ".yaml", 1, "language", "does not match"),
        ("title: [unclosed\n", ".yaml", 2, None, "not valid YAML"),
        ('{\n  "title": "T",\n  "figures": [\n    {"number": "seven"}\n  ]\n}\n', ".json", 4,
         "figures[0].number", "is not of type"),
        ('{\n  "title": "T",\n  "source_url": "ftp://x"\n}\n', ".json", 3, "source_url", "match"),
        ('{\n  "title": "T",\n}\n', ".json", 3, None, "not valid JSON"),
        ("a: &x [1]\nb: *x\n", ".yaml", 2, None, "aliases"),
        ("figures:\n  - number: 1\n    image: nothere.jpg\n", ".yaml", 3, "figures[0].image",
         "not found"),
        ("figures:\n  - number: 1\n    image: ../../etc/passwd\n", ".yaml", 3,
         "figures[0].image", "outside"),
    ],
)  # fmt: skip
def test_sidecar_errors_name_field_and_line(
    article: Path, text: str, suffix: str, line: int, field: str | None, message: str
) -> None:
    sidecar = article.parent / f"bad{suffix}"
    sidecar.write_text(text, encoding="utf-8")
    with pytest.raises(MetadataError) as exc:
        read_article(article, metadata=sidecar)
    err = exc.value
    assert err.path == str(sidecar)
    assert err.line == line
    assert err.field == field
    assert message in err.message
    assert f"{sidecar}:{line}" in str(err)


def test_several_errors_are_listed_in_the_hint(tmp_path: Path) -> None:
    sidecar = tmp_path / "m.yaml"
    sidecar.write_text("title: 5\nlanguage: x y\nrights: []\n", encoding="utf-8")
    with pytest.raises(MetadataError) as exc:
        load_sidecar(sidecar)
    assert exc.value.line == 1 and exc.value.hint is not None
    assert "line 2 (language)" in exc.value.hint and "line 3 (rights)" in exc.value.hint


def test_empty_and_non_utf8_sidecars(tmp_path: Path) -> None:
    empty = tmp_path / "e.yaml"
    empty.write_text("", encoding="utf-8")
    assert load_sidecar(empty).fields == {}
    latin = tmp_path / "l.yaml"
    latin.write_bytes("title: ok\npublisher: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(MetadataError) as exc:
        load_sidecar(latin)
    assert exc.value.line == 2


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.sampled_from([None, 2]))
def test_json_lines_finds_every_value(data: object, indent: int | None) -> None:
    text = json.dumps(data, indent=indent)
    lines = json_lines(text)
    expected: set[tuple[object, ...]] = set()
    stack: list[tuple[object, tuple[object, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        expected.add(path)
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    assert set(lines) == expected
    if indent is None:
        assert set(lines.values()) == {1}
    else:
        text_lines = text.splitlines()
        for path, line in lines.items():
            if path and isinstance(path[-1], str):
                assert json.dumps(path[-1]) + ":" in text_lines[line - 1]


def test_the_documented_sidecar_example_is_valid(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "ingest.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    sidecar = tmp_path / "meta.yaml"
    sidecar.write_text(example, encoding="utf-8")
    Image.new("RGB", (4, 4)).save(tmp_path / "photo-005.jpg")
    loaded = load_sidecar(sidecar)
    assert loaded.fields["date_published"] == "2019-10-23"
    assert loaded.figures[0].fields["date"] == "1956-11"
    assert loaded.figures[0].image_path == (tmp_path / "photo-005.jpg").resolve()
    assert loaded.figures[1].fields == {"number": 20, "date": None}
