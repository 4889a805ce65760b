"""The MODS records of a METS are built as plain data (``xmlns.Light``) and written as text
(issue 16): the same bytes as the same builders give with lxml elements and lxml's own
indentation and serialisation, on generated records with values XML must escape; what lxml
refuses (control characters), refused alike."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

from bagsmith.metadata import mets
from bagsmith.metadata.dc import FigureRef
from bagsmith.metadata.mods import RightsText, article_mods, figure_mods
from bagsmith.metadata.xmlns import METS, Light, element, light_text, q
from bagsmith.model import Article, Figure, Section

CREATED = "2026-11-27T09:30:00Z"

#: words with the characters XML escapes, non-ASCII and blanks; one control character (which
#: lxml refuses) among the samples
_TEXT = st.one_of(
    st.sampled_from(["", " ", "  \t", "Győr", "A & B <c> \"d\" 'e'", "Tom's \r\n café 🙂"]),
    st.sampled_from(["x", "y"]) | st.just("bell \x07"),
    st.text(st.characters(max_codepoint=0x7F, blacklist_categories=("Cc",)), max_size=12),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)
_DATES = st.sampled_from(
    [None, "", "1956", "1956-10", "1956-10-23", "1956-02-30", "1956-10~", "1956?/1957", "soon"]
)
_OPTIONAL = st.one_of(st.none(), _TEXT)
#: an attribute value with what XML escapes in attributes (the rights statement's URI)
_ODD_URI = 'http://example.org/?a=1&b="2"\t<é>'


@st.composite
def _articles(draw: Any) -> tuple[Article, Figure, FigureRef, list[RightsText], dict[str, str]]:
    figure = Figure(
        number=draw(st.one_of(st.none(), st.integers(0, 200))),
        caption=draw(_TEXT),
        description=draw(_OPTIONAL),
        date=draw(_DATES),
        places=tuple(draw(st.lists(_TEXT, max_size=2))),
        credit=draw(_OPTIONAL),
    )
    article = Article(
        title=draw(_TEXT),
        creators=tuple(draw(st.lists(_TEXT, max_size=2))),
        date_published=draw(_DATES),
        date_captured=draw(_DATES),
        source_url=draw(st.sampled_from([None, "https://example.org/a?b=1&c=2", "ftp://x"])),
        publisher=draw(_OPTIONAL),
        language=draw(st.sampled_from([None, "en", "hu"])),
        rights=draw(_OPTIONAL),
        subjects=tuple(draw(st.lists(_TEXT, max_size=2))),
        identifiers=tuple(draw(st.lists(st.sampled_from(["doi:10.1/x", "urn:a", "42"]))))[:2],
        sections=tuple(Section(draw(_OPTIONAL), ()) for _ in range(draw(st.integers(0, 2)))),
        figures=(figure,),
        coverage=draw(_DATES),
    )
    ref = FigureRef(draw(_TEXT), draw(_OPTIONAL), draw(st.sampled_from([None, "image/jpeg"])))
    rights = [
        RightsText(uri=draw(st.sampled_from([None, "http://rightsstatements.org/", _ODD_URI])))
    ]
    rights += [RightsText(label=draw(_OPTIONAL), holder=draw(_OPTIONAL), note=draw(_OPTIONAL))]
    keys = ("creator", "caption", "credit", "latitude", "longitude")
    embedded = {key: draw(_TEXT) for key in keys if draw(st.booleans())}
    return article, figure, ref, rights, embedded


def _both(build: Any) -> tuple[str | type[ValueError], str | type[ValueError]]:
    """``build(xmlData)`` into a ``dmdSec`` of lxml elements, written as the METS writer
    writes an element (indented at level 1, the root's declarations left out), and into
    Light ones written by ``light_text``; ValueError where either refuses a value."""
    written: list[str | type[ValueError]] = []
    for section in (
        element(METS, "dmdSec", ID="dmd-x", GROUPID="g", CREATED=CREATED),
        Light(q(METS, "dmdSec"), {"ID": "dmd-x", "GROUPID": "g", "CREATED": CREATED}),
    ):
        try:
            build(mets._wrap(section, "MODS", "3.8"))
            if isinstance(section, Light):
                written.append(light_text(section, 1))
            else:
                written.append(mets._Stream(None).serialise(section, 1))  # type: ignore[arg-type]
        except ValueError:
            written.append(ValueError)
    return written[0], written[1]


@settings(max_examples=120, deadline=None)
@given(_articles())
@example(
    (
        Article(title="T", figures=(Figure(None, ""),)),
        Figure(None, ""),
        FigureRef("Figure 1"),
        [],
        {},
    )
)
def test_light_figure_records_are_the_bytes_lxml_writes(drawn: Any) -> None:
    article, figure, ref, rights, embedded = drawn
    with_lxml, light = _both(
        lambda parent: figure_mods(parent, article, figure, ref, rights, embedded)
    )
    assert light == with_lxml


@settings(max_examples=80, deadline=None)
@given(_articles())
def test_light_article_records_are_the_bytes_lxml_writes(drawn: Any) -> None:
    article, _, ref, rights, _ = drawn
    formats = ["image/png", "text/html"]
    with_lxml, light = _both(lambda parent: article_mods(parent, article, [ref], formats, rights))
    assert light == with_lxml


def test_text_beside_children_is_written_as_lxml_indents_it() -> None:
    """What indentation does with the text of an element that also has children: blank text
    becomes the indentation, other text stays (the MODS builders never write such text)."""
    for text in (None, "", "  \n ", "words & more"):
        held = Light("a", text=text)
        held.children.append(Light("b", {"k": "v"}))
        built = etree.Element("a")
        built.text = text
        etree.SubElement(built, "b", k="v")
        etree.indent(built, space="  ", level=2)
        assert light_text(held, 2) == etree.tostring(built, encoding="unicode")
