"""Use cases: validate many bags at once, and audit a storage folder or an OCFL storage root.

:func:`validate_collection` spreads bags over the workers of a local pool or a Dask cluster
(see :mod:`.executors`); each bag is checked exactly as ``bagsmith validate`` checks one
(:func:`.validation.validate_one`: BagIt, the given or declared profile, METS/DC), in one
process per bag: the parallelism is across bags. :func:`audit_storage` finds the bags first:

* a folder: every folder holding a ``bagit.txt`` (a bag's own folders are not searched), and
  serialised bags (``.zip``, ``.tar``, ``.tgz``, ``.tar.gz``) outside bags;
* an OCFL storage root (``0=ocfl_1.1`` or ``0=ocfl_1.0`` at its top): every object. The
  object is checked with ocfl-py's object validator (digests included in full mode), and the
  content of its head version — a bag, when bagsmith deposited it — is validated as a bag.
  When the head version's ``content`` folder does not hold every file of that version
  (unchanged files stay in earlier versions), the version is assembled from hard links (or
  copies) in a temporary folder outside the storage root; the storage root is only read.

The :class:`~.audit_report.CollectionReport` has one entry per bag; its CSV form has one row
per bag (``path, kind, valid, errors, warnings, files, bytes, first_problem``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..bagit.archive import detect_format
from ..bagit.profiles import Profile, load_profile
from ..bagit.tagfiles import parse_tags
from ..bagit.validate import BagValidation, Mode
from ..errors import BagsmithError, DepositError, InputError
from ..problems import Problem
from .audit_report import CSV_COLUMNS, BagEntry, CollectionReport
from .executors import Executor, make_executor
from .progress import ProgressFactory, step
from .validation import validate_one

__all__ = [
    "CSV_COLUMNS",
    "BagEntry",
    "CollectionReport",
    "audit_storage",
    "find_bags",
    "validate_collection",
]


_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz")


# --- work done in the workers ------------------------------------------------------------------


@dataclass(frozen=True)
class Checks:
    """What to check in every bag, as ``bagsmith validate`` does (see pipeline.validation)."""

    mode: Mode = Mode.FULL
    profile: Profile | None = None  # loaded once, by the caller
    declared_profile: bool = True
    metadata: bool = True
    schema_dir: Path | None = None
    allow_holey: bool = False  # files still to fetch (fetch.txt) are info, not errors


@dataclass(frozen=True)
class CheckTask:
    path: str
    kind: str  # bag | ocfl-object
    checks: Checks = Checks()


def check_one(task: CheckTask) -> BagEntry:
    """Validate one bag or OCFL object; every failure becomes part of the entry."""
    entry = BagEntry(task.path, task.kind)
    try:
        if task.kind == "ocfl-object":
            _check_ocfl_object(Path(task.path), task.checks, entry)
        else:
            _fill(entry, _validate(task.path, task.checks))
    except BagsmithError as exc:
        entry.readable = False
        entry.valid = False
        entry.problems.append(
            {
                "code": exc.code,
                "severity": "error",
                "message": exc.message,
                "path": exc.path,
                "line": exc.line,
            }
        )
    return entry


def _validate(path: str | Path, checks: Checks) -> BagValidation:
    return validate_one(
        path,
        mode=checks.mode,
        processes=1,  # the parallelism is across bags
        profile=checks.profile,
        declared_profile=checks.declared_profile,
        metadata=checks.metadata,
        schema_dir=checks.schema_dir,
        allow_holey=checks.allow_holey,
    )


def _fill(entry: BagEntry, result: BagValidation) -> None:
    earlier_errors = any(p.get("severity") == "error" for p in entry.problems)
    entry.valid = result.valid and not earlier_errors
    entry.format = result.format
    entry.files, entry.bytes = result.payload_files, result.payload_bytes
    entry.problems.extend(p.to_dict() for p in result.report)
    entry.report = result.to_dict() | {"readable": True}


def _check_ocfl_object(objdir: Path, checks: Checks, entry: BagEntry) -> None:
    from ..deposit.ocfl import OcflTarget

    mode = checks.mode
    entry.valid = True
    try:
        OcflTarget.validate_object(objdir) if mode is Mode.FULL else _validate_structure(objdir)
    except DepositError as exc:
        entry.valid = False
        entry.problems.append(Problem("ocfl-object-invalid", exc.message, str(objdir)).to_dict())
    try:
        inventory = json.loads((objdir / "inventory.json").read_text(encoding="utf-8"))
        head = inventory["head"]
        state: dict[str, list[str]] = inventory["versions"][head]["state"]
        manifest: dict[str, list[str]] = inventory["manifest"]
        content_dir = inventory.get("contentDirectory", "content")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        entry.valid = False
        entry.problems.append(
            Problem(
                "ocfl-object-invalid", f"cannot read the object's inventory: {exc}", str(objdir)
            ).to_dict()
        )
        return
    entry.details = {"id": inventory.get("id"), "version": head}
    files = {logical: manifest[d][0] for d, paths in state.items() for logical in paths}
    prefix = f"{head}/{content_dir}/"
    if all(content == prefix + logical for logical, content in files.items()):
        _fill(entry, _validate(objdir / head / content_dir, checks))
        return
    with tempfile.TemporaryDirectory(prefix="bagsmith-audit-") as tmp:
        view = Path(tmp) / "bag"
        for logical, content in files.items():
            dest = view / logical
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(objdir / content, dest)
            except OSError:
                shutil.copyfile(objdir / content, dest)
        result = _validate(view, checks)
        result.path = str(objdir)
        _fill(entry, result)


def _validate_structure(objdir: Path) -> None:
    """ocfl-py's object validation without re-hashing the content (fast modes)."""
    from ..deposit import ocfl as target

    ocfl = target.import_ocfl()
    passed, validator = target.call_ocfl(
        ocfl.Object().validate, objdir=str(objdir), log_warnings=False, check_digests=False
    )
    if not passed:
        raise DepositError(
            "the OCFL object is not valid: " + " ".join(validator.status_str().split())[:800],
            path=str(objdir),
        )


