"""Where a new bag goes, and the staging around it: shared by ``bag`` and ``package``.

A bag is built in a staging folder beside its destination (a folder, or an archive made from
the staged folder) and moved into place only when complete; leftovers of killed runs are
removed first; whatever happens, the staging folder and a partial archive are removed.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from .. import interrupts
from . import staging
from .serialize import ArchiveFormat, archive_names, write_archive


@dataclass(frozen=True)
class Target:
    """A bag folder, or an archive built from a staged folder."""

    dest: Path  # what the user asked for (absolute)
    bag_dir: Path  # the folder the bag is staged for (its name is the bag's name)
    archive: Path | None
    fmt: ArchiveFormat | None

    @property
    def final(self) -> Path:
        return self.archive or self.dest


def resolve(output: Path, fmt: ArchiveFormat | None) -> Target:
    """The target for ``output`` (``output.zip`` … with ``fmt``); refuses an existing one."""
    dest = Path(os.path.abspath(output))
    if fmt is None:
        staging.check_destination(dest)
        return Target(dest, dest, None, None)
    archive, name = archive_names(dest, fmt)
    staging.check_destination(archive, allow_empty_dir=False)
    return Target(dest, archive.with_name(name), archive, fmt)


class Stage:
    """The staging folder of one run (``.path``) and the stale leftovers it removed
    (``remove_stale=False``: none; the caller sweeps the folder itself, as a batch does)."""

    def __init__(self, target: Target, *, remove_stale: bool = True) -> None:
        self.target = target
        staging.make_parent(target.bag_dir)
        self.stale: list[Path] = []
        if remove_stale:
            self.stale = staging.remove_stale(target.bag_dir) + (
                staging.remove_stale(target.archive) if target.archive else []
            )
        self.path = staging.staging_path(target.bag_dir)
        self.partial = staging.partial_path(target.archive) if target.archive else None
        self._flush: staging.Flush | None = None

    def create(self) -> Path:
        staging.create_dir(self.path)
        return self.path

    def flush_early(self) -> None:
        """The staged bag is complete and will only be read until :meth:`commit`: start flushing
        it to disk now (a bag folder; an archive is flushed as itself). The caller forks no
        process until then (the flush runs in a thread)."""
        if self.target.archive is None and self._flush is None:
            self._flush = staging.Flush(self.path)

    def commit(self, epoch: int | None, *, sync_parent: bool = True) -> None:
        """Move the complete bag into place: rename the folder, or write and link the archive
        (``sync_parent=False``: the caller ``fsync`` s the destination's folder itself)."""
        target = self.target
        if target.archive is not None and self.partial is not None and target.fmt is not None:
            write_archive(self.path, self.partial, target.fmt, target.bag_dir.name, epoch)
            with interrupts.deferred():  # in place and recorded as such, or neither
                staging.commit_file(self.partial, target.archive, sync_parent=sync_parent)
                interrupts.complete(target.archive)
        else:
            with interrupts.deferred():
                staging.commit_dir(self.path, target.dest, self._flush, sync_parent=sync_parent)
                interrupts.complete(target.dest)

    def clean(self) -> None:
        """Remove the staging folder and a partial archive (a no-op after a commit)."""
        staging.remove(self.path)
        if self.partial is not None:
            staging.remove(self.partial)
        flush, self._flush = self._flush, None
        if flush is not None:  # the thread does not outlive the run (its error is moot now)
            with contextlib.suppress(OSError):
                flush.wait()
