"""Clutter, author boxes and bylines in article styles other than the seed's (text and HTML)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bagsmith.ingest.assemble import Assembled
from bagsmith.ingest.bylines import parse_byline
from bagsmith.ingest.clutter import author_link, clutter_reason, credit_line, related_list_start
from bagsmith.ingest.html import HtmlArticle, parse_html
from bagsmith.ingest.text import parse_text
from bagsmith.problems import Report


def _text(article: str) -> tuple[Assembled, Report]:
    report = Report("article.txt")
    return parse_text(article, report, "article.txt"), report


def _html(tmp_path: Path, page: str) -> HtmlArticle:
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    return parse_html(path.read_bytes(), path, Report(str(path)))


def _all_text(a: Assembled) -> str:
    parts = [h or "" for h, _ in a.sections] + [p for _, ps in a.sections for p in ps]
    parts += [f.caption for f in a.figures] + [d for f in a.figures for d in f.description]
    return "\n".join(parts)


# A mill-town story: "1)" numbering, a vote widget and comment form after the last figure,
# then a bio that names the author without "About the author".
WINDMILLS = """\
Windmills of Kinderdijk
By Pieter de Vries | 9 April 2018

The polder was drained by nineteen mills built in the 1740s, and most of them still turn today.

1) The row of mills along the Nieuwe Waterschap canal, 1938.
Seen from the dyke road, looking north.
2) A miller's family outside the Blokweer mill, about 1910.
3) Ice skating on the canal below the mills, January 1963.
17 Points
Upvote Downvote
Leave a Reply
Your email address will not be published. Required fields are marked *
Pieter de Vries is a photographer who grew up in Alblasserdam and collects old postcards.
"""


def test_clutter_ends_a_figure_and_the_comment_form_ends_the_article() -> None:
    a, report = _text(WINDMILLS)
    assert a.creators == ["Pieter de Vries"]
    assert a.date_published == "2018-04-09"
    assert [f.number for f in a.figures] == [1, 2, 3]
    assert a.figures[0].description == ["Seen from the dyke road, looking north."]
    assert a.figures[2].description == []
    assert "photographer" not in _all_text(a)
    assert "trailing-section-removed" in {p.code for p in report.problems}


def test_vote_lines_end_a_figure_and_a_bio_naming_the_author_is_kept_out() -> None:
    # no comment form: the vote widget ends the figure, the bio is recognised by its subject
    article = WINDMILLS.replace("Leave a Reply\n", "").replace(
        "Your email address will not be published. Required fields are marked *\n", ""
    )
    a, report = _text(article)
    assert a.figures[2].description == []
    assert "photographer" not in _all_text(a)
    assert "author-box-removed" in {p.code for p in report.problems}


def test_a_description_is_kept_when_no_clutter_intervenes() -> None:
    a, _ = _text(WINDMILLS.replace("17 Points\nUpvote Downvote\n", "Skaters crowd the ice.\n"))
    assert a.figures[2].description == ["Skaters crowd the ice."]


# A plain blog post: "Posted by NAME on DATE", share buttons, a related-posts list and an
# author box ending in "More from NAME".
CASTLES = """\
Castles of the Loire in Winter
Posted by Hélène Dubois on 14 February 2016
Share
Tweet

Few visitors see the châteaux of the Loire under snow, and the photographs here were all taken in
the hard winter of 1956 by a local postman with a borrowed camera.

You may also like
A weekend in Tours
Ten gardens of Villandry

The postman's archive
His negatives were found in a barn in 1998 and given to the departmental archives in Blois.

