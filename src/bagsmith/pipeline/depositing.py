"""Use case: deposit a bag to a target and prove it arrived intact; list past deposits."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..bagit.facts import BagFacts
from ..bagit.reader import open_bag
from ..bagit.serialize import SUFFIXES, ArchiveFormat, write_archive
from ..bagit.validate import Mode
from ..deposit import record
from ..deposit.base import (
    FAILED,
    DepositOptions,
    DepositResult,
    RetryPolicy,
    Sent,
    TransientError,
    now_iso,
    reason_of,
    retry,
)
from ..deposit.registry import build, resolve
from ..deposit.source import (
    BASE_ALGORITHM,
    BagFile,
    LocalBag,
    archive_bag,
    archive_format_setting,
)
from ..errors import ArchiveError, BagError, BagsmithError, InputError, UsageError
from ..fixity import HashJob, default_processes, hash_many
from ..problems import Report
from . import activity
from .archivematica import METADATA_CSV, RIGHTS_CSV, SYSTEMS, archivematica_variant
from .progress import Continued, next_phase
from .validation import validate_one

Progress = Callable[[int, int], None]

#: Modification time of every member of the archive made for S3 and SWORD (the Unix epoch:
#: ``write_archive`` clamps member times to it). BagIt carries no file times; with one fixed
#: time the same bag always gives the same archive bytes, which is how an identical
#: re-deposit is recognised.
DEPOSIT_EPOCH = 0
#: Show at most this many of the validator's problems in the error refusing a bag.
_SHOWN_PROBLEMS = 5


def deposit_bag(
    bag_path: str | os.PathLike[str],
    target: str,
    *,
    verify: bool = True,
    dry_run: bool = False,
    name: str | None = None,
    object_id: str | None = None,
    endpoint_url: str | None = None,
    trust_host_key: str | None = None,
    config: str | os.PathLike[str] | None = None,
    archive_format: str | None = None,
    objects: bool | None = None,
    for_system: str | None = None,
    retry_policy: RetryPolicy | None = None,
    data_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_retry: Callable[[int, str], None] | None = None,
) -> DepositResult:
    """Deposit the bag at ``bag_path`` (folder or .zip/.tar/.tgz) to ``target`` (URL or name).

    Every attempt that gets as far as the target is written to the deposit record, failures
    included; a dry run is never recorded (an identical bag already at the target is
    reported as ``already-present`` by a dry run too). ``progress(done_bytes, 0)`` follows
    the validating and hashing of the bag, then (a second phase of the display, see
    :func:`~bagsmith.pipeline.progress.next_phase`) the bytes sent to the target, of the
    bag's or the archive's size. Raises the :class:`BagsmithError` that stopped the
    deposit; its ``reason`` says why (see ``deposit.base.REASONS``).
    """
    overrides: Mapping[str, Any] = {"endpoint_url": endpoint_url, "trust_host_key": trust_host_key}
    spec = resolve(target, config=config, overrides=overrides)
    policy = retry_policy or spec.retry
    path = _bag_path(bag_path)
    result = DepositResult(target=spec.display, bag=str(path))
    history = tuple(
        e
        for e in record.read(data_dir)
        if e.get("target") == spec.display and e.get("outcome") in ("deposited", "already-present")
    )
    options = DepositOptions(
        verify=verify,
        dry_run=dry_run,
        name=name,
        object_id=object_id,
        history=history,
        sent=Sent(_sending(progress)),
        serialise=serialise_for_deposit,
        archive_format=archive_format_setting(archive_format) if archive_format else None,
        objects=objects,
    )
    configured_for = spec.settings.pop("for", None)
    for_system = for_system or (str(configured_for) if configured_for else None)
    if for_system is not None and for_system not in SYSTEMS:
        raise UsageError(
            f"unknown receiving system {for_system!r}",
            parameter="for_system",
            hint="use one of " + ", ".join(SYSTEMS),
        )
    tgt = None
    variant_dir: tempfile.TemporaryDirectory[str] | None = None
    try:
        tgt = build(spec)
        if objects and not getattr(tgt, "object_trees", False):
            raise UsageError(
                "{objects} (one object per file) is for s3:// and az:// targets",
                parameter="objects",
            )
        if archive_format and not hasattr(tgt, "archive_format"):
            raise UsageError(
                "{archive_format} is for targets that take one file: s3://, az://, sword://",
                parameter="archive_format",
            )
        bag = describe_bag(path, progress=progress)
        if for_system is not None:
            if bag.kind != "folder":
                raise UsageError(
                    f"{{for_system={for_system}}} needs a bag folder, not a serialised bag",
                    path=path,
                    hint="extract the archive and deposit the folder",
                )
            variant_dir = tempfile.TemporaryDirectory(prefix="bagsmith-variant-")
            try:
                variant = archivematica_variant(path, Path(variant_dir.name))
            except OSError as exc:
                raise ArchiveError(
                    f"cannot make the {for_system} variant of the bag: {exc.strerror or exc}",
                    path=exc.filename or variant_dir.name,
                    hint="check the free space of the temporary folder (TMPDIR)",
                ) from exc
            bag = describe_bag(variant)  # the variant is validated in full as well
            bag.origin = path
            result.details.append(
                f"deposited the {for_system} variant of the bag: {METADATA_CSV} and "
                f"{RIGHTS_CSV} added, manifests regenerated (the source bag is unchanged)"
            )
        result.files = len(bag.files)
        result.bytes = bag.size
        if bag.kind == "folder":
            result.checksums["bag-sha256"] = bag.fingerprint()
        else:
            result.checksums.update(bag.digests[bag.files[0].relpath])
        if bag.external_identifier:
            result.identifiers["External-Identifier"] = bag.external_identifier

        def attempt() -> None:
            result.attempts += 1
            tgt.deposit(bag, options, result)

        def retried(number: int, exc: TransientError) -> None:
            result.details.append(f"attempt {number} failed: {exc.message}")
            if on_retry is not None:
                on_retry(number, exc.message)

        retry(attempt, policy, on_retry=retried)
    except BagsmithError as exc:
        result.outcome = FAILED
        result.verified = False
        result.error = {**exc.to_dict(), "reason": reason_of(exc)}
        result.finished = now_iso()
        if result.attempts and not dry_run:
            record.append(result, data_dir)
        activity.note("deposit of %s to %s failed: %s", path, spec.display, exc.message)
        raise
    finally:
        close = getattr(tgt, "close", None)
        if close is not None:
            close()
        if variant_dir is not None:
            variant_dir.cleanup()
    result.finished = now_iso()
    if not dry_run:
        record.append(result, data_dir)
    activity.note(
        "deposit of %s to %s: %s at %s, verified: %s, %d files, %d bytes, %s",
        path,
        spec.display,
        result.outcome,
        result.location,
        result.verified,
        result.files,
        result.bytes,
        " ".join(f"{k}:{v}" for k, v in result.checksums.items()),
    )
    return result


def _sending(progress: Progress | None) -> Callable[[int, int], None] | None:
    """What the targets' count of bytes sent reports to: the display's sending phase."""
    if progress is None:
        return None
    shown = progress

    def report(done: int, total: int) -> None:
        if done == 0:  # a target starts sending (again, after a failed attempt)
            next_phase(shown, "Sending", total)
        shown(done, 0)

    return report


def _bag_path(bag_path: str | os.PathLike[str]) -> Path:
    """The bag's absolute path; a folder or a regular file, else :class:`InputError`."""
    p = Path(bag_path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(f"cannot read the bag: {exc.strerror}", path=p) from exc
    if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        raise InputError("the bag is neither a folder nor a file", path=p)
    return p.resolve()


def describe_bag(path: Path, *, progress: Progress | None = None) -> LocalBag:
    """Validate the bag fully, as ``bagsmith validate`` does (BagIt, the profiles bag-info.txt
    names, METS and Dublin Core), then describe it for the targets.

    A bag that is not valid, or not complete (files still to fetch), is refused with a
    :class:`BagError` listing the validator's problems: a damaged bag is never deposited as
    if it were good. A serialised bag is then one file with its MD5 and SHA-256. For a
    folder, each file's expected digests are those the validator has just checked (the facts
    of its pass: the manifests' and tag manifests' digests, bag-info.txt); only files without
    a SHA-256 there (every file when the bag has no SHA-256 manifest; tag files no tag
    manifest lists) are read again, for their SHA-256. ``progress(done_bytes, done_files)``
    follows both reads, with their total.
    """
    update = Continued(progress)
    checked = validate_one(path, mode=Mode.FULL, progress=update, keep_facts=True)
    if checked.format not in ("folder", *(f.value for f in ArchiveFormat)):
        raise InputError("a bag must be a folder or a .zip, .tar, .tgz or .tar.gz file", path=path)
    _refuse_invalid(path, checked.report, checked.fetch_pending)
    if checked.format != "folder":
        return archive_bag(path, checked.format)
    if checked.facts is None:  # a valid bag always has them
        raise BagError("not a bag: there is no bagit.txt at its top", path=path)
    bag = _folder_bag(path, checked.facts)
    _complete_digests(bag, update.then())
    return bag


def _refuse_invalid(path: Path, report: Report, fetch_pending: int) -> None:
    errors = report.errors
    if fetch_pending and all(p.code == "fetch-file-pending" for p in errors):
        errors = []  # only incomplete: said below, with what to do about it
    if errors:
        shown = "; ".join(
            f"{p.where() or '(bag)'}: {p.message} [{p.code}]" for p in errors[:_SHOWN_PROBLEMS]
        )
        more = len(errors) - _SHOWN_PROBLEMS
        raise BagError(
            f"the bag is not valid ({len(errors)} error(s)), so nothing was sent: {shown}"
            + (f"; and {more} more" if more > 0 else ""),
            path=path,
            hint="see `bagsmith validate` for the full report; fix or rebuild the bag first",
        )
    if fetch_pending:
        raise BagError(
            f"the bag is not complete: {fetch_pending} file(s) listed in fetch.txt are not in it",
            path=path,
            hint="fetch them into the bag (and remove fetch.txt) before depositing",
        )


def _folder_bag(root: Path, facts: BagFacts) -> LocalBag:
    """Files and sizes of a validated bag folder; its tags and digests from the validator's
    facts (nothing of the bag is read again: its folders are listed for the sizes)."""
    reader = open_bag(root, hash_payload=False)
    files: list[BagFile] = []
    for entry in [*reader.tag_files(), *reader.payload_files()]:
        if entry.special is not None:
            raise InputError(
                f"the bag holds something that is not a regular file ({entry.special})",
                path=root / entry.path,
                hint="deposit copies regular files only",
            )
        files.append(BagFile(entry.path, root.joinpath(*entry.path.split("/")), entry.size))
    files.sort(key=lambda f: f.relpath)
    bag = LocalBag(root, root.name, "folder", files=files)
    bag.external_identifier = _first(facts, "External-Identifier")
    bag.contact_name = _first(facts, "Contact-Name")
    bag.contact_email = _first(facts, "Contact-Email")
    for digests in (facts.manifest_digests, facts.tag_manifest_digests):
        for relpath, by_algorithm in (digests or {}).items():
            bag.digests.setdefault(relpath, {}).update(by_algorithm)
    return bag


def _first(facts: BagFacts, label: str) -> str | None:
    values = facts.info_values(label)
    return values[0] if values else None


def _complete_digests(bag: LocalBag, update: Continued) -> None:
    """Add SHA-256 (one more read) for every file whose manifests give none."""
    missing = [f for f in bag.files if BASE_ALGORITHM not in bag.digests.get(f.relpath, {})]
    total = sum(f.size for f in missing)
    processes = min(default_processes(), 4) if total > 64 * 1024 * 1024 else 1
    jobs = [HashJob(f.relpath, str(f.path), f.size) for f in missing]
    if total:
        update.set_total(total)
    for res in hash_many(
        jobs, (BASE_ALGORITHM,), processes=processes, total_bytes=total, progress=update
    ):
        if res.digests is None:
            raise InputError(f"cannot read {res.key}: {res.error}", path=bag.path / res.key)
        bag.digests.setdefault(res.key, {}).update(res.digests)


def serialise_for_deposit(bag_dir: Path, folder: Path, fmt: str = "tar") -> Path:
    """Write the bag folder as ``folder/NAME.zip`` (``.tgz``, ``.tar``) holding ``NAME/``,
    always the same bytes for the same bag (the BagIt engine's deterministic serialiser,
    times :data:`DEPOSIT_EPOCH`, which zip raises to its own earliest time, 1980)."""
    archive_format = ArchiveFormat(fmt)
    dest = folder / f"{bag_dir.name}{SUFFIXES[archive_format][0]}"
    try:
        write_archive(bag_dir, dest, archive_format, bag_dir.name, DEPOSIT_EPOCH)
    except OSError as exc:
        raise ArchiveError(
            f"cannot serialise the bag for the deposit: {exc.strerror or exc}",
            path=exc.filename or dest,
            hint="check the free space of the temporary folder (TMPDIR)",
        ) from exc
    return dest


def list_deposits(
    *,
    data_dir: Path | None = None,
    bag: str | None = None,
    outcome: str | None = None,
) -> list[dict[str, object]]:
    """Recorded deposits, oldest first, optionally only those of one bag or one outcome."""
    entries = record.read(data_dir)
    if bag is not None:
        wanted = str(Path(bag).resolve())
        entries = [e for e in entries if e.get("bag") == wanted]
    if outcome is not None:
        entries = [e for e in entries if e.get("outcome") == outcome]
    return entries
