"""Namespaces, element helpers and deterministic serialisation shared by the builders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import etree

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
PREMIS = "http://www.loc.gov/premis/v3"
MIX = "http://www.loc.gov/mix/v20"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
MODS = "http://www.loc.gov/mods/v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: bagsmith's former Dublin Core container (packages made before oai_dc; still validated).
BAGSMITH_DC = "urn:bagsmith:dc-container:1"

NSMAP: dict[str, str] = {
    "mets": METS,
    "xlink": XLINK,
    "premis": PREMIS,
    "mix": MIX,
    "mods": MODS,
    "oai_dc": OAI_DC,
    "dc": DC,
    "xsi": XSI,
}
DC_NSMAP = {k: NSMAP[k] for k in ("oai_dc", "dc", "xsi")}

#: Where each namespace's official schema is (the canonical URLs of schemas/official-xsds.json;
#: the schema cache's XML catalog maps them to local files). Every record embedded in METS
#: names its own schema with ``xsi:schemaLocation``, so that readers which assemble schemas
#: from the document (metsrw, Archivematica) validate it strictly.
SCHEMA_LOCATIONS = {
    METS: "https://www.loc.gov/standards/mets/version1121/mets.xsd",
    XLINK: "https://www.loc.gov/standards/xlink/xlink.xsd",
    PREMIS: "https://www.loc.gov/standards/premis/v3/premis-v3-0.xsd",
    MIX: "https://www.loc.gov/standards/mix/mix20/mix20.xsd",
    MODS: "https://www.loc.gov/standards/mods/v3/mods-3-8.xsd",
    OAI_DC: "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
}


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


#: Clark names by (namespace, local name): a METS of 20 images makes ~2,700 elements, each
#: named by these helpers, and most names recur in every file's section
_TAGS: dict[tuple[str, str], str] = {}
_SubElement = etree.SubElement


def sub(parent: Any, ns: str, name: str, text: str | None = None, **attrib: str) -> Any:
    """Append a child element (attributes in the order given: deterministic output), to an
    lxml element or to a :class:`Light` one."""
    tag = _TAGS.get((ns, name))
    if tag is None:
        tag = _TAGS.setdefault((ns, name), q(ns, name))
    if type(parent) is Light:
        child = Light(tag, attrib, text)
        parent.children.append(child)
        return child
    el = _SubElement(parent, tag, attrib) if attrib else _SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def plain(value: str) -> bool:
    """Whether lxml writes ``value`` as it is, in element content and in attribute values
    alike: printable ASCII but for the characters XML escapes (``"&<>``). Tested without a
    regular expression (a METS of 20 images escapes ~2,500 values, nearly all plain); a
    property of each character, so the values joined are plain when each of them is."""
    return (
        value.isascii()
        and value.isprintable()
        and '"' not in value
        and "&" not in value
        and "<" not in value
        and ">" not in value
    )


def escaped(value: str, attribute: bool) -> str:
    """``value`` as lxml writes it in an attribute value or in element content (lxml itself
    escapes anything but :func:`plain` text, and refuses what XML cannot hold with
    ValueError, as when it builds the element). The short values escaped last are
    remembered: the records of a METS repeat theirs (an article's title in every figure's,
    the same places, names, roles and types)."""
    known = _ESCAPED[attribute]
    found = known.get(value)
    if found is None:
        found = value if plain(value) else _lxml_escaped(value, attribute)
        if len(value) <= _ESCAPED_LENGTH:
            if len(known) >= _ESCAPED_MAX:
                known.clear()
            known[value] = found
    return found


#: value -> its escaped text, in element content (False) and in attribute values (True):
#: values of up to _ESCAPED_LENGTH characters, up to _ESCAPED_MAX of each (~4 MB at most)
_ESCAPED: dict[bool, dict[str, str]] = {False: {}, True: {}}
_ESCAPED_MAX = 4096
_ESCAPED_LENGTH = 256


def _lxml_escaped(value: str, attribute: bool) -> str:
    el = etree.Element("x")
    if attribute:
        el.set("a", value)
        return str(etree.tostring(el, encoding="unicode"))[len('<x a="') : -len('"/>')]
    el.text = value
    return str(etree.tostring(el, encoding="unicode"))[len("<x>") : -len("</x>")]


class Light:
    """An element held as plain data, for records that differ from figure to figure (MODS):
    :func:`sub`, :func:`schema_location`, ``set``, ``len`` and ``remove`` take it as they take
    an lxml element, and :func:`light_text` writes it as lxml writes that element indented
    (lxml builds an element several times slower than a list is appended to). Names are in
    the namespaces of :data:`NSMAP`, written with its prefixes (the root's declarations)."""

    __slots__ = ("attrib", "children", "tag", "text")

    def __init__(self, tag: str, attrib: dict[str, str] | None = None, text: str | None = None):
        self.tag = tag
        self.attrib = {} if attrib is None else attrib  # (kept: the caller's own dict)
        self.text = text
        self.children: list[Light] = []

    def set(self, key: str, value: str) -> None:
        self.attrib[key] = value

    def __len__(self) -> int:
        return len(self.children)

    def remove(self, child: Light) -> None:
        self.children.remove(child)  # by identity: Light has no equality of its own


_PREFIXED: dict[str, str] = {}


def _prefixed(name: str) -> str:
    """``{ns}local`` as ``prefix:local`` (the prefix :data:`NSMAP` gives ``ns``); a name in
    no namespace as it is."""
    found = _PREFIXED.get(name)
    if found is None:
        if name.startswith("{"):
            ns, local = name[1:].split("}", 1)
            prefix = next(p for p, uri in NSMAP.items() if uri == ns)
            found = f"{prefix}:{local}"
        else:
            found = name
        _PREFIXED[name] = found
    return found


def light_text(el: Light, level: int) -> str:
    """``el`` as lxml writes it after ``etree.indent(el, space="  ", level=level)``, without
    the namespace declarations of the document's root (the golden METS test compares)."""
    out: list[str] = []
    _write_light(el, level, out)
    return "".join(out)


#: a new line and the indentation of each level of the document, made once
_NEWLINES = ["\n" + "  " * level for level in range(32)]


def _newline(level: int) -> str:
    return _NEWLINES[level] if level < len(_NEWLINES) else "\n" + "  " * level


def _write_light(el: Light, level: int, out: list[str]) -> None:
    tag = el.tag
    name = _PREFIXED.get(tag) or _prefixed(tag)
    start = "<" + name
    for key, value in el.attrib.items():
        start += f' {_PREFIXED.get(key) or _prefixed(key)}="{escaped(value, True)}"'
    text = el.text
    children = el.children
    if children:
        inner = _newline(level + 1)
        kept = text is not None and text.strip() != ""  # indent keeps real text
        out.append(start + ">" + (escaped(text, False) if kept and text is not None else inner))
        first = True
        for child in children:
            if first:
                first = False
            else:
                out.append(inner)
            if child.children or child.attrib or child.text is None:
                _write_light(child, level + 1, out)
            else:  # the most common element: text, no attributes, no children
                child_name = _PREFIXED.get(child.tag) or _prefixed(child.tag)
                out.append(f"<{child_name}>{escaped(child.text, False)}</{child_name}>")
        out.append(_newline(level) + f"</{name}>")
    elif text is not None:
        out.append(f"{start}>{escaped(text, False)}</{name}>")
    else:
        out.append(start + "/>")


#: empty elements with the namespace declarations of a root, copied by :func:`element`
#: (libxml2 copies one several times faster than lxml declares eight namespaces anew)
_PROTOTYPES: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = {}


def element(ns: str, name: str, nsmap: dict[str, str] | None = None, **attrib: str) -> Any:
    """A new root element declaring ``nsmap`` (every namespace of :data:`NSMAP` by default),
    with ``attrib`` in the order given."""
    key = (ns, name, tuple((nsmap or NSMAP).items()))
    proto = _PROTOTYPES.get(key)
    if proto is None:
        proto = _PROTOTYPES.setdefault(key, etree.Element(q(ns, name), nsmap=nsmap or NSMAP))
    el = proto.__copy__()
    for key_, value in attrib.items():
        el.set(key_, value)
    return el


def schema_location(el: Any, *namespaces: str) -> Any:
    """Declare where the schema of ``el``'s namespace (and of ``namespaces``) is."""
    spaces = [etree.QName(el.tag).namespace, *namespaces]
    el.set(q(XSI, "schemaLocation"), " ".join(f"{ns} {SCHEMA_LOCATIONS[ns]}" for ns in spaces))
    return el


def xsi_type(el: Any, value: str) -> None:
    el.set(q(XSI, "type"), value)


def iso_datetime(moment: datetime) -> str:
    """``2026-11-27T09:00:00Z`` (UTC, whole seconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def serialise(root: Any) -> bytes:
    """Pretty, UTF-8, with an XML declaration: byte-identical for identical trees."""
    etree.indent(root, space="  ")
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"
