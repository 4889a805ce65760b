"""The bag declaration (``bagit.txt``) and the bag metadata (``bag-info.txt``), checked.

``bagit.txt`` is always read as UTF-8 (RFC 8493 §2.1.1); the encoding it declares applies to
every other tag file. BagIt 0.93–0.95 named the metadata file ``package-info.txt``.
"""

from __future__ import annotations

import codecs
import re
from contextlib import suppress

from ..problems import Report
from .reader import BagReader, TagDecodeError
from .tagfiles import Tag, first_value, parse_tags

SUPPORTED_VERSIONS = ("0.93", "0.94", "0.95", "0.96", "0.97", "1.0")
_VERSION = re.compile(r"^\d+\.\d+$")
#: At most 20 digits each (2^64 has 20): longer numbers are not a size or a count of any bag.
_OXUM = re.compile(r"^(\d{1,20})\.(\d{1,20})$")
#: a bagit.txt line as RFC 8493 §2.1.1 writes it: label, colon, one space, a value
_DECL_LINE = re.compile(r"[A-Za-z-]+: \S(?:.*\S)?")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class Declaration:
    """What bagit.txt and bag-info.txt say. (A plain class: a dataclass costs ~3 M
    instructions to create, on every `bagsmith validate`'s start-up; none is compared.)"""

    __slots__ = ("bag_info", "bag_info_name", "codec", "encoding", "payload_oxum", "version")

    def __init__(self) -> None:
        self.version: str | None = None
        self.encoding = "UTF-8"  # as declared (for display)
        self.codec = "utf-8"  # the Python codec used to read tag files
        self.bag_info_name: str | None = None
        self.bag_info: list[Tag] = []
        self.payload_oxum: tuple[int, int] | None = None  # (octets, files)

    def version_tuple(self) -> tuple[int, ...]:
        if self.version is None or not _VERSION.match(self.version):
            return (1, 0)
        return tuple(int(x) for x in self.version.split("."))


def read_declaration(reader: BagReader, report: Report) -> Declaration | None:
    """Check bagit.txt and bag-info.txt; None when there is no bagit.txt (not a bag)."""
    if not reader.is_file("bagit.txt"):
        special = reader.special("bagit.txt")
        if special is not None:
            report.add(
                "file-unreadable",
                f"bagit.txt is not a regular file ({special}); never opened or followed",
                "bagit.txt",
            )
            return None
        report.add("not-a-bag", f"no bagit.txt at the top of {reader.location}", "bagit.txt")
        return None
    decl = Declaration()
    try:
        raw = reader.read_bytes("bagit.txt")
    except OSError as exc:
        report.add("file-unreadable", f"cannot read bagit.txt: {exc}", "bagit.txt")
        return decl
    _check_bagit_txt(raw, decl, report)
    _read_bag_info(reader, decl, report)
    return decl


