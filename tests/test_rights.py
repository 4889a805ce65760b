"""Rights: --rights and the sidecar's rights fields become PREMIS rights statements linked to
the files, MODS accessCondition and dc:rights; unknown URIs are refused with their field."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image

from bagsmith.cli.package_cmd import package
from bagsmith.errors import MetadataError, UsageError
from bagsmith.metadata.xmlns import DC, METS, MODS, PREMIS, XLINK
from bagsmith.pipeline.packaging import PackageOptions, package_article
from bagsmith.resources import canonical_rights_uri
from tests.conftest import SHARED_SCHEMAS
from tests.test_package_support import CREATED, INFO

NS = {"mets": METS, "premis": PREMIS, "mods": MODS, "dc": DC, "xlink": XLINK}
InC = "http://rightsstatements.org/vocab/InC/1.0/"
BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"


def source(root: Path, sidecar: str) -> tuple[Path, Path, Path]:
    images = root / "images"
    images.mkdir(parents=True)
    for n in (1, 2):
        Image.new("RGB", (20 + n, 10), (n * 40, 0, 0)).save(images / f"0{n}.jpg", "JPEG")
    article = root / "article.txt"
    article.write_text(
        "Rights test\n\nText.\n\n1) The first photograph.\n\n2) The second photograph.\n",
        encoding="utf-8",
    )
    side = root / "metadata.yaml"
    side.write_text(sidecar, encoding="utf-8")
    return article, images, side


SIDECAR = """\
copyright_holder: Example News Ltd
copyright_year: "2019"
figures:
  - number: 2
    rights_uri: http://creativecommons.org/licenses/by-sa/4.0
    copyright_holder: Jane Photographer
    copyright_year: "1956"
    rights_note: Reproduced with permission.
"""


def test_canonical_uris() -> None:
    assert canonical_rights_uri("https://www.rightsstatements.org/vocab/InC/1.0") == InC
    assert canonical_rights_uri("http://creativecommons.org/licenses/by-sa/4.0") == BY_SA
    assert canonical_rights_uri("https://creativecommons.org/licenses/by-xx/4.0/") is None
    assert canonical_rights_uri("ftp://rightsstatements.org/vocab/InC/1.0/") is None


def test_rights_reach_premis_mods_and_dc(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    article, images, side = source(tmp_path / "src", SIDECAR)
    dest = tmp_path / "bag"
    package_article(
        article,
        dest,
        PackageOptions(
            images=images, metadata=side, info=INFO, created=CREATED, rights_uri=InC[:-1]
        ),
    )
    mets = etree.parse(str(dest / "data" / "mets.xml"))
    # PREMIS: one statement per file, linked from its object; the photograph's own licence
    for amd in mets.iterfind("mets:amdSec", NS):
        statement = amd.find("mets:rightsMD//premis:rightsStatement", NS)
        assert statement is not None
        ident = statement.findtext(".//premis:rightsStatementIdentifierValue", namespaces=NS)
        link = amd.findtext(".//premis:linkingRightsStatementIdentifierValue", namespaces=NS)
        assert ident == link
        basis = statement.findtext("premis:rightsBasis", namespaces=NS)
        if "images_02.jpg" in amd.get("ID"):
            assert basis == "license"
            assert (
                statement.findtext(".//premis:licenseDocumentationIdentifierValue", namespaces=NS)
                == BY_SA
            )
            notes = [n.text for n in statement.iterfind(".//premis:licenseNote", NS)]
            assert notes == ["© 1956 Jane Photographer", "Reproduced with permission."]
        else:
            assert basis == "other"
            assert (
                statement.findtext(
                    ".//premis:otherRightsDocumentationIdentifierValue", namespaces=NS
                )
                == InC
            )
            assert statement.findtext(".//premis:otherRightsBasis", namespaces=NS) == (
                "rightsstatements.org: In Copyright"
            )
    # MODS and DC of the article and of figure 2
    article_mods = mets.find(".//mets:dmdSec[@ID='dmd-article-mods']//mods:accessCondition", NS)
    assert article_mods.get(f"{{{XLINK}}}href") == InC
    assert article_mods.text == "In Copyright; © 2019 Example News Ltd"
    figure_mods = mets.find(".//mets:dmdSec[@ID='dmd-fig-002-mods']//mods:accessCondition", NS)
    assert figure_mods.get(f"{{{XLINK}}}href") == BY_SA
    dc = etree.parse(str(dest / "data" / "metadata" / "dc.xml"))
    assert [e.text for e in dc.iterfind("dc:rights", NS)] == [InC, "© 2019 Example News Ltd"]
    # metsrw reads the rights of each file; the document validates as metsrw validates it
    metsrw = pytest.importorskip("metsrw")
    document = metsrw.METSDocument.fromfile(str(dest / "data" / "mets.xml"))
    items = [f for f in document.all_files() if f.type == "Item"]
    assert items and all(len(f.get_premis_rights()) == 1 for f in items)
    monkeypatch.setenv("XML_CATALOG_FILES", str(SHARED_SCHEMAS / "catalog.xml"))
    valid, errors = importlib.import_module("metsrw.validate").xsd_validate(mets)
    assert valid, [(e.line, e.message) for e in errors]


def test_unknown_uris_are_refused(tmp_path: Path, schema_cache: Path) -> None:
    article, images, side = source(
        tmp_path / "src",
        "figures:\n  - number: 1\n    rights_uri: https://example.org/my-licence\n",
    )
    with pytest.raises(MetadataError) as caught:
        package_article(article, tmp_path / "bag", PackageOptions(images=images, metadata=side))
    assert caught.value.field == "figures[0].rights_uri" and caught.value.line == 3
    assert not (tmp_path / "bag").exists()
    with pytest.raises(UsageError, match=r"rights 'https://example\.org/x' is not") as bad:
        package_article(
            article, tmp_path / "bag", PackageOptions(rights_uri="https://example.org/x")
        )
    assert bad.value.parameter == "rights"  # which the CLI names --rights
    result = CliRunner().invoke(
        package, [str(article), "-o", str(tmp_path / "bag"), "--rights", "nonsense"]
    )
    assert result.exit_code == 2 and "--rights" in result.output
    assert not (tmp_path / "bag").exists()
