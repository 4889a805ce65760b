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


def article_dates_of(page: str) -> list[tuple[str, str]]:
    import lxml.html

    from bagsmith.ingest.htmlmeta import article_dates

    doc = lxml.html.document_fromstring(page)
    return [s for s in article_dates(doc.find("body"), doc) if s[0] == "labelled"]
