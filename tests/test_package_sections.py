"""`package` of a saved page with inline figures: in mets.xml each sits under its section."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from bagsmith.metadata.xmlns import METS, XLINK
from bagsmith.pipeline.packaging import PackageOptions, package_article
from tests.test_ingest_sections import write_page
from tests.test_package_support import CREATED, INFO, bagit_python_validates, tree_state, xmllint

NS = {"mets": METS, "xlink": XLINK}


def test_inline_figures_sit_under_their_section_div(tmp_path: Path, schema_cache: Path) -> None:
    page = write_page(tmp_path / "src")
    before = tree_state(tmp_path / "src")
    dest = tmp_path / "out" / "bag"
    result = package_article(page, dest, PackageOptions(info=INFO, created=CREATED))
    assert result.figures == 5
    assert result.validation is not None and result.validation.valid
    mets = dest / "data" / "mets.xml"
    xmllint(schema_cache, mets)
    root = etree.parse(str(mets)).getroot()
    article = root.find("mets:structMap[@TYPE='logical']/mets:div", NS)
    assert article is not None
    sections = article.findall("mets:div[@TYPE='section']", NS)
    assert [s.get("LABEL") for s in sections] == [
        "Section 1",
        "Floating mills",
        "The weirs",
        "Figures",
    ]

    files = {
        f.get("ID"): f.find("mets:FLocat", NS).get(f"{{{XLINK}}}href")
        for f in root.iter(f"{{{METS}}}file")
    }

    def images(section: etree._Element) -> list[str]:
        """The image file names of the figure divs directly under ``section``, in order."""
        return [
            files[fptr.get("FILEID")].rsplit("/", 1)[-1]
            for fptr in section.findall("mets:div[@TYPE='figure']/mets:fptr", NS)
        ]

    assert [images(s) for s in sections] == [[], ["1.png"], ["2.png", "3.png"], ["4.png", "5.png"]]
    orders = [d.get("ORDER") for d in sections[2].findall("mets:div[@TYPE='figure']", NS)]
    assert orders == ["1", "2"]
    assert tree_state(tmp_path / "src") == before
    bagit_python_validates(dest)
