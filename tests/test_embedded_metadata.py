"""Embedded photo metadata (EXIF, IPTC-IIM, XMP in JPEG, PNG and TIFF) into MIX capture
information, the PREMIS metadata extraction event and the figure's MODS; a warning when it
disagrees with the page; hostile embedded metadata is a problem, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from PIL import Image, PngImagePlugin, TiffImagePlugin

from bagsmith import limits
from bagsmith.ingest.images import characterise
from bagsmith.metadata.xmlns import METS, MIX, MODS, PREMIS
from bagsmith.pipeline.packaging import PackageOptions, package_article
from bagsmith.pipeline.parsing import parse_article
from tests.test_package_support import CREATED, INFO

NS = {"mets": METS, "mix": MIX, "mods": MODS, "premis": PREMIS}


def photo(path: Path, artist: str, when: str, copyright: str = "") -> None:
    exif = Image.Exif()
    exif[0x013B] = artist  # Artist
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 5D"  # Model
    if copyright:
        exif[0x8298] = copyright  # Copyright
    exif.get_ifd(0x8769)[0x9003] = when  # DateTimeOriginal
    Image.new("RGB", (24, 16), (len(artist) * 9 % 256, 40, 60)).save(path, "JPEG", exif=exif)


def source(root: Path) -> tuple[Path, Path, Path]:
    images = root / "images"
    images.mkdir(parents=True)
    photo(images / "01.jpg", "Jane Photographer", "1956:10:23 12:00:00", "Jane Photographer")
    photo(images / "02.jpg", "Someone Else", "1960:01:02 08:00:00")
    article = root / "article.txt"
    article.write_text(
        "Embedded metadata\n\nText.\n\n1) The first photograph.\n\n2) The second photograph.\n",
        encoding="utf-8",
    )
    side = root / "metadata.yaml"
    side.write_text(
        "figures:\n"
        "  - number: 1\n    credit: Jane Photographer\n    date: 1956-10\n"
        "  - number: 2\n    credit: Fortepan\n    date: 1956-11~\n",
        encoding="utf-8",
    )
    return article, images, side


def test_disagreements_with_the_caption_are_warned(tmp_path: Path) -> None:
    article, images, side = source(tmp_path)
    parsed = parse_article(article, images=images, metadata=side)
    found = [p for p in parsed.report.problems if p.code == "image-metadata-disagrees"]
    assert [(Path(p.path or "").name, p.message.split(":")[0]) for p in found] == [
        ("02.jpg", "figure 2"),
        ("02.jpg", "figure 2"),
    ]
    assert "'Someone Else'" in found[0].message and "'Fortepan'" in found[0].message
    assert "1960-01-02T08:00:00" in found[1].message and "1956-11~" in found[1].message


def test_embedded_metadata_reaches_mix_premis_and_mods(tmp_path: Path, schema_cache: Path) -> None:
    article, images, side = source(tmp_path / "src")
    dest = tmp_path / "bag"
    result = package_article(
        article, dest, PackageOptions(images=images, metadata=side, info=INFO, created=CREATED)
    )
    assert result.validation is not None and result.validation.valid  # MIX/MODS schema-valid
    mets = etree.parse(str(dest / "data" / "mets.xml"))
    amd = next(a for a in mets.iterfind("mets:amdSec", NS) if "images_01.jpg" in a.get("ID"))
    capture = amd.find(".//mix:ImageCaptureMetadata", NS)
    assert capture.findtext(".//mix:dateTimeCreated", namespaces=NS) == "1956-10-23T12:00:00"
    assert capture.findtext(".//mix:imageProducer", namespaces=NS) == "Jane Photographer"
    assert capture.findtext(".//mix:digitalCameraManufacturer", namespaces=NS) == "Canon"
    assert capture.findtext(".//mix:digitalCameraModelName", namespaces=NS) == "EOS 5D"
    extraction = next(
        e
        for e in amd.iterfind(".//premis:event", NS)
        if e.findtext("premis:eventType", namespaces=NS) == "metadata extraction"
    )
    note = extraction.findtext(".//premis:eventOutcomeDetailNote", namespaces=NS)
    assert "Artist=Jane Photographer" in note and "DateTimeOriginal=1956-10-23T12:00:00" in note
    first = mets.find(
        ".//mets:dmdSec[@ID='dmd-fig-001-mods']/mets:mdWrap/mets:xmlData/mods:mods", NS
    )
    assert [
        n.findtext("mods:namePart", namespaces=NS) for n in first.iterfind("mods:name", NS)
    ] == ["Jane Photographer"]
    assert "embedded copyright notice: Jane Photographer" in first.findtext(
        "mods:accessCondition", namespaces=NS
    )
    second = mets.find(
        ".//mets:dmdSec[@ID='dmd-fig-002-mods']/mets:mdWrap/mets:xmlData/mods:mods", NS
    )
    names = [n.findtext("mods:namePart", namespaces=NS) for n in second.iterfind("mods:name", NS)]
    assert names == ["Fortepan", "Someone Else"]
    assert {r.text for r in second.iterfind(".//mods:roleTerm[@type='code']", NS)} == {"pht"}
    created = second.find(".//mods:dateCreated", NS)  # the caption's date wins
    assert (created.text, created.get("qualifier")) == ("1956-11~", "approximate")
    assert [w.code for w in result.warnings].count("image-metadata-disagrees") == 2


# --- IPTC-IIM and XMP, in JPEG, PNG and TIFF ---------------------------------------------

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def xmp_packet(creator: str, credit: str, rights: str, caption: str, date: str) -> bytes:
    """An XMP packet as Photoshop writes one: simple properties as attributes, dc:creator a
    Seq, dc:rights and dc:description language alternatives."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
        ' xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        f' photoshop:Credit="{credit}" photoshop:DateCreated="{date}"'
        ' tiff:Make="Nikon" tiff:Model="F3"'
        ' exif:GPSLatitude="47,41.2S" exif:GPSLongitude="17,38.1W">'
        f"<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>"
        f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li></rdf:Alt></dc:rights>'
        '<dc:description><rdf:Alt><rdf:li xml:lang="hu">Más</rdf:li>'
        f'<rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt></dc:description>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def iim(*datasets: tuple[int, int, bytes], utf8: bool = True) -> bytes:
    """An IPTC-IIM block (record 1:90 says UTF-8), written byte by byte."""
    out = b"\x1c\x01\x5a\x00\x03\x1b%G" if utf8 else b""
    for record, dataset, value in datasets:
        size = len(value)
        length = size.to_bytes(2, "big") if size < 0x8000 else b"\x80\x04" + size.to_bytes(4, "big")
        out += bytes([0x1C, record, dataset]) + length + value
    return out


