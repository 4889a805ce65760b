"""Build METS documents of growing size and validate each: CPU time, peak RSS, cost per MB.

    python bench/bench_mets.py [--sizes 10 30 100 300] [--workdir DIR] [--schemas DIR]
    python bench/bench_mets.py --files N [--keep PATH]     # one document of N files

Every file but one is a JPEG figure with its ImageInfo, so each gets a PREMIS object, MIX, four
PREMIS events, a dmdSec and a logical-structMap div: the heaviest METS bagsmith writes. The
schema cache is installed into a temporary folder from ``--schemas`` (default
``../shared/schemas``). Phases run in one process; peak RSS (``resource.getrusage``) is
cumulative, so each phase's line shows the peak reached so far. Validation streams the file
(section by section), as ``bagsmith validate`` does for METS in bags.

With ``--sizes`` (megabytes; the default) one METS per size is built into ``--workdir`` (reused
by later runs) and each is validated — schema and semantic checks, as for ``data/mets.xml`` in
a bag — in a fresh child process, whose CPU time and peak RSS come from ``os.wait4``. Printed:
CPU seconds per MB at each size and the ratio of the largest size's cost per MB to the
smallest's (**linear: about 1**; issue 17 finding 11 measured 10 MB 1.8 s, 30 MB 20.8 s, 60 MB
84.8 s). Targets (issue 16): 300 MB in under 60 s and under 500 MB peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bagsmith import xmlschemas
from bagsmith.metadata.mets import MetsInput, write_mets
from bagsmith.model import Agent, Article, Figure, ImageInfo, PackageFile, Section
from bagsmith.pipeline.describing import check_metadata_file

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(count: int) -> tuple[Article, list[PackageFile]]:
    files = [
        PackageFile(
            "data/article.txt",
            12345,
            {"sha256": hashlib.sha256(b"t").hexdigest()},
            mime_type="text/plain",
        )
    ]
    figures = []
    for n in range(1, count):
        path = f"data/images/{n // 1000:03d}/{n:06d}.jpg"
        sha256 = hashlib.sha256(path.encode()).hexdigest()
        sha512 = hashlib.sha512(path.encode()).hexdigest()
        info = ImageInfo(
            path[len("data/") :],
            "JPEG",
            "image/jpeg",
            640 + n % 7,
            480,
            "RGB",
            [8, 8, 8],
            None,
            (300.0, 300.0),
            {},
            sha256,
            50_000 + n,
        )
        files.append(
            PackageFile(
                path,
                info.size,
                {"sha256": sha256, "sha512": sha512},
                mime_type="image/jpeg",
                image=info,
            )
        )
        figures.append(
            Figure(
                n,
                f"Photo {n}. Budapest, November 1956",
                date="1956-11",
                places=("Budapest",),
                image=info,
            )
        )
    article = Article(
        "Benchmark article",
        creators=("Bench",),
        sections=(Section("One", ("p",)),),
        figures=tuple(figures),
    )
    return article, files


BYTES_PER_FILE = 15_500  # of METS per JPEG figure (measured: 3,000 files give 46.6 MB)

CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_mets import synthetic
from bagsmith.pipeline.describing import check_metadata_file
article, files = synthetic({files})
digests = {{pf.path: pf.digests for pf in files}}
sizes = {{pf.path: (pf.image.width, pf.image.height) for pf in files if pf.image}}
del article, files
problems = check_metadata_file(
    Path({path!r}), "data/mets.xml", bag_files=digests, required=digests, digests=digests,
    image_sizes=sizes, schema_dir=Path({cache!r}),
)
print(json.dumps([[p.code, p.line, p.message] for p in problems[:5]]), len(problems))
"""


def build(path: Path, count: int) -> float:
    article, files = synthetic(count)
    t0 = time.perf_counter()
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as out:
        write_mets(
            out,
            MetsInput(
                article,
                tuple(files),
                datetime(2026, 1, 1, tzinfo=UTC),
                Agent("bagsmith", "software", "software", "0.1.0"),
                mets_path="data/mets.xml",
            ),
        )
    tmp.rename(path)
    return time.perf_counter() - t0


