"""`bagsmith validate` on bags that carry METS and Dublin Core: XSD + semantic checks, in folders
and archives, with and without the schema cache, and hostile XML."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import bagit
import jsonschema
import pytest
from click.testing import CliRunner
from lxml import etree

from bagsmith.bagit.validate import Mode
from bagsmith.cli.validate_cmd import validate
from bagsmith.metadata.xmlns import METS, XLINK
from bagsmith.pipeline.bagging import BagOptions, create_bag
from bagsmith.pipeline.describing import describe_article
from bagsmith.pipeline.validation import validate_bags
from bagsmith.resources import json_schema
from tests.metadata_helpers import example_article
from tests.validate_helpers import tar_tree, tree_fingerprint, zip_tree

CREATED = "2026-11-27T09:30:00Z"
METS_PATH = "data/mets.xml"
DC_PATH = "data/metadata/dc.xml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(validate, ["--processes", "1", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def report_of(*args: str) -> tuple[int, dict[str, object]]:
    code, out, _ = run("--json", *args)
    data = json.loads(out)
    jsonschema.Draft202012Validator(json_schema("validation-report.schema.json")).validate(data)
    return code, data


def article_source(root: Path, *, mets_edit: tuple[bytes, bytes] | None = None) -> Path:
    """An article folder as `bagsmith package` lays it out: text, images, metadata/dc.xml and
    mets.xml describing them (built by describe_article, unvalidated here)."""
    article, files = example_article(root)
    description = describe_article(article, files, created=CREATED, validate=False)
    mets = description.mets_xml
    if mets_edit is not None:
        assert mets_edit[0] in mets
        mets = mets.replace(mets_edit[0], mets_edit[1], 1)
    (root / "metadata").mkdir()
    (root / "metadata" / "dc.xml").write_bytes(description.dc_xml)
    (root / "mets.xml").write_bytes(mets)
    return root


def bag_of(source: Path, dest: Path, **options: object) -> Path:
    create_bag([source], dest, BagOptions(processes=1, **options))  # type: ignore[arg-type]
    return dest


def file_line(mets: bytes, href: str) -> int:
    """The line of the mets:file element whose FLocat points at ``href``."""
    root = etree.fromstring(mets)
    for el in root.iter(f"{{{METS}}}file"):
        flocat = el.find(f"{{{METS}}}FLocat")
        if flocat is not None and flocat.get(f"{{{XLINK}}}href") == href:
            return int(el.sourceline)
    raise AssertionError(href)


def problems_of(data: dict[str, object], code: str) -> list[dict[str, object]]:
    [bag] = data["bags"]  # type: ignore[index]
    return [p for p in bag["problems"] if p["code"] == code]  # type: ignore[index]


def test_a_packaged_bag_with_valid_mets_and_dc(schema_cache: Path, tmp_path: Path) -> None:
    bag = bag_of(article_source(tmp_path / "src"), tmp_path / "bag")
    before = tree_fingerprint(bag)
    code, out, err = run(str(bag))
    assert code == 0, err
    assert f"{METS_PATH}, {DC_PATH} checked" in out
    code, data = report_of(str(bag))
    [entry] = data["bags"]  # type: ignore[index]
    assert entry["metadata"] == {
        "documents": [METS_PATH, DC_PATH],
        "checked": True,
        "schemas": True,
        "skipped": None,
    }
    assert entry["problems"] == []
    assert tree_fingerprint(bag) == before  # validation never writes


def test_mets_checksum_disagreeing_with_the_manifest(schema_cache: Path, tmp_path: Path) -> None:
    source = article_source(tmp_path / "src")
    (source / "article.txt").write_text("Changed after the METS was made.\n", encoding="utf-8")
    bag = bag_of(source, tmp_path / "bag")
    mets = (bag / METS_PATH).read_bytes()
    code, data = report_of(str(bag))
    assert code == 1 and data["valid"] is False
    [problem] = problems_of(data, "mets-checksum-mismatch")
    assert problem["path"] == METS_PATH and problem["severity"] == "error"
    assert problem["line"] == file_line(mets, "article.txt")
    assert "data/article.txt" in str(problem["message"])
    _, _, err = run(str(bag))
    assert f"error[mets-checksum-mismatch] {bag}/{METS_PATH}:{problem['line']}: " in err


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_archives_are_checked_from_the_stream(schema_cache: Path, tmp_path: Path, fmt: str) -> None:
    source = article_source(tmp_path / "src")
    (source / "images" / "01.jpg").write_bytes(b"not the image METS describes")
    bag = bag_of(source, tmp_path / "bag")
    mets = (bag / METS_PATH).read_bytes()
    archive = (
        zip_tree(bag, tmp_path / "bag.zip")
        if fmt == "zip"
        else tar_tree(bag, tmp_path / "bag.tgz", mode="w:gz")
    )
    shutil.rmtree(bag)
    code, data = report_of(str(archive))
    assert code == 1
    [problem] = problems_of(data, "mets-checksum-mismatch")
    assert problem["line"] == file_line(mets, "images/01.jpg")
    [entry] = data["bags"]  # type: ignore[index]
    assert entry["format"] == fmt and entry["metadata"]["checked"] is True


def test_dangling_fileid(schema_cache: Path, tmp_path: Path) -> None:
    probe = describe_article(*example_article(tmp_path / "probe"), created=CREATED, validate=False)
    fptr = next(etree.fromstring(probe.mets_xml).iter(f"{{{METS}}}fptr"))
    old = f'FILEID="{fptr.get("FILEID")}"'.encode()
    source = article_source(tmp_path / "src", mets_edit=(old, b'FILEID="no-such-file"'))
    bag = bag_of(source, tmp_path / "bag")
    code, data = report_of(str(bag))
    assert code == 1
    [problem] = problems_of(data, "mets-id-dangling")
    lines = (bag / METS_PATH).read_bytes().splitlines()
    assert b'FILEID="no-such-file"' in lines[int(problem["line"]) - 1]  # type: ignore[call-overload]


def test_misspelt_dc_element_in_dc_xml(schema_cache: Path, tmp_path: Path) -> None:
    source = article_source(tmp_path / "src")
    dc = (source / "metadata" / "dc.xml").read_bytes()
    (source / "metadata" / "dc.xml").write_bytes(
        dc.replace(b"<dc:creator>", b"<dc:author>", 1).replace(b"</dc:creator>", b"</dc:author>", 1)
    )
    bag = bag_of(source, tmp_path / "bag")
    code, data = report_of(str(bag))
    assert code == 1
    invalid = problems_of(data, "xml-schema-invalid")
    assert invalid and all(p["path"] == DC_PATH for p in invalid)
    assert any("author" in str(p["message"]) and p["line"] for p in invalid)
    # the METS still lists the old dc.xml digest: the METS cross-check says so too
    assert [p["path"] for p in problems_of(data, "mets-checksum-mismatch")] == [METS_PATH]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE mets [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<mets xmlns="http://www.loc.gov/METS/"><metsHdr>&leak;</metsHdr></mets>
"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<mets xmlns="http://www.loc.gov/METS/">&lol3;</mets>
"""


