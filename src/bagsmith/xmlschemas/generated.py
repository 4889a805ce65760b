"""Files bagsmith writes into the schema cache next to the official XSDs.

* ``catalog.xml`` – an OASIS XML catalog mapping every known URL of every official XSD to the
  local copy, for tools such as ``xmllint --catalogs`` (``XML_CATALOG_FILES``).
* ``bagsmith/driver.xsd`` – one schema importing every namespace METS may embed (METS, PREMIS,
  MIX, MODS, Dublin Core, oai_dc, XLink), so content inside ``mets:xmlData`` is validated instead
  of being skipped laxly, plus bagsmith's Dublin Core container element (strict content model).
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from .registry import BAGSMITH_DC_NS, by_key, official_schemas

CATALOG_FILE = "catalog.xml"
DRIVER_FILE = "bagsmith/driver.xsd"

#: Namespaces the driver imports (schema keys, in import order).
DRIVER_IMPORTS = (
    "xml",
    "xlink",
    "dc",
    "dcterms",
    "dcmitype",
    "oai_dc",
    "mets",
    "premis",
    "mix",
    "mods",
)


def catalog_xml() -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- written by bagsmith: official schema URLs -> files in this cache -->",
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog" prefer="public">',
    ]
    for schema in official_schemas():
        lines.append(f"  <!-- {schema.key}: {schema.version} -->")
        for system_id in schema.system_ids():
            lines.append(
                f"  <system systemId={quoteattr(system_id)} uri={quoteattr(schema.file)}/>"
            )
            lines.append(f"  <uri name={quoteattr(system_id)} uri={quoteattr(schema.file)}/>")
    lines.append("</catalog>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def driver_xsd() -> bytes:
    imports = []
    for key in DRIVER_IMPORTS:
        schema = by_key(key)
        imports.append(
            f"  <xs:import namespace={quoteattr(schema.namespace or '')} "
            f"schemaLocation={quoteattr(schema.url)}/>"
        )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- written by bagsmith: validate METS with every embedded namespace loaded, and bagsmith's
     Dublin Core container (oai_dc record + qualified DC record, both strict). -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:bagsmith="{BAGSMITH_DC_NS}"
           xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
           targetNamespace="{BAGSMITH_DC_NS}"
           elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:include schemaLocation={quoteattr(by_key("qualifieddc").url)}/>
{chr(10).join(imports)}
  <xs:element name="dublinCore">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="oai_dc:dc"/>
        <xs:element ref="bagsmith:qualifieddc" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
    return text.encode("utf-8")
