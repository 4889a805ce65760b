"""Plain-text articles written for these tests, in styles other than the seed's."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bagsmith.cli.exits import error_exit
from bagsmith.errors import InputError
from bagsmith.ingest import read_article
from bagsmith.ingest.clutter import clutter_reason
from bagsmith.problems import Report
from bagsmith.resources import json_schema

# Hard-wrapped, "1." numbering with a number alone on its line, site clutter of other kinds
# than the seed's, a byline with a date, an author box and a comment section at the end.
MILLS = """\
Skip to content
Menu
Old Mills of the Danube Valley
Old Mills of the Danube Valley
By Anna Kovács | March 5, 2021
12 Comments
Share this:
Facebook Twitter Pinterest

Water mills once lined the river from Vienna to the delta. This article collects photographs
from regional archives, most of them never published before, with notes on where they were taken
and by whom.

The floating mills

Floating mills were moored in the current and moved with the seasons. Millers lived on board
for months at a time and the mills became small communities of their own.

1. A floating mill near Mohács, 1925. (Fortepan/Ádám Klausz)

2.
Millers unloading grain sacks. Photo credit: Pinterest

3. The mill at Baja in winter. Baja, 12 January 1931
The mill at Baja in winter. Baja, 12 January 1931
The ice closed the river for six weeks that year, and the mill was pulled ashore by oxen.

5. Children fishing beside a mill, in the 1900s. Credit: Keystone/Getty Images
+3 Points
Upvote Downvote

6. Repairs after the flood of March 13th, 1956. Photo 1956: TASS

About the author
Anna writes about rivers and the people who live on them. I love old maps.
Leave a Comment
Your email address will not be published.
Save my name, email, and website in this browser for the next time I comment.
John says: what a lovely set of photographs, thank you for sharing them with us!
"""

HARBOUR = """\
Portraits from the Harbour

Written by Tom Reed

The harbour photographs below were taken by the port's own photographer between the wars.

