"""``bagsmith schemas install`` / ``bagsmith schemas status``: the official XSD cache."""

from __future__ import annotations

from pathlib import Path

import click

from ..pipeline.describing import install_schemas, schema_status
from .common import Output, output_options


@click.group("schemas")
def schemas() -> None:
    """The official XML schemas (METS, PREMIS, MIX, Dublin Core, oai_dc, MODS, XLink, xml.xsd).

    bagsmith validates XML offline against copies kept in a per-user schema cache
    ($BAGSMITH_SCHEMA_DIR, else $XDG_DATA_HOME/bagsmith/schemas). Validation never downloads
    anything; install the schemas once with `bagsmith schemas install`.
    """


@schemas.command("install")
@click.option(
    "--from",
    "from_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy the XSDs from this folder (same layout as the cache, e.g. ../shared/schemas).",
)
@click.option(
    "--base-url", help="Download from this mirror (URL/<file>) instead of the canonical URLs."
)
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait per download."
)
@output_options
def install_cmd(out: Output, from_dir: Path | None, base_url: str | None, timeout: float) -> None:
    """Download (or copy with --from) the official XSDs, verify each, record its sha256."""
    result = install_schemas(from_dir, base_url, timeout=timeout)
    if out.json_mode:
        out.emit_json(result.to_dict())
        return
    for item in result.files:
        out.info(f"{item.file:<22} {item.sha256[:16]}…  {item.source}")
    out.info(f"installed {len(result.files)} files into {result.directory}")


@schemas.command("status")
@output_options
def status_cmd(out: Output) -> None:
    """Show which schemas are installed and whether each still matches its recorded sha256.

    Exits 1 when a schema is missing or changed."""
    state = schema_status()
    if out.json_mode:
        out.emit_json(state.to_dict())
    else:
        out.info(f"schema cache: {state.directory}")
        for item in state.files:
            mark = "ok" if item.matches else ("changed" if item.installed else "missing")
            out.info(f"  {mark:<8} {item.file:<22} {item.namespace or ''}")
        out.info("complete" if state.complete else "incomplete: run `bagsmith schemas install`")
    if not state.complete:
        raise SystemExit(1)
