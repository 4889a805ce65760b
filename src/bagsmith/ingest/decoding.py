"""The characters of a saved web page: from its bytes to text lxml and trafilatura can read.

The order follows what browsers do (WHATWG "encoding sniffing"), made safe for archived files:

1. a byte order mark (UTF-8, UTF-16, UTF-32) decides;
2. bytes that are valid UTF-8 are UTF-8 — whatever a ``<meta charset>`` says (a page saved by a
   browser is re-encoded as UTF-8 but keeps its original declaration, and a page declaring
   ``charset=utf-16`` while holding single-byte text is common);
3. otherwise the declared charset (``<meta charset>``, ``http-equiv`` content type or the XML
   declaration) when Python knows it and it decodes the page; ``ISO-8859-1``/``ASCII`` mean
   Windows-1252, as in browsers;
4. otherwise `charset-normalizer <https://github.com/jawah/charset_normalizer>`_'s guess
   (``text-encoding-guessed``), and Windows-1252 as a last resort.

Decoding the whole page once, before parsing, avoids lxml's own detection, which decodes text
before a late ``<meta charset>`` as Latin-1 (mojibake). The XML declaration is removed from the
decoded text (lxml refuses text that still declares an encoding) and NUL characters are dropped
(a few stray NULs in a large page are damage, not a sign of binary data).
"""

from __future__ import annotations

import codecs
import re

from ..problems import Report

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEAD = 64 * 1024
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]{1,40})", re.I)
_XML_DECL_TEXT = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>", re.IGNORECASE)
# what browsers read for these labels
_ALIASES = {"latin1": "cp1252", "latin-1": "cp1252", "iso-8859-1": "cp1252", "iso8859-1": "cp1252",
            "ascii": "cp1252", "us-ascii": "cp1252", "iso-8859-9": "cp1254", "tis-620": "cp874",
            "x-sjis": "shift_jis", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
            "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "windows-874": "cp874"}  # fmt: skip


def declared_charset(data: bytes) -> str | None:
    """The Python codec of the charset the page declares in its first 64 KiB, or None (unknown
    labels and wide encodings — UTF-16/32 cannot be declared by ASCII bytes — are ignored)."""
    head = data[:_HEAD]
    found = _XML_DECL.search(head) or _META_CHARSET.search(head)
    if found is None:
        return None
    label = found.group(1).decode("ascii").strip().lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None
    return name


def _wide_without_bom(data: bytes) -> str | None:
    """UTF-16 without a byte order mark, recognised by its NULs beside ASCII ``<``."""
    head = data[:512]
    if len(head) < 8:
        return None
    if head[0] == 0x3C and head[1] == 0 and head.count(0, 1) >= len(head) // 2 - 2:
        return "utf-16-le"
    if head[0] == 0 and head[1] == 0x3C and head.count(0) >= len(head) // 2 - 2:
        return "utf-16-be"
    return None


def wide_text(data: bytes) -> bool:
    """UTF-16 text without a byte order mark (an HTML page starting with ``<``)."""
    return _wide_without_bom(data) is not None


def decode_page(data: bytes, report: Report, where: str) -> str:
    """The text of an HTML page's bytes (see the module's notes for the order of evidence)."""
    text = _decode(data, report, where)
    text = _XML_DECL_TEXT.sub("", text, count=1)
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def _decode(data: bytes, report: Report, where: str) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    wide = _wide_without_bom(data)
    if wide is not None:
        return data.decode(wide, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared in (None, "utf-8") and _mostly_utf8(data):
        text = data.decode("utf-8", errors=_MIXED)
        report.add(
            "text-encoding-guessed",
            "the page is UTF-8 but for a few bytes in another encoding; those were read as "
            "Windows-1252",
            where,
        )
        return text
    if declared is not None and declared != "utf-8":
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    guess = _guess(data)
    report.add(
        "text-encoding-guessed",
        f"the page is not valid in the encoding it declares or in UTF-8; read as {guess}",
        where,
    )
    return data.decode(guess, errors="replace")


_MIXED = "bagsmith-cp1252-fallback"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """A byte that is not UTF-8, read as Windows-1252 (Latin-1 for its five holes)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    byte = exc.object[exc.start : exc.start + 1]
    try:
        return byte.decode("cp1252"), exc.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), exc.start + 1


codecs.register_error(_MIXED, _cp1252_fallback)


def _mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8 multi-byte sequences outnumber the invalid bytes ten to one: a UTF-8 page
    with a few pieces pasted in from a Windows-1252 source."""
    valid = len(_UTF8_SEQUENCE.findall(data))
    if not valid:
        return False
    invalid = len(data.decode("utf-8", errors="replace").split("\ufffd")) - 1
    return valid >= invalid * 10


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _guess(data: bytes) -> str:
    from charset_normalizer import from_bytes  # imported when needed: it is slow to load

    sample = data if len(data) <= 200_000 else data[:100_000] + data[-100_000:]
    best = from_bytes(sample).best()
    if best is not None and best.encoding:
        try:
            codec = codecs.lookup(_ALIASES.get(best.encoding, best.encoding)).name
        except LookupError:
            codec = ""
        if codec and not codec.startswith(("utf-16", "utf-32")):
            return codec
    return "cp1252"
