"""A small deterministic tar writer for targets that take one file (S3, SWORD).

Stand-in until the BagIt engine's serialiser is wired in by the pipeline: a bag folder becomes
``NAME.tar`` with one top folder ``NAME/``, members sorted, owner 0/0 without names, modes
0644/0755 and a fixed modification time, so the same bag always gives the same bytes (and
so the same checksums) and an identical re-deposit can be recognised.
"""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

from .source import LocalBag, load_bag

#: Modification time written for every member (BagIt carries no file times).
FIXED_MTIME = 946684800  # 2000-01-01T00:00:00Z


def _info(name: str, *, size: int = 0, folder: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if folder:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.mode = 0o644
    return info


def write_tar(bag: LocalBag, dest: Path) -> Path:
    """Serialise a bag folder to ``dest`` (an uncompressed POSIX pax tar)."""
    folders: set[str] = {bag.name}
    for f in bag.files:
        parts = f.relpath.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folders.add(f"{bag.name}/{'/'.join(parts[:i])}")
    entries: list[tuple[str, Path | None, int]] = [(d, None, 0) for d in folders]
    entries += [(f"{bag.name}/{f.relpath}", f.path, f.size) for f in bag.files]
    entries.sort(key=lambda e: e[0])
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tf:
        for name, path, size in entries:
            if path is None:
                tf.addfile(_info(name, folder=True))
                continue
            with open(path, "rb") as fh:
                tf.addfile(_info(name, size=size), fh)
    return dest


class Serialiser:
    """Gives a target one serialised file for a bag, made once however many attempts."""

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._made: dict[Path, LocalBag] = {}

    def archive_of(self, bag: LocalBag) -> LocalBag:
        """The bag itself if it is already serialised, else a tar made in a temporary folder."""
        if bag.kind == "archive":
            return bag
        if bag.path not in self._made:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="bagsmith-deposit-")
            dest = write_tar(bag, Path(self._tmp.name) / f"{bag.name}.tar")
            made = load_bag(dest)
            made.digest()
            self._made[bag.path] = made
        return self._made[bag.path]

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._made.clear()
