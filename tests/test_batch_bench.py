"""Smoke test of bench/bench_batch.py on a tiny collection, so the script cannot rot.

No timing is asserted: the numbers of a tiny run mean nothing. What is checked is that the
script packages the generated collection with each worker count, validates the bags and reports
every row and the speed-ups.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_bench_batch_runs_on_a_tiny_collection(tmp_path: Path, schema_cache: Path) -> None:
    results = tmp_path / "results.json"
    args = [
        sys.executable,
        str(ROOT / "bench" / "bench_batch.py"),
        "--workdir",
        str(tmp_path),
        "--articles",
        "3",
        "--images",
        "2",
        "--size",
        "40x30",
        "--json",
        str(results),
        "--settle",
        "0",
    ]
    earlier = tmp_path / "bags-2-1" / "article-0001"  # a bag of an earlier invocation
    earlier.mkdir(parents=True)
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False
    )
    assert done.returncode == 0, done.stderr
    assert "removed the bags of an earlier run (1 folders); waiting 0s" in done.stdout
    assert "collection: 3 articles x 2 images (40x30)" in done.stdout
    assert "speed-up package 1 -> 2 workers" in done.stdout
    assert "speed-up validate 1 -> 2 workers" in done.stdout
    rows = json.loads(results.read_text())
    assert [(r["task"], r["workers"]) for r in rows] == [
        ("package", 1),
        ("package", 2),
        ("validate", 1),
        ("validate", 2),
    ]
    assert all(r["items"] == 3 and r["cpu_seconds"] > 0 for r in rows)
    assert all(0 <= r["parent_share"] <= 1 for r in rows)
    assert "start-up of a batch (imports, fido table)" in done.stdout
    # every run packaged into a folder of its own, none removed while the bench measured
    for workers in (1, 2):
        assert len([p for p in (tmp_path / f"bags-{workers}-1").iterdir() if p.is_dir()]) == 3


@pytest.mark.slow
def test_batch_steps_runs_on_a_tiny_collection(tmp_path: Path, schema_cache: Path) -> None:
    """bench/batch_steps.py: every step of package_article is reported, once per article."""
    args = [sys.executable, str(ROOT / "bench" / "batch_steps.py"), "--workdir", str(tmp_path)]
    args += ["--articles", "2", "--images", "2", "--size", "40x30", "--runs", "1"]
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    for step in ("parse_article", "describe_article", "build_mets", "identify_formats"):
        assert "ms CPU per article  (1.0 calls)" in lines[step], done.stdout
    assert "sync_filesystem" in lines


@pytest.mark.slow
def test_batch_steps_with_a_crowded_output_folder(tmp_path: Path, schema_cache: Path) -> None:
    """--crowd N: the other bags are made once and kept; the batch's sweeps are timed."""
    args = [sys.executable, str(ROOT / "bench" / "batch_steps.py"), "--workdir", str(tmp_path)]
    args += ["--articles", "2", "--images", "1", "--size", "40x30", "--runs", "1"]
    args += ["--crowd", "30"]
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False
    )
    assert done.returncode == 0, done.stderr
    assert "the output folder holds 30 other bags" in done.stdout
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert "(1.0 calls)" in lines["remove_stale_in"]  # two sweeps a batch of two articles
    assert "remove_stale" not in lines  # no bag of the batch lists the folder itself
    crowd = tmp_path / "steps-out-30"
    assert len([p for p in crowd.iterdir() if p.name.startswith("bag-")]) == 30


@pytest.mark.slow
def test_batch_scale_runs_on_a_tiny_collection(tmp_path: Path, schema_cache: Path) -> None:
    args = [sys.executable, str(ROOT / "bench" / "batch_scale.py"), "--workdir", str(tmp_path)]
    args += ["--articles", "6", "--workers", "1"]
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False
    )
    assert done.returncode == 0, done.stderr
    assert "6 articles, 1 worker(s)" in done.stdout
    medians = done.stdout.split("by fifth of the batch: ")[1].split("  (")[0].split(", ")
    assert len(medians) == 5 and all(float(m) > 0 for m in medians)
    assert not (tmp_path / "scale-out").exists()
