"""Use case: validate one or more bags (folders or serialised) and build the report.

The CLI command ``bagsmith validate`` calls :func:`validate_bags`; the JSON form of the result
follows ``schemas/validation-report.schema.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..bagit.validate import BagValidation, Mode, validate_bag
from ..errors import InputError

SCHEMA_ID = "https://bagsmith.invalid/schemas/validation-report.schema.json"

ProgressFactory = Callable[[str, int | None], AbstractContextManager[Callable[[int, int], None]]]


@dataclass
class UnreadableBag:
    """A BAG argument that could not be read at all (missing path, permission denied)."""

    path: str
    error: InputError

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "readable": False,
            "valid": False,
            "error": {"code": self.error.code, "message": self.error.message},
        }


@dataclass
class ValidationRun:
    mode: Mode
    bags: list[BagValidation] = field(default_factory=list)
    unreadable: list[UnreadableBag] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.unreadable and all(b.valid for b in self.bags)

    @property
    def exit_code(self) -> int:
        """0 every bag valid, 1 some bag invalid, 2 some path unreadable."""
        if self.unreadable:
            return 2
        return 0 if self.valid else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "$schema": SCHEMA_ID,
            "tool": {"name": "bagsmith", "version": __version__},
            "mode": self.mode.value,
            "valid": self.valid,
            "exit_code": self.exit_code,
            "bags": [b.to_dict() | {"readable": True} for b in self.bags]
            + [u.to_dict() for u in self.unreadable],
        }


def _no_progress(
    _desc: str, _total: int | None
) -> AbstractContextManager[Callable[[int, int], None]]:
    return nullcontext(lambda done, files: None)


def validate_bags(
    paths: Iterable[str | Path],
    *,
    mode: Mode = Mode.FULL,
    processes: int | None = None,
    progress: ProgressFactory | None = None,
) -> ValidationRun:
    """Validate every bag; unreadable paths are collected, not raised, so all are reported."""
    run = ValidationRun(mode)
    factory = progress or _no_progress
    for path in paths:
        try:
            with factory(f"validating {path}", None) as step:
                run.bags.append(validate_bag(path, mode=mode, processes=processes, progress=step))
        except InputError as exc:
            run.unreadable.append(UnreadableBag(str(path), exc))
    return run
