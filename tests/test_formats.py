"""PRONOM format identification with fido: PUIDs in PREMIS, the identification event and its
agent, and files whose contents disagree with their extension (parse, package, validate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image

from bagsmith.cli.validate_cmd import validate
from bagsmith.ingest.formats import extension_problem, identifier
from bagsmith.metadata.xmlns import METS, MIX, PREMIS
from bagsmith.pipeline.packaging import PackageOptions, package_article
from bagsmith.pipeline.parsing import parse_article
from tests.test_package_support import CREATED, INFO

NS = {"mets": METS, "premis": PREMIS, "mix": MIX}


def test_fido_identifies_the_formats_of_a_package(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg", "JPEG")
    Image.new("RGB", (8, 8)).save(tmp_path / "b.png", "PNG")
    Image.new("RGB", (8, 8)).save(tmp_path / "c.tif", "TIFF")
    (tmp_path / "d.txt").write_text("plain words\n", encoding="utf-8")
    (tmp_path / "e.json").write_text('{"title": "x"}\n', encoding="utf-8")
    (tmp_path / "f.xml").write_text('<?xml version="1.0"?>\n<a/>\n', encoding="utf-8")
    (tmp_path / "g.html").write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "h.zzq").write_bytes(b"\x00\x01\x02nothing known")
    tool = identifier()
    found = {
        name: tool.identify(tmp_path / name, mime)
        for name, mime in [
            ("a.jpg", "image/jpeg"),
            ("b.png", "image/png"),
            ("c.tif", "image/tiff"),
            ("d.txt", "text/plain"),
            ("e.json", "application/json"),
            ("f.xml", "application/xml"),
            ("g.html", "text/html"),
            ("h.zzq", None),
        ]
    }
    assert {n: (f.puid, f.basis) for n, f in found.items()} == {
        "a.jpg": ("fmt/43", "signature"),
        "b.png": ("fmt/11", "signature"),
        "c.tif": ("fmt/353", "signature"),
        "d.txt": ("x-fmt/111", "extension"),  # text has no byte signature in PRONOM
        "e.json": ("fmt/817", "extension"),
        "f.xml": ("fmt/101", "signature"),
        "g.html": ("fmt/471", "signature"),
        "h.zzq": (None, "none"),
    }
    assert (found["a.jpg"].name, found["a.jpg"].version) == ("JPEG File Interchange Format", "1.01")
    assert found["a.jpg"].tool == f"fido {tool.version}" and "PRONOM v" in found["a.jpg"].signatures
    # a document in memory is identified as the same document on disk
    data = (tmp_path / "f.xml").read_bytes()
    assert tool.identify_bytes(data, "f.xml", "application/xml") == found["f.xml"]
    agent = tool.agent()
    assert agent.kind == "software" and agent.name == "fido"
    assert agent.version is not None and tool.version in agent.version and "PRONOM" in agent.version


def test_contents_that_disagree_with_the_extension_are_reported(
    tmp_path: Path, schema_cache: Path
) -> None:
    src = tmp_path / "src"
    images = src / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (30, 20), (9, 9, 9)).save(images / "01.jpg", "PNG")  # a PNG named .jpg
    Image.new("RGB", (30, 20), (7, 7, 7)).save(images / "02.jpg", "JPEG")
    article = src / "article.txt"
    article.write_text(
        "A short article\n\nSome text.\n\n1) The first photograph.\n\n2) The second one.\n",
        encoding="utf-8",
    )
    tool = identifier()
    problem = extension_problem("images/01.jpg", tool.identify(images / "01.jpg"))
    assert problem is not None and problem.code == "format-extension-mismatch"
    assert "Portable Network Graphics (fmt/11)" in problem.message and ".png" in problem.message
    assert extension_problem("images/02.jpg", tool.identify(images / "02.jpg")) is None

    parsed = parse_article(article, images=images, allow_broken_images=True)
    [mismatch] = [p for p in parsed.report.problems if p.code == "format-extension-mismatch"]
    assert mismatch.path == str(images / "01.jpg")

    dest = tmp_path / "bag"
    result = package_article(
        article,
        dest,
        PackageOptions(images=images, info=INFO, created=CREATED, allow_broken_images=True),
    )
    assert [w.path for w in result.warnings if w.code == "format-extension-mismatch"] == [
        "data/images/01.jpg"
    ]
    mets = etree.parse(str(dest / "data" / "mets.xml"))
    amd = next(a for a in mets.iterfind("mets:amdSec", NS) if "images_01.jpg" in a.get("ID"))
    assert amd.findtext(".//premis:formatRegistryKey", namespaces=NS) == "fmt/11"
    # MIX and PREMIS name the format with the same words
    assert amd.findtext(".//premis:formatName", namespaces=NS) == "Portable Network Graphics"
    assert amd.findtext(".//mix:formatName", namespaces=NS) == "Portable Network Graphics"
    event = next(
        e
        for e in amd.iterfind(".//premis:event", NS)
        if e.findtext("premis:eventType", namespaces=NS) == "format identification"
    )
    assert "fido" in event.findtext(".//premis:eventDetail", namespaces=NS)
    assert event.findtext(".//premis:eventOutcomeDetailNote", namespaces=NS).startswith("fmt/11 ")
    linked = {v.text for v in event.iterfind(".//premis:linkingAgentIdentifierValue", NS)}
    agents = {
        a.findtext(".//premis:agentIdentifierValue", namespaces=NS): a.findtext(
            "premis:agentVersion", namespaces=NS
        )
        for a in amd.iterfind(".//premis:agent", NS)
    }
    [fido_id] = [i for i in linked if i.startswith("fido-")]
    assert "PRONOM" in agents[fido_id]

    out = CliRunner().invoke(validate, ["--processes", "1", "--json", str(dest)])
    report = json.loads(out.stdout)
    [found] = [p for p in report["bags"][0]["problems"] if p["code"] == "format-extension-mismatch"]
    assert found["path"] == "data/images/01.jpg" and found["severity"] == "warning"


@pytest.mark.parametrize("name", ["empty.jpg", "empty"])
def test_empty_or_nameless_files_are_not_identified(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    found = identifier().identify(tmp_path / name, None)
    assert found.puid is None and found.basis == "none"
    assert extension_problem(name, found) is None


# --- the signature table: fido's own matching, read once (ingest/formats.py) ---------------


def _literal_prefix(regex: bytes) -> bytes:
    """The literal bytes a signature's regular expression starts with (after ``\\A``)."""
    from re import _constants, _parser  # type: ignore[attr-defined]

    out = bytearray()
    for op, value in _parser.parse(regex, 0):
        if op is _constants.AT:
            continue
        if op is not _constants.LITERAL:
            break
        out.append(value)
    return bytes(out)


