"""A read-only view of a bag, whether it is a folder or a serialised archive.

:func:`open_bag` returns a :class:`BagReader`: list the tag files and the payload files with
their sizes, read tag files (as bytes or as decoded lines), and hash files. Every file is opened
read-only; nothing here ever writes, renames or creates anything.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from .. import fixity
from ..errors import InputError
from .textlines import TagDecodeError, decode_line_blocks, decode_lines

if TYPE_CHECKING:  # archives are read when one is opened: validating a folder starts faster
    from .archive import ArchiveProblem

__all__ = ["ArchiveReader", "BagReader", "FileEntry", "FolderReader", "TagDecodeError", "open_bag"]


class FileEntry(NamedTuple):
    """A file in the bag: its bag-relative path (``/`` separators), size, and what is odd about it.

    ``special`` is None for a regular file, else a description ("symbolic link", "FIFO" …): such
    entries are never opened. ``ident``: ``(st_dev, st_ino)`` as a folder walk saw the file
    (hashing checks that it opens this very file). A named tuple: a bag can hold millions.
    """

    path: str
    size: int
    special: str | None = None
    ident: tuple[int, int] | None = None


class Digested(NamedTuple):
    """A file hashed: its raw digests in the order of the algorithms asked, or the error."""

    path: str
    digests: list[bytes] | None
    size: int
    error: str | None = None


class BagReader(ABC):
    """The files of one bag, read-only."""

    location: str
    format: str  # "folder" | "zip" | "tar" | "tgz"

    @property
    def serialized(self) -> bool:
        return self.format != "folder"

    @property
    def problems(self) -> list[ArchiveProblem]:
        """Problems found while opening (unsafe archive members, bombs, unreadable archives)."""
        return []

    @property
    def late_problems(self) -> list[ArchiveProblem]:
        """Problems found after opening, while reading (a bomb found while hashing)."""
        return []

    @property
    def unreadable_folders(self) -> list[tuple[str, str]]:
        """(folder, reason) for folders that could not be listed while walking."""
        return []

    @abstractmethod
    def is_file(self, rel: str) -> bool: ...

    def special(self, rel: str) -> str | None:
        """What REL is when it is there but not a regular file or folder ("symbolic link",
        "FIFO" …), else None. Such a file is never opened or followed."""
        return None

    @abstractmethod
    def is_dir(self, rel: str) -> bool: ...

    @abstractmethod
    def open(self, rel: str) -> IO[bytes]:
        """A binary read-only stream of one file (tag files: small)."""

    def read_bytes(self, rel: str) -> bytes:
        with self.open(rel) as fh:
            return fh.read()

    def lines(self, rel: str, encoding: str) -> Iterator[tuple[int, str]]:
        """(line number, text without its line ending) in the declared encoding, streaming.

        Lines end at LF, CR LF or CR. A leading byte order mark is dropped. Raises
        :class:`TagDecodeError` (with the line number) when a line is not valid text.
        """
        with self.open(rel) as fh:
            yield from decode_lines(fh, encoding, rel)

    def line_blocks(
        self, rel: str, encoding: str, take: Callable[[bytes], int] | None = None
    ) -> Iterator[tuple[int, list[str]]]:
        """:meth:`lines` a block at a time: (number of the block's first line, its lines);
        ``take``: see :func:`~bagsmith.bagit.textlines.decode_line_blocks`."""
        with self.open(rel) as fh:
            yield from decode_line_blocks(fh, encoding, rel, take)

    @abstractmethod
    def tag_files(self) -> list[FileEntry]:
        """Every file outside ``data/`` (bagit.txt, manifests, tag folders …), sorted."""

    @abstractmethod
    def payload_files(
        self, on_names: Callable[[str, list[str]], None] | None = None
    ) -> Iterator[FileEntry]:
        """Every entry under ``data/``, depth first, names sorted; streaming for folders.

        ``on_names(folder, names)`` is called once per folder with the names it holds (for
        case and normalization collision checks between siblings).
        """

    def payload_folders(
        self, on_names: Callable[[str, list[str]], None] | None = None, *, identify: bool = True
    ) -> Iterator[list[FileEntry]]:
        """:meth:`payload_files` in lists, a folder's files at a time for a folder (in runs of
        at most 1,000 otherwise), for callers that check many files at once. ``identify=False``:
        a caller that hashes none of them needs no ``ident`` (a folder's files leave it None)."""
        run: list[FileEntry] = []
        for entry in self.payload_files(on_names):
            run.append(entry)
            if len(run) >= 1000:
                yield run
                run = []
        if run:
            yield run

    def digest_folders(
        self,
        algorithms: tuple[str, ...],
        on_names: Callable[[str, list[str]], None] | None = None,
        *,
        total_bytes: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[tuple[list[FileEntry], list[Digested]]] | None:
        """:meth:`payload_folders` with the digests of each folder's regular files, hashed in
        this process as the walk goes; None when the reader has no faster way than
        :meth:`digest` of :meth:`payload_files`."""
        return None

    @abstractmethod
    def digest(
        self,
        entries: Iterable[FileEntry],
        algorithms: tuple[str, ...],
        *,
        processes: int = 1,
        total_bytes: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[Digested]:
        """Digests of the given files (in a format-dependent order)."""


# --- folders -------------------------------------------------------------------------------

_DIR_FLAGS = (
    os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
)


_by_name = attrgetter("name")
#: builds a :class:`FileEntry` without a call to its Python-level ``__new__`` (a walk makes one
#: per file)
_entry = partial(tuple.__new__, FileEntry)


def _open_dir_error(path: str, exc: OSError) -> str:
    """Why a listed folder could not be opened (it may have been replaced by a link)."""
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = 0
        if stat.S_ISLNK(mode):
            return "replaced by a symbolic link since it was listed; never followed"
        return "replaced by something else than a folder since it was listed; not read"
    return exc.strerror or str(exc)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _article(what: str) -> str:
    return what if what.startswith(("a ", "an ")) else f"a {what}"


class _NotAFolder(OSError):
    """A folder on the way to a bag file is a link (or not a folder at all)."""

    def __init__(self, folder: str, what: str) -> None:
        super().__init__(f"{folder} is {_article(what)}, not a folder; never followed")
        self.folder = folder
        self.what = what


class FolderReader(BagReader):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)
        self.format = "folder"
        self._prefix = str(root) + os.sep
        self._unreadable: list[tuple[str, str]] = []
        self._real_dirs: set[str] = set()

    @property
    def unreadable_folders(self) -> list[tuple[str, str]]:
        return self._unreadable

    def _abs(self, rel: str) -> str:
        return self._prefix + rel

    def _lstat(self, rel: str) -> os.stat_result:
        """``lstat`` of a bag file whose folders are all real folders, never links.

        ``os.lstat`` follows links in the folders above the last part of a path: a tag folder
        that is a link to a folder outside the bag would be read through. Every folder on the
        way is checked (once per reader) and a link among them raises, naming it.
        """
        parts = rel.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder in self._real_dirs:
                continue
            mode = os.lstat(self._abs(folder)).st_mode
            if not stat.S_ISDIR(mode):
                raise _NotAFolder(folder, _kind(mode) or "file")
            self._real_dirs.add(folder)
        return os.lstat(self._abs(rel))

    def special(self, rel: str) -> str | None:
        try:
            mode = self._lstat(rel).st_mode
        except _NotAFolder as exc:
            return f"in {exc.folder}, which is {_article(exc.what)}"
        except (OSError, ValueError):
            return None
        return None if stat.S_ISDIR(mode) else _kind(mode)

    def is_file(self, rel: str) -> bool:
        try:
            return stat.S_ISREG(self._lstat(rel).st_mode)
        except (OSError, ValueError):
            return False

    def is_dir(self, rel: str) -> bool:
        try:
            return stat.S_ISDIR(self._lstat(rel).st_mode)
        except (OSError, ValueError):
            return False

    def open(self, rel: str) -> IO[bytes]:
        fd = fixity.open_regular(self._abs(rel), follow_links=False)
        return open(fd, "rb")  # read-only

    def _walk(
        self, top: str, skip: str | None, on_names: Callable[[str, list[str]], None] | None
    ) -> Iterator[FileEntry]:
        for files in self._walk_folders(top, skip, on_names):
            yield from files

    def _walk_folders(
        self,
        top: str,
        skip: str | None,
        on_names: Callable[[str, list[str]], None] | None,
        *,
        identify: bool = True,
    ) -> Iterator[list[FileEntry]]:
        for _fd, files in self._listed_folders(top, skip, on_names, identify=identify):
            yield files

    def _listed_folders(
        self,
        top: str,
        skip: str | None,
        on_names: Callable[[str, list[str]], None] | None,
        *,
        stat_files: bool = True,
        identify: bool = True,
    ) -> Iterator[tuple[int, list[FileEntry]]]:
        """The files of each folder with the folder's descriptor (open until the next folder
        is asked for), depth first, names sorted. Each folder is opened without following a
        link and must be the folder its parent's listing saw (device and inode), so a folder
        swapped for a link during the walk is never listed; files carry the identity their
        listing saw. ``stat_files=False``: a file the listing says is regular is not looked
        at (size -1, no identity), for a caller that opens it by name in the folder;
        ``identify=False``: no identity either (a caller that opens none of the files)."""
        try:
            st = os.lstat(self._abs(top) if top else str(self.root))
        except OSError as exc:
            self._unreadable.append((top or ".", exc.strerror or str(exc)))
            return
        stack: list[tuple[str, tuple[int, int]]] = [(top, (st.st_dev, st.st_ino))]
        is_dir, is_reg = stat.S_ISDIR, stat.S_ISREG
        entry_of = _entry
        # every entry is looked at and none needs an identity: listed by name and each one
        # looked at by its name in the folder, which costs less than a DirEntry a file
        by_name = stat_files and not identify
        lstat = os.stat
        entries: list[os.DirEntry[str]] = []
        while stack:
            rel_dir, ident = stack.pop()
            path = self._abs(rel_dir) if rel_dir else str(self.root)
            try:
                fd = os.open(path, _DIR_FLAGS)
            except OSError as exc:
                self._unreadable.append((rel_dir or ".", _open_dir_error(path, exc)))
                continue
            try:
                try:
                    st = os.fstat(fd)
                    if (st.st_dev, st.st_ino) != ident:
                        raise OSError(errno.ELOOP, "replaced by a link since it was listed")
                    if by_name:
                        names = sorted(os.listdir(fd))
                    else:
                        with os.scandir(fd) as it:
                            entries = sorted(it, key=_by_name)
                        names = [e.name for e in entries]
                except OSError as exc:
                    self._unreadable.append((rel_dir or ".", exc.strerror or str(exc)))
                    continue
                if on_names is not None:
                    on_names(rel_dir, names)
                prefix = rel_dir + "/" if rel_dir else ""
                subdirs = []
                files: list[FileEntry] = []
                add = files.append
                if by_name:  # each entry looked at by its name in the folder (fstatat)
                    for name in names:
                        try:
                            st = lstat(name, dir_fd=fd, follow_symlinks=False)
                        except OSError as exc:
                            add(FileEntry(prefix + name, 0, f"unreadable ({exc.strerror})"))
                            continue
                        mode = st.st_mode
                        if is_reg(mode):
                            add(entry_of((prefix + name, st.st_size, None, None)))
                        elif is_dir(mode):
                            rel = prefix + name
                            if rel != skip:
                                subdirs.append((rel, (st.st_dev, st.st_ino)))
                        else:
                            add(FileEntry(prefix + name, st.st_size, _kind(mode)))
                    entries = []
                for entry in entries:
                    if not stat_files and entry.is_file(follow_symlinks=False):
                        add(entry_of((prefix + entry.name, -1, None, None)))
                        continue
                    try:
                        st = entry.stat(follow_symlinks=False)  # fstatat on the folder's fd
                    except OSError as exc:
                        add(FileEntry(prefix + entry.name, 0, f"unreadable ({exc.strerror})"))
                        continue
                    mode = st.st_mode
                    if is_reg(mode):
                        seen = (st.st_dev, st.st_ino) if identify else None
                        add(entry_of((prefix + entry.name, st.st_size, None, seen)))
                    elif is_dir(mode):
                        rel = prefix + entry.name
                        if rel != skip:
                            subdirs.append((rel, (st.st_dev, st.st_ino)))
                    else:
                        add(FileEntry(prefix + entry.name, st.st_size, _kind(mode)))
                if files:
                    yield fd, files
                stack.extend(reversed(subdirs))
            finally:
                os.close(fd)

    def tag_files(self) -> list[FileEntry]:
        return sorted(self._walk("", "data", None), key=lambda e: e.path)

    def payload_files(
        self, on_names: Callable[[str, list[str]], None] | None = None
    ) -> Iterator[FileEntry]:
        if not self.is_dir("data"):
            return iter(())
        return self._walk("data", None, on_names)

    def payload_folders(
        self, on_names: Callable[[str, list[str]], None] | None = None, *, identify: bool = True
    ) -> Iterator[list[FileEntry]]:
        if not self.is_dir("data"):
            return iter(())
        return self._walk_folders("data", None, on_names, identify=identify)

    def digest_folders(
        self,
        algorithms: tuple[str, ...],
        on_names: Callable[[str, list[str]], None] | None = None,
        *,
        total_bytes: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[tuple[list[FileEntry], list[Digested]]] | None:
        """Each file is opened by its name in its folder while the folder is open (the
        folder was opened without following links, the name with O_NOFOLLOW): no ``stat``
        of it beforehand, and its size is the ``fstat`` of the descriptor hashed."""
        if not self.is_dir("data"):
            return iter(())
        return self._digest_folders(algorithms, on_names, total_bytes, progress)

    def _digest_folders(
        self,
        algorithms: tuple[str, ...],
        on_names: Callable[[str, list[str]], None] | None,
        total_bytes: int | None,
        progress: Callable[[int, int], None] | None,
    ) -> Iterator[tuple[list[FileEntry], list[Digested]]]:
        target = fixity.batch_target(total_bytes, 1)
        counted = [0, 0, 0, 0]  # bytes and files reported; bytes and files since
        digest_file = fixity.digest_file
        for fd, files in self._listed_folders("data", None, on_names, stat_files=False):
            done: list[Digested] = []
            for i, entry in enumerate(files):
                if entry.size >= 0:  # not a regular file, or a file that could not be seen
                    continue
                path = entry.path
                name = path.rpartition("/")[2]
                try:
                    digests, size = digest_file(name, algorithms, follow_links=False, dir_fd=fd)
                except OSError as exc:
                    try:
                        size = os.stat(name, dir_fd=fd, follow_symlinks=False).st_size
                    except OSError:
                        size = 0
                    done.append(Digested(path, None, size, exc.strerror or str(exc)))
                else:
                    done.append(Digested(path, digests, size))
                files[i] = FileEntry(path, size)
                if progress is not None:
                    counted[2] += size
                    counted[3] += 1
                    if counted[2] >= target or counted[3] >= 2000:
                        counted[0] += counted[2]
                        counted[1] += counted[3]
                        counted[2] = counted[3] = 0
                        progress(counted[0], counted[1])
            yield files, done
        if progress is not None and counted[3]:
            progress(counted[0] + counted[2], counted[1] + counted[3])

    def digest(
        self,
        entries: Iterable[FileEntry],
        algorithms: tuple[str, ...],
        *,
        processes: int = 1,
        total_bytes: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[Digested]:
        jobs = (fixity.HashJob(e.path, self._abs(e.path), e.size, e.ident) for e in entries)
        for r in fixity.digest_many(
            jobs,
            algorithms,
            processes=processes,
            total_bytes=total_bytes,
            progress=progress,
            follow_links=False,
        ):
            yield Digested(*r)


# --- archives ------------------------------------------------------------------------------


class ArchiveReader(BagReader):
    """A serialised bag. The archive is scanned once when opened (see :mod:`.archive`)."""

    def __init__(self, path: Path, fmt: str, *, hash_payload: bool = True) -> None:
        self.location = str(path)
        self.format = fmt
        from .archive import Archive

        self.archive = Archive.scan(path, fmt, hash_payload=hash_payload)
        self.prefix, self.layout_problem = self._find_root()
        n = len(self.prefix)
        self._files = {k[n:]: v for k, v in self.archive.files.items() if k.startswith(self.prefix)}
        self._dirs = {d[n:] for d in self.archive.dirs if d.startswith(self.prefix)}
        for name in self._files:
            parts = name.split("/")
            for i in range(1, len(parts)):
                self._dirs.add("/".join(parts[:i]))

    @property
    def problems(self) -> list[ArchiveProblem]:
        return self.archive.problems

    @property
    def late_problems(self) -> list[ArchiveProblem]:
        return self.archive.late_problems

    def _find_root(self) -> tuple[str, str | None]:
        files = self.archive.files
        if "bagit.txt" in files:
            return "", None
        tops = {n.split("/")[0] for n in files} | {d.split("/")[0] for d in self.archive.dirs}
        if len(tops) == 1:
            top = next(iter(tops))
            return top + "/", None
        if not tops:
            return "", "the archive is empty"
        shown = ", ".join(sorted(tops)[:5])
        return "", f"the archive holds {len(tops)} top-level entries ({shown}), not one bag folder"

    def is_file(self, rel: str) -> bool:
        return rel in self._files

    def is_dir(self, rel: str) -> bool:
        return rel in self._dirs

    def open(self, rel: str) -> IO[bytes]:
        if rel not in self._files:
            raise FileNotFoundError(rel)
        return io.BytesIO(self.archive.read(self.prefix + rel))

    def tag_files(self) -> list[FileEntry]:
        return [
            FileEntry(k, v)
            for k, v in sorted(self._files.items())
            if k != "data" and not k.startswith("data/")
        ]

    def payload_files(
        self, on_names: Callable[[str, list[str]], None] | None = None
    ) -> Iterator[FileEntry]:
        payload = sorted((k, v) for k, v in self._files.items() if k.startswith("data/"))
        if on_names is not None:
            children: dict[str, set[str]] = {}
            for name in [p for p, _ in payload] + [d for d in self._dirs if d.startswith("data/")]:
                parent, _, base = name.rpartition("/")
                children.setdefault(parent, set()).add(base)
            for parent in sorted(children):
                on_names(parent, sorted(children[parent]))
        for k, v in payload:
            yield FileEntry(k, v)

    def digest(
        self,
        entries: Iterable[FileEntry],
        algorithms: tuple[str, ...],
        *,
        processes: int = 1,
        total_bytes: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[Digested]:
        sizes = {self.prefix + e.path: e.size for e in entries}
        done = [0, 0]

        def step(size: int) -> None:
            done[0] += size
            done[1] += 1
            if progress is not None:
                progress(done[0], done[1])

        n = len(self.prefix)
        for name, digests, error in self.archive.digests(sizes, algorithms, step):
            raw = None if digests is None else [bytes.fromhex(digests[a]) for a in algorithms]
            yield Digested(name[n:], raw, sizes.get(name, 0), error)


def open_bag(path: str | Path, *, hash_payload: bool = True) -> BagReader:
    """A reader for a bag folder or a serialised bag (zip, tar, tar.gz/tgz).

    Raises :class:`InputError` (exit 2) when the path does not exist or cannot be read.
    ``hash_payload=False`` spares a tar scan from hashing payload members (``--fast``).
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}", path=p) from None
    if stat.S_ISDIR(st.st_mode):
        if not os.access(p, os.R_OK | os.X_OK):
            raise InputError(f"cannot read the folder {p}: permission denied", path=p)
        return FolderReader(p.resolve())
    if not os.access(p, os.R_OK):
        raise InputError(f"cannot read {p}: permission denied", path=p)
    from .archive import detect_format

    fmt = detect_format(p)
    if fmt is None:
        return _NotABag(p)
    return ArchiveReader(p, fmt, hash_payload=hash_payload)


class _NotABag(FolderReader):
    """A plain file that is neither a folder nor an archive: a reader with no files."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.format = "file"

    def is_file(self, rel: str) -> bool:
        return False

    def is_dir(self, rel: str) -> bool:
        return False

    def tag_files(self) -> list[FileEntry]:
        return []

    def payload_files(
        self, on_names: Callable[[str, list[str]], None] | None = None
    ) -> Iterator[FileEntry]:
        return iter(())
