"""Who wrote a web page's article and when: the sources a page offers and the rules that choose
between them (``ingest/htmlmeta.py``, ``ingest/bylines.py``). Every page and value here is a
small fixture written for its rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from bagsmith.ingest import read_article
from bagsmith.ingest.bylines import clean_author
from bagsmith.ingest.htmlmeta import choose_creators, choose_published, page_date

PROSE = (
    "The harbour cranes of the old port were built between the wars and stood until the "
    "container terminal opened on the other bank of the river. "
)


def _body(n: int = 6) -> str:
    return "".join(f"<p>Harbour paragraph {i}. {PROSE * 2}</p>" for i in range(n))


def _read(tmp_path: Path, head: str, body: str) -> tuple[tuple[str, ...], str | None]:
    path = tmp_path / "page.html"
    path.write_text(f"<html><head>{head}</head><body>{body}</body></html>", encoding="utf-8")
    article = read_article(path).article
    return article.creators, article.date_published


# --- names as pages write them -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("View all posts by Hanna Berg", ["Hanna Berg"]),  # a link's label before the name
        ("Eingestellt von Jonas Weber", ["Jonas Weber"]),
        ("Veröffentlicht von kaffeeklatsch", ["kaffeeklatsch"]),
        ("Zeige alle Beiträge von Petra Lind", ["Petra Lind"]),
        ("Author Hanna Berg", ["Hanna Berg"]),
        ("AuthorHanna Berg", ["Hanna Berg"]),  # label and link glued by the page's markup
        ("Auteur Claire Petit", ["Claire Petit"]),
        ("Hanna Berg Chefredakteurin", ["Hanna Berg"]),  # a role after the name
        ("Hanna Berg Alle Artikel", ["Hanna Berg"]),  # a link to the author's other work
        ("Hanna Berg, PhD", ["Hanna Berg"]),  # a degree is not a second author
        ("Mar&iacute;a L&oacute;pez", ["María López"]),  # an HTML entity left in metadata
        ("Hanna Berg - https://hannaberg.example", ["Hanna Berg"]),
        ("hanna[at]example.org", []),
        ("Name", []),  # the comment form's label
        ("Follow", []),
        ("Walter von Aachen", ["Walter von Aachen"]),  # "von" inside a name is no lead
        ("De Gaulle", ["De Gaulle"]),
        ("Tina Kessler,TK", ["Tina Kessler"]),  # her initials are not a second author
        ("kaffeeklatsch kaffeeklatsch", ["kaffeeklatsch"]),  # a link's title and its text
        ("Ana Ruiz, Luis Gil y Eva Mora Tiempo de lectura", ["Ana Ruiz", "Luis Gil", "Eva Mora"]),
    ],
)
def test_names_without_labels_roles_and_links(value: str, names: list[str]) -> None:
    assert clean_author(value) == names


def test_the_first_source_that_names_a_person_decides() -> None:
    sources = [
        ("meta", []),
        ("byline", ["Hanna Berg"]),
        ("author-element", ["Teaser Author", "Other Teaser"]),  # cards of other stories
        ("extractor", ["Hanna Berg"]),
    ]
    assert choose_creators(sources, set()) == ["Hanna Berg"]


def test_the_site_is_not_the_author_when_a_person_is_named() -> None:
    sites = {"harbourtimes", "harbourtimesexample"}
    assert choose_creators([("meta", ["Harbour Times"]), ("byline", ["By Hanna Berg"])], sites) == [
        "Hanna Berg"
    ]
    assert choose_creators([("meta", ["harbourtimes.example"])], set()) == [
        "harbourtimes.example"
    ]  # nobody else named: the site's name is all the page says
    assert choose_creators([("meta", ["Harbour Times - Hanna Berg"])], sites) == ["Hanna Berg"]
    assert choose_creators([("meta", ["Hanna Berg Harbourtimes Staff"])], sites) == ["Hanna Berg"]


def test_people_before_the_organisation_named_beside_them() -> None:
    sources = [("meta", ["Harbour Verlag GmbH", "Hanna Berg", "Jonas Weber"])]
    assert choose_creators(sources, set()) == ["Hanna Berg", "Jonas Weber"]


def test_a_user_name_and_the_written_name_are_one_author() -> None:
    sources = [("meta", ["hanna.berg", "Hanna Berg"])]
    assert choose_creators(sources, set()) == ["Hanna Berg"]


def test_page_meta_author_that_is_the_site_yields_to_the_byline(tmp_path: Path) -> None:
    creators, _ = _read(
        tmp_path,
        '<meta name="author" content="Harbour Times">'
        '<meta property="og:site_name" content="Harbour Times">',
        f'<article><h1>Cranes</h1><p class="byline">By Hanna Berg</p>{_body()}</article>',
    )
    assert creators == ("Hanna Berg",)


# --- days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("01.11.2023", "2023-11-01"),
        ("31. Oktober 2023", "2023-10-31"),
        ("30 septembre 2018", "2018-09-30"),
        ("Freitag, 21. Januar 2022", "2022-01-21"),
        ("2023-11-07 15:03:30", "2023-11-07"),
        ("March 5, 2021", "2021-03-05"),
        ("4. 2. 2022.", "2022-02-04"),  # spaces after the dots: still day.month.year
        ("Veröffentlicht: 04. 02. 2022, 10:00", "2022-02-04"),
        ("the harbour", None),
    ],
)
def test_days_in_other_languages_and_forms(text: str, day: str | None) -> None:
    assert page_date(text) == day


def test_a_day_wins_over_a_year_whatever_the_source() -> None:
    assert choose_published([("json-ld", "2020"), ("extractor", "2020-01-28")]) == "2020-01-28"
    assert choose_published([("json-ld", "2020")]) == "2020"


def test_a_generic_date_meta_yields_to_the_day_the_article_shows(tmp_path: Path) -> None:
    assert choose_published([("date", "2020-04-30"), ("time", "2020-04-29")]) == "2020-04-29"
    _, day = _read(
        tmp_path,
        '<meta name="date" content="2020-04-30">',
        '<article><h1>Cranes</h1><p class="info">Veröffentlicht am 29.04.2020</p>'
        f'<time datetime="2020-04-29">29.04.2020</time>{_body()}</article>',
    )
    assert day == "2020-04-29"


def test_a_labelled_day_in_the_article(tmp_path: Path) -> None:
    _, day = _read(
        tmp_path,
        '<link rel="canonical" href="https://harbour.example/2019/08/24/cranes">',
        "<article><h1>Cranes</h1><p>Letzte Änderung: 24.08.2019<br>Veröffentlicht am "
        f"16.08.2019</p>{_body()}</article>",
    )
    assert day == "2019-08-16"


def test_an_element_marked_date_published(tmp_path: Path) -> None:
    _, day = _read(
        tmp_path,
        "",
        '<article><h1>Cranes</h1><span itemprop="datePublished">27.04.2020 - 18:50 Uhr</span>'
        f"{_body()}<p>Comments closed on 08.07.2020</p></article>",
    )
    assert day == "2020-04-27"


def test_a_day_more_kinds_of_source_agree_on_wins() -> None:
    sources = [("json-ld", "2022-05-04"), ("extractor", "2022-05-03"), ("time", "2022-05-03")]
    assert choose_published(sources) == "2022-05-03"
    # one kind against one: the stronger source
    assert choose_published([("json-ld", "2022-05-04"), ("time", "2022-05-03")]) == "2022-05-04"
    # several metadata fields are one kind: the page's metadata
    sources = [("json-ld", "2022-05-04"), ("datepublished", "2022-05-04"), ("time", "2022-05-03")]
    assert choose_published(sources) == "2022-05-04"


def test_the_date_in_the_byline_element(tmp_path: Path) -> None:
    _, day = _read(
        tmp_path,
        "",
        '<article><h1>Cranes</h1><div class="post-meta">Par Claire Petit | 30 septembre 2018 '
        f"| 12:05</div>{_body()}</article>",
    )
    assert day == "2018-09-30"


def test_an_unmarked_byline_under_the_title(tmp_path: Path) -> None:
    creators, _ = _read(
        tmp_path,
        '<meta property="og:site_name" content="Harbour Times">',
        "<h1>Cranes</h1><span>von Hanna Berg</span>"
        f"<article>{_body()}</article><aside><p>By Teaser Person</p></aside>",
    )
    assert creators == ("Hanna Berg",)


@pytest.mark.parametrize(
    "line",
    [
        "<p>Veröffentlicht am 16.08.2019</p>",
        "<p><b>Veröffentlicht am</b> 16.08.2019</p>",
        "<p>Published: <time>16 August 2019</time></p>",
        "<p>Letzte Änderung: 24.08.2019<br>Erschienen am: 16.08.2019</p>",
    ],
)
def test_the_label_and_its_date_in_one_element_or_two(tmp_path: Path, line: str) -> None:
    assert (
        choose_published(
            article_dates_of(f"<html><body><h1>Cranes</h1>{line}{_body(2)}</body></html>")
        )
        == "2019-08-16"
    )


def article_dates_of(page: str, kind: str = "labelled") -> list[tuple[str, str]]:
    import lxml.html

    from bagsmith.ingest.htmlmeta import article_dates

    doc = lxml.html.document_fromstring(page)
    return [s for s in article_dates(doc.find("body"), doc) if s[0] == kind]


# --- published, updated, local days (issue #12, date ≥ 90 %) -------------------------------


def test_a_day_the_article_shows_as_updated_wins(tmp_path: Path) -> None:
    # the day the page tells its readers it was last changed is the version archived
    _, day = _read(
        tmp_path,
        '<meta property="article:published_time" content="2019-10-15T16:59:59+02:00">',
        '<article><h1>Cranes</h1><div class="author-text">Hanna Berg · Updated Mar 12, 2020'
        f"</div>{_body()}</article>",
    )
    assert day == "2020-03-12"


@pytest.mark.parametrize(
    "line",
    [
        "Last updated on 12 Mar, 2020. 3 min read",
        "Aktualisiert: 12.03.2020, 10:27",
        "Stand: 12.03.2020 18:00 Uhr",
        "Mis à jour le 12 mars 2020",
    ],
)
def test_updated_labels_in_other_languages(line: str) -> None:
    sources = article_dates_of(
        f"<html><body><h1>Cranes</h1><p>{line}</p>{_body(2)}</body></html>", "updated"
    )
    assert sources == [("updated", "2020-03-12")]


def test_a_time_marked_date_modified_is_not_the_articles_time(tmp_path: Path) -> None:
    _, day = _read(
        tmp_path,
        "",
        '<article><h1>Cranes</h1><time itemprop="dateModified" datetime="2018-08-29">29.08.'
        '2018</time><time itemprop="datePublished" datetime="2018-06-22">22.06.2018</time>'
        f"{_body()}</article>",
    )
    assert day == "2018-06-22"


def test_a_time_classed_published_and_updated_is_the_publication() -> None:
    # WordPress themes put hAtom's "published updated" on the one date they show
    sources = article_dates_of(
        '<html><body><h1>Cranes</h1><time class="entry-date published updated" '
        f'datetime="2020-02-22">22. Februar 2020</time>{_body(2)}</body></html>',
        "time",
    )
    assert sources == [("time", "2020-02-22")]


def test_a_utc_stamp_is_read_as_the_local_day_of_the_address() -> None:
    # published at 02:25 UTC, the evening before in New York: the path names the local day
    from bagsmith.ingest.htmlmeta import local_day, url_day

    day = url_day("https://harbour.example/2020/02/24/cranes-sold/")
    assert day == "2020-02-24"
    assert local_day("2020-02-25T02:25:54Z", [], day) == "2020-02-24"
    assert local_day("2020-02-25T02:25:54+01:00", [], day) is None  # a local stamp: as written
    assert local_day("2020-02-28T02:25:54Z", [], day) is None  # days apart: not the same
    assert url_day("https://harbour.example/2017/7/12/cranes") == "2017-07-12"
    assert url_day("https://harbour.example/2017/13/12/cranes") is None


def test_a_utc_stamp_of_the_page_is_corrected_as_the_metadata_is(tmp_path: Path) -> None:
    # a local midnight (CET) stored in UTC, in the metadata and in the article's <time>
    _, day = _read(
        tmp_path,
        '<meta property="article:published_time" content="2022-11-06T23:00:00.000Z">',
        '<article><h1>Cranes</h1><time datetime="2022-11-06T23:00:00.000Z"></time>'
        f"{_body()}</article>",
    )
    assert day == "2022-11-07"


def test_the_date_line_in_the_articles_header() -> None:
    import lxml.html

    from bagsmith.ingest.htmlmeta import header_date

    # the date above the title, in the header that holds it
    doc = lxml.html.document_fromstring(
        '<html><body><div class="article"><div class="head"><div class="kicker">6 May 2022 - '
        f"2:00 a.m.</div><h1>Cranes</h1></div><article>{_body()}</article></div></body></html>"
    )
    assert header_date(doc.find(".//h1"), []) == "2022-05-06"
    # it is a kind of source of its own: with the metadata split, it decides
    sources = [("article:published_time", "2022-05-06"), ("json-ld", "2022-05-05"),
               ("extractor", "2022-05-05"), ("header", "2022-05-06")]  # fmt: skip
    assert choose_published(sources) == "2022-05-06"


def test_the_header_date_under_the_title() -> None:
    import lxml.html

    from bagsmith.ingest.htmlmeta import header_date

    doc = lxml.html.document_fromstring(
        '<html><body><header><h1>Cranes</h1><p>Hanna Berg</p><span class="x">Mittwoch, '
        "26.01.2022 - 14:30</span></header><p>Posted 01.01.2020 in the text</p></body></html>"
    )
    assert header_date(doc.find(".//h1"), []) == "2022-01-26"
    big = doc.find(".//header")
    big.append(lxml.html.fromstring(f"<div>{PROSE * 10}</div>"))  # no longer a header
    assert header_date(doc.find(".//h1"), []) is None


def test_numbers_alone_read_as_the_metadata_reads_them() -> None:
    assert choose_published([("json-ld", "2021-11-01"), ("header", "2021-01-11"),
                             ("time", "2021-01-11")]) == "2021-11-01"  # fmt: skip
    # a day that is no exchange of the metadata's stays the page's own
    sources = [("json-ld", "2021-11-02"), ("header", "2021-01-11"), ("time", "2021-01-11")]
    assert choose_published(sources) == "2021-01-11"


def test_the_day_the_article_shows_that_the_metadata_calls_its_change(tmp_path: Path) -> None:
    # unlabelled, but the metadata says it is the day of the last change: an updated day
    sources = [("json-ld", "2021-03-16"), ("modified", "2021-03-20"), ("extractor", "2021-03-16"),
               ("byline-date", "2021-03-20"), ("date-class", "2021-03-20")]  # fmt: skip
    assert choose_published(sources) == "2021-03-20"
    # the same day published and changed: nothing to tell apart
    sources = [("json-ld", "2021-03-16"), ("modified", "2021-03-16"), ("extractor", "2021-03-16"),
               ("byline-date", "2021-03-20"), ("date-class", "2021-03-20")]  # fmt: skip
    assert choose_published(sources) == "2021-03-16"
    # a changed day alone decides nothing
    assert choose_published([("modified", "2021-03-20"), ("date", "2021-03-16")]) == "2021-03-16"
    assert choose_published([("json-ld", "2021"), ("modified", "2021-03-20")]) == "2021"
    assert choose_published([("modified", "2021-03-20")]) is None
    _, day = _read(
        tmp_path,
        '<meta property="article:published_time" content="2021-11-29T14:13:37+01:00">'
        '<meta property="article:modified_time" content="2022-01-12T14:27:30+01:00">',
        '<article><h1>Cranes</h1><div class="author-box">Hanna Berg <span class="icon">'
        f"</span> 12.01.2022</div>{_body()}</article>",
    )
    assert day == "2022-01-12"


def test_a_sentence_about_an_update_is_no_updated_date() -> None:
    page = (
        "<html><body><h1>Cranes</h1><p>The harbour's list was updated on 12 March 2020 with two "
        f"cranes.</p>{_body(2)}</body></html>"
    )
    assert article_dates_of(page, "updated") == []
