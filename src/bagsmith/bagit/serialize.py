"""Serialise a bag folder into one deterministic zip, tar or tar.gz archive.

Same bag, same bytes: members come in a fixed order (below), owners are 0/0 with no names,
permissions are fixed (folders 0755, files 0644), the gzip header carries no name and no time,
and member times are the files' own modification times, clamped to
``SOURCE_DATE_EPOCH`` when it is set (as ``tar --clamp-mtime`` does). The archive holds one top
folder named after the bag, as RFC 8493 §4.2 (serialisation) asks.

Member order: the tag files first — ``bagit.txt``, ``bag-info.txt``, the payload manifests,
``fetch.txt``, any other tag files and tag folders, the tag manifests — then ``data/``. Each group
is sorted by path, each folder comes before its contents. A streaming reader therefore knows every
manifest before the first payload byte and checks a tar in one pass.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

from ..errors import UsageError

_COPY_BUFFER = 1024 * 1024
_ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip member can carry


class ArchiveFormat(StrEnum):
    ZIP = "zip"
    TAR = "tar"
    TGZ = "tgz"


SUFFIXES: dict[ArchiveFormat, tuple[str, ...]] = {
    ArchiveFormat.ZIP: (".zip",),
    ArchiveFormat.TAR: (".tar",),
    ArchiveFormat.TGZ: (".tgz", ".tar.gz"),
}


def archive_names(dest: Path, fmt: ArchiveFormat) -> tuple[Path, str]:
    """(archive path, bag name): ``out/x`` → ``out/x.zip`` holding ``x/``; ``x.zip`` is kept."""
    for suffix in SUFFIXES[fmt]:
        if dest.name.lower().endswith(suffix) and len(dest.name) > len(suffix):
            return dest, dest.name[: -len(suffix)]
    return dest.with_name(dest.name + SUFFIXES[fmt][0]), dest.name


@dataclass(frozen=True)
class Member:
    name: str  # archive path, '/'-separated, folders without a trailing slash
    path: Path
    is_dir: bool
    size: int
    mtime: int


def members(root: Path, top: str, clamp: int | None) -> Iterator[Member]:
    """Every folder and file of the bag: tag files first, then the payload (see above)."""
    yield Member(top, root, True, 0, _mtime(os.stat(root), clamp))
    yield from _children(root, top, clamp, key=_top_rank)


def _top_rank(name: str) -> tuple[int, str]:
    """Where a top-level entry of the bag goes (``name`` ends with ``/`` for folders)."""
    if name == "bagit.txt":
        return 0, name
    if name == "bag-info.txt":
        return 1, name
    if name.startswith("manifest-"):
        return 2, name
    if name == "fetch.txt":
        return 3, name
    if name.startswith("tagmanifest-"):
        return 5, name
    if name == "data/":
        return 6, name
    return 4, name


def _mtime(st: os.stat_result, clamp: int | None) -> int:
    t = int(st.st_mtime)
    return min(t, clamp) if clamp is not None else t


def _children(
    folder: Path,
    name: str,
    clamp: int | None,
    key: Callable[[str], tuple[int, str]] | None = None,
) -> Iterator[Member]:
    entries: list[tuple[str, str, bool, os.stat_result]] = []
    with os.scandir(folder) as it:
        for entry in it:
            est = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(est.st_mode):
                entries.append((entry.name + "/", entry.name, True, est))
            elif stat.S_ISREG(est.st_mode):
                entries.append((entry.name, entry.name, False, est))
            else:
                raise UsageError(
                    "only folders and regular files can be serialised", path=entry.path
                )
    entries.sort(key=(lambda e: key(e[0])) if key is not None else (lambda e: e[0]))
    for _key, ename, is_dir, est in entries:
        child = Member(f"{name}/{ename}", folder / ename, is_dir, est.st_size, _mtime(est, clamp))
        yield child
        if is_dir:
            yield from _children(child.path, child.name, clamp)


def _write_zip(fh: IO[bytes], items: Iterator[Member]) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for m in items:
            when = time.gmtime(max(m.mtime, _ZIP_EPOCH))[:6]
            info = zipfile.ZipInfo(m.name + "/" if m.is_dir else m.name, date_time=when)
            info.create_system = 3  # Unix, so the permission bits below are read
            if m.is_dir:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
                continue
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = m.size
            with (
                open(m.path, "rb") as src,
                zf.open(info, "w", force_zip64=m.size >= zipfile.ZIP64_LIMIT) as dst,
            ):
                shutil.copyfileobj(src, dst, _COPY_BUFFER)


def _write_tar(fh: IO[bytes], items: Iterator[Member]) -> None:
    with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for m in items:
            info = tarfile.TarInfo(m.name)
            info.mtime = m.mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if m.is_dir:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tf.addfile(info)
            else:
                info.type = tarfile.REGTYPE
                info.mode = 0o644
                info.size = m.size
                with open(m.path, "rb") as src:
                    tf.addfile(info, src)


def write_archive(bag: Path, target: Path, fmt: ArchiveFormat, top: str, clamp: int | None) -> None:
    """Write ``bag`` as an archive at ``target`` (a new file), with ``top`` as its one folder."""
    items = members(bag, top, clamp)
    with open(target, "xb") as raw:
        if fmt is ArchiveFormat.ZIP:
            _write_zip(raw, items)
        elif fmt is ArchiveFormat.TAR:
            _write_tar(raw, items)
        else:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                _write_tar(gz, items)  # type: ignore[arg-type]
