"""Fuzz targets: every reader of untrusted input, fed arbitrary bytes.

The property each target checks: whatever the bytes, the reader gives a result, or problems
with codes, or one of bagsmith's own errors (:class:`~bagsmith.errors.BagsmithError`, which
the command line turns into a message and an exit code) — never another exception (a
traceback). Hangs and memory are bounded by the runner (Hypothesis deadlines in
``tests/test_fuzz_properties.py``; atheris ``-timeout`` and ``-rss_limit_mb`` in
``scripts/fuzz.py``). Inputs are written under one private temporary folder per process and
nowhere else; the folder is removed when the process exits.

Used by the Hypothesis property tests and by the coverage-guided fuzzer (``scripts/fuzz.py``,
atheris); see docs/reliability.md.
"""

from __future__ import annotations

import atexit
import bz2
import functools
import gzip
import io
import lzma
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from bagsmith.bagit.validate import Mode, validate_bag
from bagsmith.errors import BagsmithError

_ROOT = Path(tempfile.mkdtemp(prefix="bagsmith-fuzz-"))
atexit.register(functools.partial(shutil.rmtree, _ROOT, ignore_errors=True))  # gone at exit

BAGIT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
SEP = b"\n--8<--\n"


def _fresh(name: str) -> Path:
    folder = _ROOT / name
    folder.mkdir(exist_ok=True)
    return folder


def _split(data: bytes, parts: int) -> list[bytes]:
    pieces = data.split(SEP, parts - 1)
    return pieces + [b""] * (parts - len(pieces))


# --- BagIt: tag files and manifests (a folder bag) -----------------------------------------


def tag_files(data: bytes) -> None:
    """bag-info.txt, manifest-sha256.txt, fetch.txt and a tag manifest from the input (split
    at ``SEP``), in a bag with one payload file; validated in full."""
    bag = _fresh("tags")
    info, manifest, fetch, tagmanifest = _split(data, 4)
    (bag / "data").mkdir(exist_ok=True)
    (bag / "data" / "a.txt").write_bytes(b"a")
    (bag / "bagit.txt").write_bytes(BAGIT)
    (bag / "bag-info.txt").write_bytes(info)
    (bag / "manifest-sha256.txt").write_bytes(manifest)
    (bag / "fetch.txt").write_bytes(fetch)
    (bag / "tagmanifest-sha256.txt").write_bytes(tagmanifest)
    _validate(bag)


def bagit_txt(data: bytes) -> None:
    """bagit.txt itself (its declared encoding then applies to the other tag files)."""
    bag = _fresh("decl")
    (bag / "data").mkdir(exist_ok=True)
    (bag / "bagit.txt").write_bytes(data)
    (bag / "bag-info.txt").write_bytes("Source-Organization: ä\n".encode())
    (bag / "manifest-md5.txt").write_bytes(b"")
    _validate(bag)


def _validate(path: Path) -> None:
    try:
        result = validate_bag(path, mode=Mode.FULL, processes=1)
    except BagsmithError:
        return
    assert all(p.code for p in result.report)


# --- serialised bags -------------------------------------------------------------------------


def archive(data: bytes) -> None:
    """The input as a serialised bag (the format is found from its first bytes)."""
    path = _fresh("archive") / "bag.bin"
    path.write_bytes(data)
    _validate(path)


def seed_archives() -> list[bytes]:
    """A small valid bag as zip, tar, tar.gz, tar.bz2 and tar.xz: seeds for the fuzzer."""
    import hashlib

    files = {
        "bag/bagit.txt": BAGIT,
        "bag/bag-info.txt": b"Payload-Oxum: 1.1\n",
        "bag/data/a.txt": b"a",
    }
    files["bag/manifest-sha256.txt"] = hashlib.sha256(b"a").hexdigest().encode() + b"  data/a.txt\n"
    out = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():  # a fixed time: the same seed in every run
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    out.append(buffer.getvalue())
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tf.addfile(info, io.BytesIO(content))
    tar = plain.getvalue()
    out += [tar, gzip.compress(tar, mtime=0), bz2.compress(tar), lzma.compress(tar)]
    return out


# --- XML -----------------------------------------------------------------------------------


def xml(data: bytes) -> None:
    """The XML safety gate and the untrusted parse behind it."""
    from bagsmith.xmlschemas.safeparse import parse_untrusted, prolog_problem

    prolog_problem(data, "fuzz.xml")
    parsed = parse_untrusted(data, "fuzz.xml")
    assert parsed.tree is not None or parsed.problems


