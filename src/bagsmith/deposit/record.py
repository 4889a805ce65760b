"""The deposit record: one JSON object a line in ``deposits.jsonl`` in the user's data folder.

The folder is ``$BAGSMITH_DATA_DIR``, else ``$XDG_DATA_HOME/bagsmith``, else
``~/.local/share/bagsmith``. Every deposit attempt is recorded with its outcome, so a failed
deposit is on record as failed and never as deposited. Lines are appended under an exclusive
lock, so parallel deposits do not interleave.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from ..errors import DestinationError, InputError
from .base import DepositResult

RECORD_NAME = "deposits.jsonl"


def data_dir() -> Path:
    explicit = os.environ.get("BAGSMITH_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "bagsmith"


def record_path(folder: Path | None = None) -> Path:
    return (folder or data_dir()) / RECORD_NAME


def append(result: DepositResult, folder: Path | None = None) -> Path:
    """Append one result to the record; returns the record file's path."""
    path = record_path(folder)
    line = json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise DestinationError(
            f"cannot write the deposit record: {exc.strerror or exc}",
            path=path,
            hint="set BAGSMITH_DATA_DIR to a writable folder",
        ) from exc
    return path


def read(folder: Path | None = None) -> list[dict[str, object]]:
    """Every recorded deposit, oldest first; a damaged line is an error naming its line."""
    path = record_path(folder)
    if not path.exists():
        return []
    out: list[dict[str, object]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the deposit record: {exc}", path=path) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not a JSON object: {exc.msg}", path=path, line=number) from exc
        if not isinstance(entry, dict):
            raise InputError("not a JSON object", path=path, line=number)
        out.append(entry)
    return out
