"""Validate a METS document section by section, in bounded memory, with exact line numbers.

lxml's validating parsers report schema errors without line numbers, and a whole-tree parse of
a METS for 20,000 files needs gigabytes. So the document is read with ``iterparse``; each
top-level section (``metsHdr``, every ``dmdSec`` and ``amdSec``, ``fileSec``, each
``structMap`` …) is handed to a ``visit`` callback (semantic checks), validated against the
driver schema where it stands (the nodes keep their source lines) and dropped. The order and
attributes of the top level are then validated with a skeleton in which every section is
replaced by a minimal valid stand-in at the same line. Documents with another root (Dublin
Core) are small and validated as a whole.

A document of up to 4 MiB (an article's METS, a Dublin Core record) is first parsed whole and
checked against the schemas in one run (:func:`_whole`), a third of the CPU of the sections;
when that finds any problem, the same bytes go through the sections for the report, so the
problems and their lines are the same either way. :func:`read_proven` is the check of a
document this process has validated already (:class:`Proof`): parsed and visited the same way,
its bytes hashed, no XSD.

Cost is linear in the document. A section is never *moved* into another element: lxml (6.2)
re-points the namespace of every moved node through a cache it fills with the wrong key, so
a move costs the square of the section's size (a 30 MB METS took 21 s, a 300 MB one hours).
Instead the document's own root is validated while it holds only the current section, with
a stand-in ``structMap`` where METS requires one and, after them, an element no METS allows,
at which libxml2 stops: the part of the next section the parser has already read (it reads
ahead by a chunk) is not validated. Errors are kept only for the nodes of the section (by
their XPath). Then the section is freed from its last node to its first (:func:`_drop`).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from ..problems import Problem
from .resolver import RefuseAll
from .safeparse import DEFAULT_MAX_BYTES, SAFE_OPTIONS, prolog_problem, safe_parser, too_large
from .validate import ACCEPTED_ROOTS, EXPECTED_ROOTS, MAX_REPORTED, METS_ROOT, Validator

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: libxml2 keeps a node's line in 16 bits unless the parser set it; stand-ins beyond this line
#: get none (only a misplaced top-level section that far down is reported without its line).
_MAX_SETTABLE_LINE = 65535


def _m(name: str) -> str:
    return f"{{{METS_NS}}}{name}"


def _stand_in(tag: str, number: int) -> Any:
    """A minimal valid element of a METS top-level kind (or an empty element of any other)."""
    el = etree.Element(tag)
    local = tag.rsplit("}", 1)[-1] if tag.startswith(f"{{{METS_NS}}}") else None
    if local == "dmdSec":
        el.set("ID", f"bagsmith-stand-in-{number}")
    elif local == "fileSec":
        etree.SubElement(el, _m("fileGrp"))
    elif local == "structMap":
        etree.SubElement(el, _m("div"))
    elif local == "structLink":
        link = etree.SubElement(el, _m("smLink"))
        link.set(f"{{{XLINK_NS}}}from", "a")
        link.set(f"{{{XLINK_NS}}}to", "b")
    return el


#: documents up to this size are parsed whole and checked against the schemas in one run
#: (:func:`_whole`: a METS of 20 images, 0.6 MB, in a third of the time of the sections); a
#: larger one, or one with any problem, is read section by section (:func:`_run`)
WHOLE_MAX_BYTES = 4 * 1024 * 1024

#: an element no METS content model allows: validation of the root's children ends there
_STOP = "{urn:bagsmith:stream}end-of-section"

_TOP_KINDS = {
    _m(n)
    for n in ("metsHdr", "dmdSec", "amdSec", "fileSec", "structLink", "structMap", "behaviorSec")
}


class _Collector:
    def __init__(self, validator: Validator | None, display: str) -> None:
        self.validator = validator
        self.display = display
        self.problems: list[Problem] = []
        self.errors = 0

    def add_log(self, log: Iterable[Any]) -> None:
        for error in log:
            self.errors += 1
            if self.errors <= MAX_REPORTED:
                self.problems.append(
                    Problem("xml-schema-invalid", error.message, self.display, error.line or None)
                )

    def failed(self, el: Any, problem: Problem) -> None:
        """libxml2 gave up on this section: the problem, at the section's line."""
        self.errors += 1
        if self.errors <= MAX_REPORTED:
            self.problems.append(
                Problem(problem.code, problem.message, problem.path, el.sourceline)
            )

    def section(self, root: Any, el: Any) -> None:
        """Validate the top-level section ``el`` where it stands: ``root`` (the document's
        root, which at this point holds no earlier section) is validated with ``el`` as its
        one section; errors outside ``el`` are not this section's."""
        if el.tag not in _TOP_KINDS:
            return  # reported by the skeleton check, at its line
        assert self.validator is not None
        added = [etree.Element(_STOP)]
        el.addnext(added[0])  # libxml2 stops at it: what the parser read ahead is not checked
        if el.tag in (_m("structLink"), _m("behaviorSec")):
            added.append(_stand_in(_m("structMap"), 0))  # METS wants a structMap before them
            el.addprevious(added[-1])
        elif el.tag != _m("structMap"):
            added.append(_stand_in(_m("structMap"), 0))
            el.addnext(added[-1])
        try:
            errors, failed = self.validator.check(root, self.display)
            if failed is not None:
                self.failed(el, failed)
            elif errors:
                own = root.getroottree().getpath(el)
                self.add_log(
                    e
                    for e in errors
                    if e.path is None or e.path == own or e.path.startswith(own + "/")
                )
        finally:
            for stand_in in added:
                root.remove(stand_in)


