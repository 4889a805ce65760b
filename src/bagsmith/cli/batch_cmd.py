"""``bagsmith batch``: package a collection, one bag per article, locally or on Dask."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from ..errors import ProfileError
from ..pipeline.batch import BatchOptions, BatchReport, run_batch
from ..pipeline.capturing import DEFAULT_USER_AGENT, CaptureOptions
from ..pipeline.packaging import DEFAULT_PROFILE, resolve_profile
from .common import Output, output_options, terminate_as_interrupt
from .exits import status_exit, with_exit_code
from .options import (
    algorithm_option,
    allow_broken_images_option,
    archive_format,
    bag_info,
    chosen_algorithms,
    chosen_profile,
    created_option,
    info_file_option,
    info_option,
    no_profile_option,
    output_option,
    profile_option,
    profile_usage_error,
    scheduler_option,
    serialize_option,
    workers_option,
)
from .progress import mb


def render(out: Output, report: BatchReport) -> None:
    if out.json_mode:
        out.emit_json(with_exit_code(report.to_dict(), report.status))
        return
    for outcome in report.failed:
        for problem in outcome.problems or [{"message": "the bag is not valid"}]:
            code = problem.get("code", "error")
            where = problem.get("path") or outcome.source
            if problem.get("line"):
                where += f":{problem['line']}"
            message = str(problem.get("message", "")).replace("\n", "\n    ")
            click.echo(f"error[{code}] {outcome.name}: {where}: {message}", err=True)
    for outcome in report.outcomes:
        if outcome.ok:
            out.info(f"{outcome.name}: {outcome.status} {outcome.path} ({outcome.files} files)")
        else:
            out.info(f"{outcome.name}: FAILED ({len(outcome.problems)} problem(s))")
    summary = report.to_dict()
    out.info(
        f"{summary['articles']} articles: {summary['packaged']} packaged, {summary['skipped']} "
        f"already done, {summary['failed']} failed; {mb(summary['bytes'])} in "
        f"{report.seconds:.1f}s on {report.executor}; group {report.group!r}; "
        f"journal {report.journal}"
    )


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@output_option("DIR", "Folder for the bags (one per article) and the batch journal.")
@workers_option()
@scheduler_option("COLLECTION and DIR at the same paths")
@profile_option(
    "BagIt profile every bag must conform to "
    f"[default: the configuration file's, else {DEFAULT_PROFILE}]."
)
@no_profile_option("Do not check the bags against any profile.")
@info_option("Add a bag-info.txt tag to every bag, repeatable (manifest rows may add their own).")
@info_file_option(" for every bag")
@algorithm_option()
@serialize_option("Write each bag as one archive (NAME.zip, NAME.tar or NAME.tgz).")
@click.option(
    "--group-id",
    metavar="ID",
    default=None,
    help="Bag-Group-Identifier of every bag [default: the collection's name].",
)
@allow_broken_images_option(
    "Package articles with truncated or corrupt images (reported) instead of failing them."
)
@created_option()
@click.option(
    "--user-agent",
    default=DEFAULT_USER_AGENT,
    show_default=True,
    help="For url rows: the User-Agent of every request of the captures.",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="For url rows: seconds between two requests to the same host within a capture.",
)
@click.option(
    "--ignore-robots",
    is_flag=True,
    help="For url rows: do not consult robots.txt (recorded in each capture).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the batch in DIR: keep the bags that are complete and valid, do the rest.",
)
@output_options
def batch(
    collection: Path,
    dest: Path,
    workers: int | None,
    scheduler: str | None,
    profile: str | None,
    no_profile: bool,
    info: tuple[str, ...],
    info_file: Path | None,
    algorithms: tuple[str, ...],
    serialize: str | None,
    group_id: str | None,
    allow_broken_images: bool,
    created: str | None,
    user_agent: str,
    delay: float,
    ignore_robots: bool,
    resume: bool,
    out: Output,
) -> None:
    """Package every article of COLLECTION as its own bag under DIR.

    COLLECTION is a folder with one sub-folder per article (its .txt or .html file, with the
    saved page's folder if any, an optional images/ folder and metadata.yaml or
    metadata.json), or a CSV or JSON manifest (columns/keys: article, name, images, metadata,
    info:LABEL; paths relative to the manifest). A manifest row may give a url instead of an
    article: that page is captured and packaged as `bagsmith capture` does (docs/capture.md). Every bag gets Bag-Group-Identifier and
    Bag-Count (n of N). A bad article is reported and the others go on; progress is kept
    in DIR/bagsmith-batch.jsonl, so an interrupted batch can be finished with --resume.

    Exit codes: 0 every article packaged, 1 some article failed, 2 bad collection or options
    (a --profile that cannot be found or is not a valid profile among them).
    """
    name = chosen_profile(profile, no_profile, DEFAULT_PROFILE)
    try:  # --profile names nothing usable: a usage error, exit 2, before anything is written
        chosen = None if name is None else resolve_profile(name)
    except ProfileError as exc:
        raise profile_usage_error(name, exc) from exc
    options = BatchOptions(
        profile=chosen,
        info=bag_info(info, info_file, configured=True),
        algorithms=chosen_algorithms(algorithms),
        serialize=archive_format(serialize),
        allow_broken_images=allow_broken_images,
        created=created,
        group_id=group_id,
        resume=resume,
        workers=workers,
        scheduler=scheduler,
        capture=CaptureOptions(user_agent=user_agent, delay=delay, ignore_robots=ignore_robots),
    )
    progress = functools.partial(out.progress, unit="articles")
    with terminate_as_interrupt():
        report = run_batch(collection, dest, options, progress=progress)
    render(out, report)
    raise SystemExit(status_exit(report.status))