def with_app13(jpeg: bytes, block: bytes) -> bytes:
    """A JPEG with a Photoshop APP13 segment holding ``block`` as IPTC-NAA resource 0x0404
    (Pillow reads but does not write it)."""
    resource = b"8BIM\x04\x04\x00\x00" + len(block).to_bytes(4, "big") + block
    segment = b"Photoshop 3.0\x00" + resource + (b"\x00" if len(block) % 2 else b"")
    at = 2  # after the APP0 (JFIF) and APP1 (EXIF, XMP) segments, where Photoshop puts it
    while jpeg[at] == 0xFF and 0xE0 <= jpeg[at + 1] <= 0xEF:
        at += 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
    app13 = b"\xff\xed" + (len(segment) + 2).to_bytes(2, "big") + segment
    return jpeg[:at] + app13 + jpeg[at:]


IPTC = iim(
    (2, 80, "Kovács Péter".encode()),
    (2, 110, b"Fortepan / Kovacs"),
    (2, 116, b"Public domain"),
    (2, 120, b"Tram on the Margit bridge, Budapest"),
    (2, 55, b"19561023"),
    (2, 60, b"143000+0100"),
)
XMP = xmp_packet(
    "Kovács Péter",
    "Fortepan",
    "© Kovács Péter",
    "Tram crossing the Margit bridge",
    "1956-10-23T14:30",
)


def tagged_photo(
    path: Path,
    fmt: str,
    *,
    exif_artist: str | None = None,
    iptc: bytes = IPTC,
    xmp: bytes = XMP,
    size: tuple[int, int] = (20, 14),
    colour: tuple[int, int, int] | None = None,
) -> Path:
    """A photograph in JPEG, PNG or TIFF carrying EXIF (with GPS for JPEG and PNG), IPTC-IIM
    and XMP, each block written where that format keeps it."""
    image = Image.new("RGB", size, colour or (90, len(fmt) * 30, 40))
    exif = Image.Exif()
    exif[0x010F] = "Nikon"  # Make (Pillow writes no EXIF sub-IFD under an empty IFD0)
    if exif_artist:
        exif[0x013B] = exif_artist
    exif.get_ifd(0x8769)[0x9003] = "1956:10:23 14:30:00"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (47.0, 30.0, 36.0), 3: "E", 4: (19.0, 2.0, 51.0)})
    if fmt == "JPEG":
        image.save(path, "JPEG", exif=exif, xmp=xmp)
        path.write_bytes(with_app13(path.read_bytes(), iptc))
    elif fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        info.add_text("Raw profile type iptc", f"\niptc\n{len(iptc):8d}\n{iptc.hex()}\n")
        image.save(path, "PNG", pnginfo=info, exif=exif)
    else:
        tags = TiffImagePlugin.ImageFileDirectory_v2()
        tags[700], tags.tagtype[700] = xmp, 1  # XMP: BYTE
        tags[33723], tags.tagtype[33723] = iptc, 7  # IPTC-NAA: UNDEFINED
        if exif_artist:
            tags[315] = exif_artist  # Artist, in the TIFF's own IFD
        image.save(path, "TIFF", tiffinfo=tags)
    return path


