"""The flush of a staged bag, started early (in a thread) while the bag is checked: the rename
waits for it, nothing is written once it has started, and a failed or interrupted run leaves no
bag; in a batch, the journal records only bags that were flushed before their rename."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from bagsmith.bagit import staging
from bagsmith.errors import BagError, DestinationError, Interrupted
from bagsmith.pipeline import package_steps, packaging
from bagsmith.pipeline.batch import BatchOptions, run_batch
from bagsmith.pipeline.journal import JOURNAL_NAME
from bagsmith.pipeline.packaging import PackageOptions, package_article
from tests.batch_helpers import Inline, make_collection
from tests.test_package_support import INFO, leftovers, make_example, tree_state

#: a guard against a deadlock in these tests only (the events are set within milliseconds)
DEADLOCK = 60.0


def flush_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bagsmith-flush"]


class Disk:
    """A stand-in for ``syncfs`` that waits until the checks of the staged bag are over (so the
    flush certainly runs alongside them), records what the folder held when the flush began, and
    lets ``os.rename`` of a staged folder through only once that folder was flushed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: set[str] | None = None) -> None:
        self.checked = threading.Event()
        self.checking = False
        self.started_while_checking: list[bool] = []
        self.flushed: dict[str, dict[str, Any]] = {}  # staged folder -> its state at the flush
        self.renamed: list[str] = []
        self.fail = fail or set()
        real_validate = package_steps.validate_staged
        real_rename = os.rename

        def validate(*args: Any, **kwargs: Any) -> Any:
            self.checked.clear()
            self.checking = True
            try:
                return real_validate(*args, **kwargs)
            finally:
                self.checking = False
                self.checked.set()

        real_flush = staging.Flush.__init__
        started: dict[str, dict[str, Any]] = {}

        def flush(flush: staging.Flush, path: Path) -> None:  # in the caller's thread
            started[str(path)] = tree_state(Path(path))
            real_flush(flush, path)

        def sync(path: Path) -> None:
            self.started_while_checking.append(self.checking)
            state = started.pop(str(path), None) or tree_state(Path(path))
            assert self.checked.wait(DEADLOCK)
            if any(name in str(path) for name in self.fail):
                raise OSError(errno.EIO, "Input/output error")
            self.flushed[str(path)] = state

        def rename(src: Any, dst: Any) -> None:
            if staging.STAGING in str(src):
                assert str(src) in self.flushed, "a staged bag was renamed before its flush"
                assert tree_state(Path(src)) == self.flushed[str(src)], "written after the flush"
                self.renamed.append(str(dst))
            real_rename(src, dst)

        monkeypatch.setattr(package_steps, "validate_staged", validate)
        monkeypatch.setattr(staging, "sync_filesystem", sync)
        monkeypatch.setattr(staging.Flush, "__init__", flush)
        monkeypatch.setattr(staging.os, "rename", rename)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return make_example(tmp_path / "src")


def options(example: Path, **kwargs: Any) -> PackageOptions:
    return PackageOptions(images=example / "article", info=INFO, processes=1, **kwargs)


