"""Streamed METS validation: each top-level section validated once, where it stands, in time
linear in its size (issue 17 finding 11: moving a section into a wrapper element cost the
square of its size in lxml). Time itself is measured in ``bench/bench_mets.py``, never here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from bagsmith import xmlschemas

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<mets:mets xmlns:mets="http://www.loc.gov/METS/" '
    b'xmlns:xlink="http://www.w3.org/1999/xlink">\n'
)


def dmd(ident: str, extra: bytes = b"", ns_inside: bool = False) -> bytes:
    mods_ns = b' xmlns:mods="http://www.loc.gov/mods/v3"' if ns_inside else b""
    return (
        b'<mets:dmdSec ID="' + ident.encode() + b'"' + extra + b">\n"
        b'<mets:mdWrap MDTYPE="MODS"><mets:xmlData>\n'
        b"<mods:mods" + mods_ns + b"><mods:titleInfo><mods:title>T</mods:title>"
        b"</mods:titleInfo></mods:mods>\n"
        b"</mets:xmlData></mets:mdWrap></mets:dmdSec>\n"
    )


STRUCT = b'<mets:structMap><mets:div LABEL="x"/></mets:structMap>\n'


def problems(document: bytes, schema_cache: Path) -> list[tuple[str, int | None, str]]:
    validator = xmlschemas.validator(schema_cache)
    found = xmlschemas.validate_stream(document, validator, "mets.xml", expect="mets")
    return [(p.code, p.line, p.message) for p in found]


def test_errors_of_many_small_sections_each_reported_once_at_their_line(
    schema_cache: Path,
) -> None:
    """Hundreds of sections fit in one chunk the parser reads ahead: each error belongs to
    its own section and is reported once, whether the section was read ahead or not."""
    head = HEAD.replace(b"<mets:mets ", b'<mets:mets xmlns:mods="http://www.loc.gov/mods/v3" ')
    sections = [dmd(f"d{n}", b' BOGUS="1"' if n % 7 == 3 else b"") for n in range(400)]
    document = head + b"".join(sections) + STRUCT + b"</mets:mets>\n"
    found = problems(document, schema_cache)
    expected_lines = [
        document[: document.index(b'ID="d' + str(n).encode() + b'" BOGUS')].count(b"\n") + 1
        for n in range(400)
        if n % 7 == 3
    ]
    assert [line for _code, line, _m in found] == expected_lines
    assert all(code == "xml-schema-invalid" and "BOGUS" in m for code, _l, m in found)


def test_namespaces_declared_inside_sections_and_every_kind_of_section(
    schema_cache: Path,
) -> None:
    document = (
        HEAD
        + b'<mets:metsHdr CREATEDATE="2026-01-01T00:00:00Z"/>\n'
        + dmd("d1", ns_inside=True)
        + b'<mets:amdSec ID="a1"><mets:techMD ID="t1"><mets:mdRef LOCTYPE="URL" '
        b'MDTYPE="OTHER" xlink:href="x"/></mets:techMD></mets:amdSec>\n'
        + b'<mets:fileSec><mets:fileGrp><mets:file ID="f1"><mets:FLocat LOCTYPE="URL" '
        b'xlink:href="a.txt"/></mets:file></mets:fileGrp></mets:fileSec>\n'
        + b'<mets:structMap><mets:div ID="v1"><mets:fptr FILEID="f1"/></mets:div>'
        b"</mets:structMap>\n"
        + b'<mets:structLink><mets:smLink xlink:from="v1" xlink:to="v1"/></mets:structLink>\n'
        + b'<mets:behaviorSec><mets:behavior BTYPE="x"><mets:mechanism LOCTYPE="URL" '
        b'xlink:href="m"/></mets:behavior></mets:behaviorSec>\n' + b"</mets:mets>\n"
    )
    assert problems(document, schema_cache) == []
    broken = document.replace(
        b'<mets:smLink xlink:from="v1"', b'<mets:smLink BAD="1" xlink:from="v1"'
    )
    [(code, line, message)] = problems(broken, schema_cache)
    assert code == "xml-schema-invalid" and "BAD" in message
    assert line == broken[: broken.index(b"BAD=")].count(b"\n") + 1


def test_a_huge_section_is_checked_in_linear_time() -> None:
    """One dmdSec of 1,000,000 namespaced elements (~25 MB): seconds now; with the section
    moved into a wrapper, or emptied with one ``clear``, minutes to hours. Run in a child so a regression fails, not
    hangs."""
    probe = textwrap.dedent(
        """
        import sys
        from bagsmith import xmlschemas
        from bagsmith.xmlschemas.stream import _Collector
        head = (b'<mets:mets xmlns:mets="http://www.loc.gov/METS/" '
                b'xmlns:mods="http://www.loc.gov/mods/v3"><mets:dmdSec ID="d"><mets:mdWrap '
                b'MDTYPE="MODS"><mets:xmlData><mods:mods>')
        item = b'<mods:note>n</mods:note>'
        doc = head + item * 1_000_000 + b'</mods:mods></mets:xmlData></mets:mdWrap></mets:dmdSec>'
        doc += b'<mets:structMap><mets:div/></mets:structMap></mets:mets>'

        class Schema:  # the mechanism, not the XSD: every node is walked, none is moved
            error_log = ()
            def validate(self, tree):
                return True
        class Validator:
            schema = Schema()
            check = xmlschemas.validate.Validator.check
        found = xmlschemas.validate_stream(doc, Validator(), "mets.xml", expect="mets")
        assert found == [], found
        print("ok")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_nesting_past_the_parsers_depth_limit_is_malformed_whole_or_by_sections(
    schema_cache_dir: Path,
) -> None:
    # lxml's limits stay on for untrusted documents (no XML_PARSE_HUGE): 300 nested elements
    # inside a section are refused, by the whole-document check and the section-by-section one
    from bagsmith.xmlschemas.safeparse import parse_untrusted

    deep = b"<mets:xmlData>" * 300 + b"</mets:xmlData>" * 300
    document = HEAD + dmd("d1").replace(b"<mets:xmlData>\n", deep, 1) + STRUCT + b"</mets:mets>"
    found = problems(document, schema_cache_dir)
    assert [(code, "Excessive depth" in message) for code, _, message in found] == [
        ("xml-not-well-formed", True)
    ]
    parsed = parse_untrusted(document, "mets.xml")
    assert parsed.tree is None and "Excessive depth" in parsed.problems[0].message