# --- finding bags --------------------------------------------------------------------------------


def find_bags(root: Path) -> list[CheckTask]:
    """Bags under a folder, or the objects of an OCFL storage root, sorted by path."""
    return sorted(_walk_bags(Path(root)), key=lambda t: t.path)


def _walk_bags(root: Path) -> Iterator[CheckTask]:
    if not root.is_dir():
        raise InputError("the storage root is not a folder", path=root)
    if (root / "bagit.txt").is_file():
        yield CheckTask(str(root), "bag")
        return
    ocfl = any((root / f"0=ocfl_{v}").is_file() for v in ("1.0", "1.1"))
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            raise InputError(f"cannot read the folder: {exc.strerror}", path=folder) from None
        names = {e.name for e in entries}
        if folder != root and ocfl and any(n.startswith("0=ocfl_object_") for n in names):
            yield CheckTask(str(folder), "ocfl-object")
            continue
        if folder != root and not ocfl and "bagit.txt" in names:
            yield CheckTask(str(folder), "bag")
            continue
        for entry in entries:
            if entry.name.startswith(".") or (
                ocfl and folder == root and entry.name == "extensions"
            ):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif (
                not ocfl
                and entry.name.lower().endswith(_ARCHIVE_SUFFIXES)
                and detect_format(Path(entry.path)) is not None
            ):
                yield CheckTask(entry.path, "bag")


def _estimated_bytes(task: CheckTask) -> int:
    """Payload-Oxum from bag-info.txt, or the archive's size (for the progress bar only)."""
    path = Path(task.path)
    try:
        if task.kind == "bag" and path.is_file():
            return path.stat().st_size
        if task.kind == "ocfl-object":
            return 0
        tags, _ = parse_tags((path / "bag-info.txt").read_text(encoding="utf-8", errors="replace"))
        for tag in tags:
            if tag.label.lower() == "payload-oxum":
                return int(tag.value.split(".", 1)[0])
    except (OSError, ValueError, BagsmithError):
        pass
    return 0


# --- the use cases -----------------------------------------------------------------------------


