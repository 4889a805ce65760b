"""The bag being deposited, as the deposit targets see it: its files, manifests and digests.

A bag is either a folder or an already serialised file (``.zip``, ``.tar``, ``.tgz``/``.tar.gz``).
For a folder, every file is digested once with SHA-256 and with every algorithm its manifests
use; the local files must match their manifests before anything is sent, so that a bag that is
already damaged is never deposited as if it were good.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..bagit.manifest import ManifestLine, parse_line, split_manifest_name, unsafe_reason
from ..bagit.tagfiles import first_value, parse_tags
from ..errors import BagError, InputError
from ..fixity import SUPPORTED, HashJob, default_processes, hash_many

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip", ".tar")
#: Always computed, whatever the manifests use: the digest targets compare files by.
BASE_ALGORITHM = "sha256"


@dataclass(frozen=True)
class BagFile:
    relpath: str  # '/'-separated, relative to the bag's top folder
    path: Path
    size: int


@dataclass
class LocalBag:
    """A bag folder or serialised bag on the local disk, read but never changed."""

    path: Path
    name: str  # folder name, or file name (with its extension) for an archive
    kind: str  # "folder" or "archive"
    files: list[BagFile] = field(default_factory=list)
    #: relpath -> {algorithm: digest}, from every manifest and tag manifest in the bag.
    manifests: dict[str, dict[str, str]] = field(default_factory=dict)
    #: relpath -> {algorithm: digest}, computed from the local files (see :meth:`digest`).
    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    external_identifier: str | None = None
    archive_format: str | None = None  # "zip", "tar" or "tgz"

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def stem(self) -> str:
        """The name without an archive extension (``bag.tar.gz`` → ``bag``)."""
        for suffix in ARCHIVE_SUFFIXES:
            if self.kind == "archive" and self.name.lower().endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name

    def digest(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Digest every local file (once each) and check the bag against its own manifests.

        Raises :class:`BagError` listing the files that do not match their manifests.
        """
        if self.digests:
            return
        algorithms = sorted({BASE_ALGORITHM, *(a for d in self.manifests.values() for a in d)})
        if self.kind == "archive":  # S3 and SWORD need the MD5 of the whole file
            algorithms = sorted({BASE_ALGORITHM, "md5"})
        jobs = [HashJob(f.relpath, str(f.path), f.size) for f in self.files]
        processes = min(default_processes(), 4) if self.size > 64 * 1024 * 1024 else 1
        bad: list[str] = []
        for res in hash_many(
            jobs, algorithms, processes=processes, total_bytes=self.size, progress=progress
        ):
            if res.digests is None:
                raise InputError(f"cannot read {res.key}: {res.error}", path=self.path / res.key)
            self.digests[res.key] = res.digests
            for alg, want in self.manifests.get(res.key, {}).items():
                if res.digests[alg] != want:
                    bad.append(f"{res.key} ({alg})")
        if bad:
            raise BagError(
                "the bag does not match its own manifests: "
                + ", ".join(bad[:10])
                + (f" and {len(bad) - 10} more" if len(bad) > 10 else ""),
                path=self.path,
                hint="validate the bag (bagsmith validate) and fix or rebuild it before depositing",
            )

    def fingerprint(self) -> str:
        """One SHA-256 over every file's path and SHA-256: the bag's identity for the record."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(f"{self.digests[f.relpath][BASE_ALGORITHM]}  {f.relpath}\n".encode())
        return h.hexdigest()

    def expected(self, relpath: str) -> dict[str, str]:
        """Digests a copy of ``relpath`` must have: the local ones (which match the manifests)."""
        return self.digests[relpath]


def load_bag(path: str | os.PathLike[str]) -> LocalBag:
    """Read a bag folder's file list and manifests, or take a serialised bag as one file."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(f"cannot read the bag: {exc.strerror}", path=p) from exc
    if stat.S_ISREG(st.st_mode):
        lower = p.name.lower()
        fmt = next(
            ({"tar.gz": "tgz"}.get(s[1:], s[1:]) for s in ARCHIVE_SUFFIXES if lower.endswith(s)),
            None,
        )
        if fmt is None:
            raise InputError(
                "a bag must be a folder or a .zip, .tar, .tgz or .tar.gz file",
                path=p,
            )
        return LocalBag(
            p.resolve(),
            p.name,
            "archive",
            files=[BagFile(p.name, p.resolve(), st.st_size)],
            archive_format=fmt,
        )
    if not stat.S_ISDIR(st.st_mode):
        raise InputError("the bag is neither a folder nor a file", path=p)
    root = p.resolve()
    if not (root / "bagit.txt").is_file():
        raise BagError("not a bag: there is no bagit.txt at its top", path=root)
    bag = LocalBag(root, root.name, "folder", files=_walk(root))
    names = {f.relpath for f in bag.files}
    for f in bag.files:
        if "/" in f.relpath:
            continue
        parsed = split_manifest_name(f.relpath)
        if parsed is None:
            continue
        _read_manifest(bag, f, parsed[1], names)
    if not any(split_manifest_name(n) == (False, a) for n in names for a in SUPPORTED):
        raise BagError("the bag has no payload manifest this tool can check", path=root)
    info = root / "bag-info.txt"
    if info.is_file():
        tags, _errors = parse_tags(info.read_text(encoding="utf-8", errors="replace"))
        bag.external_identifier = first_value(tags, "External-Identifier")
    return bag


def _walk(root: Path) -> list[BagFile]:
    out: list[BagFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for d in dirnames:
            if (base / d).is_symlink():
                raise InputError("the bag holds a symbolic link; deposit refuses it", path=base / d)
        for name in sorted(filenames):
            full = base / name
            st = full.lstat()
            if not stat.S_ISREG(st.st_mode):
                raise InputError("the bag holds something that is not a regular file", path=full)
            out.append(BagFile(full.relative_to(root).as_posix(), full, st.st_size))
    out.sort(key=lambda f: f.relpath)
    return out


def _read_manifest(bag: LocalBag, mf: BagFile, algorithm: str, names: set[str]) -> None:
    if algorithm not in SUPPORTED:
        return
    text = mf.path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed = parse_line(line)
        if not isinstance(parsed, ManifestLine):
            raise BagError(f"unreadable manifest line: {parsed.message}", path=mf.path, line=number)
        reason = unsafe_reason(parsed.path)
        if reason:
            raise BagError(f"unsafe path in manifest: {reason}", path=mf.path, line=number)
        if parsed.path not in names:
            raise BagError(
                f"the manifest lists {parsed.path!r}, which is not in the bag",
                path=mf.path,
                line=number,
                hint="complete the bag (fetch.txt) or fix it before depositing",
            )
        bag.manifests.setdefault(parsed.path, {})[algorithm] = parsed.digest
