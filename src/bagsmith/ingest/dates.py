"""Dates stated in text, as EDTF strings (Library of Congress Extended Date/Time Format).

Only what the text states: "November 1956" → ``1956-11``, "October 23, 1956" → ``1956-10-23``,
"the 1800s" → ``18XX``, "October 23 – November 10, 1956" → ``1956-10-23/1956-11-10``,
"circa 1956" → ``1956~``, "possibly 1956" → ``1956?``. Relative phrases ("two years after the
revolution") never become dates. Every result is checked with the ``edtf`` package (plain
dates such as ``1956-11-05`` by a calendar check that accepts only what it accepts).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip

# Month names are matched capitalised only ("may" the verb is not a month).
_M = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_D = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_Y = r"(?:1\d{3}|20\d{2})"
_Y2 = r"(?:\d{2}|" + _Y + ")"
_TO = r"\s*(?:–|—|-|\bto\b|\buntil\b|\bthrough\b)\s*"
_NOT_NUM_BEFORE = r"(?<![\d,.\w])"
_NOT_NUM_AFTER = r"(?![\d\w]|[.,]\d)"


def _g(name: str, pattern: str) -> str:
    return f"(?P<{name}>{pattern})"


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "md-md-y",
        re.compile(
            rf"{_g('m1', _M)}\s+{_g('d1', _D)}{_TO}{_g('m2', _M)}\s+{_g('d2', _D)},?\s+{_g('y', _Y)}"
            + _NOT_NUM_AFTER
        ),
    ),
    (
        "m-dd-y",
        re.compile(
            rf"{_g('m1', _M)}\s+{_g('d1', _D)}\s*[–—-]\s*{_g('d2', _D)},?\s+{_g('y', _Y)}"
            + _NOT_NUM_AFTER
        ),
    ),
    (
        "dm-dm-y",
        re.compile(
            rf"{_NOT_NUM_BEFORE}{_g('d1', _D)}\s+(?:of\s+)?{_g('m1', _M)}{_TO}{_g('d2', _D)}"
            rf"\s+(?:of\s+)?{_g('m2', _M)},?\s+{_g('y', _Y)}" + _NOT_NUM_AFTER
        ),
    ),
    (
        "dd-m-y",
        re.compile(
            rf"{_NOT_NUM_BEFORE}{_g('d1', _D)}\s*[–—-]\s*{_g('d2', _D)}\s+{_g('m1', _M)},?\s+"
            rf"{_g('y', _Y)}" + _NOT_NUM_AFTER
        ),
    ),
    ("iso", re.compile(rf"{_NOT_NUM_BEFORE}{_g('y', _Y)}-(?P<mo>\d\d)-(?P<d1>\d\d)(?![\d])")),
    (
        "m-d-y",
        re.compile(rf"{_g('m1', _M)}\s+{_g('d1', _D)},?\s+{_g('y', _Y)}" + _NOT_NUM_AFTER),
    ),
    (
        "d-m-y",
        re.compile(
            rf"{_NOT_NUM_BEFORE}{_g('d1', _D)}\s+(?:of\s+)?{_g('m1', _M)},?\s+{_g('y', _Y)}"
            + _NOT_NUM_AFTER
        ),
    ),
    ("m-y", re.compile(rf"{_g('m1', _M)},?\s+{_g('y', _Y)}" + _NOT_NUM_AFTER)),
    (
        "between-y-y",
        re.compile(
            rf"\b(?:between|from)\s+{_g('y', _Y)}\s+(?:and|to|until)\s+{_g('y2', _Y)}"
            + _NOT_NUM_AFTER,
            re.IGNORECASE,
        ),
    ),
    (
        "y-y",
        re.compile(
            rf"{_NOT_NUM_BEFORE}{_g('y', _Y)}\s*(?:–|—|-|/|\bto\b)\s*{_g('y2', _Y2)}"
            + _NOT_NUM_AFTER
        ),
    ),
    ("decade", re.compile(rf"{_NOT_NUM_BEFORE}(?P<y>1\d{{2}}|20\d)0[’']?s\b")),
    ("year", re.compile(rf"{_NOT_NUM_BEFORE}{_g('y', _Y)}" + _NOT_NUM_AFTER)),
]

#: every pattern above needs four digits in a row (a year, or a decade's "1950"), and those
#: of ``_MONTH_PATTERNS`` a month's name: a text without them is not scanned by them
_FOUR_DIGITS = re.compile(r"\d{4}")
_MONTH_NAME = re.compile(_M)
_MONTH_PATTERNS = frozenset({"md-md-y", "m-dd-y", "dm-dm-y", "dd-m-y", "m-d-y", "d-m-y", "m-y"})


def _has_dash(text: str) -> bool:
    return "-" in text or "–" in text or "—" in text


_RANGE_WORD = re.compile(r"\b(?:to|until|through)\b")
_BETWEEN_WORD = re.compile(r"between|from", re.IGNORECASE)
_DECADE_END = re.compile(r"\d0[’']?s")


def _has_range_word(text: str) -> bool:
    """What ``_TO`` needs: a dash, "to", "until" or "through"."""
    return _has_dash(text) or _RANGE_WORD.search(text) is not None


#: what a text holds when a pattern can match it: a pattern whose need a text lacks is not
#: searched for (each search tries every position of the text, most from a look-behind)
_NEEDS: dict[str, Callable[[str], bool]] = {
    "md-md-y": _has_range_word,
    "m-dd-y": _has_dash,
    "dm-dm-y": _has_range_word,
    "dd-m-y": _has_dash,
    "iso": lambda text: "-" in text,
    "between-y-y": lambda text: _BETWEEN_WORD.search(text) is not None,
    "y-y": lambda text: _has_range_word(text) or "/" in text,
    "decade": lambda text: _DECADE_END.search(text) is not None,
}

_APPROX_BEFORE = re.compile(
    r"(?:\b(?:circa|c\.|ca\.|about|around|approximately|approx\.)\s*)$", re.IGNORECASE
)
_UNCERTAIN_BEFORE = re.compile(r"(?:\b(?:possibly|probably|perhaps|maybe)\s+)$", re.IGNORECASE)
_RANGE_GAP = re.compile(r"^\s*(?:–|—|-|to|until|through)\s*$")


@dataclass(frozen=True)
class DateMention:
    """One date found in a text: where it is and its EDTF value."""

    start: int
    end: int
    edtf: str
    precision: int  # 0 decade/century, 1 year, 2 month, 3 day, 4 interval


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_PLAIN_DATE = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d))?)?")
_PLAIN_EDTF = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d))?)?[~?]?|\d{3}X|\d\dXX")


# Every character the ``edtf`` grammar (EDTF levels 0-2) can match, and the one free character
# it takes after a season's ``^`` (white space may come between: pyparsing skips white space
# between tokens). A value made of
# anything else is refused without the parser (``tests/test_ingest_captions.py`` checks that
# the parser refuses such values too).
_EDTF_CHARACTERS = re.compile(r"[0-9XYESTZ+\-:/.,\[\]{}^?~%\s]+")
_SEASON_QUALIFIER = re.compile(r"\^\s*\S")
_LONE_DOT = re.compile(r"(?<!\.)\.(?!\.)")


def _plain_edtf(value: str) -> bool:
    """True for the simple forms dates in text become (``1956``, ``1956-11-05~``, ``195X``,
    intervals of plain dates) when they are certainly valid (a real calendar day): the ``edtf``
    parser costs ~3 ms a value, which 100,000 captions with distinct dates would pay. Anything
    else goes to the parser (``tests/test_ingest_linear.py`` compares the two)."""
    interval = value.count("/") == 1
    for part in value.split("/") if interval else (value,):
        m = (_PLAIN_DATE if interval else _PLAIN_EDTF).fullmatch(part)
        if m is None:
            return False
        month = int(m.group(2) or 1)
        if not 1 <= month <= 12:
            return False
        days = _MONTH_DAYS[month] + (month == 2 and calendar.isleap(int(m.group(1))))
        if m.group(3) is not None and not 1 <= int(m.group(3)) <= days:
            return False
    return True


@lru_cache(maxsize=4096)
def is_valid_edtf(value: str) -> bool:
    """True when ``value`` is a valid EDTF string (checked with the ``edtf`` package)."""
    if not value or len(value) > 64 or value != value.strip():
        return False
    if _plain_edtf(value):
        return True
    if (
        not _EDTF_CHARACTERS.fullmatch(_SEASON_QUALIFIER.sub("^", value))
        or _LONE_DOT.search(value)  # EDTF's only dots are ".." (20.06.2019 is not EDTF)
        or (":" in value and "T" not in value)  # a time only after T (07:30 is not)
        or value.isdigit()  # digits alone are a year of four (plain, above), else no date
    ):
        return False  # not worth importing the parser for
    from edtf import parse_edtf  # ~0.1 s to import (pyparsing grammar): only when needed

    try:
        parse_edtf(value)
    except Exception:
        return False
    return True


def _month(text: str) -> int:
    return MONTHS[text.rstrip(".").lower()]


_NOT_DIGIT = re.compile(r"\D")
_PLAIN_DATE_VALUE = re.compile(r"\d{4}(?:-\d{2}){0,2}")


def _day(text: str) -> int:
    return int(_NOT_DIGIT.sub("", text))


def _ymd(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _interval(first: str | None, second: str | None) -> str | None:
    if first is None or second is None or first >= second:
        return None
    return f"{first}/{second}"


def _value(kind: str, m: re.Match[str]) -> tuple[str | None, int]:
    g = m.groupdict()
    year = int(g["y"]) if g.get("y") and kind != "decade" else 0
    if kind == "md-md-y":
        a = _ymd(year, _month(g["m1"]), _day(g["d1"]))
        b = _ymd(year, _month(g["m2"]), _day(g["d2"]))
        return _interval(a, b), 4
    if kind in ("m-dd-y", "dd-m-y"):
        month = _month(g["m1"])
        return _interval(_ymd(year, month, _day(g["d1"])), _ymd(year, month, _day(g["d2"]))), 4
    if kind == "dm-dm-y":
        a = _ymd(year, _month(g["m1"]), _day(g["d1"]))
        return _interval(a, _ymd(year, _month(g["m2"]), _day(g["d2"]))), 4
    if kind == "iso":
        return _ymd(year, int(g["mo"]), int(g["d1"])), 3
    if kind in ("m-d-y", "d-m-y"):
        return _ymd(year, _month(g["m1"]), _day(g["d1"])), 3
    if kind == "m-y":
        return _ymd(year, _month(g["m1"])), 2
    if kind in ("between-y-y", "y-y"):
        second = g["y2"]
        if len(second) == 2:
            second = g["y"][:2] + second
        return _interval(_ymd(year), _ymd(int(second))), 4
    if kind == "decade":
        stem = g["y"]
        if stem.endswith("0"):  # "the 1800s" → the century
            return f"{stem[:2]}XX", 0
        return f"{stem}X", 0
    return _ymd(year), 1


def find_dates(text: str) -> list[DateMention]:
    """Every date the text states, in order of appearance, most specific reading first."""
    if not _FOUR_DIGITS.search(text):
        return []
    months = _MONTH_NAME.search(text) is not None
    taken: list[tuple[int, int]] = []  # spans of earlier patterns, sorted, not overlapping
    found: list[DateMention] = []
    for kind, pattern in _PATTERNS:
        if not months and kind in _MONTH_PATTERNS:
            continue
        needs = _NEEDS.get(kind)
        if needs is not None and not needs(text):
            continue
        new: list[tuple[int, int]] = []
        i = 0  # matches come in text order: one pass over ``taken`` per pattern
        for m in pattern.finditer(text):
            start, end = m.span()
            while i < len(taken) and taken[i][1] <= start:
                i += 1
            if i < len(taken) and taken[i][0] < end:
                continue
            value, precision = _value(kind, m)
            if value is None:
                continue
            if precision in (1, 2, 3):
                before = text[max(0, start - 16) : start]
                if _APPROX_BEFORE.search(before):
                    value += "~"
                elif _UNCERTAIN_BEFORE.search(before) or text[end : end + 1] == "?":
                    value += "?"
            if not is_valid_edtf(value):
                continue
            new.append((start, end))
            found.append(DateMention(start, end, value, precision))
        taken = sorted(taken + new)
    found.sort(key=lambda d: d.start)
    return _merge_ranges(text, found)


def _merge_ranges(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """ "November 1956 – January 1957" → one interval."""
    out: list[DateMention] = []
    i = 0
    while i < len(mentions):
        cur = mentions[i]
        if i + 1 < len(mentions):
            nxt = mentions[i + 1]
            plain = cur.precision in (1, 2, 3) and nxt.precision in (1, 2, 3)
            if plain and _RANGE_GAP.match(text[cur.end : nxt.start]):
                value = _interval(cur.edtf, nxt.edtf)
                if value is not None and is_valid_edtf(value):
                    out.append(DateMention(cur.start, nxt.end, value, 4))
                    i += 2
                    continue
        out.append(cur)
        i += 1
    return out


def _compatible(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def choose_date(mentions: list[DateMention], tail: DateMention | None) -> tuple[str | None, bool]:
    """The one date a caption states: its place/date tail, else the one (most precise) date all
    mentions agree on. Returns (date, ambiguous)."""
    if tail is not None:
        return tail.edtf, False
    if not mentions:
        return None, False
    best = max(mentions, key=lambda d: (d.precision, len(d.edtf)))
    if all(_compatible(best.edtf, d.edtf) for d in mentions):
        return best.edtf, False
    return None, True


def to_edtf(value: str) -> str | None:
    """A date from metadata (ISO date/time, EDTF, or a stated date such as "5 March 2021") as
    EDTF, or None. ISO date-times keep their date part."""
    value = " ".join(value.split())
    if not value:
        return None
    iso = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}.*)?$", value)
    if iso and is_valid_edtf(iso.group(1)):
        return iso.group(1)
    if is_valid_edtf(value):
        return value
    mentions = find_dates(value)
    if len(mentions) == 1:
        return mentions[0].edtf
    return None


def coverage(dates: list[str]) -> str | None:
    """The range covered by a set of EDTF dates (``1956-10-23/1956-11``), or the one date.

    Intervals count by their ends; ``18XX`` is ignored. An end keeps its EDTF qualifier
    (``1912-08~/1956-11?``): ``~`` approximate, ``?`` uncertain, ``%`` both. When several
    figures give the same end, one of them without a qualifier makes it plain; otherwise the
    qualifiers are combined (``~`` and ``?`` together are ``%``)."""
    marks: dict[str, set[str]] = {}
    for date in dates:
        for part in date.split("/"):
            part = part.strip()
            plain = part.rstrip("~?%")
            if _PLAIN_DATE_VALUE.fullmatch(plain):
                marks.setdefault(plain, set()).add(part[len(plain) :])
    plain_dates = sorted(marks)
    if not plain_dates:
        return None
    first, last = plain_dates[0], plain_dates[-1]
    if all(d.startswith(first) for d in plain_dates):
        return first + _qualifier(marks[first])
    value = f"{first}{_qualifier(marks[first])}/{last}{_qualifier(marks[last])}"
    return value if is_valid_edtf(value) else None


def _qualifier(found: set[str]) -> str:
    """One EDTF qualifier for a date given with each of ``found`` (``""`` for none)."""
    if "" in found:
        return ""
    chars = set("".join(found))
    if "%" in chars or {"~", "?"} <= chars:
        return "%"
    return chars.pop() if chars else ""
