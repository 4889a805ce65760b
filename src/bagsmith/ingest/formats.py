"""Format identification against PRONOM with fido (opf-fido, the identifier Archivematica uses).

fido matches PRONOM's byte signatures (and container signatures for ZIP/OLE2 formats) against
the start and end of each file, offline, from the signature files shipped in its package. Its
version and the signature release are recorded with every result, so the PREMIS agent of the
identification names exactly what was used.

When no signature matches, fido falls back to the file name's extension. An extension alone is
weak evidence: bagsmith accepts such a match only for a format PRONOM gives no byte signature
(text, JSON: a file could not have matched one) and, of several, the one whose MIME type is the
file's; otherwise the file is recorded as not identified. A file whose signature identifies a
format whose PRONOM extensions do not include the file's extension is reported
(``format-extension-mismatch``).

Speed: fido's own ``match_formats`` walks its ElementTree of ~2,300 formats for every file,
looking up each pattern's position and regular expression through ``find`` and Python's regex
cache: ~8 ms a file, once most of ``bagsmith batch``'s cost for an article of 20 photographs.
:class:`_Signatures` reads that tree once into a table (each regular expression compiled and
analysed once) and applies the same rules in the same order — same matches, same priorities,
a broken signature skipping the rest of its format as fido's ``try`` does. For each first
byte a plan (:class:`_Plan`) rules out most signatures in a few calls of the regular
expression engine (one combined expression of the patterns anchored at the start, a few
searches for the literal strings the scanning ones need), so that a photograph costs ~0.1 ms
and mostly C; the test suite checks it against fido's own method (docs/metadata.md).
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import operator
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Agent, FormatId
from ..problems import Problem


@dataclass(frozen=True)
class _Match:
    puid: str
    name: str
    version: str | None
    mime: str | None
    extensions: tuple[str, ...]
    signatures: int


_BOF, _EOF, _BOF_SEARCH, _UNCHECKED, _BROKEN = range(5)
_KINDS = {"BOF": _BOF, "EOF": _EOF, "VAR": _BOF_SEARCH, "IFB": _BOF_SEARCH}
# kind, compiled pattern (None: fido raises there), bytes every match contains (or None),
# for an end-of-file pattern that ends at the end of the buffer the longest match, and for
# one that is literal bytes then anything up to the end, those bytes
_Pattern = tuple[int, "re.Pattern[bytes] | None", "bytes | None", "int | None", "bytes | None"]
# where a literal string must lie: in bof from an offset to an offset (None: to the end),
# in the last so many bytes of eof, or anywhere in eof
_BOF_WINDOW, _TAIL_WINDOW, _EOF_WINDOW = range(3)
_Window = tuple[int, int, "int | None"]
# how a signature can be ruled out (its gate, see _Plan): by a slot of the combined
# expression (the pattern's source), by literal strings (one of which is in a window), or not
_ALWAYS, _SLOT, _STRINGS = range(3)
_Gate = tuple[int, Any]
# name, patterns, first byte, gate
_Signature = tuple["str | None", list[_Pattern], "int | None", _Gate]
_Format = tuple[Any, str, list[_Signature]]  # format element, PUID, signatures


class _Broken(Exception):
    """A pattern fido cannot use (no position, no or an invalid regular expression): fido
    raises when it reaches it."""


#: a pattern the regex engine may try this many ways (start positions × lengths of its
#: repeats) is slow to fail: ``\\A.{32768,70468}.{0,16}ER…`` ~0.7 ms on a photograph
_SLOW = 200_000
_SEARCHED = 65_536  # about the start positions of a search in fido's 128 KiB buffers
_UNBOUNDED = 1 << 62  # no end: the whole buffer
_NEEDLE = 4  # the shortest literal string looked for (shorter ones occur by chance)
_CHOICES = 64  # at most this many strings one of which every match contains
_NEAR = 8192  # a window of at most this many bytes at the start or the end is "near"


@dataclass(frozen=True)
class _Facts:
    """What a pattern requires, read once from its parse (see :func:`_analyse`)."""

    first: int | None = None
    needle: bytes | None = None
    tail: int | None = None
    last: bytes | None = None
    varies: int = _UNBOUNDED
    source: bytes = b""  # the pattern, and its kind, for ``runs``
    kind: int = _UNCHECKED

    @functools.cached_property
    def runs(self) -> tuple[tuple[frozenset[bytes], _Window], ...]:
        """See :func:`_analyse`; read on first use (most signatures never need them: a
        pattern matched at the start at one position rules them out first)."""
        if not self.source:
            return ()
        try:
            from re import _parser  # type: ignore[attr-defined]

            parsed = _parser.parse(self.source, 0)
            if parsed.state.flags & (re.IGNORECASE | re.VERBOSE | re.LOCALE):
                return ()
            return tuple(_runs(parsed, list(parsed), self.kind, self.tail))
        except Exception:  # any doubt: none
            return ()


def _analyse(regex: bytes, kind: int) -> _Facts:
    """What a pattern requires, read from its parse (nothing when it cannot be told):

    * ``first``: the byte a ``re.match`` of it must find first, when it starts (after
      ``\\A``) with a literal byte — a file that starts with another byte cannot match;
    * ``needle``: for a pattern slow to fail (see ``_SLOW``), its longest run of literal
      bytes at the top level (every match contains it): when the buffer does not, the
      pattern cannot match, and looking for those bytes is much quicker than the regex
      failing;
    * ``tail``: for an end-of-file pattern that ends with ``\\Z`` (at the top level, not in
      a branch) and cannot match more than so many bytes, that number: every match starts
      that far from the end of the buffer at most, so the search can start there instead of
      trying every position of 128 KiB (``search(eof, pos)`` sees the same string: ``\\A``,
      ``^`` and look-behinds are not moved);
    * ``last``: for an end-of-file pattern that is literal bytes, then any bytes (``(?s)``)
      up to ``\\Z`` (``\\xff\\xd9.{0,65536}\\Z``), those bytes: it matches exactly when they
      lie in the last ``tail`` bytes, which ``rfind`` tells from the end (the regular
      expression engine searches from the start: the whole of a photograph for its last
      two bytes);
    * ``varies``: for a pattern matched at the start, how many lengths the repeats it opens
      with may take together, about the positions the engine tries before it gives up
      (``\\A.{0,65536}x``: 65,536; ``\\A.{2}x``: 0);
    * ``runs``: sets of literal strings such that every match contains a string of each set,
      each with the window of its buffer where that string lies. Read at the top level only
      (what every match goes through): runs of literal bytes, of ``[abc]`` sets of literal
      bytes and of ``(?:HTML|html)`` branches of literal strings, each run its strings'
      product, kept when its shortest string has ``_NEEDLE`` bytes. A ``BOF`` pattern
      matches at the start, so its string starts after the narrowest and ends before the
      widest of what precedes it; a ``tail`` pattern's lies in the last ``tail`` bytes of
      eof; other searches' anywhere in their buffer."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(regex, 0)
        if parsed.state.flags & (re.IGNORECASE | re.VERBOSE | re.LOCALE):
            return _Facts()
        every = list(parsed)
        items = [(op, v) for op, v in every if not (op is c.AT and v is c.AT_BEGINNING_STRING)]
        first = items[0][1] if items and items[0][0] is c.LITERAL else None
        repeating = (c.MAX_REPEAT, c.MIN_REPEAT)
        lead = [v for _op, v in itertools.takewhile(lambda i: i[0] in repeating, items)]
        # how many ways the engine may try before failing: start positions × repeat lengths;
        # a match at the start fails fast unless the pattern opens with repeats
        repeats = [v for op, v in items if op in repeating]
        if kind == _BOF:
            repeats = lead
        steps = _SEARCHED if kind != _BOF and first is None else 1
        for low, high, _sub in repeats:
            steps *= min(high, _SEARCHED) - low + 1
        slow = steps >= _SLOW
        needle, run = b"", bytearray()
        for op, value in [*items, (None, None)]:
            if op is c.LITERAL:
                run.append(value)
                continue
            needle = max(needle, bytes(run), key=len)
            run.clear()
        tail = None
        if kind == _EOF and items and items[-1] == (c.AT, c.AT_END_STRING):
            widest = parsed.getwidth()[1]
            tail = widest if widest < c.MAXREPEAT else None
        last = None
        if tail is not None and parsed.state.flags & re.DOTALL:
            literal = bytes(v for op, v in itertools.takewhile(lambda i: i[0] is c.LITERAL, items))
            rest = items[len(literal) :]
            anything = [(c.ANY, None)]
            if literal and (
                rest == [(c.AT, c.AT_END_STRING)]
                or (
                    len(rest) == 2
                    and rest[0][0] in repeating
                    and rest[0][1][0] == 0
                    and list(rest[0][1][2]) == anything
                )
            ):
                last = literal
        return _Facts(
            first=first if kind == _BOF else None,
            needle=needle if slow and len(needle) >= 3 else None,
            tail=tail,
            last=last,
            varies=sum(min(high, _UNBOUNDED) - low for low, high, _sub in lead),
            source=regex,
            kind=kind,
        )
    except Exception:  # any doubt: the pattern is always tried
        return _Facts()


