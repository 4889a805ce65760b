"""Caption analysis: EDTF dates, places, credits, bylines and the general clutter rules."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bagsmith.ingest.bylines import parse_byline
from bagsmith.ingest.captions import analyse, find_marker, split_credit
from bagsmith.ingest.clutter import clutter_reason, strip_trailing_widget
from bagsmith.ingest.dates import coverage, find_dates, is_valid_edtf, to_edtf
from bagsmith.ingest.places import find_places


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Budapest, November 1956", "1956-11"),
        ("on October 23, 1956", "1956-10-23"),
        ("on 23 October 1956", "1956-10-23"),
        ("signed Dec. 5, 1933", "1933-12-05"),
        ("after March 13th, 1956", "1956-03-13"),
        ("Budapest, 30th October 1956.", "1956-10-30"),
        ("a house built in 1901", "1901"),
        ("farms of the 1800s", "18XX"),
        ("cars of the 1950s", "195X"),
        ("from October 23 – November 10, 1956", "1956-10-23/1956-11-10"),
        ("on October 23–30, 1956", "1956-10-23/1956-10-30"),
        ("November 1956 – January 1957", "1956-11/1957-01"),
        ("between 1950 and 1955", "1950/1955"),
        ("circa 1956", "1956~"),
        ("possibly 1956", "1956?"),
        ("taken 1956?", "1956?"),
        ("published 2021-03-05", "2021-03-05"),
    ],
)
def test_dates_become_edtf(text: str, expected: str) -> None:
    found = find_dates(text)
    assert [d.edtf for d in found] == [expected]
    assert is_valid_edtf(expected)


@pytest.mark.parametrize(
    "text",
    [
        "Hungarian soldiers two years after the end of the revolution.",
        "Over 2,500 Hungarians and 700 Soviet troops",
        "they may go in May",
        "a 12.5 percent rise",
    ],
)
def test_no_date_is_guessed(text: str) -> None:
    assert find_dates(text) == []


def test_invalid_day_is_not_a_day_and_bad_edtf_is_rejected() -> None:
    assert [d.edtf for d in find_dates("February 30, 1956")] == ["1956"]
    assert not is_valid_edtf("1956-13")
    assert not is_valid_edtf("")
    assert to_edtf("2021-03-05T10:00:00+00:00") == "2021-03-05"
    assert to_edtf("5 March 2021") == "2021-03-05"
    assert to_edtf("sometime") is None


def test_coverage_spans_the_dates() -> None:
    assert coverage(["1956-11", "1956-10-23", "1956"]) == "1956"
    assert coverage(["1956-11", "1956-10-23"]) == "1956-10-23/1956-11"
    assert coverage(["1930~", "1928-06", "1929-10-23/1929-11-10"]) == "1928-06/1930~"
    assert coverage(["1956-11?", "1930", "1912-08~"]) == "1912-08~/1956-11?"  # qualifiers kept
    assert coverage(["1912-08~", "1912-08", "1956-11?"]) == "1912-08/1956-11?"  # one is sure
    assert coverage(["1912-08~", "1912-08?", "1913"]) == "1912-08%/1913"  # both: %
    assert coverage(["1956-11~", "1956-11-04"]) == "1956-11~"
    assert coverage(["18XX"]) is None
    assert coverage([]) is None


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("0123456789 -–/,.?~sJanuaryOctober thof")), max_size=60)
)
def test_every_date_found_is_valid_edtf(text: str) -> None:
    for mention in find_dates(text):
        assert is_valid_edtf(mention.edtf), mention
        assert 0 <= mention.start < mention.end <= len(text)


# Valid EDTF of every level (the specification's examples), each of which must pass the quick
# character check and the parser alike.
EDTF_EXAMPLES = [
    "1985-04-12",
    "1985-04-12T23:20:30Z",
    "1985-04-12T23:20:30-04:00",
    "1964/2008",
    "Y170000002",
    "Y-17E7",
    "2001-21",
    "2001-21^a",
    "1984?",
    "2004-06~",
    "2004-06-11%",
    "201X",
    "1985-04-12/..",
    "../1985-04",
    "1950S2",
    "[1667,1668,1670..1672]",
    "{1960,1961-12}",
    "2004-?06-11",
    "2004?-06-~11",
    "156X-12-25",
    "1985-04-12/1985-06?",
]


@pytest.mark.parametrize("value", EDTF_EXAMPLES)
def test_valid_edtf_of_every_level_passes_the_character_check(value: str) -> None:
    assert is_valid_edtf(value), value


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(EDTF_EXAMPLES),
    st.integers(min_value=0, max_value=40),
    st.text(
        alphabet=st.sampled_from(list("abcuxyzUOS MinLesezeit:Uhr.^é-")), min_size=1, max_size=4
    ),
)
@example("2001-21", 7, "^ a")  # the parser reads "^ a" as a season's qualifier "a"
def test_the_character_check_refuses_only_what_the_parser_refuses(
    value: str, at: int, insert: str
) -> None:
    """``is_valid_edtf`` answers text with a character outside EDTF's without importing the
    parser (0.1 s): its answer must be the parser's."""
    from edtf import parse_edtf

    candidate = value[:at] + insert + value[at:]
    try:
        parse_edtf(candidate)
        parsed = True
    except Exception:
        parsed = False
    assert is_valid_edtf(candidate) == (
        parsed and len(candidate) <= 64 and candidate == candidate.strip()
    )