# --- a JPEG's soundness ------------------------------------------------------------------


def jpeg(data: bytes) -> None:
    """The JPEG walk (``ingest/jpegcheck.py``) of a file in memory and of the same file read
    from a stream in chunks of 7 bytes: the same finding, at the same byte, both ways."""
    from bagsmith.ingest import jpegcheck

    found: list[object] = []
    for walk in (jpegcheck.check, lambda d: jpegcheck.check_stream(io.BytesIO(d), chunk=7)):
        try:
            found.append(walk(data))
        except jpegcheck.NotWalked:  # a coding process characterise leaves to the decode
            found.append("not walked")
    assert found[0] == found[1], found


def seed_jpegs() -> list[bytes]:
    """Small JPEGs: baseline, progressive with restart markers, greyscale with EXIF."""
    import random

    from PIL import Image

    pixels = Image.frombytes("RGB", (24, 18), random.Random(5).randbytes(24 * 18 * 3))
    out = []
    for mode, options in (
        ("RGB", {}),
        ("RGB", {"progressive": True, "restart_marker_blocks": 2}),
        ("L", {"exif": b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00"}),
    ):
        buffer = io.BytesIO()
        pixels.convert(mode).save(buffer, "JPEG", quality=75, **options)
        out.append(buffer.getvalue())
    return out


# --- articles, sidecars, records -----------------------------------------------------------


def _article(data: bytes, name: str) -> None:
    from bagsmith.ingest.article import read_article

    folder = _fresh("article-" + name.rsplit(".", 1)[-1])
    path = folder / name
    path.write_bytes(data)
    try:
        read_article(path, folder)
    except BagsmithError:
        return


def text_article(data: bytes) -> None:
    _article(data, "article.txt")


def html_article(data: bytes) -> None:
    _article(data, "article.html")


def sidecar(data: bytes) -> None:
    """An article with a metadata sidecar (YAML when the input starts with ``---``, else
    JSON)."""
    from bagsmith.ingest.article import read_article

    folder = _fresh("sidecar")
    (folder / "article.txt").write_text("Title\n\nSome text.\n\n1. A caption.\n")
    name = "metadata.yaml" if data.startswith(b"---") else "metadata.json"
    (folder / name).write_bytes(data)
    try:
        read_article(folder / "article.txt", folder, folder / name)
    except BagsmithError:
        return


def record(data: bytes) -> None:
    """An article record (as ``bagsmith parse`` writes it), read as ``describe`` reads it."""
    from bagsmith.pipeline.describing import describe_to_folder

    folder = _fresh("record")
    (folder / "record.json").write_bytes(data)
    out = folder / "out"
    try:
        describe_to_folder(folder / "record.json", [], out, root=folder, force=True)
    except BagsmithError:
        return


TARGETS: dict[str, Callable[[bytes], None]] = {
    "tag-files": tag_files,
    "bagit-txt": bagit_txt,
    "archive": archive,
    "xml": xml,
    "text-article": text_article,
    "html-article": html_article,
    "sidecar": sidecar,
    "record": record,
    "jpeg": jpeg,
}


def seeds(target: str) -> list[bytes]:
    """Starting inputs for a target: well-formed ones, so the fuzzer starts deep."""
    if target == "archive":
        return seed_archives()
    if target == "jpeg":
        return seed_jpegs()
    return {
        "tag-files": [
            b"Payload-Oxum: 1.1\nSource-Organization: X\n"
            + SEP
            + b"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  data/a.txt\n"
            + SEP
            + b"http://example.org/b 12 data/b.txt\n"
        ],
        "bagit-txt": [BAGIT, b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-16\n"],
        "xml": [
            b'<?xml version="1.0"?><mets:mets xmlns:mets="http://www.loc.gov/METS/"/>',
            b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>',
        ],
        "text-article": [b"A title\n\nBy Someone\n\nText.\n\n1. A caption (Photo: X).\n"],
        "html-article": [
            b"<html><head><title>T</title></head><body><article><h1>T</h1><p>Text</p>"
            b'<figure><img src="01.jpg"><figcaption>1. A caption</figcaption></figure>'
            b"</article></body></html>"
        ],
        "sidecar": [
            b'{"title": "T", "figures": [{"number": 1, "caption": "c"}]}',
            b"---\ntitle: T\n",
        ],
        "record": [b'{"title": "T", "text": "x", "figures": []}'],
    }[target]
