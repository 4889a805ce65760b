"""``bagsmith update``: regenerate an existing bag's manifests and Payload-Oxum."""

from __future__ import annotations

from pathlib import Path

import click

from ..pipeline.bagging import UpdateOptions, update_bag
from .bag_cmd import render
from .common import Output, output_options, terminate_as_interrupt
from .options import (
    algorithm_option,
    bag_info,
    chosen_processes,
    info_file_option,
    info_option,
    processes_option,
)


@click.command()
@click.argument("bag", type=click.Path(path_type=Path))
@algorithm_option(
    "the algorithms of the bag's manifests", " Manifests of other algorithms are removed."
)
@info_option("Add a bag-info.txt tag, or replace every tag with that label; repeatable.")
@info_file_option(", each replacing every tag with its label,")
@processes_option("hashing")
@output_options
def update(
    bag: Path,
    algorithms: tuple[str, ...],
    info: tuple[str, ...],
    info_file: Path | None,
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
        info=bag_info(info, info_file),
        processes=chosen_processes(processes),
    )
    with terminate_as_interrupt():
        result = update_bag(bag, options, progress=out.progress)
    render(out, result, "Updated")