EXPECTED_IPTC = {
    "creator": "Kovács Péter",
    "credit": "Fortepan / Kovacs",
    "copyright": "Public domain",
    "caption": "Tram on the Margit bridge, Budapest",
    "date": "1956-10-23T14:30:00+01:00",
}
EXPECTED_XMP = {
    "creator": "Kovács Péter",
    "credit": "Fortepan",
    "copyright": "© Kovács Péter",
    "caption": "Tram crossing the Margit bridge",  # x-default, not the first alternative
    "date": "1956-10-23T14:30:00",
    "make": "Nikon",
    "model": "F3",
    "latitude": "-47.686667",
    "longitude": "-17.635",
}


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", "jpg"), ("PNG", "png"), ("TIFF", "tif")])
def test_iptc_and_xmp_are_read_from_jpeg_png_and_tiff(
    tmp_path: Path, fmt: str, suffix: str
) -> None:
    path = tagged_photo(tmp_path / f"01.{suffix}", fmt, exif_artist="Kovacs P.")
    checked = characterise(path)
    assert checked.problems == ()
    assert checked.info is not None
    assert checked.info.iptc == EXPECTED_IPTC
    assert checked.info.xmp == EXPECTED_XMP
    assert checked.info.exif["artist"] == "Kovacs P."  # EXIF ASCII
    facts = checked.info.embedded()
    assert facts["creator"] == ("Kovacs P.", "EXIF")  # EXIF, then XMP, then IPTC-IIM
    assert facts["credit"] == ("Fortepan", "XMP")
    if fmt != "TIFF":  # Pillow writes the EXIF GPS IFD into JPEG and PNG
        assert (checked.info.exif["latitude"], checked.info.exif["longitude"]) == (
            "47.51",
            "19.0475",
        )
        assert facts["latitude"] == ("47.51", "EXIF")
    else:
        assert facts["latitude"] == ("-47.686667", "XMP")


def figures_source(root: Path) -> tuple[Path, Path, Path]:
    """Three figures: a JPEG whose embedded metadata agrees with the page, a PNG (no EXIF
    Artist: XMP names the creator) whose caption and date do not, a TIFF with only IPTC."""
    images = root / "images"
    images.mkdir(parents=True)
    tagged_photo(images / "01.jpg", "JPEG", exif_artist="Kovacs Peter")
    tagged_photo(images / "02.png", "PNG")
    only_iptc = iim((2, 80, b"Anna Nagy"), (2, 120, b"A dog in the snow"), (2, 55, b"19700100"))
    tagged_photo(images / "03.tif", "TIFF", iptc=only_iptc, xmp=b"")
    article = root / "article.txt"
    article.write_text(
        "Trams in 1956\n\nText.\n\n"
        "1) Tram on the Margit bridge, Budapest, 23 October 1956.\n\n"
        "2) Barricade on Corvin passage.\n\n"
        "3) A dog in the snow.\n",
        encoding="utf-8",
    )
    side = root / "metadata.yaml"
    side.write_text(
        "figures:\n"
        "  - number: 1\n    credit: Fortepan / Kovács Péter\n    date: 1956-10-23\n"
        "  - number: 2\n    credit: Fortepan\n    date: 1956-11~\n"
        "  - number: 3\n    credit: Anna Nagy\n",
        encoding="utf-8",
    )
    return article, images, side


