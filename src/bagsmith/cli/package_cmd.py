"""``bagsmith package``: an article and its photographs → one validated preservation bag."""

from __future__ import annotations

from pathlib import Path

import click

from ..bagit.tagfiles import parse_info_option
from ..fixity import DEFAULT_ALGORITHMS, WRITABLE
from ..pipeline.layout import read_info_file
from ..pipeline.packaging import DEFAULT_PROFILE, PackageOptions, PackageResult, package_article
from .bag_cmd import terminate_as_interrupt
from .common import Output, output_options


def render(out: Output, result: PackageResult) -> None:
    if out.json_mode:
        out.emit_json(result.to_dict())
        return
    for w in result.warnings:
        out.warn(str(w))
    validation = result.validation
    counts = validation.counts() if validation is not None else {}
    lines = [
        f"Packaged {result.path}: {result.files} files, {result.bytes} bytes "
        f"(Payload-Oxum {result.payload_oxum})",
        f"  figures: {result.figures}; images matched: {result.images_matched}, "
        f"unmatched: {result.images_unmatched}",
        "  profile: " + (result.profile or "(none)"),
        f"  validation: {'VALID' if validation is not None and validation.valid else 'INVALID'}"
        f" (BagIt, profile, METS/DC; {counts.get('warning', 0)} warnings)",
        f"  warnings: {len(result.warnings)}" + (" (listed above)" if result.warnings else ""),
    ]
    if result.report:
        lines.append(f"  report: {result.report}")
    out.info("\n".join(lines))


@click.command()
@click.argument("article", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    "dest",
    metavar="DIR",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write the bag. It must not exist (an empty folder is replaced).",
)
@click.option(
    "--images",
    type=click.Path(path_type=Path),
    help="Folder of image files, matched to figures by the number in their names.",
)
@click.option(
    "--metadata",
    type=click.Path(path_type=Path),
    help="Sidecar metadata file (YAML or JSON) stating or correcting facts; packaged as given.",
)
@click.option(
    "--profile",
    default=DEFAULT_PROFILE,
    show_default=True,
    metavar="NAME|PATH",
    help="BagIt profile the package must conform to (a bundled name, a file, or a cached "
    "identifier).",
)
@click.option("--no-profile", is_flag=True, help="Do not check the package against any profile.")
@click.option(
    "--info",
    "-i",
    "info",
    multiple=True,
    metavar="LABEL=VALUE",
    help="Add a bag-info.txt tag, repeatable (Source-Organization, Contact-Name …).",
)
@click.option(
    "--info-file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Read bag-info.txt tags ('Label: value' lines) from FILE, before any --info.",
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
    "--serialize",
    type=click.Choice(["zip", "tar", "tgz"]),
    default=None,
    help="Write one archive (DIR.zip, DIR.tar or DIR.tgz) instead of a folder.",
)
@click.option(
    "--processes",
    "-p",
    type=int,
    default=None,
    help="Worker processes copying and hashing [default: one per CPU].",
)
@click.option(
    "--allow-broken-images",
    is_flag=True,
    help="Go on when an image is truncated, corrupt, too large or misnamed (packaged as it "
    "is, and reported).",
)
@click.option(
    "--created",
    metavar="ISO",
    help="Creation time for METS (e.g. 2026-11-27T09:30:00Z) [default: SOURCE_DATE_EPOCH, "
    "else now].",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Also write the HTML report of the finished package to FILE.",
)
@output_options
def package(
    article: Path,
    dest: Path,
    images: Path | None,
    metadata: Path | None,
    profile: str,
    no_profile: bool,
    info: tuple[str, ...],
    info_file: Path | None,
    algorithms: tuple[str, ...],
    serialize: str | None,
    processes: int | None,
    allow_broken_images: bool,
    created: str | None,
    report: Path | None,
    out: Output,
) -> None:
    """Package ARTICLE (a .txt file, a saved .html page, or a folder with one) and its images
    as a validated BagIt bag at DIR.

    The bag holds the article (and its saved-page folder), the images, dc.xml, mets.xml, the
    article record (article.json) and the sidecar, in the layout of docs/tutorial.md. Nothing
    is written until the metadata and the profile's bag-info tags check out, and the bag is
    moved into place only after it validated (BagIt, profile, METS). Sources are only read.
    """
    from ..bagit.serialize import ArchiveFormat

    tags = read_info_file(info_file) if info_file is not None else ()
    options = PackageOptions(
        images=images,
        metadata=metadata,
        profile=None if no_profile else profile,
        info=tags + tuple(parse_info_option(item) for item in info),
        algorithms=algorithms or DEFAULT_ALGORITHMS,
        serialize=ArchiveFormat(serialize) if serialize else None,
        processes=processes,
        allow_broken_images=allow_broken_images,
        created=created,
        report=report,
    )
    with terminate_as_interrupt():
        result = package_article(article, dest, options, progress=out.progress)
    render(out, result)
