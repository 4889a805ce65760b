"""Offline validation: no network ever, a resolver that refuses unknown locations, untrusted XML."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from bagsmith import xmlschemas
from bagsmith.errors import SchemaCacheError
from bagsmith.metadata.mets import MetsInput, build_mets
from bagsmith.model import Agent
from bagsmith.xmlschemas.resolver import CacheResolver
from bagsmith.xmlschemas.validate import Validator

from .metadata_helpers import example_article

CREATED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a network connection fails the test."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    return attempts


def test_validation_works_with_networking_disabled(
    schema_cache: Path, tmp_path: Path, no_network: list[object]
) -> None:
    article, files = example_article(tmp_path)
    mets = build_mets(
        MetsInput(article, tuple(files), CREATED, Agent("bagsmith", "software", "software", "0"))
    )
    validator = Validator(schema_cache)  # compiled afresh, under the guard
    parsed = xmlschemas.parse_untrusted(mets, "mets.xml")
    assert parsed.problems == []
    assert validator.validate(parsed.tree, "mets.xml", "mets") == []
    broken = mets.replace(b"<mix:imageWidth>64<", b"<mix:imageWidth>wide<", 1)
    problems = validator.validate(xmlschemas.parse_untrusted(broken, "m").tree, "m", "mets")
    assert [p.code for p in problems] == ["xml-schema-invalid"]
    assert no_network == []


@pytest.mark.parametrize(
    "location", ["http://evil.example.org/evil.xsd", "file:///etc/passwd", "/etc/hostname"]
)
def test_resolver_maps_known_urls_and_refuses_everything_else(
    schema_cache: Path, location: str
) -> None:
    driver = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">
      <xs:import namespace="http://www.loc.gov/METS/" schemaLocation="http://www.loc.gov/standards/mets/mets.xsd"/>
      <xs:import namespace="urn:elsewhere" schemaLocation="{location}"/>
    </xs:schema>""".encode()
    resolver = CacheResolver(schema_cache)
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(resolver)
    with pytest.raises(etree.XMLSchemaParseError):
        etree.XMLSchema(etree.fromstring(driver, parser))
    assert resolver.refused == [location]  # METS and its XLink import came from the cache


def test_a_cache_that_cannot_compile_is_a_schema_cache_error(
    shared_schemas: Path, tmp_path: Path
) -> None:
    target = tmp_path / "cache"
    xmlschemas.install(xmlschemas.from_folder(shared_schemas), target)
    driver = target / "bagsmith" / "driver.xsd"
    driver.write_bytes(
        driver.read_bytes().replace(
            b"https://www.loc.gov/standards/mets", b"https://elsewhere.example/mets"
        )
    )
    with pytest.raises(SchemaCacheError, match="changed since"):
        xmlschemas.validator(target)
    with pytest.raises(
        SchemaCacheError, match=re.escape("refused to load: https://elsewhere.example/mets")
    ):
        Validator(target)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE mets [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<mets xmlns="http://www.loc.gov/METS/"><metsHdr>&secret;</metsHdr></mets>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE mets SYSTEM "http://evil.example.org/mets.dtd">
<mets xmlns="http://www.loc.gov/METS/"/>
"""


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n'
        + "\n".join(entities)
        + "\n]>\n<lolz>&lol9;</lolz>\n"
    ).encode()


@pytest.mark.parametrize(
    ("name", "document", "wording"),
    [
        ("xxe.xml", XXE, "declares entities"),
        ("laughs.xml", billion_laughs(), "declares entities"),
        ("external.xml", EXTERNAL_DTD, "external DTD"),
    ],
)
def test_untrusted_xml_is_refused_without_reading_anything(
    tmp_path: Path, no_network: list[object], name: str, document: bytes, wording: str
) -> None:
    path = tmp_path / name
    path.write_bytes(document)
    parsed = xmlschemas.parse_untrusted(path, f"bag/data/{name}")
    assert parsed.tree is None
    [problem] = parsed.problems
    assert problem.code == "xml-unsafe"
    assert problem.path == f"bag/data/{name}" and problem.line == 2
    assert wording in problem.message
    assert no_network == []


def test_dtd_hidden_after_a_comment_is_still_refused(tmp_path: Path) -> None:
    document = b"<?xml version='1.0'?>\n<!-- hello -->\n" + XXE.split(b"\n", 1)[1]
    parsed = xmlschemas.parse_untrusted(document, "x.xml")
    assert [p.code for p in parsed.problems] == ["xml-unsafe"]
    # and the parser itself, given such a document directly, never expands the entity
    root = etree.fromstring(XXE, xmlschemas.safeparse.safe_parser())
    assert b"root:" not in etree.tostring(root)


def test_not_well_formed_and_too_large(tmp_path: Path) -> None:
    parsed = xmlschemas.parse_untrusted(b"<a>\n<b></a>", "broken.xml")
    [problem] = parsed.problems
    assert (
        problem.code == "xml-not-well-formed" and problem.line == 2 and problem.path == "broken.xml"
    )
    big = tmp_path / "big.xml"
    big.write_bytes(b"<a>" + b" " * 2000 + b"</a>")
    [problem] = xmlschemas.parse_untrusted(big, "big.xml", max_bytes=1000).problems
    assert problem.code == "xml-too-large"


def test_wrong_root_element_is_reported(schema_cache: Path) -> None:
    tree = xmlschemas.parse_untrusted(b"<x/>", "x.xml").tree
    [problem] = xmlschemas.validator().validate(tree, "x.xml", "mets")
    assert (
        problem.code == "xml-schema-invalid"
        and "expected {http://www.loc.gov/METS/}mets" in problem.message
    )
