"""Saved web pages ("Save page as… complete"): metadata, figures, images, hostile HTML."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bagsmith.cli.exits import error_exit
from bagsmith.errors import InputError
from bagsmith.ingest import html as html_module
from bagsmith.ingest import read_article
from bagsmith.resources import json_schema

PAGE = """<!DOCTYPE html>
<!-- saved from url=(0040)https://example.org/history/danube-mills -->
<html lang="en-GB"><head><meta charset="utf-8">
<title>Danube Mills | River History</title>
<meta property="og:title" content="Danube Mills (og)">
<meta property="og:site_name" content="River History">
<meta name="author" content="Anna Kovács">
<meta property="article:published_time" content="2021-03-05T10:00:00+00:00">
<meta name="keywords" content="mills, Danube, history">
<link rel="canonical" href="https://example.org/history/danube-mills">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
 "headline":"Danube Mills","author":[{"@type":"Person","name":"Anna Kovács"},
 {"@type":"Person","name":"Péter Nagy"}],"datePublished":"2021-03-05",
 "publisher":{"@type":"Organization","name":"River History"}}</script>
<script>document.write("SCRIPT TEXT")</script>
<style>p{color:red} .STYLE-TEXT{}</style>
</head><body class="has-sidebar">
<header class="site-header"><a href="/">River History</a><nav><a>Home</a><a>About</a></nav></header>
<main>
<article>
<h1>Danube Mills</h1>
<p class="byline">By <a rel="author" href="/a/anna">Anna Kovács</a> | March 5, 2021</p>
<p>Water mills once lined the river from Vienna to the delta. This article collects photographs.</p>
<h2>The floating mills</h2>
<p>Floating mills were moored in the current.<br>Millers lived on board.</p>
<figure><img src="article_files/mill.jpg" alt="A mill"><figcaption>A floating mill near Mohács,
 1925. <span class="credit">Fortepan/Ádám Klausz</span></figcaption></figure>
<figure><img src="./article_files/crowd%20big.png"><figcaption>Crowd at the mill. Baja,
 12 January 1931</figcaption></figure>
