"""The bag being deposited, as the deposit targets see it: plain data, no bag reading here.

The pipeline (:mod:`bagsmith.pipeline.depositing`) validates the bag with the BagIt engine and
describes it as a :class:`LocalBag`: its files and sizes, and the digests each file must have
(from the bag's own manifests, which the validator has just checked, plus SHA-256 where no
manifest gives one). Targets copy the files and compare what arrived with those digests.

Targets that take one file (S3, SWORD) get a bag folder serialised by the callable the
pipeline passes in :class:`~bagsmith.deposit.base.DepositOptions` (see :class:`ArchiveCache`).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..fixity import hash_file

#: Every file of a bag has a digest with this algorithm: the one targets compare files by.
BASE_ALGORITHM = "sha256"
#: Digests of a whole archive file (S3, Azure and SWORD send its MD5 too).
ARCHIVE_ALGORITHMS = ("md5", "sha256")
_SUFFIX_FORMATS = {".tar.gz": "tgz", ".tgz": "tgz", ".zip": "zip", ".tar": "tar"}

#: Writes the bag folder (first argument) as one archive file inside the folder given as
#: second argument, in the format given third (one of :data:`ARCHIVE_FORMATS`), and returns
#: the archive's path (``NAME.zip``, ``NAME.tgz``, ``NAME.tar``). The same bag must give the
#: same bytes every time: an identical re-deposit is recognised by them.
Serialise = Callable[[Path, Path, str], Path]
#: Formats a bag folder can be serialised to for targets that take one file.
ARCHIVE_FORMATS = ("zip", "tgz", "tar")
#: The default: Archivematica takes zipped bags as .zip, .tgz or .tar.gz (not .tar); SWORD
#: servers take SimpleZip (DSpace) or zip/tar (swh-deposit); .zip is what all of them accept.
DEFAULT_ARCHIVE_FORMAT = "zip"


def archive_format_setting(value: object) -> str:
    """A configured or requested archive format (``zip``, ``tgz``/``tar.gz``, ``tar``)."""
    from .base import deposit_error

    text = str(value).lower().lstrip(".")
    text = "tgz" if text == "tar.gz" else text
    if text not in ARCHIVE_FORMATS:
        raise deposit_error(
            "config",
            f"unknown archive format {value!r}",
            hint="use one of " + ", ".join(ARCHIVE_FORMATS),
        )
    return text


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
    #: relpath -> {algorithm: digest} every file must have; always with :data:`BASE_ALGORITHM`.
    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    external_identifier: str | None = None
    archive_format: str | None = None  # "zip", "tar" or "tgz"
    #: bag-info.txt's Contact-Name and Contact-Email (folder bags): who answers for the bag.
    contact_name: str | None = None
    contact_email: str | None = None
    #: The bag this one was made from at deposit time (a variant for a receiving system,
    #: see ``--for``), which the deposit must not touch either.
    origin: Path | None = None

    def local_paths(self) -> list[Path]:
        """Where this bag (and the bag it was made from) is on the local disk."""
        return [self.path] + ([self.origin] if self.origin is not None else [])

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def fingerprint(self) -> str:
        """One SHA-256 over every file's path and SHA-256: the bag's identity for the record."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(f"{self.digests[f.relpath][BASE_ALGORITHM]}  {f.relpath}\n".encode())
        return h.hexdigest()

    def expected(self, relpath: str) -> dict[str, str]:
        """Digests a copy of ``relpath`` must have."""
        return self.digests[relpath]


def archive_format_of(name: str) -> str | None:
    """``zip``, ``tar`` or ``tgz`` from an archive's file name, None for anything else."""
    lower = name.lower()
    return next((fmt for s, fmt in _SUFFIX_FORMATS.items() if lower.endswith(s)), None)


def archive_bag(path: Path, fmt: str, *, external_identifier: str | None = None) -> LocalBag:
    """Describe a serialised bag as one file, with its MD5 and SHA-256 (one read)."""
    try:
        digests, size = hash_file(path, ARCHIVE_ALGORITHMS)
    except OSError as exc:
        raise InputError(f"cannot read the bag: {exc.strerror or exc}", path=path) from exc
    return LocalBag(
        path,
        path.name,
        "archive",
        files=[BagFile(path.name, path, size)],
        digests={path.name: digests},
        external_identifier=external_identifier,
        archive_format=fmt,
    )


class ArchiveCache:
    """Gives a target one serialised file for a bag, made once however many attempts."""

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._made: dict[tuple[Path, str], LocalBag] = {}

    def archive_of(
        self, bag: LocalBag, serialise: Serialise | None, fmt: str = DEFAULT_ARCHIVE_FORMAT
    ) -> LocalBag:
        """The bag itself if it is already serialised, else an archive in format ``fmt`` made
        by ``serialise`` in a temporary folder (removed by :meth:`close`)."""
        if bag.kind == "archive":
            return bag
        if serialise is None:
            raise ValueError("a bag folder can only go to this target with a serialiser")
        key = (bag.path, fmt)
        if key not in self._made:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="bagsmith-deposit-")
            folder = Path(self._tmp.name) / f"{len(self._made)}"
            folder.mkdir()
            made = serialise(bag.path, folder, fmt)
            found = archive_format_of(made.name)
            if found != fmt:
                raise ValueError(f"the serialiser wrote {made.name}, not a .{fmt} file")
            self._made[key] = archive_bag(made, fmt, external_identifier=bag.external_identifier)
        return self._made[key]

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._made.clear()
