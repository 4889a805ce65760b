"""A real Dask cluster, started here: `dask scheduler` and two `dask worker` processes on
127.0.0.1. A batch with a broken article in the middle loses a worker (killed) mid-batch:
Dask reschedules its work, every good article ends as a valid bag, the broken one is reported,
and `bagsmith batch --resume` finishes without redoing anything. Then the bags are validated
and audited on the same cluster."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bagsmith.bagit.tagfiles import parse_tags
from bagsmith.bagit.validate import Mode, validate_bag
from bagsmith.pipeline.audit import audit_storage, validate_collection
from bagsmith.pipeline.batch import BatchOptions, run_batch
from bagsmith.pipeline.journal import JOURNAL_NAME
from tests.batch_helpers import (
    dask_bin,
    free_port,
    make_collection,
    start_process,
    stop,
    wait_for_workers,
    wait_until,
    worker_env,
)

pytest.importorskip("distributed", reason="dask[distributed] is not installed (bagsmith[dask])")

ORG = (("Source-Organization", "Test Archive"),)
ARTICLES = 10
BROKEN = 5


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]


@pytest.fixture(scope="module")
def cluster(schema_cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("dask-logs")
    env = worker_env(schema_cache_dir)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = dask_bin()
    scheduler = start_process(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        env,
        logs / "scheduler.log",
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(2):
            workers.append(
                start_process(
                    [
                        dask,
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--no-nanny",
                        "--name",
                        f"w{n}",
                    ],
                    env,
                    logs / f"worker-{n}.log",
                )
            )
        wait_for_workers(address, 2)
        yield Cluster(address, scheduler, workers)
    finally:
        for process in [*workers, scheduler]:
            stop(process)


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _bag_mtimes(out: Path) -> dict[str, int]:
    return {p.name: (p / "bag-info.txt").stat().st_mtime_ns for p in out.iterdir() if p.is_dir()}


@pytest.mark.slow
def test_batch_survives_a_killed_worker_and_resumes(cluster: Cluster, tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll", ARTICLES, broken=BROKEN, figures=3)
    out = tmp_path / "bags"
    victim = cluster.workers[0]
    killed_while: list[int] = []  # the articles the victim was working on when killed

    def kill_a_worker(desc: str, total_bytes: int | None, *, items: int | None = None) -> Any:
        from distributed import Client

        watcher = Client(cluster.address, set_as_default=False)
        workers = watcher.scheduler_info()["workers"]
        victim_address = next(a for a, w in workers.items() if w.get("name") == "w0")

        def update(done: int, items: int) -> None:
            if killed_while or items < 2:
                return
            keys = watcher.processing().get(victim_address, [])
            if keys:  # the victim has work in hand: kill it now
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait(timeout=10)
                killed_while.extend(int(str(k).rsplit("-", 1)[1]) + 1 for k in keys)

        @contextmanager
        def manager() -> Iterator[Any]:
            try:
                yield update
            finally:
                watcher.close()

        return manager()

    options = BatchOptions(scheduler=cluster.address, info=ORG, group_id="dask-batch")
    report = run_batch(coll, out, options, progress=kill_a_worker)
    assert killed_while and victim.returncode == -signal.SIGKILL
    assert report.executor.startswith(f"Dask cluster at {cluster.address}")
    status = {o.name: o.status for o in report.outcomes}
    broken = f"art-{BROKEN:02d}"
    assert status.pop(broken) == "failed"
    # "skipped": a bag the killed worker had finished, its result lost with it, is kept
    assert set(status.values()) <= {"packaged", "skipped"} and len(status) == ARTICLES - 1
    assert all(o.valid for o in report.outcomes if o.name != broken)
    failure = next(o for o in report.outcomes if o.name == broken)
    assert failure.problems[0]["code"] == "input"
    assert failure.problems[0]["path"].endswith(f"{broken}/images/01.jpg")
    # the work ran in the two worker processes, none of it in this one
    pids = {int(o.worker.rsplit(":", 1)[1]) for o in report.outcomes}
    assert pids <= {w.pid for w in cluster.workers} and os.getpid() not in pids
    # what the victim had in hand was done again by the other worker
    for outcome in report.outcomes:
        if outcome.index in killed_while:
            assert not outcome.worker.endswith(f":{victim.pid}")
    for outcome in report.outcomes:
        if outcome.name == broken:
            continue
        bag = out / outcome.name
        assert validate_bag(bag, mode=Mode.FULL).valid
        tags, _ = parse_tags((bag / "bag-info.txt").read_text())
        info = {t.label: t.value for t in tags}
        assert info["Bag-Count"] == f"{outcome.index} of {ARTICLES}"
        assert info["Bag-Group-Identifier"] == "dask-batch"
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no staging left
    before = _bag_mtimes(out)

    # --resume on the cluster (one worker left): nothing good is redone
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bagsmith",
            "batch",
            str(coll),
            "-o",
            str(out),
            "--resume",
            "--scheduler",
            cluster.address,
            "--json",
            "-i",
            "Source-Organization=Test Archive",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["skipped"], doc["packaged"], doc["failed"]) == (ARTICLES - 1, 0, 1)
    assert doc["group"] == "dask-batch"
    assert _bag_mtimes(out) == before
    journal = [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines()]
    runs = [i for i, r in enumerate(journal) if r["event"] == "run"]
    assert len(runs) == 2
    second = [r for r in journal[runs[1] :] if r["event"] == "article"]
    assert len(second) == ARTICLES and not [r for r in second if r["status"] == "packaged"]

    # validation and audit of the bags on the same cluster
    bags = sorted(p for p in out.iterdir() if p.is_dir())
    checked = validate_collection(bags, scheduler=cluster.address)
    assert checked.valid and len(checked.entries) == ARTICLES - 1
    (bags[0] / "data" / "images" / "01.jpg").write_bytes(b"not the image any more")
    audit = audit_storage(out, scheduler=cluster.address)
    assert [e.valid for e in audit.entries] == [False] + [True] * (ARTICLES - 2)
    assert "payload-" in audit.entries[0].first_problem


@pytest.mark.slow
def test_a_cluster_without_workers_is_refused(tmp_path: Path) -> None:
    from bagsmith.errors import UsageError
    from bagsmith.pipeline.executors import DaskExecutor

    port = free_port()
    scheduler = start_process(
        [dask_bin(), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        dict(os.environ),
        tmp_path / "scheduler.log",
    )
    try:
        assert wait_until(lambda: _accepts(port), timeout=60)
        with pytest.raises(UsageError, match="has no workers"):
            DaskExecutor(f"tcp://127.0.0.1:{port}", timeout=1.0)
    finally:
        stop(scheduler)