def test_iptc_and_xmp_disagreements_are_warned(tmp_path: Path) -> None:
    article, images, side = figures_source(tmp_path)
    parsed = parse_article(article, images=images, metadata=side)
    found = [p for p in parsed.report.problems if p.code == "image-metadata-disagrees"]
    messages = {(Path(p.path or "").name, p.message.split(":")[0], p.message) for p in found}
    assert {(name, fig) for name, fig, _ in messages} == {("02.png", "figure 2")}
    caption, date = sorted((m for _, _, m in messages), key=lambda m: "dc:description" not in m)
    # the credit agrees (XMP photoshop:Credit); caption and date do not
    assert "XMP dc:description" in caption and "'Barricade on Corvin passage.'" in caption
    assert "'Tram crossing the Margit bridge'" in caption
    assert "1956-10-23T14:30:00 (EXIF DateTimeOriginal)" in date and "1956-11~" in date


def test_iptc_and_xmp_reach_mix_premis_and_mods(tmp_path: Path, schema_cache: Path) -> None:
    article, images, side = figures_source(tmp_path / "src")
    dest = tmp_path / "bag"
    result = package_article(
        article, dest, PackageOptions(images=images, metadata=side, info=INFO, created=CREATED)
    )
    assert result.validation is not None and result.validation.valid  # MIX, MODS schema-valid
    mets = etree.parse(str(dest / "data" / "mets.xml"))

    def amd(name: str) -> Any:
        return next(a for a in mets.iterfind("mets:amdSec", NS) if name in a.get("ID"))

    def mods(number: int) -> Any:
        return mets.find(
            f".//mets:dmdSec[@ID='dmd-fig-{number:03d}-mods']/mets:mdWrap/mets:xmlData/mods:mods",
            NS,
        )

    png = amd("images_02.png").find(".//mix:ImageCaptureMetadata", NS)
    assert png.findtext(".//mix:imageProducer", namespaces=NS) == "Kovács Péter"  # XMP
    assert png.findtext(".//mix:dateTimeCreated", namespaces=NS) == "1956-10-23T14:30:00"
    assert png.findtext(".//mix:digitalCameraManufacturer", namespaces=NS) == "Nikon"
    gps = png.find(".//mix:GPSData", NS)
    assert gps.findtext("mix:gpsLatitudeRef", namespaces=NS) == "N"  # EXIF GPS first
    assert [
        gps.findtext(f"mix:GPSLatitude/mix:{part}/mix:numerator", namespaces=NS)
        for part in ("degrees", "minutes", "seconds")
    ] == ["47", "30", "36"]
    assert gps.findtext("mix:gpsLongitudeRef", namespaces=NS) == "E"
    tif = amd("images_03.tif").find(".//mix:ImageCaptureMetadata", NS)
    assert tif.findtext(".//mix:imageProducer", namespaces=NS) == "Anna Nagy"  # IPTC 2:80
    assert tif.findtext(".//mix:dateTimeCreated", namespaces=NS) == "1970-01"  # 2:55, day 00

    extraction = next(
        e
        for e in amd("images_02.png").iterfind(".//premis:event", NS)
        if e.findtext("premis:eventType", namespaces=NS) == "metadata extraction"
    )
    note = extraction.findtext(".//premis:eventOutcomeDetailNote", namespaces=NS)
    assert "embedded IPTC-IIM: By-line (2:80)=Kovács Péter" in note
    assert "Credit (2:110)=Fortepan / Kovacs" in note
    assert "embedded XMP: dc:creator=Kovács Péter, photoshop:Credit=Fortepan" in note
    assert "exif:GPSLatitude=-47.686667" in note and "GPSLatitude=47.51" in note

    second = mods(2)
    assert [
        n.findtext("mods:namePart", namespaces=NS) for n in second.iterfind("mods:name", NS)
    ] == [
        "Fortepan",
        "Kovács Péter",
    ]
    assert second.findtext("mods:abstract[@displayLabel='Embedded caption']", namespaces=NS) == (
        "Tram crossing the Margit bridge"
    )
    assert (
        second.findtext("mods:subject/mods:cartographics/mods:coordinates", namespaces=NS)
        == "47.51, 19.0475"
    )
    assert "embedded copyright notice: © Kovács Péter" in second.findtext(
        "mods:accessCondition", namespaces=NS
    )
    assert second.findtext(".//mods:dateCreated", namespaces=NS) == "1956-11~"  # the page's
    first = mods(1)
    assert first.findtext("mods:abstract[@displayLabel='Embedded caption']", namespaces=NS) == (
        "Tram crossing the Margit bridge"
    )
    assert first.findtext("mods:note[@displayLabel='Embedded credit line']", namespaces=NS) == (
        "Fortepan"
    )
    third = mods(3)  # no date on the page: the embedded one (IPTC 2:55)
    assert third.find("mods:abstract", NS) is None  # the embedded caption is the page's
    created = third.find(".//mods:dateCreated", NS)
    assert (created.text, created.get("encoding")) == ("1970-01", "w3cdtf")


