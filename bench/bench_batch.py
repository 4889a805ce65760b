"""Benchmark collections: ``run_batch`` with 1 and 2 local workers, then validation of the bags.

    python bench/bench_batch.py [--workdir DIR] [--articles 200] [--images 20]
                                [--size 480x360] [--workers 1 2] [--repeat 1] [--json FILE]
                                [--settle 60]

Generates a collection folder of articles (numbered captions, a sidecar, ``--images`` JPEG
photos each; reused on later runs with the same parameters), packages it with ``run_batch`` once
per worker count (each run into a new output folder, ``bags-W-N``), then validates the resulting
bags with
``validate_collection`` (full: every digest) with the same worker counts; with ``--repeat``
the worker counts alternate and the median run is shown. Prints articles/s, bags/s and MB/s
(source bytes for packaging, payload bytes for validation), the CPU time per item and the
cores kept busy (CPU time of this process and its workers / wall time), and the speed-up of
the largest worker count over one worker. With workers, the parent's own share of the CPU is
shown too: the work it does per item is serial, and bounds the speed-up (Amdahl); the start-up
``run_batch`` does once before its pool starts (``prepare_workers``: imports, fido's table and
plans, the schemas) is done and shown before the first measurement, so that no run carries it.
The load average (``os.getloadavg``) is printed with every row: the machine may be shared, and
the wall-clock speed-up is only meaningful on an idle one — the CPU columns show how much of it
is the machine's load.

No bags are deleted between measured runs: the bags of an earlier invocation are removed
before the first run, then the bench syncs and waits ``--settle`` seconds (60) before it
measures. On an ext4 without a journal (this project's test machines), a new file skips the
inodes freed in the last half minute or so (longer while their inode table is not written
back), and two writers in one folder skip them together: a run that follows the removal
of a run's bags pays in kernel CPU for that removal, and pays more with two workers than with
one, so the speed-up depended on the order of the runs. The bags of the runs are left in the
work folder (``bags-W-N``) until the next invocation.

Needs the official schemas: ``BAGSMITH_SCHEMA_DIR``, or ``--schemas`` (a folder such as
../shared/schemas, installed into the work folder once).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image

from bagsmith.bagit.validate import Mode
from bagsmith.pipeline.audit import validate_collection
from bagsmith.pipeline.batch import BatchOptions, run_batch

ROOT = Path(__file__).resolve().parents[1]
CITIES = ["Budapest", "Győr", "Debrecen", "Szeged", "Pécs", "Miskolc", "Eger", "Sopron"]


def article_text(number: int, figures: int) -> str:
    lines = [f"Photographs of the Autumn, Part {number}", "", f"By Archivist {number}", ""]
    lines.append(
        "These photographs show the streets and people of several towns in the autumn of "
        "1956, as they were seen by the photographers of the time."
    )
    for fig in range(1, figures + 1):
        city = CITIES[(number + fig) % len(CITIES)]
        lines += [
            "",
            f"#{fig} A crowd in a square of {city}, October {fig % 28 + 1}, 1956. "
            f"(Fortepan/Photographer {fig})",
            "",
            f"Picture {fig} of article {number}: people stand before a damaged building.",
        ]
    return "\n".join(lines) + "\n"


def photo(size: tuple[int, int], seed: int) -> Image.Image:
    bands = [Image.effect_noise(size, 30 + (seed * k) % 40) for k in (3, 5, 7)]
    noisy = Image.merge("RGB", bands)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    return Image.blend(base, noisy, 0.5)


def collection_arguments(parser: argparse.ArgumentParser, articles: int) -> None:
    """The options that choose the generated collection (its folder is reused between runs)."""
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bagsmith-bench-batch"))
    parser.add_argument("--articles", type=int, default=articles)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--size", default="480x360", help="image size WIDTHxHEIGHT")


def collection(args: argparse.Namespace) -> tuple[Path, int]:
    """The collection those options choose, made unless it is there: its folder, source bytes."""
    width, height = (int(v) for v in args.size.lower().split("x"))
    folder = args.workdir / f"coll-{args.articles}x{args.images}-{width}x{height}"
    return folder, make_collection(folder, args.articles, args.images, (width, height))


def make_collection(folder: Path, articles: int, images: int, size: tuple[int, int]) -> int:
    stamp = folder / ".complete"
    if stamp.is_file():
        return int(stamp.read_text())
    if folder.exists():
        shutil.rmtree(folder)
    total = 0
    for number in range(1, articles + 1):
        art = folder / f"article-{number:04d}"
        (art / "images").mkdir(parents=True)
        (art / "article.txt").write_text(article_text(number, images), encoding="utf-8")
        (art / "metadata.yaml").write_text(
            f"source_url: https://example.org/autumn/{number}\n", encoding="utf-8"
        )
        for fig in range(1, images + 1):
            path = art / "images" / f"{fig:02d}.jpg"
            photo(size, number * 100 + fig).save(path, "JPEG", quality=85)
        total += sum(p.stat().st_size for p in art.rglob("*") if p.is_file())
    stamp.write_text(str(total))
    return total


def use_schema_cache(workdir: Path, schemas: Path) -> None:
    """Point bagsmith at a schema cache in WORKDIR, installed once from SCHEMAS (the official
    schemas), unless ``BAGSMITH_SCHEMA_DIR`` names one already."""
    if "BAGSMITH_SCHEMA_DIR" not in os.environ:
        from bagsmith import xmlschemas

        cache = workdir / "schemas"
        if not cache.is_dir():
            xmlschemas.install(xmlschemas.from_folder(schemas), cache)
        os.environ["BAGSMITH_SCHEMA_DIR"] = str(cache)


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def usage() -> tuple[resource.struct_rusage, resource.struct_rusage]:
    """Resource use of this process, and of its reaped children (the pool's workers)."""
    return resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its reaped children (the pool's workers)."""
    own, kids = usage()
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def measure(task: str, workers: int, run: Any) -> dict[str, Any]:
    """Run ``run()`` -> (items, bytes); wall time, CPU time (of this process, the parent, and
    of the workers) and the load around it."""
    before, (own0, kids0) = load(), usage()
    started = time.perf_counter()
    items, nbytes = run()
    seconds = time.perf_counter() - started
    own1, kids1 = usage()

    def spent(field: str) -> float:  # this process and its workers together
        return float(
            getattr(own1, field)
            - getattr(own0, field)
            + getattr(kids1, field)
            - getattr(kids0, field)
        )

    parent = own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime
    user, system = spent("ru_utime"), spent("ru_stime")
    cpu = user + system
    return {
        "task": task,
        "workers": workers,
        "items": items,
        "seconds": round(seconds, 3),
        "items_per_s": round(items / seconds, 2),
        "mb_per_s": round(nbytes / 1e6 / seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_per_item_ms": round(1000 * cpu / items, 1),
        # the parent's own CPU (with workers: reading the collection, the journal, the
        # results): its share bounds the speed-up more workers can give (Amdahl)
        "parent_cpu_per_item_ms": round(1000 * parent / items, 1),
        "parent_share": round(parent / cpu, 3) if cpu else 0.0,
        "cores_used": round(cpu / seconds, 2),
        # user and system (kernel) CPU, minor page faults and context switches (voluntary:
        # waiting, e.g. for syncfs; involuntary: preempted) per item, workers included
        "user_per_item_ms": round(1000 * user / items, 1),
        "sys_per_item_ms": round(1000 * system / items, 1),
        "faults_per_item": round(spent("ru_minflt") / items),
        "waits_per_item": round(spent("ru_nvcsw") / items, 1),
        "preempted_per_item": round(spent("ru_nivcsw") / items, 1),
        "load_before": before,
        "load_after": load(),
    }


def bench_package(coll: Path, out: Path, workers: int, source_bytes: int) -> dict[str, Any]:
    assert not out.exists(), f"{out} is there already: every run packages into a new folder"
    options = BatchOptions(workers=workers, info=(("Source-Organization", "Bench Archive"),))

    def run() -> tuple[int, int]:
        report = run_batch(coll, out, options)
        if report.failed:
            raise SystemExit(f"{len(report.failed)} articles failed: {report.failed[0].problems}")
        return len(report.outcomes), source_bytes

    return measure("package", workers, run)


def bench_validate(bags: list[Path], workers: int) -> dict[str, Any]:
    def run() -> tuple[int, int]:
        report = validate_collection(bags, workers=workers, mode=Mode.FULL)
        if not report.valid:
            raise SystemExit(f"invalid bags: {[e.path for e in report.invalid][:3]}")
        return len(report.entries), sum(e.bytes for e in report.entries)

    return measure("validate", workers, run)


def remove_earlier_bags(workdir: Path, settle: float) -> None:
    """Remove the bags of an earlier invocation (``bags-*``), then wait ``settle`` seconds, so
    that no measured run starts right after a removal (see the module's docstring)."""
    earlier = sorted(p for p in workdir.glob("bags-*") if p.is_dir())
    if not earlier:
        return
    for folder in earlier:
        shutil.rmtree(folder)
    os.sync()  # the freed inodes written back: ext4 holds them longer while they are not
    print(
        f"removed the bags of an earlier run ({len(earlier)} folders); waiting {settle:g}s "
        "(--settle) before measuring",
        flush=True,
    )
    time.sleep(settle)


def latest_bags(workdir: Path, workers: int) -> list[Path]:
    """The bags of the last packaging run with ``workers`` workers in ``workdir``."""
    runs = sorted(
        (int(p.name.rsplit("-", 1)[1]), p)
        for p in workdir.glob(f"bags-{workers}-*")
        if p.is_dir() and p.name.rsplit("-", 1)[1].isdigit()
    )
    if not runs:
        raise SystemExit(f"no bags of a packaging run with {workers} workers in {workdir}")
    return sorted(b for b in runs[-1][1].iterdir() if b.is_dir())


def median_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    row = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
    row["runs"] = [r["seconds"] for r in runs]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    collection_arguments(parser, articles=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--schemas", type=Path, default=ROOT.parent / "shared" / "schemas")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--settle",
        type=float,
        default=60.0,
        help="seconds to wait after removing the bags of an earlier run, before measuring",
    )
    parser.add_argument(
        "--only",
        choices=["package", "validate"],
        help="measure only this step (validate: the bags of an earlier run must be there)",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    use_schema_cache(args.workdir, args.schemas)

    t0 = time.perf_counter()
    coll, source_bytes = collection(args)
    print(
        f"collection: {args.articles} articles x {args.images} images ({args.size.lower()}), "
        f"{source_bytes / 1e6:.1f} MB; ready in {time.perf_counter() - t0:.1f}s; "
        f"{os.cpu_count()} CPUs; {load()}",
        flush=True,
    )

    # what run_batch does once before its pool starts (the workers inherit it): imports and
    # fido's signature table. Done here, untimed, so that every measured run starts alike (the
    # first would otherwise carry it: ~15 ms an article of 40); shown apart
    started = time.process_time()
    from bagsmith.pipeline import batch

    if hasattr(batch, "prepare_workers"):  # also fido's plans, the schemas, Pillow's plugins
        batch.prepare_workers(BatchOptions())
    else:
        from bagsmith.ingest.formats import identifier
        from bagsmith.pipeline import packaging  # noqa: F401

        identifier()
    print(f"start-up of a batch (imports, fido table): {time.process_time() - started:.2f}s CPU")

    results: list[dict[str, Any]] = []
    unit = {"package": "articles/s", "validate": "bags/s"}
    for task in [args.only] if args.only else ["package", "validate"]:
        if task == "package":
            remove_earlier_bags(args.workdir, args.settle)
        runs: dict[int, list[dict[str, Any]]] = {w: [] for w in args.workers}
        for number in range(1, args.repeat + 1):  # interleaved: 1, 2, 1, 2 … (load drifts)
            for workers in args.workers:
                if task == "package":
                    out = args.workdir / f"bags-{workers}-{number}"
                    runs[workers].append(bench_package(coll, out, workers, source_bytes))
                else:
                    bags = latest_bags(args.workdir, args.workers[0])
                    runs[workers].append(bench_validate(bags, workers))
        for workers in args.workers:
            row = median_row(runs[workers])
            results.append(row)
            print(
                f"{task:8} workers={workers}: {row['seconds']:7.2f}s (runs {row['runs']})  "
                f"{row['items_per_s']:7.2f} {unit[task]}  {row['mb_per_s']:7.2f} MB/s  "
                f"CPU {row['cpu_per_item_ms']} ms/item (parent {row['parent_cpu_per_item_ms']}"
                f" ms, {100 * row['parent_share']:.1f} %), {row['cores_used']} cores busy  "
                f"({row['load_before']} -> {row['load_after']})\n"
                f"{'':8} user {row['user_per_item_ms']} ms, sys {row['sys_per_item_ms']} ms, "
                f"{row['faults_per_item']} page faults, {row['waits_per_item']} waits, "
                f"{row['preempted_per_item']} preemptions an item",
                flush=True,
            )
    for task in ("package", "validate"):
        rows = {r["workers"]: r for r in results if r["task"] == task}
        if 1 in rows and len(rows) > 1:
            most = max(rows)
            print(
                f"speed-up {task} 1 -> {most} workers: "
                f"{rows[1]['seconds'] / rows[most]['seconds']:.2f}x"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
