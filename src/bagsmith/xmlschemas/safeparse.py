"""Parse XML from bags made by others without trusting it.

No DTD loading, no entity expansion, no network, no huge trees, a size limit, and any
document type declaration is refused outright (METS and Dublin Core never need one): an XXE,
a billion-laughs or an external-DTD document becomes an ``xml-unsafe`` problem naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..problems import Problem
from .resolver import RefuseAll

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_PROLOG_SCAN = 64 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)


@dataclass
class Parsed:
    tree: Any | None  # lxml _ElementTree when the document could be read safely
    problems: list[Problem] = field(default_factory=list)


def safe_parser() -> Any:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )
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
    unsafe = doctype_problem(data, name)
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


def doctype_problem(data: bytes, name: str) -> Problem | None:
    """Look for ``<!DOCTYPE`` in the prolog only (before the root element), without parsing."""
    head = data[:_PROLOG_SCAN]
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while pos < len(head):
        while pos < len(head) and head[pos : pos + 1] in b" \t\r\n":
            pos += 1
        if head.startswith(b"<?", pos):
            end = head.find(b"?>", pos)
        elif head.startswith(b"<!--", pos):
            end = head.find(b"-->", pos)
        else:
            break
        if end < 0:
            return None
        pos = end + 2
    if not _DOCTYPE.match(head, pos):
        return None
    line = head.count(b"\n", 0, pos) + 1
    declaration = head[pos:]
    if b"<!ENTITY" in declaration:
        what = "declares entities (possible XXE or entity-expansion attack)"
    elif re.match(rb"<!DOCTYPE\s+\S+\s+(SYSTEM|PUBLIC)\b", declaration, re.IGNORECASE):
        what = "references an external DTD"
    else:
        what = "has a document type declaration"
    return Problem("xml-unsafe", f"the document {what}; refused without loading it", name, line)
