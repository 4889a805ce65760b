"""``bagsmith bag``: create a BagIt bag from files and folders, without touching them."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ProfileError
from ..pipeline.bagging import BagOptions, BagResult, PayloadPolicy, create_bag
from ..pipeline.profiling import show_profile
from .common import Output, output_options, terminate_as_interrupt
from .options import (
    algorithm_option,
    archive_format,
    bag_info,
    chosen_algorithms,
    chosen_processes,
    chosen_profile,
    info_file_option,
    info_option,
    no_profile_option,
    output_option,
    parse_size,
    parse_tag_files,
    payload_policy_options,
    processes_option,
    profile_option,
    profile_usage_error,
    serialize_option,
    tag_file_option,
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
        + (f", profile: {result.profile}" if result.profile else "")
    )


@click.command()
@click.argument(
    "sources", nargs=-1, required=True, metavar="SOURCE...", type=click.Path(path_type=Path)
)
@output_option("DEST")
@algorithm_option()
@info_option("Add a bag-info.txt tag, repeatable (a label may be repeated).")
@info_file_option()
@tag_file_option
@processes_option("copying and hashing")
@payload_policy_options
@serialize_option("Write one archive (DEST.zip, DEST.tar or DEST.tgz) instead of a folder.")
@profile_option(
    "BagIt profile the bag must conform to (a bundled name, a file, or the identifier of a "
    "bundled or cached profile): its required tags are checked before hashing, its defaults "
    "filled in, and the bag is checked against it before it is moved into place "
    "[default: the configuration file's, else none].",
    metavar="NAME|PATH|IDENTIFIER",
)
@no_profile_option("Do not check the bag against a profile, not even the configured one.")
@click.option(
    "--max-size",
    metavar="SIZE",
    help="Split the payload into several bags of at most SIZE each (e.g. 30GB, 500MiB, "
    "1000000): DEST.b001.of003 …, one Bag-Group-Identifier, Bag-Count 'k of N', each bag "
    "valid on its own. Files are never split.",
)
@output_options
def bag(
    sources: tuple[Path, ...],
    dest: Path,
    algorithms: tuple[str, ...],
    info: tuple[str, ...],
    info_file: Path | None,
    tag_files: tuple[str, ...],
    processes: int | None,
    policy: PayloadPolicy,
    serialize: str | None,
    profile: str | None,
    no_profile: bool,
    max_size: str | None,
    out: Output,
) -> None:
    """Create a BagIt bag at DEST from SOURCE files and folders.

    One folder given: its contents become the payload (data/). Several sources, or a file:
    each keeps its own name under data/. The sources are only read, never changed; the bag is
    written beside DEST and renamed into place when complete. With --max-size the payload is
    split over several bags (DEST.b001.of00N …) when it does not fit in one. Skipped files are listed as
    warnings. With --profile, every missing required tag is listed before anything is
    written. See docs/bagging.md.

    Exit codes: 0 bagged; 1 the bag cannot be made as asked (e.g. tags the profile requires);
    2 usage error, unreadable source, an existing DEST, or a --profile that cannot be found or
    is not a valid profile; 130 interrupted.
    """
    profile = chosen_profile(profile, no_profile, None)
    if profile is not None:  # a --profile that names nothing usable is a usage error (exit 2)
        try:
            show_profile(profile)
        except ProfileError as exc:
            raise profile_usage_error(profile, exc) from exc
    options = BagOptions(
        algorithms=chosen_algorithms(algorithms),
        info=bag_info(info, info_file, configured=True),
        processes=chosen_processes(processes),
        policy=policy,
        serialize=archive_format(serialize),
        profile=profile,
        tag_files=parse_tag_files(tag_files),
        max_size=parse_size(max_size, "--max-size") if max_size is not None else None,
    )
    with terminate_as_interrupt():
        result = create_bag(list(sources), dest, options, progress=out.progress)
    render(out, result, "Bagged" if result.serialized is None else "Bagged and serialised")
    if result.parts and not out.json_mode:
        out.info(f"split into {len(result.parts)} bags of group {result.group}:")
        for part in result.parts:
            out.info(f"  {part}")
