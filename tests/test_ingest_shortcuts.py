"""Short cuts of the parse side (issue 16) against the full work they stand for.

Each short cut skips work that cannot change the result (a regular expression that cannot
match a text, the standard library's slow JSON encoder); each test here runs both ways on
generated input and asks for the same answer.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bagsmith.ingest import captions, clutter
from bagsmith.model import Article, Figure, ImageInfo, Section, evolve
from bagsmith.pipeline import layout
from bagsmith.pipeline.jsontext import dumps_indented
from bagsmith.pipeline.packaging import _record_bytes

# --- JSON text ------------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=())
    | st.sampled_from('"\\\n\t\x00\x7f\u2028é')
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(_TEXT, inner, max_size=4)
    ),
    max_leaves=30,
)


class _Label(str):
    """A str subclass: left to json.dumps."""


@settings(max_examples=400, deadline=None)
@given(_JSON)
@example({"a": [], "b": {}, "c": [{}], "d": [[1.5, -0.0, 1e16, math.inf, -math.inf, math.nan]]})
@example({"key": _Label("value")})
@example({3: "an int key", None: True, 1.5: "a float key"})
@example([True, 1, False, 0])
def test_indented_json_is_the_standard_librarys(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_the_record_is_the_standard_librarys_json() -> None:
    image = ImageInfo(
        path="data/images/01.jpg", format="JPEG", mime_type="image/jpeg", width=480,
        height=360, mode="RGB", bits_per_sample=[8, 8, 8], icc_profile=None, dpi=(72.0, 72.5),
        exif={"make": "Zeiss \"Ikon\"", "date": "1956-10-23T12:00:00"}, sha256="ab" * 32,
        size=75_000, problems=("a \u2028 problem",), xmp={"creator": "Ádám Klausz"},
    )  # fmt: skip
    record = Article(
        title="Photographs of the Autumn\t1956",
        creators=("Archivist 1", "Ünal Şık"),
        sections=(Section(None, ("First.",)), Section("Later", ())),
        figures=(
            Figure(1, "Budapest", date="1956-10", places=("Budapest",), image=image),
            Figure(None, ""),
        ),
        coverage="1956-10",
    )
    expected = json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n"
    assert _record_bytes(record) == expected.encode("utf-8")


# --- clutter ----------------------------------------------------------------------------------

# words and white space the widget and paywall rules turn on, letters their case-blind matches
# take (İ, ı, ſ, K: one character each), and other white space (\x1c-\x1f, U+2028, U+3000)
_CLUTTER_WORDS = st.sampled_from(
    ["Upvote", "Downvote", "DOWNVOTE", "downvote", "dOwnvote", "Points", "point", "POİNTS",
     "poınts", "pointſ", "-1", "+12", "12", "−3", "Subscribe", "SUBSCRİBE", "ſubscribe",
     "subscrıbe", "now", "full story", "continue reading", "already a subscriber", "to", "the",
     "1956.", "Budapest,", "x"]
)  # fmt: skip
_GAPS = st.sampled_from([" ", "", "  ", "\t", "\x1c", "\u2028", "\u3000", "\n", "\xa0"])
_CLUTTER_LINES = st.lists(st.tuples(_CLUTTER_WORDS, _GAPS), max_size=8).map(
    lambda pairs: "".join(word + gap for word, gap in pairs)
)


@settings(max_examples=500, deadline=None)
@given(_CLUTTER_LINES)
@example("Budapest, 1956. -1 Points Upvote Downvote")
@example("Budapest, 1956. 12 POİNTS\u3000")
@example("Subscribe now")
def test_widget_and_paywall_rules_skip_only_lines_they_cannot_match(line: str) -> None:
    """The trailing widget is searched for only in a line ending like one, the paywall's
    prompt only in a line that says "subscribe": the same answers as searching every line."""
    widget = clutter._TRAILING_WIDGET
    scanned = widget.sub("", line) if widget.search(line) else line
    assert clutter.strip_trailing_widget(line) == scanned
    assert clutter._paywall(line) == (clutter._PAYWALL.search(line) is not None)


# --- credits ----------------------------------------------------------------------------------

_CREDIT_WORDS = st.sampled_from(
    ["Photo", "photo by", "BY", "bY", "Foto:", "Fot.", "FOT.", "Courtesy", "courtesy of", "©",
     "(c)", "(C)", "Copyright", "Credit:", "Crédits photos :", "Source:", "Quelle:", "Budapest",
     "1956", "Photo 1956: TASS", "/", "|", "(", ")", ".", "!", "?", ",", ":", "Reuters",
     "Getty Images", "AP", "shutterstock", "Fortepan", "Ádám Klausz", "ſource:", "İmage:"]
)  # fmt: skip
_CREDIT_GAPS = st.sampled_from([" ", "", "  ", "\t", "\u2028"])
_CAPTIONS = st.lists(st.tuples(_CREDIT_WORDS, _CREDIT_GAPS), max_size=8).map(
    lambda pairs: "".join(word + gap for word, gap in pairs)
)


@settings(max_examples=500, deadline=None)
@given(_CAPTIONS)
@example("Picture 1 of article 1: people stand before a damaged building.")
@example("A crowd in Debrecen, October 2, 1956. (Fortepan/Photographer 1)")
@example("Budapest, 1956. Photo by Ádám Klausz")
@example("Budapest, 1956 / Shutterstock")
@example("Budapest, 1956 (Reuters)")
@example("Budapest, 1956. Reuters")
def test_credit_patterns_skip_only_texts_they_cannot_match(text: str) -> None:
    """The last two credit patterns are not searched for in a text without what each needs:
    the credit and the rest are those of trying every pattern."""
    every = tuple((pattern, None) for pattern, _needs in captions._CREDIT_PATTERNS)
    with mock.patch.object(captions, "_CREDIT_PATTERNS", every):
        scanned = captions.split_credit(text)
    assert captions.split_credit(text) == scanned


def test_credit_patterns_are_the_four() -> None:
    patterns = [p for p, _ in captions._CREDIT_PATTERNS]
    assert patterns == [
        captions._PAREN_CREDIT,
        captions._PAREN_AGENCY,
        captions._TRAIL_CREDIT,
        captions._AGENCY_CREDIT,
    ]
    assert all(isinstance(p, re.Pattern) for p in patterns)


# --- dates ------------------------------------------------------------------------------------

_DATE_TEXT_WORDS = st.sampled_from(
    ["October", "Oct.", "May", "23", "23rd", "1956", "1957", "56", "1950s", "1950's", "1950’s",
     "1800s", "2000s", "١٩٥٦", "١٩٥0s", "1956-10-23", "between", "Between", "BETWEEN", "from",
     "FROM", "and", "to", "To", "until", "through", "Toronto", "–", "—", "-", "/", ",", ".",
     "circa", "possibly", "of", "the", "Budapest", "?"]
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(_DATE_TEXT_WORDS, max_size=9).map(" ".join))
@example("October 23 – November 4, 1956")
@example("October 23 to November 4, 1956")
@example("23 October until 4 November 1956")
@example("October 23-25, 1956")
@example("23–25 October 1956")
@example("23—25 October 1956")
@example("October 23 through November 4, 1956")
@example("1956-10-23")
@example("between 1956 and 1957")
@example("From 1956 to 1957")
@example("1956/57")
@example("the 1950s")
@example("the 1950’s")
def test_date_patterns_skip_only_texts_they_cannot_match(text: str) -> None:
    """A date pattern is not searched for in a text without what it needs (a dash, a range
    word, "between"/"from", a decade's "0s"): the dates are those of a search with each."""
    from bagsmith.ingest import dates

    with mock.patch.object(dates, "_NEEDS", {}):
        every = dates.find_dates(text)
    assert dates.find_dates(text) == every


# --- the layout's paths -----------------------------------------------------------------------

_PATH_PARTS = st.sampled_from(["a", "b", "ab", "a b", "é", "a.b", ".", "..", "", "x.jpg", "a\\b"])
_REAL_PATHS = st.lists(_PATH_PARTS, max_size=5).map(
    lambda parts: os.path.realpath("/" + "/".join(parts))
)


@settings(max_examples=500, deadline=None)
@given(_REAL_PATHS, _REAL_PATHS)
@example("/", "/")
@example("/a", "/")
@example("/ab", "/a")
@example("/a/b", "/a")
@example("/a", "/a/b")
def test_real_paths_are_compared_as_text_as_pathlib_compares_them(real: str, folder: str) -> None:
    inside = Path(real).is_relative_to(folder)
    assert layout.within(real, folder) == inside
    if inside:
        assert layout.relative(real, folder) == Path(real).relative_to(folder).as_posix()


# --- copies of the model's records --------------------------------------------------------------


def _image(path: str = "images/01.jpg") -> ImageInfo:
    return ImageInfo(
        path=path, format="JPEG", mime_type="image/jpeg", width=4, height=3, mode="RGB",
        bits_per_sample=[8, 8, 8], icc_profile=None, dpi=None, exif={"make": "Zeiss"},
        sha256="ab" * 32, size=12, iptc={"credit": "Fortepan"},
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["path", "format", "width", "problems", "xmp"]),
    st.sampled_from(["number", "caption", "image", "places", "rights_note"]),
    st.sampled_from(["title", "figures", "source_path", "warnings", "coverage"]),
    st.text(max_size=5) | st.integers() | st.none() | st.tuples(st.text(max_size=3)),
)
def test_evolve_is_dataclasses_replace(image_field: str, figure_field: str, article_field: str,
                                       value: object) -> None:  # fmt: skip
    """A copy by ``evolve`` equals ``dataclasses.replace``'s, field by field and in the order
    of the instance's attributes (the record's JSON walks the fields)."""
    image = _image()
    figure = Figure(3, "Budapest", places=("Budapest",), image=image)
    article = Article("Autumn", figures=(figure,), source_path="article.txt")
    for obj, name in ((image, image_field), (figure, figure_field), (article, article_field)):
        before = dict(vars(obj))
        copied, replaced = evolve(obj, **{name: value}), dataclasses.replace(obj, **{name: value})
        assert type(copied) is type(replaced)
        assert list(vars(copied).items()) == list(vars(replaced).items())
        assert copied == replaced and copied is not obj and vars(obj) == before


