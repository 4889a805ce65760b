"""From a sequence of text units (lines of a text file, blocks of an HTML page) to an article:
title, byline, sections with headings, and figures with caption + description.

The same rules serve plain text and HTML; the HTML reader marks headings, figures and images
explicitly, the text reader leaves the guessing to :func:`looks_like_heading`.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field

from ..problems import Report
from .bylines import parse_byline, split_names
from .captions import MARKERS, Marker, find_marker, norm, split_credit
from .clutter import (
    author_box_start,
    author_link,
    clutter_reason,
    credit_line,
    related_list_start,
    section_end,
)


@dataclass(frozen=True)
class ImageRef:
    """An image an HTML page shows: the resolved file (None if not saved) and its alt text."""

    src: str
    file: str | None
    alt: str
    line: int | None


@dataclass(frozen=True)
class Unit:
    text: str
    line: int | None
    # text | heading | figure (an HTML <figure>) | image (a lone <img>) | break (a clutter line
    # the reader left out: it ends a figure; its text says whether it opens a related list)
    kind: str = "text"
    images: tuple[ImageRef, ...] = ()
    credit: str | None = None
    # an HTML <section> element holding this unit and only one heading (see html.py): a figure
    # in the same element as a section's heading is in that section
    container: int | None = None
    # (HTML) the absolute address of each of ``images``, when the page's address is known
    urls: tuple[str | None, ...] = ()


@dataclass
class RawFigure:
    number: int | None
    caption: str
    line: int | None
    description: list[str] = field(default_factory=list)
    images: list[ImageRef] = field(default_factory=list)
    credit: str | None = None
    takes_description: bool = True
    section: int | None = None  # index in Assembled.sections when the figure is inline
    # where it started: (section index before empty sections are dropped, paragraphs so far)
    at: tuple[int, int] | None = None
    container: int | None = None


@dataclass
class Assembled:
    title: str | None
    creators: list[str]
    date_published: str | None
    sections: list[tuple[str | None, list[str]]]
    figures: list[RawFigure]


_SENTENCE_END = re.compile(r"[.!?;:,…\"”)]$")
_BIO_VERB = r"\s+(?:is|was|has|had|writes|wrote|lives|lived|works|worked|teaches|covers|grew)\b"
_MAX_BOX = 4  # lines between an author box's name and its "View all posts"
_MAX_INLINE_RUN = 3  # more figures than this in a row, with no paragraph between: a gallery


def looks_like_heading(text: str, following: str | None) -> bool:
    """A short line without closing punctuation, followed by prose."""
    words = text.split()
    if not 1 <= len(words) <= 14 or len(text) > 110 or _SENTENCE_END.search(text):
        return False
    if not text[0].isupper() and not text[0].isdigit():
        return False
    if following is None:
        return False
    return len(following.split()) >= 12 or bool(_SENTENCE_END.search(following))


def choose_styles(units: list[Unit]) -> tuple[str, ...]:
    """The numbering style(s) this article uses for figures.

    ``#12`` and ``Figure 12`` are unambiguous; ``12.`` and ``12)`` count when the article has
    at least two of them in increasing order and uses them more than the other styles.
    """
    numbers: dict[str, list[int]] = {s: [] for s in MARKERS}
    for unit in units:
        if unit.kind in ("text", "heading"):
            marker = find_marker(unit.text)
            if marker:
                numbers[marker.style].append(marker.number)
    styles = [s for s in ("hash", "label") if numbers[s]]
    counts = Counter({s: len(numbers[s]) for s in ("dot", "paren")})
    for style, count in counts.most_common():
        seq = numbers[style]
        ascending = sum(b > a for a, b in itertools.pairwise(seq))
        if count >= 2 and ascending >= (count - 1) * 0.8 and count > len(numbers["hash"]):
            styles.append(style)
            break
    return tuple(styles)


def _list_title(text: str, following: str | None) -> bool:
    """A line of a related-stories list: a title (short, no closing full stop, not a heading
    over a paragraph) or a teaser cut off with "…"."""
    if text.endswith(("…", "...")):
        return True
    if len(text.split()) > 14 or text.endswith("."):
        return False
    if following is None or following.endswith(("…", "...")):
        return True
    return not (looks_like_heading(text, following) and len(following.split()) >= 12)


class _Builder:
    def __init__(
        self,
        units: list[Unit],
        report: Report,
        path: str,
        title: str | None,
        extracted: bool = False,
    ) -> None:
        self.units = units
        self.extracted = extracted
        self.report = report
        self.path = path
        self.styles = choose_styles(units)
        if extracted:
            self.styles = self.illustrated_styles()
        self.out = Assembled(title, [], None, [(None, [])], [])
        self.figure: RawFigure | None = None
        self.pending: list[ImageRef] = []
        self.content_started = False
        self.author_box_line: int | None = None
        self.dropped_from: int | None = None
        self.in_author_box = False
        self.containers: list[int | None] = [None]  # per section: its heading's container
        self.ref_containers: dict[int, int | None] = {}  # id(ImageRef) -> its unit's container
        self.title_normed: tuple[str, str] | None = None  # (title, its norm)
        self._styled_from: list[bool] | None = None  # made on first use: see _index_markers
        self._last_with_number: dict[int, int] = {}

    def marker(self, unit: Unit) -> Marker | None:
        if unit.kind not in ("text", "heading") or not self.styles:
            return None
        found = find_marker(unit.text, self.styles)
        if found is None and self.figure is not None and self.figure.number is not None:
            # Inside the list of figures, a caption numbered in another style that carries
            # the sequence on (the next number, or just past a gap) is a figure too: sites
            # mix "#2" and "3)" when captions were typed by different hands.
            other = find_marker(unit.text)
            if other is not None and 0 < other.number - self.figure.number <= 3:
                return other
        return found

    def illustrated_styles(self) -> tuple[str, ...]:
        """(HTML) The numbering styles whose numbered lines mostly stand next to an image: a
        numbered list of jokes, tips or references is text, a list of photographs is not."""
        kept = []
        for style in self.styles:
            numbered = with_image = 0
            for i, unit in enumerate(self.units):
                if unit.kind not in ("text", "heading"):
                    continue
                marker = find_marker(unit.text, (style,))
                if marker is None:
                    continue
                numbered += 1
                near = self.units[max(0, i - 1) : i + 3]
                with_image += any(u.kind in ("image", "figure") for u in near)
            if numbered and with_image * 2 >= numbered:
                kept.append(style)
        return tuple(kept)

    def has_image(self, index: int) -> bool:
        """An image stands just before the unit at ``index`` (not yet taken by a figure) or
        just after it (after its caption line, when the number stands alone)."""
        if self.pending:
            return True
        for unit in self.units[index + 1 : index + 3]:
            if unit.kind in ("image", "figure"):
                return True
            if unit.kind != "break" and (unit is not self.units[index + 1] or self.marker(unit)):
                return False
        return False

    def markers_after(self, index: int) -> bool:
        """Whether :meth:`marker` finds a figure's number in a unit after ``index``, with the
        figure open now; from an index of the units' numbers made once (asked for every
        paragraph, a scan of the rest would make a long article quadratic)."""
        if not self.styles:
            return False
        if self._styled_from is None:
            self._index_markers()
        assert self._styled_from is not None
        if self._styled_from[index + 1]:
            return True
        figure = self.figure
        if figure is None or figure.number is None:
            return False
        # an unstyled number that carries the open figure's sequence on (see ``marker``)
        last = self._last_with_number
        return any(last.get(figure.number + step, -1) > index for step in (1, 2, 3))

    def _index_markers(self) -> None:
        """``_styled_from[i]``: a unit at ``i`` or later has a number in the chosen styles;
        ``_last_with_number[n]``: the last unit whose number (in any style) is ``n``."""
        units = self.units
        styled_from = [False] * (len(units) + 1)
        last: dict[int, int] = {}
        for i in range(len(units) - 1, -1, -1):
            unit = units[i]
            styled = False
            if unit.kind in ("text", "heading"):
                styled = find_marker(unit.text, self.styles) is not None
                other = find_marker(unit.text)
                if other is not None:
                    last.setdefault(other.number, i)
            styled_from[i] = styled or styled_from[i + 1]
        self._styled_from, self._last_with_number = styled_from, last

    def next_text(self, index: int) -> str | None:
        for unit in self.units[index + 1 :]:
            if unit.kind in ("text", "heading"):
                return unit.text
        return None

    def close_figure(self) -> None:
        self.figure = None

    def start_figure(self, fig: RawFigure, own_image_follows: bool = False) -> None:
        # an image just before a numbered caption is its picture, unless one follows it
        if self.pending and not fig.images and not own_image_follows:
            fig.images.append(self.pending.pop())
        self.flush_pending()
        self.place(fig)
        self.figure = fig if fig.takes_description else None
        self.content_started = True

    def flush_pending(self) -> None:
        for ref in self.pending:
            fig = RawFigure(None, ref.alt, ref.line, images=[ref])
            fig.container = self.ref_containers.get(id(ref))
            self.place(fig)
        self.pending = []

    def place(self, fig: RawFigure) -> None:
        sections = self.out.sections
        fig.at = (len(sections) - 1, len(sections[-1][1]))
        self.out.figures.append(fig)

    def assign_sections(self) -> None:
        """Each figure's section, when it is in the text flow (see docs/ingest.md): inside the
        HTML element of the section's heading, or followed by more paragraphs of its section
        and not one of a run of more than ``_MAX_INLINE_RUN`` figures (a gallery)."""
        sections = self.out.sections
        kept = [i for i, (heading, paras) in enumerate(sections) if heading is not None or paras]
        index = {raw: new for new, raw in enumerate(kept)}
        runs = Counter(f.at for f in self.out.figures if f.at is not None)
        for fig in self.out.figures:
            if fig.at is None:
                continue
            raw, before = fig.at
            enclosed = fig.container is not None and fig.container == self.containers[raw]
            followed = len(sections[raw][1]) > before and runs[fig.at] <= _MAX_INLINE_RUN
            if enclosed or followed:
                fig.section = index.get(raw)

    def title_norm(self) -> str | None:
        """``norm`` of the title, kept while the title stays (every text unit is compared
        with it)."""
        title = self.out.title
        if title is None:
            return None
        if self.title_normed is None or self.title_normed[0] != title:
            self.title_normed = (title, norm(title))
        return self.title_normed[1]

    def paragraph(self, text: str) -> None:
        self.flush_pending()
        self.out.sections[-1][1].append(text)
        self.content_started = True

    def run(self) -> Assembled:
        i = 0
        units = self.units
        while i < len(units):
            unit = units[i]
            i = self.step(i, unit)
        self.flush_pending()
        self.assign_sections()
        self.out.sections = [s for s in self.out.sections if s[0] is not None or s[1]]
        if self.author_box_line is not None:
            self.report.add(
                "author-box-removed",
                "the author box (byline and the author's self-description) was kept out of the "
                "text; its name went to creators",
                self.path,
                self.author_box_line,
            )
        if self.dropped_from is not None:
            self.report.add(
                "trailing-section-removed",
                "a comments or related-posts section at the end was left out",
                self.path,
                self.dropped_from,
            )
        return self.out

    def skip_related(self, i: int) -> int:
        """The index after a list of other stories' titles that starts at ``i``: short lines
        without a closing full stop and teasers cut off with "…", up to a real heading,
        paragraph, figure or author box."""
        units = self.units
        while i < len(units):
            unit = units[i]
            if unit.kind == "break":
                i += 1
                continue
            # (the titles of a related list are often headings of their own)
            if unit.kind not in ("text", "heading") or self.marker(unit):
                break
            if self.author_box_end(i) is not None:
                break
            if not _list_title(unit.text, self.next_text(i)):
                break
            i += 1
        return i

    def author_box_end(self, i: int) -> int | None:
        """An author box at ``i`` — a name alone on its line, a few lines about the author, and
        a link to their other work ("View all posts") — as the index after it, or None."""
        unit = self.units[i]
        names = split_names(unit.text) if unit.kind in ("text", "heading") else None
        if not names or len(names) != 1 or len(names[0].split()) < 2:
            return None
        for j in range(i + 1, min(i + 2 + _MAX_BOX, len(self.units))):
            following = self.units[j]
            if following.kind not in ("text", "break") or self.marker(following):
                return None
            if author_link(following.text):
                return j + 1
        return None

    def is_bio(self, i: int, text: str) -> bool:
        """A paragraph about the author at the end ("Maria Santos is a freelance …")."""
        if not self.content_started or self.markers_after(i):
            return False
        for name in self.out.creators:
            if len(name.split()) < 2:
                continue  # "Reuters is reporting …" is not a bio
            first = re.escape(name.split()[0])
            if re.match(rf"(?:{re.escape(name)}|{first}){_BIO_VERB}", text):
                return True
        return False

    def credit_to_figure(self, i: int, text: str) -> None:
        """A line that is only a picture credit ("Foto: NAME") is the credit of the picture
        just before it; elsewhere it is left out (it is not the article's text)."""
        j = i - 1
        while j >= 0 and self.units[j].kind == "break":
            j -= 1
        if j < 0 or self.units[j].kind not in ("figure", "image"):
            return
        self.flush_pending()
        fig = self.out.figures[-1] if self.out.figures else None
        if fig is None or not set(map(id, self.units[j].images)) & set(map(id, fig.images)):
            return
        if fig.credit is None:
            rest, credit = split_credit(text.strip().strip("()"))
            fig.credit = credit.text if credit is not None and not rest else text.strip()

    def start_author_box(self, line: int | None) -> None:
        self.close_figure()
        if self.author_box_line is None:
            self.author_box_line = line

    def step(self, i: int, unit: Unit) -> int:
        if unit.kind == "break":
            self.close_figure()
            text = unit.text
            if self.content_started and related_list_start(text):
                return self.skip_related(i + 1)
            if self.content_started and section_end(text) and not self.markers_after(i):
                self.dropped_from = unit.line
                return len(self.units)
            return i + 1
        if unit.kind == "image":
            if self.figure is not None and not self.figure.images:
                self.figure.images.extend(unit.images)
            else:
                self.pending.extend(unit.images)
                self.ref_containers.update((id(ref), unit.container) for ref in unit.images)
            return i + 1
        if unit.kind == "figure":
            marker = find_marker(unit.text)
            number = marker.number if marker else None
            caption = marker.caption if marker else unit.text
            if (
                self.figure is not None
                and not self.figure.images
                and (number is None or number == self.figure.number)
            ):
                self.figure.images.extend(unit.images)
                if norm(caption) != norm(self.figure.caption) and caption:
                    self.figure.description.append(caption)
                self.figure.credit = self.figure.credit or unit.credit
                return i + 1
            fig = RawFigure(number, caption, unit.line, images=list(unit.images))
            fig.credit, fig.takes_description = unit.credit, False
            fig.container = unit.container
            self.close_figure()
            self.start_figure(fig)
            return i + 1
        marker = self.marker(unit)
        if marker is not None and self.extracted and not self.has_image(i):
            marker = None  # (HTML) a numbered paragraph or list item without a picture is text
        if marker is not None and clutter_reason(marker.caption):
            self.close_figure()  # "8. Share this:": a share prompt even when numbered
            return i + 1
        if marker is not None:
            caption, nxt = marker.caption, i + 1
            after = nxt  # a number alone on its line: the caption is the next text line,
            while not caption and after < len(self.units) and self.units[after].kind == "break":
                after += 1  # even with an advertisement between them
            if (
                not caption
                and after < len(self.units)
                and self.units[after].kind == "text"
                and not self.marker(self.units[after])
            ):
                caption, nxt = self.units[after].text, after + 1
            self.close_figure()
            follows = nxt < len(self.units) and self.units[nxt].kind == "image"
            self.start_figure(RawFigure(marker.number, caption, unit.line), follows)
            self.in_author_box = False
            return nxt
        if self.in_author_box:
            return i + 1
        text = unit.text
        if self.content_started and related_list_start(text):
            self.close_figure()
            return self.skip_related(i + 1)
        if self.out.title is not None:
            box_end = self.author_box_end(i)
            if box_end is not None:
                if not self.out.creators:
                    self.out.creators.extend(split_names(text) or [])
                self.start_author_box(unit.line)
                return box_end
        if self.is_bio(i, text):
            self.start_author_box(unit.line)
            self.in_author_box = True
            return i + 1
        if self.content_started and (section_end(text) or author_box_start(text)):
            if not self.markers_after(i):
                if author_box_start(text):
                    self.in_author_box = True
                    self.author_box_line = unit.line
                    return i + 1
                self.dropped_from = unit.line
                return len(self.units)
            return i + 1
        if self.figure is None and credit_line(text):
            self.credit_to_figure(i, text)
            return i + 1
        if clutter_reason(text):
            return i + 1  # e.g. a figure number left alone, in a style the article does not use
        byline = parse_byline(text)
        if byline is not None:
            for name in byline.creators:
                if name not in self.out.creators:
                    self.out.creators.append(name)
            if byline.date and self.out.date_published is None:
                self.out.date_published = byline.date
            if self.content_started and byline.creators and not self.extracted:
                self.close_figure()
                self.in_author_box = True
                self.author_box_line = unit.line
            return i + 1
        if self.out.title is None:
            self.out.title = text
            return i + 1
        normed = norm(text)
        if normed == self.title_norm():
            return i + 1
        caption_norm = norm(self.figure.caption) if self.figure is not None else None
        if normed == caption_norm:
            return i + 1  # the caption repeated under its number
        heading = unit.kind == "heading" or (
            unit.kind == "text"
            and (self.figure is None or "," not in text)
            and looks_like_heading(text, self.next_text(i))
        )
        if heading:
            self.close_figure()
            self.flush_pending()
            self.out.sections.append((text, []))
            self.containers.append(unit.container if unit.kind == "heading" else None)
            return i + 1
        if self.figure is not None:
            if not self.figure.caption:
                self.figure.caption = text
            elif normed != caption_norm:
                self.figure.description.append(text)
            return i + 1
        self.paragraph(text)
        return i + 1


def assemble(
    units: list[Unit],
    report: Report,
    path: str,
    title: str | None = None,
    extracted: bool = False,
) -> Assembled:
    """Title, creators, sections and figures from the units, with problems in ``report``.
    ``extracted``: the units are an extractor's main text of an HTML page — a numbered line is
    a figure's caption only when its numbering style mostly stands next to images, and a byline
    after the text began is only taken out, not the start of an author box (the extractor has
    already kept the author box out)."""
    return _Builder(units, report, path, title, extracted).run()