def test_free_text_is_no_date_without_the_parser() -> None:
    """A page's free text in a date field ("Lesezeit: 1 Min.") is refused before the parser
    is imported (0.1 s of every ``parse`` of a saved page, found by bench/bench_parse.py)."""
    import subprocess
    import sys

    script = (
        "import sys; from bagsmith.ingest.dates import to_edtf; "
        "print([to_edtf(v) for v in ('Lesezeit: 1 Min.', 'Uhr', '20.06.2019', '07:30', '128')], "
        "'edtf' in sys.modules)"
    )  # '128': a number in the article's header, read for its date (issue 12)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[None,", "None,", "None,", "None,", "None]", "False"]


@pytest.mark.parametrize(
    ("caption", "rest", "credit"),
    [
        ("Fighting near the Corvin Passage (Fortepan/Ádám Klausz)", "Fighting near the Corvin Passage", "Fortepan/Ádám Klausz"),
        ("Soviet tanks in Budapest. Photo 1956: TASS", "Soviet tanks in Budapest.", "TASS"),
        ("A rally in the square. Photo credit: Pinterest", "A rally in the square.", "Pinterest"),
        ("Refugees at the border. Credit: Keystone/Getty Images", "Refugees at the border.", "Keystone/Getty Images"),
        ("A crowd (Photo by John Smith) in the square.", "A crowd in the square.", "John Smith"),
        ("Dock workers at dawn. Photo: Erich Lang", "Dock workers at dawn.", "Erich Lang"),
        ("Parliament at night © Jane Doe", "Parliament at night", "Jane Doe"),
        ("The old mill. Courtesy of the Town Archive", "The old mill.", "the Town Archive"),
        ("Member of the secret police (AVH) surrounded.", "Member of the secret police (AVH) surrounded.", None),
        # credits in other languages, and photo agencies named after the caption
        ("Die Werft im Winter. Kuva: Anna Berg", "Die Werft im Winter.", "Anna Berg"),
        ("El puerto de noche. Imagen: Archivo", "El puerto de noche.", "Archivo"),
        ("Dźwig w porcie. Fot. Jan Nowak / Agencja Port", "Dźwig w porcie.", "Jan Nowak / Agencja Port"),
        ("Dock workers / Shutterstock", "Dock workers", "Shutterstock"),
        ("The crane in winter. (jdoe / iStock.com)", "The crane in winter.", "jdoe / iStock.com"),
        ("The quay at dawn. | APG", "The quay at dawn.", "APG"),
        ("The quay at dawn / (C) Ana Ruiz", "The quay at dawn", "Ana Ruiz"),
        ("The map of Europe / Asia", "The map of Europe / Asia", None),
        ("Meeting the AP reporters in Rome", "Meeting the AP reporters in Rome", None),
        ("The hottest spot is the middle Foto: Port Lab", "The hottest spot is the middle", "Port Lab"),
        ("A look at the photo: nothing", "A look at the photo: nothing", None),
    ],
)  # fmt: skip
def test_credits_are_taken_out_of_captions(caption: str, rest: str, credit: str | None) -> None:
    text, found = split_credit(caption)
    assert text == rest
    assert (found.text if found else None) == credit


