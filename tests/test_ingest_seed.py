"""Acceptance tests on the seed article (../shared/seeds, used by path, never copied)."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest

from bagsmith.ingest import ParseResult, read_article
from bagsmith.ingest.clutter import clutter_reason
from bagsmith.resources import json_schema

pytestmark = pytest.mark.seed

CLUTTER = re.compile(
    r"\bPoints\b|Upvote|Downvote|Leave a Reply|will not be published|Required fields"
    r"|\d+\s+Comments|^(?:in|logo)$",
    re.IGNORECASE | re.MULTILINE,
)


@pytest.fixture
def seed(seed_article: Path) -> ParseResult:
    return read_article(seed_article)


def _texts(result: ParseResult) -> list[str]:
    a = result.article
    out = [a.title, *a.creators]
    for section in a.sections:
        out += [section.heading or "", *section.paragraphs]
    for fig in a.figures:
        out += [fig.caption, fig.description or "", fig.credit or "", *fig.places]
    return [t for t in out if t]


def test_seed_has_exactly_the_numbered_figures(seed: ParseResult, seed_article: Path) -> None:
    text = seed_article.read_text(encoding="utf-8")
    expected = sorted({int(n) for n in re.findall(r"^#(\d+)\s", text, re.MULTILINE)})
    numbers = [f.number for f in seed.article.figures]
    assert numbers == expected
    assert len(numbers) == 69
    gaps = sorted(set(range(1, max(expected) + 1)) - set(expected))
    info = [p for p in seed.report if p.code == "figure-numbers-missing"]
    assert len(info) == 1 and info[0].level.value == "info"
    assert ", ".join(map(str, gaps)) in info[0].message


def test_seed_title_creators_and_sections(seed: ParseResult, seed_article: Path) -> None:
    a = seed.article
    lines = [ln.strip() for ln in seed_article.read_text(encoding="utf-8").splitlines()]
    assert a.title.startswith("Hungarian Revolution of 1956")
    assert a.title in lines
    assert a.creators == ("Benjamin Grayson",)
    assert a.sections[0].heading is None and a.sections[0].paragraphs
    headings = [s.heading for s in a.sections if s.heading]
    assert len(headings) >= 3 and all(h in lines for h in headings)
    paragraphs = [p for s in a.sections for p in s.paragraphs]
    assert all(not p.startswith("#") for p in paragraphs)  # figures are not body text
    assert a.source_format == "text"


def test_seed_has_no_clutter_anywhere(seed: ParseResult, seed_article: Path) -> None:
    texts = _texts(seed)
    for text in texts:
        assert not CLUTTER.search(text), text
        assert clutter_reason(text) is None, text
    # the author's self-description (the line after the byline) is not article text
    lines = [ln.strip() for ln in seed_article.read_text(encoding="utf-8").splitlines()]
    byline = next(i for i, ln in enumerate(lines) if ln.startswith("Written by"))
    blurb = next(ln for ln in lines[byline + 1 :] if ln)
    assert all(blurb not in t for t in texts)
    assert all("Written by" not in t for t in texts)
    codes = {p.code for p in seed.report}
    assert {"clutter-removed", "author-box-removed"} <= codes


def test_seed_caption_repeated_then_description(seed: ParseResult) -> None:
    figs = {f.number: f for f in seed.article.figures}
    five = figs[5]
    assert five.caption == "Tank of the Hungarian insurgents."
    assert five.description is not None and five.description.startswith("One of the tanks")
    for fig in seed.article.figures:  # a verbatim repeat never becomes a description
        assert not (fig.description or "").startswith(fig.caption)


def test_seed_dates_and_places(seed: ParseResult) -> None:
    figs = {f.number: f for f in seed.article.figures}
    assert figs[1].date == "1956-11" and "Budapest" in figs[1].places
    assert figs[52].date == "1956-10-23" and "Gyor" in figs[52].places
    assert "Győr" in figs[52].places_standard
    assert figs[5].date == "1956-11"  # stated in the description
    assert figs[20].date is None  # "two years after the end of the revolution"
    assert figs[59].date == "1956-10-30"  # "30th October 1956"
    assert seed.article.coverage == "1956"


def test_seed_record_follows_the_schema(seed: ParseResult) -> None:
    jsonschema.validate(
        seed.record(), json_schema("article.schema.json"), cls=jsonschema.Draft202012Validator
    )
