"""Bylines: "Written by NAME", "By NAME | date", "By NAME and NAME", "Posted on DATE", and the
same in other languages ("Von NAME", "Par NAME", "Por NAME", "Di NAME", "Autor: NAME")."""

from __future__ import annotations

import html
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


_NAME_WORD = re.compile(r"[^\W\d_][\w.'’-]*")
_NAME_SEPARATOR = re.compile(r",\s*(?:(?:and|und|et|y|e|i)\s+)?|\s+(?:and|und|et|y|e|i)\s+|\s*&\s*")


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
        if not (word[0].isupper() and _NAME_WORD.fullmatch(word)):
            return False
    return words[-1][0].isupper()


def split_names(text: str) -> list[str] | None:
    """ "A, B and C" → [A, B, C] when every part looks like a person's or body's name."""
    parts = [p.strip() for p in _NAME_SEPARATOR.split(text) if p.strip()]
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


# --- names as pages give them in metadata and author elements --------------------------------

# words that label a name instead of being part of it ("View all posts by NAME", "Eingestellt
# von NAME", "Auteur NAME", "Autor: NAME"), in the languages of the pages bagsmith meets
_LABEL_WORDS = {
    "author", "authors", "autor", "autorin", "autoren", "auteur", "auteurs", "autore", "autora",
    "written", "posted", "published", "created", "words", "text", "story", "report",
    "reported", "interview", "photos", "photo", "video", "view", "all", "posts", "articles",
    "stories", "more", "from", "see", "eingestellt", "veröffentlicht", "erstellt",
    "geschrieben", "verfasst", "gepostet", "ein", "beitrag", "beiträge", "artikel", "alle",
    "zeige", "zum", "profil", "mehr", "publié", "écrit", "rédigé", "tous", "les",
    "escrito", "publicado", "scritto", "pubblicato", "articolo", "articoli", "geschreven",
}  # fmt: skip
_LEAD_WORDS = {"by", "von", "vom", "par", "por", "door", "av", "af", "przez", "di", "da", "de",
               "del", "dal"}  # fmt: skip
_PARTICLE_LEADS = {"di", "da", "de", "del", "dal", "af", "av"}  # also the start of a name
_GLUED_LABEL = re.compile(r"^(?:Author|Autor|Auteur|Autore|By|Von|Par|Por)(?=[A-ZÀ-Ý])")
# what follows a name in an author element: its role, a link to the author's other work, the
# weekday of a date whose numbers were cut off, a reading time
_TRAILING = re.compile(
    r"(?:\s+|\s*[,|·•–—-]\s*)(?:alle\s+artikel|all\s+(?:posts|articles|stories)|weitere\s+artikel"
    r"|autor(?:in)?|author|chefredakteur(?:in)?|redakteur(?:in)?|redaktorin|redaktor"
    r"|(?:senior\s+|staff\s+|contributing\s+)?(?:writer|editor|reporter|correspondent)"
    r"|staff|contributor|twitter|facebook|instagram|linkedin|tiempo\s+de\s+lectura|lesezeit"
    r"|reading\s+time|min(?:ute)?s?\s+read|vor|ago|stand|mo|di|mi|do|fr|sa|so)\.?\s*$",
    re.IGNORECASE,
)
# values that are a form's or a widget's label, not a name
_NOT_AUTHOR = {"name", "by", "von", "par", "por", "posted", "author", "autor", "follow", "datum",
               "date", "null", "none", "no author", "admin", "administrator", "redaktion",
               "editor", "editors", "staff", "community", "says", "said", "phd", "ph.d.", "md",
               "m.d.", "dr", "dr.", "prof", "prof.", "msc", "mba", "rn"}  # fmt: skip
_URL = re.compile(r"\s*(?:\bhttps?://\S+|\bwww\.\S+)\s*")
_EMAIL = re.compile(r"\S+@\S+\.\w+|\S+\[at\]\S+")


def _unlabelled(text: str) -> str:
    """The name without the label before it: "View all posts by NAME", "Eingestellt von
    NAME", "Author NAME", "AuthorNAME" → NAME. A name's own particle is kept ("Walter von
    Aachen"): the words before a lead must all be label words."""
    text = _GLUED_LABEL.sub("", text).strip()
    words = text.split()
    for i, word in enumerate(words[:7]):
        if not all(w.casefold().rstrip(":") in _LABEL_WORDS for w in words[:i]):
            break
        key = word.casefold().rstrip(":")
        if i + 1 >= len(words):
            break
        if key in _LEAD_WORDS:
            if i == 0 and key in _PARTICLE_LEADS:
                break  # "Di Maria", "De Gaulle", "Da Silva": a name, not a lead
            return " ".join(words[i + 1 :])
        if key in _LABEL_WORDS and word.endswith(":"):
            return " ".join(words[i + 1 :])
    # "Author Daniel Lemire": label words, then a capitalised name
    lead = 0
    while lead < len(words) - 1 and words[lead].casefold().rstrip(":") in _LABEL_WORDS:
        lead += 1
    if lead and words[lead][:1].isupper():
        return " ".join(words[lead:])
    return text


def clean_author(value: str) -> list[str]:
    """The names in an author value as a page gives it (``<meta name="author">``, JSON-LD, an
    author element, the extractor's reading): without a byline's lead or label, the role and
    date after the name, links and e-mail addresses; several names split ("A and B", "A,
    B"); nothing for a widget's label ("Name", "Follow") or a degree alone ("PhD")."""
    text = _URL.sub(" ", html.unescape(value))
    text = " ".join(_EMAIL.sub(" ", text).split()).strip(" ,;|·•–—-'\"“”„«»")
    if not text:
        return []
    byline = None if text.split()[0].casefold() in _PARTICLE_LEADS else parse_byline(text)
    if byline is not None and byline.creators:
        parts = list(byline.creators)
    else:
        parts = [p for p in re.split(r"\s*;\s*", _unlabelled(text)) if p]
    out: list[str] = []
    for part in parts:
        part = _unlabelled(part)
        for _ in range(3):
            cut = _TRAILING.sub("", part).strip(" ,;|·•–—-")
            if cut == part or not cut:
                break
            part = cut
        for name in split_names(part) or re.split(r",\s+(?=\S+\s+\S)", part):
            name = name.strip(" ,;")
            half = name.split()
            if len(half) % 2 == 0 and half[: len(half) // 2] == half[len(half) // 2 :]:
                name = " ".join(half[: len(half) // 2])  # a link's title and its text
            if name and name.casefold() not in _NOT_AUTHOR and not name.startswith("@"):
                out.append(name)
    initials = {"".join(w[0] for w in n.split()).upper() for n in out if len(n.split()) > 1}
    return [n for n in out if n not in initials]
