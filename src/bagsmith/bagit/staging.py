"""Write beside the destination, then rename into place: no half-written bag at DEST, ever.

A bag is built in ``.<DEST name>.bagsmith-staging-<pid>`` in DEST's parent folder (same file
system, so the final rename is atomic). Data is flushed to disk (``syncfs``) before the rename;
the flush may start early, in a thread (:class:`Flush`), once the bag is complete and while it is
only read (the checks before the rename), and the rename waits for it.
On an error or an interrupt the staging folder is removed; after a hard kill it may stay
behind, and the next run for the same DEST removes staging folders whose process is gone
(exited, or killed and not yet reaped by its parent).
Archives are written the same way to ``.<name>.bagsmith-partial-<pid>`` and linked into place
(a link never replaces an existing file).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import threading
from collections.abc import Collection
from pathlib import Path

from ..errors import DestinationError

STAGING = ".bagsmith-staging-"
PARTIAL = ".bagsmith-partial-"


def staging_path(dest: Path) -> Path:
    return dest.parent / f".{dest.name}{STAGING}{os.getpid()}"


def partial_path(dest: Path) -> Path:
    return dest.parent / f".{dest.name}{PARTIAL}{os.getpid()}"


def pid_alive(pid: int) -> bool:
    """Whether the process ``pid`` may still write: a zombie (killed, not yet reaped by its
    parent) answers ``kill(pid, 0)`` but will never write again, so it counts as gone."""
    if pid == os.getpid():
        return False  # a leftover from an earlier process that had our pid: not in use
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:  # Linux: the state letter follows the parenthesised command name
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False  # no /proc (or it went away meanwhile): the kill above decides
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state in (b"Z", b"X")


#: a leftover of a run that writes ``DEST``: ``.<DEST's name><STAGING or PARTIAL><pid>``
_LEFTOVER = re.compile(
    r"^\.(?P<name>.+)(?:" + re.escape(STAGING) + "|" + re.escape(PARTIAL) + r")(?P<pid>\d+)$"
)


def remove_stale(dest: Path) -> list[Path]:
    """Remove staging folders and partial archives for DEST left by processes that are gone."""
    return remove_stale_in(dest.parent, {dest.name}).get(dest.name, [])


def remove_stale_in(folder: Path, names: Collection[str] | None = None) -> dict[str, list[Path]]:
    """Remove the staging folders and partial archives in ``folder`` (for destinations named in
    ``names`` only, when given) left by processes that are gone, by the destination's name.
    One listing of ``folder``: a batch sweeps its output folder once, where each bag's own
    sweep would list a folder of N bags N times."""
    removed: dict[str, list[Path]] = {}
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in sorted(entries):
        m = _LEFTOVER.match(entry)
        if not m or (names is not None and m.group("name") not in names):
            continue
        if pid_alive(int(m.group("pid"))):
            continue
        path = folder / entry
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.setdefault(m.group("name"), []).append(path)
    return removed


def check_destination(dest: Path, *, allow_empty_dir: bool = True) -> None:
    """DEST must not exist, except (for a bag folder) as an empty folder, which is replaced."""
    if not os.path.lexists(dest):
        return
    if allow_empty_dir and dest.is_dir() and not dest.is_symlink() and not any(dest.iterdir()):
        return
    raise DestinationError(
        "the destination exists already"
        + (" and is not an empty folder" if allow_empty_dir else ""),
        path=dest,
        hint="choose another {output}, or remove it first",
    )


def make_parent(dest: Path) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DestinationError(
            f"cannot create the folder: {exc.strerror}", path=dest.parent
        ) from None


def create_dir(path: Path) -> None:
    try:
        path.mkdir()
    except OSError as exc:
        raise DestinationError(f"cannot create the folder: {exc.strerror}", path=path) from None


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink(missing_ok=True)


_libc: ctypes.CDLL | None = None


def sync_filesystem(path: Path) -> None:
    """Flush everything written to the file system holding ``path`` (one call, not per file)."""
    global _libc
    fd = os.open(path, os.O_RDONLY)
    try:
        if sys.platform.startswith("linux"):  # syncfs(2) flushes just this file system
            try:
                if _libc is None:
                    _libc = ctypes.CDLL(None, use_errno=True)
                if _libc.syncfs(fd) == 0:
                    return
            except (OSError, AttributeError):
                pass
        os.fsync(fd)
        os.sync()
    finally:
        os.close(fd)


class Flush:
    """:func:`sync_filesystem` of ``path`` in a thread of its own, started once everything of a
    staged bag is written: the wait for the disk (a few ms a bag, off the CPU) overlaps the checks
    that only read the bag. :func:`commit_dir` waits for it (and raises its error) before the
    rename; nothing may be written into the folder once it has started. The thread holds no lock
    of ours; start it only where no process is forked meanwhile."""

    def __init__(self, path: Path) -> None:
        self._error: OSError | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path,), name="bagsmith-flush", daemon=True
        )
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            sync_filesystem(path)
        except OSError as exc:
            self._error = exc

    def wait(self) -> None:
        """Until the flush is done; its OSError, if it failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_dir(
    staging: Path, dest: Path, flush: Flush | None = None, *, sync_parent: bool = True
) -> None:
    """Flush and rename a finished staging folder to DEST (an empty folder at DEST is replaced);
    with ``flush`` (started on ``staging`` when it was complete), wait for that one instead.
    ``sync_parent=False``: the caller makes the rename durable itself (``fsync`` of DEST's
    folder) before it tells anyone the bag is there."""
    if flush is None:
        sync_filesystem(staging)
    else:
        flush.wait()
    try:
        os.rename(staging, dest)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise DestinationError(
                "the destination appeared while the bag was being written", path=dest
            ) from None
        raise DestinationError(
            f"cannot move the bag into place: {exc.strerror}", path=dest
        ) from None
    if sync_parent:
        fsync_dir(dest.parent)


def commit_file(partial: Path, dest: Path, *, sync_parent: bool = True) -> None:
    """Flush and move a finished file to DEST without ever replacing an existing DEST
    (``sync_parent``: as for :func:`commit_dir`)."""
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(partial, dest)
    except FileExistsError:
        raise DestinationError(
            "the destination appeared while the archive was being written", path=dest
        ) from None
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(dest):
            raise DestinationError("the destination exists already", path=dest) from None
        os.rename(partial, dest)
    else:
        os.unlink(partial)
    if sync_parent:
        fsync_dir(dest.parent)
