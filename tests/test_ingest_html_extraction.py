"""HTML ingest through the main-text extractor: decoding, the article element, editorial figures,
titles, creators and dates. Every page here is a small fixture written for its rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from bagsmith import limits
from bagsmith.errors import InputError
from bagsmith.ingest import read_article
from bagsmith.ingest.bylines import parse_byline
from bagsmith.ingest.decoding import decode_page
from bagsmith.ingest.htmlmeta import local_day
from bagsmith.problems import Report

PROSE = (
    "The harbour cranes of the old port were built between the wars and stood until the "
    "container terminal opened on the other bank of the river. "
)


def _body(n: int = 6, word: str = "Harbour") -> str:
    return "".join(f"<p>{word} paragraph {i}. {PROSE * 2}</p>" for i in range(n))


def _page(tmp_path: Path, html: str, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def _text(result_article: object) -> str:
    a = result_article
    parts = [a.title]  # type: ignore[attr-defined]
    for s in a.sections:  # type: ignore[attr-defined]
        parts += [s.heading or "", *s.paragraphs]
    return "\n".join(parts)


# --- main text -------------------------------------------------------------------------


def test_teaser_article_in_an_aside_is_not_the_article(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "<html><body><main><h1>The Cranes of the Old Port</h1>"
        f"<div class='content'>{_body()}</div></main>"
        "<aside><h3>Most read</h3><article><a href='/x'><h4>Another story</h4>"
        "<p>TEASER TEXT of another story that is not this one.</p></a></article></aside>"
        "</body></html>",
    )
    a = read_article(page).article
    text = _text(a)
    assert "Harbour paragraph 5" in text and "TEASER TEXT" not in text


def test_a_clutter_word_inside_a_class_name_does_not_drop_the_article(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "<html><body><div class='enable-pin-share'><div class='widget Blog'>"
        "<div class='elementor-widget-container'><h1>The Cranes of the Old Port</h1>"
        f"{_body()}</div></div></div></body></html>",
    )
    assert "Harbour paragraph 5" in _text(read_article(page).article)


def test_a_byline_after_the_lead_photo_does_not_swallow_the_article(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "<html><body><article><h1>The Cranes of the Old Port</h1>"
        "<figure><img src='https://example.org/crane.jpg'><figcaption>A crane in 1931."
        "</figcaption></figure><p>By Jane Roe</p>"
        f"{_body()}</article></body></html>",
    )
    a = read_article(page).article
    assert "Harbour paragraph 5" in _text(a)
    assert a.creators == ("Jane Roe",)
    assert "By Jane Roe" not in _text(a)


def test_numbered_paragraphs_without_pictures_are_text_not_figures(tmp_path: Path) -> None:
    items = "".join(f"<li>{i}. Tip number {i}: oil the crane's hinges every spring.</li>" for i in
                    range(1, 9))  # fmt: skip
    page = _page(
        tmp_path,
        "<html><body><article><h1>Crane Care</h1>"
        f"{_body(3)}<ol>{items}</ol>{_body(2)}</article></body></html>",
    )
    a = read_article(page).article
    assert a.figures == ()
    assert "Tip number 7" in _text(a)


def test_numbered_captions_with_pictures_are_figures(tmp_path: Path) -> None:
    shots = "".join(
        f"<h2>#{i} Crane number {i} at the quay. Hamburg, {1920 + i}</h2>"
        f"<img src='https://example.org/c{i}.jpg' alt=''><p>{PROSE}</p>"
        for i in range(1, 5)
    )
    page = _page(tmp_path, f"<html><body><article><h1>Cranes</h1>{_body(2)}{shots}</article>"
                           "</body></html>")  # fmt: skip
    figs = read_article(page).article.figures
    assert [f.number for f in figs] == [1, 2, 3, 4]
    assert figs[2].date == "1923" and figs[2].caption.startswith("Crane number 3")


# --- figures -------------------------------------------------------------------------------


ARTICLE_WITH_FURNITURE = """<html><head><title>The Cranes | Port News</title>
<meta property="og:site_name" content="Port News">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "The Cranes", "image": {"@type": "ImageObject",
 "url": "https://example.org/media/night.jpg", "caption": "The cranes at night",
 "creditText": "Harbour Archive"}}</script></head>