1) Dock workers at dawn. Hamburg, June 1928 (Photo by Erich Lang)
2) The customs house, c. 1930. © Port Archive
4) A steamer leaving for New York on October 23 – November 10, 1929
"""


def _write(tmp_path: Path, text: str, name: str = "article.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _all_text(record: dict[str, object]) -> str:
    return repr(record)


def test_numbered_dot_style_hard_wrapped_with_clutter(tmp_path: Path) -> None:
    result = read_article(_write(tmp_path, MILLS))
    a = result.article
    assert a.title == "Old Mills of the Danube Valley"
    assert a.creators == ("Anna Kovács",)
    assert a.date_published == "2021-03-05"
    assert [s.heading for s in a.sections] == [None, "The floating mills"]
    first = a.sections[0].paragraphs
    assert len(first) == 1 and first[0].endswith("taken and by whom.")  # wrapped lines joined
    figs = {f.number: f for f in a.figures}
    assert list(figs) == [1, 2, 3, 5, 6]
    assert figs[1].caption == "A floating mill near Mohács, 1925."
    assert figs[1].credit == "Fortepan/Ádám Klausz" and figs[1].date == "1925"
    assert figs[1].places == ("Mohács",)
    assert figs[2].caption == "Millers unloading grain sacks." and figs[2].credit == "Pinterest"
    assert figs[3].description == (
        "The ice closed the river for six weeks that year, and the mill was pulled ashore by oxen."
    )
    assert figs[3].date == "1931-01-12" and figs[3].places == ("Baja",)
    assert figs[5].date == "19XX" and figs[5].credit == "Keystone/Getty Images"
    assert figs[6].date == "1956-03-13" and figs[6].credit == "TASS" and figs[6].places == ()
    text = _all_text(result.record()["sections"]) + _all_text(result.record()["figures"])
    for gone in ("Points", "Upvote", "Share", "Comment", "email", "Menu", "I love", "John says"):
        assert gone not in text
    codes = result.report.codes()
    assert "author-box-removed" in codes and "clutter-removed" in codes
    assert "figure-numbers-missing" in codes


def test_numbered_paren_style_with_credits_and_intervals(tmp_path: Path) -> None:
    a = read_article(_write(tmp_path, HARBOUR)).article
    assert a.creators == ("Tom Reed",)
    assert a.sections[0].paragraphs[0].startswith("The harbour photographs")
    figs = {f.number: f for f in a.figures}
    assert list(figs) == [1, 2, 4]
    assert (figs[1].date, figs[1].places, figs[1].credit) == ("1928-06", ("Hamburg",), "Erich Lang")
    assert figs[1].caption == "Dock workers at dawn. Hamburg, June 1928"
    assert (figs[2].date, figs[2].credit) == ("1930~", "Port Archive")
    assert figs[4].date == "1929-10-23/1929-11-10" and figs[4].places == ("New York",)
    assert a.coverage == "1928-06/1930~"  # the qualifier of the end is kept


def test_hash_style_one_paragraph_per_line_and_label_style(tmp_path: Path) -> None:
    text = (
        "Street Life\n"
        "Street Life\n"
        "A short note on the photographs that follow, all from the city archive collection.\n"
        "Figure 1: Market day. Szeged, 1935\n"
        "Figure 2: The tram depot. Szeged, 1936\n"
        "Market day seen from the church tower. Szeged, 1935\n"
    )
    a = read_article(_write(tmp_path, text)).article
    assert a.title == "Street Life"
    assert all("Street Life" not in p for s in a.sections for p in s.paragraphs)
    assert [f.number for f in a.figures] == [1, 2]
    assert a.figures[1].description == "Market day seen from the church tower. Szeged, 1935"
    assert a.figures[0].places == ("Szeged",)


def test_numbered_list_in_body_with_hash_figures_stays_text(tmp_path: Path) -> None:
    text = (
        "Three Reasons\n\n"
        "There are three reasons the mills closed, and the photographs show all of them.\n\n"
        "1. The railway took the grain trade away from the river.\n\n"
        "#1 A mill standing idle. Baja, 1950\n\n"
        "#2 The railway bridge. Baja, 1952\n"
    )
    a = read_article(_write(tmp_path, text)).article
    assert [f.number for f in a.figures] == [1, 2]
    assert "1. The railway took the grain trade away from the river." in a.sections[0].paragraphs


def test_repeated_and_out_of_order_numbers_are_reported(tmp_path: Path) -> None:
    text = "Title\n\n#2 Second. Baja, 1950\n\n#1 First. Baja, 1950\n\n#2 Second again.\n"
    result = read_article(_write(tmp_path, text))
    codes = result.report.codes()
    assert "figure-number-repeated" in codes and "figure-numbers-out-of-order" in codes
    assert [f.number for f in result.article.figures] == [2, 1, 2]


def test_windows_1252_text_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Café Life\n\n#1 The café in Pécs, 1930\n".encode("cp1252"))
    result = read_article(path)
    assert result.article.title == "Café Life"
    assert "text-encoding-guessed" in result.report.codes()


def test_missing_article_and_images_folder_are_input_errors(tmp_path: Path) -> None:
    _write(tmp_path, HARBOUR, "harbour.txt")
    with pytest.raises(InputError) as exc:
        read_article(tmp_path / "nope.txt")
    assert error_exit(exc.value) == 2 and "nope.txt" in str(exc.value)
    with pytest.raises(InputError, match="images folder"):
        read_article(tmp_path / "harbour.txt", images_dir=tmp_path / "missing")


def test_article_without_a_title_has_a_warning(tmp_path: Path) -> None:
    result = read_article(_write(tmp_path, "#1 The last mill. Baja, 1961\n"))
    assert result.article.title == "" and "title-missing" in result.report.codes()
    assert [f.number for f in result.article.figures] == [1]


_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["#3 A caption. Budapest, 1956", "12.", "By Jane Doe | May 1, 2020",
                     "-1 Points", "Leave a Reply", "About the author", "4 Comments", ""]),
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_LINES, max_size=30))
def test_parser_never_crashes_and_keeps_clutter_out(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "random.txt"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        result = read_article(path)
    except InputError as exc:  # nothing but clutter, or not text at all: refused, named
        assert exc.path == str(path) and error_exit(exc) == 2
        assert re.search("the article is empty|not an article", exc.message), exc.message
        return
    jsonschema.validate(
        result.record(), json_schema("article.schema.json"), cls=jsonschema.Draft202012Validator
    )
    a = result.article
    for text in [p for s in a.sections for p in s.paragraphs] + [f.caption for f in a.figures]:
        assert text.strip() and clutter_reason(text) is None
    assert isinstance(result.report, Report)


def test_markdown_headings(tmp_path: Path) -> None:
    text = (
        "# Fall of the Mills\n\nBy Jane Doe\n\n"
        "Intro paragraph about the mills that closed in the valley over the decades.\n\n"
        "## The last years\n\nThe last mill closed in 1961 after the dam was built.\n\n"
        "#1 The last mill. Baja, 1961\n"
    )
    a = read_article(_write(tmp_path, text, "mills.md")).article
    assert a.title == "Fall of the Mills" and a.creators == ("Jane Doe",)
    assert [s.heading for s in a.sections] == [None, "The last years"]
    assert [(f.number, f.date) for f in a.figures] == [(1, "1961")]


def test_mixed_numbering_styles_continue_the_sequence(tmp_path: Path) -> None:
    """A caption typed in another style ("3)") among "#" captions is still a figure, while a
    number that does not carry the sequence on stays text of the caption before it."""
    article = tmp_path / "mixed.txt"
    article.write_text(
        "A Harbour in Winter\n\nBy Ann Lee\n\n"
        "The harbour froze over three times in the last century, and each time the town went "
        "out on the ice.\n\n"
        "#1 Skaters at the harbour mouth. Tallinn, January 1940\n\n"
        "#2 The ice road to the island, 1942\n\n"
        "3) Fishermen cutting holes in the ice. Credit: Harbour Museum\n\n"
        "#4 The thaw, March 1942\n\n"
        "The list below was kept by the harbour master:\n\n"
        "9) a date far past the sequence stays text\n",
        encoding="utf-8",
    )
    record = read_article(article).article
    assert [f.number for f in record.figures] == [1, 2, 3, 4]
    third = record.figures[2]
    assert third.caption.startswith("Fishermen cutting holes")
    assert third.credit == "Harbour Museum"
    assert "9) a date far past" not in " ".join(f.caption for f in record.figures)
