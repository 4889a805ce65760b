"""The batch machinery with an injected packager: worker deaths, unexpected errors, and the
progress display (log lines with a fake clock)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bagsmith.bagit.validate import Mode, validate_bag
from bagsmith.cli.exits import error_exit
from bagsmith.cli.progress import LogProgress
from bagsmith.errors import InputError, UsageError
from bagsmith.pipeline.bagging import BagOptions, create_bag
from bagsmith.pipeline.batch import ArticleRequest, BatchOptions, PackageSummary, run_batch
from bagsmith.pipeline.executors import LocalExecutor
from tests.batch_helpers import free_port, make_collection


def simple_packager(request: ArticleRequest) -> PackageSummary:
    """Bag the article's folder as it is; article 'art-02' kills its worker process,
    'art-03' raises an unexpected error, 'art-04' a BagsmithError."""
    if request.name == "art-02":
        os._exit(3)
    if request.name == "art-03":
        raise ZeroDivisionError("an unexpected bug")
    if request.name == "art-04":
        raise InputError("the article is unreadable", path=request.article, line=7)
    info = (
        *request.info,
        ("Bag-Group-Identifier", request.group),
        ("Bag-Count", f"{request.index} of {request.total}"),
    )
    result = create_bag([request.article.parent], request.dest, BagOptions(info=info, processes=1))
    return PackageSummary(result.path, result.files, result.bytes, 0, True)


def test_dead_workers_and_errors_fail_only_their_article(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll", 6)
    out = tmp_path / "out"
    # simple_packager applies no profile: an adopted bag is checked without one
    options = BatchOptions(workers=2, profile=None)
    report = run_batch(coll, out, options, packager=simple_packager)
    # a bag finished just before another task broke the pool is kept ("skipped", adopted)
    status = {o.name: o.status.replace("skipped", "packaged") for o in report.outcomes}
    assert status == {
        "art-01": "packaged",
        "art-02": "failed",
        "art-03": "failed",
        "art-04": "failed",
        "art-05": "packaged",
        "art-06": "packaged",
    }
    problems = {o.name: o.problems[0] for o in report.outcomes if o.problems}
    assert "worker process died" in problems["art-02"]["message"]
    assert problems["art-03"]["code"] == "internal"
    assert "ZeroDivisionError: an unexpected bug" in problems["art-03"]["message"]
    assert (problems["art-04"]["code"], problems["art-04"]["line"]) == ("input", 7)
    for name in ("art-01", "art-05", "art-06"):
        assert validate_bag(out / name, mode=Mode.FULL).valid
    assert report.status == "failed"
    assert [o.index for o in report.outcomes] == [1, 2, 3, 4, 5, 6]


def square(n: int) -> int:
    if n == 3:
        os._exit(1)
    return n * n


def test_local_executor_retries_tasks_caught_in_a_broken_pool() -> None:
    results = dict(LocalExecutor(2).run(square, [0, 1, 2, 3, 4, 5, 6, 7]))
    assert isinstance(results.pop(3), RuntimeError)
    assert results == {n: n * n for n in (0, 1, 2, 4, 5, 6, 7)}


def test_log_progress_every_step_or_interval() -> None:
    lines: list[str] = []
    now = [0.0]
    log = LogProgress(
        "bagsmith batch", "articles", 200, 400_000_000, lines.append, clock=lambda: now[0]
    )
    for item in range(1, 10):  # under 5 % (10 items): nothing yet
        now[0] += 0.5
        log.update(item, item * 2_000_000)
    assert lines == []
    now[0] = 5.0
    log.update(10, 20_000_000)
    assert lines == [
        "bagsmith batch: 10/200 articles (5%), 20.0 MB, 2.00 articles/s, 4.0 MB/s, ETA 1m35s"
    ]
    now[0] = 16.0  # 11 s later, one more item: the interval elapsed
    log.update(11, 22_000_000)
    assert len(lines) == 2 and lines[1].startswith("bagsmith batch: 11/200 articles (5%)")
    now[0] = 100.0
    log.update(200, 400_000_000)
    assert lines[-1] == (
        "bagsmith batch: 200/200 articles (100%), 400.0 MB, 2.00 articles/s, 4.0 MB/s"
    )


def test_dask_scheduler_that_does_not_answer_is_a_usage_error(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from bagsmith.pipeline.executors import DaskExecutor

    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(UsageError) as info:
        DaskExecutor(address, timeout=1.0)
    assert f"cannot connect to the Dask scheduler at {address}" in info.value.message
    assert info.value.parameter == "scheduler" and error_exit(info.value) == 2


def test_a_collection_run_writes_its_progress_to_the_record_only() -> None:
    import logging

    from bagsmith.cli.common import Output

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("bagsmith")
    out = Output(json_mode=False, quiet=False)  # stderr is not a terminal here
    with out.progress("Packaging 4 articles", 4_000_000, items=4, unit="articles") as update:
        update(1_000_000, 1)  # no record kept: nothing is written anywhere
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        with out.progress("Packaging 4 articles", 4_000_000, items=4, unit="articles") as update:
            for n in range(1, 5):
                update(n * 1_000_000, n)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert lines[0].startswith("Packaging 4 articles: 1/4 articles (25%), 1.0 MB")
    assert lines[-1].startswith("Packaging 4 articles: 4/4 articles (100%), 4.0 MB")


def test_an_existing_bag_of_this_batch_is_adopted_a_foreign_one_refused(tmp_path: Path) -> None:
    from tests.batch_helpers import make_article
    from tests.servers import sample_bag

    coll = tmp_path / "coll"
    for n, name in enumerate(["x1", "x2", "x3"], start=1):
        make_article(coll / name, n)
    out = tmp_path / "out"
    out.mkdir()
    sample_bag(out, "x1")  # someone else's bag where x1's would go
    options = BatchOptions(workers=1, profile=None)  # simple_packager applies none
    ours = ArticleRequest(
        2, 3, "coll", "x2", coll / "x2" / "article.txt", None, None, (), out / "x2", options
    )
    simple_packager(ours)  # as if an attempt of this batch finished x2, its result lost
    report = run_batch(coll, out, options, packager=simple_packager)
    x1, x2, x3 = report.outcomes
    assert x1.status == "failed" and x1.problems[0]["code"] == "destination"
    assert x2.status == "skipped" and x2.valid
    assert [w["code"] for w in x2.warnings] == ["batch-bag-adopted"]
    assert x3.status == "packaged"


_ORPHAN_SCRIPT = r"""
import os, sys, time
from bagsmith.pipeline.executors import LocalExecutor

def park(n):
    os.write(1, b"%d\n" % os.getpid())  # one write: the two workers' lines never mix
    time.sleep(600)

list(LocalExecutor(2).run(park, [0, 1]))
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_batch_workers_die_with_a_killed_main_process() -> None:
    # a worker outliving its main process would wait for ever on its queue, holding the
    # caller's pipe (here, the test's): killed with SIGKILL, the main process cleans nothing up
    proc = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    workers = [int(proc.stdout.readline()) for _ in range(2)]
    try:
        assert all(_alive(pid) for pid in workers)
        proc.kill()
        proc.wait(timeout=60)
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.stdout.close()