<body><header><img src="https://example.org/logo.png" alt="Port News logo"></header>
<article><h1>The Cranes</h1>
<div class="byline"><img class="avatar" src="https://example.org/jane.jpg" alt="Jane">
By Jane Roe</div>
<figure><img src="https://example.org/media/blank.gif" data-src="media/crane-1931.jpg"
 alt="alt text, not the caption"><figcaption>The big crane in 1931.
 <cite>Photo: Harbour Archive</cite></figcaption></figure>
{body}
<div class="wp-caption"><img src="https://example.org/media/quay.jpg"><p class="wp-caption-text">
The quay, 1950. Foto: Anna Berg</p></div>
<p><img srcset="https://example.org/media/small.jpg 300w, https://example.org/media/ship-big.jpg 1200w">
</p>
<p><img class="author-avatar" src="https://example.org/media/anna.jpg"></p>
<p><img src="https://example.org/media/share-icon.png" width="16" height="16"></p>
<p><img src="https://example.org/media/boat_150x100.jpg"></p>
<div class="promo-box"><img src="https://example.org/media/subscribe.jpg"></div>
{body}
<figure><img src="https://example.org/media/night.jpg"></figure>
<figure><picture><source srcset="https://example.org/media/tug.webp 800w">
<img src="data:image/gif;base64,R0lGOD"></picture><noscript><img src="https://example.org/media/tug.jpg"></noscript>
<figcaption>A tug. <span class="credit">Port Museum</span></figcaption></figure>
<div class="related"><a href="/other-story"><img src="https://example.org/teaser1.jpg">
<h3>Another story about ships</h3></a></div>
<ul class="list"><li><a href="/story-2"><img src="https://example.org/teaser2.jpg"></a>
<a href="/story-2"><h4>Second story</h4></a></li></ul>
<img src="https://example.org/icon.png" width="16" height="16">
<img src="https://example.org/thumb_150x100.jpg">
</article>
<aside><figure><img src="https://example.org/ad.jpg"><figcaption>Buy a crane</figcaption>
</figure></aside></body></html>"""


def test_only_the_articles_editorial_pictures_are_figures(tmp_path: Path) -> None:
    html = ARTICLE_WITH_FURNITURE.replace("{body}", _body(3))
    result = read_article(_page(tmp_path, html), base_url="https://example.org/news/cranes.html")
    figs = result.article.figures
    urls = list(result.image_urls)
    assert urls == [
        "https://example.org/news/media/crane-1931.jpg",  # data-src, resolved on the page URL
        "https://example.org/media/quay.jpg",
        "https://example.org/media/ship-big.jpg",  # the widest srcset candidate
        "https://example.org/media/night.jpg",
        "https://example.org/media/tug.webp",  # <picture><source>, not the data: placeholder
    ]
    big, quay, ship, night, tug = figs
    # the credit without its lead word ("Photo:"), as from a caption's text
    assert (big.caption, big.credit) == ("The big crane in 1931.", "Harbour Archive")
    assert big.date == "1931"
    assert (quay.caption, quay.credit) == ("The quay, 1950.", "Anna Berg")
    assert (night.caption, night.credit) == ("The cranes at night", "Harbour Archive")  # JSON-LD
    assert (tug.caption, tug.credit) == ("A tug.", "Port Museum")
    assert ship.caption == ""
    assert result.article.creators == ("Jane Roe",)


def _figures_of(tmp_path: Path, figures_html: str, head: str = "") -> list[tuple[str, ...]]:
    html = (
        f"<html><head>{head}</head><body><article><h1>Cranes</h1>{_body(3)}{figures_html}"
        f"{_body(3)}</article></body></html>"
    )
    result = read_article(_page(tmp_path, html), base_url="https://example.org/news/cranes.html")
    return [
        (url or "", f.caption, f.credit or "")
        for f, url in zip(result.article.figures, result.image_urls, strict=True)
    ]


def test_lazy_loading_under_a_script_own_attribute_name(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        "<figure><img src='data:image/gif;base64,R0lGOD' data-fancy-lazy-src='/m/crane.jpg'>"
        "<figcaption>The crane.</figcaption></figure>",
    )
    assert figs == [("https://example.org/m/crane.jpg", "The crane.", "")]


def test_credit_element_lead_and_separator_leave_the_caption(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        "<figure><img src='/m/crane.jpg'><figcaption><span class='caption'>The crane, 1931"
        "</span><span class='dot'>&bull;</span><span class='copyright'> Crédits : "
        "<em>Port Archive</em></span></figcaption></figure>",
    )
    assert figs == [("https://example.org/m/crane.jpg", "The crane, 1931", "Port Archive")]


def test_a_gallery_title_repeated_under_its_picture_is_one_caption(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        "<figure class='gallery'><figcaption class='title'>Old cranes</figcaption>"
        "<figure><img src='/m/crane.jpg'><figcaption>Old cranes</figcaption></figure></figure>",
    )
    assert figs == [("https://example.org/m/crane.jpg", "Old cranes", "")]


def test_caption_element_after_a_lone_image(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        # (the element around the picture and its caption holds the article: no figure wrapper)
        "<div class='post'><div class='pic'><img src='/m/crane.jpg' alt='alt text'>"
        f"<noscript><img src='/m/crane.jpg'></noscript></div>"
        f"<span class='lead-caption'>Image: Port Archive</span>{_body(3)}"
        "<div><img src='/m/quay.jpg' alt='alt'></div><p class='photo-credit'>The quay at dawn. "
        f"Foto: Anna Berg</p>{_body(1)}</div>",
    )
    assert figs == [
        ("https://example.org/m/crane.jpg", "alt text", "Port Archive"),  # a credit alone
        ("https://example.org/m/quay.jpg", "The quay at dawn.", "Anna Berg"),
    ]


def test_a_caption_wrapper_whose_caption_is_a_credit(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        "<div class='lead'><img src='/m/crane.jpg' alt='alt text'>"
        "<span class='lead-caption'>Image: Port Archive</span></div>"
        "<div><img src='/m/quay.jpg' alt='alt'><p class='photo-credit'>The quay at dawn. "
        "Foto: Anna Berg</p></div>",
    )
    assert figs == [
        ("https://example.org/m/crane.jpg", "alt text", "Port Archive"),
        ("https://example.org/m/quay.jpg", "The quay at dawn.", "Anna Berg"),
    ]


def test_a_lone_captioned_image_below_the_text_is_not_the_articles(tmp_path: Path) -> None:
    # below the article, the page goes on with the next story and its lead picture
    html = (
        "<html><body><div class='post'><h1>Cranes</h1>"
        f"<div class='body'>{_body(4)}</div>"
        "<div class='next'><div><img src='/m/next.jpg' width='800' height='600' alt='x'></div>"
        "<span class='next-caption'>The next story's picture.</span>"
        "<a href='/next.html'>Read the next story: ferries of the northern harbour, their "
        "timetables and the people who run them</a></div></div></body></html>"
    )
    result = read_article(_page(tmp_path, html), base_url="https://example.org/a.html")
    assert result.article.figures == ()


def test_json_ld_describes_a_lone_image(tmp_path: Path) -> None:
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": '
        '"ImageObject", "contentUrl": "https://example.org/files/crane.jpg", "caption": '
        '"The crane at night.", "author": "Anna Berg"}</script>'
    )
    figs = _figures_of(
        tmp_path, "<div><img src='/files/styles/big/crane.jpg' alt='a crane'></div>", head
    )
    assert figs == [
        ("https://example.org/files/styles/big/crane.jpg", "The crane at night.", "Anna Berg")
    ]


def test_a_small_picture_linking_to_its_full_size_is_a_figure(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        "<div class='pics'><a href='/m/crane-full.jpg'><img src='/m/crane-200x150.jpg' "
        "width='200' height='150'></a><div class='caption-text'>The crane.</div></div>"
        "<div class='pics'><a href='/other-story.html'><img src='/m/boat-200x150.jpg' "
        "width='200' height='150'></a><div class='caption-text'>Boats.</div></div>",
    )
    assert figs == [("https://example.org/m/crane-200x150.jpg", "The crane.", "")]


def test_a_short_post_around_a_captioned_picture_is_not_a_figure(tmp_path: Path) -> None:
    # the post's element has a caption-classed child, but that child holds the picture: the
    # child is the figure, and the post's paragraphs stay text
    html = (
        "<html><body><div class='post'><h1>Cranes</h1><div class='entry'>"
        "<p>Walking past the quay this morning I saw the old crane being painted again.</p>"
        "<div class='wp-caption'><img src='/m/crane.jpg' width='500' height='373'>"
        "<p class='wp-caption-text'>The crane.</p></div>"
        "<p>Twenty painters worked on it, and it looked new by noon.</p></div></div>"
        "</body></html>"
    )
    result = read_article(_page(tmp_path, html), base_url="https://example.org/a.html")
    text = _text(result.article)
    assert "Walking past the quay" in text and "Twenty painters" in text
    assert [f.caption for f in result.article.figures] == ["The crane."]


def test_advertisements_and_teaser_cards_are_not_figures(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        "<figure><a href='https://shop.example.com/p'><img src='/m/banner.jpg' alt='Anzeige'>"
        "</a><figcaption>Anzeige</figcaption></figure>"
        "<figure><a href='/other-story.html'><img src='/m/other.jpg'></a><figcaption>"
        "<h2><a href='/other-story.html'>Another story about ships</a></h2></figcaption></figure>"
        "<figure><img src='/m/third.jpg'><figcaption><a href='/third-story.html'>A third "
        "story about ships <span>Read more</span></a></figcaption></figure>"
        "<figure><img src='/m/crane.jpg'><figcaption>The crane. See <a href='/history.html'>"
        "its history</a>.</figcaption></figure>",
    )
    assert figs == [("https://example.org/m/crane.jpg", "The crane. See its history.", "")]


def test_a_caption_element_marked_as_the_source_is_the_credit(tmp_path: Path) -> None:
    figs = _figures_of(
        tmp_path,
        "<div class='media'><img src='/m/crane.jpg'><p class='media__caption'>The crane.</p>"
        "<p class='media__caption media__caption--source'>Anna Berg, Port Archive</p></div>",
    )
    assert figs == [("https://example.org/m/crane.jpg", "The crane.", "Anna Berg, Port Archive")]


def test_saved_page_images_resolve_locally_and_to_the_web(tmp_path: Path) -> None:
    files = tmp_path / "page_files"
    files.mkdir()
    (files / "crane.jpg").write_bytes(b"")
    html = (
        "<html><body><article><h1>Cranes</h1>"
        + _body(3)
        + "<figure><img src='page_files/crane.jpg'><figcaption>The crane.</figcaption></figure>"
        + _body(2)
        + "</article></body></html>"
    )
    result = read_article(
        _page(tmp_path, html), base_url="https://example.org/a/b.html", allow_broken_images=True
    )
    assert result.image_urls == ("https://example.org/a/page_files/crane.jpg",)
    assert result.article.source_url == "https://example.org/a/b.html"


# --- titles, creators, dates ---------------------------------------------------------------


def test_hidden_heading_and_site_name_heading_are_not_the_title(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "<html><head><title>Cranes of the Old Port – Harbour Blog</title></head><body>"
        "<header><h1 class='site-title'>Harbour Blog</h1></header>"
        "<h1 class='sr-only'>Navigation</h1><div class='post'>"
        f"<h2>Cranes of the Old Port</h2>{_body()}</div></body></html>",
    )
    assert read_article(page).article.title == "Cranes of the Old Port"


def test_site_name_is_cut_from_the_page_title(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "<html><head><title>Cranes of the Old Port | Harbour Blog</title>"
        "<meta property='og:site_name' content='Harbour Blog'></head><body>"
        f"<div class='post'>{_body()}</div></body></html>",
    )
    assert read_article(page).article.title == "Cranes of the Old Port"


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Von Henriette Krause", ("Henriette Krause",)),
        ("Par Amélie Durand et Paul Martin", ("Amélie Durand", "Paul Martin")),
        ("Por Juan Pérez y María López", ("Juan Pérez", "María López")),
        ("Di Mario Rossi", ("Mario Rossi",)),
        ("Autor: Klaus Stanjek", ("Klaus Stanjek",)),
    ],
)
def test_bylines_in_other_languages(line: str, names: tuple[str, ...]) -> None:
    byline = parse_byline(line)
    assert byline is not None and byline.creators == names


def test_a_sentence_is_not_a_foreign_byline() -> None:
    assert parse_byline("Di Maria scored the second goal of the evening") is None
    assert parse_byline("De Gaulle went home") is None


def test_json_ld_people_before_their_organisation(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "author": ['
        '{"@type": "Person", "name": "Rob Field"}, {"@type": "Organization", "name": "CNN"}]}'
        f"</script></head><body><article><h1>Cranes</h1>{_body()}</article></body></html>",
    )
    assert read_article(page).article.creators == ("Rob Field",)


_LOCAL_TIME = '<time datetime="2022-05-03T23:37:37-04:00">May 3</time>'


@pytest.mark.parametrize(
    ("head", "shown", "day"),
    [
        ('<meta property="article:published_time" content="2022-11-06T23:00:00.000Z">', "",
         "2022-11-07"),  # local midnight east of Greenwich, stored in UTC
        ('<meta property="article:published_time" content="2022-05-04T03:37:37+00:00">',
         _LOCAL_TIME, "2022-05-03"),  # the page's <time> names the same instant in local time
        ('<meta name="date" content="2019-03-05">', "", "2019-03-05"),
    ],
)  # fmt: skip
def test_publication_day_as_readers_saw_it(tmp_path: Path, head: str, shown: str, day: str) -> None:
    page = _page(
        tmp_path,
        f"<html><head>{head}</head><body><article><h1>Cranes</h1>{shown}"
        f"{_body()}</article></body></html>",
    )
    assert read_article(page).article.date_published == day


def test_local_day_leaves_ordinary_stamps_alone() -> None:
    assert local_day("2019-12-09T19:00:49+01:00", []) is None
    assert local_day("2019-12-09T21:13:00Z", []) is None


def test_dates_from_the_page_when_no_metadata_states_one(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        f"<html><body><article><h1>Cranes</h1><p>Veröffentlicht am 14.03.2019</p>{_body()}"
        "</article></body></html>",
    )
    assert read_article(page).article.date_published == "2019-03-14"


# --- decoding --------------------------------------------------------------------------


def test_utf8_page_declaring_utf16_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    path.write_bytes(
        (
            '<html><head><meta charset="utf-16"></head><body><article><h1>Kräne am Hafen</h1>'
            + _body()
            + "</article></body></html>"
        ).encode("utf-8")
    )
    assert read_article(path).article.title == "Kräne am Hafen"


def test_text_before_a_late_meta_charset_is_not_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    html = (
        "<html><head><title>Grüße aus Köln</title>" + "<!-- padding -->" * 200
        + '<meta charset="windows-1252"></head><body><article><h1>Grüße aus Köln</h1>'
        + _body() + "</article></body></html>"
    )  # fmt: skip
    path.write_bytes(html.encode("cp1252"))
    assert read_article(path).article.title == "Grüße aus Köln"


def test_xml_declaration_with_an_encoding_is_read(tmp_path: Path) -> None:
    path = tmp_path / "p.xhtml"
    path.write_bytes(
        (
            '<?xml version="1.0" encoding="ISO-8859-1"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            "<body><article><h1>Café am Kai</h1>" + _body() + "</article></body></html>"
        ).encode("latin-1")
    )
    assert read_article(path).article.title == "Café am Kai"


def test_a_few_stray_nul_bytes_in_a_large_page_are_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    html = "<html><body><article><h1>Cranes</h1>" + _body(40) + "</article></body></html>"
    data = html.encode("utf-8")
    for at in range(1000, 1000 + 22 * 500, 500):
        data = data[:at] + b"\x00" + data[at:]
    path.write_bytes(data)
    result = read_article(path)
    assert "Harbour paragraph 39" in _text(result.article)
    assert "text-control-character" in result.report.codes()


def test_utf8_page_with_a_few_cp1252_bytes_keeps_both(tmp_path: Path) -> None:
    data = ("<html><body><article><h1>Straße</h1>" + _body() + "<p>Grüße " * 40).encode("utf-8")
    data += "<p>Öl für die Kräne</p></article></body></html>".encode("cp1252")
    report = Report("x")
    text = decode_page(data, report, "x")
    assert "Straße" in text and "Öl für die Kräne" in text
    assert "text-encoding-guessed" in report.codes()


# --- limits ----------------------------------------------------------------------------


def test_figures_beyond_the_limit_are_left_out_and_reported(tmp_path: Path) -> None:
    images = "".join(f"<img src='https://example.org/i{i}.jpg' alt='Crane {i}'>" for i in range(40))
    page = _page(tmp_path, f"<html><body><article><h1>Cranes</h1>{_body(2)}<p>{images}</p>"
                           f"{_body(2)}</article></body></html>")  # fmt: skip
    limits.configure({"figures": 10})
    try:
        result = read_article(page)
    finally:
        limits.configure({"figures": limits.LIMITS["figures"].default})
    assert len(result.article.figures) <= 10
    assert "figures-too-many" in result.report.codes()


def test_a_page_of_nothing_but_navigation_is_empty(tmp_path: Path) -> None:
    page = _page(tmp_path, "<html><body><nav>Home | About | Contact</nav></body></html>")
    with pytest.raises(InputError, match="empty"):
        read_article(page)


def test_a_byline_lead_in_the_metadata_is_not_part_of_the_name(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        '<html><head><meta name="author" content="Von Vanessa Franke"></head><body><article>'
        f"<h1>Cranes</h1>{_body()}</article></body></html>",
    )
    assert read_article(page).article.creators == ("Vanessa Franke",)
