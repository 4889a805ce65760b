"""``bagsmith validate``: check bags (folders, zip, tar, tar.gz) and report every problem."""

from __future__ import annotations

import sys

import click

from ..bagit.validate import Mode
from ..errors import UsageError
from ..pipeline.validation import ValidationRun, validate_bags
from ..problems import Severity
from .common import Output, output_options


@click.command()
@click.argument("bags", nargs=-1, required=True, metavar="BAG...")
@click.option(
    "--fast",
    is_flag=True,
    help="Check structure, Payload-Oxum and completeness only; hash nothing.",
)
@click.option(
    "--completeness-only",
    is_flag=True,
    help="Check that every manifest entry is present and no payload file is unlisted; "
    "hash nothing.",
)
@click.option(
    "--processes",
    "-p",
    type=click.IntRange(min=1),
    default=None,
    help="Processes hashing in parallel (default: the number of CPUs).",
)
@output_options
def validate(
    bags: tuple[str, ...],
    fast: bool,
    completeness_only: bool,
    processes: int | None,
    out: Output,
) -> None:
    """Validate BagIt bags (0.93 to 1.0): folders or .zip/.tar/.tar.gz/.tgz archives.

    Every problem is reported, one line each (`error[CODE] PATH:LINE: message`, on stderr),
    then one summary line per bag on stdout. Validation never writes: the bag is only read,
    and archives are read as streams, never extracted.

    Exit codes: 0 every bag valid (warnings allowed), 1 a bag is invalid or not a bag,
    2 usage error or a path that cannot be read.
    """
    if fast and completeness_only:
        raise UsageError("--fast and --completeness-only cannot be used together")
    mode = Mode.FAST if fast else Mode.COMPLETENESS if completeness_only else Mode.FULL
    run = validate_bags(bags, mode=mode, processes=processes, progress=out.progress)
    if out.json_mode:
        out.emit_json(run.to_dict())
    else:
        _render(run, out)
    sys.exit(run.exit_code)


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
            f"{counts['warning']} warnings)"
        )
    for bad in run.unreadable:
        click.echo(f"error[{bad.error.code}] {bad.path}: {bad.error.message}", err=True)
