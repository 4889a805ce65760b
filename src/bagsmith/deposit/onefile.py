"""What the targets that take one file share (``s3://``, ``az://``, ``sword://``): the archive
a bag is sent as, its name under the target's prefix, and (object stores) the choice between
one archive and one object per file (:mod:`.tree`)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from ..errors import DepositError
from .base import DepositOptions, DepositResult, TransientError
from .directory import check_name
from .source import ArchiveCache, LocalBag

MIB = 1024 * 1024


def archive_to_send(
    archives: ArchiveCache,
    bag: LocalBag,
    options: DepositOptions,
    result: DepositResult,
    default_format: str,
) -> LocalBag:
    """The one file the bag is sent as (the bag itself when serialised, else an archive in
    the format asked for, else the target's), recorded in ``result``: its form, archive
    format and digests (``archive-md5``, ``archive-sha256``)."""
    archive = archives.archive_of(bag, options.serialise, options.archive_format or default_format)
    result.form = "archive" if bag.kind == "folder" else "file"
    result.identifiers["archive-format"] = str(archive.archive_format)
    digests = archive.digests[archive.files[0].relpath]
    result.checksums.update({"archive-md5": digests["md5"], "archive-sha256": digests["sha256"]})
    return archive


def name_under(prefix: str, name: str) -> str:
    """``PREFIX/NAME`` (``NAME`` alone without a prefix); ``name`` must be one path part."""
    name = check_name(name)
    return posixpath.join(prefix, name) if prefix else name


def objects_base(setting: bool, prefix: str, bag: LocalBag, options: DepositOptions) -> str | None:
    """``PREFIX/NAME`` to deposit the bag under as one object per file, or None to send one
    archive (``options.objects``, else the target's ``objects`` setting)."""
    if not (setting if options.objects is None else options.objects):
        return None
    return name_under(prefix, options.name or bag.name)


def chunk_size(size: int, configured: int, most: int) -> int:
    """The configured size of the chunks a file is uploaded in (S3 parts, Azure blocks),
    raised to whole MiB if the file would need more than ``most`` of them."""
    needed = -(-size // most)
    if needed <= configured:
        return configured
    return -(-needed // MIB) * MIB


def failures_mapped(failure: Callable[[Exception], Exception], run: Callable[[], None]) -> None:
    """Run one deposit attempt; an exception of the storage SDK becomes what ``failure``
    maps it to (a :class:`DepositError` with its reason, or a :class:`TransientError`)."""
    try:
        run()
    except (DepositError, TransientError):
        raise
    except Exception as exc:
        mapped = failure(exc)
        if mapped is exc:
            raise
        raise mapped from exc
