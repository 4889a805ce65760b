"""``bagsmith report``: one self-contained HTML page about a bag, for people to look at."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..pipeline.reporting import write_report
from .common import Output, output_options
from .options import check_mode, exclusive, fast_option, processes_option


@click.command()
@click.argument("bag", metavar="BAG")
@click.option(
    "--html",
    "html_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (replaced atomically if it exists; never inside the bag).",
)
@click.option("--no-validate", is_flag=True, help="Do not validate the bag; the page says so.")
@fast_option("Validate structure, Payload-Oxum and completeness only; hash nothing.")
@click.option(
    "--no-deposits", is_flag=True, help="Do not read the deposit record for the bag's history."
)
@processes_option("hashing while validating")
@output_options
def report(
    bag: str,
    html_path: Path,
    no_validate: bool,
    fast: bool,
    no_deposits: bool,
    processes: int | None,
    out: Output,
) -> None:
    """Write an HTML report of BAG (a folder or a .zip/.tar/.tar.gz/.tgz bag).

    The page shows the bag's identity (bag-info tags, profile, Payload-Oxum, size,
    algorithms), the article and every figure with its thumbnail and metadata when the bag
    holds an article record (data/metadata/article.json), otherwise the file listing with
    thumbnails of its images, then the validation result with every problem and the deposit
    history. It is one file that loads nothing from the network and runs no script.

    Exit codes, as for `bagsmith validate`: 0 the page was written and the bag is valid (or
    --no-validate), 1 the page was written but the bag is INVALID (the page shows why) or the
    page could not be made (an error message, no page), 2 usage error or a path that cannot be
    read.
    """
    exclusive("--no-validate", no_validate, "--fast", fast)
    result = write_report(
        bag,
        html_path,
        validate=not no_validate,
        mode=check_mode(fast=fast),
        processes=processes,
        deposits=not no_deposits,
        progress=out.progress,
    )
    if out.json_mode:
        out.emit_json(result.to_dict())
        sys.exit(1 if result.valid is False else 0)
    for note in result.notes:
        out.warn(f"note: {note}")
    if result.valid is None:
        state = "not validated"
    else:
        counts = result.counts
        state = "valid" if result.valid else "INVALID"
        state += f", {counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings"
    figures = f"{result.figures} figures, " if result.figures is not None else ""
    out.info(
        f"{result.html}: report of {result.bag} ({state}; {figures}{result.files} files, "
        f"{result.thumbnails} thumbnails; {result.bytes} bytes)"
    )
    if result.valid is False:
        out.warn(f"the bag is INVALID; the report {result.html} was written and lists why")
        sys.exit(1)
