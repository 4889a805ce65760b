"""Semantic checks of a METS document beyond its XSD, from plain facts about the bag.

* every ``FILEID``/``DMDID``/``ADMID`` points at an element of the right kind;
* every required (payload) file is in the fileSec, and every fileSec file exists;
* each ``CHECKSUM`` equals the manifest digest of the same algorithm;
* MIX ``imageWidth``/``imageHeight`` equal the image's real size.

:class:`MetsFacts` collects what the checks need from each top-level section as a streaming
parser hands it over (only IDs, references, file entries and MIX sizes are kept, so memory stays
small for 20,000 files); :meth:`MetsFacts.problems` then compares them with the bag. Inputs
are plain data (paths, digests, sizes): this module does not depend on the BagIt engine.
"""

from __future__ import annotations

import posixpath
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

from lxml import etree

from ..problems import Problem
from .premis import DIGEST_NAMES
from .xmlns import METS, MIX, XLINK, q

_ALGORITHMS = {v: k for k, v in DIGEST_NAMES.items()}
_TARGETS: dict[str, set[str]] = {
    "FILEID": {"file"},
    "DMDID": {"dmdSec"},
    "ADMID": {"amdSec", "techMD", "rightsMD", "sourceMD", "digiprovMD"},
}
#: every ID attribute, in document order (libxml2 finds an attribute step about twice as fast
#: as elements that have one; each result knows its element)
_IDS = etree.XPath("descendant-or-self::*/@ID")
_METS_ELEMENTS = f"{{{METS}}}*"
#: the tags each kind of reference may point at (Clark names)
_TARGET_TAGS = {
    attr: frozenset(q(METS, kind) for kind in kinds) for attr, kinds in _TARGETS.items()
}
_FILESEC, _FILE, _FLOCAT, _AMDSEC = (q(METS, n) for n in ("fileSec", "file", "FLocat", "amdSec"))
_HREF = q(XLINK, "href")
_MIX, _MIX_SIZES = q(MIX, "mix"), tuple((n, q(MIX, n)) for n in ("imageWidth", "imageHeight"))


_BIG_LINE = 65535


def _line(el: Any) -> int | None:
    """The element's line. Beyond line 65,535 libxml2 derives an element's line from the text
    node that follows it or starts its content, as that text's *last* line; undo that shift."""
    line: int | None = el.sourceline
    if line is None or line < _BIG_LINE:
        return line
    node = el
    for _ in range(256):
        if len(node) or node.text is not None:
            if node.text is not None:
                return line - int(node.text.count("\n"))
            node = node[0]
        elif node.tail is not None:
            return line - int(node.tail.count("\n"))
        elif node.getnext() is not None:
            node = node.getnext()
        else:
            break
    return line


def _join(base: str, href: str) -> str:
    """A relative URI reference resolved from ``base`` (a bag folder) to a bag path."""
    path = unquote(href.split("#", 1)[0])
    return posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)


@dataclass(frozen=True)
class FileFact:
    ident: str | None
    href: str | None
    line: int | None
    href_line: int | None
    checksum: str | None
    checksum_type: str | None
    admids: tuple[str, ...]


