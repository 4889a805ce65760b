"""Which source files go into a bag, under which names: scanning sources and applying policies.

The rules (documented in docs/bagging.md):

* One folder given: its *contents* go under ``data/``. Anything else (one file, or several
  sources): each source keeps its own name under ``data/``; two sources with the same name are
  an error.
* Symbolic links, empty folders, hidden files and operating-system files follow a
  :class:`PayloadPolicy`; nothing is dropped silently (every skipped item becomes a warning).
  FIFOs, sockets and devices are always refused.
* Names that differ only by Unicode normalization are always an error (they would be the same
  file on macOS and for many validators); with ``portable`` also names differing only by case,
  and names that Windows cannot store.
* Files are listed in code-point order of their bag path, so manifests are deterministic.

A plan holds its files in a :class:`FileList` and its folders in a :class:`DirList`: flat
buffers, ~50 bytes a file (a million files: ~50 MB), where lists of :class:`SourceFile` and
:class:`SourceDir` objects took ~270 a file and ~170 a folder (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import re
import stat
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar, overload

from ..errors import InputError, SourceConflictError
from ..problems import Problem
from .names import CollisionFinder, is_hidden, is_os_file

PLACEHOLDER = ".keep"


class Symlinks(StrEnum):
    REFUSE = "refuse"
    FOLLOW = "follow"
    SKIP = "skip"


class EmptyDirs(StrEnum):
    KEEP = "keep"
    SKIP = "skip"


class Hidden(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


class OsFiles(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"
    REFUSE = "refuse"


@dataclass(frozen=True)
class PayloadPolicy:
    symlinks: Symlinks = Symlinks.REFUSE
    empty_dirs: EmptyDirs = EmptyDirs.KEEP
    hidden: Hidden = Hidden.INCLUDE
    os_files: OsFiles = OsFiles.EXCLUDE
    portable: bool = False


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One payload file: its path in the bag, where to read it (None: an empty placeholder)."""

    relpath: str
    source: str | None
    size: int
    mtime_ns: int


def _os_path(relpath: str) -> str:
    return relpath if os.sep == "/" else relpath.replace("/", os.sep)


_T = TypeVar("_T")


class _Paths(Sequence[_T]):
    """Bag paths back to back as UTF-8 in one buffer, with where each ends and a time each;
    a subclass makes its items from them (:meth:`_item`)."""

    __slots__ = ("_ends", "_mtimes", "_text")

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("Q")
        self._mtimes = array("q")

    def _add(self, relpath: str, mtime_ns: int) -> None:
        self._text += relpath.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._text))
        self._mtimes.append(mtime_ns)

    def _path(self, i: int) -> str:
        start = self._ends[i - 1] if i else 0
        return self._text[start : self._ends[i]].decode("utf-8", "surrogatepass")

    def _pop(self) -> None:
        self._ends.pop()
        self._mtimes.pop()
        del self._text[self._ends[-1] if self._ends else 0 :]

    def __len__(self) -> int:
        return len(self._ends)

    def _index(self, i: int) -> int:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("index out of range")
        return i

    def _item(self, i: int) -> _T:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> _T: ...

    @overload
    def __getitem__(self, i: slice) -> list[_T]: ...

    def __getitem__(self, i: int | slice) -> _T | list[_T]:
        if isinstance(i, slice):
            return [self._item(k) for k in range(*i.indices(len(self)))]
        return self._item(self._index(i))

    def __iter__(self) -> Iterator[_T]:
        for i in range(len(self._ends)):
            yield self._item(i)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self) | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def relpaths(self) -> Iterator[str]:
        for i in range(len(self._ends)):
            yield self._path(i)

    def in_path_order(self) -> bool:
        """True when the bag paths are in code-point order (as a walk lists them)."""
        last = None
        for path in self.relpaths():
            if last is not None and path < last:
                return False
            last = path
        return True


