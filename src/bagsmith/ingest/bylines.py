"""Bylines: "Written by NAME", "By NAME | date", "By NAME and NAME", "Posted on DATE", and the
same in other languages ("Von NAME", "Par NAME", "Por NAME", "Di NAME", "Autor: NAME")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import MONTHS, to_edtf

_LEAD = re.compile(
    r"^(?:(?:written|posted|published|words|text|story|report(?:ed)?|article)\s+)?by\s*:?\s+"
    r"(?P<rest>.+)$",
    re.IGNORECASE | re.DOTALL,
)
# the same in other languages: "Von", "Par", "Por", "Di", "Door", "Av", "Przez"; and labels
# ("Autor:", "Author:", "Auteur :", "Text:")
_LEAD_OTHER = re.compile(
    r"^(?:(?:geschrieben|verfasst|ein\s+beitrag|publié|escrito|scritto|geschreven)\s+)?"
    r"(?:von|vom|par|por|door|av|af|przez|di|da|de)\s+(?P<rest>.+)$"
    r"|^(?:author|autor|autorin|auteur|autore|autora|text|texto|testo|redaktion|"
    r"written\s+by)\s*:\s*(?P<label>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_DATE_LINE = re.compile(
    r"^(?:published|posted|updated|first\s+published|date)(?:\s+on)?\s*:?\s+(?!by\b)(?P<d>.+)$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(
    r"\s*(?:[|·•]|\s[–—-]\s|,\s*(?=(?:on\s+)?(?:[A-Z][a-z]+\.?\s+\d|\d))|\bon\b)\s*"
)
_NAME_PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "del", "la", "le", "bin", "al",
                   "ibn", "du", "dos", "y"}  # fmt: skip
_NOT_NAME = {"the", "a", "an", "this", "that", "our", "staff", "admin", "editor", "editors",
             "guest", "anonymous", "way", "end", "time", "far", "now", "then", "monday",
             "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}  # fmt: skip


@dataclass(frozen=True)
class Byline:
    creators: tuple[str, ...]
    date: str | None


def _is_name(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 5 or any(ch.isdigit() for ch in text):
        return False
    # "Jan Kowalski", "June Carter": a month's name is a name's word unless it is all there is
    if words[0].casefold() in _NOT_NAME or all(w.rstrip(".").lower() in MONTHS for w in words):
        return False
    for word in words:
        if word.lower() in _NAME_PARTICLES:
            continue
        if not (word[0].isupper() and re.fullmatch(r"[^\W\d_][\w.'’-]*", word)):
            return False
    return words[-1][0].isupper()


def split_names(text: str) -> list[str] | None:
    """ "A, B and C" → [A, B, C] when every part looks like a person's or body's name."""
    parts = [
        p.strip()
        for p in re.split(
            r",\s*(?:(?:and|und|et|y|e|i)\s+)?|\s+(?:and|und|et|y|e|i)\s+|\s*&\s*", text
        )
        if p.strip()
    ]
    if parts and all(_is_name(p) for p in parts):
        return parts
    return None


def parse_byline(line: str) -> Byline | None:
    """A byline or a "Published on DATE" line, or None."""
    text = " ".join(line.split())
    if len(text) > 160:
        return None
    dated = _DATE_LINE.match(text)
    if dated:
        date = to_edtf(dated.group("d"))
        return Byline((), date) if date else None
    m = _LEAD.match(text)
    if m:
        rest = m.group("rest")
    else:
        other = _LEAD_OTHER.match(text)
        if other is None or len(text.split()) > 12:
            return None
        rest = other.group("rest") or other.group("label")
    pieces = _SEPARATORS.split(rest, maxsplit=1)
    names = split_names(pieces[0].strip().rstrip("."))
    if names is None:
        return None
    date = to_edtf(pieces[1]) if len(pieces) > 1 and pieces[1].strip() else None
    return Byline(tuple(names), date)
