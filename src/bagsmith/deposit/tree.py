"""A bag folder as a tree of objects in an object store, one object per file (S3, Azure).

``PREFIX/NAME/bagit.txt``, ``PREFIX/NAME/data/…``: browsable, and deduplicated by stores that
do so, instead of one archive. Each file is sent with its MD5 and SHA-256 from the bag's own
manifests (the store refuses an object whose bytes differ) — a file the manifests give no MD5
for is read once more for it. ``bagit.txt`` goes up last, so a reader that finds it finds the
whole bag. Afterwards the store is listed under ``PREFIX/NAME/`` and every object's size and
the MD5 the store reports (S3 ETag, Azure Content-MD5) — and its SHA-256 where the listing
carries it — are compared with the bag; an object that is not in the bag is a difference too.

An interrupted upload is resumed: objects already there with the right size and digests are
kept. Objects under the name that differ from the bag, or are not in it, are a ``conflict``
(another bag has the name), never overwritten.

The store-specific part is a :class:`Store`: listing, uploading one file, and what a stored
object must look like to be this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..fixity import hash_file
from .base import (
    ALREADY_PRESENT,
    DEPOSITED,
    DRY_RUN,
    UNVERIFIED,
    DepositOptions,
    DepositResult,
    deposit_error,
)
from .source import BASE_ALGORITHM, BagFile, LocalBag
from .verify import mismatch_error

#: Uploaded last: once it is there, every other file of the bag is.
LAST = "bagit.txt"


@dataclass(frozen=True)
class Stored:
    """One object as a listing of the store shows it."""

    size: int
    md5: str | None  # the content's MD5 as the store reports it (hex), or its ETag
    sha256: str | None = None  # the SHA-256 the object carries, when the listing shows it


@dataclass(frozen=True)
class Local:
    """One bag file with the digests it is sent and checked with."""

    file: BagFile
    md5: str
    sha256: str


class Store(Protocol):
    def listing(self, prefix: str) -> dict[str, Stored]:
        """Every object whose key starts with ``prefix``, keyed by the rest of the key."""
        ...

    def put(self, key: str, local: Local) -> None:
        """Upload one file (its MD5 and SHA-256 sent for the store to check)."""
        ...

    def expected_md5(self, local: Local) -> str:
        """What :attr:`Stored.md5` must be for this file (an S3 multipart ETag differs)."""
        ...


def digests_for_objects(bag: LocalBag) -> list[Local]:
    """Every file with its MD5 and SHA-256 (from the manifests; MD5 read if none lists it)."""
    out: list[Local] = []
    for f in bag.files:
        known = bag.digests[f.relpath]
        md5 = known.get("md5")
        if md5 is None:
            try:
                md5 = hash_file(f.path, ("md5",))[0]["md5"]
            except OSError as exc:
                raise deposit_error(
                    "invalid", f"cannot read the bag file: {exc.strerror or exc}", path=str(f.path)
                ) from exc
        out.append(Local(f, md5, known[BASE_ALGORITHM]))
    return out


def deposit_tree(
    store: Store,
    bag: LocalBag,
    options: DepositOptions,
    result: DepositResult,
    base: str,
    location: str,
) -> None:
    """Deposit ``bag`` (a folder) as objects under ``base`` (``PREFIX/NAME``)."""
    if bag.kind != "folder":
        raise deposit_error(
            "config",
            "a bag can only be deposited as objects from a bag folder, not a serialised bag",
            path=str(bag.path),
            hint="extract the archive and deposit the folder, or deposit the archive as one "
            "object (without {objects})",
        )
    prefix = base.rstrip("/") + "/"
    result.form = "objects"
    result.location = location
    result.identifiers["objects"] = str(len(bag.files))
    locals_ = digests_for_objects(bag)
    by_path = {item.file.relpath: item for item in locals_}
    found = store.listing(prefix)
    wrong = [
        rel
        for rel, stored in sorted(found.items())
        if rel not in by_path or not _matches(store, stored, by_path[rel])
    ]
    if wrong:
        shown = ", ".join(wrong[:5]) + (f" and {len(wrong) - 5} more" if len(wrong) > 5 else "")
        raise deposit_error(
            "conflict",
            f"a different bag already has objects under this name ({shown})",
            path=location,
            hint="deposit it under another name ({name}), or remove the old objects",
        )
    if len(found) == len(by_path):
        result.outcome, result.verified = ALREADY_PRESENT, True
        result.details.append(
            f"an identical bag is already there: {len(found)} object(s) (verified, not sent)"
        )
        return
    missing = [item for item in locals_ if item.file.relpath not in found]
    if options.dry_run:
        result.outcome = DRY_RUN
        result.details.append(
            f"would upload {len(missing)} object(s), {sum(i.file.size for i in missing)} bytes"
            + (f" ({len(found)} already there)" if found else "")
        )
        return
    missing.sort(key=lambda item: item.file.relpath == LAST)
    options.sent.start(sum(item.file.size for item in missing))
    for item in missing:
        store.put(prefix + item.file.relpath, item)
        options.sent.add(item.file.size)
    if found:
        result.details.append(f"resumed an interrupted upload: {len(found)} object(s) kept")
    result.details.append(f"{len(locals_)} object(s) under {location}")
    if options.verify:
        after = store.listing(prefix)
        diffs = [
            f"{rel}: at the destination but not in the bag" for rel in after if rel not in by_path
        ]
        for rel, item in by_path.items():
            stored = after.get(rel)
            if stored is None:
                diffs.append(f"{rel}: missing at the destination")
            elif not _matches(store, stored, item):
                diffs.append(
                    f"{rel}: stored size/MD5/SHA-256 {stored.size}/{stored.md5}/{stored.sha256}, "
                    f"expected {item.file.size}/{store.expected_md5(item)}/{item.sha256}"
                )
        if diffs:
            raise mismatch_error(sorted(diffs), location)
    result.verified = options.verify
    result.outcome = DEPOSITED if options.verify else UNVERIFIED


def _matches(store: Store, stored: Stored, item: Local) -> bool:
    """Same size and MD5 (as the store reports it), and the same SHA-256 wherever the
    listing carries one."""
    if stored.size != item.file.size or stored.md5 is None:
        return False
    if stored.md5.strip('"').lower() != store.expected_md5(item):
        return False
    return stored.sha256 is None or stored.sha256 == item.sha256
