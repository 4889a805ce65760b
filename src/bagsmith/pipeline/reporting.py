"""Use case ``report``: one self-contained HTML page about a bag, for archivists and curators.

Gathers what the page shows (bag metadata, file listing, the article record when the bag has
one, thumbnails, the validation result, the deposit history) and renders it with
:func:`bagsmith.report.render_html`. The bag is only read; the page is written to a temporary
file next to its destination and renamed into place when complete.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema

from .. import __version__, limits
from ..bagit.declaration import read_declaration
from ..bagit.manifest import split_manifest_name
from ..bagit.reader import BagReader, FileEntry, open_bag
from ..bagit.validate import BagValidation, Mode
from ..errors import DestinationError, InputError, UsageError
from ..ingest.images import is_image_name
from ..ingest.thumbnails import Thumbnail, ThumbnailError, make_thumbnail
from ..problems import Report
from ..report import DepositRow, FileRow, ReportInput, Thumb, render_html
from ..resources import json_schema
from .progress import ProgressFactory
from .validation import validate_bags

ARTICLE_RECORD = "data/metadata/article.json"
ARTICLE_SCHEMA = "article.schema.json"
MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_FILES = 10_000  # payload files listed on the page
MAX_THUMBNAILS = 1_000  # images shown as thumbnails (figures first)
MAX_ARCHIVED_IMAGE_BYTES = 256 * 1024 * 1024  # an archive member is read into memory


@dataclass(frozen=True)
class ReportResult:
    """What was written: where, how big, and the headline facts shown on the page."""

    bag: str
    html: str
    bytes: int
    valid: bool | None  # None when the bag was not validated
    counts: dict[str, int] = field(default_factory=dict)
    files: int = 0
    figures: int | None = None  # None when the bag has no article record
    thumbnails: int = 0
    deposits: int = 0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "bag": self.bag,
            "html": self.html,
            "bytes": self.bytes,
            "valid": self.valid,
            "counts": dict(self.counts),
            "files": self.files,
            "figures": self.figures,
            "thumbnails": self.thumbnails,
            "deposits": self.deposits,
            "notes": list(self.notes),
        }


@dataclass
class _Gathered:
    data: ReportInput
    validation: BagValidation | None


def gather_report(
    bag: str | Path,
    *,
    validate: bool = True,
    mode: Mode = Mode.FULL,
    processes: int | None = None,
    validation: BagValidation | None = None,
    deposits: bool = True,
    deposit_dir: Path | None = None,
    max_files: int = MAX_FILES,
    max_thumbnails: int = MAX_THUMBNAILS,
    progress: ProgressFactory | None = None,
) -> ReportInput:
    """Everything the page shows about ``bag`` (a folder or a .zip/.tar/.tgz bag).

    ``validation`` is a result the caller already has (``package`` validates what it made);
    otherwise the bag is validated in ``mode`` unless ``validate`` is false. Raises
    :class:`InputError` when the bag cannot be read at all.
    """
    return _gather(
        bag, validate, mode, processes, validation, deposits, deposit_dir, max_files,
        max_thumbnails, progress,
    ).data  # fmt: skip


def _gather(
    bag: str | Path, validate: bool, mode: Mode, processes: int | None,
    validation: BagValidation | None, deposits: bool, deposit_dir: Path | None, max_files: int,
    max_thumbnails: int, progress: ProgressFactory | None,
) -> _Gathered:  # fmt: skip
    path = Path(bag)
    reader = open_bag(path, hash_payload=False)  # digests come from validation
    notes: list[str] = []
    decl = read_declaration(reader, Report(str(path)))
    tag_entries = reader.tag_files()
    payload_entries = list(reader.payload_files())
    regular = [e for e in payload_entries if e.special is None]
    article = _article(reader, {e.path for e in regular}, notes)
    listed = payload_entries[:max_files]
    thumbs, failed = _thumbnails(reader, regular, listed, article, max_thumbnails, notes)
    if validation is None and validate:
        run = validate_bags([path], mode=mode, processes=processes, progress=progress)
        if run.unreadable:
            raise run.unreadable[0].error
        validation = run.bags[0]
    data = ReportInput(
        name=path.resolve().name or str(path),
        location=str(path.resolve()),
        bag_format=reader.format,
        generated=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        tool=f"bagsmith {__version__}",
        bagit_version=decl.version if decl else None,
        tag_encoding=decl.encoding if decl and decl.version else None,
        bag_info=tuple((t.label, t.value) for t in decl.bag_info) if decl else (),
        payload_algorithms=_algorithms(tag_entries, tag=False),
        tag_algorithms=_algorithms(tag_entries, tag=True),
        payload=tuple(_row(e, failed.get(e.path)) for e in listed),
        payload_total=(len(regular), sum(e.size for e in regular)),
        tag_files=tuple(_row(e, None) for e in tag_entries),
        files_omitted=len(payload_entries) - len(listed),
        thumbnails=thumbs,
        article=article,
        validation=validation.to_dict() if validation is not None else None,
        validation_note=None if validation is not None else "validation was not asked for",
        deposits=_deposits(path, deposit_dir, notes) if deposits else None,
        notes=tuple(notes),
    )
    return _Gathered(data, validation)


def build_report(bag: str | Path, **options: Any) -> str:
    """The page for ``bag`` as HTML text (keyword options as for :func:`gather_report`)."""
    return render_html(gather_report(bag, **options))


def write_report(
    bag: str | Path,
    html_path: str | Path,
    *,
    validate: bool = True,
    mode: Mode = Mode.FULL,
    processes: int | None = None,
    validation: BagValidation | None = None,
    deposits: bool = True,
    deposit_dir: Path | None = None,
    max_files: int = MAX_FILES,
    max_thumbnails: int = MAX_THUMBNAILS,
    progress: ProgressFactory | None = None,
) -> ReportResult:
    """Write the page for ``bag`` to ``html_path`` atomically (temporary file, then rename).

    Options as for :func:`gather_report`. Raises :class:`UsageError` when ``html_path`` is
    inside the bag (that would change the bag), :class:`DestinationError` when it cannot be
    written; nothing half-written is ever left at ``html_path``.
    """
    target = Path(html_path)
    _check_destination(Path(bag), target)
    gathered = _gather(
        bag, validate, mode, processes, validation, deposits, deposit_dir, max_files,
        max_thumbnails, progress,
    )  # fmt: skip
    text = render_html(gathered.data)
    size = _write_atomically(target, text.encode("utf-8"))
    data, checked = gathered.data, gathered.validation
    figures = data.article.get("figures") if data.article is not None else None
    return ReportResult(
        bag=data.location,
        html=str(target),
        bytes=size,
        valid=checked.valid if checked is not None else None,
        counts=checked.counts() if checked is not None else {},
        files=data.payload_total[0],
        figures=len(figures) if figures is not None else None,
        thumbnails=len(data.thumbnails),
        deposits=len(data.deposits or ()),
        notes=data.notes,
    )


# --- the bag's parts ---------------------------------------------------------------------------


def _algorithms(entries: Iterable[FileEntry], *, tag: bool) -> tuple[str, ...]:
    found = []
    for entry in entries:
        split = split_manifest_name(entry.path) if "/" not in entry.path else None
        if split is not None and split[0] == tag:
            found.append(split[1])
    return tuple(sorted(found))


def _row(entry: FileEntry, note: str | None) -> FileRow:
    name = PurePosixPath(entry.path).name
    if entry.special is not None:
        note = f"not a regular file ({entry.special}); not read"
    return FileRow(
        path=entry.path,
        size=entry.size,
        media_type=mimetypes.guess_type(name, strict=False)[0],
        note=note,
    )


def _article(reader: BagReader, payload: set[str], notes: list[str]) -> dict[str, Any] | None:
    """The article record, checked against its schema; None (with a note) when unusable."""
    if ARTICLE_RECORD not in payload:
        return None
    where = ARTICLE_RECORD
    try:
        with reader.open(where) as fh:
            raw = fh.read(MAX_RECORD_BYTES + 1)
    except OSError as exc:
        notes.append(f"{where} cannot be read ({exc}); the files are listed instead")
        return None
    if len(raw) > MAX_RECORD_BYTES:
        notes.append(f"{where} is over {MAX_RECORD_BYTES} bytes; not read as an article record")
        return None
    try:
        data = limits.load_json(raw.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON, or nested too deep
        notes.append(f"{where} is not valid JSON ({exc}); the files are listed instead")
        return None
    validator = jsonschema.Draft202012Validator(json_schema(ARTICLE_SCHEMA))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        field_path = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        notes.append(
            f"{where} does not match {ARTICLE_SCHEMA} at {field_path}: {errors[0].message}; "
            "the files are listed instead"
        )
        return None
    return data  # type: ignore[no-any-return]


def _thumbnails(
    reader: BagReader,
    regular: list[FileEntry],
    listed: list[FileEntry],
    article: dict[str, Any] | None,
    limit: int,
    notes: list[str],
) -> tuple[dict[str, Thumb], dict[str, str]]:
    """Thumbnails of figure images first, then of the other listed images; why some failed."""
    sizes = {e.path: e.size for e in regular}
    wanted: list[str] = []
    for fig in (article or {}).get("figures") or []:
        image = fig.get("image") or {}
        path = image.get("path")
        if isinstance(path, str) and path in sizes and path not in wanted:
            wanted.append(path)
    seen = set(wanted)
    wanted += [
        e.path
        for e in listed
        if e.special is None and e.path not in seen and is_image_name(Path(e.path))
    ]
    if len(wanted) > limit:
        notes.append(f"{len(wanted)} images; only the first {limit} are shown as thumbnails")
        wanted = wanted[:limit]
    failed: dict[str, str] = {}

    def one(path: str) -> tuple[str, Thumbnail | str]:
        if reader.serialized and sizes[path] > MAX_ARCHIVED_IMAGE_BYTES:
            return path, "too large to preview from inside an archive"
        try:
            with reader.open(path) as fh:
                return path, make_thumbnail(fh)
        except ThumbnailError as exc:
            return path, f"no preview: {exc}"
        except OSError as exc:
            return path, f"no preview: cannot read the file ({exc})"

    if reader.serialized:
        results = [one(p) for p in wanted]
    else:
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            results = list(pool.map(one, wanted))
    thumbs: dict[str, Thumb] = {}
    for path, result in results:
        if isinstance(result, str):
            failed[path] = result
        else:
            thumbs[path] = Thumb(
                result.data_uri, result.width, result.height, result.source_format,
                result.source_width, result.source_height, result.source_mode,
            )  # fmt: skip
    return thumbs, failed


def _deposits(bag: Path, folder: Path | None, notes: list[str]) -> tuple[DepositRow, ...] | None:
    """This bag's entries in the deposit record (matched by the bag's resolved path)."""
    try:
        from ..deposit import record
    except ImportError:  # pragma: no cover - the deposit subsystem is part of bagsmith
        return None
    try:
        entries = record.read(folder)
    except InputError as exc:
        notes.append(f"the deposit record cannot be read: {exc}")
        return None
    wanted = str(bag.resolve())
    rows = []
    for e in entries:
        if e.get("bag") != wanted:
            continue
        error = e.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        identifiers = e.get("identifiers")
        ids = sorted(identifiers.items()) if isinstance(identifiers, dict) else []
        rows.append(
            DepositRow(
                started=str(e.get("started") or ""),
                finished=str(e["finished"]) if e.get("finished") else None,
                target=str(e.get("target") or ""),
                outcome=str(e.get("outcome") or "unknown"),
                verified=e.get("verified") is True,
                location=str(e["location"]) if e.get("location") else None,
                identifiers=tuple((str(k), str(v)) for k, v in ids),
                error=str(message) if message else None,
            )
        )
    return tuple(rows)


# --- writing -----------------------------------------------------------------------------------


def _check_destination(bag: Path, target: Path) -> None:
    if target.is_dir():
        raise DestinationError("the report path is a folder; give a file name", path=target)
    parent = target.parent
    if not parent.is_dir():
        raise DestinationError(
            "the folder for the report does not exist", path=parent, hint="create it first"
        )
    resolved_bag = bag.resolve()
    resolved = parent.resolve() / target.name
    if resolved == resolved_bag or resolved_bag in resolved.parents:
        raise UsageError(
            "the report would be written inside the bag and change it; write it elsewhere",
            path=target,
        )


def _write_atomically(target: Path, data: bytes) -> int:
    parent = target.parent
    try:
        fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise DestinationError(
            f"cannot write in the report's folder: {exc.strerror or exc}", path=parent
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DestinationError(
                f"cannot write the report: {exc.strerror or exc}", path=target
            ) from exc
        raise
    return len(data)


__all__ = [
    "ARTICLE_RECORD",
    "ReportResult",
    "build_report",
    "gather_report",
    "write_report",
]
