"""The bytes of a METS with many figures, fixed (issue 16): the builder is tuned for speed (shapes
serialised once, values written into their text, sections serialised together), and any change
of its output must be a decision, not a side effect. The article varies what the builder
branches on: numbered and unnumbered figures, figures in sections and in the gallery, a figure
without its image, rights per figure, embedded EXIF/XMP/IPTC with GPS, an image Pillow found
damaged, PNG and TIFF beside JPEG, files identified by signature, by extension and not at all,
package events on some files, values XML must escape.

To accept a deliberate change of the output: ``BAGSMITH_WRITE_GOLDEN=1 pytest
tests/test_mets_bytes.py`` rewrites the expected file (then review its diff)."""

from __future__ import annotations

import difflib
import gzip
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bagsmith import xmlschemas
from bagsmith.metadata import mets
from bagsmith.metadata.mets import MetsInput, PackageEvent, build_mets
from bagsmith.model import Agent, Article, Figure, FormatId, ImageInfo, PackageFile, Section

GOLDEN = Path(__file__).parent / "data" / "mets-many-figures.xml.gz"
WHEN = "2026-11-27T09:31:00Z"


def _digests(name: str) -> dict[str, str]:
    data = name.encode()
    return {"sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}


def _jpeg() -> FormatId:
    return FormatId(
        "fmt/43", "JPEG File Interchange Format", "1.01", "image/jpeg", "signature",
        "fido 1.6.1", "PRONOM formats-v109.xml", ("jpg", "jpeg"),
    )  # fmt: skip


def _image(number: int, **changes: object) -> ImageInfo:
    info = ImageInfo(
        path=f"images/{number:02d}.jpg",
        format="JPEG",
        mime_type="image/jpeg",
        width=480 + number,
        height=360 - number,
        mode="RGB",
        bits_per_sample=[8, 8, 8],
        icc_profile=None,
        dpi=(300.0, 300.0) if number % 2 else None,
        exif={},
        sha256=_digests(f"image {number}")["sha256"],
        size=40_000 + number,
    )
    return ImageInfo(**{**info.__dict__, **changes})  # type: ignore[arg-type]


def many_figures() -> MetsInput:
    images = {
        1: _image(1, exif={"artist": "Kati & Béla <studio>", "date": "1956-10-23T14:05:00",
                           "make": "Zeiss", "model": "Contax II", "latitude": "47.4979",
                           "longitude": "-19.0402", "copyright": "© Fortepan"}),
        2: _image(2, xmp={"creator": "Photographer 2", "credit": "Archive \"quotes\""},
                  icc_profile="sRGB IEC61966-2.1"),
        3: _image(3, iptc={"creator": "By-line", "date": "1956"}, mode="L", bits_per_sample=[8]),
        4: _image(4, format="PNG", mime_type="image/png", path="images/04.png", mode="RGBA",
                  bits_per_sample=[8, 8, 8, 8]),
        5: _image(5, problems=("truncated: 1,204 bytes missing",), width=0, height=0),
        6: _image(6, format="TIFF", mime_type="image/tiff", path="images/06 été.tif",
                  mode="CMYK", bits_per_sample=[8, 8, 8, 8], dpi=(72.5, 72.5)),
        7: _image(7),
        8: _image(8, exif={"caption": "Tab\there; CR\rthere"}),
        9: _image(9),
        10: _image(10),  # as 7 and 9 but for its resolution (none)
    }  # fmt: skip
    figures = []
    for number in range(1, 12):
        image = images.get(number)
        figures.append(
            Figure(
                number=number if number not in (7, 8) else None,
                caption=f"Caption {number}: Budapest & Győr, <autumn> 1956",
                description='A longer "quoted"\tdescription.' if number == 3 else None,
                date=("1956-11" if number % 3 else "1956-10-23/1956-11-04")
                if number != 9
                else None,
                places=("Budapest", "Gyor") if number % 2 else (),
                places_standard=("Budapest", "Győr") if number % 2 else (),
                credit="Fortepan / Kati" if number in (1, 4) else None,
                image=image,
                section=(0 if number < 4 else 1) if number % 4 else None,
                rights_uri="http://rightsstatements.org/vocab/InC/1.0/" if number == 2 else None,
                copyright_holder="Fortepan" if number in (2, 10) else None,
                copyright_year="1956" if number == 2 else None,
                rights_note="ask the archive" if number == 10 else None,
            )
        )
    article = Article(
        title="Photographs of 1956 & after",
        creators=("Anna Writer", "Béla Író"),
        date_published="2019-05-14",
        date_captured="2026-11-20",
        source_url="https://example.org/articles/1956?x=1&y=2",
        publisher="Example Magazine",
        language="hu",
        rights="© Example Magazine",
        subjects=("Hungarian Revolution of 1956", "Photography"),
        identifiers=("urn:example:article:1956", "doi:10.1234/x"),
        sections=(Section("Introduction", ("First.",)), Section(None, ("Second.",))),
        figures=tuple(figures),
        coverage="1956-10-23/1956-11-04",
        rights_uri="https://creativecommons.org/licenses/by/4.0/",
    )
    files = [
        PackageFile("data/article.html", 12_345, _digests("html"), "original", "text/html",
                    format=FormatId("fmt/471", "Hypertext Markup Language", "5", "text/html",
                                    "signature", "fido 1.6.1", "PRONOM formats-v109.xml")),
        PackageFile("data/article.txt", 2_345, _digests("txt"), "original", "text/plain",
                    format=FormatId("x-fmt/111", "Plain Text File", None, "text/plain",
                                    "extension", "fido 1.6.1", "PRONOM formats-v109.xml")),
        PackageFile("data/metadata/record.json", 999, _digests("json"), "metadata",
                    "application/json",
                    format=FormatId(None, "unknown", basis="none", tool="fido 1.6.1")),
        PackageFile("data/metadata/dc.xml", 1_500, _digests("dc"), "metadata", "application/xml"),
        PackageFile("data/images/extra & odd.gif", 77, {"sha256": _digests("gif")["sha256"]},
                    "original", "image/gif"),
    ]  # fmt: skip
    for image in images.values():
        name = image.path.rsplit("/", 1)[1]
        fmt = _jpeg() if image.format == "JPEG" else None
        files.append(
            PackageFile(
                f"data/images/{name}",
                image.size,
                {**_digests(name), "sha256": image.sha256},
                "original",
                image.mime_type,
                None,
                name,
                format=fmt,
            )
        )
    some = frozenset({"data/images/01.jpg", "data/images/04.png"})
    return MetsInput(
        article,
        tuple(files),
        datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        Agent("bagsmith", "software", "software", version="9.9.9"),
        Agent("Ann Archivist", "archivist", "person", email="ann@example.org"),
        organization=Agent("Example Archive", "custodian", "organization",
                           identifier="https://example.org/archive"),
        tools=(Agent("fido", "format identification", "software", version="1.6.1"),),
        events=(
            PackageEvent("fixity check", WHEN, "sources hashed again", "pass",
                         "equal to the digests read", some, ("software",)),
            PackageEvent("creation", WHEN, "bag made", "success", None, None, ()),
        ),
        times={"message digest calculation": WHEN, "format identification": WHEN},
    )  # fmt: skip


def test_the_mets_of_many_figures_keeps_its_bytes(schema_cache_dir: Path) -> None:
    made = build_mets(many_figures())
    if os.environ.get("BAGSMITH_WRITE_GOLDEN"):
        GOLDEN.write_bytes(gzip.compress(made, mtime=0))
    expected = gzip.decompress(GOLDEN.read_bytes())
    assert made.count(b"<mets:amdSec ") == 15 and made.count(b"<mets:dmdSec ") == 24
    if made != expected:
        diff = difflib.unified_diff(
            expected.decode().splitlines(), made.decode().splitlines(), "expected", "made", n=2
        )
        raise AssertionError("the METS differs:\n" + "\n".join(list(diff)[:60]))
    validator = xmlschemas.validator(schema_cache_dir)
    assert xmlschemas.validate_stream(made, validator, "mets.xml", expect="mets") == []


def test_a_large_mets_in_memory_keeps_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a size, ``build_mets`` gathers the pieces written in a ``BytesIO`` instead of a
    list (its buffer is its value): the same bytes either way."""
    expected = gzip.decompress(GOLDEN.read_bytes())
    monkeypatch.setattr(mets._Pieces, "SPILL", 50_000)  # spilled after a few sections
    assert len(expected) > 50_000
    assert build_mets(many_figures()) == expected
