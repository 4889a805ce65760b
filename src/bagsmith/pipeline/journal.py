"""The batch journal: ``bagsmith-batch.jsonl`` in the output folder, one JSON object a line.

Only the process that runs the batch writes it (workers return their outcomes to it), each
line flushed and ``fsync`` ed before the next article is counted as done, so that a batch
killed at any moment leaves a journal that tells ``--resume`` what was finished:

* ``{"event": "run", ...}`` — a run began: the group identifier, the number of articles,
  the collection, the executor.
* ``{"event": "article", "name": ..., "status": "packaged" | "skipped" | "failed", ...}`` —
  an article's outcome, with the bag's digest (see :func:`bag_digest`) when it was packaged.
* ``{"event": "end", ...}`` — the run finished (missing after a crash or an interrupt).

A last line cut short by a crash is ignored; any other line that is not a JSON object is an
error naming the journal and the line.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..bagit.staging import fsync_dir
from ..errors import InputError

JOURNAL_NAME = "bagsmith-batch.jsonl"
_CHUNK = 1024 * 1024


@dataclass
class JournalState:
    """What earlier runs recorded: the group, the article count, and the finished bags."""

    group: str | None = None
    total: int | None = None
    runs: int = 0
    finished: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> last record


def read_journal(path: Path) -> JournalState:
    state = JournalState()
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return state
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the batch journal: {exc}", path=path) from None
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except ValueError:
            if number == len(lines) and not line.endswith("\n"):
                break  # the last line, cut short by a crash
            raise InputError(
                "the batch journal has a line that is not a JSON object",
                path=path,
                line=number,
                hint="the journal was edited or damaged; move it away to start the batch afresh",
            ) from None
        event = record.get("event")
        if event == "run":
            state.runs += 1
            state.group = state.group or record.get("group")
            state.total = state.total or record.get("total")
        elif (
            event == "article"
            and isinstance(record.get("name"), str)
            and record.get("status") in ("packaged", "skipped")
            and record.get("valid")
        ):
            # a later failure (a bag found changed) does not erase the digest recorded when
            # the bag was made: a changed bag keeps failing until it is removed and redone
            state.finished[record["name"]] = record
    return state


class Journal:
    """Appends records to the journal, durably (flush + fsync per record)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        new = not path.exists()
        self._fh: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        if new:
            fsync_dir(path.parent)

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bag_digest(path: Path) -> str:
    """A fingerprint of a finished bag, recorded in the journal and checked by ``--resume``.

    For a bag folder: SHA-256 over ``bag-info.txt`` and every ``tagmanifest-*.txt`` (which
    carry the digests of every tag file, and the payload manifests those of every payload
    file). For a serialised bag: SHA-256 of the archive.
    """
    sha = hashlib.sha256()
    if path.is_dir():
        tagmanifests = sorted(p.name for p in path.iterdir() if p.name.startswith("tagmanifest-"))
        names = ["bag-info.txt", *tagmanifests]
        for name in names:
            sha.update(name.encode() + b"\0")
            sha.update((path / name).read_bytes())
            sha.update(b"\0")
        return "sha256:" + sha.hexdigest()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest()
