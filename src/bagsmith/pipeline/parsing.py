"""Use case ``parse``: an article (text or saved page), its images and sidecar → the record.

Reads only; writes nothing anywhere.
"""

from __future__ import annotations

from pathlib import Path

from ..ingest import ParseResult, read_article
from ..ingest.formats import identifier, identify_all

__all__ = ["ParseResult", "identifier", "parse_article"]


def parse_article(
    article: str | Path,
    *,
    images: str | Path | None = None,
    metadata: str | Path | None = None,
    allow_broken_images: bool = False,
    identify_formats: bool = True,
) -> ParseResult:
    """The article record with every problem found (warnings inside the record).

    With ``identify_formats`` every image is identified against PRONOM (fido) and an image
    whose contents disagree with its extension is reported (``format-extension-mismatch``).

    Raises :class:`~bagsmith.errors.InputError` (unreadable article, broken images unless
    ``allow_broken_images``) or :class:`~bagsmith.errors.MetadataError` (invalid sidecar).
    """
    result = read_article(
        article, images_dir=images, metadata=metadata, allow_broken_images=allow_broken_images
    )
    if identify_formats and result.images:
        _, problems = identify_all(
            (info.path, Path(info.path), info.mime_type) for info in result.images
        )
        result.report.extend(problems)
    return result
