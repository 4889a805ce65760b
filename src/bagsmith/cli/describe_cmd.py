"""``bagsmith describe RECORD FILE...``: dc.xml and mets.xml for an article record."""

from __future__ import annotations

from pathlib import Path

import click

from ..pipeline.describing import describe_to_folder
from .common import Output, output_options
from .options import created_option


@click.command("describe")
@click.argument("record", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write dc.xml and mets.xml into.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the FILES are relative to (their bag paths become data/<relative path>); default: current folder.",
)
@created_option()
@click.option("--archivist", help="Name of the archivist recorded as a PREMIS agent.")
@click.option("--force", is_flag=True, help="Replace dc.xml/mets.xml if they exist.")
@output_options
def describe(
    out: Output,
    record: Path,
    files: tuple[Path, ...],
    output: Path,
    root: Path | None,
    created: str | None,
    archivist: str | None,
    force: bool,
) -> None:
    """Write Dublin Core (dc.xml) and METS (mets.xml) for an article record (JSON, as written by
    `bagsmith parse`) and its FILES, validated against the official schemas (offline)."""
    result = describe_to_folder(
        record, list(files), output, root=root, created=created, archivist=archivist, force=force
    )
    if out.json_mode:
        out.emit_json(result.to_dict())
        return
    out.info(
        f"wrote {result.dc_path} and {result.mets_path} ({result.files} files, "
        f"{result.figures_matched} figures with their image); both valid"
    )