def test_the_flush_overlaps_the_checks_and_the_rename_waits_for_it(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = Disk(monkeypatch)
    dest = tmp_path / "out" / "bag"
    result = package_article(example / "article" / "article.txt", dest, options(example))
    assert result.validation is not None and result.validation.valid
    # started before the checks (it waited for their end): the checks only read the bag
    assert disk.started_while_checking == [False] and len(disk.flushed) == 1
    assert disk.renamed == [str(dest)]
    assert not flush_threads() and leftovers(dest.parent) == []


def test_with_processes_the_flush_is_not_early(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Processes may be forked for the checks: no thread runs then; the flush comes after."""
    calls: list[bool] = []
    monkeypatch.setattr(staging, "sync_filesystem", lambda path: calls.append(bool(path)))
    started: list[int] = []
    real = staging.Flush.__init__

    def spy(self: staging.Flush, path: Path) -> None:
        started.append(1)
        real(self, path)

    monkeypatch.setattr(staging.Flush, "__init__", spy)
    dest = tmp_path / "out" / "bag"
    opts = PackageOptions(images=example / "article", info=INFO, processes=2)
    package_article(example / "article" / "article.txt", dest, opts)
    assert calls == [True] and started == []


def check_nothing_left(dest: Path) -> None:
    assert not dest.exists() and leftovers(dest.parent) == []
    assert not flush_threads()


def test_a_failed_flush_leaves_no_bag(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = Disk(monkeypatch, fail={"bag"})
    dest = tmp_path / "out" / "bag"
    before = tree_state(example)
    with pytest.raises(DestinationError, match="Input/output error"):
        package_article(example / "article" / "article.txt", dest, options(example))
    check_nothing_left(dest)
    assert disk.renamed == [] and tree_state(example) == before


def test_a_bag_that_fails_its_checks_while_flushing_is_not_moved_into_place(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = Disk(monkeypatch)
    real = packaging.write_tag_files

    def write_then_damage(root: Path, *args: Any, **kwargs: Any) -> None:
        real(root, *args, **kwargs)
        (root / "data/images/01.jpg").write_bytes(b"changed after hashing")

    monkeypatch.setattr(packaging, "write_tag_files", write_then_damage)
    dest = tmp_path / "out" / "bag"
    with pytest.raises(BagError, match="payload-digest-mismatch"):
        package_article(example / "article" / "article.txt", dest, options(example))
    check_nothing_left(dest)
    assert disk.renamed == []


def test_an_interrupt_while_flushing_leaves_no_bag(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = Disk(monkeypatch)
    real = package_steps.validate_staged  # Disk's: the flush waits for its end

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        assert flush_threads()  # the flush is under way
        raise KeyboardInterrupt

    monkeypatch.setattr(package_steps, "validate_staged", interrupted)
    dest = tmp_path / "out" / "bag"
    with pytest.raises(Interrupted):
        package_article(example / "article" / "article.txt", dest, options(example))
    check_nothing_left(dest)
    assert disk.renamed == []


def test_the_journal_records_only_flushed_bags(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch (one process, as a worker runs it): the bag whose flush fails is not moved into
    place and is recorded as failed; each bag recorded as packaged was flushed, then renamed."""
    disk = Disk(monkeypatch, fail={".art-02.bagsmith"})
    coll = make_collection(tmp_path / "coll", 3)
    out = tmp_path / "bags"
    report = run_batch(coll, out, BatchOptions(workers=1, info=INFO), executor=Inline())
    status = {o.name: o.status for o in report.outcomes}
    assert status == {"art-01": "packaged", "art-02": "failed", "art-03": "packaged"}
    failed = next(o for o in report.outcomes if o.name == "art-02")
    assert "Input/output error" in failed.problems[0]["message"]
    records = [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines()]
    packaged = {r["name"] for r in records if r.get("status") == "packaged"}
    assert packaged == {"art-01", "art-03"}
    assert disk.renamed == [str(out / "art-01"), str(out / "art-03")]
    assert sorted(p.name for p in out.iterdir()) == ["art-01", "art-03", JOURNAL_NAME]
    assert not flush_threads()


def test_a_bag_is_recorded_only_after_its_rename_was_made_durable(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the local pool, a worker does not wait for the output folder's fsync after its
    rename: the batch's parent does it, after the rename and before the journal line."""
    from bagsmith.pipeline import batch, journal

    events: list[tuple[str, str]] = []
    disk = Disk(monkeypatch)
    real_rename, real_write = staging.os.rename, journal.Journal.write

    def rename(src: Any, dst: Any) -> None:
        real_rename(src, dst)
        events.append(("rename", Path(dst).name))

    def write(self: journal.Journal, record: dict[str, Any]) -> None:
        events.append(("journal", str(record.get("name", record["event"]))))
        real_write(self, record)

    monkeypatch.setattr(staging.os, "rename", rename)
    monkeypatch.setattr(journal.Journal, "write", write)
    monkeypatch.setattr(staging, "fsync_dir", lambda path: events.append(("worker fsync", "")))
    monkeypatch.setattr(batch, "fsync_dir", lambda path: events.append(("fsync", Path(path).name)))
    coll = make_collection(tmp_path / "coll", 3, broken=2)
    out = tmp_path / "bags"
    report = run_batch(coll, out, BatchOptions(workers=1, info=INFO), executor=Inline())
    assert [o.status for o in report.outcomes] == ["packaged", "failed", "packaged"]
    assert events == [
        ("journal", "run"),
        ("rename", "art-01"),
        ("fsync", "bags"),
        ("journal", "art-01"),
        ("journal", "art-02"),  # failed: no bag, nothing to make durable
        ("rename", "art-03"),
        ("fsync", "bags"),
        ("journal", "art-03"),
        ("journal", "end"),
    ]
    assert len(disk.flushed) == 2  # and each bag was flushed before its rename (Disk)


def test_a_dask_worker_makes_its_rename_durable_itself(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bagsmith.pipeline.batch_tasks import ArticleRequest, package_with_bagsmith

    synced: list[Path] = []
    monkeypatch.setattr(staging, "fsync_dir", synced.append)
    for scheduler, expected in ((None, []), ("tcp://127.0.0.1:1", [tmp_path / "out"])):
        synced.clear()
        dest = tmp_path / "out" / f"bag-{len(expected)}"
        request = ArticleRequest(
            index=1,
            total=1,
            group="g",
            name=dest.name,
            article=example / "article" / "article.txt",
            images=example / "article",
            metadata=None,
            info=INFO,
            dest=dest,
            options=BatchOptions(info=INFO, scheduler=scheduler),
        )
        package_with_bagsmith(request)
        assert synced == expected and dest.is_dir()


def test_an_adopted_bag_is_made_durable_before_its_record(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bag of this batch found in place without a record (its worker renamed it, then died
    before reporting it, and skipped the folder's fsync): the batch's process fsyncs it too."""
    import shutil

    from bagsmith.pipeline import batch, journal

    coll = make_collection(tmp_path / "coll", 2)
    options = BatchOptions(workers=1, info=INFO, group_id="g")
    run_batch(coll, tmp_path / "first", options, executor=Inline())
    out = tmp_path / "bags"
    out.mkdir()
    shutil.copytree(tmp_path / "first" / "art-01", out / "art-01")
    events: list[tuple[str, str]] = []
    real_write = journal.Journal.write

    def write(self: journal.Journal, record: dict[str, Any]) -> None:
        events.append(("journal", str(record.get("name", record["event"]))))
        real_write(self, record)

    monkeypatch.setattr(journal.Journal, "write", write)
    monkeypatch.setattr(batch, "fsync_dir", lambda path: events.append(("fsync", Path(path).name)))
    report = run_batch(coll, out, options, executor=Inline())
    assert [o.status for o in report.outcomes] == ["skipped", "packaged"]
    assert report.outcomes[0].warnings[0]["code"] == "batch-bag-adopted"
    assert events == [
        ("journal", "run"),
        ("fsync", "bags"),
        ("journal", "art-01"),
        ("fsync", "bags"),
        ("journal", "art-02"),
        ("journal", "end"),
    ]
