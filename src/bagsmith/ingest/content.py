"""Is an article file text at all, and is its text something XML can hold?

* :func:`signature` recognises a known binary format (JPEG, PNG, ZIP, PDF …); :func:`binary_reason`
  other data that is clearly not text (NUL bytes, a high share of control bytes).
* :func:`garbled_share` measures decoded text: control and replacement characters.
* :func:`scrub_lines` / :func:`scrub_bytes` replace characters XML 1.0 cannot hold (controls
  below U+0020 other than TAB/LF/CR, U+FFFE/U+FFFF, lone surrogates) and report each line.
* :func:`xml_illegal` names the first such character of a value (sidecar validation).
* :func:`refuse_non_text` and :func:`scrub_record` apply these to an article being read.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..problems import Report
from .assemble import Assembled
from .decoding import wide_text
from .htmlmeta import PageMeta

# (signature at offset 0, what it is); checked in order
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"OggS\x00", "an Ogg audio/video file"),
    (b"ID3\x02", "an MP3 audio file"),
    (b"ID3\x03", "an MP3 audio file"),
    (b"ID3\x04", "an MP3 audio file"),
)
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
# control bytes that text never holds (TAB, LF, FF, CR and ESC — ISO-2022 — excepted)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
# C1 controls are not counted: legacy multi-byte text (Shift-JIS …) read as Latin-1 holds many
_GARBLED = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\ufffd]")
MAX_SHARE = 0.05  # more than 5 % control/replacement characters: not text
MIN_COUNT = 8  # … and at least this many (a stray character or two is only cleaned)
MAX_NUL_SHARE = 0.01  # a few stray NULs in a page are damage, cleaned; more than 1 %: binary
_SAMPLE = 64 * 1024

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# ESC is left to the text cleaning: ISO-2022 encodings need it to decode
_XML_ILLEGAL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]")


def signature(data: bytes) -> str | None:
    """What a known binary signature at the start of ``data`` says it is ("a JPEG image"), or
    None."""
    head = data[:32]
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return "a bzip2 archive"
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file"}.get(head[8:12], "a video")
    if head[4:8] == b"ftyp" and head[:2] == b"\x00\x00":
        return "an MP4/HEIC media file"
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            if magic == b"MZ" and b"\x00" not in data[:512]:
                continue  # "MZ" may start a line of text; a program has NULs in its header
            return kind
    return None


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` (with no known signature) is clearly not text ("it holds NUL bytes" …), or
    None."""
    if data.startswith(_UTF16_32_BOMS):
        return None  # wide text: NULs are part of the encoding
    sample = data[:_SAMPLE]
    nuls = sample.count(b"\x00")
    if nuls >= MIN_COUNT and nuls > len(sample) * MAX_NUL_SHARE and not wide_text(data):
        return "it holds NUL bytes"
    count = len(_CONTROL_BYTES.findall(sample))
    if count >= MIN_COUNT and count > len(sample) * MAX_SHARE:
        return f"{count * 100 // len(sample)}% of its bytes are control codes"
    return None


def garbled_share(text: str) -> str | None:
    """Why decoded ``text`` is not readable text (too many control or replacement
    characters), or None."""
    sample = text[:_SAMPLE]
    count = len(_GARBLED.findall(sample))
    if count >= MIN_COUNT and count > len(sample) * MAX_SHARE:
        return f"{count * 100 // len(sample)}% of its characters are control or replacement codes"
    return None


def xml_illegal(value: str) -> str | None:
    """The first character of ``value`` that XML 1.0 cannot hold, as ``U+XXXX``, or None."""
    found = XML_ILLEGAL.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _replacement(match: re.Match[str]) -> str:
    return " " if match.group() < " " else ""


def _report(report: Report, where: str, line: int, found: list[str]) -> None:
    names = ", ".join(sorted(set(found)))
    report.add(
        "text-control-character",
        f"{len(found)} character(s) XML cannot hold ({names}) replaced",
        where,
        line,
    )


def scrub_lines(text: str, report: Report, where: str) -> str:
    """``text`` with every XML-illegal character replaced (controls by a space, the rest
    dropped); one ``text-control-character`` warning per line that held any."""
    if XML_ILLEGAL.search(text) is None:
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        found = XML_ILLEGAL.findall(line)
        if found:
            _report(report, where, number, [f"U+{ord(c):04X}" for c in found])
            lines[number - 1] = XML_ILLEGAL.sub(_replacement, line)
    return "\n".join(lines)


def scrub_bytes(data: bytes, report: Report, where: str) -> bytes:
    """Control bytes XML cannot hold replaced by spaces (safe for UTF-8 and every
    ASCII-compatible encoding; wide encodings are left alone), one warning per line."""
    if data.startswith(_UTF16_32_BOMS) or _XML_ILLEGAL_BYTES.search(data) is None:
        return data
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        found = _XML_ILLEGAL_BYTES.findall(line)
        if found:
            _report(report, where, number, [f"U+{c[0]:04X}" for c in found])
            lines[number - 1] = _XML_ILLEGAL_BYTES.sub(b" ", line)
    return b"\n".join(lines)


def scrub(value: str) -> str:
    """``value`` without XML-illegal characters (the last safety net, after the line scan)."""
    return XML_ILLEGAL.sub(_replacement, value)


NOT_TEXT = "looks like binary data, not an article"


def refuse_non_text(data: bytes, source: Path) -> None:
    """:class:`InputError` when the article file is empty or clearly not text."""
    if not data.strip():
        raise InputError("the article is empty", path=source, hint="the file holds no text")
    kind = signature(data)
    if kind is not None:
        raise InputError(
            f"looks like binary data ({kind}?), not an article",
            path=source,
            hint="give the article's text (.txt) or saved page (.html)",
        )
    reason = binary_reason(data)
    if reason is not None:
        raise InputError(NOT_TEXT, path=source, hint=reason)


def scrub_record(meta: PageMeta, assembled: Assembled, report: Report, where: str) -> None:
    """Last safety net: text XML cannot hold that got past the line scan (character
    references in a page, noncharacters) is dropped, with a warning naming the field."""
    found: list[str] = []

    def clean(value: Any, name: str) -> Any:
        if isinstance(value, str) and xml_illegal(value) is not None:
            found.append(name)
            return scrub(value)
        if isinstance(value, list | tuple):
            return type(value)(clean(v, name) for v in value)
        return value

    for key in ("title", "date_published", "source_url", "language", "publisher"):
        setattr(meta, key, clean(getattr(meta, key), key))
    meta.creators, meta.subjects = (
        clean(meta.creators, "creators"),
        clean(meta.subjects, "subjects"),
    )
    assembled.title = clean(assembled.title, "title")
    assembled.creators = clean(assembled.creators, "creators")
    assembled.sections = [
        (clean(h, "sections"), clean(p, "sections")) for h, p in assembled.sections
    ]
    for fig in assembled.figures:
        for item in dataclasses.fields(fig):
            if item.name != "images":
                setattr(fig, item.name, clean(getattr(fig, item.name), "figures"))
    for name in sorted(set(found)):
        report.add(
            "text-control-character",
            f"{name}: character(s) XML cannot hold were removed",
            where,
        )
