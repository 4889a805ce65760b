"""Read serialised bags (zip, tar, tar.gz) by streaming: nothing is ever extracted to disk.

* **zip** is random access: the central directory lists every member, and each member is
  decompressed as a stream when it is read.
* **tar** (plain or compressed) is read sequentially with :mod:`tarfile` in stream mode
  (``r|*``). One *scan* reads every header, keeps the content of small tag-file candidates
  (members not under ``data/``) in memory and — once the manifests have been seen, when they
  come before the payload as bagsmith writes them — hashes every other member in the same
  pass. A second pass (:meth:`Archive.digests`) is only needed when the manifests come after
  the payload or name algorithms the scan did not compute.

Unsafe members (``..``, absolute paths, ``~``, links, devices, FIFOs) are reported and never
read. Compression bombs are caught twice: by the declared ratio (zip) and by counting the bytes
actually decompressed against the compressed bytes consumed (every format).
"""

from __future__ import annotations

import hashlib
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .manifest import split_manifest_name, unsafe_reason

#: A member decompressing to more than MAX_RATIO times its compressed size is a bomb …
MAX_RATIO = 1000
#: … once it is larger than this (tiny members compress absurdly well and are harmless).
BOMB_FLOOR = 64 * 1024 * 1024
#: Tag-file candidates larger than this are not kept in memory (they are streamed instead).
MAX_TAG_BYTES = 256 * 1024 * 1024
CHUNK = 1024 * 1024
#: What reading a damaged archive can raise.
READ_ERRORS = (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, zlib.error, ValueError)

ARCHIVE_SUFFIXES = {".zip": "zip", ".tar": "tar", ".tgz": "tgz", ".gz": "tgz"}


@dataclass(frozen=True)
class ArchiveProblem:
    code: str  # archive-unreadable | archive-member-unsafe | archive-bomb
    message: str
    path: str | None = None