class FileList(_Paths[SourceFile]):
    """The files of a plan, in the order added, kept in flat buffers (~45 bytes a file).

    Per file: its bag path as UTF-8 bytes back to back, where it ends, its size and mtime (8
    bytes each) and the index of its *base* (4 bytes). A base is a bag path and a source path
    the file's paths both start with, followed by the same rest: a top source and its bag path
    for every file a walk finds below it, so source paths are not stored per file but joined
    again (always to exactly the path added; a file whose source shares nothing with its bag
    path has a base of its own). An item read back is a new :class:`SourceFile` equal to the
    one added.
    """

    __slots__ = ("_base_ids", "_base_of", "_bases", "_last", "_sizes")

    def __init__(self, items: Iterable[SourceFile] = ()) -> None:
        super().__init__()
        self._sizes = array("q")
        self._base_of = array("I")
        #: (bag path, source path or None for placeholders): source = base + rest of bag path
        self._bases: list[tuple[str, str | None]] = []
        self._base_ids: dict[tuple[str, str | None], int] = {}
        self._last = -1
        for item in items:
            self.append(item)

    def _base(self, relpath: str, source: str | None) -> int:
        last = self._last
        if last >= 0:
            rel, src = self._bases[last]
            if source is None:
                if src is None:
                    return last
            elif (
                src is not None
                and relpath.startswith(rel)
                and source == src + _os_path(relpath[len(rel) :])
            ):
                return last
        if source is None:
            base: tuple[str, str | None] = ("", None)
        else:
            base = (relpath, source)  # nothing in common: the whole path
            cut = relpath.find("/")
            while cut >= 0:  # the longest common rest that starts with "/"
                rest = _os_path(relpath[cut:])
                if source.endswith(rest) and len(source) > len(rest):
                    base = (relpath[:cut], source[: len(source) - len(rest)])
                    break
                cut = relpath.find("/", cut + 1)
        index = self._base_ids.get(base)
        if index is None:
            index = self._base_ids[base] = len(self._bases)
            self._bases.append(base)
        self._last = index
        return index

    def append(self, item: SourceFile) -> None:
        self._base_of.append(self._base(item.relpath, item.source))
        self._add(item.relpath, item.mtime_ns)
        self._sizes.append(item.size)

    def _item(self, i: int) -> SourceFile:
        relpath = self._path(i)
        rel, source = self._bases[self._base_of[i]]
        if source is not None:
            source += _os_path(relpath[len(rel) :])
        return SourceFile(relpath, source, self._sizes[i], self._mtimes[i])

    def __repr__(self) -> str:
        return f"<FileList of {len(self)} files>"

    @property
    def total_bytes(self) -> int:
        return sum(self._sizes)

    def folders(self) -> set[str]:
        """The bag path of every folder that holds a file (``data/a`` for ``data/a/b.txt``)."""
        return {path.rpartition("/")[0] for path in self.relpaths() if "/" in path}

    def sort(self, *, key: Callable[[SourceFile], str]) -> None:
        fresh = FileList(sorted(self, key=key))
        for slot in (*_Paths.__slots__, *FileList.__slots__):
            setattr(self, slot, getattr(fresh, slot))


@dataclass(frozen=True, slots=True)
class SourceDir:
    relpath: str
    mtime_ns: int


class DirList(_Paths[SourceDir]):
    """The folders of a plan, in the order added, in flat buffers (bag path and mtime)."""

    __slots__ = ()

    def __init__(self, items: Iterable[SourceDir] = ()) -> None:
        super().__init__()
        for item in items:
            self.append(item)

    def append(self, item: SourceDir) -> None:
        self._add(item.relpath, item.mtime_ns)

    def pop(self) -> SourceDir:
        last = self[-1]
        self._pop()
        return last

    def _item(self, i: int) -> SourceDir:
        return SourceDir(self._path(i), self._mtimes[i])

    def __reversed__(self) -> Iterator[SourceDir]:
        for i in range(len(self._ends) - 1, -1, -1):
            yield self._item(i)

    def __repr__(self) -> str:
        return f"<DirList of {len(self)} folders>"

    def sort(self, *, key: Callable[[SourceDir], str]) -> None:
        fresh = DirList(sorted(self, key=key))
        for slot in _Paths.__slots__:
            setattr(self, slot, getattr(fresh, slot))


@dataclass
class PayloadPlan:
    files: FileList = field(default_factory=FileList)
    dirs: DirList = field(default_factory=DirList)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return self.files.total_bytes


_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.IGNORECASE)
_WINDOWS_BAD_CHARS = re.compile(r'[<>:"\\|?*\x00-\x1f]')


def windows_problem(name: str) -> str | None:
    """Why Windows cannot store a file of this name, or None."""
    if _WINDOWS_BAD_CHARS.search(name):
        return 'contains a character Windows does not allow (<>:"\\|?* or a control character)'
    if name.endswith((" ", ".")):
        return "ends with a space or a dot"
    if _WINDOWS_RESERVED.match(name):
        return "is a reserved device name on Windows"
    return None


def _check_name(name: str, path: str, policy: PayloadPolicy) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise SourceConflictError(
            "the file name is not valid UTF-8, so it cannot be written in a manifest",
            path=path,
            hint="rename the file",
        ) from None
    if policy.portable:
        reason = windows_problem(name)
        if reason:
            raise SourceConflictError(
                f"the name {name!r} {reason} ({{portable}})", path=path, hint="rename the file"
            )


def _sort_key(item: tuple[str, bool]) -> str:
    # Folders sort as "name/" so a depth-first walk lists paths in plain code-point order.
    name, is_dir = item
    return name + "/" if is_dir else name


