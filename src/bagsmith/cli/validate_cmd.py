"""``bagsmith validate``: check bags (folders, zip, tar, tar.gz) and report every problem."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from ..errors import ProfileError, UsageError
from ..pipeline.validation import BagValidation, Mode, ValidationRun, validate_bags
from ..problems import Severity
from .common import Output, output_options
from .exits import status_exit, with_exit_code
from .options import (
    check_mode,
    chosen_processes,
    csv_option,
    exclusive,
    fast_option,
    no_profile_option,
    processes_option,
    profile_option,
    profile_usage_error,
    scheduler_option,
    workers_option,
)


@click.command()
@click.argument("bags", nargs=-1, required=False, metavar="BAG...")
@click.option(
    "--from-list",
    "from_list",
    type=click.Path(path_type=Path),
    default=None,
    help="Also validate the bags named in this file (one path a line; '#' comments; relative "
    "paths are read against the file's folder). Bags are spread over --workers.",
)
@workers_option(
    "Validate several bags at once in this many local worker processes (one bag per "
    "worker) and print one combined report [default with --from-list: one per CPU]."
)
@scheduler_option(
    "the bags at the same paths", lead="Spread the bags over this Dask distributed cluster instead"
)
@csv_option(
    "With a collection (--from-list, --workers or --scheduler): also write a CSV report, "
    "one row per bag."
)
@fast_option()
@click.option(
    "--completeness-only",
    is_flag=True,
    help="Check that every manifest entry is present and no payload file is unlisted; "
    "hash nothing.",
)
@processes_option("hashing")
@profile_option(
    "Also check every bag against this BagIt profile: a bundled profile's name, a "
    "profile file, or the identifier of a bundled or cached profile (never downloaded).",
    metavar="NAME|PATH|IDENTIFIER",
)
@no_profile_option("Do not check the profile a bag names in BagIt-Profile-Identifier.")
@click.option(
    "--no-metadata",
    is_flag=True,
    help="Do not check the METS and Dublin Core files a bag carries.",
)
@click.option(
    "--allow-holey",
    is_flag=True,
    help="Accept payload files that fetch.txt lists and the bag does not hold yet (reported "
    "as info); without it such a bag is incomplete, so invalid.",
)
@output_options
def validate(
    bags: tuple[str, ...],
    from_list: Path | None,
    workers: int | None,
    scheduler: str | None,
    csv_file: Path | None,
    fast: bool,
    completeness_only: bool,
    processes: int | None,
    profile: str | None,
    no_profile: bool,
    no_metadata: bool,
    allow_holey: bool,
    out: Output,
) -> None:
    """Validate BagIt bags (0.93 to 1.0): folders or .zip/.tar/.tar.gz/.tgz archives.

    Every problem is reported, one line each (`error[CODE] PATH:LINE: message`, on stderr),
    then one summary line per bag on stdout. Validation never writes: the bag is only read,
    and archives are read as streams, never extracted.

    Profiles: with --profile every bag is also checked against that profile; without it, a
    bag is checked against the profile its bag-info.txt names (BagIt-Profile-Identifier)
    when that profile is bundled or in the local profile cache, and an info line says when
    it is not. Profile errors make the bag invalid.

    METS and Dublin Core: in a full check, a bag's data/mets.xml (or mets.xml / METS.xml at
    the top or in data/metadata/) and data/metadata/dc.xml are validated against the
    official schemas (`bagsmith schemas install`) and the METS against the bag's files and
    manifest digests. --fast and --completeness-only skip them.

    Collections: with --from-list, --workers or --scheduler the bags are validated side by
    side (the same checks) and one combined report is printed (text, --json, --csv), as
    `bagsmith audit` does.

    Holey bags: a payload file that fetch.txt lists but the bag does not hold makes the bag
    incomplete, so invalid (RFC 8493), and each such file is named with its URL
    (fetch-file-pending); --allow-holey checks everything else and accepts them.

    Exit codes: 0 every bag valid (warnings allowed), 1 a bag is invalid or not a bag,
    2 usage error or a path that cannot be read.
    """
    if not bags and from_list is None:
        raise UsageError("name at least one BAG, or a list of bags with --from-list")
    exclusive("--workers", workers is not None, "--scheduler", scheduler is not None)
    mode = check_mode(fast=fast, completeness_only=completeness_only)
    exclusive("--profile", profile is not None, "--no-profile", no_profile)
    collection = from_list is not None or workers is not None or scheduler is not None
    if csv_file is not None and not collection:
        raise UsageError("--csv goes with --from-list, --workers or --scheduler")
    if collection:
        # imported here: the collection machinery (worker pools, Dask) would cost every plain
        # `bagsmith validate` its import time (docs/benchmarks.md)
        from ..pipeline.audit import read_bag_list

        _validate_collection(
            [*bags, *(read_bag_list(from_list) if from_list else [])],
            mode=mode,
            workers=workers,
            scheduler=scheduler,
            profile=profile,
            declared_profile=not no_profile,
            metadata=not no_metadata,
            csv_file=csv_file,
            out=out,
            allow_holey=allow_holey,
        )
        return
    try:
        run = validate_bags(
            bags,
            mode=mode,
            processes=chosen_processes(processes),
            progress=out.progress,
            profile=profile,
            declared_profile=not no_profile,
            metadata=not no_metadata,
            allow_holey=allow_holey,
        )
    except ProfileError as exc:  # --profile names nothing usable: a usage error, exit 2
        raise profile_usage_error(profile, exc) from exc
    if out.json_mode:
        out.emit_json(with_exit_code(run.to_dict(), run.status))
    else:
        _render(run, out)
    sys.exit(status_exit(run.status))


def _validate_collection(
    paths: list[str],
    *,
    mode: Mode,
    workers: int | None,
    scheduler: str | None,
    profile: str | None,
    declared_profile: bool,
    metadata: bool,
    csv_file: Path | None,
    out: Output,
    allow_holey: bool,
) -> None:
    from ..pipeline.audit import validate_collection
    from .audit_cmd import render, write_csv

    try:
        report = validate_collection(
            paths,
            workers=workers,
            scheduler=scheduler,
            mode=mode,
            progress=functools.partial(out.progress, unit="bags"),
            profile=profile,
            declared_profile=declared_profile,
            metadata=metadata,
            allow_holey=allow_holey,
        )
    except ProfileError as exc:
        raise profile_usage_error(profile, exc) from exc
    if out.json_mode:  # the same document as for bags validated one by one
        out.emit_json(with_exit_code(report.validation_report(paths), report.status))
    else:
        render(out, report)
    if csv_file is not None:
        write_csv(report, csv_file)
    sys.exit(status_exit(report.status))


def _render(run: ValidationRun, out: Output) -> None:
    for bag in run.bags:
        base = bag.path.rstrip("/")
        for problem in bag.report:
            if out.quiet and problem.level is not Severity.ERROR:
                continue
            where = f"{base}/{problem.path}" if problem.path else base
            if problem.line is not None:
                where += f":{problem.line}"
            click.echo(
                f"{problem.level.value}[{problem.code}] {where}: {problem.message}", err=True
            )
        counts = bag.counts()
        state = "valid" if bag.valid else "INVALID"
        algs = ", ".join(bag.payload_algorithms) or "none"
        out.info(
            f"{base}: {state} ({bag.mode.value} check; {bag.payload_files} files, "
            f"{bag.payload_bytes} bytes; {algs}; {counts['error']} errors, "
            f"{counts['warning']} warnings{_extras(bag)})"
        )
    for bad in run.unreadable:
        click.echo(f"error[{bad.error.code}] {bad.path}: {bad.error.message}", err=True)


def _extras(bag: BagValidation) -> str:
    """The summary's note on profiles and METS/DC, e.g. ``; profile X (declared): conforms``."""
    parts: list[str] = []
    for used in bag.profiles:
        if not used["available"]:
            parts.append(f"profile {used['identifier']} not available locally, not checked")
            continue
        how = " (named in bag-info.txt)" if used["source"] == "declared" else ""
        verdict = "conforms" if used["conforms"] else "does NOT conform"
        parts.append(f"profile {used['name']}{how}: {verdict}")
    meta = bag.metadata
    if meta is not None:
        docs = ", ".join(meta["documents"])
        if not meta["checked"]:
            parts.append(f"{docs} not checked ({meta['skipped']})")
        elif meta["schemas"]:
            parts.append(f"{docs} checked")
        else:
            parts.append(f"{docs} checked without schemas")
    return "".join(f"; {p}" for p in parts)
