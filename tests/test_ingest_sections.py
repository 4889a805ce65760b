"""The section a figure appears in: inline figures get it, a gallery after the text does not."""

from __future__ import annotations

from pathlib import Path

import jsonschema
from PIL import Image

from bagsmith.ingest import read_article
from bagsmith.resources import json_schema

TEXT = """Mills of the Danube

Water mills once lined the river from Vienna to the delta, and this article tells their story.

## Floating mills

Floating mills were moored in the current, and the millers lived on board all summer.
#1 A floating mill near Mohács, 1925
Advertisement
The mills were towed upstream every spring, when the ice had gone from the river.
The last of them stopped turning in the 1960s, when the dams were built.

## The weirs

Weirs held the water back for the mills that stood on the banks of the side arms.

#2 A weir at Baja, 1931
#3 Children fishing below the weir, 1935
#4 The miller's house, 1938
"""

RUN = """Mills of the Danube

Water mills once lined the river from Vienna to the delta, and this article tells their story.

#1 A floating mill near Mohács, 1925
#2 A weir at Baja, 1931
#3 Children fishing below the weir, 1935
#4 The miller's house, 1938
Advertisement
Photographs from the archive of the river museum, reproduced with its kind permission.
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Danube Mills</title></head><body>
<article><h1>Danube Mills</h1>
<section class="entry-content">
<p>Water mills once lined the river from Vienna to the delta, and this is their story.</p>
<section><h2>Floating mills</h2>
<p>Floating mills were moored in the current, and the millers lived on board.</p>
<figure><img src="page_files/1.png" alt=""><figcaption>A floating mill near Mohács, 1925
</figcaption></figure>
</section>
<h2>The weirs</h2>
<p>Weirs held the water back for the mills that stood on the banks of the side arms.</p>
<figure><img src="page_files/2.png" alt=""><figcaption>A weir at Baja, 1931</figcaption>
</figure>
<p>The weirs were rebuilt in stone after the great flood of 1876.</p>
<p><img src="page_files/3.png" alt="The stone weir at Baja, 1880">The stone weir still
stands, though the mills it served are long gone.</p>
<p>Only the foundations of the mill houses can be seen today.</p>
<figure><img src="page_files/4.png" alt=""><figcaption>The miller's house, 1938</figcaption>
</figure>
<figure><img src="page_files/5.png" alt=""><figcaption>The mill race, 1940</figcaption>
</figure>
</section>
</article></body></html>
"""


def _validates(record: dict[str, object]) -> None:
    jsonschema.validate(
        record, json_schema("article.schema.json"), cls=jsonschema.Draft202012Validator
    )


def write_page(folder: Path) -> Path:
    """The saved page with its five images: 1-3 inline, 4-5 after the last paragraph."""
    (folder / "page_files").mkdir(parents=True)
    for number in range(1, 6):
        Image.new("RGB", (20 + number, 16), "red").save(folder / "page_files" / f"{number}.png")
    page = folder / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    return page


def test_text_inline_figure_gets_its_section_gallery_none(tmp_path: Path) -> None:
    path = tmp_path / "mills.md"
    path.write_text(TEXT, encoding="utf-8")
    result = read_article(path)
    article = result.article
    assert [s.heading for s in article.sections] == [None, "Floating mills", "The weirs"]
    assert article.sections[1].paragraphs[1:] == (
        "The mills were towed upstream every spring, when the ice had gone from the river.",
        "The last of them stopped turning in the 1960s, when the dams were built.",
    )
    assert [(f.number, f.section) for f in article.figures] == [
        (1, 1),
        (2, None),
        (3, None),
        (4, None),
    ]
    record = result.record()
    assert [f["section"] for f in record["figures"]] == [1, None, None, None]
    _validates(record)


def test_text_long_run_of_figures_before_a_closing_paragraph_is_a_gallery(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mills.txt"
    path.write_text(RUN, encoding="utf-8")
    article = read_article(path).article
    assert article.sections[0].paragraphs[-1].startswith("Photographs from the archive")
    assert [(f.number, f.section) for f in article.figures] == [
        (1, None),
        (2, None),
        (3, None),
        (4, None),
    ]


def test_html_figures_inside_a_section_element_or_the_text_flow(tmp_path: Path) -> None:
    result = read_article(write_page(tmp_path))
    article = result.article
    assert [s.heading for s in article.sections] == [None, "Floating mills", "The weirs"]
    assert [f.caption for f in article.figures] == [
        "A floating mill near Mohács, 1925",
        "A weir at Baja, 1931",
        "The stone weir at Baja, 1880",
        "The miller's house, 1938",
        "The mill race, 1940",
    ]
    # 1: in the <section> of its heading, though no paragraph follows it; 2 and 3: followed by
    # more paragraphs of "The weirs"; 4 and 5: after the last paragraph (the wrapper <section>
    # around several headings says nothing)
    assert [f.section for f in article.figures] == [1, 2, 2, None, None]
    record = result.record()
    assert [f["section"] for f in record["figures"]] == [1, 2, 2, None, None]
    _validates(record)


def test_html_gallery_after_the_text_has_no_section(tmp_path: Path) -> None:
    (tmp_path / "g").mkdir()
    Image.new("RGB", (20, 16), "blue").save(tmp_path / "g" / "a.png")
    Image.new("RGB", (20, 16), "green").save(tmp_path / "g" / "b.png")
    page = tmp_path / "gallery.html"
    page.write_text(
        "<html><body><article><h1>Mills</h1><h2>History</h2>"
        "<p>Water mills once lined the river from Vienna to the delta.</p>"
        '<div class="gallery"><figure><img src="g/a.png" alt=""><figcaption>#1 A mill, 1925'
        '</figcaption></figure><figure><img src="g/b.png" alt=""><figcaption>#2 A weir, 1931'
        "</figcaption></figure></div></article></body></html>",
        encoding="utf-8",
    )
    result = read_article(page)
    assert [(f.number, f.section) for f in result.article.figures] == [(1, None), (2, None)]
    _validates(result.record())