Hélène Dubois
Hélène studied art history in Lyon and writes about French provincial life.
More from Hélène Dubois
"""


def test_posted_by_name_on_date() -> None:
    a, _ = _text(CASTLES)
    assert a.creators == ["Hélène Dubois"]
    assert a.date_published == "2016-02-14"


def test_related_list_is_dropped_up_to_the_next_heading() -> None:
    a, _ = _text(CASTLES)
    text = _all_text(a)
    assert "Villandry" not in text and "Tours" not in text
    assert ("The postman's archive", [
        "His negatives were found in a barn in 1998 and given to the departmental archives in "
        "Blois."
    ]) in a.sections  # fmt: skip


def test_author_box_is_not_a_section() -> None:
    a, report = _text(CASTLES)
    assert [h for h, _ in a.sections] == [None, "The postman's archive"]
    assert "art history" not in _all_text(a)
    assert "author-box-removed" in {p.code for p in report.problems}


def test_author_box_gives_the_creator_when_there_is_no_byline() -> None:
    article = CASTLES.replace("Posted by Hélène Dubois on 14 February 2016\n", "")
    article = article.replace("More from Hélène Dubois", "View all posts by Hélène Dubois »")
    a, _ = _text(article)
    assert a.creators == ["Hélène Dubois"]
    assert [h for h, _ in a.sections] == [None, "The postman's archive"]


def test_a_name_line_without_a_link_to_other_posts_stays_a_heading() -> None:
    a, _ = _text(CASTLES.replace("More from Hélène Dubois\n", ""))
    assert "Hélène Dubois" in [h for h, _ in a.sections]


# Numbered captions in the "12." style with a numbered share prompt among them.
BRIDGES = """\
Bridges of Budapest
Written by Eszter Nagy

The city had no permanent bridge over the Danube until 1849, when the Chain Bridge opened.