def test_evolve_leaves_other_dataclasses_and_unknown_names_to_replace() -> None:
    @dataclasses.dataclass(frozen=True)
    class Normalised:
        name: str

        def __post_init__(self) -> None:
            object.__setattr__(self, "name", self.name.strip())

    @dataclasses.dataclass(frozen=True)
    class Derived:
        value: int
        twice: int = dataclasses.field(init=False, default=0)

    assert evolve(Normalised("a"), name=" b ").name == "b"  # __post_init__ ran
    assert evolve(Derived(1), value=5).twice == 0  # (as replace leaves it)
    with pytest.raises(TypeError):
        evolve(_image(), no_such_field=1)


# --- numbered captions after a unit (assemble) ---------------------------------------------

_UNIT_TEXTS = st.sampled_from(
    [
        "#1 A harbour",
        "#2 – The quay",
        "#4",
        "Figure 3: Nets",
        "Photo 5. Boats",
        "2. A list item",
        "5) Another style",
        "7. Far on",
        "A plain paragraph that ends here.",
        "Short line",
    ]
)
_UNITS = st.lists(
    st.tuples(_UNIT_TEXTS, st.sampled_from(["text", "text", "heading", "break", "image"])),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_UNITS, st.one_of(st.none(), st.integers(0, 8)))