@pytest.mark.parametrize("document", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
@pytest.mark.parametrize("with_schemas", [True, False])
def test_hostile_mets_is_refused_not_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    document: bytes,
    with_schemas: bool,
) -> None:
    if with_schemas:
        request.getfixturevalue("schema_cache")
    else:
        monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(tmp_path / "empty-cache"))
    source = tmp_path / "src"
    source.mkdir()
    (source / "METS.xml").write_bytes(document)
    bag = bag_of(source, tmp_path / "bag")
    code, data = report_of(str(bag))
    assert code == 1
    [problem] = problems_of(data, "xml-unsafe")
    assert problem["path"] == "data/METS.xml"
    assert "root:" not in json.dumps(data)  # nothing from /etc/passwd


def test_empty_schema_cache_gives_one_warning_and_still_cross_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(tmp_path / "empty-cache"))
    good = bag_of(article_source(tmp_path / "src"), tmp_path / "good")
    code, out, err = run(str(good))
    assert code == 0
    assert err.count("warning[metadata-schemas-unavailable]") == 1
    assert "bagsmith schemas install" in err and "error[" not in err
    assert "checked without schemas" in out
    _, data = report_of(str(good))
    [entry] = data["bags"]  # type: ignore[index]
    assert [p["code"] for p in entry["problems"]] == ["metadata-schemas-unavailable"]
    assert entry["metadata"]["schemas"] is False and entry["metadata"]["checked"] is True
    # the semantic checks do not need the schemas
    source = article_source(tmp_path / "src2")
    (source / "article.txt").write_text("changed\n", encoding="utf-8")
    changed = bag_of(source, tmp_path / "changed")
    code, data = report_of(str(changed))
    assert code == 1 and len(problems_of(data, "mets-checksum-mismatch")) == 1


def test_fast_modes_and_no_metadata_skip_the_checks(schema_cache: Path, tmp_path: Path) -> None:
    source = article_source(tmp_path / "src")
    (source / "article.txt").write_text("changed\n", encoding="utf-8")
    bag = bag_of(source, tmp_path / "bag")
    for args in (["--fast"], ["--completeness-only"], ["--no-metadata"]):
        code, data = report_of(*args, str(bag))
        assert code == 0, args
        [entry] = data["bags"]  # type: ignore[index]
        assert entry["metadata"]["checked"] is False and entry["metadata"]["skipped"]
        assert entry["problems"] == []
    _, out, _ = run("--fast", str(bag))
    assert "not checked (fast mode" in out


