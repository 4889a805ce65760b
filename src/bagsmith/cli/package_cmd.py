"""``bagsmith package``: an article and its photographs → one validated preservation bag."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import ProfileError
from ..pipeline.packaging import (
    DEFAULT_PROFILE,
    PackageOptions,
    PackageResult,
    package_article,
    resolve_profile,
)
from .common import Output, output_options, terminate_as_interrupt
from .options import (
    algorithm_option,
    allow_broken_images_option,
    archive_format,
    bag_info,
    chosen_algorithms,
    chosen_processes,
    chosen_profile,
    created_option,
    images_option,
    info_file_option,
    info_option,
    metadata_option,
    no_profile_option,
    output_option,
    parse_tag_files,
    processes_option,
    profile_option,
    profile_usage_error,
    serialize_option,
    tag_file_option,
)

F = TypeVar("F", bound=Callable[..., Any])


def package_build_options(func: F) -> F:
    """The options of everything that packages an article (``package``, ``capture``):
    --metadata, --profile, --no-profile, --info, --info-file, --tag-file, --algorithm,
    --serialize, --processes, in that order in --help."""
    for option in reversed(_PACKAGE_BUILD_OPTIONS):
        func = option(func)
    return func


_PACKAGE_BUILD_OPTIONS: list[Callable[[Any], Any]] = [
    metadata_option("; packaged as given"),
    profile_option(
        "BagIt profile the package must conform to (a bundled name, a file, or a cached "
        f"identifier) [default: the configuration file's, else {DEFAULT_PROFILE}].",
    ),
    no_profile_option("Do not check the package against any profile."),
    info_option("Add a bag-info.txt tag, repeatable (Source-Organization, Contact-Name …)."),
    info_file_option(),
    tag_file_option,
    algorithm_option(),
    serialize_option("Write one archive (DIR.zip, DIR.tar or DIR.tgz) instead of a folder."),
    processes_option("copying and hashing"),
]


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
        "  notes: " + notes_summary(result.note_counts()),
    ]
    if result.report:
        lines.append(f"  report: {result.report}")
    out.info("\n".join(lines))


def notes_summary(counts: dict[str, int]) -> str:
    """``1 info, 0 warnings (listed above)``: the warnings always, errors (only with
    --allow-broken-images) and info notes when there are any."""
    errors, warnings, infos = counts["error"], counts["warning"], counts["info"]
    parts = []
    if errors:
        parts.append(f"{errors} error{'' if errors == 1 else 's'}")
    if infos:
        parts.append(f"{infos} info")
    parts.append(f"{warnings} warning{'' if warnings == 1 else 's'}")
    listed = " (listed above)" if errors or warnings or infos else ""
    return ", ".join(parts) + listed


@click.command()
@click.argument("article", type=click.Path(path_type=Path))
@output_option("DIR")
@images_option()
@package_build_options
@allow_broken_images_option(
    "Go on when an image is truncated, corrupt, too large or misnamed (packaged as it "
    "is, and reported)."
)
@created_option()
@click.option(
    "--rights",
    metavar="URI",
    help="The article's rights statement or licence: a rightsstatements.org or Creative "
    "Commons URI (e.g. http://rightsstatements.org/vocab/InC/1.0/); written to PREMIS, MODS "
    "and Dublin Core. Overrides the sidecar's rights_uri.",
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
    profile: str | None,
    no_profile: bool,
    info: tuple[str, ...],
    info_file: Path | None,
    tag_files: tuple[str, ...],
    algorithms: tuple[str, ...],
    serialize: str | None,
    processes: int | None,
    allow_broken_images: bool,
    created: str | None,
    rights: str | None,
    report: Path | None,
    out: Output,
) -> None:
    """Package ARTICLE (a .txt file or a saved .html page) and its images
    as a validated BagIt bag at DIR.

    The bag holds the article (and its saved-page folder), the images, dc.xml, mets.xml, the
    article record (article.json) and the sidecar, in the layout of docs/tutorial.md. Nothing
    is written until the metadata and the profile's bag-info tags check out, and the bag is
    moved into place only after it validated (BagIt, profile, METS). Sources are only read.

    Exit codes: 0 packaged; 1 the package cannot be made as asked (sidecar, metadata, profile
    or validation problems; nothing is written); 2 usage error, unreadable input, an existing
    DIR, or a --profile that cannot be found or is not a valid profile; 130 interrupted.
    """
    name = chosen_profile(profile, no_profile, DEFAULT_PROFILE)
    try:  # --profile names nothing usable: a usage error, exit 2 (a bag that fails it: exit 1)
        chosen = None if name is None else resolve_profile(name)
    except ProfileError as exc:
        raise profile_usage_error(name, exc) from exc
    options = PackageOptions(
        images=images,
        metadata=metadata,
        profile=chosen,
        info=bag_info(info, info_file, configured=True),
        algorithms=chosen_algorithms(algorithms),
        serialize=archive_format(serialize),
        processes=chosen_processes(processes),
        allow_broken_images=allow_broken_images,
        created=created,
        report=report,
        tag_files=parse_tag_files(tag_files),
        rights_uri=rights,
    )
    with terminate_as_interrupt():
        result = package_article(article, dest, options, progress=out.progress)
    render(out, result)