@example([("#1 A harbour", "text"), ("#2 – The quay", "text"), ("5) Another style", "text")], 2)
@example([("#1 A harbour", "text"), ("#2 – The quay", "text"), ("7. Far on", "text")], 2)
def test_markers_after_answers_what_a_scan_of_the_rest_answers(
    specs: list[tuple[str, str]], open_number: int | None
) -> None:
    from bagsmith.ingest.assemble import RawFigure, Unit, _Builder
    from bagsmith.problems import Report

    units = [Unit(text, line, kind) for line, (text, kind) in enumerate(specs, 1)]
    builder = _Builder(units, Report("article.txt"), "article.txt", None)
    if open_number is not None:
        builder.figure = RawFigure(open_number, "open", 1)
    for index in range(-1, len(units)):
        scanned = any(builder.marker(u) for u in units[index + 1 :])
        assert builder.markers_after(index) is scanned, (index, builder.styles)


def test_a_long_numbered_text_reads_each_line_a_bounded_number_of_times() -> None:
    """20,000 numbered paragraphs took minutes (every paragraph scanned the rest of the
    text); the number of lines looked at must grow with the text, not with its square."""
    calls = 0
    real = captions.find_marker

    def counted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args)

    lines = ["A numbered list", "By A. Writer", ""]
    for n in range(1, 1501):  # the dot style numbers up to 999: the rest are paragraphs
        lines += [f"{n}. Item number {n} of a long list.", ""]
    text = "\n".join(lines)
    from bagsmith.ingest.text import parse_text
    from bagsmith.problems import Report

    with mock.patch("bagsmith.ingest.assemble.find_marker", counted):
        assembled = parse_text(text, Report("list.txt"), "list.txt")
    assert len(assembled.figures) == 999
    assert 0 < calls < 20 * 1500, calls