class ArchiveAbort(Exception):
    """Reading stopped: the archive is unreadable or a bomb (the problem says which)."""

    def __init__(self, problem: ArchiveProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def detect_format(path: Path) -> str | None:
    """``zip``, ``tar`` or ``tgz`` from the file's first bytes (the name is only a hint)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")):
        return "tgz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    name = path.name.lower()
    for suffix, fmt in ARCHIVE_SUFFIXES.items():
        if name.endswith(suffix) and fmt == "tar" and len(head) == 512:
            return "tar"
    return None


def member_name(raw: str) -> str:
    """Normalise a member name: drop leading ``./`` and trailing ``/``."""
    name = raw
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as ``unzip`` reads it. Names flagged UTF-8 (bit 11) are UTF-8;
    unflagged names are read as UTF-8 when they are valid UTF-8 (Info-ZIP ``zip`` 3.0 writes
    UTF-8 names without the flag), else as CP437 (the zip specification's default)."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except UnicodeError:
        return name


def is_payload_like(name: str) -> bool:
    """True for ``data/…`` or ``TOP/data/…``: members whose content is not kept in memory."""
    parts = name.split("/")
    return parts[0] == "data" or (len(parts) > 2 and parts[1] == "data")


def manifest_algorithm(name: str) -> str | None:
    """Algorithm of a (tag) manifest at the bag's top, with or without one top folder."""
    parts = name.split("/")
    if len(parts) > 2:
        return None
    found = split_manifest_name(parts[-1])
    return found[1] if found else None


class _Counter:
    """A read-only file wrapper that counts the compressed bytes consumed."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self.count += len(data)
        return data


@dataclass
class Archive:
    """What one scan of an archive found; :meth:`digests` and :meth:`open` read members again."""

    path: Path
    format: str
    files: dict[str, int] = field(default_factory=dict)  # member name -> size
    dirs: set[str] = field(default_factory=set)
    contents: dict[str, bytes] = field(default_factory=dict)  # small non-payload members
    speculative: dict[str, dict[str, str]] = field(default_factory=dict)
    speculative_algorithms: tuple[str, ...] = ()
    problems: list[ArchiveProblem] = field(default_factory=list)
    #: zip members whose name was read as UTF-8 without the flag: our name -> zipfile's name
    zip_names: dict[str, str] = field(default_factory=dict)

    # -- scanning -----------------------------------------------------------------------------
    @classmethod
    def scan(cls, path: Path, fmt: str, *, hash_payload: bool = True) -> Archive:
        archive = cls(path, fmt)
        try:
            if fmt == "zip":
                archive._scan_zip()
            else:
                archive._scan_tar(hash_payload)
        except ArchiveAbort as abort:
            archive.problems.append(abort.problem)
        except READ_ERRORS as exc:
            archive.problems.append(
                ArchiveProblem("archive-unreadable", f"cannot read the archive: {exc}")
            )
        return archive

    def _add_member(self, raw: str, kind: str, size: int) -> str | None:
        """Record a member if it is safe; return its normalised name, or None."""
        name = member_name(raw)
        reason = unsafe_reason(name) if name else None
        if reason is None and kind not in ("file", "dir"):
            reason = f"it is a {kind}, which bagsmith never follows or creates"
        if reason is not None:
            self.problems.append(
                ArchiveProblem("archive-member-unsafe", f"member refused: {reason}", raw)
            )
            return None
        if not name:
            return None
        if kind == "dir":
            self.dirs.add(name)
        else:
            self.files[name] = size
        return name

    def _scan_zip(self) -> None:
        with zipfile.ZipFile(self.path) as zf:
            for info in zf.infolist():
                mode = (info.external_attr >> 16) & 0o170000
                kind = "dir" if info.is_dir() else "file"
                if mode and stat.S_ISLNK(mode):
                    kind = "symbolic link"
                elif mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    kind = "special file"
                decoded = zip_member_name(info)
                name = self._add_member(decoded, kind, info.file_size)
                if name is not None and decoded != info.filename:
                    self.zip_names[name] = info.filename
                if name is None or kind != "file":
                    continue
                if info.file_size > BOMB_FLOOR and info.file_size > MAX_RATIO * max(
                    1, info.compress_size
                ):
                    del self.files[name]
                    self.problems.append(
                        ArchiveProblem(
                            "archive-bomb",
                            f"member declares {info.file_size} bytes from "
                            f"{info.compress_size} compressed bytes; not read",
                            info.filename,
                        )
                    )
                    continue
                if not is_payload_like(name) and info.file_size <= MAX_TAG_BYTES:
                    with zf.open(info) as stream:
                        self.contents[name] = _read_guarded(stream, info.compress_size, name)

    def _scan_tar(self, hash_payload: bool) -> None:
        algorithms: list[str] = []
        frozen = False  # the algorithm set is fixed once the first payload member is hashed
        for name, info, stream, counter in self._tar_members():
            if stream is None:
                continue
            if not is_payload_like(name) and info.size <= MAX_TAG_BYTES:
                data = _read_guarded(stream, None, name, counter)
                self.contents[name] = data
                alg = manifest_algorithm(name)
                if alg and not frozen and alg in hashlib.algorithms_available:
                    algorithms.append(alg)
                continue
            if not hash_payload or not algorithms:
                continue
            if not frozen:
                frozen = True
                self.speculative_algorithms = tuple(dict.fromkeys(algorithms))
            self.speculative[name] = _hash(stream, self.speculative_algorithms, name, counter)

    def _tar_members(
        self,
    ) -> Iterator[tuple[str, tarfile.TarInfo, IO[bytes] | None, _Counter]]:
        with open(self.path, "rb") as raw:
            counter = _Counter(raw)
            with tarfile.open(fileobj=counter, mode="r|*") as tf:  # type: ignore[call-overload]
                for info in tf:
                    kind = _tar_kind(info)
                    name = self._add_member(info.name, kind, info.size)
                    if name is None or kind != "file":
                        yield name or "", info, None, counter
                        continue
                    yield name, info, tf.extractfile(info), counter

    # -- reading again ------------------------------------------------------------------------
    def digests(
        self,
        names: Iterable[str],
        algorithms: tuple[str, ...],
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[str, dict[str, str] | None, str | None]]:
        """(name, digests, error) for each wanted member, in archive order, in one pass."""
        wanted = set(names)
        for name in sorted(wanted & self.contents.keys()):
            yield name, _hash_bytes(self.contents[name], algorithms), None
        wanted -= self.contents.keys()
        if set(algorithms) <= set(self.speculative_algorithms):
            for name in sorted(wanted & self.speculative.keys()):
                yield name, {a: self.speculative[name][a] for a in algorithms}, None
            wanted -= self.speculative.keys()
        if not wanted:
            return
        try:
            if self.format == "zip":
                yield from self._zip_digests(wanted, algorithms, progress)
            else:
                yield from self._tar_digests(wanted, algorithms, progress)
        except READ_ERRORS as exc:
            for name in sorted(wanted):
                yield name, None, f"the archive cannot be read: {exc}"

    def _tar_digests(
        self,
        wanted: set[str],
        algorithms: tuple[str, ...],
        progress: Callable[[int], None] | None,
    ) -> Iterator[tuple[str, dict[str, str] | None, str | None]]:
        for name, _info, stream, counter in self._tar_members():
            if stream is None or name not in wanted:
                continue
            if name in self.contents:
                wanted.discard(name)
                yield name, _hash_bytes(self.contents[name], algorithms), None
                continue
            try:
                digests = _hash(stream, algorithms, name, counter)
            except ArchiveAbort as abort:
                # a bomb: stop reading the archive here rather than decompress the rest
                wanted.discard(name)
                yield name, None, abort.problem.message
                for rest in sorted(wanted):
                    yield rest, None, "not read: reading stopped at a compression bomb"
                wanted.clear()
                return
            wanted.discard(name)
            yield name, digests, None
            if progress:
                progress(self.files.get(name, 0))

    def _zip_digests(
        self,
        wanted: set[str],
        algorithms: tuple[str, ...],
        progress: Callable[[int], None] | None,
    ) -> Iterator[tuple[str, dict[str, str] | None, str | None]]:
        with zipfile.ZipFile(self.path) as zf:
            for info in zf.infolist():
                name = member_name(zip_member_name(info))
                if name not in wanted:
                    continue
                wanted.discard(name)
                try:
                    with zf.open(info) as stream:
                        digests = _hash(stream, algorithms, name, None, info.compress_size)
                except (*READ_ERRORS, ArchiveAbort) as exc:
                    yield name, None, str(exc)
                else:
                    yield name, digests, None
                if progress:
                    progress(info.file_size)

    def read(self, name: str) -> bytes:
        """The whole content of one member (tag files; payload members are streamed instead).

        Raises OSError when the member cannot be read.
        """
        try:
            return self._read(name)
        except ArchiveAbort as abort:
            raise OSError(abort.problem.message) from None
        except READ_ERRORS as exc:
            raise OSError(f"the archive cannot be read: {exc}") from None

    def _read(self, name: str) -> bytes:
        if name in self.contents:
            return self.contents[name]
        if name not in self.files:
            raise FileNotFoundError(name)
        if self.format == "zip":
            stored = self.zip_names.get(name, name)
            with zipfile.ZipFile(self.path) as zf, zf.open(stored) as member:
                return _read_guarded(member, zf.getinfo(stored).compress_size, name)
        for found, _info, stream, counter in self._tar_members():
            if found == name and stream is not None:
                return _read_guarded(stream, None, name, counter)
        raise FileNotFoundError(name)


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symbolic link"
    if info.islnk():
        return "hard link"
    if info.isdev() or info.isfifo():
        return "device or FIFO"
    return "special member"


def _consumed(compressed: int | None, counter: _Counter | None, start: int) -> int:
    return counter.count - start if counter is not None else (compressed or 0)


def _check_ratio(done: int, consumed: int, name: str) -> None:
    if done > BOMB_FLOOR and done > MAX_RATIO * max(1, consumed):
        raise ArchiveAbort(
            ArchiveProblem(
                "archive-bomb",
                f"{done} bytes decompressed from {consumed} compressed bytes; reading stopped",
                name,
            )
        )


def _read_guarded(
    stream: IO[bytes], compressed: int | None, name: str, counter: _Counter | None = None
) -> bytes:
    parts: list[bytes] = []
    done = 0
    start = counter.count if counter is not None else 0
    while block := stream.read(CHUNK):
        parts.append(block)
        done += len(block)
        _check_ratio(done, _consumed(compressed, counter, start), name)
    return b"".join(parts)


def _hash(
    stream: IO[bytes],
    algorithms: tuple[str, ...],
    name: str,
    counter: _Counter | None = None,
    compressed: int | None = None,
) -> dict[str, str]:
    hashers = [hashlib.new(a) for a in algorithms]
    done = 0
    start = counter.count if counter is not None else 0
    while block := stream.read(CHUNK):
        done += len(block)
        for h in hashers:
            h.update(block)
        if done > BOMB_FLOOR:
            _check_ratio(done, _consumed(compressed, counter, start), name)
    return {a: h.hexdigest() for a, h in zip(algorithms, hashers, strict=True)}


def _hash_bytes(data: bytes, algorithms: tuple[str, ...]) -> dict[str, str]:
    return {a: hashlib.new(a, data).hexdigest() for a in algorithms}
