"""Use case: package a whole collection, one bag per article, on a local pool or Dask.

``run_batch(collection, output, options)`` reads the collection (see :mod:`.collection`),
sends one task per article to the executor (see :mod:`.executors`) and records every outcome
in the journal (see :mod:`.journal`). Each bag gets ``Bag-Group-Identifier`` and ``Bag-Count:
n of N``. A bad article is a failed outcome with its problems, never the end of the batch.

With ``resume``, an article whose bag exists is checked, not packaged again: a bag the journal
recorded must still have the recorded digest (``bag-info.txt`` and tag manifests), and every
existing bag must pass the checks ``package`` runs before moving a bag into place — BagIt in
full (every payload digest re-read), the batch's profile, and METS/DC — to be ``skipped``. A bag
that fails them is reported ``invalid`` with its problems (e.g. ``payload-digest-mismatch``) and
left as it is, never deleted or redone: the user moves it away and resumes to package the
article again. A bag the journal did not record (the batch was killed between the bag's rename
into place and its journal line) is kept when it passes the same checks.
The same check applies without ``resume`` to a bag whose ``Bag-Group-Identifier`` and
``Bag-Count`` are the article's own: a retried task whose first attempt finished the bag.
``package_article`` writes atomically, so an article that was being packaged when the batch
died has no bag and is simply packaged again. Its staging leftovers are removed by this
process, which sweeps the output folder once before the local pool starts and once after it
stopped (each worker sweeping would list a folder of N bags N times), or, on Dask, by the
writer of that article's bag.
A bag is flushed to disk before its rename into place, and the rename is made durable (an
``fsync`` of the output folder, by this process for the local pool's workers) before the journal
records the bag.

Workers must see the collection and the output folder at the same paths (one machine, or a
shared file system for a Dask cluster).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fixity
from ..bagit.staging import fsync_dir, remove_stale_in
from ..errors import DestinationError, InputError, Interrupted, UsageError
from .batch_tasks import (
    ArticleOutcome,
    ArticleRequest,
    ArticleTask,
    BatchOptions,
    Packager,
    PackageSummary,
    final_path,
    internal_problem,
    package_with_bagsmith,
    run_article,
)
from .collection import ArticleSpec, Collection, read_collection
from .executors import Executor, make_executor
from .journal import JOURNAL_NAME, Journal, read_journal
from .progress import ProgressFactory, step
from .writing import stale_removed

__all__ = [
    "ArticleOutcome",
    "ArticleRequest",
    "BatchOptions",
    "BatchReport",
    "PackageSummary",
    "Packager",
    "package_with_bagsmith",
    "run_batch",
]


@dataclass
class BatchReport:
    collection: str
    output: str
    group: str
    executor: str
    journal: str
    outcomes: list[ArticleOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[ArticleOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def status(self) -> str:
        """``done`` (every article packaged or skipped) or ``failed`` (some article not)."""
        return "failed" if self.failed else "done"

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "output": self.output,
            "group": self.group,
            "executor": self.executor,
            "journal": self.journal,
            "articles": len(self.outcomes),
            "packaged": self.count("packaged"),
            "skipped": self.count("skipped"),
            "invalid": self.count("invalid"),  # existing bags that failed the checks
            "failed": len(self.failed),  # every article not done, the invalid ones included
            "bytes": sum(o.bytes for o in self.outcomes if o.status == "packaged"),
            "seconds": round(self.seconds, 3),
            "valid": not self.failed,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


# --- the batch (runs in the calling process) ---------------------------------------------------


def run_batch(
    collection: Path,
    output: Path,
    options: BatchOptions | None = None,
    *,
    progress: ProgressFactory | None = None,
    packager: Packager = package_with_bagsmith,
    executor: Executor | None = None,
) -> BatchReport:
    """Package every article of ``collection`` into a bag under ``output``."""
    options = options or BatchOptions()
    fixity.parse_algorithms(options.algorithms)
    if isinstance(options.profile, str):  # a bad profile is one error, before anything is made
        from ..bagit.profiles import load_profile

        options = dataclasses.replace(options, profile=load_profile(options.profile))
    coll = read_collection(Path(collection))
    output = Path(os.path.abspath(output))
    _check_output(coll, output)
    journal_path = output / JOURNAL_NAME
    state = read_journal(journal_path) if options.resume else None
    if state is None and journal_path.exists():
        raise DestinationError(
            "the output folder holds a batch already",
            path=journal_path,
            hint="add {resume} to continue it, or choose another {output}",
        )
    total = len(coll.articles)
    group = _group(options, coll, state.group if state else None)
    if state is not None and state.total is not None and state.total != total:
        raise InputError(
            f"the collection has {total} articles; the batch in the output folder was "
            f"started with {state.total}, so its Bag-Count values would disagree",
            path=coll.path,
            hint="resume with the same collection, or start a new batch in another {output}",
        )
    finished = state.finished if state else {}
    tasks: list[ArticleTask] = []
    report = BatchReport(str(coll.path), str(output), group, "", str(journal_path))
    early: list[ArticleOutcome] = []
    for spec in coll.articles:
        if spec.problems or (spec.article is None and spec.url is None):
            early.append(_unusable(spec))
            continue
        request = _request(spec, total, group, output, options, finished.get(spec.name))
        tasks.append(ArticleTask(request, packager))
    if packager is package_with_bagsmith and options.scheduler is None:
        prepare_workers(options)
    executor = executor or make_executor(options.workers, options.scheduler)
    report.executor = executor.description
    started = time.monotonic()
    sizes = {spec.index: spec.source_bytes for spec in coll.articles}
    # a bag's leftovers of killed runs (staging folders, partial archives) by their names: the
    # local pool's workers do not look for them (each would list the output folder again), so
    # this process sweeps the folder once before the pool starts, and once after it stopped
    owners = _leftover_owners(tasks)
    sweep = options.scheduler is None
    try:
        output.mkdir(parents=True, exist_ok=True)
        stale = _sweep(output, owners) if sweep else {}
        with Journal(journal_path) as journal:
            journal.write(_run_record(coll, group, total, executor, options))
            with step(
                progress, f"Packaging {total} articles", sum(sizes.values()), items=total
            ) as update:
                done_items = done_bytes = 0

                def record(outcome: ArticleOutcome) -> None:
                    nonlocal done_items, done_bytes
                    outcome.source_bytes = sizes[outcome.index]
                    _note_stale(outcome, stale)
                    if _new_entry(outcome):  # its rename is durable before its record
                        fsync_dir(Path(outcome.path).parent if outcome.path else output)
                    journal.write(_article_record(outcome))
                    report.outcomes.append(outcome)
                    done_items += 1
                    done_bytes += outcome.source_bytes
                    update(done_bytes, done_items)

                for outcome in early:
                    record(outcome)
                for index, result in executor.run(run_article, tasks):
                    record(_as_outcome(tasks[index].request, result))
            if sweep:  # what workers that died left behind (the pool has stopped)
                stale = _sweep(output, owners)
                for outcome in report.outcomes:
                    _note_stale(outcome, stale)
            report.seconds = time.monotonic() - started
            journal.write(
                {
                    "event": "end",
                    "time": _now(),
                    "packaged": report.count("packaged"),
                    "skipped": report.count("skipped"),
                    "failed": len(report.failed),
                }
            )
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted; the bags finished so far are kept and recorded in the journal",
            path=journal_path,
            hint="run the batch again with {resume} to finish it",
        ) from None
    except OSError as exc:
        raise DestinationError(
            f"cannot write the batch journal: {exc.strerror or exc}", path=journal_path
        ) from None
    finally:
        executor.close()
    report.outcomes.sort(key=lambda o: o.index)
    return report


#: First bytes of files every package of photographs holds: JPEG, XML (the METS and DC),
#: JSON (the record). Others (a PNG, the article's text) are planned by the worker that meets
#: them: made here, each would cost every batch that has none
COMMON_FIRST_BYTES = (0xFF, 0x3C, 0x7B)


def prepare_workers(options: BatchOptions) -> None:
    """What each local worker would otherwise make on its first article, made once here before
    the pool forks, so that the workers start with it: the modules ``package`` imports, fido's
    signature table (~0.5 s) and its plans for the common first bytes, the compiled schemas,
    Pillow's common image plugins (~0.1 s of CPU a worker otherwise). Only what every worker
    would do anyway (the same wall time, done once): what fails here (the schemas not
    installed) is left for each article to report."""
    from PIL import Image

    from .. import xmlschemas
    from ..errors import BagsmithError
    from ..ingest.formats import identifier
    from . import packaging  # noqa: F401

    identifier().prepare(COMMON_FIRST_BYTES)
    Image.preinit()
    with contextlib.suppress(BagsmithError):
        xmlschemas.validator(options.schema_dir)


def _check_output(coll: Collection, output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise DestinationError("the output is not a folder", path=output)
    if coll.kind == "folder":
        src = os.path.realpath(coll.path).rstrip(os.sep) + os.sep
        if (os.path.realpath(output) + os.sep).startswith(src):
            raise DestinationError(
                "the output folder is inside the collection folder; its bags would be read "
                "as articles",
                path=output,
                hint=f"write the bags outside {coll.path}",
            )


def _group(options: BatchOptions, coll: Collection, recorded: str | None) -> str:
    if options.group_id and recorded and options.group_id != recorded:
        raise UsageError(
            f"{{group_id}} {options.group_id!r} differs from the batch's {recorded!r}",
            parameter="group_id",
            hint="leave {group_id} out when resuming",
        )
    group = options.group_id or recorded or coll.name
    if not group.strip() or "\n" in group or "\r" in group:
        raise UsageError("the group identifier must be one non-empty line", parameter="group_id")
    return group


def _request(
    spec: ArticleSpec,
    total: int,
    group: str,
    output: Path,
    options: BatchOptions,
    record: dict[str, Any] | None,
) -> ArticleRequest:
    assert spec.article is not None or spec.url is not None
    return ArticleRequest(
        index=spec.index,
        total=total,
        group=group,
        name=spec.name,
        article=Path(os.path.abspath(spec.article)) if spec.article else None,
        images=Path(os.path.abspath(spec.images)) if spec.images else None,
        metadata=Path(os.path.abspath(spec.metadata)) if spec.metadata else None,
        info=options.info + spec.info,
        dest=output / spec.name,
        options=options,
        recorded_digest=record.get("digest") if record else None,
        url=spec.url,
    )


def _leftover_owners(tasks: list[ArticleTask]) -> dict[str, str]:
    """The article of each name a leftover of its bag may have: its folder's, its archive's."""
    owners: dict[str, str] = {}
    for task in tasks:
        request = task.request
        owners[request.dest.name] = owners[final_path(request).name] = request.name
    return owners


def _sweep(output: Path, owners: dict[str, str]) -> dict[str, list[Path]]:
    """Remove the leftovers of killed runs of this batch's bags in ``output``: by article."""
    removed: dict[str, list[Path]] = {}
    for name, paths in remove_stale_in(output, owners).items():
        removed.setdefault(owners[name], []).extend(paths)
    return removed


