"""Plain text copied from a web page → units for :mod:`.assemble`.

Lines are cleaned (spaces, invisible characters), clutter lines dropped (:mod:`.clutter`) and
the rest grouped: one unit a line, or — for hard-wrapped text — one unit a paragraph.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from ..problems import Report
from .assemble import Assembled, Unit, assemble
from .captions import find_marker
from .clutter import clutter_reason, strip_trailing_widget

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
#: invisible characters out, control characters (Unicode category Cc, a set Unicode never
#: changes: U+0000–U+001F, U+007F–U+009F) to spaces. Space separators (Zs) need no entry:
#: Python's ``str.split()`` splits on every one of them.
_CLEAN = {**_INVISIBLE, **dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")}
_SENTENCE_END = re.compile(r"[.!?:\"”)]$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(?!\d)(?P<h>\S.*)$")


def clean_line(line: str) -> str:
    """NFC; invisible characters removed; runs of spaces, control characters and other white
    space made one space; no space at either end (one ``translate``: a per-character
    ``unicodedata.category`` loop took ~5 ms of a page's parse)."""
    return " ".join(unicodedata.normalize("NFC", line).translate(_CLEAN).split())


def _hard_wrapped(blocks: list[list[tuple[int, str]]]) -> bool:
    """True when paragraphs are broken over several lines: most long lines that another line
    follows end mid-sentence."""
    joins = continuing = 0
    for block in blocks:
        for (_, a), (_, b) in itertools.pairwise(block):
            if len(a) >= 40 and not find_marker(b):
                joins += 1
                continuing += not _SENTENCE_END.search(a)
    return joins >= 2 and continuing >= joins * 0.6


def _wrap_width(blocks: list[list[tuple[int, str]]]) -> int:
    lengths = sorted(len(line) for block in blocks if len(block) > 1 for _, line in block)
    return lengths[int(len(lengths) * 0.9)] if lengths else 80


def _clutter_summary(report: Report, path: str, lines: list[int]) -> None:
    if not lines:
        return
    shown = ", ".join(map(str, lines[:20])) + (" …" if len(lines) > 20 else "")
    report.add(
        "clutter-removed",
        f"{len(lines)} line(s) of site clutter (widgets, vote counts, comment form, share "
        f"prompts) left out: lines {shown}",
        path,
        lines[0],
    )


def text_units(text: str, report: Report, path: str) -> list[Unit]:
    blocks: list[list[tuple[int, str]]] = [[]]
    removed: list[int] = []
    dropped: dict[int, str] = {}  # clutter lines: they end a figure (see :func:`_with_breaks`)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = clean_line(raw)
        if line:
            stripped = strip_trailing_widget(line)
            if stripped != line:
                removed.append(number)
                line = stripped
        if line and not find_marker(line) and clutter_reason(line):
            removed.append(number)
            dropped[number] = line
            line = ""
        if line:
            blocks[-1].append((number, line))
        elif blocks[-1]:
            blocks.append([])
    _clutter_summary(report, path, sorted(set(removed)))
    blocks = [b for b in blocks if b]
    if not _hard_wrapped(blocks):
        lines = [_unit(line, number) for block in blocks for number, line in block]
        return _with_breaks(lines, dropped)
    width = _wrap_width(blocks)
    units: list[Unit] = []
    for block in blocks:
        start, parts = block[0][0], [block[0][1]]
        for number, line in block[1:]:
            # a marker, or a line after a short line (the end of a paragraph), starts a unit
            if find_marker(line) or _MD_HEADING.match(line) or len(parts[-1]) < width * 0.7:
                units.append(_unit(" ".join(parts), start))
                start, parts = number, [line]
            else:
                parts.append(line)
        units.append(_unit(" ".join(parts), start))
    return _with_breaks(units, dropped)


def _with_breaks(units: list[Unit], dropped: dict[int, str]) -> list[Unit]:
    """A "break" unit (holding the first clutter line) wherever clutter lines were left out
    between two units: a figure's description does not continue across a comment form or a
    vote widget, and a "Related posts:" line still opens the list it heads."""
    if not dropped:
        return units
    out: list[Unit] = []
    lines = sorted(dropped)
    k = 0
    for unit in units:
        start = unit.line or 0
        while k < len(lines) and lines[k] < start:
            if out:
                out.append(Unit(dropped[lines[k]], lines[k], "break"))
            k += 1
        out.append(unit)
    if out:
        out.extend(Unit(dropped[n], n, "break") for n in lines[k:])
    return out


def _unit(text: str, line: int) -> Unit:
    """A Markdown heading ("## The uprising") is a heading; anything else is text."""
    heading = _MD_HEADING.match(text)
    return Unit(heading.group("h"), line, "heading") if heading else Unit(text, line)


def parse_text(text: str, report: Report, path: str) -> Assembled:
    """The article in a plain-text file."""
    return assemble(text_units(text, report, path), report, path)
