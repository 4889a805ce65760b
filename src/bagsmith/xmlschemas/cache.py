"""Where the schema cache lives, its index (sha256 of every installed file) and its status."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SchemaCacheError
from .generated import CATALOG_FILE, DRIVER_FILE
from .registry import official_schemas

ENV_VAR = "BAGSMITH_SCHEMA_DIR"
INDEX_FILE = "index.json"
INDEX_FORMAT = 1
INSTALL_HINT = (
    "run `bagsmith schemas install` (it downloads the official XSDs, or copies them from a "
    "local folder)"
)


def cache_dir() -> Path:
    """``$BAGSMITH_SCHEMA_DIR``, else ``$XDG_DATA_HOME/bagsmith/schemas``
    (``~/.local/share/bagsmith/schemas`` when XDG_DATA_HOME is unset)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return (base / "bagsmith" / "schemas").absolute()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: the SHA-256 of each schema file read, under the identity and times of the file it was read
#: from (device, inode, size, modification and change times in nanoseconds): ``status`` runs
#: before every schema check (three times an article in ``package``), and hashing the 0.5 MB
#: of the cache each time cost ~0.7 ms. A write to a file changes its change time (which no
#: program can set back), a replaced file has another inode: either is hashed again. File
#: times move in clock ticks of a few milliseconds, so (as git does with its index) a file
#: changed less than ``_SETTLED_NS`` before it was hashed is not remembered: a second write in
#: the same tick, same size, would leave its times as they were.
_HASHED: dict[str, tuple[tuple[int, ...], str]] = {}
_HASHED_MAX = 256
_SETTLED_NS = 2_000_000_000


def _file_sha256(path: Path) -> str | None:
    """The SHA-256 of the file at ``path`` (None when it cannot be read), hashed again only
    when the file is not the one hashed last time (see ``_HASHED``)."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    known = _HASHED.get(str(path))
    if known is not None and known[0] == key:
        return known[1]
    try:
        with path.open("rb") as fh:
            data = fh.read()
            after = os.fstat(fh.fileno())
    except OSError:
        return None
    digest = sha256_of(data)
    unchanged = (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns)
    settled = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) >= _SETTLED_NS
    if settled and unchanged == key:
        if len(_HASHED) >= _HASHED_MAX:
            _HASHED.clear()
        _HASHED[str(path)] = (key, digest)
    return digest


@dataclass(frozen=True)
class FileStatus:
    file: str
    key: str
    namespace: str | None
    installed: bool
    matches: bool  # present and its sha256 equals the one recorded at install time
    sha256: str | None
    source: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "key": self.key,
            "namespace": self.namespace,
            "installed": self.installed,
            "matches": self.matches,
            "sha256": self.sha256,
            "source": self.source,
        }


@dataclass(frozen=True)
class CacheStatus:
    directory: Path
    files: tuple[FileStatus, ...]

    @property
    def complete(self) -> bool:
        """Every official file and every generated file is present and unchanged."""
        return all(f.installed and f.matches for f in self.files)

    def to_dict(self) -> dict[str, object]:
        return {
            "directory": str(self.directory),
            "complete": self.complete,
            "files": [f.to_dict() for f in self.files],
        }


def read_index(directory: Path) -> dict[str, Any]:
    path = directory / INDEX_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SchemaCacheError(
            f"the schema cache index is unreadable: {exc}", path=path, hint=INSTALL_HINT
        ) from exc
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        raise SchemaCacheError(
            "the schema cache index has an unknown format", path=path, hint=INSTALL_HINT
        )
    return data


def status(directory: Path | None = None) -> CacheStatus:
    """What is installed in the cache and whether each file still matches its recorded sha256."""
    directory = directory or cache_dir()
    recorded: dict[str, Any] = read_index(directory).get("files", {})
    out: list[FileStatus] = []
    for file, key, namespace in _entries():
        path = directory / file
        info = recorded.get(file) or {}
        actual = _file_sha256(path)
        out.append(
            FileStatus(
                file=file,
                key=key,
                namespace=namespace,
                installed=actual is not None and bool(info),
                matches=actual is not None and actual == info.get("sha256"),
                sha256=actual,
                source=info.get("source"),
            )
        )
    return CacheStatus(directory, tuple(out))


def require_installed(directory: Path | None = None) -> CacheStatus:
    """The cache status, or :class:`SchemaCacheError` saying what is missing and how to install."""
    state = status(directory)
    missing = [f.file for f in state.files if not f.installed]
    if missing:
        raise SchemaCacheError(
            f"the official XML schemas are not installed in {state.directory} "
            f"(missing: {', '.join(missing)})",
            hint=INSTALL_HINT,
        )
    changed = [f.file for f in state.files if not f.matches]
    if changed:
        raise SchemaCacheError(
            f"schema files changed since they were installed in {state.directory}: "
            + ", ".join(changed),
            hint="reinstall them: " + INSTALL_HINT,
        )
    return state


def _entries() -> list[tuple[str, str, str | None]]:
    """(file, key, namespace) of every file of a complete cache."""
    entries: list[tuple[str, str, str | None]] = [
        (s.file, s.key, s.namespace) for s in official_schemas()
    ]
    return [*entries, (CATALOG_FILE, "catalog", None), (DRIVER_FILE, "driver", None)]


def _stat_keys(directory: Path) -> tuple[tuple[int, ...], ...] | None:
    """The identity and times (as ``_HASHED`` keeps them) of the index and of every file of
    the cache; None if one cannot be read."""
    keys = []
    for path in _paths(os.fspath(directory)):
        try:
            st = os.stat(path)
        except OSError:
            return None
        keys.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(keys)


@functools.lru_cache(maxsize=8)
def _paths(directory: str) -> tuple[str, ...]:
    """The index's and every cache file's path in ``directory``, as ``_stat_keys`` stats them
    (joined once: pathlib's ``/`` cost twice the 15 ``stat`` calls themselves)."""
    files = (INDEX_FILE, *(entry[0] for entry in _entries()))
    return tuple(os.path.join(directory, file) for file in files)


#: the fingerprint of a complete cache under the identity and times of its index and files
#: (as ``_HASHED``, for files that settled): ``validator`` asks for it before every schema
#: check, and reading the index and checking each file's status cost ~0.3 ms
_COMPLETE: dict[str, tuple[tuple[tuple[int, ...], ...], tuple[tuple[str, str], ...]]] = {}


def complete_fingerprint(directory: Path) -> tuple[tuple[str, str], ...]:
    """(file, SHA-256) of every file of the cache, sorted, when it is complete (every file
    installed and unchanged: :func:`require_installed`); SchemaCacheError otherwise. Files
    are read again only when their identity or times changed."""
    before = _stat_keys(directory)
    known = _COMPLETE.get(str(directory))
    if before is not None and known is not None and known[0] == before:
        return known[1]
    state = require_installed(directory)
    fingerprint = tuple(sorted((f.file, f.sha256 or "") for f in state.files))
    if before is None:
        return fingerprint
    now = time.time_ns()
    settled = all(now - max(k[3], k[4]) >= _SETTLED_NS for k in before)
    if settled and _stat_keys(directory) == before:
        if len(_COMPLETE) >= _HASHED_MAX:
            _COMPLETE.clear()
        _COMPLETE[str(directory)] = (before, fingerprint)
    return fingerprint
