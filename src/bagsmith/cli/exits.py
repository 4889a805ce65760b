"""The exit codes of ``bagsmith``, in one place (docs/cli.md documents them).

Nothing below ``cli/`` knows exit codes (``tests/test_layering.py``): the library raises the
errors of ``errors.py`` and returns results with a ``status``; these tables turn either into
the number a shell sees.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    BagsmithError,
    DestinationError,
    InputError,
    Interrupted,
    ProcessesUnavailable,
    UsageError,
)

#: An error's class → its exit code; a class not listed takes its nearest listed base's.
ERROR_EXITS: dict[type[BagsmithError], int] = {
    BagsmithError: 1,
    UsageError: 2,  # options that do not make sense
    InputError: 2,  # a path that cannot be read
    DestinationError: 2,  # an output that exists already or cannot be written
    ProcessesUnavailable: 2,  # the system refused worker processes: ask for fewer
    Interrupted: 130,  # 128 + SIGINT, as shells expect
}

#: A run's ``status`` (validation runs and collection audits; batches) → its exit code.
STATUS_EXITS: dict[str, int] = {
    "valid": 0,  # every bag valid
    "invalid": 1,  # some bag invalid
    "unreadable": 2,  # some path could not be read at all
    "done": 0,  # a batch: every article packaged
    "failed": 1,  # a batch: some article failed
}


def error_exit(error: BagsmithError | type[BagsmithError]) -> int:
    """The exit code of an error (or an error class)."""
    cls = error if isinstance(error, type) else type(error)
    return next(ERROR_EXITS[c] for c in cls.__mro__ if c in ERROR_EXITS)


def status_exit(status: str) -> int:
    """The exit code of a run that ended with ``status``."""
    return STATUS_EXITS[status]


def with_exit_code(document: dict[str, Any], status: str) -> dict[str, Any]:
    """A run's JSON document with its ``exit_code``, placed after ``valid`` (as the published
    schemas/validation-report.schema.json has it)."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        out[key] = value
        if key == "valid":
            out["exit_code"] = status_exit(status)
    out.setdefault("exit_code", status_exit(status))
    return out