<p><img src="article_files/missing.jpg" alt="Millers at work in Budapest, 1930"></p>
<img src="https://cdn.example.org/remote.jpg" alt="Remote">
<img src="article_files/pixel.gif" width="1" height="1">
<img src="../outside.jpg" alt="Outside">
<h3>#5 Children fishing</h3>
<img src="article_files/05.png" alt="">
<p>Children fishing</p>
<p>Children fishing beside a mill in Baja, in the 1930s.</p>
<div class="share-buttons">Share on Facebook Tweet</div>
<section class="comments"><h3>4 Comments</h3><p>Great article, COMMENT TEXT</p></section>
</article>
<aside><p>Related: ASIDE TEXT</p></aside>
</main>
<footer>FOOTER TEXT © 2021 River History</footer>
</body></html>
"""


@pytest.fixture
def saved_page(tmp_path: Path) -> Path:
    files = tmp_path / "article_files"
    files.mkdir()
    Image.new("RGB", (40, 30), "red").save(files / "mill.jpg")
    Image.new("RGB", (40, 30), "blue").save(files / "crowd big.png")
    Image.new("L", (50, 50)).save(files / "05.png")
    Image.new("RGB", (4, 4)).save(tmp_path / "outside.jpg")
    page = tmp_path / "article.html"
    page.write_text(PAGE, encoding="utf-8")
    return page


def test_saved_page_metadata(saved_page: Path) -> None:
    a = read_article(saved_page).article
    assert a.source_format == "html"
    assert a.title == "Danube Mills"  # <h1> first
    assert a.creators == ("Anna Kovács", "Péter Nagy")  # meta author, rel=author, JSON-LD
    assert a.date_published == "2021-03-05"
    assert a.source_url == "https://example.org/history/danube-mills"
    assert a.language == "en-GB" and a.publisher == "River History"
    assert a.subjects == ("mills", "Danube", "history")


def test_saved_page_text_without_page_furniture(saved_page: Path) -> None:
    result = read_article(saved_page)
    a = result.article
    assert [s.heading for s in a.sections] == [None, "The floating mills"]
    assert a.sections[1].paragraphs == (
        "Floating mills were moored in the current. Millers lived on board.",
    )
    everything = repr(result.record())
    for gone in (
        "SCRIPT TEXT",
        "STYLE-TEXT",
        "COMMENT TEXT",
        "ASIDE TEXT",
        "FOOTER TEXT",
        "Share on",
        "Home",
    ):
        assert gone not in everything, gone


def test_saved_page_figures_and_images(saved_page: Path) -> None:
    result = read_article(saved_page)
    figs = result.article.figures
    assert [f.caption for f in figs] == [
        "A floating mill near Mohács, 1925.",
        "Crowd at the mill. Baja, 12 January 1931",
        "Millers at work in Budapest, 1930",
        "Remote",
        "Outside",
        "Children fishing",
    ]
    mill, crowd, missing, remote, outside, five = figs
    assert mill.credit == "Fortepan/Ádám Klausz" and mill.date == "1925"
    assert mill.image is not None and Path(mill.image.path).name == "mill.jpg"
    assert mill.image.format == "JPEG" and (mill.image.width, mill.image.height) == (40, 30)
    assert crowd.image is not None and Path(crowd.image.path).name == "crowd big.png"
    assert crowd.date == "1931-01-12" and crowd.places == ("Baja",)
    assert missing.image is None and missing.places == ("Budapest",)
    assert remote.image is None and outside.image is None
    assert five.number == 5 and five.image is not None and five.image.mode == "L"
    assert five.description == "Children fishing beside a mill in Baja, in the 1930s."
    assert five.date == "193X"
    problems = {(p.code, p.line) for p in result.report}
    page_lines = PAGE.splitlines()
    missing_line = next(i for i, ln in enumerate(page_lines, 1) if "missing.jpg" in ln)
    assert ("html-image-missing", missing_line) in problems
    assert any(code == "html-image-not-saved" for code, _ in problems)
    assert any(code == "html-image-outside" for code, _ in problems)
    jsonschema.validate(
        result.record(), json_schema("article.schema.json"), cls=jsonschema.Draft202012Validator
    )


def test_title_falls_back_to_og_title_then_title(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(
        '<html><head><meta property="og:title" content="OG Title"><title>T | Site</title>'
        "</head><body><p>Some text of the article that is long enough to be a paragraph.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    assert read_article(page).article.title == "OG Title"
    page.write_text(
        '<html><head><meta property="og:site_name" content="Site"><title>Plain Title | Site'
        "</title></head><body><p>Body text.</p></body></html>",
        encoding="utf-8",
    )
    assert read_article(page).article.title == "Plain Title"


def test_listicle_page_in_the_seed_style(tmp_path: Path) -> None:
    (tmp_path / "p_files").mkdir()
    for n in (1, 2):
        Image.new("RGB", (8, 8)).save(tmp_path / "p_files" / f"img{n}.jpg")
    page = tmp_path / "p.html"
    page.write_text(
        "<html><body><h1>Photos of 1956</h1><p>Written by Jane Roe</p>"
        "<p>The uprising in pictures, from the archives of the city.</p>"
        '<h2>#1 Crowds in the square. Budapest, November 1956</h2><img src="p_files/img1.jpg">'
        "<p>Crowds in the square. Budapest, November 1956</p>"
        '<img src="p_files/img2.jpg"><h2>#2 A tank. Gyor, Hungary on October 23, 1956</h2>'
        "<p>-1 Points</p><p>Upvote Downvote</p></body></html>",
        encoding="utf-8",
    )
    a = read_article(page).article
    assert a.creators == ("Jane Roe",)
    one, two = a.figures
    assert (one.number, one.date, one.places, one.description) == (
        1,
        "1956-11",
        ("Budapest",),
        None,
    )
    assert one.image is not None and one.image.path.endswith("img1.jpg")
    assert two.image is not None and two.image.path.endswith("img2.jpg")
    assert two.places == ("Gyor", "Hungary") and two.date == "1956-10-23"


def test_invalid_json_ld_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(
        '<html><head><script type="application/ld+json">{"@type": </script></head>'
        "<body><h1>T</h1></body></html>",
        encoding="utf-8",
    )
    result = read_article(page)
    assert "html-json-ld-invalid" in result.report.codes()


def test_hostile_html_entities_are_not_expanded_nor_files_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    page = tmp_path / "evil.html"
    page.write_text(
        '<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        f'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<html><body><h1>Evil</h1><p>&c;&c; &xxe; &amp; &lt;b&gt;</p>"
        "<script>alert(1)</script><iframe src='https://example.org'></iframe></body></html>",
        encoding="utf-8",
    )
    result = read_article(page)
    text = repr(result.record())
    assert "TOP-SECRET" not in text
    assert "aaaaaaaaaa" not in text
    assert "alert" not in text
    assert result.article.title == "Evil"


def test_enormous_nesting_is_reported_not_crashed(tmp_path: Path) -> None:
    page = tmp_path / "deep.html"
    depth = 5000
    page.write_text(
        "<html><body><h1>Deep</h1><p>Before the nesting, some text.</p>"
        + "<div>" * depth + "inside" + "</div>" * depth + "<p>after</p></body></html>",
        encoding="utf-8",
    )  # fmt: skip
    result = read_article(page)
    assert result.article.title == "Deep"
    assert "html-parse-limit" in result.report.codes()


def test_oversized_and_empty_pages_are_input_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "big.html"
    page.write_text("<html><body>" + "x" * 2000 + "</body></html>", encoding="utf-8")
    monkeypatch.setattr(html_module, "MAX_HTML_BYTES", 1000)
    with pytest.raises(InputError, match="bytes"):
        read_article(page)
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="the article is empty"):
        read_article(empty)


_TAGS = ["<p>", "</p>", "<div class='comments'>", "</div>", "<figure>", "</figure>", "<img src='x.jpg' alt='A'>",
         "<figcaption>", "</figcaption>", "<h2>", "</h2>", "<br>", "<article>", "</article>", "&amp;",
         "<script>", "</script>", "#3 ", "12. ", "Budapest, 1956", "By Jane Doe", "<nav>", "<!--", "-->"]  # fmt: skip


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(st.sampled_from(_TAGS), st.text(max_size=20)), max_size=40))
def test_html_parser_never_crashes(tmp_path: Path, parts: list[str]) -> None:
    page = tmp_path / "random.html"
    page.write_text("<html><body>" + "".join(parts), encoding="utf-8", errors="surrogatepass")
    try:
        result = read_article(page)
    except InputError as exc:  # no text in the page, or not text at all: refused, named
        assert exc.path == str(page) and error_exit(exc) == 2
        assert re.search("the article is empty|not an article", exc.message), exc.message
        return
    jsonschema.validate(
        result.record(), json_schema("article.schema.json"), cls=jsonschema.Draft202012Validator
    )
