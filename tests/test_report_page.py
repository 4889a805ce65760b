"""The HTML report's content, escaping, self-containment and accessibility (parsed with lxml)."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import lxml.html
import pytest

from bagsmith.bagit.validate import validate_bag
from bagsmith.pipeline.reporting import build_report, gather_report, write_report
from bagsmith.report import ReportInput, Thumb, render_html
from bagsmith.report.html import CSP
from tests.report_helpers import (
    HOSTILE_CAPTION,
    QUOTED_NAME,
    article_bag,
    damage,
    hostile_article_bag,
    plain_bag,
)

Page = lxml.html.HtmlElement


def _page(html: str) -> Page:
    return lxml.html.document_fromstring(html)


def _text(el: Page) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    bag = hostile_article_bag(tmp_path_factory.mktemp("hostile"))
    return bag, build_report(bag, deposits=False)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    bag = plain_bag(tmp_path_factory.mktemp("plain"))
    return bag, build_report(bag, deposits=False)


def assert_self_contained(page: Page) -> None:
    """Nothing on the page can make a request: only data: images, no script, strict CSP."""
    assert page.xpath("//script") == []
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp == [CSP]
    assert "default-src 'none'" in CSP and "img-src data:" in CSP
    for el in page.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"event handler {name} on <{el.tag}>"
            if name in ("src", "srcset", "poster", "data", "action", "formaction"):
                assert value.startswith("data:image/"), f"<{el.tag} {name}={value[:40]}>"
    for link in page.xpath("//link"):
        assert link.get("href") == "data:,"
    assert page.xpath("//iframe|//object|//embed|//form|//base|//video|//audio") == []
    style = "".join(page.xpath("//style/text()"))
    assert "url(" not in style and "@import" not in style


def assert_accessible(page: Page) -> None:
    headings = [int(h.tag[1]) for h in page.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert headings[0] == 1 and headings.count(1) == 1
    for before, after in itertools.pairwise(headings):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    for img in page.iter("img"):
        assert (img.get("alt") or "").strip(), "an image without alt text"
    for table in page.iter("table"):
        assert table.xpath("./caption")
        for th in table.iter("th"):
            scope = th.get("scope")
            assert scope == ("col" if th.getparent().getparent().tag == "thead" else "row")
    style = "".join(page.xpath("//style/text()"))
    assert "@media print" in style
    assert page.get("lang") == "en"


def test_hostile_captions_tag_values_and_names_render_as_text(hostile: tuple[Path, str]) -> None:
    _bag, html = hostile
    page = _page(html)
    assert_self_contained(page)
    assert page.xpath("//b") == [], "a <b> from bag-info.txt became an element"
    assert [i for i in page.iter("img") if not i.get("src", "").startswith("data:image/")] == []
    captions = [_text(c) for c in page.iter("figcaption")]
    assert HOSTILE_CAPTION in captions
    hostile_fig = page.xpath("//figure[@data-number='2']")[0]
    assert hostile_fig.xpath(".//img/@alt") == [HOSTILE_CAPTION]
    assert "window.pwned=1" in _text(hostile_fig)
    contact = page.xpath("//table[contains(@class,'tags')]//th[.='Contact-Name']/../td")[0]
    assert _text(contact) == '<b>"Eve"</b>'
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_hostile_file_names_render_as_text(plain: tuple[Path, str]) -> None:
    _bag, html = plain
    page = _page(html)
    assert_self_contained(page)
    rows = {
        _text(th): th.getparent()
        for th in page.xpath("//table[contains(@class,'files')]//tbody/tr/th")
    }
    row = rows[f"data/scans/{QUOTED_NAME}"]
    assert row.xpath(".//img/@alt") == [f"Preview of data/scans/{QUOTED_NAME}"]
    assert page.xpath("//img[@onerror]") == []


def test_article_bag_shows_article_figures_and_technical_metadata(
    hostile: tuple[Path, str],
) -> None:
    bag, html = hostile
    page = _page(html)
    assert_accessible(page)
    record = json.loads((bag / "data/metadata/article.json").read_text(encoding="utf-8"))
    assert (
        _text(page.xpath("//dd[@class='article-title']")[0]) == record["title"] == "Street scenes"
    )
    body = _text(page)
    assert "Ann Example" in body and "The photographs below were taken in October 1956." in body
    assert [_text(h) for h in page.xpath("//div[@class='article-text']/h4")] == ["Budapest"]
    figures = page.xpath("//figure[contains(@class,'figure')]")
    assert len(figures) == len(record["figures"]) == 3
    first = figures[0]
    fig1 = record["figures"][0]
    assert first.xpath(".//img/@alt") == [fig1["caption"]]
    facts = {_text(dt): _text(dt.getnext()) for dt in first.xpath(".//dt")}
    assert facts["Date (EDTF)"] == fig1["date"] == "1956-10-23"
    assert facts["Places"] == "Budapest" and facts["Credit"] == "Erich Lang"
    tech = {_text(th): _text(th.getnext()) for th in first.xpath(".//table//th")}
    assert tech["File"] == "data/images/01.jpg"
    assert tech["Dimensions"] == "240 × 180 pixels" and tech["Colour mode"] == "RGB"
    assert tech["SHA-256"] == fig1["image"]["sha256"]
    # the file listing points at the figure instead of repeating the thumbnail
    link = page.xpath("//table[contains(@class,'files')]//a[@href='#fig-1']")
    assert link and _text(link[0]) == "Figure 1"
    identity = {
        _text(dt): _text(dt.getnext()) for dt in page.xpath("//section[@id='identity']//dt")
    }
    oxum = (bag / "bag-info.txt").read_text(encoding="utf-8").split("Payload-Oxum: ")[1].split()[0]
    assert identity["Payload-Oxum (declared)"] == oxum
    assert identity["Payload manifests"] == "sha256" and identity["Format"] == "folder"
    assert identity["Profile"] == "none declared"


def test_seed_article_bag_has_every_figure(seed_article: Path, tmp_path: Path) -> None:
    bag = article_bag(tmp_path, seed_article, name="seed-bag")
    result = write_report(bag, tmp_path / "seed.html", deposits=False)
    page = _page((tmp_path / "seed.html").read_text(encoding="utf-8"))
    record = json.loads((bag / "data/metadata/article.json").read_text(encoding="utf-8"))
    assert len(record["figures"]) == 69 and result.figures == 69 and result.thumbnails == 69
    figures = page.xpath("//figure[contains(@class,'figure')]")
    assert [int(f.get("data-number")) for f in figures] == [f["number"] for f in record["figures"]]
    assert all(
        len(f.xpath(".//img[starts-with(@src,'data:image/jpeg;base64,')]")) == 1 for f in figures
    )
    assert _text(page.xpath("//p[@class='figure-count']")[0]).startswith("69 figures")
    headings = [_text(h) for h in page.xpath("//div[@class='article-text']/h4")]
    assert headings == [s["heading"] for s in record["sections"] if s["heading"]]
    assert record["title"] in _text(page.xpath("//dd[@class='article-title']")[0])
    assert_self_contained(page)
    assert_accessible(page)
    assert result.valid is True


def test_plain_bag_lists_files_with_thumbnails_and_validation(plain: tuple[Path, str]) -> None:
    bag, html = plain
    page = _page(html)
    assert_accessible(page)
    assert page.xpath("//section[@id='article']|//figure") == []
    rows = {
        _text(tr.xpath("./th")[0]): tr
        for tr in page.xpath("//table[contains(@class,'files')][1]//tbody/tr")
    }
    payload = sorted(
        p.relative_to(bag).as_posix() for p in (bag / "data").rglob("*") if p.is_file()
    )
    assert sorted(rows) == payload
    for name in ("data/scans/harbour-1.jpg", "data/scans/grey.tif", f"data/scans/{QUOTED_NAME}"):
        assert rows[name].xpath(".//img[starts-with(@src,'data:image/')]"), name
    assert "400 × 300 pixels" in _text(rows["data/scans/harbour-1.jpg"])
    assert "no preview" in _text(rows["data/scans/broken.jpg"])
    assert rows["data/notes/blob-0.bin"].xpath(".//img") == []
    verdict = _text(page.xpath("//p[contains(@class,'verdict')]")[0])
    assert verdict.startswith("VALID: full check; 0 errors")
    tags = _text(page.xpath("//table[contains(@class,'tags')]")[0])
    assert "Harbour Museum" in tags and "bagit.py" in tags


def test_every_validation_problem_is_listed_with_severity_in_words(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    damage(bag, "data/notes/blob-1.bin")
    (bag / "data" / "notes" / "extra.txt").write_text("unlisted\n", encoding="utf-8")
    expected = validate_bag(bag)
    page = _page(build_report(bag, deposits=False))
    verdict = _text(page.xpath("//p[contains(@class,'verdict')]")[0])
    assert verdict.startswith("INVALID")
    rows = page.xpath("//table[contains(@class,'problems')]/tbody/tr")
    shown = {(_text(r[0]), _text(r[1]), _text(r[2]), _text(r[3])) for r in rows}
    wanted = {
        (
            {"error": "✖ Error", "warning": "▲ Warning", "info": "ℹ Info"}[p.level.value],
            p.code,
            p.where() or "(the bag)",
            p.message,
        )
        for p in expected.report
    }
    assert shown == wanted
    codes = {r[1] for r in shown}
    assert {"payload-digest-mismatch", "payload-file-unlisted", "payload-oxum-mismatch"} <= codes
    assert _text(rows[0][0]).endswith("Error")  # errors come first, named in words


def test_serialised_bag_and_no_validation(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    archive = Path(shutil.make_archive(str(tmp_path / "plain"), "zip", tmp_path, bag.name))
    page = _page(build_report(archive, deposits=False))
    facts = {_text(dt): _text(dt.getnext()) for dt in page.xpath("//section[@id='identity']//dt")}
    assert facts["Format"] == "serialised bag (zip)"
    assert page.xpath("//img[starts-with(@src,'data:image/')]")
    assert _text(page.xpath("//p[contains(@class,'verdict')]")[0]).startswith("VALID")
    page = _page(build_report(bag, validate=False, deposits=False))
    assert _text(page.xpath("//p[contains(@class,'verdict')]")[0]).startswith("Not validated")


@pytest.mark.parametrize(
    ("content", "why"),
    [("{not json", "is not valid JSON"), ('{"title": 5}', "does not match article.schema.json")],
)
def test_unusable_article_record_falls_back_to_the_listing(
    tmp_path: Path, content: str, why: str
) -> None:
    bag = hostile_article_bag(tmp_path)
    (bag / "data/metadata/article.json").write_text(content, encoding="utf-8")
    page = _page(build_report(bag, validate=False, deposits=False))
    notes = _text(page.xpath("//section[contains(@class,'notes')]")[0])
    assert "data/metadata/article.json" in notes and why in notes
    assert page.xpath("//figure") == []
    assert len(page.xpath("//table[contains(@class,'files')]//img")) == 3


def test_renderer_refuses_non_image_uris_and_javascript_links() -> None:
    data = ReportInput(
        name="x",
        location="/x",
        bag_format="folder",
        generated="2026-01-01T00:00:00Z",
        tool="bagsmith test",
        thumbnails={"data/a.jpg": Thumb("javascript:alert(1)", 1, 1)},
        article={
            "title": "T",
            "creators": [],
            "date_published": None,
            "source_url": "javascript:alert(1)",
            "language": "en\" onload=\"x",
            "sections": [],
            "figures": [{"number": 1, "caption": "c", "description": None, "date": None,
                         "places": [], "credit": None,
                         "image": {"path": "data/a.jpg", "format": "JPEG", "mime_type": "image/jpeg",
                                   "width": 1, "height": 1, "mode": "RGB", "bits_per_sample": [8],
                                   "icc_profile": None, "dpi": None, "exif": {}, "sha256": "0" * 64}}],
            "warnings": [],
        },
    )  # fmt: skip
    page = _page(render_html(data))
    assert page.xpath("//img") == [] and page.xpath("//a[starts-with(@href,'javascript')]") == []
    assert page.xpath("//*[@onload]") == [] and page.xpath("//div[@lang]") == []
    assert "javascript:alert(1)" in _text(page.xpath("//section[@id='article']")[0])
    assert_self_contained(page)


def test_listing_and_thumbnail_limits_are_stated(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    data = gather_report(bag, validate=False, deposits=False, max_files=7, max_thumbnails=2)
    # listed: 3 blobs, readme, broken.jpg, grey.tif, harbour-1.jpg; the quoted .png is not
    assert len(data.payload) == 7 and data.files_omitted == 1
    assert data.notes == ("3 images; only the first 2 are shown as thumbnails",)
    assert list(data.thumbnails) == ["data/scans/grey.tif"]  # broken.jpg has none
    page = _page(render_html(data))
    assert "the first 7 files are listed, 1 more file is not" in _text(page)
    assert len(page.xpath("//table[contains(@class,'files')][1]/tbody/tr")) == 7


def test_technical_metadata_of_a_figure_image() -> None:
    image = {
        "path": "data/images/07.tif", "format": "TIFF", "mime_type": "image/tiff", "width": 4000,
        "height": 3000, "mode": "CMYK", "bits_per_sample": [8, 8, 8, 8],
        "icc_profile": "Coated FOGRA39", "dpi": [300.0, 300.0],
        "exif": {"date": "1956-10-23T12:00:00", "make": "Nikon", "artist": "Erich Lang"},
        "sha256": "ab" * 32, "size": 48_000_000, "problems": ["warning[x] odd"],
    }  # fmt: skip
    figure = {
        "number": 7, "caption": "Tanks", "description": "Soviet tanks at the Kilián barracks",
        "date": "1956-10-23/1956-11-10", "places": ["Budapest"], "places_standard": ["Budapest"],
        "credit": "Fortepan", "image": image,
    }  # fmt: skip
    article = {"title": "T", "language": "hu", "sections": [], "figures": [figure]}
    data = ReportInput("b", "/b", "folder", "2026-01-01T00:00:00Z", "bagsmith t", article=article)
    page = _page(render_html(data))
    fig = page.xpath("//figure[@data-number='7']")[0]
    tech = {_text(th): _text(th.getnext()) for th in fig.xpath(".//table//th")}
    assert tech["Format"] == "TIFF (image/tiff)" and tech["Dimensions"] == "4000 × 3000 pixels"
    assert tech["Colour mode"] == "CMYK" and tech["Bits per sample"] == "8, 8, 8, 8"
    assert tech["ICC profile"] == "Coated FOGRA39" and tech["Resolution"] == "300 × 300 dpi"
    assert tech["EXIF date taken"] == "1956-10-23T12:00:00" and tech["EXIF artist"] == "Erich Lang"
    assert tech["Size"] == "48.0 MB (48,000,000 bytes)" and tech["SHA-256"] == "ab" * 32
    facts = {_text(dt): _text(dt.getnext()) for dt in fig.xpath(".//dt")}
    assert facts["Description"] == "Soviet tanks at the Kilián barracks"
    assert facts["Date (EDTF)"] == "1956-10-23/1956-11-10" and facts["Places"] == "Budapest"
    assert _text(fig.xpath(".//ul[@class='image-problems']")[0]) == "warning[x] odd"
    assert fig.xpath(".//p[@class='no-thumb']")  # no thumbnail given: said in words
    assert page.xpath("//div[@class='article-text']/@lang") == ["hu"]
    assert_accessible(page)