def _note_stale(outcome: ArticleOutcome, stale: dict[str, list[Path]]) -> None:
    """Add to the article's warnings the leftovers of its bag that the sweep removed."""
    paths = stale.pop(outcome.name, [])
    outcome.warnings[:0] = [p.to_dict() for p in stale_removed(paths)]


def _new_entry(outcome: ArticleOutcome) -> bool:
    """Whether the outcome's bag was moved into place by this batch's workers and may not be
    durable in its folder yet: packaged, or adopted (a worker of this run that renamed it died
    before it reported it)."""
    if outcome.status == "packaged":
        return True
    return outcome.status == "skipped" and any(
        w.get("code") == "batch-bag-adopted" for w in outcome.warnings
    )


def _unusable(spec: ArticleSpec) -> ArticleOutcome:
    outcome = ArticleOutcome(spec.index, spec.name, spec.source)
    outcome.problems = list(spec.problems)
    return outcome


def _as_outcome(request: ArticleRequest, result: Any) -> ArticleOutcome:
    if isinstance(result, ArticleOutcome):
        return result
    outcome = ArticleOutcome(request.index, request.name, request.source)
    outcome.problems = [internal_problem(f"the task did not finish: {result}", request.source)]
    return outcome


def _run_record(
    coll: Collection, group: str, total: int, executor: Executor, options: BatchOptions
) -> dict[str, Any]:
    return {
        "event": "run",
        "time": _now(),
        "collection": str(coll.path),
        "group": group,
        "total": total,
        "executor": executor.description,
        "resume": options.resume,
    }


def _article_record(outcome: ArticleOutcome) -> dict[str, Any]:
    return {
        "event": "article",
        "time": _now(),
        "index": outcome.index,
        "name": outcome.name,
        "status": outcome.status,
        "valid": outcome.valid,
        "path": outcome.path,
        "digest": outcome.digest,
        "files": outcome.files,
        "bytes": outcome.bytes,
        "worker": outcome.worker,
        "problems": outcome.problems[:5],
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
