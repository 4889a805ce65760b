"""``bagsmith audit``: validate every bag under a folder or in an OCFL storage root."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from ..errors import DestinationError, UsageError
from ..pipeline.audit import CollectionReport, audit_storage
from .common import Output, output_options
from .exits import status_exit, with_exit_code
from .options import (
    check_mode,
    csv_option,
    fast_option,
    profile_option,
    scheduler_option,
    workers_option,
)


def render(out: Output, report: CollectionReport) -> None:
    """Problems on stderr (errors only with --quiet), one line per bag and a summary."""
    if out.json_mode:
        out.emit_json(with_exit_code(report.to_dict(), report.status))
        return
    for entry in report.entries:
        for problem in entry.problems:
            severity = problem.get("severity", "error")
            if severity not in ("error", "warning") or (out.quiet and severity != "error"):
                continue
            where = entry.path
            if problem.get("path") and problem["path"] != entry.path:
                where += f"/{problem['path']}" if entry.kind == "bag" else f" {problem['path']}"
            if problem.get("line"):
                where += f":{problem['line']}"
            click.echo(f"{severity}[{problem['code']}] {where}: {problem['message']}", err=True)
        state = "valid" if entry.valid else "INVALID"
        kind = "OCFL object" if entry.kind == "ocfl-object" else entry.format or "bag"
        out.info(
            f"{entry.path}: {state} ({kind}; {entry.files} files, {entry.bytes} bytes; "
            f"{entry.errors} errors, {entry.warnings} warnings)"
        )
    data = report.to_dict()
    out.info(
        f"{data['bags']} bags: {data['valid_bags']} valid, {data['invalid_bags']} invalid; "
        f"{data['bytes'] / 1e6:.1f} MB in {report.seconds:.1f}s on {report.executor} "
        f"({report.mode.value} check)"
    )


def write_csv(report: CollectionReport, path: Path) -> None:
    try:
        path.write_text(report.to_csv(), encoding="utf-8")
    except OSError as exc:
        raise DestinationError(f"cannot write the CSV report: {exc.strerror}", path=path) from None


@click.command()
@click.argument("storage_root", type=click.Path(path_type=Path), metavar="STORAGE_ROOT")
@workers_option()
@scheduler_option("STORAGE_ROOT at the same path")
@fast_option()
@profile_option(
    "Check every bag against this BagIt profile [default: the profiles the bags declare, "
    "when available locally]."
)
@csv_option(
    "Also write a CSV report to FILE: one row per bag (path, kind, valid, errors, "
    "warnings, files, bytes, first_problem)."
)
@output_options
def audit(
    storage_root: Path,
    workers: int | None,
    scheduler: str | None,
    fast: bool,
    profile: str | None,
    csv_file: Path | None,
    out: Output,
) -> None:
    """Validate every bag under STORAGE_ROOT: a folder (each folder holding a bagit.txt, and
    serialised bags) or an OCFL storage root (each object: ocfl-py's object validation, and
    its head version validated as a bag). Each bag gets the checks of `bagsmith validate`
    (BagIt; the given or declared profile; METS and Dublin Core in full mode).

    Exit codes: 0 every bag valid, 1 some bag invalid, 2 an unreadable bag, no bags, or bad
    options.
    """
    if csv_file is not None and csv_file.is_dir():
        raise UsageError("--csv must name a file, not a folder", field="--csv")
    report = audit_storage(
        storage_root,
        workers=workers,
        scheduler=scheduler,
        mode=check_mode(fast=fast),
        profile=profile,
        progress=functools.partial(out.progress, unit="bags"),
    )
    if csv_file is not None:
        write_csv(report, csv_file)
    render(out, report)
    raise SystemExit(status_exit(report.status))