def test_photo_year_in_credit_dates_the_figure() -> None:
    facts = analyse("Soviet tanks in the streets. Photo 1956: TASS", None)
    assert facts.credit == "TASS" and facts.date == "1956"


@pytest.mark.parametrize(
    ("caption", "places"),
    [
        ("Gunmen fighting during the revolt. Budapest, November 1956", ["Budapest"]),
        ("A mass rally in front of the town hall in Gyor, Hungary on October 23, 1956", ["Gyor", "Hungary"]),
        ("Fishing boats. Kispest, Pest County, 1931", ["Kispest", "Pest County"]),
        ("Refugees leaving toward Austria.", ["Austria"]),
        ("A young rebel taking part in the Hungarian Revolution of 1956.", []),
        ("Hungarian Revolutionaries burning a flag, 1956.", []),
        ("Repairs after the flood of March 13th, 1956.", []),
        ("Police opened fire on the crowd.", []),
    ],
)  # fmt: skip
def test_places(caption: str, places: list[str]) -> None:
    assert list(analyse(caption, None).places) == places


def test_places_keep_the_spelling_and_add_the_standard_form() -> None:
    found = find_places("Crowds in Gyor, 1956", None)
    assert [(p.text, p.standard) for p in found] == [("Gyor", "Győr")]


def test_caption_and_description_together() -> None:
    facts = analyse(
        "Tank of the insurgents.", "One of the tanks that guarded the road. Budapest, November 1956"
    )
    assert facts.caption == "Tank of the insurgents."
    assert facts.date == "1956-11" and facts.places == ("Budapest",)


def test_several_different_dates_are_not_chosen_between() -> None:
    facts = analyse("A statue from 1901 seen again in 1956 by its sculptor's son", None)
    assert facts.date is None and facts.date_ambiguous
    tail = analyse("A statue from 1901. Budapest, October 1956", None)
    assert tail.date == "1956-10" and not tail.date_ambiguous


@pytest.mark.parametrize(
    ("line", "number", "caption"),
    [
        ("#12 A caption", 12, "A caption"),
        ("#5", 5, ""),
        ("12. A caption", 12, "A caption"),
        ("12.", 12, ""),
        ("12) A caption", 12, "A caption"),
        ("Figure 3: A tank", 3, "A tank"),
    ],
)
def test_numbering_styles(line: str, number: int, caption: str) -> None:
    marker = find_marker(line)
    assert marker is not None and (marker.number, marker.caption) == (number, caption)


@pytest.mark.parametrize(
    "line", ["1956. The year of", "12.5 percent", "Photo 1956: TASS", "A #1 hit"]
)
def test_not_figure_numbers(line: str) -> None:
    assert find_marker(line) is None


