"""Negative tests: each broken METS/DC is reported with its problem code, file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from bagsmith.metadata.checks import check_mets
from bagsmith.pipeline.describing import Description, check_metadata_file, describe_article
from bagsmith.problems import Problem

from .metadata_helpers import example_article

CREATED = "2026-11-27T09:30:00Z"


@pytest.fixture
def built(
    schema_cache: Path, tmp_path: Path
) -> tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]]:
    article, files = example_article(tmp_path / "src")
    result = describe_article(article, files, created=CREATED)
    assert result.report.problems == []
    digests = {pf.path: dict(pf.digests) for pf in (*files, result.dc_file)}
    sizes = {
        f"data/images/{f.image.path}": (f.image.width, f.image.height)
        for f in article.figures
        if f.image
    }
    return result, digests, sizes


def line_of(document: bytes, needle: bytes, occurrence: int = 1) -> int:
    position = -1
    for _ in range(occurrence):
        position = document.index(needle, position + 1)
    return document.count(b"\n", 0, position) + 1


def only(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def test_the_built_mets_passes_every_check(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, digests, sizes = built
    problems = check_metadata_file(
        result.mets_xml,
        "data/mets.xml",
        bag_files=set(digests),
        required=set(digests),
        digests=digests,
        image_sizes=sizes,
    )
    assert problems == []
    assert check_metadata_file(result.dc_xml, "bag/data/metadata/dc.xml", kind="dc") == []


def test_broken_mix_value(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, _, _ = built
    mets = result.mets_xml.replace(
        b"<mix:imageWidth>64</mix:imageWidth>", b"<mix:imageWidth>-64</mix:imageWidth>", 1
    )
    [problem] = check_metadata_file(mets, "mets.xml")
    assert problem.code == "xml-schema-invalid" and problem.path == "mets.xml"
    assert problem.line == line_of(mets, b"<mix:imageWidth>-64")
    assert "imageWidth" in problem.message


def test_premis_size_not_a_number(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, _, _ = built
    start = result.mets_xml.index(b"<premis:size>")
    end = result.mets_xml.index(b"</premis:size>", start)
    mets = result.mets_xml[:start] + b"<premis:size>about 2 kB" + result.mets_xml[end:]
    [problem] = check_metadata_file(mets, "mets.xml")
    assert problem.code == "xml-schema-invalid"
    assert problem.line == line_of(mets, b"<premis:size>about 2 kB")
    assert "size" in problem.message and "long" in problem.message


def test_misspelt_dc_element_in_mets_and_in_dc_xml(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, _, _ = built
    mets = result.mets_xml.replace(
        b"<dc:creator>Anna Writer</dc:creator>", b"<dc:author>Anna Writer</dc:author>", 1
    )
    [problem] = check_metadata_file(mets, "mets.xml")
    assert problem.code == "xml-schema-invalid" and "author" in problem.message
    assert problem.line == line_of(mets, b"<dc:author>")
    dc = result.dc_xml.replace(b"<dc:coverage>", b"<dc:place>", 1).replace(
        b"</dc:coverage>", b"</dc:place>", 1
    )
    [problem] = check_metadata_file(dc, "dc.xml", kind="dc")
    assert problem.code == "xml-schema-invalid" and "place" in problem.message
    assert problem.line == line_of(dc, b"<dc:place>")
    mods = result.mets_xml.replace(b"<mods:genre>", b"<mods:summary>", 1).replace(
        b"</mods:genre>", b"</mods:summary>", 1
    )
    [problem] = check_metadata_file(mods, "mets.xml")
    assert problem.code == "xml-schema-invalid" and "summary" in problem.message
    assert problem.line == line_of(mods, b"<mods:summary>")


def test_dangling_fileid(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, _, _ = built
    logical = result.mets_xml.index(b'TYPE="logical"')
    head, tail = result.mets_xml[:logical], result.mets_xml[logical:]
    target = re.search(rb'FILEID="(file-data_images_02[^"]+)"', tail)
    assert target is not None
    mets = head + tail.replace(target.group(1), b"file-nowhere", 1)
    problems = check_metadata_file(mets, "mets.xml")
    [dangling] = only(problems, "mets-id-dangling")
    assert dangling.line == line_of(mets, b'FILEID="file-nowhere"')
    assert "FILEID 'file-nowhere'" in dangling.message


def test_dmdid_and_admid_pointing_at_the_wrong_thing(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, _, _ = built
    amd = re.search(rb'<mets:amdSec ID="(amd-data_article[^"]+)"', result.mets_xml)
    assert amd is not None
    mets = result.mets_xml.replace(
        b'DMDID="dmd-fig-001-mods dmd-fig-001"', b'DMDID="%s"' % amd.group(1), 1
    )
    mets = mets.replace(b'ADMID="%s"' % amd.group(1), b'ADMID="amd-gone"', 1)
    problems = only(check_metadata_file(mets, "mets.xml"), "mets-id-dangling")
    assert sorted((p.line, p.message) for p in problems) == sorted(
        [
            (
                line_of(mets, b'DMDID="%s"' % amd.group(1)),
                f"DMDID {amd.group(1).decode()!r} points at a amdSec element, not a dmdSec",
            ),
            (line_of(mets, b'ADMID="amd-gone"'), "ADMID 'amd-gone' matches no ID in the document"),
        ]
    )


def test_checksum_disagreeing_with_the_manifest(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, digests, _ = built
    manifest = {path: dict(d) for path, d in digests.items()}
    manifest["data/article.txt"]["sha256"] = "0" * 64
    manifest["data/images/01.jpg"] = {"md5": "0" * 32}
    problems = check_metadata_file(result.mets_xml, "data/mets.xml", digests=manifest)
    [mismatch] = only(problems, "mets-checksum-mismatch")
    assert mismatch.line == line_of(result.mets_xml, b'<mets:file ID="file-data_article.txt')
    assert "data/article.txt" in mismatch.message
    [unverifiable] = only(problems, "mets-checksum-unverifiable")
    assert unverifiable.line == line_of(result.mets_xml, b'<mets:file ID="file-data_images_01.jpg')


def test_mix_dimensions_disagreeing_with_the_image(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, _, sizes = built
    wrong = dict(sizes)
    width, height = wrong["data/images/01.jpg"]
    wrong["data/images/01.jpg"] = (width + 1, height)
    [problem] = check_metadata_file(result.mets_xml, "data/mets.xml", image_sizes=wrong)
    assert problem.code == "mix-dimensions-mismatch"
    assert problem.line == line_of(result.mets_xml, f"<mix:imageWidth>{width}<".encode())
    assert f"imageWidth is {width}, the image's is {width + 1}" in problem.message


def test_payload_and_filesec_disagree(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, digests, _ = built
    on_disk = (set(digests) - {"data/images/02.jpg"}) | {"data/extra.txt"}
    problems = check_metadata_file(
        result.mets_xml, "data/mets.xml", bag_files=on_disk, required=on_disk
    )
    [unlisted] = only(problems, "mets-file-not-in-filesec")
    assert "data/extra.txt" in unlisted.message and unlisted.line == line_of(
        result.mets_xml, b"<mets:fileSec>"
    )
    [missing] = only(problems, "mets-file-missing")
    assert "data/images/02.jpg" in missing.message
    assert missing.line == line_of(result.mets_xml, b'xlink:href="images/02.jpg"')


def test_unsafe_mets_from_another_bag(schema_cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "mets.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<m>&e;</m>\n'
    )
    [problem] = check_metadata_file(path, "otherbag/data/mets.xml")
    assert (problem.code, problem.path, problem.line) == ("xml-unsafe", "otherbag/data/mets.xml", 2)


def test_top_level_structure_is_validated_with_lines(
    built: tuple[Description, dict[str, dict[str, str]], dict[str, tuple[int, int]]],
) -> None:
    result, _, _ = built
    mets = result.mets_xml
    # move the first amdSec in front of a figure's dmdSec: METS wants every dmdSec first
    start = mets.index(b"  <mets:amdSec ID=")
    end = mets.index(b"</mets:amdSec>\n", start) + len(b"</mets:amdSec>\n")
    section = mets[start:end]
    moved = mets[:start] + mets[end:]
    first_dmd = moved.index(b'  <mets:dmdSec ID="dmd-fig-001-mods"')
    moved = moved[:first_dmd] + section + moved[first_dmd:]
    problems = check_metadata_file(moved, "mets.xml")
    assert [p.code for p in problems] == ["xml-schema-invalid"]
    assert problems[0].line == line_of(moved, b'<mets:dmdSec ID="dmd-fig-001-mods"')
    assert "dmdSec" in problems[0].message and "not expected" in problems[0].message

    stray = mets.replace(
        b"  <mets:fileSec>",
        b'  <bagsmith:note xmlns:bagsmith="urn:x">hi</bagsmith:note>\n  <mets:fileSec>',
        1,
    )
    [problem] = check_metadata_file(stray, "mets.xml")
    assert problem.code == "xml-schema-invalid" and problem.line == line_of(
        stray, b"<bagsmith:note"
    )

    bad_root = mets.replace(b'TYPE="article">', b'TYPE="article" COLOUR="blue">', 1)
    [problem] = check_metadata_file(bad_root, "mets.xml")
    assert problem.code == "xml-schema-invalid" and "COLOUR" in problem.message
    assert problem.line == line_of(bad_root, b"<mets:mets ")


def test_lines_stay_exact_beyond_line_65535(schema_cache: Path) -> None:
    """libxml2 stores lines above 65,535 differently; problems there keep their exact line."""
    from datetime import UTC, datetime

    from bagsmith.metadata.mets import MetsInput, build_mets
    from bagsmith.model import Agent, Article, Figure, ImageInfo, PackageFile

    files, figures = [], []
    for n in range(1, 600):
        path = f"data/images/{n:04d}.jpg"
        info = ImageInfo(
            path[5:],
            "JPEG",
            "image/jpeg",
            100,
            80,
            "RGB",
            [8, 8, 8],
            None,
            None,
            {},
            f"{n:064x}",
            1000 + n,
        )
        files.append(
            PackageFile(
                path, info.size, {"sha256": info.sha256}, mime_type="image/jpeg", image=info
            )
        )
        figures.append(Figure(n, f"Photo {n}", image=info))
    mets = build_mets(
        MetsInput(
            Article("Many photos", figures=tuple(figures)),
            tuple(files),
            datetime(2026, 1, 1, tzinfo=UTC),
            Agent("bagsmith", "software", "software", "0"),
        )
    )
    assert mets.count(b"\n") > 70_000
    width = mets.rindex(b"<mix:imageWidth>100<")
    mets = mets[:width] + b"<mix:imageWidth>wide<" + mets[width + len(b"<mix:imageWidth>100<") :]
    fptr = mets.rindex(b'<mets:fptr FILEID="')
    mets = mets[:fptr] + b'<mets:fptr FILEID="gone-' + mets[fptr + len(b'<mets:fptr FILEID="') :]
    problems = check_metadata_file(mets, "mets.xml")
    assert [(p.code, p.line) for p in problems] == [
        ("xml-schema-invalid", line_of(mets, b"<mix:imageWidth>wide<")),
        ("mets-id-dangling", line_of(mets, b'FILEID="gone-')),
    ]
    assert problems[1].line > 65535


def test_only_mets_elements_make_references_each_in_attribute_order() -> None:
    """FILEID/DMDID/ADMID are METS references only on METS elements (an embedded record may
    use the names for its own ends); the references of one element are checked FILEID, DMDID,
    ADMID, whatever the order of its attributes."""
    document = b"""<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:x="urn:example:x">
  <mets:dmdSec ID="dmd-1"><mets:mdWrap MDTYPE="OTHER"><mets:xmlData>
    <x:record ID="x-1" FILEID="not-a-mets-reference" ADMID="nor-this"/>
  </mets:xmlData></mets:mdWrap></mets:dmdSec>
  <mets:fileSec><mets:fileGrp><mets:file ID="f-1" ADMID="amd-gone" DMDID="dmd-gone x-1"/>
  </mets:fileGrp></mets:fileSec>
</mets:mets>"""
    problems = check_mets(etree.ElementTree(etree.fromstring(document)), "data/mets.xml")
    assert [p.message for p in only(problems, "mets-id-dangling")] == [
        "DMDID 'dmd-gone' matches no ID in the document",
        "DMDID 'x-1' points at a record element, not a dmdSec",
        "ADMID 'amd-gone' matches no ID in the document",
    ]
    assert {p.line for p in problems} == {line_of(document, b'<mets:file ID="f-1"')}