@dataclass
class MetsFacts:
    """``display`` is the METS file's bag-relative path: FLocat hrefs are resolved from its
    folder (``base``; by default the folder of ``display``)."""

    display: str
    ids: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # ID -> (tag, line)
    refs: list[tuple[str, str, int | None]] = field(default_factory=list)  # (attr, ID, line)
    files: list[FileFact] = field(default_factory=list)
    filesec_line: int | None = None
    mix: dict[str, list[tuple[str, str, int | None]]] = field(default_factory=dict)
    base: str | None = None
    resolved: bool = False  # hrefs turned into bag paths (done once, by problems())

    def copy(self, display: str) -> MetsFacts:
        """The same facts, unresolved, for the document at ``display`` (:meth:`problems`
        resolves the hrefs of the copy, never of these)."""
        if self.resolved:
            raise ValueError("the facts were resolved already")
        return MetsFacts(
            display,
            dict(self.ids),
            list(self.refs),
            list(self.files),
            self.filesec_line,
            {k: list(v) for k, v in self.mix.items()},
            self.base,
        )

    def visit(self, section: Any) -> None:
        """Take what the checks need from one top-level section of the METS document."""
        # the elements with an ID, found by libxml2, and the references of METS elements (in
        # document order, as a walk over every element would visit them)
        ids = self.ids
        for ident in _IDS(section):
            if ident and ident not in ids:
                el = ident.getparent()
                ids[str(ident)] = (sys.intern(el.tag), _line(el))  # str: not the element
        refs = self.refs
        for el in section.iter(_METS_ELEMENTS):
            for attr in _TARGETS:
                value = el.get(attr)
                if value:
                    line = _line(el)
                    refs.extend((attr, ref, line) for ref in value.split())  # attr: a constant
        if section.tag == _FILESEC:
            if self.filesec_line is None:
                self.filesec_line = _line(section)
            for file_el in section.iter(_FILE):
                flocat = file_el.find(_FLOCAT)
                self.files.append(
                    FileFact(
                        ident=file_el.get("ID"),
                        href=flocat.get(_HREF) if flocat is not None else None,
                        line=_line(file_el),
                        href_line=_line(flocat) if flocat is not None else None,
                        checksum=file_el.get("CHECKSUM"),
                        checksum_type=file_el.get("CHECKSUMTYPE"),
                        admids=tuple((file_el.get("ADMID") or "").split()),
                    )
                )
        if section.tag == _AMDSEC:
            for mix in section.iter(_MIX):
                values = [
                    (name, (value.text or "").strip(), _line(value))
                    for name, tag in _MIX_SIZES
                    for value in mix.iter(tag)
                ]
                owner: Any = mix
                while owner is not None:
                    if owner.get("ID"):
                        self.mix.setdefault(owner.get("ID"), []).extend(values)
                    owner = owner.getparent() if owner is not section else None

    def problems(
        self,
        *,
        bag_files: Collection[str] | None = None,
        required: Collection[str] | None = None,
        digests: Mapping[str, Mapping[str, str]] | None = None,
        image_sizes: Mapping[str, tuple[int, int]] | None = None,
    ) -> list[Problem]:
        """Every semantic problem; checks whose data is not given (None) are skipped."""
        out = self._resolve(bag_files)
        out += self._dangling()
        out += self._presence(bag_files, required)
        if digests is not None:
            out += self._checksums(digests)
        if image_sizes is not None:
            out += self._mix_sizes(image_sizes)
        return out

    def _resolve(self, bag_files: Collection[str] | None) -> list[Problem]:
        """Turn every href into a bag path, resolved from the METS file's folder as URI
        references are. METS files of earlier bagsmith packages (data/metadata/mets.xml) have
        hrefs relative to the bag root: when only that reading finds the files, it is used
        and named (``mets-older-layout``)."""
        if self.resolved:
            return []
        self.resolved = True
        base = posixpath.dirname(self.display) if self.base is None else self.base
        raw = [f.href for f in self.files if f.href]
        resolved = {h: _join(base, h) for h in raw}
        out: list[Problem] = []
        if bag_files is not None and base and raw:
            present = set(bag_files)
            relative = sum(1 for h in raw if resolved[h] in present)
            rooted = sum(1 for h in raw if unquote(h) in present)
            if rooted > relative:
                resolved = {h: unquote(h) for h in raw}
                out.append(
                    self._problem(
                        "mets-older-layout",
                        f"the FLocat hrefs are relative to the bag root, not to {self.display}'s "
                        "folder (a package made by an earlier bagsmith); they were read as "
                        "bag-root paths. METS readers that resolve them from the METS file will "
                        "not find the files: re-package to update it",
                        self.filesec_line,
                    )
                )
        self.files = [replace(f, href=resolved[f.href]) if f.href else f for f in self.files]
        return out

    def _problem(self, code: str, message: str, line: int | None) -> Problem:
        return Problem(code, message, self.display, line)

    def _dangling(self) -> list[Problem]:
        out: list[Problem] = []
        for attr, ref, line in self.refs:
            target = self.ids.get(ref)
            if target is None:
                out.append(
                    self._problem(
                        "mets-id-dangling", f"{attr} {ref!r} matches no ID in the document", line
                    )
                )
            elif target[0] not in _TARGET_TAGS[attr]:
                wanted = " or ".join(sorted(_TARGETS[attr]))
                found = target[0].rsplit("}", 1)[-1]
                out.append(
                    self._problem(
                        "mets-id-dangling",
                        f"{attr} {ref!r} points at a {found} element, not a {wanted}",
                        line,
                    )
                )
        return out

    def _presence(
        self, bag_files: Collection[str] | None, required: Collection[str] | None
    ) -> list[Problem]:
        out: list[Problem] = []
        listed = {f.href for f in self.files if f.href}
        if required is not None:
            for path in sorted(set(required) - listed):
                out.append(
                    self._problem(
                        "mets-file-not-in-filesec",
                        f"{path} is in the bag but not in the METS fileSec",
                        self.filesec_line,
                    )
                )
        if bag_files is not None:
            present = set(bag_files)
            for fact in self.files:
                if fact.href is None:
                    out.append(
                        self._problem(
                            "mets-file-missing",
                            "a fileSec file has no FLocat xlink:href",
                            fact.line,
                        )
                    )
                elif fact.href not in present:
                    out.append(
                        self._problem(
                            "mets-file-missing",
                            f"{fact.href} is in the METS fileSec but not in the bag",
                            fact.href_line,
                        )
                    )
        return out

    def _checksums(self, digests: Mapping[str, Mapping[str, str]]) -> list[Problem]:
        out: list[Problem] = []
        for fact in self.files:
            name = fact.href or fact.ident or "a file"
            if not fact.checksum or not fact.checksum_type:
                out.append(
                    self._problem(
                        "mets-checksum-missing", f"{name} has no CHECKSUM/CHECKSUMTYPE", fact.line
                    )
                )
                continue
            if fact.href is None or fact.href not in digests:
                continue
            algorithm = _ALGORITHMS.get(fact.checksum_type)
            known = digests[fact.href].get(algorithm) if algorithm else None
            if known is None:
                out.append(
                    self._problem(
                        "mets-checksum-unverifiable",
                        f"{name}: the manifests have no {fact.checksum_type} digest to compare the METS CHECKSUM with",
                        fact.line,
                    )
                )
            elif known.lower() != fact.checksum.strip().lower():
                out.append(
                    self._problem(
                        "mets-checksum-mismatch",
                        f"{name}: METS {fact.checksum_type} {fact.checksum} differs from the manifest digest {known}",
                        fact.line,
                    )
                )
        return out

    def _mix_sizes(self, sizes: Mapping[str, tuple[int, int]]) -> list[Problem]:
        out: list[Problem] = []
        for fact in self.files:
            if fact.href is None or fact.href not in sizes:
                continue
            actual = dict(zip(("imageWidth", "imageHeight"), sizes[fact.href], strict=True))
            seen: set[tuple[str, int | None]] = set()
            for ref in fact.admids:
                for name, text, line in self.mix.get(ref, ()):
                    if (name, line) in seen:
                        continue
                    seen.add((name, line))
                    if _differs(text, actual[name]):
                        out.append(
                            self._problem(
                                "mix-dimensions-mismatch",
                                f"{fact.href}: MIX {name} is {text}, the image's is {actual[name]}",
                                line,
                            )
                        )
        return out


def check_mets(
    tree: Any,
    display: str,
    *,
    bag_files: Collection[str] | None = None,
    required: Collection[str] | None = None,
    digests: Mapping[str, Mapping[str, str]] | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
) -> list[Problem]:
    """All semantic problems of a METS document already parsed as a whole tree. Paths are
    bag-relative (``data/...``); hrefs are resolved from the folder of ``display`` (the METS
    file's bag path); ``bag_files`` are the files that
    exist, ``required`` those that must be described, ``digests`` maps a path to
    ``{algorithm: hex}`` (manifest digests), ``image_sizes`` a path to ``(width, height)``."""
    facts = MetsFacts(display)
    for section in tree.getroot():
        if isinstance(section.tag, str):
            facts.visit(section)
    return facts.problems(
        bag_files=bag_files, required=required, digests=digests, image_sizes=image_sizes
    )


def _differs(text: str, actual: int) -> bool:
    """A MIX dimension written as digits that is not ACTUAL (other text is the schema's
    business). Never ``int()`` of an unbounded string: 5,000 digits raise, and so does '²'."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return False
    return len(text) > 18 or int(text) != actual