1. The Chain Bridge under construction, 1848.
2. Margaret Bridge after the explosion of November 1944.
3. Share this:
4. Liberty Bridge reopened, 20 August 1946.
"""


def test_numbered_share_prompt_is_clutter_not_a_figure() -> None:
    a, _ = _text(BRIDGES)
    assert [f.number for f in a.figures] == [1, 2, 4]
    assert "Share" not in _all_text(a)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Posted by Ana Ruiz on 3 March 2015", (("Ana Ruiz",), "2015-03-03")),
        ("Posted on 3 March 2015", ((), "2015-03-03")),
        ("By Jan Kowalski", (("Jan Kowalski",), None)),
        ("By June Carter and May Brown", (("June Carter", "May Brown"), None)),
    ],
)
def test_bylines(line: str, expected: tuple[tuple[str, ...], str | None]) -> None:
    byline = parse_byline(line)
    assert byline is not None
    assert (byline.creators, byline.date) == expected


def test_a_month_alone_is_not_a_name() -> None:
    assert parse_byline("By March") is None


@pytest.mark.parametrize(
    "line", ["Related posts:", "Related articles", "You may also like", "Read next", "Related"]
)
def test_related_headings(line: str) -> None:
    assert related_list_start(line)


@pytest.mark.parametrize("line", ["Read more", "Related work in the archives shows this."])
def test_not_related_headings(line: str) -> None:
    assert not related_list_start(line)


@pytest.mark.parametrize(
    "line", ["View all posts", "More from Ana Ruiz", "Follow Ana on Twitter", "See all articles"]
)
def test_author_links(line: str) -> None:
    assert author_link(line)


def test_a_sentence_starting_with_follow_is_not_an_author_link() -> None:
    assert not author_link("Follow the river north for ten miles.")


PAGE = """<!DOCTYPE html>
<html><head><title>Lighthouses</title></head><body><article>
<h1>Lighthouses of the Baltic</h1>
{byline}
<p>The first lighthouse on the Hel peninsula was lit in 1826 and burned rapeseed oil.</p>
<h2>Keepers</h2>
<p>Keepers lived at the tower with their families until the lights were automated.</p>
<h3>Related articles</h3>
<p>Ports of Pomerania</p>
<p>The amber coast</p>
</article></body></html>
"""


@pytest.mark.parametrize(
    "byline",
    [
        '<p class="byline">By Ewa Zielińska, 2 June 2017</p>',
        '<div class="post-author">Ewa Zielińska</div>',
        '<span itemprop="author"><span itemprop="name">Ewa Zielińska</span></span>',
        '<p>By <a rel="author" href="/ewa">Ewa Zielińska</a></p>',
    ],
)
def test_html_byline_elements_give_creators(tmp_path: Path, byline: str) -> None:
    page = _html(tmp_path, PAGE.format(byline=byline))
    a = page.assembled
    assert page.meta.creators == ["Ewa Zielińska"]
    assert [h for h, _ in a.sections] == [None, "Keepers"]
    assert "Zielińska" not in _all_text(a)
    if "2 June" in byline:
        assert page.meta.date_published == "2017-06-02"


def test_html_related_list_is_dropped(tmp_path: Path) -> None:
    a = _html(tmp_path, PAGE.format(byline="")).assembled
    text = _all_text(a)
    assert "Pomerania" not in text and "amber" not in text
    assert "Related" not in text


def test_related_teasers_cut_off_are_dropped_but_the_next_paragraph_stays() -> None:
    article = CASTLES.replace(
        "Ten gardens of Villandry\n",
        "Ten gardens of Villandry\nEvery summer the gardens of the château draw crowds who come"
        " to see the vegetables laid out in…\n",
    )
    a, _ = _text(article)
    assert "crowds" not in _all_text(a)
    assert "His negatives were found" in _all_text(a)


def test_a_one_word_creator_is_not_taken_for_a_bio() -> None:
    article = BRIDGES.replace("Written by Eszter Nagy", "By Reuters") + (
        "\nReuters is keeping the photographs in its London archive since 1995.\n"
    )
    a, _ = _text(article)
    assert "London archive" in _all_text(a)


def test_a_number_alone_takes_its_caption_across_a_clutter_line() -> None:
    article = BRIDGES.replace("2. Margaret Bridge", "2.\nAdvertisement\nMargaret Bridge").replace(
        "3. Share this:\n", ""
    )
    a, _ = _text(article)
    assert [(f.number, f.caption) for f in a.figures][1] == (
        2,
        "Margaret Bridge after the explosion of November 1944.",
    )


def test_html_author_box_without_a_class_is_not_a_section(tmp_path: Path) -> None:
    box = (
        "<h4>Ewa Zielińska</h4><p>Ewa is a historian of the Baltic ports.</p>"
        '<p><a href="/ewa">View all posts</a></p>'
    )
    page = _html(tmp_path, PAGE.format(byline="").replace("<h3>Related", box + "<h3>Related"))
    a = page.assembled
    assert [h for h, _ in a.sections] == [None, "Keepers"]
    assert "historian" not in _all_text(a)
    assert a.creators == ["Ewa Zielińska"]


# --- see-also links, newsletter prompts, credit lines (issue 12, evaluation set losses) ---


@pytest.mark.parametrize(
    "line",
    [
        "Read more: Harbour cranes to be listed as monuments",
        "Lea también: Las grúas del puerto viejo serán monumento",
        "LE PUEDE INTERESAR: Las grúas del puerto viejo",
        "À lire aussi » Les grues du vieux port classées",
        "Lesen Sie auch: Die Kräne am alten Hafen",
        "Czytaj też: Dźwigi w starym porcie",
        "Mira: Grúas del puerto viejo, una historia",
        "Weiterlesen:",
    ],
)
def test_see_also_lines_are_clutter(line: str) -> None:
    assert clutter_reason(line) == "see-also link"


@pytest.mark.parametrize(
    "line",
    [
        "Lea: Yo creo que las grúas tienen que quedarse donde están.",  # an interview answer
        "Mira watched the cranes from the quay every morning before work.",
        "Read more about the cranes in the port's own archive, which opened in 1998.",
    ],
)
def test_sentences_that_start_like_see_also_lines_are_text(line: str) -> None:
    assert clutter_reason(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for the Harbour News newsletter",
        "Zum Newsletter anmelden",
        "Never miss the latest news by signing up to our newsletter today!",
    ],
)
def test_newsletter_prompts_are_clutter(line: str) -> None:
    assert clutter_reason(line) == "newsletter prompt"


def test_a_sentence_about_a_newsletter_is_text() -> None:
    assert clutter_reason("The port authority's newsletter first appeared in 1923.") is None


@pytest.mark.parametrize(
    "line",
    [
        "Foto: Anna Weber",
        "Fot. Jan Kowalski / Agencja Port",
        "(Credit: Ana Ruiz / Harbour Press)",
        "© Port Archive | Ana Ruiz",
        "Crédits photos : Port Archive",
        "Titelbild: Hafenarchiv",
        "Imagen: Archivo del Puerto",
    ],
)
def test_credit_lines(line: str) -> None:
    assert credit_line(line)


@pytest.mark.parametrize(
    "line", ["The photo: a crane at dusk.", "Foto", "Source of the river, 1880, in winter light"]
)
def test_not_credit_lines(line: str) -> None:
    assert not credit_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Lesen Sie auch:",
        "Auch interessant:",
        "Schon gelesen?",
        "Contenido Relacionado",
        "NOTAS RELACIONADAS",
        "Empfohlene Beiträge",
        "Czytaj też",
    ],
)
def test_related_headings_in_other_languages(line: str) -> None:
    assert related_list_start(line)


def test_see_also_links_credit_lines_and_newsletter_prompts_leave_the_html_text(
    tmp_path: Path,
) -> None:
    body = "".join(
        f"<p>Cranes paragraph {i}. The harbour cranes of the old port were built between the "
        "wars and stood until the container terminal opened on the far bank.</p>"
        for i in range(5)
    )
    page = (
        "<html><body><article><h1>The Cranes of the Old Port</h1>"
        f"{body[: len(body) // 2]}"
        "<p>Read more: Harbour cranes to be listed as monuments</p>"
        "<figure><img src='crane.jpg' width='800' height='600' alt=''>"
        "<figcaption>The last crane, 1979.</figcaption></figure>"
        "<p>Foto: Anna Weber</p>"
        f"{body[len(body) // 2 :]}"
        "<p>Sign up for the Harbour News newsletter</p>"
        "</article></body></html>"
    )
    result = _html(tmp_path, page)
    text = _all_text(result.assembled)
    assert "Cranes paragraph 4" in text
    assert "Read more" not in text and "Anna Weber" not in text and "newsletter" not in text
    assert [(f.caption, f.credit) for f in result.assembled.figures] == [
        ("The last crane, 1979.", "Anna Weber")
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Subscribe now to our e-edition for the full story.", "subscription or follow prompt"),
        ("If you are already a subscriber, log in to read on.", "subscription or follow prompt"),
        ("Download the Harbour News apps for iOS and Android.", "subscription or follow prompt"),
        ("Follow Harbour News on Twitter and Instagram.", "subscription or follow prompt"),
        ("Síguenos en Telegram y Facebook para más noticias", "subscription or follow prompt"),
        ("Aktualisiert am 17.01.2021.", "page furniture"),
        ("Last modified: 3 May 2004", "page furniture"),
        ("Kategorie: Hafen", "page furniture"),
    ],
)
def test_prompts_stamps_and_labels(line: str, reason: str) -> None:
    assert clutter_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Follow the river north to the old mill, where Facebook once had an office.",
        "The paper had 40,000 subscribers who could read the full story each morning.",
        "Updated plans for the harbour were drawn in 1990 after the floods.",
    ],
)
def test_sentences_like_prompts_are_text(line: str) -> None:
    assert clutter_reason(line) is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("5 min read", "reading time"),
        ("Lesezeit: 3 Minuten", "reading time"),
        ("Anzeige – Hafenrundfahrt buchen: jetzt zehn Prozent sparen", "advertisement label"),
        ("*Werbung. Dieser Beitrag enthält Werbung für eine Reederei.", "advertisement label"),
    ],
)
def test_reading_times_and_advertisement_labels(line: str, reason: str) -> None:
    assert clutter_reason(line) == reason


def test_a_sentence_about_advertising_is_text() -> None:
    assert (
        clutter_reason("Werbung für Hafenrundfahrten gab es schon 1925 in jeder Zeitung.") is None
    )


def test_a_related_list_of_headings_leaves_the_html_text(tmp_path: Path) -> None:
    body = "".join(
        f"<p>Cranes paragraph {i}. The harbour cranes of the old port were built between the "
        "wars and stood until the container terminal opened on the far bank.</p>"
        for i in range(5)
    )
    page = (
        f"<html><body><article><h1>The Cranes of the Old Port</h1>{body}"
        "<h2>Notas relacionadas</h2><h3>Tugboats return to the old harbour</h3>"
        "<p>After twenty years away, the tugs are back at the quay where they were built and…</p>"
        "<h3>The ferry timetable changes in May</h3>"
        "<p>The morning ferry will leave half an hour earlier from the first of May, and the…</p>"
        "</article></body></html>"
    )
    text = _all_text(_html(tmp_path, page).assembled)
    assert "Cranes paragraph 4" in text
    assert "Tugboats" not in text and "ferry" not in text and "relacionadas" not in text
    assert "tugs are back" not in text