@pytest.mark.parametrize(
    ("line", "creators", "date"),
    [
        ("Written by Benjamin Grayson", ["Benjamin Grayson"], None),
        ("By Jane Doe | March 3, 2021", ["Jane Doe"], "2021-03-03"),
        ("By John Smith and Mary Jones", ["John Smith", "Mary Jones"], None),
        ("by Anna Kovács, March 5, 2021", ["Anna Kovács"], "2021-03-05"),
        ("Published on 5 March 2021", [], "2021-03-05"),
    ],
)
def test_bylines(line: str, creators: list[str], date: str | None) -> None:
    byline = parse_byline(line)
    assert byline is not None
    assert list(byline.creators) == creators and byline.date == date


@pytest.mark.parametrize(
    "line",
    ["By the end of October, protests had stopped.", "By January 1957, the government", "By Staff"],
)
def test_sentences_starting_with_by_are_not_bylines(line: str) -> None:
    assert parse_byline(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "in", "logo", "Menu", "-1 Points", "+12 votes", "Upvote Downvote", "Share Tweet Pin",
        "Facebook Twitter Pinterest", "Leave a Reply", "Leave a Comment", "4 Comments",
        "Comments (12)", "No Comments", "Your email address will not be published.",
        "Required fields are marked *", "Save my name, email, and website in this browser.",
        "Share this:", "Share on Facebook", "Click to share on Twitter (Opens in new window)",
        "Follow us on Instagram", "Subscribe to our newsletter", "Like Loading...", "• • •",
        "Posted in History", "Tags: war, 1956", "Previous Post", "You may also like",
    ],
)  # fmt: skip
def test_clutter_lines(line: str) -> None:
    assert clutter_reason(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "Police opened fire on protestors",
        "Tank of the Hungarian insurgents.",
        "The Collapse of the Government",
        "Share prices fell sharply in the autumn of 1956 as the crisis deepened.",
        "1956",
        "In the end, the crowd went home.",
    ],
)
def test_article_lines_are_not_clutter(line: str) -> None:
    assert clutter_reason(line) is None


def test_trailing_vote_widget_is_cut_from_a_line() -> None:
    assert strip_trailing_widget("Budapest, 1956. -1 Points Upvote Downvote") == "Budapest, 1956."
    assert strip_trailing_widget("Budapest, 1956.") == "Budapest, 1956."


_DATE_WORDS = st.sampled_from(
    ["October", "Oct.", "May", "may", "Sept", "23", "23rd", "1956", "1950s", "1800s", "56", "٢٣",
     "١٩٥٦", "2004", "between", "from", "and", "to", "–", "-", "/", ",", ".", "circa", "possibly",
     "of", "the", "Budapest", "?", "1956-10-23", "12", "x1956", "19567"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_DATE_WORDS, max_size=9).map(" ".join))
@example("the 1950s and 1960s")
@example("23 October – 4 November 1956")
@example("١٩٥٦")
def test_find_dates_skips_only_patterns_that_cannot_match(text: str) -> None:
    """find_dates does not scan a text without four digits in a row (every pattern needs them),
    nor with the month patterns one without a month's name: the dates are those of a scan with
    every pattern."""
    from unittest import mock

    from bagsmith.ingest import dates

    assert {k for k, p in dates._PATTERNS if dates._M in p.pattern} == dates._MONTH_PATTERNS
    always = mock.Mock(search=lambda text: True)
    with (
        mock.patch.object(dates, "_FOUR_DIGITS", always),
        mock.patch.object(dates, "_MONTH_NAME", always),
    ):
        every = find_dates(text)
    assert find_dates(text) == every


@given(st.text(alphabet=st.sampled_from("aZ Gy ő19²٣.-,éEİß"), max_size=12) | st.text(max_size=12))
def test_place_folding_and_digit_check_short_cuts(text: str) -> None:
    """An ASCII name is folded by casefold alone and searched for digits by one regular
    expression: the same as decomposing it and asking every character."""
    import unicodedata

    from bagsmith.ingest import places

    decomposed = unicodedata.normalize("NFKD", text)
    slow = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    assert places.fold(text) == slow
    assert places._has_digit(text) == any(ch.isdigit() for ch in text)
