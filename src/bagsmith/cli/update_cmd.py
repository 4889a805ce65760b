"""``bagsmith update``: regenerate an existing bag's manifests and Payload-Oxum."""

from __future__ import annotations

from pathlib import Path

import click

from ..bagit.tagfiles import parse_info_option
from ..fixity import WRITABLE
from ..pipeline.bagging import UpdateOptions, update_bag
from .bag_cmd import render, terminate_as_interrupt
from .common import Output, output_options


@click.command()
@click.argument("bag", type=click.Path(path_type=Path))
@click.option(
    "--algorithm",
    "-a",
    "algorithms",
    multiple=True,
    metavar="ALG",
    help=f"Digest algorithm, repeatable: {', '.join(WRITABLE)} "
    "[default: the algorithms of the bag's manifests]. Manifests of other algorithms are removed.",
)
@click.option(
    "--info",
    "-i",
    "info",
    multiple=True,
    metavar="LABEL=VALUE",
    help="Add a bag-info.txt tag, or replace every tag with that label; repeatable.",
)
@click.option(
    "--processes",
    "-p",
    type=int,
    default=None,
    help="Worker processes hashing [default: one per CPU].",
)
@output_options
def update(
    bag: Path,
    algorithms: tuple[str, ...],
    info: tuple[str, ...],
    processes: int | None,
    out: Output,
) -> None:
    """Regenerate BAG's manifests, tag manifests, Payload-Oxum and Bag-Size.

    Run it after adding, changing or removing payload files or tag files. Payload files are
    only read. New tag files are written under temporary names and renamed into place once
    every digest is known.
    """
    options = UpdateOptions(
        algorithms=algorithms or None,
        info=tuple(parse_info_option(item) for item in info),
        processes=processes,
    )
    with terminate_as_interrupt():
        result = update_bag(bag, options, progress=out.progress)
    render(out, result, "Updated")
