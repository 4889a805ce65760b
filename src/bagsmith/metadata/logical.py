"""The logical structMap: article → sections → figures.

A figure goes under the section ingest recorded for it (``Figure.section``, an index into
``Article.sections``). Figures without one — a gallery after the text, the usual case — go into
a final section division labelled "Figures", after the text's sections. Each figure division
points at its image file (``fptr``) and its MODS ``dmdSec`` (``DMDID``; the Dublin Core record
beside it shares the MODS record's ``GROUPID``: one ID per division, as Archivematica's
schematron reads ``DMDID``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import MetadataError
from ..model import Article, PackageFile
from . import ids
from .dc import FigureRef
from .xmlns import METS, Light, q, sub

#: LABEL of the section division holding the figures that are in no section of the text.
GALLERY_LABEL = "Figures"


def figure_sections(article: Article) -> list[int | None]:
    """The section each figure goes under in the logical map: ``Figure.section`` when ingest
    recorded it, else None (the figure goes into the final "Figures" section).

    Raises MetadataError when a figure names a section the article does not have."""
    out: list[int | None] = []
    for index, figure in enumerate(article.figures):
        if figure.section is not None and not 0 <= figure.section < len(article.sections):
            raise MetadataError(
                f"figure {figure.number if figure.number is not None else index + 1} is in "
                f"section {figure.section}, but the article has {len(article.sections)} "
                "section(s)",
                field=f"figures[{index}].section",
                hint="sections are counted from 0 in the order of the record's 'sections'",
            )
        out.append(figure.section)
    return out


def logical_map(
    article: Article,
    files: Sequence[PackageFile],
    figure_files: Sequence[PackageFile | None],
    refs: Sequence[FigureRef],
) -> Light:
    """article → sections → figures. A figure goes under the section ingest recorded for it
    (``Figure.section``); figures without one (a gallery after the text, the usual case) go
    into a final section labelled "Figures", after the text's sections. Held as plain data
    (:class:`.xmlns.Light`), written as lxml writes it."""
    smap = Light(
        q(METS, "structMap"),
        {"ID": "structmap-logical", "TYPE": "logical", "LABEL": "Article structure"},
    )
    top = sub(smap, METS, "div", TYPE="article", LABEL=article.title, DMDID="dmd-article-mods")
    figure_paths = {pf.path for pf in figure_files if pf is not None}
    for pf in files:
        if pf.use == "original" and pf.path not in figure_paths:
            sub(top, METS, "fptr", FILEID=ids.file_id(pf.path))
    placed = figure_sections(article)
    section_divs: list[Any] = []
    for order, section in enumerate(article.sections, start=1):
        div = sub(
            top,
            METS,
            "div",
            TYPE="section",
            ORDER=str(order),
            LABEL=section.heading or f"Section {order}",
        )
        section_divs.append(div)
    gallery: Any = None
    if any(index is None for index in placed):
        gallery = sub(
            top, METS, "div", TYPE="section", ORDER=str(len(section_divs) + 1), LABEL=GALLERY_LABEL
        )
    fig_ids = ids.figure_ids([f.number for f in article.figures])
    counts: dict[int | None, int] = {}
    for figure, image_file, ref, fig_id, index in zip(
        article.figures, figure_files, refs, fig_ids, placed, strict=True
    ):
        counts[index] = counts.get(index, 0) + 1
        div = sub(
            gallery if index is None else section_divs[index],
            METS,
            "div",
            TYPE="figure",
            ORDER=str(counts[index]),
            LABEL=ref.label,
            DMDID=f"dmd-{fig_id}-mods",  # its DC record: the dmdSec of the same GROUPID
        )
        if figure.number is not None:
            div.set("ORDERLABEL", str(figure.number))
        if image_file is not None:
            sub(div, METS, "fptr", FILEID=ids.file_id(image_file.path))
    return smap