class _Scanner:
    def __init__(self, policy: PayloadPolicy) -> None:
        self.policy = policy
        self.plan = PayloadPlan()

    def warn(self, code: str, message: str, path: str) -> None:
        self.plan.warnings.append(Problem(code, message, path))

    def _kind(self, path: str, st: os.stat_result) -> str:
        if stat.S_ISREG(st.st_mode):
            return "file"
        if stat.S_ISDIR(st.st_mode):
            return "dir"
        raise SourceConflictError(
            "not a regular file or folder (a FIFO, socket or device cannot be bagged)", path=path
        )

    def _resolve(
        self, path: str, top: bool, st: os.stat_result | None = None
    ) -> os.stat_result | None:
        """lstat (unless given), applying the symlink policy; None means: skip this entry."""
        try:
            st = st if st is not None else os.lstat(path)
        except FileNotFoundError:
            raise InputError("no such file or folder", path=path) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path=path) from None
        if not stat.S_ISLNK(st.st_mode):
            return st
        target = os.readlink(path)
        if self.policy.symlinks is Symlinks.REFUSE:
            raise SourceConflictError(
                f"is a symbolic link (to {target}); bagsmith refuses links by default",
                path=path,
                hint="use {symlinks=follow} to bag what it points to, or {symlinks=skip}",
            )
        if self.policy.symlinks is Symlinks.SKIP and not top:
            self.warn("source-symlink-skipped", f"symbolic link to {target} left out", path)
            return None
        try:
            real = os.stat(path)
        except OSError:
            raise InputError(
                f"the symbolic link points to {target}, which is missing", path=path
            ) from None
        self.warn(
            "source-symlink-followed", f"symbolic link to {target} bagged as its target", path
        )
        return real

    def add_source(self, path: str, relpath: str, lstat: os.stat_result | None = None) -> None:
        st = self._resolve(path, top=True, st=lstat)
        assert st is not None
        if self._kind(path, st) == "file":
            self.plan.files.append(SourceFile(relpath, path, st.st_size, st.st_mtime_ns))
        else:
            self._walk(path, relpath, st, frozenset())

    def _walk(
        self, path: str, relpath: str, st: os.stat_result, ancestors: frozenset[tuple[int, int]]
    ) -> None:
        ident = (st.st_dev, st.st_ino)
        if ident in ancestors:
            raise SourceConflictError("a symbolic link makes a loop back to this folder", path=path)
        ancestors = ancestors | {ident}
        self.plan.dirs.append(SourceDir(relpath, st.st_mtime_ns))
        files_before = len(self.plan.files)
        try:
            with os.scandir(path) as it:
                names = [(e.name, e.is_dir(follow_symlinks=self.follow)) for e in it]
        except OSError as exc:
            raise InputError(f"cannot list the folder: {exc.strerror}", path=path) from None
        names.sort(key=_sort_key)
        finder = CollisionFinder(case=self.policy.portable)
        for name, _ in names:
            child = os.path.join(path, name)
            if not self._included(name, child):
                continue
            _check_name(name, child, self.policy)
            for coll in finder.add(name):
                raise SourceConflictError(
                    f"{coll.first!r} and {coll.second!r} differ only by "
                    f"{'case' if coll.kind == 'case' else 'Unicode normalization'}; "
                    "they could not both exist on every system",
                    path=child,
                    hint="rename one of them",
                )
            cst = self._resolve(child, top=False)
            if cst is None:
                continue
            crel = f"{relpath}/{name}"
            if self._kind(child, cst) == "file":
                self.plan.files.append(SourceFile(crel, child, cst.st_size, cst.st_mtime_ns))
            else:
                self._walk(child, crel, cst, ancestors)
        if len(self.plan.files) == files_before:
            self._empty(path, relpath, st)

    @property
    def follow(self) -> bool:
        return self.policy.symlinks is Symlinks.FOLLOW

    @property
    def _keep(self) -> bool:
        return self.policy.empty_dirs is EmptyDirs.KEEP

    def _empty(self, path: str, relpath: str, st: os.stat_result) -> None:
        if self._keep:
            self.plan.files.append(SourceFile(f"{relpath}/{PLACEHOLDER}", None, 0, st.st_mtime_ns))
            self.warn(
                "source-empty-folder-kept",
                f"empty folder kept with an empty {PLACEHOLDER} file ({relpath}/{PLACEHOLDER})",
                path,
            )
            return
        if relpath != "data":  # data/ itself always exists, even for an empty payload
            self.plan.dirs.pop()  # no file below it, so it is the last folder added
        self.warn("source-empty-folder-skipped", "empty folder left out of the bag", path)

    def _included(self, name: str, path: str) -> bool:
        if is_os_file(name):
            if self.policy.os_files is OsFiles.REFUSE:
                raise SourceConflictError(
                    "is an operating-system file ({os_files=refuse})",
                    path=path,
                    hint="delete it, or use {os_files=exclude} or {os_files=include}",
                )
            if self.policy.os_files is OsFiles.EXCLUDE:
                self.warn("source-os-file-skipped", "operating-system file left out", path)
                return False
            return True
        if is_hidden(name) and self.policy.hidden is Hidden.EXCLUDE:
            self.warn("source-hidden-skipped", "hidden file or folder left out", path)
            return False
        return True


