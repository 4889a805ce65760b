"""Use case ``parse``: an article (text or saved page), its images and sidecar → the record.

Reads only; writes nothing anywhere.
"""

from __future__ import annotations

from pathlib import Path

from ..ingest import ParseResult, read_article

__all__ = ["ParseResult", "parse_article"]


def parse_article(
    article: str | Path,
    *,
    images: str | Path | None = None,
    metadata: str | Path | None = None,
    allow_broken_images: bool = False,
) -> ParseResult:
    """The article record with every problem found (warnings inside the record).

    Raises :class:`~bagsmith.errors.InputError` (unreadable article, broken images unless
    ``allow_broken_images``) or :class:`~bagsmith.errors.MetadataError` (invalid sidecar).
    """
    return read_article(
        article, images_dir=images, metadata=metadata, allow_broken_images=allow_broken_images
    )
