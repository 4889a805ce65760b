"""`bag` of very many files: the memory each file costs stays small (issue 16: a million files
under 200 MB). Measured with tracemalloc (bytes Python allocates, the same on every run), never
with timings; the million-file run itself is in bench/bench_floor.py."""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from bagsmith import fixity
from bagsmith.bagit import writer
from bagsmith.bagit.payload import (
    EmptyDirs,
    FileList,
    PayloadPolicy,
    SourceFile,
    Symlinks,
    scan_mapped,
    scan_sources,
)
from bagsmith.pipeline.bagging import BagOptions, create_bag

#: Bytes a planned file may cost: its path, sizes and offsets in flat buffers come to ~50;
#: a SourceFile object per file (with its two path strings) took ~270.
PLAN_BYTES_PER_FILE = 80
#: ... and a file with a folder of its own (a SourceDir object took another ~170).
PLAN_BYTES_PER_FILE_AND_FOLDER = 150
#: Bytes the whole `bag` run may grow by per file (peak), everything bounded excluded.
BAG_BYTES_PER_FILE = 100


def make_tree(root: Path, files: int, per: int = 500) -> Path:
    for i in range(files):
        folder = root / f"d{i // per:03d}"
        if i % per == 0:
            folder.mkdir(parents=True)
        (folder / f"file-{i:05d}.txt").write_bytes(b"%d\n" % i)
    return root


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Sources of 600 and of 1,200 tiny files (folders of 500)."""
    root = tmp_path_factory.mktemp("many")
    return make_tree(root / "small", 600), make_tree(root / "large", 1200)


def traced(run: Callable[[], object]) -> tuple[int, int]:
    """(bytes still allocated by what ``run()`` returns, peak while it ran)."""
    gc.collect()
    tracemalloc.start()
    try:
        kept = run()
        gc.collect()  # empties the free lists too (tuples freed stay allocated there)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del kept
    return current, peak


def test_plan_costs_few_bytes_per_file(trees: tuple[Path, Path]) -> None:
    """What the plan of 1,200 files holds beyond the plan of 600 (the same fixed part)."""
    held = [traced(lambda: scan_sources([src], PayloadPolicy()))[0] for src in trees]  # noqa: B023
    assert (held[1] - held[0]) / 600 < PLAN_BYTES_PER_FILE, held


def test_plan_costs_few_bytes_per_folder(tmp_path: Path) -> None:
    """One file a folder: the folders are kept as compactly as the files."""
    trees = [make_tree(tmp_path / f"n{n}", n, per=1) for n in (300, 600)]
    held = [traced(lambda: scan_sources([src], PayloadPolicy()))[0] for src in trees]  # noqa: B023
    assert (held[1] - held[0]) / 300 < PLAN_BYTES_PER_FILE_AND_FOLDER, held


def test_bag_peak_grows_little_per_file(
    trees: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The peak of a whole `bag` run (one process: deterministic) for 600 and for 1,200
    files in batches of 200: what is bounded (two batches, buffers, imports) is the same in
    both, so the difference is what every file costs the whole run (plan, digests, manifests)."""
    monkeypatch.setattr(writer, "BATCH_FILES", 200)
    # The tag manifests hash each manifest in one read below 4 MiB (bounded, but here it would
    # grow with the manifests); through the 1 MiB buffer instead, as for larger files.
    monkeypatch.setattr(fixity, "SMALL_FILE", 0)
    options = BagOptions(algorithms=("sha256", "sha512"), processes=1)
    create_bag([make_tree(tmp_path / "warm", 10)], tmp_path / "warm-bag", options)  # imports
    peaks = []
    for src in trees:
        dest = tmp_path / f"{src.name}-bag"
        peaks.append(traced(lambda: create_bag([src], dest, options))[1])  # noqa: B023
    assert bagit.Bag(str(dest)).is_valid()
    assert (peaks[1] - peaks[0]) / 600 < BAG_BYTES_PER_FILE, peaks


def test_file_list_gives_back_what_was_added(tmp_path: Path) -> None:
    odd = "caf\udce9.txt"  # a name that is not UTF-8 on disk (surrogate escape)
    files = [
        SourceFile("data/a/b.txt", str(tmp_path / "src" / "a" / "b.txt"), 3, 10),
        SourceFile("data/a/c.txt", str(tmp_path / "src" / "a" / "c.txt"), 0, -5),
        SourceFile("data/a/.keep", None, 0, 7),
        SourceFile("data/one.bin", "relative/other-name.bin", 2**40, 2**62),
        SourceFile("data/" + odd, "/" + odd, 1, 1),
        SourceFile("data/x/y", "src//x/y", 1, 1),  # not what os.path.join gives: kept whole
        SourceFile("data/top", "top", 5, 5),
        SourceFile("data/root", "/root", 5, 5),
        SourceFile("data/é/ü", os.path.join("ü-dir", "ü"), 5, 5),
    ]
    stored = FileList(files)
    assert list(stored) == files
    assert stored == files and len(stored) == len(files)
    assert stored[-1] == files[-1] and stored[2:4] == files[2:4]
    with pytest.raises(IndexError):
        stored[len(files)]
    assert stored.total_bytes == sum(f.size for f in files)
    assert stored.folders() == {"data", "data/a", "data/x", "data/é"}
    assert not stored.in_path_order()
    stored.sort(key=lambda f: f.relpath)
    assert list(stored) == sorted(files, key=lambda f: f.relpath)
    assert stored.in_path_order()


def test_plan_lists_the_same_files_as_the_walk(tmp_path: Path) -> None:
    """Sources read back from the plan are the paths the walk found (links followed
    included), placeholders have none, and files are in code-point order of bag path."""
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "a" / "z.txt").write_text("z")
    (src / "a.txt").write_text("a")
    (src / "empty").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "in.txt").write_text("in")
    (src / "link").symlink_to(tmp_path / "outside")
    plan = scan_sources([src], PayloadPolicy(symlinks=Symlinks.FOLLOW, empty_dirs=EmptyDirs.KEEP))
    got = [(f.relpath, f.source, f.size) for f in plan.files]
    assert got == [
        ("data/a.txt", str(src / "a.txt"), 1),
        ("data/a/z.txt", str(src / "a" / "z.txt"), 1),
        ("data/empty/.keep", None, 0),
        ("data/link/in.txt", str(src / "link" / "in.txt"), 2),
    ]
    assert [f.mtime_ns for f in plan.files][:2] == [
        os.stat(src / "a.txt").st_mtime_ns,
        os.stat(src / "a" / "z.txt").st_mtime_ns,
    ]
    mapped = scan_mapped(
        [(src / "a.txt", "data/x/renamed.txt"), (src / "a", "data/b")], PayloadPolicy()
    )
    assert [(f.relpath, f.source) for f in mapped.files] == [
        ("data/b/z.txt", str(src / "a" / "z.txt")),
        ("data/x/renamed.txt", str(src / "a.txt")),
    ]