def test_mets_in_a_bagit_python_bag_at_the_top_and_bag_files_from_the_bag(
    schema_cache: Path, tmp_path: Path
) -> None:
    """A METS tag file (top-level mets.xml) of another tool's bag: hrefs are relative to it;
    a fileSec file the bag lacks and a payload file the fileSec lacks are both reported."""
    source = tmp_path / "src"
    article, files = example_article(source)
    described = describe_article(
        article, files, created=CREATED, validate=False, mets_path="mets.xml"
    )
    mets = described.mets_xml
    assert b'xlink:href="data/images/01.jpg"' in mets
    folder = tmp_path / "bag"
    shutil.copytree(source, folder)
    (folder / "extra.txt").write_text("not described\n", encoding="utf-8")
    bagit.make_bag(str(folder), {"Source-Organization": "Elsewhere"}, checksums=["sha256"])
    (folder / "mets.xml").write_bytes(mets)  # a tag file no tag manifest lists: allowed
    code, data = report_of(str(folder))
    assert code == 1
    [missing] = problems_of(data, "mets-file-missing")
    assert missing["path"] == "mets.xml" and DC_PATH in str(missing["message"])
    [unlisted] = problems_of(data, "mets-file-not-in-filesec")
    assert "data/extra.txt" in str(unlisted["message"])
    assert problems_of(data, "mets-checksum-mismatch") == []


def test_library_callers_get_the_same_checks(schema_cache: Path, tmp_path: Path) -> None:
    source = article_source(tmp_path / "src")
    (source / "article.txt").write_text("changed\n", encoding="utf-8")
    bag = bag_of(source, tmp_path / "bag")
    run_ = validate_bags([bag], mode=Mode.FULL, processes=1)
    assert run_.status == "invalid"
    assert [p.code for p in run_.bags[0].report] == ["mets-checksum-mismatch"]
    assert validate_bags([bag], processes=1, metadata=False).status == "valid"


def test_mix_dimensions_are_checked_against_the_images(schema_cache: Path, tmp_path: Path) -> None:
    probe = describe_article(*example_article(tmp_path / "probe"), created=CREATED, validate=False)
    width = next(etree.fromstring(probe.mets_xml).iter("{http://www.loc.gov/mix/v20}imageWidth"))
    old = f"<mix:imageWidth>{width.text}</mix:imageWidth>".encode()
    assert old in probe.mets_xml
    wrong = f"<mix:imageWidth>{int(width.text or 0) + 1}</mix:imageWidth>".encode()
    source = article_source(tmp_path / "src", mets_edit=(old, wrong))
    bag = bag_of(source, tmp_path / "bag")
    code, data = report_of(str(bag))
    assert code == 1
    [problem] = problems_of(data, "mix-dimensions-mismatch")
    lines = (bag / METS_PATH).read_bytes().splitlines()
    assert wrong in lines[int(problem["line"]) - 1]  # type: ignore[call-overload]
    # the untouched bag has no such problem: the check compares with the real image headers
    clean = bag_of(article_source(tmp_path / "src2"), tmp_path / "bag2")
    code, data = report_of(str(clean))
    assert code == 0 and not problems_of(data, "mix-dimensions-mismatch")


def test_older_layout_mets_is_accepted_and_named(schema_cache: Path, tmp_path: Path) -> None:
    """A package made before METS moved to data/: data/metadata/mets.xml whose hrefs are
    relative to the bag root. Its checks still run (checksums against the manifests) and the
    report names the older layout."""
    source = tmp_path / "src"
    article, files = example_article(source)
    description = describe_article(article, files, created=CREATED, validate=False)
    mets = re.sub(rb'xlink:href="([^"]+)"', rb'xlink:href="data/\1"', description.mets_xml)
    (source / "metadata").mkdir()
    (source / "metadata" / "dc.xml").write_bytes(description.dc_xml)
    (source / "metadata" / "mets.xml").write_bytes(mets)
    bag = bag_of(source, tmp_path / "bag")
    code, data = report_of(str(bag))
    assert code == 0 and data["valid"] is True
    [older] = problems_of(data, "mets-older-layout")
    assert older["path"] == "data/metadata/mets.xml" and older["severity"] == "info"
    assert [p["code"] for p in data["bags"][0]["problems"]] == ["mets-older-layout"]  # type: ignore[index]

    (source / "article.txt").write_text("changed after the METS was made\n", encoding="utf-8")
    code, data = report_of(str(bag_of(source, tmp_path / "changed")))
    [mismatch] = problems_of(data, "mets-checksum-mismatch")
    assert "data/article.txt" in str(mismatch["message"])
