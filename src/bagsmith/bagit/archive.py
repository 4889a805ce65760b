"""Read serialised bags (zip, tar, tar.gz) by streaming: nothing is ever extracted to disk.

* **zip** is random access: the central directory lists every member, and each member is
  decompressed as a stream when it is read.
* **tar** (plain or compressed) is read sequentially with :mod:`tarfile` in stream mode
  (``r|*``). One *scan* reads every header, keeps the content of small tag-file candidates
  (members not under ``data/``) in memory and — once the manifests have been seen, when they
  come before the payload as bagsmith writes them — hashes every other member in the same
  pass. A second pass (:meth:`Archive.digests`) is only needed when the manifests come after
  the payload or name algorithms the scan did not compute.

Unsafe members (``..``, absolute paths, ``~``, links, devices, FIFOs) and duplicate member
names are reported and never read. Compression bombs are caught twice: by the declared ratio
(zip) and by counting the bytes actually decompressed against the compressed bytes consumed,
over the whole archive, as the stream is read (every format): a budget (:class:`_Budget`)
every read charges, whatever member and whatever it is read for. Compressed tars are
decompressed here with bounded output (``gzip``/``bz2``/``lzma`` readers ask the decompressor
for at most the bytes wanted), so memory stays at a few buffers whatever a 2 KB archive
claims to hold. Limits: ``expansion-ratio``, ``expansion-bytes``, ``archive-members``,
``tag-file-bytes`` (:mod:`bagsmith.limits`).
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from .. import limits
from .manifest import split_manifest_name, unsafe_reason

#: Below this many bytes read out of an archive, no ratio is a bomb (small files compress
#: absurdly well and are harmless); beyond it, the ``expansion-ratio`` limit applies.
BOMB_FLOOR = 64 * 1024 * 1024
#: Top-level tag files up to this size are kept in memory during a tar scan.
KEEP_TAG_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024
#: What reading a damaged archive can raise.
READ_ERRORS = (
    OSError,
    EOFError,
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    ValueError,
    NotImplementedError,  # a zip compression method Python does not have
)

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

    def readable(self) -> bool:
        return True

    def __enter__(self) -> _Counter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Budget:
    """Bytes read out of one archive against the compressed bytes behind them, for each
    member and for all reads of all members together: past ``BOMB_FLOOR``, more than
    ``expansion-ratio`` times the compressed bytes, or more than ``expansion-bytes`` in all,
    is a bomb. Checked at every block, so a bomb is stopped one block past the limit."""

    def __init__(self) -> None:
        self.produced = 0
        self.consumed = 0
        self.ratio = limits.get("expansion-ratio")
        self.total = limits.get("expansion-bytes")
        self._member: str | None = None
        self._member_produced = 0
        self._member_consumed = 0

    def charge(self, produced: int, consumed: int, name: str | None) -> None:
        self.produced += produced
        self.consumed += consumed
        if name != self._member:
            self._member, self._member_produced, self._member_consumed = name, 0, 0
        self._member_produced += produced
        self._member_consumed += consumed
        self._check(self._member_produced, self._member_consumed, name)
        self._check(self.produced, self.consumed, name)

    def _check(self, produced: int, consumed: int, name: str | None) -> None:
        if self.produced > self.total:
            raise ArchiveAbort(
                ArchiveProblem(
                    "archive-bomb",
                    f"over {self.total} bytes read out of the archive; reading stopped "
                    f"(the expansion-bytes limit, which can be raised)",
                    name,
                )
            )
        if produced > BOMB_FLOOR and produced > self.ratio * max(1, consumed):
            raise ArchiveAbort(
                ArchiveProblem(
                    "archive-bomb",
                    f"{produced} bytes decompressed from {consumed} compressed bytes "
                    f"(over {self.ratio} times: the expansion-ratio limit); reading stopped",
                    name,
                )
            )


class _Metered:
    """The decompressed stream of a tar: every read is charged to the budget, against the
    compressed bytes the counter has seen go by."""

    def __init__(self, fh: IO[bytes], counter: _Counter, budget: _Budget) -> None:
        self._fh = fh
        self._counter = counter
        self._budget = budget
        self._seen = 0
        self.member: str | None = None

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(CHUNK if size is None or size < 0 else size)
        consumed = self._counter.count - self._seen
        self._seen = self._counter.count
        self._budget.charge(len(data), consumed, self.member)
        return data


def _decompressed(counter: _Counter, head: bytes) -> Any:
    """The tar stream inside a compressed file, decompressed with bounded output."""
    raw = cast(IO[bytes], counter)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head.startswith(b"BZh"):
        return bz2.BZ2File(raw, mode="rb")
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw, mode="rb")
    return counter


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
    budget: _Budget = field(default_factory=_Budget, repr=False)
    members: int = 0
    kept: int = 0
    #: bombs found after the scan, while hashing or reading members again
    late_problems: list[ArchiveProblem] = field(default_factory=list)
    aborted: dict[str, ArchiveProblem] = field(default_factory=dict)
    duplicates: set[str] = field(default_factory=set)

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
        self.members += 1
        if self.members > limits.get("archive-members"):
            raise ArchiveAbort(
                ArchiveProblem(
                    "archive-too-many-members",
                    f"more than {limits.get('archive-members')} members; reading stopped "
                    "(the archive-members limit, which can be raised)",
                )
            )
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
        if name in self.files or (kind != "dir" and name in self.dirs):
            self.problems.append(
                ArchiveProblem(
                    "archive-member-duplicate",
                    f"{name} is in the archive more than once; which one a tool extracts "
                    "differs (unzip and tar take the last), so neither is read",
                    raw,
                )
            )
            self.files.pop(name, None)
            self.contents.pop(name, None)
            self.speculative.pop(name, None)
            self.duplicates.add(name)
            return None
        if name in self.duplicates:
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
                # (ZipInfo.is_dir() raises IndexError on an empty name: found by fuzzing)
                kind = "dir" if info.filename.endswith("/") else "file"
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
                if info.flag_bits & 0x1:  # zipfile raises RuntimeError on it (found by fuzzing)
                    del self.files[name]
                    self.problems.append(
                        ArchiveProblem(
                            "archive-unreadable",
                            "member is encrypted (a password would be needed); not read",
                            info.filename,
                        )
                    )
                    continue
                if info.file_size > BOMB_FLOOR and info.file_size > self.budget.ratio * max(
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
                if self._keep(name, info.file_size):
                    with zf.open(info) as stream:
                        self.contents[name] = self._read_zip(stream, info, name)

    def _keep(self, name: str, size: int) -> bool:
        """Keep this member's content in memory? Top-level tag files (bagit.txt, bag-info.txt,
        manifests, fetch.txt …) up to ``KEEP_TAG_BYTES`` each and in all; anything else is
        read again when needed."""
        if is_payload_like(name) or len(name.split("/")) > 2:
            return False
        if size > min(KEEP_TAG_BYTES, limits.get("tag-file-bytes")):
            return False
        return self.kept + size <= KEEP_TAG_BYTES

    def _scan_tar(self, hash_payload: bool) -> None:
        algorithms: list[str] = []
        frozen = False  # the algorithm set is fixed once the first payload member is hashed
        for name, info, stream, _counter in self._tar_members():
            if stream is None:
                continue
            if self._keep(name, info.size):
                data = _read_all(stream)
                self.contents[name] = data
                self.kept += len(data)
                alg = manifest_algorithm(name)
                if alg and not frozen and alg in hashlib.algorithms_available:
                    algorithms.append(alg)
                continue
            if not hash_payload or not algorithms:
                continue
            if not frozen:
                frozen = True
                self.speculative_algorithms = tuple(dict.fromkeys(algorithms))
            self.speculative[name] = _hash(stream, self.speculative_algorithms)

    def _tar_members(
        self, *, rescan: bool = False
    ) -> Iterator[tuple[str, tarfile.TarInfo, IO[bytes] | None, _Counter]]:
        """Every member of the tar, in order, read through the budget. A second pass
        (``rescan``) does not record the members again."""
        with open(self.path, "rb") as raw:
            counter = _Counter(raw)
            head = raw.read(6)
            raw.seek(0)
            with _decompressed(counter, head) as plain:
                metered = _Metered(plain, counter, self.budget)
                with tarfile.open(fileobj=metered, mode="r|") as tf:  # type: ignore[call-overload]
                    for info in tf:
                        kind = _tar_kind(info)
                        if rescan:
                            name: str | None = member_name(info.name)
                            if name not in self.files:
                                name = None
                        else:
                            name = self._add_member(info.name, kind, info.size)
                        metered.member = info.name
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
        try:
            for name, _info, stream, _counter in self._tar_members(rescan=True):
                if stream is None or name not in wanted:
                    continue
                wanted.discard(name)
                if name in self.contents:
                    yield name, _hash_bytes(self.contents[name], algorithms), None
                    continue
                try:
                    digests = _hash(stream, algorithms)
                except ArchiveAbort as abort:
                    yield name, None, self._aborted(name, abort)
                    break  # a bomb: stop reading the archive rather than decompress the rest
                yield name, digests, None
                if progress:
                    progress(self.files.get(name, 0))
        except ArchiveAbort as abort:  # between members (a header, the padding)
            self._aborted(None, abort)
        for rest in sorted(wanted):
            yield rest, None, "not read: reading stopped at a compression bomb"
        wanted.clear()

    def _aborted(self, name: str | None, abort: ArchiveAbort) -> str:
        """Record a bomb found after the scan (reported with the archive's problems)."""
        if abort.problem not in self.late_problems:
            self.late_problems.append(abort.problem)
        if name is not None:
            self.aborted[name] = abort.problem
        return abort.problem.message

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
                        digests = _hash(self._zip_blocks(stream, info, name), algorithms)
                except ArchiveAbort as abort:
                    yield name, None, self._aborted(name, abort)
                except READ_ERRORS as exc:
                    yield name, None, str(exc)
                else:
                    yield name, digests, None
                if progress:
                    progress(info.file_size)

    def _zip_blocks(self, stream: IO[bytes], info: zipfile.ZipInfo, name: str) -> _Blocks:
        """A zip member's bytes, charged to the budget (its compressed size up front)."""
        return _Blocks(stream, self.budget, name, info.compress_size)

    def _read_zip(self, stream: IO[bytes], info: zipfile.ZipInfo, name: str) -> bytes:
        return _read_all(self._zip_blocks(stream, info, name))

    def read(self, name: str) -> bytes:
        """The whole content of one member (tag files; payload members are streamed instead).

        Raises OSError when the member cannot be read, :class:`TagFileTooLarge` (an OSError)
        when it is over the ``tag-file-bytes`` limit.
        """
        try:
            return self._read(name)
        except ArchiveAbort as abort:
            raise OSError(abort.problem.message) from None
        except READ_ERRORS as exc:
            if isinstance(exc, TagFileTooLarge | FileNotFoundError):
                raise
            raise OSError(f"the archive cannot be read: {exc}") from None

    def _read(self, name: str) -> bytes:
        if name in self.contents:
            return self.contents[name]
        if name not in self.files:
            raise FileNotFoundError(name)
        top = limits.get("tag-file-bytes")
        if self.files[name] > top:
            raise TagFileTooLarge(name, self.files[name], top)
        if self.format == "zip":
            with zipfile.ZipFile(self.path) as zf:
                info = next(i for i in zf.infolist() if member_name(zip_member_name(i)) == name)
                with zf.open(info) as member:
                    return self._read_zip(member, info, name)
        for found, _info, stream, _counter in self._tar_members(rescan=True):
            if found == name and stream is not None:
                return _read_all(stream)
        raise FileNotFoundError(name)


class TagFileTooLarge(OSError):
    """A member read whole (a tag file) that is over the ``tag-file-bytes`` limit."""

    code = "tag-file-too-large"

    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(
            f"{size} bytes, over the tag-file-bytes limit of {limit}; not read "
            "(the limit can be raised)"
        )
        self.name = name


class _Blocks:
    """A member's stream with every block charged to the archive's budget."""

    def __init__(self, stream: IO[bytes], budget: _Budget, name: str, compressed: int) -> None:
        self._stream = stream
        self._budget = budget
        self._name = name
        self._compressed = compressed

    def read(self, size: int = CHUNK) -> bytes:
        data = self._stream.read(size)
        consumed, self._compressed = self._compressed, 0
        self._budget.charge(len(data), consumed, self._name)
        return data


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


def _read_all(stream: IO[bytes] | _Blocks) -> bytes:
    parts: list[bytes] = []
    while block := stream.read(CHUNK):
        parts.append(block)
    return b"".join(parts)


def _hash(stream: IO[bytes] | _Blocks, algorithms: tuple[str, ...]) -> dict[str, str]:
    hashers = [hashlib.new(a) for a in algorithms]
    while block := stream.read(CHUNK):
        for h in hashers:
            h.update(block)
    return {a: h.hexdigest() for a, h in zip(algorithms, hashers, strict=True)}


def _hash_bytes(data: bytes, algorithms: tuple[str, ...]) -> dict[str, str]:
    return {a: hashlib.new(a, data).hexdigest() for a in algorithms}
