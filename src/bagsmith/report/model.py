"""What the HTML report shows, as plain data (no I/O): filled by ``pipeline.reporting``.

Every string here may come from the bag (file names, tag values, captions) and is treated as
untrusted text by the renderer. ``article`` is the article record as JSON data (it has been
checked against ``schemas/article.schema.json`` before it gets here); ``validation`` is one bag's
entry of the validation report (``schemas/validation-report.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Thumb:
    """An embedded thumbnail (a ``data:image/…`` URI) and what the image file is."""

    uri: str
    width: int
    height: int
    source_format: str | None = None
    source_width: int | None = None
    source_height: int | None = None
    source_mode: str | None = None


@dataclass(frozen=True)
class FileRow:
    """One file of the bag: bag-relative path, size, media type guessed from its name."""

    path: str
    size: int
    media_type: str | None = None
    note: str | None = None  # e.g. why an image has no thumbnail


@dataclass(frozen=True)
class DepositRow:
    """One recorded deposit of the bag (from the deposit record)."""

    started: str
    finished: str | None
    target: str
    outcome: str
    verified: bool
    location: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class ReportInput:
    """Everything the page shows about one bag."""

    name: str  # the bag's folder or file name
    location: str  # where it was read from
    bag_format: str  # folder | zip | tar | tgz
    generated: str  # ISO 8601 time the report was made
    tool: str  # "bagsmith 1.2.3"
    bagit_version: str | None = None
    tag_encoding: str | None = None
    bag_info: tuple[tuple[str, str], ...] = ()  # (label, value) in file order
    payload_algorithms: tuple[str, ...] = ()
    tag_algorithms: tuple[str, ...] = ()
    payload: tuple[FileRow, ...] = ()
    payload_total: tuple[int, int] = (0, 0)  # (files, bytes) of the whole payload
    tag_files: tuple[FileRow, ...] = ()
    files_omitted: int = 0  # payload files left out of the listing (over the limit)
    thumbnails: dict[str, Thumb] = field(default_factory=dict)  # bag-relative path -> thumbnail
    article: dict[str, Any] | None = None
    validation: dict[str, Any] | None = None
    validation_note: str | None = None  # why there is no validation result
    deposits: tuple[DepositRow, ...] | None = None  # None: the deposit record was not read
    notes: tuple[str, ...] = ()  # what could not be shown, and why
