"""Embedded photo metadata (EXIF) into MIX capture information, the PREMIS metadata extraction
event and the figure's MODS; a warning when it disagrees with the caption."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from PIL import Image

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