# --- hostile embedded metadata: a problem, never a traceback, never unbounded memory ------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&c;</x:xmpmeta>'
)
XXE = (
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="' + RDF_NS.encode() + b'">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:description="&e;"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
UTF16_DOCTYPE = '<!DOCTYPE x [<!ENTITY e "y">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>'.encode(
    "utf-16-le"
)


@pytest.mark.parametrize(
    ("fmt", "xmp", "iptc", "expected"),
    [
        ("JPEG", BILLION_LAUGHS, IPTC, "document type or entity declaration"),
        ("PNG", XXE, IPTC, "document type or entity declaration"),
        ("TIFF", UTF16_DOCTYPE, IPTC, "document type or entity declaration"),
        ("JPEG", b"<x:xmpmeta><unclosed>", IPTC, "not well-formed XML"),
        ("JPEG", XMP, IPTC[:-9], "2:60 says 11 bytes; only 2 remain"),  # cut inside 2:60
        ("TIFF", XMP, IPTC[:20] + b"\x07garbage" + IPTC[20:], "starts no dataset"),
        ("JPEG", XMP, b"\x1c\x02\x50\x80\x09" + b"\x00" * 9, "bad extended length"),
    ],
)
def test_hostile_embedded_metadata_is_a_problem(
    tmp_path: Path, fmt: str, xmp: bytes, iptc: bytes, expected: str
) -> None:
    path = tagged_photo(tmp_path / f"01.{fmt.lower()}", fmt, xmp=xmp, iptc=iptc)
    checked = characterise(path)
    assert checked.info is not None and checked.info.problems == ()  # the image is sound
    (problem,) = checked.problems
    assert problem.code == "image-metadata-unreadable" and problem.level.value == "warning"
    assert expected in problem.message and problem.path == str(path)
    assert "root:" not in str(checked.info)  # no external entity was read
    if "IPTC" not in problem.message:
        assert checked.info.iptc == EXPECTED_IPTC  # the other block is still read
    else:
        assert checked.info.xmp == EXPECTED_XMP


def test_huge_xmp_is_not_parsed(tmp_path: Path) -> None:
    """An XMP packet over the image-metadata-bytes limit (16 MiB) is refused unparsed, the
    image and its IPTC are read; the limit can be raised for one run."""
    padding = b"<!--" + b" " * 1020 + b"-->"
    padding *= 16 * 1024  # 16 MiB of comments (libxml2 refuses one text node over 10 MB)
    huge = XMP.replace(b"</x:xmpmeta>", padding + b"</x:xmpmeta>")
    path = tagged_photo(tmp_path / "01.tif", "TIFF", xmp=huge)
    checked = characterise(path)
    assert checked.info is not None and checked.info.xmp == {}
    assert checked.info.iptc == EXPECTED_IPTC
    (problem,) = checked.problems
    assert problem.code == "image-metadata-unreadable"
    assert "over the image-metadata-bytes limit of 16777216" in problem.message
    limits.configure({"image-metadata-bytes": 32 * 1024 * 1024})
    try:
        assert characterise(path).info.xmp == EXPECTED_XMP  # type: ignore[union-attr]
    finally:
        limits.reset()


def test_embedded_values_are_cleaned_for_xml(tmp_path: Path, schema_cache: Path) -> None:
    """Control characters XML cannot hold are dropped, a caption of 50,000 characters is cut
    to 10,000: the package is still valid."""
    block = iim((2, 80, b"Jane\x07 \x00Doe"), (2, 120, b"x" * 50_000))
    path = tagged_photo(tmp_path / "images" / "01.jpg" if (tmp_path / "images").mkdir() is None
                        else tmp_path, "JPEG", iptc=block, xmp=b"")  # fmt: skip
    checked = characterise(path)
    assert checked.info is not None
    assert checked.info.iptc["creator"] == "Jane Doe"
    assert len(checked.info.iptc["caption"]) == 10_000
    (tmp_path / "article.txt").write_text("T\n\nText.\n\n1) A photograph.\n", encoding="utf-8")
    result = package_article(
        tmp_path / "article.txt",
        tmp_path / "bag",
        PackageOptions(images=tmp_path / "images", info=INFO, created=CREATED),
    )
    assert result.validation is not None and result.validation.valid