def child_run(code: str) -> tuple[float, float, float, str, int]:
    """(wall s, CPU s, peak RSS MB, stdout, exit code) of ``python -c code``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return (
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        out,
        os.waitstatus_to_exitcode(status),
    )


def sizes_main(args: argparse.Namespace) -> int:
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "schemas"
    if not (cache / "index.json").is_file():
        xmlschemas.install(xmlschemas.from_folder(args.schemas), cache)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    load = "/".join(f"{x:.2f}" for x in os.getloadavg()[:2])
    print(f"bagsmith at {commit or '?'}, Python {sys.version.split()[0]}, load {load}")
    # the cost of the child's start-up and of its synthetic inputs, without a METS to read
    rows = []
    for mb in args.sizes:
        count = max(2, round(mb * 1e6 / BYTES_PER_FILE))
        path = work / f"mets-{count}.xml"
        if not path.is_file():
            seconds = build(path, count)
            print(f"built {path.name}: {path.stat().st_size / 1e6:.1f} MB in {seconds:.1f} s")
        size = path.stat().st_size / 1e6
        base = child_run(
            CHILD.format(
                bench=str(ROOT / "bench"),
                files=count,
                path=str(work / "absent.xml"),
                cache=str(cache),
            )
        )
        runs = [
            child_run(
                CHILD.format(
                    bench=str(ROOT / "bench"), files=count, path=str(path), cache=str(cache)
                )
            )
            for _ in range(args.repeat)
        ]
        wall = sorted(r[0] for r in runs)[len(runs) // 2]
        cpu = sorted(r[1] for r in runs)[len(runs) // 2] - base[1]
        rss = max(r[2] for r in runs)
        problems = runs[0][3].strip()
        load = "/".join(f"{x:.2f}" for x in os.getloadavg()[:2])
        rows.append(
            {
                "mb": size,
                "files": count,
                "wall": wall,
                "cpu": cpu,
                "rss_mb": rss,
                "cpu_per_mb": cpu / size,
                "problems": problems,
                "load": load,
            }
        )
        print(
            f"  {size:7.1f} MB ({count:,} files): validate {wall:6.1f} s wall, {cpu:6.1f} s CPU "
            f"(without the child's start-up and inputs, {base[1]:.1f} s), {rss:4.0f} MB peak RSS, "
            f"{cpu / size * 1000:.1f} ms CPU per MB; problems: {problems} (load {load})"
        )
    first, last = rows[0]["cpu_per_mb"], rows[-1]["cpu_per_mb"]
    print(
        f"cost per MB at {rows[-1]['mb']:.0f} MB / at {rows[0]['mb']:.0f} MB: {last / first:.2f} (linear: about 1)"
    )
    if args.json:
        args.json.write_text(json.dumps({"commit": commit, "rows": rows}, indent=2))
    return 0 if all(r["problems"].endswith(" 0") for r in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=None, help="one document of N files")
    parser.add_argument("--sizes", type=float, nargs="+", default=[10, 30, 100, 300])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bagsmith-bench-mets"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--schemas", type=Path, default=ROOT.parent / "shared" / "schemas")
    parser.add_argument("--keep", type=Path, help="also keep the METS file here (with --files)")
    args = parser.parse_args()
    if args.files is None:
        return sizes_main(args)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "schemas"
        xmlschemas.install(xmlschemas.from_folder(args.schemas), cache)
        print(f"start: peak RSS {peak_mb():.0f} MB")

        t0 = time.perf_counter()
        article, files = synthetic(args.files)
        print(
            f"inputs: {len(files)} files, {len(article.figures)} figures in {time.perf_counter() - t0:.1f} s; peak RSS {peak_mb():.0f} MB"
        )

        mets_path = args.keep or Path(tmp) / "mets.xml"
        t0 = time.perf_counter()
        with mets_path.open("wb") as out:
            write_mets(
                out,
                MetsInput(
                    article,
                    tuple(files),
                    datetime(2026, 1, 1, tzinfo=UTC),
                    Agent("bagsmith", "software", "software", "0.1.0"),
                    mets_path="data/mets.xml",
                ),
            )
        size = mets_path.stat().st_size
        print(
            f"build: {size / 1e6:.1f} MB of METS in {time.perf_counter() - t0:.1f} s; peak RSS {peak_mb():.0f} MB"
        )

        digests = {pf.path: pf.digests for pf in files}
        sizes = {pf.path: (pf.image.width, pf.image.height) for pf in files if pf.image}
        del article, files
        t0 = time.perf_counter()
        problems = check_metadata_file(
            mets_path,
            "data/mets.xml",
            bag_files=digests,
            required=digests,
            digests=digests,
            image_sizes=sizes,
            schema_dir=cache,
        )
        print(
            f"validate (streamed XSD with every schema + semantic checks): {time.perf_counter() - t0:.1f} s, "
            f"{len(problems)} problems; peak RSS {peak_mb():.0f} MB"
        )
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
