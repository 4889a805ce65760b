"""Embedded photo metadata beyond EXIF: IPTC-IIM and XMP, read without trusting the file.

Pillow finds the blocks: the XMP packet (``info["xmp"]``: JPEG APP1, PNG iTXt
``XML:com.adobe.xmp``, TIFF tag 700, WebP) and the IPTC-IIM block (JPEG: the Photoshop APP13
resource 0x0404; TIFF: tag 33723; PNG: the ``Raw profile type iptc`` text ImageMagick and
ExifTool write). This module reads what they say:

* **IPTC-IIM** datasets are parsed here, bounded by the block's length (a dataset running past
  the end or a byte that starts no dataset is a problem, what came before it is kept). Pillow's
  ``IptcImagePlugin.getiptcinfo`` reads only JPEG and TIFF and stops silently or raises on a
  malformed block; this reader does the same walk for all three and says what was wrong.
* **XMP** is parsed with lxml under the same rules as bagsmith's XML safety gate
  (``xmlschemas.safeparse``, which this layer may not import): a packet over the
  ``image-metadata-bytes`` limit is not parsed; a document type declaration or an entity declaration
  anywhere is refused before parsing; the parser loads no DTD, expands no entity, touches no
  network, keeps libxml2's tree limits.

Every value is cleaned for XML (characters XML 1.0 cannot hold are dropped) and cut to
:data:`MAX_VALUE` characters. Problems are ``image-metadata-unreadable`` warnings: the image
itself is still sound and the other metadata is still read.
"""

from __future__ import annotations

import binascii
import math
import re
from datetime import date, datetime
from typing import Any

from .. import limits
from ..problems import Problem

MAX_VALUE = 10_000  # characters kept of one embedded value
_CODE = "image-metadata-unreadable"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMP_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
}
#: key -> (namespace prefix, property) read from XMP
XMP_PROPERTIES = {
    "creator": ("dc", "creator"),
    "credit": ("photoshop", "Credit"),
    "copyright": ("dc", "rights"),
    "caption": ("dc", "description"),
    "date": ("photoshop", "DateCreated"),
    "make": ("tiff", "Make"),
    "model": ("tiff", "Model"),
    "latitude": ("exif", "GPSLatitude"),
    "longitude": ("exif", "GPSLongitude"),
}
#: IPTC-IIM (record, dataset) -> key
IIM_DATASETS = {(2, 80): "creator", (2, 110): "credit", (2, 116): "copyright", (2, 120): "caption"}
_UNSAFE = tuple(
    marker.encode(enc)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for enc in ("utf-8", "utf-16-le", "utf-16-be")
)


def clean(value: str) -> str:
    """A value XML can hold: illegal characters dropped, trimmed, at most MAX_VALUE long."""
    text = _XML_ILLEGAL.sub("", value).strip()
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1].rstrip() + "…"


def _problem(where: str, what: str) -> Problem:
    return Problem(_CODE, what, where)


# --- dates and places ---


def w3c_date(value: str) -> str | None:
    """``value`` if it is a real W3CDTF date or date-time (``1956``, ``1956-10``, ``1956-10-23``,
    ``1956-10-23T12:00:00`` with an optional zone), else None."""
    value = value.strip()
    if re.fullmatch(r"\d{4}", value):
        return value
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return value if 1 <= int(value[5:]) <= 12 else None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return None
        return value
    m = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?", value
    )
    if m:  # seconds added when absent, a fraction dropped (MIX wants xsd:dateTime)
        value = m[1] + (m[2] or ":00") + (m[3] or "")
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return value
    return None


def _iim_date(day: str, time: str | None) -> str | None:
    """IIM 2:55 ``CCYYMMDD`` (``00`` for an unknown month or day) and 2:60 ``HHMMSS±HHMM``."""
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", day.strip())
    if not m:
        return None
    year, month, dom = m.groups()
    if month == "00":
        return w3c_date(year)
    if dom == "00":
        return w3c_date(f"{year}-{month}")
    value = f"{year}-{month}-{dom}"
    t = re.fullmatch(r"(\d{2})(\d{2})(\d{2})(?:([+-])(\d{2})(\d{2}))?", (time or "").strip())
    if t:
        zone = f"{t[4]}{t[5]}:{t[6]}" if t[4] else ""
        value += f"T{t[1]}:{t[2]}:{t[3]}{zone}"
    return w3c_date(value) or w3c_date(value[:10])


