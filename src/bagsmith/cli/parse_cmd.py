"""``bagsmith parse``: print the article record of a text file or saved web page."""

from __future__ import annotations

from pathlib import Path

import click

from ..pipeline.parsing import ParseResult, parse_article
from .common import Output, output_options
from .options import allow_broken_images_option, images_option, metadata_option


def _numbers(numbers: list[int]) -> str:
    """[1, 2, 3, 5] → "1–3, 5"."""
    runs: list[str] = []
    for n in numbers:
        if runs and runs[-1].split("–")[-1].isdigit() and int(runs[-1].split("–")[-1]) == n - 1:
            runs[-1] = f"{runs[-1].split('–')[0]}–{n}"
        else:
            runs.append(str(n))
    return ", ".join(runs)


def render(out: Output, result: ParseResult) -> None:
    if out.json_mode:
        out.emit_json(result.record())
        return
    for problem in result.report:
        out.warn(str(problem))
    a = result.article
    numbered = [f.number for f in a.figures if f.number is not None]
    with_image = sum(1 for f in a.figures if f.image is not None)
    dated = sum(1 for f in a.figures if f.date)
    lines = [
        f"title:      {a.title or '(none)'}",
        f"creators:   {', '.join(a.creators) or '(none)'}",
        f"published:  {a.date_published or '(unknown)'}",
        f"source:     {a.source_url or '(unknown)'}  [{a.source_format}: {a.source_path}]",
        f"sections:   {len(a.sections)} ({sum(len(s.paragraphs) for s in a.sections)} paragraphs)",
        f"figures:    {len(a.figures)}"
        + (f" numbered {_numbers(sorted(numbered))}" if numbered else "")
        + f"; {dated} dated, {with_image} with image"
        + (f"; coverage {a.coverage}" if a.coverage else ""),
    ]
    if result.unmatched_images:
        lines.append(f"unmatched:  {len(result.unmatched_images)} image file(s)")
    for fig in a.figures:
        facts = ", ".join(
            x for x in (fig.date, "; ".join(fig.places), fig.credit and f"credit {fig.credit}") if x
        )
        label = f"#{fig.number}" if fig.number is not None else "-"
        image = f" [{Path(fig.image.path).name}]" if fig.image else ""
        caption = fig.caption if len(fig.caption) <= 70 else fig.caption[:69].rstrip() + "…"
        lines.append(f"  {label:>5} {caption}{image}" + (f"  ({facts})" if facts else ""))
    out.info("\n".join(lines))


@click.command()
@click.argument("article", type=click.Path(path_type=Path))
@images_option()
@metadata_option()
@allow_broken_images_option(
    "Go on when an image is truncated, corrupt, too large or misnamed (reported)."
)
@output_options
def parse(
    article: Path,
    images: Path | None,
    metadata: Path | None,
    allow_broken_images: bool,
    out: Output,
) -> None:
    """Print the article record of ARTICLE (a .txt file or a saved .html page): title, creators, sections, figures with caption, description, EDTF date, places,
    credit and image. Writes nothing to disk."""
    result = parse_article(
        article, images=images, metadata=metadata, allow_broken_images=allow_broken_images
    )
    render(out, result)