def _drop(root: Any, el: Any) -> None:
    """Remove a top-level node of ``root`` in time linear in its size. ``remove`` alone would
    move the subtree (see the module's docstring), and ``clear`` moves every child that still
    has a Python proxy (iterparse keeps the last events' elements): so the nodes are emptied
    from the last to the first, and each moves, if at all, as a single node."""
    for node in reversed(list(el.iter())):
        node.clear()
    root.remove(el)


@dataclass(frozen=True)
class Proof:
    """What a clean check by :func:`validate_stream` of a document held in memory shows:
    bytes with this SHA-256 are a valid ``expect`` document (``mets``, ``dc``) against the
    schema set ``schemas`` (:attr:`Validator.fingerprint`). Lives only in this process: it is
    never written anywhere, so it cannot be forged by what a bag contains."""

    sha256: str
    schemas: Hashable
    expect: str | None


def validate_with_proof(
    data: bytes,
    validator: Validator,
    display: str,
    *,
    expect: str,
    visit: Callable[[Any], None] | None = None,
    sha256: str | None = None,
) -> tuple[list[Problem], Proof | None]:
    """:func:`validate_stream` of a document in memory, and the :class:`Proof` of its bytes
    when it has no problem (and the validator knows its schema set). ``sha256``: the SHA-256
    of ``data`` when the caller has taken it already (it is not taken again)."""
    problems = validate_stream(data, validator, display, expect=expect, visit=visit)
    if problems or not validator.fingerprint[1]:
        return problems, None
    digest = sha256 or hashlib.sha256(data).hexdigest()
    return problems, Proof(digest, validator.fingerprint, expect)


class _Hashing:
    """A binary stream that hashes (SHA-256) every byte read from it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        self.sha.update(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass

    def close(self) -> None:
        self.raw.close()


def read_proven(
    source: Path | bytes,
    validator: Validator,
    display: str,
    proof: Proof,
    *,
    expect: str | None = None,
    visit: Callable[[Any], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    sha256: str | None = None,
) -> list[Problem] | None:
    """:func:`validate_stream` without the XSD, for a document whose bytes this process has
    proven valid (:func:`validate_with_proof`): read and parsed the same way (size limit,
    unsafe prolog, well-formedness, DTD refused; ``visit`` sees every section), the bytes
    hashed as the parser reads them; without ``visit`` (nothing to see in it), only hashed:
    those bytes passed every check already (not even hashed when the caller knows the
    ``sha256`` of the document at ``source``). ``[]`` when the bytes read are the proven ones
    (same SHA-256, same schema set, same kind of document). ``None`` otherwise — the document
    changed since, or anything else is amiss: the caller must then check it in full with
    :func:`validate_stream` (and a fresh ``visit``, as this one has seen the sections)."""
    if (
        proof.schemas != validator.fingerprint
        or proof.expect != expect
        or not validator.fingerprint[1]
    ):
        return None
    if visit is None:
        return [] if (sha256 or _sha256_of(source)) == proof.sha256 else None
    stream, problems = _open(source, display, max_bytes)
    if stream is None:
        return None
    try:
        data = stream.read(WHOLE_MAX_BYTES + 1)
        if len(data) <= WHOLE_MAX_BYTES:
            if hashlib.sha256(data).hexdigest() != proof.sha256:
                return None
            return _whole(data, None, display, expect, visit)
        stream.seek(0)
        hashing = _Hashing(stream)
        problems = _run(hashing, None, display, expect, visit)
        hashing.drain()
    finally:
        stream.close()
    if problems or hashing.sha.hexdigest() != proof.sha256:
        return None
    return []


def _sha256_of(source: Path | bytes) -> str | None:
    """The SHA-256 of a document (read 1 MiB at a time), None when it cannot be read."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    sha = hashlib.sha256()
    try:
        with source.open("rb") as fh:
            while block := fh.read(1 << 20):
                sha.update(block)
    except OSError:
        return None
    return sha.hexdigest()


