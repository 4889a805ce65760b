"""``bagsmith deposit BAG --to TARGET``: deposit a bag and prove it arrived intact."""

from __future__ import annotations

from pathlib import Path

import click

from ..pipeline.depositing import deposit_bag
from .common import Output, output_options
from .options import configured_file

_OUTCOME_TEXT = {
    "deposited": "deposited and verified",
    "deposited-unverified": "deposited (NOT verified: --no-verify)",
    "already-present": "already present (verified, nothing copied)",
    "dry-run": "dry run: nothing was sent",
}


@click.command("deposit")
@click.argument("bag", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "target",
    required=True,
    help="Target URL (file:///, ocfl:///, sftp://, s3://, az://, sword://) or a name from the "
    "config.",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Read back and check every file after the transfer; unverified deposits are marked so.",
)
@click.option("--dry-run", is_flag=True, help="Check the bag and the target; send nothing.")
@click.option("--name", help="Name at the destination (default: the bag's folder or file name).")
@click.option(
    "--object-id", help="OCFL object id / repository identifier (default: External-Identifier)."
)
@click.option(
    "--endpoint-url",
    help="S3 or Azure Blob endpoint URL (S3-compatible storage, Azurite, sovereign clouds).",
)
@click.option(
    "--archive-format",
    type=click.Choice(["zip", "tgz", "tar"]),
    help="Archive a bag folder is sent as to s3://, az:// and sword:// (default: the target's "
    "archive_format setting, else zip, which Archivematica and SWORD servers accept).",
)
@click.option(
    "--objects/--archive",
    "objects",
    default=None,
    help="s3:// and az://: deposit a bag folder as one object per file, each verified "
    "(default: the target's objects setting, else one archive).",
)
@click.option(
    "--for",
    "for_system",
    type=click.Choice(["archivematica"]),
    help="Deposit a variant made for the receiving system: archivematica adds "
    "data/metadata/metadata.csv (Dublin Core per object) and rights.csv; the source bag is "
    "never changed.",
)
@click.option(
    "--trust-host-key",
    metavar="SHA256:…",
    help="Accept an SFTP host key missing from known_hosts if it has this fingerprint.",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration file [default: `bagsmith --config`, else $BAGSMITH_CONFIG, else "
    "$XDG_CONFIG_HOME/bagsmith/config.toml].",
)
@output_options
def deposit(
    bag: Path,
    target: str,
    verify: bool,
    dry_run: bool,
    name: str | None,
    object_id: str | None,
    endpoint_url: str | None,
    archive_format: str | None,
    objects: bool | None,
    for_system: str | None,
    trust_host_key: str | None,
    config: Path | None,
    out: Output,
) -> None:
    """Deposit BAG (a bag folder or a .zip/.tar/.tgz bag) to a target and verify the copy.

    Credentials come from the environment, the config file (which must not be readable by
    others) or an agent, never from the command line. Every deposit is recorded; see
    `bagsmith deposits list`.
    """

    def retried(number: int, message: str) -> None:
        out.warn(f"attempt {number} failed ({message}); retrying")

    with out.progress("Validating and hashing", None) as progress:
        result = deposit_bag(
            bag,
            target,
            verify=verify,
            dry_run=dry_run,
            name=name,
            object_id=object_id,
            endpoint_url=endpoint_url,
            archive_format=archive_format,
            objects=objects,
            for_system=for_system,
            trust_host_key=trust_host_key,
            config=config or configured_file(),
            progress=progress,
            on_retry=retried,
        )
    if out.json_mode:
        out.emit_json(result.to_dict())
        return
    out.info(f"{result.bag} → {result.target}: {_OUTCOME_TEXT.get(result.outcome, result.outcome)}")
    if result.location:
        out.info(f"  location: {result.location}")
    for key, value in result.identifiers.items():
        out.info(f"  {key}: {value}")
    for key, value in result.checksums.items():
        out.info(f"  {key}: {value}")
    for line in result.details:
        out.info(f"  {line}")
