"""What was done, file by file, for the record an archivist keeps (``-v``, ``--log-file``).

Every use case reports here what it did: the bag written and each of its files with its
digests, each bag validated with its verdict, each file checked and each problem, each deposit.
The lines go to the ``bagsmith`` logger at level INFO (problems: WARNING), so a Python user
gets them with ``logging.basicConfig(level=logging.INFO)`` and the command line with
``bagsmith -v`` or ``bagsmith --log-file FILE``.

Nothing is done (not even importing :mod:`logging`, which would slow every start of the
command line) unless something has set up logging and the ``bagsmith`` logger records INFO:
a bag's manifests are read again only for a record that is kept.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..problems import Problem, Severity

LOGGER = "bagsmith"


def _logger() -> Any:
    """The ``bagsmith`` logger when it records INFO, else None."""
    logging = sys.modules.get("logging")
    if logging is None:  # nobody has set up logging
        return None
    logger = logging.getLogger(LOGGER)
    return logger if logger.isEnabledFor(logging.INFO) else None


def enabled() -> bool:
    return _logger() is not None


def note(message: str, *args: object) -> None:
    """One line of the record."""
    logger = _logger()
    if logger is not None:
        logger.info(message, *args)


def problems(subject: str, found: Iterable[Problem]) -> None:
    """Each problem: errors and warnings at WARNING, info notes at INFO."""
    logger = _logger()
    if logger is None:
        return
    for p in found:
        where = f"{subject}/{p.path}" if p.path else subject
        if p.line is not None:
            where += f":{p.line}"
        level = 20 if p.level is Severity.INFO else 30  # logging.INFO, logging.WARNING
        logger.log(level, "%s[%s] %s: %s", p.level.value, p.code, where, p.message)


def bag_files(path: str | Path, verb: str) -> None:
    """Each payload file of the bag at ``path`` with its digests, as its manifests list them."""
    logger = _logger()
    if logger is None:
        return
    from ..bagit.contents import read_contents  # only for a record that is kept

    contents = read_contents(path)
    digests: dict[str, list[str]] = {}
    for algorithm, entries in sorted(contents.manifests.items()):
        for rel, digest in entries.items():
            digests.setdefault(rel, []).append(f"{algorithm}:{digest}")
    for rel in sorted(digests):
        logger.info("%s %s %s", verb, rel, " ".join(digests[rel]))


def checked_files(path: str | Path, mode: str, found: Sequence[Problem]) -> None:
    """Each payload file the manifests list, with what validation found about it."""
    logger = _logger()
    if logger is None:
        return
    from ..bagit.contents import read_contents

    try:
        contents = read_contents(path)
    except Exception:  # not a bag, unreadable: the problems say so already
        return
    named: dict[str, str] = {}
    for p in found:
        if p.path and p.level is Severity.ERROR:
            named.setdefault(p.path, p.code)
    fine = "verified" if mode == "full" else "present"
    listed = sorted({rel for entries in contents.manifests.values() for rel in entries})
    for rel in listed:
        logger.info("checked %s/%s: %s", path, rel, named.get(rel, fine))
