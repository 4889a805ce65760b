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
    """Append a child element (attributes in the order given: deterministic output)."""
    tag = _TAGS.get((ns, name))
    if tag is None:
        tag = _TAGS.setdefault((ns, name), q(ns, name))
    el = _SubElement(parent, tag, attrib) if attrib else _SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


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
    spaces = [etree.QName(el).namespace, *namespaces]
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