def degrees(value: float, limit: float) -> str | None:
    """Decimal degrees as text (6 places), None if not a finite number within ±limit."""
    if not math.isfinite(value) or abs(value) > limit:
        return None
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _xmp_coordinate(value: str, limit: float) -> str | None:
    """XMP GPS coordinate ``DDD,MM,SSk`` or ``DDD,MM.mmk`` (k: N, S, E, W) → decimal degrees."""
    m = re.fullmatch(r"\s*(\d{1,3}),(\d{1,2}(?:\.\d+)?)(?:,(\d{1,2}(?:\.\d+)?))?([NSEW])\s*", value)
    if not m:
        return None
    number = int(m[1]) + float(m[2]) / 60 + (float(m[3]) / 3600 if m[3] else 0.0)
    return degrees(-number if m[4] in "SW" else number, limit)


# --- IPTC-IIM ---


def parse_iim(data: bytes) -> tuple[dict[tuple[int, int], list[bytes]], str | None]:
    """IIM datasets of a block: (record, dataset) -> values in order, and what was wrong."""
    out: dict[tuple[int, int], list[bytes]] = {}
    at = 0
    while at < len(data):
        if data[at] != 0x1C:
            if not data[at:].strip(b"\x00"):
                break  # padding
            return out, f"byte {at} of the IPTC-IIM block starts no dataset"
        if at + 5 > len(data):
            return out, f"the IPTC-IIM block ends inside a dataset header at byte {at}"
        tag = (data[at + 1], data[at + 2])
        size = int.from_bytes(data[at + 3 : at + 5], "big")
        at += 5
        if size & 0x8000:  # extended dataset: the next (size & 0x7FFF) bytes are the length
            count = size & 0x7FFF
            if not 1 <= count <= 4 or at + count > len(data):
                return out, f"an IPTC-IIM dataset {tag[0]}:{tag[1]} has a bad extended length"
            size = int.from_bytes(data[at : at + count], "big")
            at += count
        if at + size > len(data):
            return out, (
                f"the IPTC-IIM dataset {tag[0]}:{tag[1]} says {size} bytes; only "
                f"{len(data) - at} remain"
            )
        out.setdefault(tag, []).append(data[at : at + size])
        at += size
    return out, None


def _photoshop_iptc(data: bytes) -> bytes | None:
    """The IPTC-NAA resource (0x0404) of Photoshop image resources (``8BIM`` blocks)."""
    at = 0
    while at + 12 <= len(data) and data[at : at + 4] == b"8BIM":
        resource = int.from_bytes(data[at + 4 : at + 6], "big")
        name = data[at + 6]
        at += 6 + ((name + 2) & ~1)  # Pascal string padded to an even length
        if at + 4 > len(data):
            return None
        size = int.from_bytes(data[at : at + 4], "big")
        at += 4
        if resource == 0x0404:
            return data[at : at + size]
        at += size + (size & 1)
    return None


def _png_raw_profile(text: str) -> bytes | None:
    """ImageMagick's ``Raw profile type iptc``: ``\\niptc\\n   <length>\\n<hex>``."""
    parts = text.strip().split(None, 2)
    if len(parts) < 3 or not parts[1].isdigit():
        raise ValueError("the PNG 'Raw profile type iptc' text is not name, length and hex")
    data = binascii.unhexlify("".join(parts[2].split()))
    return _photoshop_iptc(data) if data.startswith(b"8BIM") else data


def _iptc_block(img: Any) -> bytes | None:
    if img.format in ("JPEG", "MPO"):
        resources = img.info.get("photoshop")
        block = resources.get(0x0404) if isinstance(resources, dict) else None
        return block if isinstance(block, bytes) else None
    if img.format == "TIFF":
        tagdata = getattr(getattr(img, "tag_v2", None), "_tagdata", {})
        block = tagdata.get(33723)  # IPTC-NAA: raw bytes (Photoshop types them as LONGs)
        return block if isinstance(block, bytes) else None
    if img.format == "PNG":
        text = img.info.get("Raw profile type iptc")
        return _png_raw_profile(text) if isinstance(text, str) else None
    return None