def read_bag_list(path: Path) -> list[str]:
    """The bags named in a ``--from-list`` file: one path a line; blank lines and lines starting
    with ``#`` are skipped; relative paths are read against the list file's folder."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("the bag list does not exist", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"the bag list is not UTF-8 text: {exc.reason}", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the bag list: {exc.strerror}", path=path) from None
    base = Path(path).resolve().parent
    bags: list[str] = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            bags.append(str(base / entry))
    if not bags:
        raise InputError("the bag list names no bag", path=path)
    return bags


def validate_collection(
    paths: Iterable[str | Path],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    mode: Mode = Mode.FULL,
    progress: ProgressFactory | None = None,
    profile: Profile | str | Path | None = None,
    declared_profile: bool = True,
    metadata: bool = True,
    schema_dir: Path | None = None,
    executor: Executor | None = None,
    allow_holey: bool = False,
) -> CollectionReport:
    """Validate every bag in ``paths``, spread over local processes or a Dask cluster, with
    the checks of :func:`bagsmith.pipeline.validation.validate_one` (BagIt; the given or
    declared profile; METS/DC in full mode). A profile that cannot be loaded raises
    :class:`~bagsmith.errors.ProfileError` before any bag is read."""
    checks = _checks(mode, profile, declared_profile, metadata, schema_dir, allow_holey)
    tasks = [CheckTask(os.path.abspath(p), "bag", checks) for p in paths]
    return _run(tasks, None, mode, workers, scheduler, progress, executor, "Validating")


def audit_storage(
    root: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    mode: Mode = Mode.FULL,
    progress: ProgressFactory | None = None,
    profile: Profile | str | Path | None = None,
    declared_profile: bool = True,
    metadata: bool = True,
    schema_dir: Path | None = None,
    executor: Executor | None = None,
) -> CollectionReport:
    """Validate every bag under ``root`` (a folder, or an OCFL storage root), with the same
    checks as :func:`validate_collection`."""
    root = Path(os.path.abspath(root))
    checks = _checks(mode, profile, declared_profile, metadata, schema_dir)
    tasks = [CheckTask(t.path, t.kind, checks) for t in find_bags(root)]
    if not tasks:
        raise InputError(
            "no bags here: no folder with a bagit.txt, no serialised bag, no OCFL object",
            path=root,
        )
    return _run(tasks, str(root), mode, workers, scheduler, progress, executor, "Auditing")


def _checks(
    mode: Mode,
    profile: Profile | str | Path | None,
    declared_profile: bool,
    metadata: bool,
    schema_dir: Path | None,
    allow_holey: bool = False,
) -> Checks:
    loaded = profile if profile is None or isinstance(profile, Profile) else load_profile(profile)
    return Checks(mode, loaded, declared_profile, metadata, schema_dir, allow_holey)


def _run(
    tasks: list[CheckTask],
    root: str | None,
    mode: Mode,
    workers: int | None,
    scheduler: str | None,
    progress: ProgressFactory | None,
    executor: Executor | None,
    verb: str,
) -> CollectionReport:
    executor = executor or make_executor(workers, scheduler)
    report = CollectionReport(root, mode, executor.description)
    sizes = [_estimated_bytes(t) for t in tasks]
    started = time.monotonic()
    entries: dict[int, BagEntry] = {}
    try:
        with step(
            progress, f"{verb} {len(tasks)} bags", sum(sizes) or None, items=len(tasks)
        ) as update:
            done_bytes = 0
            for index, result in executor.run(check_one, tasks):
                if not isinstance(result, BagEntry):
                    failure = result
                    result = BagEntry(tasks[index].path, tasks[index].kind, readable=False)
                    result.problems.append(
                        {
                            "code": "internal",
                            "severity": "error",
                            "message": f"the check did not finish: {failure}",
                            "path": None,
                            "line": None,
                        }
                    )
                entries[index] = result
                done_bytes += sizes[index]
                update(done_bytes, len(entries))
    finally:
        executor.close()
    report.entries = [entries[i] for i in sorted(entries)]
    report.seconds = time.monotonic() - started
    return report