def _open(source: Path | bytes, display: str, max_bytes: int) -> tuple[Any, list[Problem]]:
    """The document as a binary stream, or ``None`` and why it is not read at all."""
    try:
        size = source.stat().st_size if isinstance(source, Path) else len(source)
    except OSError as exc:
        return None, [
            Problem("xml-not-well-formed", f"cannot read the file: {exc.strerror or exc}", display)
        ]
    if size > max_bytes:
        return None, [too_large(display, size, max_bytes)]
    unsafe = prolog_problem(source, display)
    if unsafe is not None:
        return None, [unsafe]
    return (source.open("rb") if isinstance(source, Path) else io.BytesIO(source)), []


def validate_stream(
    source: Path | bytes,
    validator: Validator,
    display: str,
    *,
    expect: str | None = None,
    visit: Callable[[Any], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Problem]:
    """Problems of one untrusted document: unsafe/malformed XML, XSD errors with lines.
    ``visit`` receives each top-level section of a METS document (before it is dropped)."""
    stream, problems = _open(source, display, max_bytes)
    if stream is None:
        return problems
    try:
        data = stream.read(WHOLE_MAX_BYTES + 1)
        if len(data) <= WHOLE_MAX_BYTES:
            found = _whole(data, validator, display, expect, visit)
            if found is not None:
                return found
            stream = io.BytesIO(data)  # the same bytes, by sections, for the detailed report
        else:
            stream.seek(0)
        return _run(stream, validator, display, expect, visit)
    finally:
        stream.close()


def _whole(
    data: bytes,
    validator: Validator | None,
    display: str,
    expect: str | None,
    visit: Callable[[Any], None] | None,
) -> list[Problem] | None:
    """A small document parsed whole (same parser settings) and, with a ``validator``, checked
    against the schemas in one run: ``[]`` when it passes every check :func:`_run` makes (then
    ``visit`` sees its top-level sections, as :func:`_run` shows them); ``None`` when anything
    is amiss, for :func:`_run` to find and report it section by section with its lines. For a
    valid document (the usual case) this costs a third of :func:`_run`."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.Error:
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return None
    if expect is not None and root.tag not in ACCEPTED_ROOTS[expect]:
        return None
    if validator is not None:
        errors, failed = validator.check(root, display)
        if errors or failed is not None:
            return None
    if visit is not None and root.tag == METS_ROOT:
        for el in root:
            if isinstance(el.tag, str):
                visit(el)
    return []


def _run(
    stream: Any,
    validator: Validator | None,
    display: str,
    expect: str | None,
    visit: Callable[[Any], None] | None,
) -> list[Problem]:
    """Parse ``stream`` section by section; without a ``validator`` (a proven document) only
    the XML checks and ``visit``, no XSD."""
    collector = _Collector(validator, display)
    events = etree.iterparse(
        stream,
        events=("start", "end"),
        **SAFE_OPTIONS,
    )
    events.resolvers.add(RefuseAll())
    root: Any = None
    depth = 0
    skeleton: list[tuple[str, int | None]] = []
    mets = False
    try:
        for event, el in events:
            if event == "start":
                depth += 1
                if root is None:
                    root = el
                    mets = el.tag == METS_ROOT
                    if expect is not None and el.tag not in ACCEPTED_ROOTS[expect]:
                        return [
                            Problem(
                                "xml-schema-invalid",
                                f"root element is {el.tag}, expected {EXPECTED_ROOTS[expect]}",
                                display,
                                el.sourceline,
                            )
                        ]
                continue
            depth -= 1
            if depth == 1 and mets:
                if isinstance(el.tag, str):
                    skeleton.append((el.tag, el.sourceline))
                    if visit is not None:
                        visit(el)
                    if validator is not None:
                        collector.section(root, el)
                _drop(root, el)
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg) if getattr(exc, "msg", None) else str(exc)
        code = "xml-unsafe" if "entity" in message.lower() else "xml-not-well-formed"
        return [
            *collector.problems,
            Problem(code, f"not well-formed XML: {message}", display, exc.lineno),
        ]
    if root is None:
        return [Problem("xml-not-well-formed", "the document is empty", display)]
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return [
            Problem(
                "xml-unsafe",
                "the document has a document type declaration (DTD); refused",
                display,
                1,
            )
        ]
    if validator is None:
        return []
    if mets:
        shell = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=root.nsmap)
        if root.sourceline is not None and root.sourceline < _MAX_SETTABLE_LINE:
            shell.sourceline = root.sourceline
        for number, (tag, line) in enumerate(skeleton, start=1):
            stand_in = _stand_in(tag, number)
            if line is not None and line < _MAX_SETTABLE_LINE:
                stand_in.sourceline = line
            shell.append(stand_in)
        target: Any = shell
    else:
        target = root
    errors, failed = validator.check(target, display)
    if failed is not None:
        collector.failed(target, failed)
    collector.add_log(errors)
    if collector.errors > MAX_REPORTED:
        collector.problems.append(
            Problem(
                "xml-schema-invalid",
                f"{collector.errors - MAX_REPORTED} more schema errors not listed",
                display,
            )
        )
    return sorted(collector.problems, key=lambda p: p.line or 0)
