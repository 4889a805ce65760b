"""Does an article of a long ``bagsmith batch`` cost what the first ones did?

    python bench/batch_scale.py [--workdir DIR] [--articles 8000] [--images 1]
                                [--size 48x32] [--workers 2] [--schemas DIR]

Generates a collection as ``bench/bench_batch.py`` does (reused from its work folder; by default
many small articles of one small photograph, so that the batch is long and its output folder
fills with bags), packages it with ``run_batch``, and prints the median time of an article
(``outcome.seconds``, timed in the worker) in each fifth of the batch: work that grows with the
number of bags already made (a listing of the output folder per bag, say) shows as a rise from
the first fifth to the last. The whole batch's wall time is printed too, but compare it only
between runs in the same order: a run that follows another creates its files among the ones the
first deleted, which costs more on some file systems. Also measures an older tree:
``PYTHONPATH=<its src> python bench/batch_scale.py``. Needs the official schemas
(``BAGSMITH_SCHEMA_DIR`` or ``--schemas``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_batch.collection_arguments(parser, articles=8000)
    parser.set_defaults(images=1, size="48x32")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--schemas", type=Path, default=bench_batch.ROOT.parent / "shared" / "schemas"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    bench_batch.use_schema_cache(args.workdir, args.schemas)

    from bagsmith.pipeline.batch import BatchOptions, run_batch

    coll, _ = bench_batch.collection(args)
    out = args.workdir / "scale-out"
    if out.exists():
        shutil.rmtree(out)
    options = BatchOptions(workers=args.workers, info=(("Source-Organization", "Bench Archive"),))
    started = time.perf_counter()
    report = run_batch(coll, out, options)
    wall = time.perf_counter() - started
    if report.failed:
        raise SystemExit(f"{len(report.failed)} articles failed: {report.failed[0].problems}")
    seconds = [o.seconds for o in sorted(report.outcomes, key=lambda o: o.index)]
    fifth = max(1, len(seconds) // 5)
    medians = [
        1000 * statistics.median(seconds[i * fifth : (i + 1) * fifth] or seconds[-1:])
        for i in range(5)
    ]
    print(
        f"{bench_batch.load()}; {len(seconds)} articles, {args.workers} worker(s): "
        f"{wall:.1f} s in all"
    )
    print(
        "median ms an article, by fifth of the batch: "
        + ", ".join(f"{m:.1f}" for m in medians)
        + f"  (last / first: {medians[-1] / medians[0]:.2f})"
    )
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
