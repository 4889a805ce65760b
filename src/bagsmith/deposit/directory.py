"""``file:///path``: deposit into a folder (a mounted share, an Archivematica transfer source).

The bag is copied under a hidden temporary name in the destination folder, every file is read
back and digested, and only then is the copy renamed to its final name, so the final name
never holds a partial or damaged bag. An identical bag already there is verified and reported
as already present; a different one with the same name is refused.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path
from typing import IO, Any
from urllib.parse import SplitResult

from .. import interrupts
from .base import (
    ALREADY_PRESENT,
    DEPOSITED,
    DRY_RUN,
    UNVERIFIED,
    DepositOptions,
    DepositResult,
    Sent,
    TransientError,
    deposit_error,
)
from .source import LocalBag
from .verify import differences, read_back, require_identical

_PERMANENT = {
    errno.ENOSPC: "no-space",
    errno.EDQUOT: "no-space",
    errno.EACCES: "permission",
    errno.EPERM: "permission",
    errno.EROFS: "permission",
}


def check_name(name: str) -> str:
    if not name or name in {".", ".."} or "/" in name or "\\" in name or "\x00" in name:
        raise deposit_error("config", f"{name!r} cannot be used as a name at the destination")
    return name


def os_failure(exc: OSError, where: Path | str) -> Exception:
    """Map an OSError to a permanent deposit error or a transient one worth retrying."""
    reason = _PERMANENT.get(exc.errno or 0)
    text = exc.strerror or str(exc)
    if reason is not None:
        hint = {
            "no-space": "free some space or raise the quota, then deposit again",
            "permission": "the destination folder must be writable by you",
        }[reason]
        return deposit_error(
            reason, f"cannot write the deposit: {text}", path=str(where), hint=hint
        )
    return TransientError(f"{text} ({exc.__class__.__name__})", path=str(where))


def refuse_overlap(bag: Path, destination: Path, what: str) -> None:
    """Refuse a destination inside the bag, the bag inside the destination, or both the same
    (symbolic links resolved), before anything is written: a copy into its own source would
    change the bag while it is read, and a "copy" onto itself proves nothing."""
    src, dest = bag.resolve(), destination.resolve()
    if src == dest:
        problem = f"the {what} is the bag itself"
    elif src in dest.parents:
        problem = f"the {what} is inside the bag"
    elif dest in src.parents:
        problem = f"the bag is inside the {what}"
    else:
        return
    raise deposit_error(
        "config",
        f"{problem} ({dest}): a bag cannot be deposited into itself or onto itself",
        path=str(bag),
        hint="deposit to a folder outside the bag (or give another name with {name})",
    )


class DirectoryTarget:
    """A folder on a local or mounted file system."""

    def __init__(self, root: Path, display: str) -> None:
        self.root = root
        self.display = display

    def deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        if not self.root.is_dir():
            raise deposit_error(
                "config",
                "the destination folder does not exist",
                path=str(self.root),
                hint="create it first; bagsmith does not create deposit roots",
            )
        name = check_name(options.name or bag.name)
        final = self.root / name
        for local in bag.local_paths():
            refuse_overlap(local, final, "destination")
        result.location = final.as_uri()
        result.form = "folder" if bag.kind == "folder" else "file"
        if final.exists() or final.is_symlink():
            found = self.read_tree(bag, final)
            if differences(bag, found):
                raise deposit_error(
                    "conflict",
                    "a different bag with this name is already at the destination",
                    path=str(final),
                    hint="deposit it under another name ({name}), or remove the old one",
                )
            result.outcome, result.verified = ALREADY_PRESENT, True
            result.details.append("an identical bag is already there (verified, not copied)")
            return
        if options.dry_run:
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise deposit_error(
                    "permission", "the destination folder is not writable", path=str(self.root)
                )
            result.outcome = DRY_RUN
            result.details.append(f"would copy {len(bag.files)} file(s), {bag.size} bytes")
            return
        tmp = self.root / f".{name}.bagsmith-{uuid.uuid4().hex[:12]}.partial"
        try:
            self.copy(bag, tmp, options.sent)
            if options.verify:
                require_identical(bag, self.read_tree(bag, tmp), str(tmp))
            with interrupts.deferred():  # in place and recorded as such, or neither
                self.publish(tmp, final)
                interrupts.complete(final)
        except OSError as exc:
            raise os_failure(exc, final) from exc
        finally:
            _remove(tmp)
        result.verified = options.verify
        result.outcome = DEPOSITED if options.verify else UNVERIFIED

    def copy(self, bag: LocalBag, tmp: Path, sent: Sent) -> None:
        sent.start(bag.size)
        if bag.kind == "archive":
            copy_file(bag.files[0].path, tmp, sent)
            return
        tmp.mkdir()
        for f in bag.files:
            dest = tmp.joinpath(*f.relpath.split("/"))
            dest.parent.mkdir(parents=True, exist_ok=True)
            copy_file(f.path, dest, sent)

    def read_tree(self, bag: LocalBag, where: Path) -> dict[str, dict[str, str] | None]:
        """Digest what is at ``where`` (a bag folder or an archive file), keyed like the bag."""
        if bag.kind == "archive":
            if not where.is_file():
                return {}
            key = bag.files[0].relpath
            return read_back(bag, [key], lambda _rel: open(where, "rb"))
        if not where.is_dir():
            return {}
        present = [
            Path(d, n).relative_to(where).as_posix()
            for d, _dirs, names in os.walk(where)
            for n in names
        ]

        def opener(relpath: str) -> IO[bytes]:
            return open(where.joinpath(*relpath.split("/")), "rb")

        found = read_back(bag, present, opener)
        for f in bag.files:
            found.setdefault(f.relpath, None)
        return found

    @staticmethod
    def publish(tmp: Path, final: Path) -> None:
        """Give the verified copy its final name, never replacing something already there."""
        if tmp.is_dir():
            os.rename(tmp, final)  # fails if final is a non-empty folder
            return
        os.link(tmp, final)  # fails if final exists, unlike rename


def copy_file(src: Path, dest: Path, sent: Sent | None = None) -> None:
    """Copy one file's bytes (counted by ``sent``) and flush them to the storage."""
    with open(src, "rb") as fin, open(dest, "xb") as fout:
        while block := fin.read(8 * 1024 * 1024):
            fout.write(block)
            if sent is not None:
                sent.add(len(block))
        fout.flush()
        os.fsync(fout.fileno())


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def from_settings(url: SplitResult, settings: dict[str, Any], display: str) -> DirectoryTarget:
    from .registry import url_path

    unknown = set(settings)
    if unknown:
        raise deposit_error(
            "config", "unknown setting(s) for file://: " + ", ".join(sorted(unknown))
        )
    return DirectoryTarget(url_path(url), display)
