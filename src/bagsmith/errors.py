"""One exception hierarchy for the whole library, each class with a stable code.

The CLI maps these to exit codes: ``UsageError`` and ``InputError`` (a path that cannot be
read, bad options) exit 2; everything else that is a ``BagsmithError`` exits 1. Library code
never prints and never calls ``sys.exit``; it raises one of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .problems import Problem


class BagsmithError(Exception):
    """Base of every error bagsmith raises on purpose."""

    code = "error"
    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.hint = hint
        self.problems: list[Problem] = list(problems or ())

    def location(self) -> str:
        """``file:line`` / ``file (field x)`` part of a message, or ''."""
        if self.path is None and self.field is None:
            return ""
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" (field {self.field})" if where else f"field {self.field}"
        return where

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        """The error as JSON data (``--json``). A subclass or raiser may set a machine-readable
        ``reason`` attribute (deposit errors do: ``auth``, ``no-space`` …); it is included only
        when set. The problems behind the error (``problems=``: every profile or schema problem
        that stopped a run, each with its code and severity) are included only when given."""
        data: dict[str, object] = {
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "field": self.field,
            "hint": self.hint,
        }
        reason = getattr(self, "reason", None)
        if reason is not None:
            data["reason"] = str(reason)
        if self.problems:
            data["problems"] = [p.to_dict() for p in self.problems]
        return data


class UsageError(BagsmithError):
    """Options that do not make sense together, an unknown algorithm, a bad --info value."""

    code = "usage"
    exit_code = 2


class InputError(BagsmithError):
    """A source path that is missing or unreadable, or input that cannot be parsed."""

    code = "input"
    exit_code = 2


class SourceConflictError(BagsmithError):
    """Source files that cannot be bagged as they are (name collisions, unsupported types)."""

    code = "source-conflict"


class DestinationError(BagsmithError):
    """The output location exists already or cannot be written."""

    code = "destination"
    exit_code = 2


class ProcessesUnavailable(BagsmithError):
    """The system refused to start worker processes (a limit on processes such as
    ``ulimit -u``, or memory): the workers already started are stopped and nothing is left
    half-written; run again with fewer `--processes`/`--workers`."""

    code = "processes-unavailable"
    exit_code = 2


class BagError(BagsmithError):
    """A bag that cannot be read at all (not the same as an invalid bag: see problems)."""

    code = "bag"


class ArchiveError(BagsmithError):
    """A serialised bag (zip/tar) that is unsafe or unreadable."""

    code = "archive"


class MetadataError(BagsmithError):
    """Sidecar metadata, article records or XML that fail their schema."""

    code = "metadata"


class SchemaCacheError(BagsmithError):
    """Official XML schemas missing from the cache, or not matching what was installed."""

    code = "schema-cache"


class ProfileError(BagsmithError):
    """A BagIt profile that cannot be found or is not a valid profile document."""

    code = "profile"


class DepositError(BagsmithError):
    """A deposit that failed: bad credentials, permission, checksum mismatch after transfer."""

    code = "deposit"


class CaptureError(BagsmithError):
    """A web page that cannot be captured: the host cannot be resolved or reached, the server
    answers with an error, loops redirects, sends something that is not HTML, too much, or
    too slowly, or robots.txt forbids it. ``reason`` names which (docs/capture.md)."""

    code = "capture"

    def __init__(self, message: str, *, reason: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reason = reason


class Interrupted(BagsmithError):
    """The user interrupted a run; whatever was staged has been removed."""

    code = "interrupted"
    exit_code = 130


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    exit_code: int
    doc: str


def catalogue() -> list[ErrorInfo]:
    """Every error class with its code, for documentation and tests."""
    out: list[ErrorInfo] = []
    stack: list[type[BagsmithError]] = [BagsmithError]
    while stack:
        cls = stack.pop(0)
        out.append(ErrorInfo(cls.code, cls.exit_code, (cls.__doc__ or "").strip()))
        stack.extend(cls.__subclasses__())
    return out