def _iim_text(value: bytes, utf8: bool) -> str:
    if utf8:
        return value.decode("utf-8", "replace")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _over_limit(where: str, what: str, data: bytes) -> list[Problem]:
    """A problem when ``data`` is over the image-metadata-bytes limit (it is then not read)."""
    limit = limits.get("image-metadata-bytes")
    if len(data) <= limit:
        return []
    return [
        _problem(
            where,
            f"{what} is {len(data)} bytes, over the image-metadata-bytes limit of {limit}; not read",
        )
    ]


def read_iptc(img: Any, where: str) -> tuple[dict[str, str], list[Problem]]:
    """The IPTC-IIM facts of an open Pillow image (creator, credit, copyright, caption, date)."""
    try:
        block = _iptc_block(img)
    except (ValueError, TypeError, binascii.Error) as exc:
        return {}, [_problem(where, f"the embedded IPTC-IIM block cannot be read: {exc}")]
    if not block:
        return {}, []
    too_big = _over_limit(where, "the embedded IPTC-IIM block", block)
    if too_big:
        return {}, too_big
    datasets, wrong = parse_iim(block)
    problems = [_problem(where, f"embedded IPTC-IIM is malformed: {wrong}")] if wrong else []
    utf8 = datasets.get((1, 90), [b""])[0].startswith(b"\x1b%G")
    out: dict[str, str] = {}
    for tag, key in IIM_DATASETS.items():
        values = [clean(_iim_text(v, utf8)) for v in datasets.get(tag, [])]
        text = clean("; ".join(v for v in values if v))
        if text:
            out[key] = text
    day = datasets.get((2, 55))
    if day:
        time = datasets.get((2, 60))
        when = _iim_date(_iim_text(day[0], utf8), _iim_text(time[0], utf8) if time else None)
        if when:
            out["date"] = when
    return out, problems


# --- XMP ---


def _xmp_parser() -> Any:
    from lxml import etree  # only when an image has XMP: `parse` of a text article needs none

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _property(root: Any, namespace: str, name: str) -> list[str]:
    """The values of an XMP property: an attribute of an ``rdf:Description`` or an element
    with text, an ``rdf:Seq``/``rdf:Bag`` (every item) or an ``rdf:Alt`` (``x-default``
    first)."""
    qname = f"{{{namespace}}}{name}"
    for description in root.iter(f"{{{RDF}}}Description"):
        if description.get(qname):
            return [description.get(qname)]
        element = description.find(qname)
        if element is None:
            continue
        items = element.findall(f"{{{RDF}}}*/{{{RDF}}}li")
        if not items:
            return [element.text or ""]
        default = [
            li
            for li in items
            if li.get("{http://www.w3.org/XML/1998/namespace}lang") == "x-default"
        ]
        if element.find(f"{{{RDF}}}Alt") is not None:
            return [(default or items)[0].text or ""]
        return [li.text or "" for li in items]
    return []


def read_xmp(img: Any, where: str) -> tuple[dict[str, str], list[Problem]]:
    """The XMP facts of an open Pillow image (see XMP_PROPERTIES)."""
    packet = img.info.get("xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if not isinstance(packet, bytes) or not packet.strip(b"\x00 \t\r\n"):
        return {}, []
    too_big = _over_limit(where, "the embedded XMP packet", packet)
    if too_big:
        return {}, too_big
    if any(marker in packet for marker in _UNSAFE):
        return {}, [
            _problem(
                where,
                "the embedded XMP packet has a document type or entity declaration; refused "
                "without parsing it",
            )
        ]
    from lxml import etree

    try:
        root = etree.fromstring(packet.rstrip(b"\x00 \t\r\n"), _xmp_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        message = getattr(exc, "msg", None) or str(exc)
        return {}, [_problem(where, f"the embedded XMP packet is not well-formed XML: {message}")]
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # caught above; never trusted
        return {}, [_problem(where, "the embedded XMP packet has a document type declaration")]
    out: dict[str, str] = {}
    for key, (prefix, name) in XMP_PROPERTIES.items():
        values = [clean(v) for v in _property(root, XMP_NS[prefix], name)]
        text = clean("; ".join(v for v in values if v))
        if not text:
            continue
        if key == "date":
            text = w3c_date(text) or ""
        elif key in ("latitude", "longitude"):
            text = _xmp_coordinate(text, 90.0 if key == "latitude" else 180.0) or ""
        if text:
            out[key] = text
    return out, []