def top_names(sources: list[Path], *, portable: bool = False) -> list[str]:
    """The bag path of each source: ``data`` for a single folder, else ``data/<name>``."""
    if len(sources) == 1 and sources[0].is_dir():
        return ["data"]
    names: list[str] = []
    finder = CollisionFinder(case=portable)
    for src in sources:
        name = os.path.basename(os.path.abspath(src))
        if not name:
            raise InputError("a source needs a name to be bagged beside others", path=src)
        if name in names or finder.add(name):
            raise SourceConflictError(
                f"two sources are both named {name!r}; with several sources each keeps its "
                "own name under data/",
                path=src,
                hint="rename one, or bag a folder that holds them",
            )
        names.append(name)
    return [f"data/{n}" for n in names]


def scan_sources(sources: list[Path], policy: PayloadPolicy) -> PayloadPlan:
    """Walk every source and return the files to bag (sorted by bag path) and the warnings."""
    if not sources:
        raise InputError("no source given")
    for src in sources:
        if not os.path.lexists(src):
            raise InputError("no such file or folder", path=src)
    scanner = _Scanner(policy)
    tops = top_names(sources, portable=policy.portable)
    order = sorted(
        zip(tops, sources, strict=True), key=lambda t: t[0] + "/" if t[1].is_dir() else t[0]
    )
    for relpath, src in order:
        if policy.portable and relpath != "data":
            _check_name(relpath[5:], str(src), policy)
        scanner.add_source(str(src), relpath)
    return scanner.plan


def scan_mapped(sources: list[tuple[Path, str]], policy: PayloadPolicy) -> PayloadPlan:
    """Walk sources that each go to a bag path chosen by the caller (``data/...``).

    A file source becomes that one payload file; a folder source puts its contents under its
    bag path. Two sources may not share a bag path, and no source may lie inside a folder
    source's bag path. Files and folders are listed in code-point order of their bag path.
    """
    if not sources:
        raise InputError("no source given")
    taken: dict[str, str] = {}
    finders: dict[str, CollisionFinder] = {}
    found: dict[str, os.stat_result] = {}  # each source's lstat, asked once
    for src, relpath in sources:
        try:
            found[str(src)] = os.lstat(src)
        except (OSError, ValueError):
            raise InputError("no such file or folder", path=src) from None
        if not relpath.startswith("data/") or unsafe_parts(relpath):
            raise InputError(f"{relpath!r} is not a safe path under data/", path=src)
        if relpath in taken:
            raise SourceConflictError(
                f"two sources would both be {relpath} in the bag ({taken[relpath]} and {src})",
                path=src,
                hint="rename one of them",
            )
        taken[relpath] = str(src)
        parent, _, name = relpath.rpartition("/")
        _check_name(name, str(src), policy)
        for coll in finders.setdefault(parent, CollisionFinder(case=policy.portable)).add(name):
            raise SourceConflictError(
                f"{coll.first!r} and {coll.second!r} differ only by "
                f"{'case' if coll.kind == 'case' else 'Unicode normalization'}; "
                "they could not both exist on every system",
                path=src,
                hint="rename one of them",
            )
    folders = [rel for src, rel in sources if _is_dir(src, found[str(src)])]
    for src, relpath in sources:
        for folder in folders:
            if relpath != folder and relpath.startswith(folder + "/"):
                raise SourceConflictError(
                    f"{relpath} would lie inside the folder source {folder}", path=src
                )
    scanner = _Scanner(policy)
    for src, relpath in sorted(sources, key=lambda t: t[1]):
        scanner.add_source(str(src), relpath, found[str(src)])
    scanner.plan.files.sort(key=lambda f: f.relpath)
    scanner.plan.dirs.sort(key=lambda d: d.relpath)
    return scanner.plan


def _is_dir(path: Path, st: os.stat_result) -> bool:
    """``path.is_dir()`` given its lstat: a link is asked about what it points to."""
    return path.is_dir() if stat.S_ISLNK(st.st_mode) else stat.S_ISDIR(st.st_mode)


def unsafe_parts(relpath: str) -> bool:
    """True when a bag path has empty, ``.`` or ``..`` parts."""
    return any(part in ("", ".", "..") for part in relpath.split("/"))
