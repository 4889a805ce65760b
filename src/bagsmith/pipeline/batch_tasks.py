"""The worker side of ``bagsmith batch``: one article in, one :class:`ArticleOutcome` out.

:func:`run_article` runs in a local worker process or on a Dask worker. It packages the
article with the packager of its :class:`ArticleTask` (by default :func:`package_with_bagsmith`,
i.e. ``package_article``), or — resuming — checks the bag that is already there (see
:mod:`.batch`). It never raises a ``BagsmithError``: every failure becomes part of the outcome.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import fixity
from ..bagit.reader import open_bag
from ..bagit.serialize import ArchiveFormat, archive_names
from ..bagit.tagfiles import parse_tags
from ..bagit.validate import BagValidation, Mode
from ..errors import BagsmithError, DestinationError
from ..problems import Problem
from .journal import bag_digest

if TYPE_CHECKING:
    from ..bagit.profiles import Profile
    from .capturing import CaptureOptions


@dataclass(frozen=True)
class BatchOptions:
    # a profile's NAME, PATH or identifier; ``run_batch`` loads it once and hands its workers
    # the loaded Profile
    profile: str | Profile | None = "bagsmith-article-v1"
    info: tuple[tuple[str, str], ...] = ()  # added to every bag, before the row's own tags
    algorithms: tuple[str, ...] = fixity.DEFAULT_ALGORITHMS
    serialize: ArchiveFormat | None = None
    allow_broken_images: bool = False
    created: str | None = None
    schema_dir: Path | None = None
    group_id: str | None = None  # default: the journal's, else the collection's name
    resume: bool = False
    workers: int | None = None  # local processes (default: one per CPU)
    scheduler: str | None = None  # a Dask scheduler address instead of the local pool
    capture: CaptureOptions | None = None  # for the collection's url rows (default settings)


@dataclass(frozen=True)
class ArticleRequest:
    """Everything a worker needs to package one article (picklable, paths absolute)."""

    index: int
    total: int
    group: str
    name: str
    article: Path | None  # None for a url row
    images: Path | None
    metadata: Path | None
    info: tuple[tuple[str, str], ...]
    dest: Path  # the bag folder (``dest.zip`` … when serialised)
    options: BatchOptions
    recorded_digest: str | None = None  # from the journal, with resume
    url: str | None = None  # a live page to capture and package instead of ``article``

    @property
    def source(self) -> str:
        return self.url or str(self.article)


@dataclass
class PackageSummary:
    """What a packager returns for one article."""

    path: str
    files: int
    bytes: int
    figures: int
    valid: bool
    warnings: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


Packager = Callable[[ArticleRequest], PackageSummary]


@dataclass
class ArticleOutcome:
    index: int
    name: str
    source: str
    status: str = "failed"  # packaged | skipped | invalid (an existing bag) | failed
    path: str | None = None
    valid: bool = False
    files: int = 0
    bytes: int = 0
    figures: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    digest: str | None = None
    seconds: float = 0.0
    worker: str = ""
    source_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.status in ("packaged", "skipped") and self.valid

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "source": self.source,
            "status": self.status,
            "path": self.path,
            "valid": self.valid,
            "files": self.files,
            "bytes": self.bytes,
            "figures": self.figures,
            "digest": self.digest,
            "seconds": round(self.seconds, 3),
            "worker": self.worker,
            "warnings": self.warnings,
            "problems": self.problems,
        }


# --- one article (runs in a worker) ------------------------------------------------------------


def package_with_bagsmith(request: ArticleRequest) -> PackageSummary:
    """The default packager: :func:`bagsmith.pipeline.packaging.package_article`, or for a url
    row :func:`bagsmith.pipeline.capturing.capture_article`."""
    from .packaging import PackageOptions, package_article

    opts = request.options
    options = PackageOptions(
        images=request.images,
        metadata=request.metadata,
        profile=opts.profile,
        info=request.info,
        algorithms=opts.algorithms,
        serialize=opts.serialize,
        processes=1,  # the parallelism is across articles
        allow_broken_images=opts.allow_broken_images,
        created=opts.created,
        bag_group=(request.group, request.index, request.total),
        schema_dir=opts.schema_dir,
        # a local pool: the batch's parent fsyncs the output folder before it journals the bag
        # (the worker goes on meanwhile); a Dask worker, maybe on another machine, does it itself
        sync_parent=opts.scheduler is not None,
        # the parent sweeps the output folder for leftovers of killed runs, once (a process id
        # tells a live writer from a dead one on this machine only: a Dask worker looks itself)
        remove_stale=opts.scheduler is not None,
    )
    if request.url is not None:
        from .capturing import CaptureOptions, capture_article

        captured = capture_article(
            request.url, request.dest, opts.capture or CaptureOptions(), options
        )
        result = captured.package
    else:
        assert request.article is not None
        result = package_article(request.article, request.dest, options)
    validation = result.validation
    problems = [] if validation is None else validation.to_dict()["problems"]
    return PackageSummary(
        path=str(result.path),
        files=result.files,
        bytes=result.bytes,
        figures=result.figures,
        valid=True if validation is None else bool(validation.valid),
        warnings=[w.to_dict() for w in result.warnings],
        problems=[p for p in problems if p.get("severity") == "error"],
    )


@dataclass(frozen=True)
class ArticleTask:
    request: ArticleRequest
    packager: Packager = package_with_bagsmith


def final_path(request: ArticleRequest) -> Path:
    if request.options.serialize is None:
        return request.dest
    return archive_names(request.dest, request.options.serialize)[0]


def run_article(task: ArticleTask) -> ArticleOutcome:
    """Package one article, or check its existing bag (with resume, or when an earlier attempt
    of this batch made it). Never raises a BagsmithError."""
    started = time.monotonic()
    req = task.request
    outcome = ArticleOutcome(
        req.index, req.name, req.source, worker=f"{socket.gethostname()}:{os.getpid()}"
    )
    try:
        final = final_path(req)
        if os.path.lexists(final) and (req.options.resume or _made_by_this_batch(req, final)):
            _check_existing(req, final, outcome)
        else:
            summary = task.packager(req)
            outcome.status = "packaged"
            outcome.path = summary.path
            outcome.valid = summary.valid
            outcome.files, outcome.bytes = summary.files, summary.bytes
            outcome.figures = summary.figures
            outcome.warnings, outcome.problems = summary.warnings, summary.problems
            outcome.digest = bag_digest(Path(summary.path))
    except BagsmithError as exc:
        outcome.status, outcome.problems = "failed", [exc.to_dict()]
    except Exception as exc:  # one article never stops the batch: report it and go on
        outcome.status = "failed"
        outcome.problems = [internal_problem(f"{type(exc).__name__}: {exc}", req.source)]
    outcome.seconds = time.monotonic() - started
    return outcome


def _made_by_this_batch(req: ArticleRequest, final: Path) -> bool:
    """Whether the bag at ``final`` carries this request's group and Bag-Count: an earlier
    attempt at this very task finished it, and its result was lost with its worker (a local
    pool broken by another task, a Dask worker killed after the bag's rename into place)."""
    try:
        text = open_bag(final, hash_payload=False).read_bytes("bag-info.txt")
    except (OSError, BagsmithError):
        return False
    tags, _ = parse_tags(text.decode("utf-8", errors="replace"))
    values = {(t.label.lower(), t.value) for t in tags}
    return {
        ("bag-group-identifier", req.group),
        ("bag-count", f"{req.index} of {req.total}"),
    } <= values


def _check_existing(req: ArticleRequest, final: Path, outcome: ArticleOutcome) -> None:
    outcome.path = str(final)
    if req.recorded_digest is not None:
        digest = bag_digest(final)
        if digest != req.recorded_digest:
            outcome.problems = [
                DestinationError(
                    "the bag differs from the one the journal recorded (bag-info.txt or a tag "
                    "manifest changed)",
                    path=final,
                    hint="check it with `bagsmith validate`; remove it to package the article "
                    "again",
                ).to_dict()
            ]
            return
    check = _validate_existing(req, final)
    if not check.valid:
        errors = check.report.errors
        codes = ", ".join(dict.fromkeys(p.code for p in errors))
        outcome.status = "invalid"
        outcome.files, outcome.bytes = check.payload_files, check.payload_bytes
        outcome.problems = [
            DestinationError(
                f"the bag that exists already is not valid ({len(errors)} "
                f"problem{'' if len(errors) == 1 else 's'}: {codes}); it was left as it is",
                path=final,
                hint="validate it to see why; move it away (or remove it) and resume the batch "
                "to package the article again",
            ).to_dict(),
            *(p.to_dict() for p in errors),
        ]
        return
    outcome.status, outcome.valid = "skipped", True
    outcome.files, outcome.bytes = check.payload_files, check.payload_bytes
    outcome.digest = req.recorded_digest or bag_digest(final)
    if req.recorded_digest is None:
        outcome.warnings = [
            Problem(
                "batch-bag-adopted",
                "a valid bag of this batch with no journal record was kept",
                str(final),
            ).to_dict()
        ]


def _validate_existing(req: ArticleRequest, final: Path) -> BagValidation:
    """The checks ``package`` runs on a bag before moving it into place: BagIt in full (every
    digest re-read), the batch's profile, and METS/DC (schemas, and the METS against the
    manifests)."""
    from .validation import validate_one

    opts = req.options
    return validate_one(
        final,
        mode=Mode.FULL,
        processes=1,  # the parallelism is across articles
        profile=opts.profile,
        declared_profile=False,  # package checks only the profile it was given
        schema_dir=opts.schema_dir,
    )


def internal_problem(message: str, path: str | None) -> dict[str, Any]:
    return {"code": "internal", "message": message, "path": path, "line": None, "field": None}