def _literals(regex: bytes) -> bytes:
    """The literal bytes at the top level of a regular expression, in order."""
    from re import _constants, _parser  # type: ignore[attr-defined]

    return bytes(v for op, v in _parser.parse(regex, 0) if op is _constants.LITERAL)


def _signature_buffers(fido: object, every: int) -> list[bytes]:
    """Buffers made from PRONOM's own signatures (each one's leading literal bytes, that prefix
    cut by a byte, a later pattern's prefix at the end, all its literal bytes), with a seeded
    random tail."""
    import random

    rnd = random.Random(16)
    out: list[bytes] = [b"", b"\x00", b"x" * 10]
    for n, element in enumerate(fido.formats):  # type: ignore[attr-defined]
        if n % every:
            continue
        for sig in element.findall("signature"):
            patterns = [p.findtext("regex").encode() for p in sig.findall("pattern")]
            if not patterns:
                continue
            head = _literal_prefix(patterns[0])
            tail = bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 7, 300])))
            out += [head + tail, head[:-1] + tail]
            out += [head + tail + _literal_prefix(p) for p in patterns[1:]]
            # every pattern's literal bytes, somewhere: the table's needle checks pass
            out.append(head + tail + b"".join(_literals(p) for p in patterns) + tail)
    return out


def test_the_signature_table_matches_as_fido_does(tmp_path: Path) -> None:
    """The table (formats.py) against fido's own ``match_formats``: the same (format,
    signature) matches in the same order on real files of many kinds and on buffers built
    from PRONOM's signatures. (A wider run, 5,831 buffers naming 782 PUIDs and 1,500 files of
    a Linux system, found no difference; see docs/benchmarks.md.)"""
    import io
    import zipfile

    from fido.fido import Fido

    fido = identifier()._fido
    assert fido.match_formats.__self__.__class__.__name__ == "_Signatures"
    files: list[bytes] = []
    for fmt in ("JPEG", "PNG", "GIF", "TIFF", "BMP", "WEBP", "PDF", "ICO", "PPM", "JPEG2000"):
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, fmt)
        files.append(buffer.getvalue())
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "words")
    files += [
        archive.getvalue(),
        b'<?xml version="1.0"?>\n<mets:mets xmlns:mets="http://www.loc.gov/METS/"/>\n',
        b"<!DOCTYPE html><html><head><title>t</title></head></html>",
        b"%PDF-1.4\n%%EOF\n",
        b"{\\rtf1\\ansi hello}",
        "plain text, ő\n".encode(),
    ]
    buffers = files + _signature_buffers(fido, every=12)
    identified = set()
    for data in buffers:
        bof, eof = data[: fido.bufsize], data[-fido.bufsize :]
        expected = Fido.match_formats(fido, bof, eof)
        assert fido.match_formats(bof, eof) == expected, data[:40]
        identified.update(e.findtext("puid") for e, _ in expected)
    assert len(identified) > 40  # the comparison saw many formats, not only misses
