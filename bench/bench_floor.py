"""`bagsmith validate` and `bag` against the floor: the least a Python loop can do (issue 16).

    python bench/bench_floor.py [--only small small-fast large rss] [--repeat 5]
                                [--workdir DIR] [--files N] [--json FILE] [--clean]

Every command runs as a subprocess, as a user runs it (interpreter start-up, imports, manifest
parsing and every check included), and is measured in **CPU time** (user + system of the
process and its workers, from ``os.wait4``): on a shared machine wall time moves with the
neighbours' load, CPU time much less. Each scenario alternates bagsmith and the floor run by
run and prints the medians of ``--repeat`` runs and their ratio, measured in the same run.

Scenarios (targets from issue 16):
  small       `bagsmith validate --processes 1` of 20,000 x 4 KiB files in 200 folders
              (sha256 + sha512 manifests) against `bench/floor.py hash`: os.walk, read each
              file once, hash it with both algorithms                      (<= 1.3x the floor)
  small-fast  `bagsmith validate --fast` of the same bag against `bench/floor.py sizes`:
              os.walk and os.stat of every file                             (<= 1.3x the floor)
  large       `bagsmith validate` (default processes) of 2 x 512 MiB files, sha256 only,
              against `bench/floor.py hash DIR sha256` (1 MiB readinto)  (floor/bagsmith >= 90%)
  rss         peak RSS of `bagsmith bag SRC -o BAG` and of `bagsmith validate BAG` (both with
              their default worker processes) with --files tiny files (default 1,000,000,
              1,000 per folder; ~10 GB of disk with 4 KiB blocks)          (< 200 MB each)

Commands run with Python's byte-code cache written (``PYTHONDONTWRITEBYTECODE`` is removed from
their environment, and an untimed first run of each command writes it), as for an installed
package: otherwise every run of bagsmith compiles its modules from source (~35 ms here), a cost
no installed copy pays (bench/bench_parse.py does the same).

Payloads are generated into --workdir (default /tmp/bagsmith-floor) from fixed seeds, once, and
reused by later runs (each marked by NAME.done); --clean deletes them at the end. The bag of
each scenario is made by `bagsmith bag` (its rss run is the timed one). Peak RSS is ru_maxrss
from os.wait4: the largest resident set of the process or of any of its workers.
See docs/benchmarks.md for the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

PY = sys.executable
HERE = Path(__file__).resolve().parent
FLOOR = [PY, str(HERE / "floor.py")]
BAGSMITH = [PY, "-m", "bagsmith"]
MiB = 1024 * 1024
SCENARIOS = ("small", "small-fast", "large", "rss")
#: as for an installed package: byte code cached (see the top of this file)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Run:
    cpu: float  # user + system seconds of the process and its workers
    seconds: float  # wall
    rss_mb: float
    returncode: int


@dataclass
class Row:
    scenario: str
    bagsmith: str
    floor: str
    ratio: float | None
    target: str
    met: bool | None
    load: str
    ok: bool


def run(cmd: list[str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write(f"command failed ({code}): {cmd}\n{err.decode()[-2000:]}\n")
    return Run(usage.ru_utime + usage.ru_stime, seconds, usage.ru_maxrss / 1024, code)


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.cpu for r in runs),
        statistics.median(r.seconds for r in runs),
        max(r.rss_mb for r in runs),
        max(r.returncode for r in runs),
    )


def alternate(ours: list[str], floor: list[str], repeat: int) -> tuple[Run, Run]:
    """Medians of REPEAT runs of each command, alternating which goes first (after one untimed
    run of each: byte code cached, files in the page cache)."""
    run(ours)
    run(floor)
    a: list[Run] = []
    b: list[Run] = []
    for i in range(repeat):
        if i % 2 == 0:
            a.append(run(ours))
            b.append(run(floor))
        else:
            b.append(run(floor))
            a.append(run(ours))
    return median(a), median(b)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def ensure(path: Path, maker: Callable[[Path], None]) -> Path:
    done = path.with_name(path.name + ".done")
    if not done.exists():
        shutil.rmtree(path, ignore_errors=True)
        maker(path)
        done.touch()
    return path


def make_small(root: Path, files: int, folders: int = 200, size: int = 4096) -> None:
    rng = random.Random(1)
    per = max(1, files // folders)
    for d in range(folders):
        folder = root / f"folder-{d:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(per):
            (folder / f"file-{f:04d}.bin").write_bytes(rng.randbytes(size))


def make_large(root: Path, mib: int, count: int = 2) -> None:
    root.mkdir(parents=True, exist_ok=True)
    block = random.Random(2).randbytes(min(8, mib) * MiB)
    for i in range(count):
        with open(root / f"large-{i}.bin", "wb") as fh:
            for j in range(mib * MiB // len(block)):
                fh.write(block[j % 7 :] + block[: j % 7])


def make_many(root: Path, files: int, per: int = 1000) -> None:
    for d in range((files + per - 1) // per):
        folder = root / f"d{d:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(min(per, files - d * per)):
            (folder / f"{f:04d}.txt").write_bytes(b"%d\n" % (d * per + f))


def bag_of(src: Path, dest: Path, *algs: str) -> Path:
    def make(path: Path) -> None:
        flags = [x for a in algs for x in ("-a", a)]
        subprocess.run(
            [*BAGSMITH, "bag", "--quiet", *flags, str(src), "-o", str(path)], check=True, env=ENV
        )

    return ensure(dest, make)


def cpu_row(name: str, ours: Run, floor: Run, limit: float) -> Row:
    ratio = ours.cpu / floor.cpu
    return Row(
        name,
        f"cpu {ours.cpu:.3f} s (wall {ours.seconds:.3f} s)",
        f"cpu {floor.cpu:.3f} s (wall {floor.seconds:.3f} s)",
        round(ratio, 3),
        f"<= {limit}x",
        ratio <= limit,
        load(),
        ours.returncode == 0 and floor.returncode == 0,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog="Scenarios and targets: see the top of this file or docs/benchmarks.md.",
    )
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bagsmith-floor"))
    ap.add_argument("--only", nargs="*", choices=SCENARIOS, default=None)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each command (median)")
    ap.add_argument("--small-files", type=int, default=20_000, help="files of 4 KiB (small)")
    ap.add_argument("--large-mib", type=int, default=512, help="size of each of the 2 files")
    ap.add_argument("--files", type=int, default=1_000_000, help="tiny files (rss)")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    ap.add_argument("--clean", action="store_true", help="delete the generated data at the end")
    args = ap.parse_args(argv)
    want = set(args.only or SCENARIOS)
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    started = datetime.now(UTC).isoformat(timespec="seconds")
    start = run([PY, "-c", "pass"])
    start_load = load()

    if want & {"small", "small-fast"}:
        n = args.small_files
        src = ensure(work / f"small{n}-src", lambda d: make_small(d, n))
        bag = bag_of(src, work / f"small{n}-bag", "sha256", "sha512")
        data = str(bag / "data")
        run([*FLOOR, "hash", data])  # warm the page cache
        if "small" in want:
            ours, floor = alternate(
                [*BAGSMITH, "validate", "--quiet", "--processes", "1", str(bag)],
                [*FLOOR, "hash", data, "sha256", "sha512"],
                args.repeat,
            )
            rows.append(cpu_row("small", ours, floor, 1.3))
        if "small-fast" in want:
            ours, floor = alternate(
                [*BAGSMITH, "validate", "--quiet", "--fast", str(bag)],
                [*FLOOR, "sizes", data],
                args.repeat,
            )
            rows.append(cpu_row("small-fast", ours, floor, 1.3))

    if "large" in want:
        mib = args.large_mib
        src = ensure(work / f"large{mib}-src", lambda d: make_large(d, mib))
        bag = bag_of(src, work / f"large{mib}-bag", "sha256")
        data = str(bag / "data")
        run([*FLOOR, "hash", data, "sha256"])
        ours, floor = alternate(
            [*BAGSMITH, "validate", "--quiet", str(bag)],
            [*FLOOR, "hash", data, "sha256"],
            args.repeat,
        )
        share = floor.cpu / ours.cpu
        rows.append(
            Row(
                "large",
                f"cpu {ours.cpu:.3f} s (wall {ours.seconds:.3f} s)",
                f"cpu {floor.cpu:.3f} s (wall {floor.seconds:.3f} s)",
                round(share, 3),
                ">= 0.90 (floor/bagsmith)",
                share >= 0.9,
                load(),
                ours.returncode == 0 and floor.returncode == 0,
            )
        )

    if "rss" in want:
        n = args.files
        src = ensure(work / f"many{n}-src", lambda d: make_many(d, n))
        dest = work / f"many{n}-bag"
        shutil.rmtree(dest, ignore_errors=True)
        made = run([*BAGSMITH, "bag", "--quiet", str(src), "-o", str(dest)])
        checked = run([*BAGSMITH, "validate", "--quiet", str(dest)])
        for name, r in (("rss bag", made), ("rss validate", checked)):
            rows.append(
                Row(
                    f"{name} ({n:,} files)",
                    f"{r.rss_mb:.0f} MB peak RSS (cpu {r.cpu:.1f} s, wall {r.seconds:.1f} s)",
                    "-",
                    None,
                    "< 200 MB",
                    r.rss_mb < 200,
                    load(),
                    r.returncode == 0,
                )
            )
        shutil.rmtree(dest, ignore_errors=True)

    if args.clean:
        shutil.rmtree(work, ignore_errors=True)
    head = ("scenario", "bagsmith", "floor", "ratio", "target", "met", "load 1/5 min")
    table = [head] + [
        (
            r.scenario + ("" if r.ok else " (FAILED)"),
            r.bagsmith,
            r.floor,
            "-" if r.ratio is None else f"{r.ratio:.3f}",
            r.target,
            "-" if r.met is None else ("yes" if r.met else "NO"),
            r.load,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    print(
        f"# {started}  repeat={args.repeat}  python -c pass: cpu {start.cpu:.3f} s"
        f"  load at start {start_load}"
    )
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    if args.json is not None:
        doc = {"started": started, "repeat": args.repeat, "rows": [asdict(r) for r in rows]}
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
