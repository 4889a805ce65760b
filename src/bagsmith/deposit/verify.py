"""Verify-after-deposit: compare what is at the destination with what was sent.

Targets read back (or have the server digest) every file they wrote; these helpers compare
those digests with the ones the bag's files must have (:attr:`LocalBag.digests`: from the
bag's own manifests, which the pipeline has validated, plus SHA-256) and raise a
``checksum-mismatch`` :class:`DepositError` naming every file that differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import IO

from ..errors import DepositError
from ..fixity import hash_stream
from .base import deposit_error
from .source import BASE_ALGORITHM, LocalBag


def differences(bag: LocalBag, found: Mapping[str, Mapping[str, str] | None]) -> list[str]:
    """Every way ``found`` (relpath → digests, None = missing) differs from the local bag.

    Only the algorithms present in ``found`` for a file are compared (a server may only offer
    SHA-256); at least one must be, or the file counts as unverified. Files at the destination
    that are not in the bag are differences too.
    """
    out: list[str] = []
    local = {f.relpath for f in bag.files}
    for relpath in sorted(local):
        got = found.get(relpath)
        if got is None:
            out.append(f"{relpath}: missing at the destination")
            continue
        expected = bag.expected(relpath)
        compared = 0
        for alg, digest in sorted(got.items()):
            if alg not in expected:
                continue
            compared += 1
            if digest.lower() != expected[alg]:
                out.append(f"{relpath}: {alg} is {digest.lower()}, expected {expected[alg]}")
        if compared == 0:
            out.append(f"{relpath}: no digest could be compared")
    for extra in sorted(set(found) - local):
        out.append(f"{extra}: at the destination but not in the bag")
    return out


def require_identical(
    bag: LocalBag,
    found: Mapping[str, Mapping[str, str] | None],
    where: str,
) -> None:
    """Raise a ``checksum-mismatch`` error unless ``found`` matches the bag exactly."""
    diffs = differences(bag, found)
    if diffs:
        raise mismatch_error(diffs, where)


def mismatch_error(diffs: list[str], where: str) -> DepositError:
    shown = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
    return deposit_error(
        "checksum-mismatch",
        f"the copy does not match the bag: {shown}",
        path=where,
        hint="nothing was recorded as deposited; try again, and check the storage if it repeats",
    )


def read_back(
    bag: LocalBag,
    relpaths: Iterable[str],
    opener: Callable[[str], IO[bytes]],
) -> dict[str, dict[str, str] | None]:
    """Re-read files at the destination through ``opener`` and digest each with every
    algorithm the local copy has (SHA-256 and the manifests' algorithms)."""
    found: dict[str, dict[str, str] | None] = {}
    for relpath in relpaths:
        algorithms = sorted(bag.digests.get(relpath, {BASE_ALGORITHM: ""}))
        try:
            stream = opener(relpath)
        except FileNotFoundError:
            found[relpath] = None
            continue
        with stream:
            found[relpath] = hash_stream(stream, algorithms)
    return found
