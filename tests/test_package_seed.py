"""The acceptance test: the seed article with 69 Pillow photographs → one validated package,
checked by bagsmith, bagit-python, bagit-profile and xmllint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from bagsmith.bagit.validate import validate_bag
from bagsmith.metadata.xmlns import METS, MIX
from bagsmith.pipeline.packaging import PackageOptions, package_article
from bagsmith.pipeline.parsing import parse_article
from tests.test_package_support import (
    CREATED,
    INFO,
    bag_info,
    bagit_profile_validates,
    bagit_python_validates,
    draw,
    leftovers,
    record,
    tree_state,
    xmllint,
)

pytestmark = [pytest.mark.seed]


def test_seed_article_packages_and_validates_everywhere(
    seed_article: Path, tmp_path: Path, schema_cache: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    article = shutil.copy(seed_article, src / seed_article.name)
    numbers = [f.number for f in parse_article(article).article.figures if f.number is not None]
    assert len(numbers) == 69 and max(numbers) == 75
    images = src / "images"
    for number in numbers:  # one photograph per figure, every fifth with EXIF
        draw(images / f"{number:02d}.jpg", number, exif=number % 5 == 0)
    before = tree_state(src)

    dest = tmp_path / "out" / "hungary-1956"
    result = package_article(
        Path(article),
        dest,
        PackageOptions(images=images, info=INFO, created=CREATED, processes=2),
    )

    assert (result.figures, result.images_matched, result.images_unmatched) == (69, 69, 0)
    assert result.files == 1 + 69 + 3  # article, images, dc/mets/record
    assert result.validation is not None and result.validation.valid
    assert tree_state(src) == before and leftovers(dest.parent) == []

    data = record(dest)
    assert [f["image"]["path"] for f in data["figures"]] == [
        f"data/images/{n:02d}.jpg" for n in numbers
    ]
    exif = [f["image"]["exif"] for f in data["figures"] if f["number"] % 5 == 0]
    assert exif and all(e.get("artist", "").startswith("Photographer") for e in exif)
    assert bag_info(dest)["External-Description"][0].startswith("Hungarian Revolution of 1956")

    mets = etree.parse(str(dest / "data/mets.xml")).getroot()
    figure_divs = mets.findall(f".//{{{METS}}}structMap[@TYPE='logical']//{{{METS}}}div")
    with_image = [
        d
        for d in figure_divs
        if d.get("TYPE") == "figure" and d.find(f"{{{METS}}}fptr") is not None
    ]
    assert len(with_image) == 69
    assert len(mets.findall(f".//{{{MIX}}}mix")) == 69

    assert validate_bag(dest).valid
    bagit_python_validates(dest)
    bagit_profile_validates(dest)
    xmllint(schema_cache, dest / "data/metadata/dc.xml", dest / "data/mets.xml")
