"""``bagsmith bag``: create a BagIt bag from files and folders, without touching them."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from ..bagit.tagfiles import parse_info_option
from ..fixity import DEFAULT_ALGORITHMS, WRITABLE
from ..pipeline.bagging import BagOptions, BagResult, create_bag, make_policy
from .common import Output, output_options


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while a command writes, so it cleans up before exiting."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
@click.option(
    "--output",
    "-o",
    "dest",
    metavar="DEST",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write the bag. It must not exist (an empty folder is replaced).",
)
@click.option(
    "--algorithm",
    "-a",
    "algorithms",
    multiple=True,
    metavar="ALG",
    help=f"Digest algorithm, repeatable: {', '.join(WRITABLE)} "
    f"[default: {' and '.join(DEFAULT_ALGORITHMS)}].",
)
@click.option(
    "--info",
    "-i",
    "info",
    multiple=True,
    metavar="LABEL=VALUE",
    help="Add a bag-info.txt tag, repeatable (a label may be repeated).",
)
@click.option(
    "--processes",
    "-p",
    type=int,
    default=None,
    help="Worker processes copying and hashing [default: one per CPU].",
)
@click.option(
    "--portable",
    is_flag=True,
    help="Also refuse names differing only by case, and names Windows cannot store.",
)
@click.option(
    "--symlinks",
    type=click.Choice(["refuse", "follow", "skip"]),
    default="refuse",
    show_default=True,
    help="Symbolic links: stop with an error, bag what they point to, or leave them out.",
)
@click.option(
    "--empty-dirs",
    type=click.Choice(["keep", "skip"]),
    default="keep",
    show_default=True,
    help="Empty folders: keep them with an empty .keep file, or leave them out.",
)
@click.option(
    "--hidden",
    type=click.Choice(["include", "exclude"]),
    default="include",
    show_default=True,
    help="Hidden files and folders (names starting with '.').",
)
@click.option(
    "--os-files",
    type=click.Choice(["include", "exclude", "refuse"]),
    default="exclude",
    show_default=True,
    help="Operating-system files (.DS_Store, Thumbs.db, desktop.ini, ._*).",
)
@click.option(
    "--serialize",
    type=click.Choice(["zip", "tar", "tgz"]),
    default=None,
    help="Write one archive (DEST.zip, DEST.tar or DEST.tgz) instead of a folder.",
)
@output_options
def bag(
    sources: tuple[Path, ...],
    dest: Path,
    algorithms: tuple[str, ...],
    info: tuple[str, ...],
    processes: int | None,
    portable: bool,
    symlinks: str,
    empty_dirs: str,
    hidden: str,
    os_files: str,
    serialize: str | None,
    out: Output,
) -> None:
    """Create a BagIt bag at DEST from SOURCE files and folders.

    One folder given: its contents become the payload (data/). Several sources, or a file:
    each keeps its own name under data/. The sources are only read, never changed; the bag is
    written beside DEST and renamed into place when complete. Skipped files are listed as
    warnings. See docs/bagging.md.
    """
    from ..bagit.serialize import ArchiveFormat

    options = BagOptions(
        algorithms=algorithms or DEFAULT_ALGORITHMS,
        info=tuple(parse_info_option(item) for item in info),
        processes=processes,
        policy=make_policy(
            symlinks=symlinks,
            empty_dirs=empty_dirs,
            hidden=hidden,
            os_files=os_files,
            portable=portable,
        ),
        serialize=ArchiveFormat(serialize) if serialize else None,
    )
    with terminate_as_interrupt():
        result = create_bag(list(sources), dest, options, progress=out.progress)
    render(out, result, "Bagged" if result.serialized is None else "Bagged and serialised")
