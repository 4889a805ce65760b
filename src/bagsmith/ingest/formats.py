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
cache: ~13 ms a file, most of ``bagsmith batch``'s cost for an article of 20 photographs.
:class:`_Signatures` reads that tree once into a table (each regular expression compiled on
first use, as fido's regex cache does) and applies the same rules in the same order — same
matches, same priorities, a broken signature skipping the rest of its format as fido's
``try`` does — in ~1 ms; the test suite checks it against fido's own method.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
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
# kind, compiled pattern (None: fido raises there), bytes every match contains (or None)
# and for an end-of-file pattern that ends at the end of the buffer, the longest match
_Pattern = tuple[int, "re.Pattern[bytes] | None", "bytes | None", "int | None"]
_Signature = tuple["str | None", list[_Pattern], "int | None"]  # name, patterns, first byte
_Format = tuple[Any, str, list[_Signature]]  # format element, PUID, signatures


class _Broken(Exception):
    """A pattern fido cannot use (no position, no or an invalid regular expression): fido
    raises when it reaches it."""


#: a pattern the regex engine may try this many ways (start positions × lengths of its
#: repeats) is slow to fail: ``\\A.{32768,70468}.{0,16}ER…`` ~0.7 ms on a photograph
_SLOW = 200_000
_SEARCHED = 65_536  # about the start positions of a search in fido's 128 KiB buffers


def _analyse(regex: bytes, kind: int) -> tuple[int | None, bytes | None, int | None]:
    """What a pattern requires, read from its parse (None when it cannot be told):

    * the byte a ``re.match`` of it must find first, when it starts (after ``\\A``) with a
      literal byte — a file that starts with another byte cannot match;
    * for a pattern slow to fail (see ``_SLOW``), its longest run of literal bytes at the
      top level (every match contains it): when the buffer does not, the pattern cannot
      match, and looking for those bytes is much quicker than the regex failing;
    * for an end-of-file pattern that ends with ``\\Z`` (at the top level, not in a branch)
      and cannot match more than so many bytes, that number: every match starts that far from
      the end of the buffer at most, so the search can start there instead of trying every
      position of 128 KiB (``search(eof, pos)`` sees the same string: ``\\A``, ``^`` and
      look-behinds are not moved)."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(regex, 0)
        if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
            return None, None, None
        items = [(op, v) for op, v in parsed if not (op is c.AT and v is c.AT_BEGINNING_STRING)]
        first = items[0][1] if items and items[0][0] is c.LITERAL else None
        # how many ways the engine may try before failing: start positions × repeat lengths;
        # a match at the start fails fast unless the pattern opens with repeats
        repeats = [v for op, v in items if op in (c.MAX_REPEAT, c.MIN_REPEAT)]
        if kind == _BOF:
            lead = itertools.takewhile(lambda i: i[0] in (c.MAX_REPEAT, c.MIN_REPEAT), items)
            repeats = [v for _op, v in lead]
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
        return (
            first if kind == _BOF else None,
            needle if slow and len(needle) >= 3 else None,
            tail,
        )
    except Exception:  # any doubt: the pattern is always tried
        return None, None, None


class _Signatures:
    """fido's ``match_formats`` over a table read once from its formats (see the module
    docstring): ``match(bof, eof)`` returns what ``Fido.match_formats(bof, eof)`` returns.

    Every regular expression is compiled once, here. A signature whose first pattern is
    anchored at the start of the file and begins with a literal byte cannot match a file that
    starts with another byte, so for each first byte only the formats with a signature that
    can match are walked — in fido's order; a format left out would have matched nothing,
    raised nothing and changed no priority. A pattern slow to fail is tried only when the
    buffer holds the literal bytes every match of it contains (:func:`_analyse`)."""

    def __init__(self, fido: Any) -> None:
        self._priority: dict[str, frozenset[str]] = fido.puid_has_priority_over_map
        compiled: dict[bytes, re.Pattern[bytes] | None] = {}
        analysed: dict[tuple[bytes, int], tuple[int | None, bytes | None, int | None]] = {}
        self._table: list[_Format] = []
        for element in fido.formats:
            signatures: list[_Signature] = []
            for sig in element.findall("signature"):
                patterns: list[_Pattern] = []
                first = None
                for pat in sig.findall("pattern"):
                    position, regex = pat.find("position"), pat.find("regex")
                    if position is None or regex is None or regex.text is None:
                        patterns.append((_BROKEN, None, None, None))
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
                        patterns.append((kind, None, None, None))
                    elif pattern is None:
                        patterns.append((_BROKEN, None, None, None))
                    else:
                        # each pattern read once (the same one recurs in many signatures)
                        facts = analysed.get((source, kind))
                        if facts is None:
                            facts = analysed[source, kind] = _analyse(source, kind)
                        if not patterns and kind == _BOF:
                            first = facts[0]  # what a match of the first pattern starts with
                        patterns.append((kind, pattern, facts[1], facts[2]))
                signatures.append((sig.findtext("name"), patterns, first))
            self._table.append((element, element.find("puid").text, signatures))
        self._by_first: dict[int, list[_Format]] = {}

    def _formats(self, bof: bytes) -> list[_Format]:
        """The formats, in fido's order, with the signatures that can match a file starting
        with ``bof[0]`` (-1: an empty file)."""
        key = bof[0] if bof else -1
        table = self._by_first.get(key)
        if table is None:
            table = self._by_first[key] = [
                (element, puid, kept)
                for element, puid, signatures in self._table
                if (kept := [sig for sig in signatures if sig[2] is None or sig[2] == key])
            ]
        return table

    def _good(self, puid: str, element: Any, found: list[tuple[Any, str | None, str]]) -> bool:
        """fido's ``as_good_as_any``: no format already found has priority over this one."""
        priority = self._priority
        return not any(
            other is not element and puid in priority[other_puid]
            for other, _name, other_puid in found
        )

    def match(self, bof: bytes, eof: bytes) -> list[tuple[Any, str | None]]:
        found: list[tuple[Any, str | None, str]] = []
        # whether a buffer holds a literal, asked once per buffer: many signatures share one
        # (twenty AutoCAD formats look for b"$ACADVER" in the same 128 KiB)
        in_bof: dict[bytes, bool] = {}
        in_eof: dict[bytes, bool] = {}
        # the PUIDs a format found so far has priority over: fido's as_good_as_any for a
        # format not found yet (it is never among them: each format comes once)
        outranked: set[str] = set()
        size = len(eof)
        for element, puid, signatures in self._formats(bof):
            try:
                if puid in outranked:
                    continue
                for name, patterns, _first in signatures:
                    for kind, pattern, needle, tail in patterns:
                        if kind == _UNCHECKED:
                            continue
                        if pattern is None:
                            raise _Broken
                        if needle is not None:
                            held = in_eof if kind == _EOF else in_bof
                            present = held.get(needle)
                            if present is None:
                                present = held[needle] = needle in (eof if kind == _EOF else bof)
                            if not present:
                                break
                        if kind == _BOF:
                            hit = pattern.match(bof)
                        elif kind == _EOF:
                            hit = pattern.search(eof, 0 if tail is None else max(0, size - tail))
                        else:
                            hit = pattern.search(bof)
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
        self._fido.match_formats = _Signatures(self._fido).match
        self._by_extension: dict[str, list[Any]] | None = None
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

    @staticmethod
    def _describe(element: Any) -> _Match:
        version = (element.findtext("version") or "").strip() or None
        return _Match(
            puid=element.findtext("puid"),
            name=element.findtext("name") or element.findtext("puid"),
            version=version,
            mime=(element.findtext("mime") or "").strip() or None,
            extensions=tuple(e.text.lower() for e in element.findall("extension") if e.text),
            signatures=len(element.findall("signature")),
        )

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