def _runs(
    parsed: Any, items: list[Any], kind: int, tail: int | None
) -> Iterable[tuple[frozenset[bytes], _Window]]:
    """The ``runs`` of :func:`_analyse`."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def choices(op: Any, value: Any) -> set[bytes] | None:
        if op is c.LITERAL:
            return {bytes([value])}
        if op is c.IN and value and all(o is c.LITERAL for o, _v in value):
            return {bytes([v]) for _o, v in value}
        if op is c.BRANCH and all(
            all(o is c.LITERAL for o, _v in alternative) for alternative in value[1]
        ):
            return {bytes(v for _o, v in alternative) for alternative in value[1]}
        return None

    run: set[bytes] | None = None
    begin = 0
    for index, (op, value) in enumerate([*items, (None, None)]):
        found = choices(op, value) if op is not None else None
        if found is not None:
            if run is None:
                run, begin = found, index
            else:
                run = {a + b for a in run for b in found}
            if len(run) > _CHOICES:
                run = set()  # too many strings: this run is not used
            continue
        if run and min(map(len, run)) >= _NEEDLE:
            window: _Window
            if kind == _BOF:
                low = _parser.SubPattern(parsed.state, items[:begin]).getwidth()[0]
                high = _parser.SubPattern(parsed.state, items[:index]).getwidth()[1]
                window = (_BOF_WINDOW, low, high if high < c.MAXREPEAT else None)
            elif kind == _EOF:
                window = (_TAIL_WINDOW, tail, None) if tail else (_EOF_WINDOW, 0, None)
            else:
                window = (_BOF_WINDOW, 0, None)
            yield frozenset(run), window
        run = None


def _body(pattern: re.Pattern[bytes]) -> bytes | None:
    """What a pattern is inside the combined expression of :class:`_Plan` (which has
    ``(?s)`` as its flag), or None when it cannot go in: its body after ``(?s)`` when that is
    its one global flag, written first; the whole of it within ``(?-s:…)`` when it has none;
    and never when it has groups of its own (the combined expression numbers its marker
    groups itself, and a back-reference would name another group there)."""
    if pattern.groups or pattern.groupindex:
        return None
    if pattern.flags == re.DOTALL and pattern.pattern.startswith(b"(?s)"):
        return pattern.pattern[4:]
    if pattern.flags == 0:
        return b"(?-s:" + pattern.pattern + b")"
    return None


def _cost(window: _Window) -> int:
    """About the bytes a search of a window reads (to choose what rules out a signature)."""
    which, start, end = window
    if which == _BOF_WINDOW:
        return _UNBOUNDED if end is None else end - start
    return start if which == _TAIL_WINDOW else _UNBOUNDED


def _gate(patterns: list[_Pattern], facts: list[_Facts]) -> _Gate:
    """The cheapest way to rule a signature out (see :class:`_Plan`): the slot of a pattern
    matched at the start, tried at few positions; the strings of a pattern found in a short
    window; else the cheaper of the two, or nothing. Only patterns before any broken one
    count: fido raises at a broken pattern it reaches, so a later failure must not decide."""
    cost = _UNBOUNDED * 4
    gate: _Gate = (_ALWAYS, None)
    for (kind, pattern, _needle, _tail, _last), fact in zip(patterns, facts, strict=True):
        if kind == _UNCHECKED:
            continue
        if pattern is None:
            break
        if cost == 0:
            break  # a pattern matched at one position: nothing is cheaper
        body = _body(pattern) if kind == _BOF else None
        if body is not None and 2 * fact.varies < cost:
            cost, gate = 2 * fact.varies, (_SLOT, (body, fact.first))
        for strings, window in fact.runs if cost > 1 else ():
            # windows within a KiB as dear: the longer strings, which share more bytes
            # with others' (fewer searches) and occur by chance less
            rank = (_cost(window) // 1024 + 1) * 1024 - min(map(len, strings))
            if rank < cost:
                cost, gate = rank, (_STRINGS, (strings, window))
    return gate


def _tier(window: _Window) -> tuple[int, int]:
    """Windows searched together: near the start of bof, far in bof (from ``_NEAR`` on),
    anywhere in bof; near the end of eof; anywhere in eof."""
    which, start, end = window
    if which == _BOF_WINDOW:
        near = end is not None and end <= _NEAR
        return which, 0 if near else 1 if start >= _NEAR else 2
    if which == _TAIL_WINDOW:
        return which, 0 if start <= _NEAR else 1
    return which, 0


def _union(windows: list[_Window]) -> _Window:
    """The smallest window holding these (all of one tier)."""
    which = windows[0][0]
    if which == _BOF_WINDOW:
        ends = [end for _w, _s, end in windows]
        end = None if None in ends else max(e for e in ends if e is not None)
        return which, min(start for _w, start, _e in windows), end
    if which == _TAIL_WINDOW:
        return which, max(start for _w, start, _e in windows), None
    return which, 0, None


_Groups = tuple[list[tuple["re.Pattern[bytes]", _Window]], dict[tuple[bytes, tuple[int, int]], int]]


def _group(tiers: dict[tuple[int, int], list[tuple[bytes, _Window]]]) -> _Groups:
    """Literal strings (each with its window, by tier) put in groups that share a byte X, each
    string cut to start at X (at least ``_NEEDLE`` bytes left), each group one search over the
    smallest window that holds its strings' own; tier by tier, greedily, the byte most strings
    not placed yet contain first (a string of a narrow window put with those of a wide one
    was tried: more alternatives at each X cost more than the search they save). Returns the
    groups (expression, window) and the group of each (string, tier)."""
    made: list[tuple[int, set[bytes], _Window]] = []  # byte, cut strings, window
    group_of: dict[tuple[bytes, tuple[int, int]], int] = {}

    for tier in sorted(tiers):
        windows: dict[bytes, list[_Window]] = {}
        for text, window in tiers[tier]:
            windows.setdefault(text, []).append(window)
        left = set(windows)
        while left:
            count: dict[int, int] = {}
            for text in left:
                for byte in set(text[: len(text) - _NEEDLE + 1]):
                    count[byte] = count.get(byte, 0) + 1
            byte = max(sorted(count), key=count.__getitem__)
            placed = sorted(text for text in left if byte in text[: len(text) - _NEEDLE + 1])
            for text in placed:
                group_of[text, tier] = len(made)
            cuts = {text[text.index(byte) + 1 :] for text in placed}
            made.append((byte, cuts, _union([w for text in placed for w in windows[text]])))
            left -= set(placed)
    groups = [
        (
            re.compile(
                re.escape(bytes([b])) + b"(?:" + b"|".join(map(re.escape, sorted(c))) + b")"
            ),
            w,
        )
        for b, c, w in made
    ]
    return groups, group_of


_Gated = tuple["str | None", list[_Pattern], _Gate]  # name, patterns, gate in this plan


@dataclass
class _Plan:
    """How the signatures that can match a file starting with one byte are sorted out, in a
    few calls of the regular expression engine for all of them. Each signature is decided
    first by one of its patterns (:func:`_gate`: the cheapest to rule out, none after a
    broken one, which fido reaches first and raises at):

    * a slot of ``combined``: the patterns matched at the start that fail fast
      (``\\A\\xff\\xd8\\xff\\xe0.{2}JFIF\\x00``, ``\\A.{2,2}\\x2a``) in one expression
      ``\\A(?:(?=P1)()|)(?:(?=P2)()|)…``: marker group *i* takes part in the match exactly
      when ``Pi`` matches at the start (a look-ahead at position 0 sees what ``re.match``
      sees; each branch's first way is tried and, failing, its empty second way taken, and
      what follows always matches, so the engine never goes back on one): one call tells
      which of them match (those that may start with any byte in one expression shared by
      every plan, those that start with this plan's byte in another);
    * ``groups``: a pattern that scans (``\\A.{0,65536}…``, a search) cannot match unless its
      buffer holds, in the window where they must lie, one of the literal strings every
      match of it contains (:func:`_analyse`); those strings are looked for together, in a
      few searches of ``X(?:tail|tail…)`` (strings cut to start at a byte X: the engine skips
      from X to X), one group of strings near the start of bof, far in it, near the end of
      eof… (:func:`_group`); a signature none of whose groups is found is ruled out;
    * ``always``: the others (nothing known, or their first pattern broken) are walked.

    A signature ruled out has a pattern that does not match, and none before it that raises:
    fido would have stopped it there, with nothing found or raised. ``formats`` keeps fido's
    order; the formats walked for a file are those with a signature not ruled out."""

    formats: list[tuple[Any, str, list[_Gated]]]
    combined: list[re.Pattern[bytes]]
    slots: int
    groups: list[tuple[re.Pattern[bytes], _Window]]
    by_slot: list[list[int]]
    by_group: list[list[int]]
    always: list[int]
    # the groups' searches: number, bound search, start, end in bof / number, search, tail
    in_bof: list[tuple[int, Any, int, int]] = field(default_factory=list)
    in_eof: list[tuple[int, Any, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for number, (expression, (which, start, end)) in enumerate(self.groups):
            if which == _BOF_WINDOW:
                self.in_bof.append(
                    (number, expression.search, start, _UNBOUNDED if end is None else end)
                )
            else:  # the last ``start`` bytes of eof, or all of it
                tail = start if which == _TAIL_WINDOW else _UNBOUNDED
                self.in_eof.append((number, expression.search, tail))


class _Signatures:
    """fido's ``match_formats`` over a table read once from its formats (see the module
    docstring): ``match(bof, eof)`` returns what ``Fido.match_formats(bof, eof)`` returns.

    Every regular expression is compiled and analysed once, here. A signature whose first
    pattern is matched at the start of the file and begins with a literal byte cannot match
    a file that starts with another byte, so for each first byte only the formats with a
    signature that can match are kept, in fido's order (a format left out would have matched
    nothing, raised nothing and changed no priority). Of those, a few calls of the regular
    expression engine rule out most signatures (:class:`_Plan`); the rest are walked by
    fido's rules. A pattern slow to fail is tried only when the buffer holds the literal
    bytes every match of it contains."""

    def __init__(self, fido: Any) -> None:
        self._priority: dict[str, frozenset[str]] = fido.puid_has_priority_over_map
        compiled: dict[bytes, re.Pattern[bytes] | None] = {}
        analysed: dict[tuple[bytes, int], _Facts] = {}
        self._table: list[_Format] = []
        for element in fido.formats:
            signatures: list[_Signature] = []
            for sig in element.findall("signature"):
                patterns: list[_Pattern] = []
                facts: list[_Facts] = []
                for pat in sig.findall("pattern"):
                    position, regex = pat.find("position"), pat.find("regex")
                    fact = _Facts()
                    if position is None or regex is None or regex.text is None:
                        patterns.append((_BROKEN, None, None, None, None))
                        facts.append(fact)
                        continue
                    kind = _KINDS.get(position.text or "", _UNCHECKED)
                    source = regex.text.encode("utf8")
                    if kind != _UNCHECKED and source not in compiled:
                        try:
                            compiled[source] = re.compile(source)
                        except Exception:
                            compiled[source] = None
                    pattern = compiled.get(source)
                    if kind == _UNCHECKED:
                        patterns.append((kind, None, None, None, None))
                    elif pattern is None:
                        patterns.append((_BROKEN, None, None, None, None))
                    else:
                        # each pattern read once (the same one recurs in many signatures)
                        if (source, kind) not in analysed:
                            analysed[source, kind] = _analyse(source, kind)
                        fact = analysed[source, kind]
                        patterns.append((kind, pattern, fact.needle, fact.tail, fact.last))
                    facts.append(fact)
                # what a match of the first pattern starts with
                first = facts[0].first if patterns and patterns[0][0] == _BOF else None
                gate = _gate(patterns, facts)
                signatures.append((sig.findtext("name"), patterns, first, gate))
            self._table.append((element, element.find("puid").text, signatures))
        # the literal strings of every gate, grouped once for all first bytes
        tiers: dict[tuple[int, int], list[tuple[bytes, _Window]]] = {}
        for _element, _puid, signatures in self._table:
            for _name, _patterns, _first, (kind, value) in signatures:
                if kind == _STRINGS:
                    strings, window = value
                    tiers.setdefault(_tier(window), []).extend((t, window) for t in strings)
        self._groups, self._group_of = _group(tiers)
        self._plans: dict[int, _Plan] = {}
        self._combined: dict[tuple[bytes, ...], re.Pattern[bytes] | None] = {}
        self._order = {
            gate[1][0]: n
            for n, (_e, _p, signatures) in enumerate(self._table)
            for _name, _patterns, _first, gate in reversed(signatures)
            if gate[0] == _SLOT
        }
        self._plan_lock = threading.Lock()

    def _plan(self, bof: bytes) -> _Plan:
        """The plan (:class:`_Plan`) for a file starting with ``bof[0]`` (-1: an empty file),
        made on first use."""
        key = bof[0] if bof else -1
        plan = self._plans.get(key)
        if plan is None:
            with self._plan_lock:
                plan = self._plans.get(key)
                if plan is None:
                    plan = self._plans[key] = self._make_plan(key)
        return plan

    def _make_plan(self, key: int) -> _Plan:
        sources: set[tuple[bytes, int | None]] = set()  # of the slots: source, first byte
        numbers: dict[int, int] = {}  # a group of self._groups: its number in this plan
        formats: list[tuple[Any, str, list[_Gated]]] = []
        for element, puid, signatures in self._table:
            kept: list[_Gated] = []
            for name, patterns, first, (kind, value) in signatures:
                if first is not None and first != key:
                    continue  # its first pattern starts with another byte
                if kind == _SLOT:
                    sources.add(value)
                elif kind == _STRINGS:
                    strings, window = value
                    tier = _tier(window)
                    value = frozenset(
                        numbers.setdefault(self._group_of[t, tier], len(numbers)) for t in strings
                    )
                kept.append((name, patterns, (kind, value)))
            if kept:
                formats.append((element, puid, kept))

        # the patterns that may start with any byte in one expression shared by all plans,
        # those that start with this plan's byte in another (each compiled once)
        # in fido's order, then by the bytes: a total order, so the same sources make the same
        # expression in every plan and every process (a set's order changes with the hash
        # seed: the text would differ from one run to the next, compiled again each time and
        # never found among the expressions the program keeps, regexcache)
        def order(source: bytes) -> tuple[int, bytes]:
            return self._order[source], source

        combined: list[re.Pattern[bytes]] = []
        slots: dict[bytes, int] = {}
        for part in (
            sorted((s for s, first in sources if first is None), key=order),
            sorted((s for s, first in sources if first is not None), key=order),
        ):
            expression = self._combine(tuple(part))
            if expression is not None:
                combined.append(expression)
                slots.update({source: len(slots) + n for n, source in enumerate(part)})
        by_slot: list[list[int]] = [[] for _ in slots]
        by_group: list[list[int]] = [[] for _ in numbers]
        always: set[int] = set()
        for position, (_element, _puid, kept) in enumerate(formats):
            for index, (name, patterns, (kind, value)) in enumerate(kept):
                if kind == _SLOT:
                    slot = slots.get(value[0])
                    kind, value = (_SLOT, slot) if slot is not None else (_ALWAYS, None)
                    kept[index] = (name, patterns, (kind, value))
                if kind == _SLOT:
                    by_slot[value].append(position)
                elif kind == _STRINGS:
                    for number in value:
                        by_group[number].append(position)
                else:
                    always.add(position)
        groups = [self._groups[number] for number in sorted(numbers, key=numbers.__getitem__)]
        return _Plan(formats, combined, len(slots), groups, by_slot, by_group, sorted(always))

    def _combine(self, sources: tuple[bytes, ...]) -> re.Pattern[bytes] | None:
        """The combined expression (:class:`_Plan`) of these bodies (:func:`_body`), compiled once for all
        the first bytes whose plans have the same (most bytes start no signature)."""
        if not sources:
            return None
        if sources not in self._combined:
            body = b"".join(b"(?:(?=" + source + b")()|)" for source in sources)
            try:
                combined: re.Pattern[bytes] | None = re.compile(b"(?s)\\A" + body)
            except Exception:  # pragma: no cover - every body compiled alone
                combined = None
            if combined is not None and combined.groups != len(sources):
                combined = None  # pragma: no cover - no pattern has groups of its own
            self._combined[sources] = combined
        return self._combined[sources]

    def _good(self, puid: str, element: Any, found: list[tuple[Any, str | None, str]]) -> bool:
        """fido's ``as_good_as_any``: no format already found has priority over this one."""
        priority = self._priority
        return not any(
            other is not element and puid in priority[other_puid]
            for other, _name, other_puid in found
        )

    @staticmethod
    def _hit(
        kind: int,
        pattern: re.Pattern[bytes],
        needle: bytes | None,
        tail: int | None,
        last: bytes | None,
        bof: bytes,
        eof: bytes,
        held: tuple[dict[bytes, bool], dict[bytes, bool]],
    ) -> bool:
        """Whether one pattern matches, as fido's ``re.match``/``re.search`` tells."""
        if needle is not None:
            buffer, seen = (eof, held[1]) if kind == _EOF else (bof, held[0])
            present = seen.get(needle)
            if present is None:
                present = seen[needle] = needle in buffer
            if not present:
                return False
        if kind == _BOF:
            return pattern.match(bof) is not None
        if kind != _EOF:
            return pattern.search(bof) is not None
        start = 0 if tail is None else max(0, len(eof) - tail)
        if last is not None:
            return eof.rfind(last, start) >= 0
        return pattern.search(eof, start) is not None

    def match(self, bof: bytes, eof: bytes) -> list[tuple[Any, str | None]]:
        plan = self._plan(bof)
        size = len(eof)
        slots: frozenset[int] = frozenset()
        if plan.combined:
            marks: tuple[Any, ...] = ()
            for expression in plan.combined:
                marks += expression.match(bof).groups(1)  # type: ignore[union-attr]
            # a marker that took part holds b"" (false); one that did not holds 1
            slots = frozenset(itertools.compress(range(plan.slots), map(operator.not_, marks)))
        groups = [n for n, search, start, end in plan.in_bof if search(bof, start, end)]
        groups += [n for n, search, tail in plan.in_eof if search(eof, max(0, size - tail))]
        walked = set(plan.always)
        for slot in slots:
            walked.update(plan.by_slot[slot])
        for number in groups:
            walked.update(plan.by_group[number])
        found: list[tuple[Any, str | None, str]] = []
        # whether a buffer holds a literal, asked once per buffer: many signatures share one
        held: tuple[dict[bytes, bool], dict[bytes, bool]] = ({}, {})
        known: dict[tuple[re.Pattern[bytes], int], bool] = {}
        # the PUIDs a format found so far has priority over: fido's as_good_as_any for a
        # format not found yet (it is never among them: each format comes once)
        outranked: set[str] = set()
        for position in sorted(walked):
            element, puid, signatures = plan.formats[position]
            try:
                if puid in outranked:
                    continue
                for name, patterns, (gate, value) in signatures:
                    if gate == _SLOT and value not in slots:
                        continue  # ruled out: fido's break at a pattern that fails
                    if gate == _STRINGS and value.isdisjoint(groups):
                        continue  # ruled out: none of the strings it needs is there
                    for kind, pattern, needle, tail, last in patterns:
                        if kind == _UNCHECKED:
                            continue
                        if pattern is None:
                            raise _Broken
                        # a pattern's answer for these buffers, asked once (the JPEG
                        # formats share their end-of-file pattern)
                        hit = known.get((pattern, kind))
                        if hit is None:
                            hit = known[pattern, kind] = self._hit(
                                kind, pattern, needle, tail, last, bof, eof, held
                            )
                        if not hit:
                            break
                    else:
                        found.append((element, name, puid))
                        outranked |= self._priority[puid]
            except Exception:  # as fido: the rest of this format's signatures are not tried
                continue
        return [(e, n) for e, n, puid in found if self._good(puid, e, found)]


