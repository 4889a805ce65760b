"""PRONOM format identification with fido: PUIDs in PREMIS, the identification event and its
agent, and files whose contents disagree with their extension (parse, package, validate)."""

from __future__ import annotations

import functools
import json
import random
import re
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


def _example(regex: bytes, rnd: random.Random, longest: bool) -> bytes:
    """Bytes a PRONOM pattern matches, more often than not: made from its parse (literal
    bytes, a member of each set, one branch, a group's text again for a back-reference), each
    repeat taken the fewest times or, ``longest``, the most (up to 8 KiB), which puts the
    literal bytes after ``\\A.{0,1024}`` at the far edge of where the pattern allows them."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    groups: dict[int, bytes] = {}
    classes = {
        c.CATEGORY_DIGIT: rb"\d",
        c.CATEGORY_NOT_DIGIT: rb"\D",
        c.CATEGORY_SPACE: rb"\s",
        c.CATEGORY_NOT_SPACE: rb"\S",
        c.CATEGORY_WORD: rb"\w",
        c.CATEGORY_NOT_WORD: rb"\W",
    }

    def member(items: list[tuple[object, object]]) -> int:
        allowed: set[int] = set()
        negate = False
        for op, value in items:
            if op is c.LITERAL:
                allowed.add(value)  # type: ignore[arg-type]
            elif op is c.RANGE:
                allowed.update(range(value[0], value[1] + 1))  # type: ignore[index]
            elif op is c.NEGATE:
                negate = True
            elif op is c.CATEGORY:
                kind = re.compile(b"[" + classes.get(value, rb"\x00") + b"]")  # type: ignore[arg-type]
                allowed.update(b for b in range(256) if kind.match(bytes([b])))
        pool = [b for b in range(256) if (b in allowed) != negate]
        return rnd.choice(pool) if pool else 0

    def walk(items: object) -> bytes:
        out = bytearray()
        for op, value in items:  # type: ignore[attr-defined]
            if op is c.LITERAL:
                out.append(value)
            elif op is c.NOT_LITERAL:
                out.append((value + 1 + rnd.randrange(254)) % 256)
            elif op is c.ANY:
                out.append(rnd.randrange(256))
            elif op is c.IN:
                out.append(member(value))
            elif op is c.BRANCH:
                out += walk(rnd.choice(value[1]))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                low, high, sub = value
                count = (high if high < 8192 else low + 1) if longest else low
                for _ in range(count):
                    out += walk(sub)
            elif op is c.SUBPATTERN:
                text = walk(value[-1])
                if value[0]:
                    groups[value[0]] = text
                out += text
            elif op is c.GROUPREF:
                out += groups.get(value, b"")
            elif op is c.ATOMIC_GROUP:
                out += walk(value)
        return bytes(out)

    return walk(_parser.parse(regex, 0))


def _matching_buffers(fido: object, every: int, offset: int) -> list[bytes]:
    """For every ``every``-th format, from ``offset``, a file each of its signatures matches
    (mostly): its first start-of-file pattern's example at the start, its other patterns'
    in the middle, its end-of-file pattern's at the end, with the fewest and with the most
    repeats (:func:`_example`); seeded, so always the same."""
    rnd = random.Random(1956 + offset)
    out: list[bytes] = []
    for n, element in enumerate(fido.formats):  # type: ignore[attr-defined]
        if n % every != offset:
            continue
        for sig in element.findall("signature"):
            for longest in (False, True):
                start, middle, end = b"", [], b""
                for pat in sig.findall("pattern"):
                    position, regex = pat.findtext("position"), pat.findtext("regex")
                    if regex is None:
                        continue
                    text = _example(regex.encode(), rnd, longest)
                    if position == "BOF" and not start:
                        start = text
                    elif position == "EOF":
                        end = text
                    else:
                        middle.append(text)
                fill = rnd.randbytes(rnd.choice([0, 5, 300]))
                out.append(start + fill + b"".join(middle) + fill + end)
    return out


def _real_files() -> list[bytes]:
    """Files of many kinds: images Pillow writes, a ZIP, XML, HTML, PDF, RTF, text, JSON,
    a quarter of the files of the test suite's fuzzing corpus and of the examples, the official schemas
    and the seed article when ../shared is there; empty, one-byte and seeded random files."""
    import io
    import zipfile

    from tests.conftest import SEED, SHARED_SCHEMAS

    files: list[bytes] = []
    for fmt in ("JPEG", "PNG", "GIF", "TIFF", "BMP", "WEBP", "PDF", "ICO", "PPM", "JPEG2000"):
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, fmt)
        files.append(buffer.getvalue())
    photo = io.BytesIO()
    Image.effect_noise((480, 360), 40).convert("RGB").save(photo, "JPEG", quality=85)
    files.append(photo.getvalue())
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
        b'{"title": "x"}\n',
        b"",
    ]
    files += [bytes([b]) for b in range(0, 256, 8)]
    rnd = random.Random(16)
    files += [rnd.randbytes(size) for size in (2, 10, 1000, 70_000, 300_000)]
    root = Path(__file__).resolve().parents[1]
    found = [
        path
        for folder in ("tests/fuzz_corpus", "tests/fuzz_regressions", "examples")
        for path in sorted((root / folder).rglob("*"))
        if path.is_file() and path.suffix != ".py"
    ][::4]
    found += [*sorted(SHARED_SCHEMAS.rglob("*.xsd")), SEED]
    files += [path.read_bytes() for path in found if path.is_file()]
    return files


@functools.cache
def _compared_buffers() -> tuple[bytes, ...]:
    fido = identifier()._fido
    buffers = (
        _real_files()
        + _signature_buffers(fido, every=16)
        + _matching_buffers(fido, every=10, offset=1)
    )
    return tuple(dict.fromkeys(buffers))


@pytest.mark.parametrize("shard", range(4))
def test_the_signature_table_matches_as_fido_does(shard: int) -> None:
    """The table (formats.py) against fido's own, unmodified ``match_formats``: the same
    (format, signature) matches in the same order on files of many kinds, on buffers built
    from PRONOM's literal prefixes and on buffers made to match a tenth of the signatures
    (a wider run, every signature, is in docs/metadata.md). In four shards, run side by side."""
    from fido.fido import Fido

    fido = identifier()._fido
    assert fido.match_formats.__self__.__class__.__name__ == "_Signatures"
    size = fido.bufsize
    identified: set[str] = set()
    buffers = _compared_buffers()[shard::4]
    for data in buffers:
        bof, eof = data[:size], data[-size:]
        expected = Fido.match_formats(fido, bof, eof)
        assert fido.match_formats(bof, eof) == expected, data[:40]
        identified.update(e.findtext("puid") for e, _ in expected)
    assert len(buffers) > 250
    assert len(identified) > 100  # the comparison saw many formats found, not only misses


_RULES = """<formats>
<format><puid>t/1</puid><signature><name>A</name>
  <pattern><position>BOF</position><regex>(?s)\\AAB</regex></pattern></signature></format>
