"""Figure captions: numbering styles, credits, and what a caption states (date, places).

Numbering styles: ``#12 caption``, ``12. caption``, ``12.`` alone (the caption follows),
``12) caption`` and labels such as ``Figure 12: caption``. Credits — "(Fortepan/Ádám Klausz)",
"Photo 1956: TASS", "Photo credit: Pinterest", "Credit: Keystone/Getty Images", "(Photo by X)",
"© X", "Courtesy of X", and the same in other languages ("Foto: X", "Fot. X", "Bild: X",
"Titelbild: X", "Crédits photos : X", "Imagen: X", "Kuva: X", "Zdjęcie: X", "Quelle: X"), and a
photo agency or picture library named at the end ("… / Shutterstock", "(X / iStock.com)",
"… | APG") — are taken out of the caption text into ``credit``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import DateMention, choose_date, find_dates
from .places import find_places

# style name → pattern; group 1 the number, group 2 the caption text (may be empty)
MARKERS: dict[str, re.Pattern[str]] = {
    "hash": re.compile(r"^#\s?(\d{1,4})(?:[.:)]|\s*[–—-])?(?:\s+(.*))?$", re.DOTALL),
    "label": re.compile(
        r"^(?:Fig(?:ure)?\.?|Photo(?:graph)?|Image|Picture|Plate|Illustration)\s+(?:No\.?\s*)?"
        r"(\d{1,3})\s*(?:[.:)]|[–—-])(?:\s+(.*))?$",
        re.DOTALL | re.IGNORECASE,
    ),
    "dot": re.compile(r"^(\d{1,3})\.(?:\s+(.*))?$", re.DOTALL),
    "paren": re.compile(r"^(\d{1,3})\)(?:\s+(.*))?$", re.DOTALL),
}


@dataclass(frozen=True)
class Marker:
    style: str
    number: int
    caption: str  # '' when the caption is on the next line


def find_marker(text: str, styles: tuple[str, ...] = tuple(MARKERS)) -> Marker | None:
    """The figure number a line starts with, in one of ``styles``."""
    for style in styles:
        m = MARKERS[style].match(text)
        if m:
            return Marker(style, int(m.group(1)), (m.group(2) or "").strip())
    return None


def norm(text: str) -> str:
    """For comparing captions: case, spacing, quotes and closing punctuation ignored."""
    text = text.casefold().replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).strip(" .,;:!?\"'")


# --- credits -------------------------------------------------------------------------------

_LEAD = (
    r"(?:photo(?:graph)?s?|image|picture|pic|fotos?|fotografie|bild(?:er)?|titelbild|beitragsbild"
    r"|imagen|imagem|immagine|kuva|zdjęcie)(?:\s+(?P<year>\d{4}))?(?:\s+credits?)?\s*(?::|\bby\b)"
    r"|fot\.|cr[ée]dits?(?:\s+photos?)?\s*:|cr[ée]ditos?\s*:|courtesy(?:\s+of)?\b"
    r"|(?:source|quelle|fuente|fonte)\s*:|©|\(c\)|copyright\b(?:\s*©)?"
)
_PAREN_CREDIT = re.compile(rf"\(\s*(?:{_LEAD})\s*(?P<c>[^()]+?)\s*\)", re.IGNORECASE)
_PAREN_AGENCY = re.compile(
    r"\((?P<c>[A-ZÀ-Ý][^()]*?[^\s/()]\s?/\s?[^\s/()][^()]*?)\)\s*\.?\s*$", re.UNICODE
)
_TRAIL_CREDIT = re.compile(
    rf"(?:^|(?<=[.!?;,|–—:-])\s*|\s+(?=©)|\s*/\s*(?=©|\([cC]\))"
    r"|\s+(?=(?-i:Fotos?|FOTOS?|Photos?|PHOTOS?|Bild|Credits?)\s*:\s*\S))"
    rf"(?P<lead>{_LEAD})\s*(?P<c>[^\n]+?)\s*[.)]?\s*$",
    re.IGNORECASE,
)
# a photo agency or picture library named after the caption: "… / Shutterstock",
# "(NAME / iStock.com)", "… | APG", "…. EFE"
_AGENCY = (
    r"(?:shutterstock|istock(?:photo)?|getty\s*images|gettyimages|adobe\s*stock|123rf|alamy"
    r"|unsplash|pixabay|pexels|imago(?:\s+images)?|picture[\s-]alliance|dpa|afp|reuters|epa|efe"
    r"|apg|ap|pap|ansa|xinhua|tass|anadolu|keystone|aton)(?:\.com)?"
)
_AGENCY_CREDIT = re.compile(
    rf"(?:\s*[/|]\s*|\s*\(|(?<=[.!?])\s+)(?P<c>(?:[^()/|\n]{{1,40}}?\s*/\s*)?{_AGENCY}"
    rf"(?:\s*/\s*[^()/|\n]{{1,40}})?)\)?\s*\.?\s*$",
    re.IGNORECASE,
)
_MAX_CREDIT_WORDS = 12

# What a text holds somewhere when the last two patterns can match it: each of their searches
# tries every position of the text (~10-16 µs a caption), these ~1 µs. ``_TRAIL_CREDIT``'s lead
# ends in ":" or "by", or is "fot.", "courtesy", "©", "(c)" or "copyright"; ``_AGENCY_CREDIT``
# opens with "/", "|", "(" or white space after a sentence's end. Case as the patterns ignore
# it (a letter such a match takes is one character, so a search with the same flag finds it).
_TRAIL_CREDIT_NEEDS = re.compile(r"[:©]|by|fot\.|courtesy|\(c\)|copyright", re.IGNORECASE)
_AGENCY_CREDIT_NEEDS = re.compile(r"[/|(]|[.!?]\s")
#: the credit patterns in the order they are tried, each with what a text it can match holds
_CREDIT_PATTERNS: tuple[tuple[re.Pattern[str], re.Pattern[str] | None], ...] = (
    (_PAREN_CREDIT, None),
    (_PAREN_AGENCY, None),
    (_TRAIL_CREDIT, _TRAIL_CREDIT_NEEDS),
    (_AGENCY_CREDIT, _AGENCY_CREDIT_NEEDS),
)


@dataclass(frozen=True)
class Credit:
    text: str
    year: str | None  # "Photo 1956: TASS"


# compiled once (not looked up in ``re``'s cache for every caption)
_YEAR_LEAD = re.compile(r"^(?:\d{4}\s*,?\s+)(?=\D)")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:])")
_TRAILING_SEPARATORS = re.compile(r"[\s,;|–—-]+$")


def _clean_credit(text: str) -> str:
    text = text.strip().strip(".").strip()
    return _YEAR_LEAD.sub("", text) if text else text


def split_credit(text: str) -> tuple[str, Credit | None]:
    """(text without its credit, the credit)."""
    for pattern, needs in _CREDIT_PATTERNS:
        if needs is not None and needs.search(text) is None:
            continue  # (the pattern cannot match)
        for m in pattern.finditer(text):
            credit = _clean_credit(m.group("c"))
            if not credit or len(credit.split()) > _MAX_CREDIT_WORDS:
                continue
            year = m.groupdict().get("year")
            rest = (text[: m.start()] + " " + text[m.end() :]).strip()
            rest = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(rest.split()))
            rest = _TRAILING_SEPARATORS.sub("", rest)
            if text.rstrip().endswith(".") and rest and rest[-1] not in '.!?"”)':
                rest += "."
            return rest, Credit(credit, year)
    return text, None


# --- what a caption states -------------------------------------------------------------------


@dataclass(frozen=True)
class CaptionFacts:
    caption: str
    description: str | None
    date: str | None
    date_ambiguous: bool
    places: tuple[str, ...]
    places_standard: tuple[str, ...]
    credit: str | None


def _tail(text: str, mentions: list[DateMention]) -> DateMention | None:
    if not mentions:
        return None
    last = mentions[-1]
    return last if not text[last.end :].strip(" .)\"”'") else None


def analyse(caption: str, description: str | None) -> CaptionFacts:
    """Credit, date (EDTF) and places a caption and its description state."""
    caption, credit = split_credit(caption)
    if description is not None:
        description, desc_credit = split_credit(description)
        credit = credit or desc_credit
    texts = [t for t in (caption, description) if t]
    mentions: list[DateMention] = []
    tail: DateMention | None = None
    places: list[tuple[str, str | None]] = []
    for text in texts:
        found = find_dates(text)
        mentions.extend(found)
        this_tail = _tail(text, found)
        tail = tail or this_tail
        spans = tuple((d.start, d.end) for d in found)
        for place in find_places(text, this_tail.start if this_tail else None, spans):
            if all(place.text.casefold() != p[0].casefold() for p in places):
                places.append((place.text, place.standard))
    date, ambiguous = choose_date(mentions, tail)
    if date is None and not ambiguous and credit is not None and credit.year:
        date = credit.year
    standard: list[str] = []
    for _text, std in places:
        if std and std not in standard:
            standard.append(std)
    return CaptionFacts(
        caption=caption,
        description=description or None,
        date=date,
        date_ambiguous=ambiguous,
        places=tuple(p[0] for p in places),
        places_standard=tuple(standard),
        credit=credit.text if credit else None,
    )