class FormatIdentifier:
    """One loaded fido (loading its signatures takes about a second; reuse it)."""

    def __init__(self) -> None:
        import fido
        from fido.fido import Fido
        from fido.versions import get_local_versions

        versions = get_local_versions(fido.CONFIG_DIR)
        self.version = str(fido.__version__)
        self.pronom = str(versions.pronom_version)
        self.signature_files = (
            str(versions.pronom_signature),
            str(versions.pronom_container_signature),
        )
        self._found: list[tuple[list[Any], str]] = []
        with contextlib.redirect_stderr(io.StringIO()):
            self._fido = Fido(
                quiet=True,
                format_files=[versions.pronom_signature, versions.fido_extension_signature],
                handle_matches=self._collect,
            )
        # fido's constructor ignores its containersignature_file argument
        self._fido.containersignature_file = versions.pronom_container_signature
        # the same matching, from a table read once (module docstring); fido's identify_file
        # and its container handling call it through the instance
        self._signatures = _Signatures(self._fido)
        self._fido.match_formats = self._signatures.match
        self._by_extension: dict[str, list[Any]] | None = None
        self._described: dict[Any, _Match] = {}  # each format's element read once
        self._lock = threading.Lock()

    @property
    def tool(self) -> str:
        return f"fido {self.version}"

    @property
    def signatures(self) -> str:
        return f"PRONOM v{self.pronom} ({', '.join(self.signature_files)})"

    def agent(self) -> Agent:
        """The PREMIS agent of the identification: fido, its version and signature release."""
        return Agent(
            name="fido",
            role="format identification",
            kind="software",
            version=f"{self.version} (signatures PRONOM v{self.pronom})",
            identifier=f"fido-{self.version}/pronom-v{self.pronom}",
        )

    def _collect(self, filename: str, matches: list[Any], delta: float, kind: str = "") -> None:
        self._found.append((matches, kind))

    def _describe(self, element: Any) -> _Match:
        described = self._described.get(element)
        if described is None:
            described = self._described[element] = self._read(element)
        return described

    @staticmethod
    def _read(element: Any) -> _Match:
        version = (element.findtext("version") or "").strip() or None
        return _Match(
            puid=element.findtext("puid"),
            name=element.findtext("name") or element.findtext("puid"),
            version=version,
            mime=(element.findtext("mime") or "").strip() or None,
            extensions=tuple(e.text.lower() for e in element.findall("extension") if e.text),
            signatures=len(element.findall("signature")),
        )

    def prepare(self, first_bytes: Iterable[int]) -> None:
        """Make now the matching plans of files that start with these bytes (each made on first
        use otherwise, 2–20 ms): a process about to fork its workers makes them once for all."""
        for byte in first_bytes:
            self._signatures._plan(bytes([byte]))

    def identify(self, path: Path | str, mime_type: str | None = None) -> FormatId:
        """The PRONOM format of one file (``mime_type``: the MIME type its name suggests, used
        to choose among formats known only by extension)."""
        with self._lock:
            self._found = []
            with contextlib.redirect_stderr(io.StringIO()):
                self._fido.identify_file(os.fspath(path), extension=False)
            found = self._found
        return self._choose(found, os.fspath(path), mime_type)

    def identify_bytes(self, data: bytes, name: str, mime_type: str | None = None) -> FormatId:
        """The PRONOM format of a document in memory (``name``: its file name). fido's
        signatures are matched against the same start and end buffers ``identify_file`` reads
        (fido's own ``identify_stream`` never returns at the end of a short stream)."""
        size = int(self._fido.bufsize)
        with self._lock, contextlib.redirect_stderr(io.StringIO()):
            matches = self._fido.match_formats(data[:size], data[-size:]) if data else []
        return self._choose([(matches, "signature")] if matches else [], name, mime_type)

    def _choose(
        self, found: list[tuple[list[Any], str]], path: str, mime_type: str | None
    ) -> FormatId:
        matches, kind = found[0] if found else ([], "fail")
        described = [self._describe(element) for element, _ in matches]
        if kind in {"signature", "container"} and described:
            return self._result(described[0], kind)
        extension = Path(path).suffix.lower().lstrip(".")
        candidates = [self._describe(element) for element in self._unsigned().get(extension, ())]
        agreeing = [c for c in candidates if mime_type and c.mime == mime_type]
        chosen = agreeing[:1] or (candidates if len(candidates) == 1 else [])
        if chosen:
            return self._result(chosen[0], "extension")
        return FormatId(
            puid=None,
            name="unknown",
            mime_type=None,
            basis="none",
            tool=self.tool,
            signatures=self.signatures,
        )

    def _unsigned(self) -> dict[str, list[Any]]:
        """Formats PRONOM gives no byte signature, by each extension they list (lower case),
        in fido's order: read once, not for every file that no signature identifies."""
        if self._by_extension is None:
            table: dict[str, list[Any]] = {}
            for element in self._fido.formats:
                if element.findall("signature"):
                    continue
                for extension in {(e.text or "").lower() for e in element.findall("extension")}:
                    if extension:
                        table.setdefault(extension, []).append(element)
            self._by_extension = table
        return self._by_extension

    def _result(self, match: _Match, basis: str) -> FormatId:
        return FormatId(
            puid=match.puid,
            name=match.name,
            version=match.version,
            mime_type=match.mime,
            basis=basis,
            tool=self.tool,
            signatures=self.signatures,
            extensions=match.extensions,
        )