def _check_bagit_txt(raw: bytes, decl: Declaration, report: Report) -> None:
    for bom in _BOMS:
        if raw.startswith(bom):
            report.add(
                "bagit-txt-bom",
                "bagit.txt starts with a byte order mark; RFC 8493 §2.1.1 forbids it",
                "bagit.txt",
                1,
            )
            # (undecodable UTF-16 is read on as bytes: the UTF-8 check below names it; a
            # truncated UTF-16 file raised UnicodeDecodeError here, found by the fuzzer)
            with suppress(UnicodeDecodeError):
                raw = raw.decode("utf-16").encode() if bom != codecs.BOM_UTF8 else raw[3:]
            break
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add("bagit-txt-invalid", f"bagit.txt is not UTF-8: {exc.reason}", "bagit.txt")
        text = raw.decode("latin-1")
    lines = text.splitlines()
    tags, bad = parse_tags(text)
    for err in bad:
        report.add("bagit-txt-invalid", f"unreadable line {err.text!r}", "bagit.txt", err.line)
    expected = ("BagIt-Version", "Tag-File-Character-Encoding")
    for position, label in enumerate(expected):
        tag = tags[position] if position < len(tags) else None
        if tag is None or tag.label.lower() != label.lower():
            report.add(
                "bagit-txt-invalid",
                f"line {position + 1} must be '{label}: …'",
                "bagit.txt",
                tag.line if tag else None,
            )
        elif not _DECL_LINE.fullmatch(lines[tag.line - 1]) or tag.label != label:
            report.add(
                "bagit-txt-invalid",
                f"line {tag.line} must read exactly '{label}: VALUE' (RFC 8493 §2.1.1: "
                f"one colon and one space, no other white space), not {lines[tag.line - 1]!r}",
                "bagit.txt",
                tag.line,
            )
    for number, raw_line in enumerate(lines, start=1):
        if raw_line[:1] in (" ", "\t"):
            report.add(
                "bagit-txt-invalid",
                f"line {number} is a continuation line; bagit.txt has exactly two lines",
                "bagit.txt",
                number,
            )
    for extra in tags[2:]:
        report.add(
            "bagit-txt-invalid",
            f"unexpected tag {extra.label!r}: bagit.txt has exactly two lines",
            "bagit.txt",
            extra.line,
        )
    version = first_value(tags, "BagIt-Version")
    if version is not None:
        line = next(t.line for t in tags if t.label.lower() == "bagit-version")
        if not _VERSION.match(version):
            report.add(
                "bagit-txt-invalid",
                f"invalid version line: {version!r} is not MAJOR.MINOR",
                "bagit.txt",
                line,
            )
        else:
            decl.version = version
            if version not in SUPPORTED_VERSIONS:
                report.add(
                    "bagit-version-unsupported",
                    f"BagIt-Version {version} is not one of {', '.join(SUPPORTED_VERSIONS)}",
                    "bagit.txt",
                    line,
                )
    encoding = first_value(tags, "Tag-File-Character-Encoding")
    if encoding is not None:
        decl.encoding = encoding
        try:
            info = codecs.lookup(encoding)
        except (LookupError, ValueError):  # ValueError: a NUL in the name (found by fuzzing)
            info = None
        # rot13, base64, zlib … are codecs too, but not character encodings
        if info is not None and getattr(info, "_is_text_encoding", True):
            decl.codec = info.name
        else:
            line = next(t.line for t in tags if t.label.lower() == "tag-file-character-encoding")
            report.add(
                "tag-encoding-unsupported",
                f"unknown Tag-File-Character-Encoding {encoding!r}; tag files read as UTF-8",
                "bagit.txt",
                line,
            )


def _read_bag_info(reader: BagReader, decl: Declaration, report: Report) -> None:
    names = ["bag-info.txt"]
    if decl.version_tuple() < (0, 96):
        names.append("package-info.txt")
    name = next((n for n in names if reader.is_file(n)), None)
    if name is None:
        report.add(
            "bag-info-missing",
            "the bag has no bag-info.txt: allowed by RFC 8493 §2.2.2, but without it the bag "
            "carries no description and no Payload-Oxum to check",
            "bag-info.txt",
        )
        return
    decl.bag_info_name = name
    try:
        lines = [text for _n, text in reader.lines(name, decl.codec)]
    except TagDecodeError as exc:
        report.add(
            "tag-file-undecodable",
            f"not valid {exc.encoding} ({exc.reason})",
            name,
            exc.line,
        )
        return
    except OSError as exc:
        report.add("file-unreadable", f"cannot read {name}: {exc}", name)
        return
    tags, bad = parse_tags("\n".join(lines))
    for err in bad:
        report.add("tag-line-invalid", f"{err.text!r} is not 'Label: value'", name, err.line)
    seen: dict[str, int] = {}
    for tag in tags:
        if tag.unusual_separator:
            report.add(
                "label-separator-unusual",
                f"'{tag.label}' is read, but 'Label: value' (colon, one space) is the norm",
                name,
                tag.line,
            )
        key = tag.label.lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            report.add(
                "bag-info-repeated-tag", f"'{tag.label}' appears more than once", name, tag.line
            )
    decl.bag_info = tags
    oxum = first_value(tags, "Payload-Oxum")
    if oxum is not None:
        line = next(t.line for t in tags if t.label.lower() == "payload-oxum")
        m = _OXUM.match(oxum)
        if m is None:
            report.add(
                "payload-oxum-invalid",
                f"Payload-Oxum {oxum!r} is not OCTETS.FILES",
                name,
                line,
            )
        else:
            decl.payload_oxum = (int(m.group(1)), int(m.group(2)))
