"""Parse XML from bags made by others without trusting it.

No DTD loading, no entity expansion, no network, no huge trees, a size limit, and any
document type declaration is refused outright (METS and Dublin Core never need one): an XXE,
a billion-laughs or an external-DTD document becomes an ``xml-unsafe`` problem naming the file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from ..problems import Problem
from .resolver import RefuseAll

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_PROLOG_CHUNK = 4 * 1024  # the root start tag of most documents is in the first piece


@dataclass
class Parsed:
    tree: Any | None  # lxml _ElementTree when the document could be read safely
    problems: list[Problem] = field(default_factory=list)


#: How every untrusted document is read (whole or as a stream): no entities expanded, no
#: network, no DTD loaded, lxml's limits on depth and text kept; comments and blank text kept.
SAFE_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


def safe_parser() -> Any:
    parser = etree.XMLParser(**SAFE_OPTIONS)
    parser.resolvers.add(RefuseAll())
    return parser


def parse_untrusted(
    source: Path | bytes, display: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Parsed:
    """Parse a file (or bytes) safely; problems instead of exceptions."""
    name = display or (str(source) if isinstance(source, Path) else "(document)")
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            if size > max_bytes:
                return Parsed(None, [too_large(name, size, max_bytes)])
            data = source.read_bytes()
        except OSError as exc:
            return Parsed(
                None,
                [
                    Problem(
                        "xml-not-well-formed", f"cannot read the file: {exc.strerror or exc}", name
                    )
                ],
            )
    else:
        data = source
        if len(data) > max_bytes:
            return Parsed(None, [too_large(name, len(data), max_bytes)])
    unsafe = prolog_problem(data, name)
    if unsafe is not None:
        return Parsed(None, [unsafe])
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg) if getattr(exc, "msg", None) else str(exc)
        code = "xml-unsafe" if "entity" in message.lower() else "xml-not-well-formed"
        return Parsed(None, [Problem(code, f"not well-formed XML: {message}", name, exc.lineno)])
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return Parsed(
            None,
            [
                Problem(
                    "xml-unsafe",
                    "the document has a document type declaration (DTD); refused",
                    name,
                    1,
                )
            ],
        )
    return Parsed(tree)


def too_large(name: str, size: int, limit: int) -> Problem:
    return Problem(
        "xml-too-large", f"the document is {size} bytes, over the {limit}-byte limit", name
    )


def prolog_problem(source: Path | bytes | IO[bytes], name: str) -> Problem | None:
    """The safety gate: is there a document type declaration before the root element?

    libxml2 itself reads the prolog (the same parser that will read the document, so whatever
    the encoding — UTF-8, UTF-16 with or without a byte order mark … — and however many
    comments and processing instructions come first, it sees what the parser will see),
    fed in 4 KiB pieces and stopped at the root element's start tag: the memory used is
    that of the prolog, and libxml2 refuses a comment or instruction over 10 MB. No DTD is
    loaded, no entity expanded, nothing is fetched. A document libxml2 cannot read returns
    None here: the parse that follows reports it.
    """
    if isinstance(source, Path):
        try:
            with source.open("rb") as fh:
                return _scan_prolog(fh, name)
        except OSError:
            return None  # reported by the read that follows
    return _scan_prolog(io.BytesIO(source) if isinstance(source, bytes) else source, name)


def _scan_prolog(stream: IO[bytes], name: str) -> Problem | None:
    parser = etree.XMLPullParser(
        events=("start",),
        **SAFE_OPTIONS,
        remove_comments=True,
        remove_pis=True,
    )
    parser.resolvers.add(RefuseAll())
    root = None
    finder = _DoctypeLine()
    try:
        while root is None:
            block = stream.read(_PROLOG_CHUNK)
            if not block:
                break
            finder.feed(block)
            parser.feed(block)
            for _event, element in parser.read_events():
                root = element
                break
    except (etree.XMLSyntaxError, OSError):
        if finder.line is None:
            return None  # the parse that follows reports it
        # libxml2 stopped inside or after a DTD (an entity bomb is caught while declared)
        what = "declares entities" if finder.entities else "has a document type declaration"
        return Problem(
            "xml-unsafe", f"the document {what}; refused without loading it", name, finder.line
        )
    if root is None:
        return None
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if not docinfo.doctype and dtd is None:
        return None
    entities = list(dtd.iterentities()) if dtd is not None else []
    if entities or finder.entities:
        what = "declares entities (possible XXE or entity-expansion attack)"
    elif docinfo.system_url or docinfo.public_id:
        what = "references an external DTD"
    else:
        what = "has a document type declaration"
    return Problem(
        "xml-unsafe", f"the document {what}; refused without loading it", name, finder.line or 1
    )


class _DoctypeLine:
    """The line of the first ``<!DOCTYPE`` in the bytes fed (UTF-8 and UTF-16 spellings), and
    whether ``<!ENTITY`` follows it, counting line feeds as the bytes go by (no copy of the
    prolog is kept)."""

    _ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
    _PATTERNS = tuple("<!DOCTYPE".encode(enc) for enc in _ENCODINGS)
    _ENTITY = tuple("<!ENTITY".encode(enc) for enc in _ENCODINGS)
    _KEEP = 32

    def __init__(self) -> None:
        self.line: int | None = None
        self.entities = False
        self._newlines = 0
        self._tail = b""

    def feed(self, block: bytes) -> None:
        data = self._tail + block
        self._tail = data[-self._KEEP :]
        if self.line is not None:
            self.entities = self.entities or any(p in data for p in self._ENTITY)
            return
        found = [i for i in (data.find(p) for p in self._PATTERNS) if i >= 0]
        if found:
            at = min(found)
            self.line = self._newlines + data.count(b"\n", 0, at) + 1
            self.entities = any(p in data[at:] for p in self._ENTITY)
            return
        self._newlines += data.count(b"\n", 0, max(0, len(data) - self._KEEP))
