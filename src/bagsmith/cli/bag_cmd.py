"""``bagsmith bag``: create a BagIt bag from files and folders, without touching them."""

from __future__ import annotations

from pathlib import Path

import click

from ..fixity import DEFAULT_ALGORITHMS
from ..pipeline.bagging import BagOptions, BagResult, PayloadPolicy, create_bag
from .common import Output, output_options, terminate_as_interrupt
from .options import (
    algorithm_option,
    archive_format,
    bag_info,
    info_option,
    output_option,
    payload_policy_options,
    processes_option,
    serialize_option,
)


def render(out: Output, result: BagResult, verb: str) -> None:
    if out.json_mode:
        out.emit_json(result.to_dict())
        return
    for w in result.warnings:
        out.warn(str(w))
    out.info(
        f"{verb} {result.path}: {result.files} files, {result.bytes} bytes "
        f"(Payload-Oxum {result.payload_oxum}), manifests: {', '.join(result.algorithms)}"
    )


@click.command()
@click.argument(
    "sources", nargs=-1, required=True, metavar="SOURCE...", type=click.Path(path_type=Path)
)
@output_option("DEST")
@algorithm_option()
@info_option("Add a bag-info.txt tag, repeatable (a label may be repeated).")
@processes_option("copying and hashing")
@payload_policy_options
@serialize_option("Write one archive (DEST.zip, DEST.tar or DEST.tgz) instead of a folder.")
@output_options
def bag(
    sources: tuple[Path, ...],
    dest: Path,
    algorithms: tuple[str, ...],
    info: tuple[str, ...],
    processes: int | None,
    policy: PayloadPolicy,
    serialize: str | None,
    out: Output,
) -> None:
    """Create a BagIt bag at DEST from SOURCE files and folders.

    One folder given: its contents become the payload (data/). Several sources, or a file:
    each keeps its own name under data/. The sources are only read, never changed; the bag is
    written beside DEST and renamed into place when complete. Skipped files are listed as
    warnings. See docs/bagging.md.
    """
    options = BagOptions(
        algorithms=algorithms or DEFAULT_ALGORITHMS,
        info=bag_info(info),
        processes=processes,
        policy=policy,
        serialize=archive_format(serialize),
    )
    with terminate_as_interrupt():
        result = create_bag(list(sources), dest, options, progress=out.progress)
    render(out, result, "Bagged" if result.serialized is None else "Bagged and serialised")
