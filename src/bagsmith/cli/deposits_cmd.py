"""``bagsmith deposits list``: the deposit record."""

from __future__ import annotations

import click

from ..pipeline.depositing import list_deposits
from .common import Output, output_options


@click.group("deposits")
def deposits() -> None:
    """Show the record of past deposits (kept in the user's data folder)."""


@deposits.command("list")
@click.option("--bag", help="Only deposits of this bag (folder or file).")
@click.option(
    "--outcome",
    type=click.Choice(["deposited", "deposited-unverified", "already-present", "failed"]),
    help="Only deposits with this outcome.",
)
@output_options
def list_cmd(bag: str | None, outcome: str | None, out: Output) -> None:
    """List recorded deposits, oldest first: time, outcome, bag, target and location."""
    entries = list_deposits(bag=bag, outcome=outcome)
    if out.json_mode:
        out.emit_json(entries)
        return
    if not entries:
        out.info("no deposits recorded")
        return
    for e in entries:
        where = e.get("location") or e.get("target")
        out.info(f"{e.get('finished') or e.get('started')}  {e.get('outcome'):<20}  {e.get('bag')}")
        form = e.get("form")
        out.info(f"    → {where}" + (f" (as {form})" if form else ""))
        error = e.get("error")
        if isinstance(error, dict):
            out.info(f"    error: {error.get('message')}")