<format><puid>t/2</puid><signature><name>B</name>
  <pattern><position>BOF</position><regex>(?s)\\A.{0,4096}ABCD</regex></pattern></signature></format>
<format><puid>t/3</puid><signature><name>C</name>
  <pattern><position>VAR</position><regex>(?s)CDEF</regex></pattern></signature></format>
<format><puid>t/4</puid>
  <signature><name>broken first</name>
    <pattern><regex>(?s)\\AAB</regex></pattern></signature>
  <signature><name>never tried</name>
    <pattern><position>BOF</position><regex>(?s)\\AAB</regex></pattern></signature></format>
<format><puid>t/5</puid>
  <signature><name>broken after a failure</name>
    <pattern><position>BOF</position><regex>(?s)\\A.{0,9000}QQQQ</regex></pattern>
    <pattern><position>EOF</position><regex>(?s)(</regex></pattern></signature>
  <signature><name>tried</name>
    <pattern><position>XYZ</position><regex>(?s)ignored</regex></pattern>
    <pattern><position>EOF</position><regex>(?s)END.{0,16}\\Z</regex></pattern>
    <pattern><position>IFB</position><regex>(?s)(?:MIDDLE|middle)</regex></pattern></signature></format>
<format><puid>t/6</puid>
  <signature><name>broken after a match</name>
    <pattern><position>VAR</position><regex>(?s)MIDDLE</regex></pattern>
    <pattern><position>BOF</position></pattern></signature>
  <signature><name>never tried either</name>
    <pattern><position>EOF</position><regex>(?s)END</regex></pattern></signature></format>
<format><puid>t/7</puid><signature><name>far</name>
  <pattern><position>BOF</position><regex>(?s)\\A.{32768,70000}FAR!</regex></pattern>
  <pattern><position>EOF</position><regex>(?s)\\xff\\xd9.{0,65536}\\Z</regex></pattern>
  </signature></format>
<format><puid>t/8</puid><signature><name>no groups of its own</name>
  <pattern><position>BOF</position><regex>(?s)\\A(AB|XY)\\1</regex></pattern></signature></format>
<format><puid>t/9</puid><signature><name>no (?s): a dot is not a newline</name>
  <pattern><position>BOF</position><regex>\\AXY.Z</regex></pattern></signature></format>
</formats>"""


def test_fidos_rules_on_a_table_made_for_them() -> None:
    """fido's rules where PRONOM's table rarely tests them, checked against fido's own
    ``match_formats`` on a small table: a priority chain (t/1 over t/2 over t/3: fido skips
    t/2 once t/1 is found, so t/3 stays), a broken pattern ending its format, one not reached
    after a failure, an unknown position skipped, windows near and far, the end of the file,
    a pattern with a group of its own, one without ``(?s)`` (its dot is no newline)."""
    import xml.etree.ElementTree as ET

    from fido.fido import Fido

    from bagsmith.ingest.formats import _Signatures

    fido = Fido.__new__(Fido)
    fido.formats = ET.fromstring(_RULES).findall("format")
    fido.puid_has_priority_over_map = {f"t/{n}": frozenset() for n in range(1, 10)}
    fido.puid_has_priority_over_map |= {"t/1": frozenset({"t/2"}), "t/2": frozenset({"t/3"})}
    fido.current_count = 0
    table = _Signatures(fido)
    rnd = random.Random(7)
    pieces = [b"AB", b"ABCD", b"CDEF", b"MIDDLE", b"middle", b"QQQQ", b"END", b"FAR!"]
    pieces += [b"XYXY", b"\xff\xd9", b"x" * 4090, b"y" * 33000, b"\x00"]
    buffers = [b"", b"ABCDEF", b"ABCDEF MIDDLE END", b"AB" + b"." * 4094 + b"ABCD"]
    buffers += [b"AB" + b"." * 4095 + b"ABCD", b"y" * 32768 + b"FAR!\xff\xd9", b"XYXYCDEF"]
    buffers += [b"XY\nZ", b"XY.Z"]  # (a pattern without (?s) keeps its own dot)
    buffers += [b"".join(rnd.choices(pieces, k=rnd.randrange(1, 6))) for _ in range(300)]
    seen: set[tuple[str, ...]] = set()
    for data in buffers:
        bof, eof = data[:131072], data[-131072:]
        expected = Fido.match_formats(fido, bof, eof)
        assert table.match(bof, eof) == expected, data[:60]
        seen.add(tuple(sorted(e.findtext("puid") for e, _n in expected)))
    assert ("t/1", "t/3") in seen  # the chain: t/3 kept, t/2 never tried
    assert {("t/5",), ("t/7",), ("t/8",), ("t/9",)} <= seen


_COMBINED_PROBE = r"""
import hashlib, io, sys
from PIL import Image
from bagsmith.ingest.formats import FormatIdentifier
photo = io.BytesIO()
Image.new("RGB", (8, 8)).save(photo, "JPEG")
found = FormatIdentifier()
for data, name in ((photo.getvalue(), "a.jpg"), (b"Text of an article\n", "a.txt"), (b"{}", "a.json")):
    found.identify_bytes(data, name)
signatures = found._fido.match_formats.__self__
sets = [frozenset(sources) for sources in signatures._combined]
assert len(set(sets)) == len(sets), "one set of patterns compiled twice"
for key in sorted(signatures._plans):
    texts = [hashlib.sha256(p.pattern).hexdigest()[:16] for p in signatures._plans[key].combined]
    print(key, *texts)
"""


def test_the_combined_expressions_are_the_same_in_every_process() -> None:
    # a program keeps its compiled expressions between runs (regexcache): an expression whose
    # text changed with the hash seed would be compiled afresh in every run, and the same
    # patterns in another order compiled twice in one
    import os
    import subprocess
    import sys

    runs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", _COMBINED_PROBE], capture_output=True, text=True, env=env
        )
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout)
    assert len(runs[0].splitlines()) >= 2
    assert runs[0] == runs[1] == runs[2]