_SHARED: FormatIdentifier | None = None
_SHARED_LOCK = threading.Lock()


def identifier() -> FormatIdentifier:
    """The process's fido, loaded on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = FormatIdentifier()
        return _SHARED


def extension_problem(display: str, fmt: FormatId) -> Problem | None:
    """``format-extension-mismatch`` when a file's signature says a format whose PRONOM
    extensions do not include the file's own."""
    if fmt.basis not in {"signature", "container"} or not fmt.extensions:
        return None
    extension = Path(display).suffix.lower().lstrip(".")
    if extension in fmt.extensions:
        return None
    listed = ", ".join(f".{e}" for e in fmt.extensions)
    return Problem(
        "format-extension-mismatch",
        f"the file is {fmt.name} ({fmt.puid}) by its contents, but its name ends in "
        f"{'.' + extension if extension else 'no extension'}; PRONOM gives {listed} for that "
        "format",
        display,
    )


def identify_all(
    files: Iterable[tuple[str, Path, str | None]],
) -> tuple[dict[str, FormatId], list[Problem]]:
    """Identify ``(display path, file on disk, MIME type)`` items; their results by display
    path, and the extension problems."""
    tool = identifier()
    out: dict[str, FormatId] = {}
    problems: list[Problem] = []
    for display, path, mime in files:
        fmt = tool.identify(path, mime)
        out[display] = fmt
        problem = extension_problem(display, fmt)
        if problem is not None:
            problems.append(problem)
    return out, problems
