"""Where the CPU of one article of ``bagsmith batch`` goes: the steps of ``package_article``.

    python bench/batch_steps.py [--workdir DIR] [--articles 10] [--images 20]
                                [--size 480x360] [--runs 2] [--crowd N]

Packages a collection made as ``bench/bench_batch.py`` makes it (reused from its work folder)
with ``run_batch`` in this one process (no pool: an in-line executor), once to warm up and then
``--runs`` times, and prints the CPU time (``time.process_time``, inclusive) of each step per
article: parse (with Pillow's characterisation), METS build, DC/METS description (build and
schema check), format identification (fido), the check of the staged bag, copying, … and the
wall time of the flush (``syncfs``) and of the ``fsync`` of the bag's folder. The steps are
wrapped by name, so the script also measures an older tree: ``PYTHONPATH=<its src> python
bench/batch_steps.py`` (a step it lacks is left out). Where the flush runs in a thread while the
staged bag is checked, "flush, rename waited" is what is left of it to wait for. With
``--crowd N`` the output folder holds N bags already (empty folders, made once and kept), as
late in a batch of N articles: what an article costs then shows whatever grows with the folder
(each bag's look for leftovers of killed runs, ``remove_stale``, did). Needs the
official schemas (``BAGSMITH_SCHEMA_DIR`` or ``--schemas``).
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch

STEPS = {
    "bagsmith.pipeline.packaging": [
        "parse_article",
        "plan_layout",
        "describe_article",
        "copy_payload",
        "write_manifests",
        "write_tag_files",
        "_record_bytes",
        "resolve_profile",
        "scan_mapped",
        "bag_article",
        "bag_images",
        "bag_software_agent",
    ],
    "bagsmith.pipeline.package_steps": [
        "identify_formats",
        "validate_staged",
        "write_generated",
        "validate_bag",
        "check_metadata_file",
    ],
    "bagsmith.pipeline.describing": ["build_mets"],
    "bagsmith.ingest.article": ["_characterise"],
    "bagsmith.pipeline.batch_tasks": ["bag_digest"],
}


class Inline:
    """An executor that runs every task here, one after the other."""

    description = "in-line"
    workers = 1

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for index, item in enumerate(items):
            yield index, fn(item)

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_batch.collection_arguments(parser, articles=10)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--crowd",
        type=int,
        default=0,
        help="the output folder holds this many bags already (empty folders), as it does late "
        "in a batch of that many articles",
    )
    parser.add_argument(
        "--schemas", type=Path, default=bench_batch.ROOT.parent / "shared" / "schemas"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    bench_batch.use_schema_cache(args.workdir, args.schemas)

    from bagsmith.bagit import staging
    from bagsmith.pipeline.batch import BatchOptions, run_batch
    from bagsmith.pipeline.journal import JOURNAL_NAME

    cpu: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    wall: collections.Counter[str] = collections.Counter()

    def wrap(module: Any, name: str, into: collections.Counter[str], clock: Any) -> None:
        real = getattr(module, name)

        @functools.wraps(real)
        def timed(*a: Any, **k: Any) -> Any:
            started = clock()
            try:
                return real(*a, **k)
            finally:
                into[name] += clock() - started
                calls[name] += 1

        setattr(module, name, timed)

    for module_name, names in STEPS.items():
        module = importlib.import_module(module_name)
        for name in names:
            if hasattr(module, name):
                wrap(module, name, cpu, time.process_time)
    wrap(staging, "sync_filesystem", wall, time.perf_counter)  # in its thread, when early
    if hasattr(staging, "Flush"):  # how long the rename waited for the early flush
        wrap(staging.Flush, "wait", wall, time.perf_counter)
    wrap(staging, "fsync_dir", wall, time.perf_counter)  # the bag's folder, after the rename
    wrap(staging, "remove_stale", cpu, time.process_time)  # a bag's look for leftovers
    from bagsmith.pipeline import batch

    if hasattr(batch, "fsync_dir"):  # where the batch's parent makes the renames durable
        wrap(batch, "fsync_dir", wall, time.perf_counter)
    if hasattr(batch, "remove_stale_in"):  # the batch's sweeps for leftovers, twice a batch
        wrap(batch, "remove_stale_in", cpu, time.process_time)

    coll, _ = bench_batch.collection(args)
    options = BatchOptions(workers=1, info=(("Source-Organization", "Bench Archive"),))

    out = args.workdir / f"steps-out-{args.crowd}"
    crowded = out / ".crowded"
    if not crowded.is_file():
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for number in range(args.crowd):
            (out / f"bag-{number:07d}").mkdir()
        crowded.touch()

    def once() -> float:
        (out / JOURNAL_NAME).unlink(missing_ok=True)
        for bag in out.glob("article-*"):
            shutil.rmtree(bag)
        started = time.process_time()
        report = run_batch(coll, out, options, executor=Inline())
        if report.failed:
            raise SystemExit(f"{len(report.failed)} articles failed: {report.failed[0].problems}")
        return time.process_time() - started

    once()  # warm: imports, fido's table, the schemas compiled
    cpu.clear(), calls.clear(), wall.clear()
    articles = args.runs * args.articles
    total = sum(once() for _ in range(args.runs))
    print(
        f"{bench_batch.load()}; {articles} articles, in one process; the output folder holds "
        f"{args.crowd} other bags"
    )
    print(f"{'all of run_batch':28} {1000 * total / articles:7.1f} ms CPU per article")
    for name, seconds in cpu.most_common():
        print(
            f"{name:28} {1000 * seconds / articles:7.1f} ms CPU per article"
            f"  ({calls[name] / articles:.1f} calls)"
        )
    for name, seconds in wall.items():
        label = "flush, rename waited" if name == "wait" else f"{name} (wall)"
        print(f"{label:28} {1000 * seconds / articles:7.1f} ms wall per article")


if __name__ == "__main__":
    main()
