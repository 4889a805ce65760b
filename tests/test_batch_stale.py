"""Leftovers of killed runs in a batch's output folder (staging folders, partial archives): the
batch sweeps the folder itself, once before its pool starts and once after it stopped, so that
packaging N articles lists a folder of up to N bags twice, not N times."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import bagit
import pytest

from bagsmith.bagit import staging
from bagsmith.bagit.serialize import ArchiveFormat
from bagsmith.pipeline.batch import (
    ArticleRequest,
    BatchOptions,
    PackageSummary,
    package_with_bagsmith,
    run_batch,
)
from tests.batch_helpers import Inline, make_collection

INFO = (("Source-Organization", "Test Archive"),)
DEAD_PID = 2**22 + 12345  # above the default pid_max: no such process


def test_the_output_folder_is_listed_by_the_sweeps_not_by_every_bag(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coll = make_collection(tmp_path / "coll", 5, figures=1)
    out = tmp_path / "bags"
    listed: list[str] = []
    real_listdir = os.listdir

    def listdir(path: Any = ".") -> list[str]:
        if os.path.abspath(path) == str(out):
            listed.append(str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    report = run_batch(coll, out, BatchOptions(workers=1, info=INFO), executor=Inline())
    assert report.count("packaged") == 5 and not report.failed
    assert len(listed) == 2  # before the pool and after it: never once per bag
    for bag in sorted(out.glob("art-*")):  # and the bags are whole to bagit-python
        bagit.Bag(str(bag)).validate()


def test_leftovers_of_an_earlier_run_are_removed_and_reported_with_their_article(
    tmp_path: Path, schema_cache: Path
) -> None:
    coll = make_collection(tmp_path / "coll", 3, figures=1)
    out = tmp_path / "bags"
    out.mkdir()
    leftover = out / f".art-02{staging.STAGING}{DEAD_PID}"
    (leftover / "data").mkdir(parents=True)
    partial = out / f".art-03.zip{staging.PARTIAL}{DEAD_PID}"
    partial.write_bytes(b"half an archive")
    live = out / f".art-03{staging.STAGING}{os.getppid()}"  # a live process's: left alone
    live.mkdir()
    other = out / f".not-an-article{staging.STAGING}{DEAD_PID}"  # no article of this batch
    other.mkdir()
    options = BatchOptions(workers=1, info=INFO, serialize=ArchiveFormat.ZIP)
    seen: list[bool] = []

    def packager(request: ArticleRequest) -> PackageSummary:
        seen.append(leftover.exists() or partial.exists())  # gone before the first bag
        return package_with_bagsmith(request)

    report = run_batch(coll, out, options, packager=packager, executor=Inline())
    assert seen == [False, False, False]
    assert report.count("packaged") == 3 and (out / "art-03.zip").is_file()
    assert not leftover.exists() and not partial.exists()
    assert live.is_dir() and other.is_dir()
    codes = {o.name: [w["code"] for w in o.warnings] for o in report.outcomes}
    assert codes["art-01"].count("stale-staging-removed") == 0
    assert codes["art-02"].count("stale-staging-removed") == 1
    assert codes["art-03"].count("stale-staging-removed") == 1
    paths = {w["path"] for o in report.outcomes for w in o.warnings}
    assert {str(leftover), str(partial)} <= paths


def test_what_a_dead_worker_left_behind_is_removed_after_the_batch(
    tmp_path: Path, schema_cache: Path
) -> None:
    # a worker killed mid-bag leaves its staging folder; no later bag of the batch looks for it,
    # so the batch's closing sweep removes it and tells which article it was for
    coll = make_collection(tmp_path / "coll", 2, figures=1)
    out = tmp_path / "bags"

    def killed_mid_bag(request: ArticleRequest) -> PackageSummary:
        stage = request.dest.parent / f".{request.dest.name}{staging.STAGING}{DEAD_PID}"
        (stage / "data").mkdir(parents=True)
        raise RuntimeError("the worker died")

    report = run_batch(
        coll, out, BatchOptions(workers=1, info=INFO), packager=killed_mid_bag, executor=Inline()
    )
    assert [o.status for o in report.outcomes] == ["failed", "failed"]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    for outcome in report.outcomes:
        assert [w["code"] for w in outcome.warnings] == ["stale-staging-removed"]


def test_remove_stale_in_keeps_other_names_and_live_writers(tmp_path: Path) -> None:
    names = ["a", "b.zip"]
    dead_a = tmp_path / f".a{staging.STAGING}{DEAD_PID}"
    dead_b = tmp_path / f".b.zip{staging.PARTIAL}{DEAD_PID}"
    live_a = tmp_path / f".a{staging.STAGING}{os.getppid()}"
    dead_c = tmp_path / f".c{staging.STAGING}{DEAD_PID}"
    for folder in (dead_a, live_a, dead_c):
        folder.mkdir()
    dead_b.write_bytes(b"")
    assert staging.remove_stale_in(tmp_path, names) == {"a": [dead_a], "b.zip": [dead_b]}
    assert live_a.is_dir() and dead_c.is_dir()
    assert staging.remove_stale_in(tmp_path) == {"c": [dead_c]}
    assert staging.remove_stale_in(tmp_path / "missing") == {}
