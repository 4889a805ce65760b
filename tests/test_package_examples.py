"""`package` end to end on the bundled example: text with images and sidecar, saved HTML page,
zip archive with an HTML report, a sidecar correcting the title, batches and --created."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from bagsmith.bagit.serialize import ArchiveFormat
from bagsmith.bagit.validate import validate_bag
from bagsmith.metadata.xmlns import DC, METS, XLINK
from bagsmith.pipeline.packaging import PackageOptions, package_article
from tests.test_package_support import (
    CREATED,
    INFO,
    bag_info,
    bagit_profile_validates,
    bagit_python_validates,
    leftovers,
    make_example,
    record,
    tree_state,
    xmllint,
)

NS = {"mets": METS, "xlink": XLINK, "dc": DC}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return make_example(tmp_path / "src")


def text_options(example: Path, **kwargs: object) -> PackageOptions:
    base: dict[str, object] = {
        "images": example / "article",
        "metadata": example / "metadata.yaml",
        "info": (*INFO, ("Contact-Name", "Ann Archivist"), ("Contact-Email", "ann@example.org")),
        "created": CREATED,
        "processes": 2,
    }
    base.update(kwargs)
    return PackageOptions(**base)  # type: ignore[arg-type]


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_text_article_with_images_and_sidecar(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    before = tree_state(example)
    dest = tmp_path / "out" / "ferry-bag"
    result = package_article(example / "article" / "article.txt", dest, text_options(example))

    assert result.path == str(dest) and result.serialized is None
    assert files_under(dest / "data") == [
        "article/article.txt",
        "images/01.jpg",
        "images/02.jpg",
        "images/03.jpg",
        "images/04.jpg",
        "metadata/article.json",
        "metadata/dc.xml",
        "metadata/metadata.yaml",
        "mets.xml",
    ]
    assert (result.files, result.figures) == (9, 4)
    assert (result.images_matched, result.images_unmatched) == (4, 0)
    assert result.bytes == sum(p.stat().st_size for p in (dest / "data").rglob("*") if p.is_file())
    assert result.profile == "urn:bagsmith:profile:bagsmith-article:v1"
    assert result.validation is not None and result.validation.valid
    assert result.validation.path == str(dest)
    codes = [w.code for w in result.warnings]
    assert "sidecar-figure-added" not in codes  # figure 3 ("3)") is read from the text …
    stored = json.loads((dest / "data/metadata/article.json").read_text(encoding="utf-8"))
    third = next(f for f in stored["figures"] if f["number"] == 3)
    assert third["caption"] == "Joan Pell at the ferry bell"  # … and the sidecar corrects it
    assert third["places"] == ["Eastmoor"] and third["date"] == "1978"
    assert not any(c.startswith("profile-") for c in codes)  # every recommended tag given

    # the sources are untouched; no staging folder is left
    assert tree_state(example) == before
    assert leftovers(dest.parent) == []

    # the copies are the sources, byte for byte
    for name in ("01.jpg", "02.jpg", "03.jpg", "04.jpg"):
        assert (dest / "data" / "images" / name).read_bytes() == (
            example / "article" / name
        ).read_bytes()
    assert (dest / "data/metadata/metadata.yaml").read_bytes() == (
        example / "metadata.yaml"
    ).read_bytes()

    # bag-info.txt, filled from the record and --info
    tags = bag_info(dest)
    assert tags["Source-Organization"] == ["Example Community Archive"]
    assert tags["External-Description"] == [
        "The Ferry That Held a Town Together by Marta Lindqvist, published 2024-03-14"
    ]
    assert tags["External-Identifier"] == ["urn:example:eastmoor:ferry-1898-1989"]
    assert tags["BagIt-Profile-Identifier"] == ["urn:bagsmith:profile:bagsmith-article:v1"]
    assert tags["Contact-Name"] == ["Ann Archivist"]
    assert tags["Payload-Oxum"] == [result.payload_oxum]

    # the article record: schema-valid, image paths bag-relative and present
    data = record(dest)
    assert data["source_path"] == "data/article/article.txt"
    paths = {f["number"]: f["image"]["path"] for f in data["figures"]}
    assert paths == {n: f"data/images/0{n}.jpg" for n in (1, 2, 3, 4)}
    assert all((dest / p).is_file() for p in paths.values())
    assert data["figures"][0]["image"]["exif"]["artist"] == "Albert Shaw"

    # METS: every payload file but itself in the fileSec, figures point at their images
    mets = etree.parse(str(dest / "data/mets.xml"))
    hrefs = set(mets.xpath("//mets:fileSec//mets:FLocat/@xlink:href", namespaces=NS))
    assert hrefs == set(files_under(dest / "data")) - {"mets.xml"}  # relative to data/
    assert mets.getroot().find(f"{{{METS}}}metsHdr").get("CREATEDATE") == "2026-11-27T09:30:00Z"
    assert "Ann Archivist" in etree.tostring(mets, encoding="unicode")

    # independent oracles
    bagit_python_validates(dest)
    bagit_profile_validates(dest)
    xmllint(schema_cache, dest / "data/metadata/dc.xml", dest / "data/mets.xml")
    assert validate_bag(dest).valid


def test_saved_html_page_keeps_its_folder(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    before = tree_state(example)
    dest = tmp_path / "out" / "page-bag"
    result = package_article(
        example / "html" / "ferry.html", dest, PackageOptions(info=INFO, created=CREATED)
    )
    assert files_under(dest / "data") == [
        "article/ferry.html",
        "article/ferry_files/01.jpg",
        "article/ferry_files/02.jpg",
        "article/ferry_files/03.jpg",
        "article/ferry_files/04.jpg",
        "article/ferry_files/site.css",
        "metadata/article.json",
        "metadata/dc.xml",
        "mets.xml",
    ]
    assert (result.figures, result.images_matched, result.images_unmatched) == (4, 4, 0)
    data = record(dest)
    assert data["source_format"] == "html"
    assert [f["image"]["path"] for f in data["figures"]] == [
        f"data/article/ferry_files/0{n}.jpg" for n in (1, 2, 3, 4)
    ]
    assert bag_info(dest)["External-Identifier"] == ["https://example.org/eastmoor/the-ferry"]
    mets = etree.parse(str(dest / "data/mets.xml"))
    original = mets.xpath("//mets:fileGrp[@USE='original']//mets:FLocat/@xlink:href", namespaces=NS)
    assert "article/ferry_files/site.css" in original
    assert tree_state(example) == before
    bagit_python_validates(dest)
    bagit_profile_validates(dest)
    xmllint(schema_cache, dest / "data/metadata/dc.xml", dest / "data/mets.xml")


def test_zip_archive_with_report(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    out = tmp_path / "out"
    report = tmp_path / "report.html"
    result = package_article(
        example / "article" / "article.txt",
        out / "ferry",
        text_options(example, serialize=ArchiveFormat.ZIP, report=report),
    )
    archive = out / "ferry.zip"
    assert result.path == str(archive) == result.serialized
    assert sorted(p.name for p in out.iterdir()) == ["ferry.zip"]  # no folder, no leftovers
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    assert "ferry/data/mets.xml" in names and "ferry/bagit.txt" in names
    assert validate_bag(archive).valid
    assert result.validation is not None and result.validation.path == str(archive)

    assert result.report == str(report)
    page = report.read_text(encoding="utf-8")
    assert "The Ferry That Held a Town Together" in page
    assert page.count('<img src="data:image/') >= 4  # the four figures' thumbnails
    assert "VALID" in page


def test_sidecar_corrects_the_title(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    sidecar = tmp_path / "corrected.yaml"
    sidecar.write_text(
        "title: The Eastmoor Chain Ferry, 1898–1989\ncreators: [Marta Lindqvist, Hugh Carrow]\n",
        encoding="utf-8",
    )
    dest = tmp_path / "out" / "bag"
    package_article(
        example / "article" / "article.txt",
        dest,
        text_options(example, metadata=sidecar),
    )
    assert record(dest)["title"] == "The Eastmoor Chain Ferry, 1898–1989"
    assert bag_info(dest)["External-Description"] == [
        "The Eastmoor Chain Ferry, 1898–1989 by Marta Lindqvist and Hugh Carrow, "
        "published 2024-03-14"
    ]
    dc = etree.parse(str(dest / "data/metadata/dc.xml"))
    assert dc.xpath("//dc:title/text()", namespaces=NS)[0] == "The Eastmoor Chain Ferry, 1898–1989"
    mets = etree.parse(str(dest / "data/mets.xml")).getroot()
    assert mets.get("LABEL") == "The Eastmoor Chain Ferry, 1898–1989"
    assert (dest / "data/metadata/corrected.yaml").is_file()


def test_batch_tags_and_given_values_win(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    dest = tmp_path / "out" / "bag"
    result = package_article(
        example / "article" / "article.txt",
        dest,
        text_options(
            example,
            info=(*INFO, ("External-Description", "Chosen by the archivist")),
            bag_group=("urn:example:batch:7", 2, 5),
            profile=None,
        ),
    )
    tags = bag_info(dest)
    assert tags["Bag-Group-Identifier"] == ["urn:example:batch:7"]
    assert tags["Bag-Count"] == ["2 of 5"]
    assert tags["External-Description"] == ["Chosen by the archivist"]
    assert "BagIt-Profile-Identifier" not in tags  # no profile asked for
    assert result.profile is None and result.validation is not None and result.validation.valid


def test_reproducible_with_source_date_epoch(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    archives = []
    for name in ("a", "b"):
        result = package_article(
            example / "article" / "article.txt",
            tmp_path / name / "ferry",
            text_options(example, created=None, serialize=ArchiveFormat.TGZ),
        )
        archives.append(Path(result.path).read_bytes())
    assert archives[0] == archives[1]


def test_page_images_outside_its_folder_stay_beside_the_page(
    tmp_path: Path, schema_cache: Path
) -> None:
    from tests.test_package_support import draw

    src = tmp_path / "src"
    (src / "page_files").mkdir(parents=True)
    draw(src / "page_files" / "1.jpg", 1)
    draw(src / "pictures" / "2.jpg", 2)
    draw(src / "extra" / "09.jpg", 9)
    Image.new("RGB", (30, 20), "green").save(src / "extra" / "map.png")
    (src / "page.html").write_text(
        "<html><head><title>Mills</title></head><body><article><h1>Mills</h1>"
        "<p>Water mills on the river, described at some length for the record.</p>"
        '<figure><img src="page_files/1.jpg" alt=""><figcaption>#1 A mill, 1925</figcaption>'
        '</figure><figure><img src="pictures/2.jpg" alt=""><figcaption>#2 A weir, 1931'
        "</figcaption></figure></article></body></html>",
        encoding="utf-8",
    )
    before = tree_state(src)
    dest = tmp_path / "out" / "bag"
    result = package_article(
        src / "page.html", dest, PackageOptions(images=src / "extra", info=INFO, created=CREATED)
    )
    assert files_under(dest / "data") == [
        "article/page.html",
        "article/page_files/1.jpg",
        "article/pictures/2.jpg",
        "images/09.jpg",
        "images/map.png",
        "metadata/article.json",
        "metadata/dc.xml",
        "mets.xml",
    ]
    assert [f["image"]["path"] for f in record(dest)["figures"]] == [
        "data/article/page_files/1.jpg",
        "data/article/pictures/2.jpg",
    ]
    assert (result.images_matched, result.images_unmatched) == (2, 2)
    assert tree_state(src) == before
    bagit_python_validates(dest)
