"""Benchmark bagsmith's BagIt engine against bagit-python on the same data, in one run.

    python bench/bench_bagit.py [--workdir DIR] [--tmpfs DIR] [--repeat N] [--only NAME ...]
                                [--skip-large] [--scale full|tiny] [--json FILE]

Generates the payloads (once; reused on later runs), then times both tools as subprocesses,
alternating them run by run, and prints the median times and their ratio (bagit-python time /
bagsmith time; higher is better for bagsmith). Speed is reported as ratios measured in the same
script because the machines are shared and noisy; the load average is printed with each row.
Peak RSS comes from os.wait4 of the measured process (the largest of it and its workers).
See docs/benchmarks.md for the methodology and the latest numbers.

Scenarios (targets from issue 2; issue 16 for rss-1m, 500 MB before under issue 7):
  small-validate      20,000 x 4 KiB in 200 folders, full validation, 2 processes        (>= 3x)
  small-fast          the same, --fast (Payload-Oxum and completeness, no hashing)        (>= 5x)
  small-create        bagsmith bag (copies) vs `cp -r && bagit.py --processes 2`, on the
                      work folder's disk, with sync + settle after each clean-up          (>= 2x)
  small-create-tmpfs  the same on --tmpfs (default /dev/shm/bagsmith-bench)               (>= 2x)
  mixed-validate      300 files of 0.2-5 MiB + 2,000 small files, 2 processes             (>= 1.8x)
  large-validate      2 x 512 MiB, sha256: the engine (one library call, timed inside one
                      process) and the CLI (with interpreter start-up), vs 2 x hashlib
                      sha256 over the same files, measured in the same script           (>= 90%)
  rss-100k            peak RSS of `bagsmith validate` on a bag of 100,000 files         (< 150 MB)
  rss-1m              peak RSS of `bagsmith validate` on a bag of 1,000,000 files       (< 200 MB)

rss-1m is only run when named with --only (generating a million files takes minutes); the
peak RSS of `bagsmith bag` of a million files is measured by `bench/bench_floor.py --only rss`.
``--scale tiny`` shrinks every payload (for the smoke test; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path

PY = sys.executable
BAGSMITH = [PY, "-m", "bagsmith"]
BAGIT = [PY, "-m", "bagit"]
MiB = 1024 * 1024
DEFAULT_SCENARIOS = (
    "small-validate",
    "small-fast",
    "small-create",
    "small-create-tmpfs",
    "mixed-validate",
    "large-validate",
    "rss-100k",
)
ALL_SCENARIOS = (*DEFAULT_SCENARIOS, "rss-1m")


@dataclass(frozen=True)
class Scale:
    small_files: int = 20_000
    small_folders: int = 200
    small_size: int = 4096
    large_count: int = 2
    large_size: int = 512 * MiB
    mixed_images: int = 300
    mixed_texts: int = 2000
    many_100k: int = 100_000
    many_1m: int = 1_000_000
    per_folder: int = 1000
    prefix: str = ""


SCALES = {
    "full": Scale(),
    "tiny": Scale(200, 10, 4096, 2, 6 * MiB, 6, 40, 2000, 3000, 500, "tiny-"),
}


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    returncode: int
    cpu: float = 0.0  # user + system seconds of the process and its workers


@dataclass
class Row:
    scenario: str
    ours: str
    theirs: str
    ratio: float | None
    target: str
    met: bool | None
    load: str
    ok: bool = True  # every measured command succeeded (and every bag was valid)
    note: str = ""


def run(cmd: list[str] | str) -> Run:
    """Run one command (a string runs in the shell), timing it and reading its peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        shell=isinstance(cmd, str),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(f"command failed ({proc.returncode}): {cmd}\n{err.decode()[-2000:]}\n")
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime)


QUIET = {"idle": 0.85, "wait": 60.0, "gave_up": 0}


def _cpu_times() -> tuple[int, int] | None:
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)  # idle + iowait, total


def wait_quiet() -> None:
    """Wait (up to QUIET["wait"] s) until the CPUs were QUIET["idle"] idle for a whole second.

    The machine is shared: a neighbour's test run takes one of the two cores, and a tool that
    uses two processes then gets the CPU of one. Linux only (/proc/stat); a no-op elsewhere.
    """
    if QUIET["wait"] <= 0:
        return
    deadline = time.monotonic() + QUIET["wait"]
    while True:
        before = _cpu_times()
        time.sleep(1.0)
        after = _cpu_times()
        if before is None or after is None:
            return
        idle = (after[0] - before[0]) / max(1, after[1] - before[1])
        if idle >= QUIET["idle"]:
            return
        if time.monotonic() > deadline:
            QUIET["gave_up"] += 1
            return


def settle(seconds: float) -> None:
    """Flush dirty pages and let the disk finish (after deleting a bag, before timing)."""
    os.sync()
    time.sleep(seconds)


def summary(runs: list[Run]) -> Run:
    ok = [r for r in runs if r.returncode == 0] or runs
    return Run(
        statistics.median(r.seconds for r in ok),
        max(r.max_rss_mb for r in ok),
        max(r.returncode for r in runs),
        statistics.median(r.cpu for r in ok),
    )


def pair(
    theirs: Callable[[], list[str] | str],
    ours: Callable[[], list[str] | str],
    repeat: int,
    *,
    before: Callable[[], None] | None = None,
) -> tuple[Run, Run]:
    """Median of ``repeat`` runs of each command, alternating them (drift hits both alike)."""
    runs_theirs: list[Run] = []
    runs_ours: list[Run] = []
    for i in range(repeat):
        order = [(theirs, runs_theirs), (ours, runs_ours)]
        for factory, into in order if i % 2 == 0 else reversed(order):
            if before:
                before()
            wait_quiet()
            into.append(run(factory()))
    return summary(runs_theirs), summary(runs_ours)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


# --- payload generation ------------------------------------------------------------------------


def make_small(root: Path, s: Scale) -> None:
    rng = random.Random(1)
    per = s.small_files // s.small_folders
    for d in range(s.small_folders):
        folder = root / f"folder-{d:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(per):
            (folder / f"file-{f:04d}.bin").write_bytes(rng.randbytes(s.small_size))


def make_large(root: Path, s: Scale) -> None:
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2)
    block = rng.randbytes(min(8 * MiB, s.large_size))
    for i in range(s.large_count):
        with open(root / f"large-{i}.bin", "wb") as fh:
            for j in range(s.large_size // len(block)):
                fh.write(block[j % 7 :] + block[: j % 7])


def make_mixed(root: Path, s: Scale) -> None:
    rng = random.Random(3)
    images = root / "images"
    texts = root / "texts"
    images.mkdir(parents=True, exist_ok=True)
    texts.mkdir(parents=True, exist_ok=True)
    for i in range(s.mixed_images):
        size = rng.randint(int(0.2 * MiB), 5 * MiB)
        (images / f"img-{i:03d}.jpg").write_bytes(rng.randbytes(size))
    for i in range(s.mixed_texts):
        (texts / f"note-{i:04d}.txt").write_bytes(rng.randbytes(rng.randint(200, 8000)))


def make_many(root: Path, files: int, per: int) -> None:
    for d in range(files // per):
        folder = root / f"d{d:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(per):
            (folder / f"{f:04d}.txt").write_bytes(b"%d\n" % (d * per + f))


def make_many_bag(root: Path, files: int, per: int) -> None:
    """A bag of FILES tiny files written directly (sha256 and sha512 manifests, bagsmith's
    default): no copy, no bagit.py run. bagit-python needs many minutes to bag a million files;
    this bag is only for measuring peak RSS."""
    data = root / "data"
    total = 0
    algs = ("sha256", "sha512")
    tmp = [root.parent / f"{root.name}.{alg}.tmp" for alg in algs]
    with open(tmp[0], "w", encoding="utf-8") as m256, open(tmp[1], "w", encoding="utf-8") as m512:
        for d in range(files // per):
            folder = data / f"d{d:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            for f in range(per):
                content = b"%d\n" % (d * per + f)
                (folder / f"{f:04d}.txt").write_bytes(content)
                total += len(content)
                name = f"data/d{d:04d}/{f:04d}.txt"
                m256.write(f"{hashlib.sha256(content).hexdigest()}  {name}\n")
                m512.write(f"{hashlib.sha512(content).hexdigest()}  {name}\n")
    for alg, path in zip(algs, tmp, strict=True):
        os.replace(path, root / f"manifest-{alg}.txt")
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (root / "bag-info.txt").write_text(f"Payload-Oxum: {total}.{files // per * per}\n")


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest)


def ensure(path: Path, maker: Callable[[Path], None]) -> Path:
    done = path.with_name(path.name + ".done")
    if not done.exists():
        shutil.rmtree(path, ignore_errors=True)
        maker(path)
        done.touch()
    return path


def bagit_bag(src: Path, dest: Path, *algs: str) -> Path:
    """A bag of SRC made by bagit-python (in place on a copy), reused across runs."""

    def make(path: Path) -> None:
        shutil.copytree(src, path)
        flags = [f"--{a}" for a in algs]
        subprocess.run(
            [*BAGIT, "--processes", "2", *flags, str(path)], check=True, stderr=subprocess.DEVNULL
        )

    return ensure(dest, make)


# --- hashlib baseline and in-process engine timing ------------------------------------------------


def _sha256_file(path: str) -> float:
    start = time.perf_counter()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(8 * MiB):
            h.update(block)
    return time.perf_counter() - start


def hashlib_two_core_mbps(files: list[Path]) -> float:
    """MB/s of two processes (already started) each hashing files with plain hashlib."""
    total = sum(p.stat().st_size for p in files) / MiB
    with Pool(2) as pool:
        pool.map(_sha256_file, [])  # the workers are up before the clock starts
        start = time.perf_counter()
        pool.map(_sha256_file, [str(p) for p in files], chunksize=1)
        elapsed = time.perf_counter() - start
    return total / elapsed


_ENGINE = """
import json, sys, time
from bagsmith.bagit.validate import validate_bag
start = time.perf_counter()
result = validate_bag(sys.argv[1], processes=int(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start, "valid": result.valid}))
"""


def engine_seconds(bag: Path, processes: int = 2) -> float | None:
    """One ``validate_bag`` call timed inside a fresh process (no start-up, no CLI)."""
    proc = subprocess.run(
        [PY, "-c", _ENGINE, str(bag), str(processes)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-2000:])
        return None
    out = json.loads(proc.stdout)
    return float(out["seconds"]) if out["valid"] else None


# --- scenarios ----------------------------------------------------------------------------------


def speed_row(name: str, theirs: Run, ours: Run, target: float, label: str = "bagit") -> Row:
    ratio = theirs.seconds / ours.seconds
    return Row(
        name,
        f"{ours.seconds:.3f} s (cpu {ours.cpu:.2f} s)",
        f"{label} {theirs.seconds:.3f} s (cpu {theirs.cpu:.2f} s)",
        round(ratio, 2),
        f">= {target}x",
        ratio >= target,
        load(),
        ok=theirs.returncode == 0 and ours.returncode == 0,
    )


def validate_pair(name: str, bag: Path, extra: list[str], target: float, repeat: int) -> Row:
    flags = ["--processes", "2"] if "--fast" not in extra else []
    theirs, ours = pair(
        lambda: [*BAGIT, "--validate", *flags, *extra, str(bag)],
        lambda: [*BAGSMITH, "validate", "--quiet", *flags, *extra, str(bag)],
        repeat,
    )
    return speed_row(name, theirs, ours, target)


_BARE_COPY = """
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for folder, dirs, files in os.walk(src):
    out = os.path.join(dst, os.path.relpath(folder, src))
    os.makedirs(out)
    for name in files:
        rfd = os.open(os.path.join(folder, name), os.O_RDONLY)
        wfd = os.open(os.path.join(out, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        while block := os.read(rfd, 1 << 20):
            os.write(wfd, block)
        os.close(wfd)
        os.close(rfd)
"""


def create_pair(name: str, src: Path, work: Path, repeat: int, pause: float, *, keep: bool) -> Row:
    """Create a bag of SRC both ways, each run into a new folder; a bare copy (no hashing) is
    timed too, as the floor that the file system sets for both tools.

    Nothing is deleted between timed runs: ext4 skips inodes deleted in the last 60 s (300 s
    while their inode table is dirty) when it allocates new ones (``recently_deleted()`` in
    ``find_inode_bit()``), which made creating 20,000 files right after deleting the previous
    bag cost 0.5-9 s of kernel time instead of ~0.3 s. So the bags are left in place
    (``keep``; on disk) and deleted by the next run, before it starts, followed by ``sync``
    and a pause of ``pause`` seconds. On tmpfs (no such allocator) they are deleted at once.
    """
    runs = work / "create-runs"
    if runs.exists():
        shutil.rmtree(runs)
        settle(pause)
    runs.mkdir(parents=True)
    counter = iter(range(1_000_000))

    def fresh(label: str) -> Path:
        return runs / f"{label}-{next(counter)}"

    def theirs_cmd() -> str:
        dst = fresh("bagit")
        return (
            shlex.join(["cp", "-r", str(src), str(dst)])
            + " && "
            + shlex.join([*BAGIT, "--processes", "2", str(dst)])
        )

    theirs, ours = pair(
        theirs_cmd,
        lambda: [
            *BAGSMITH,
            "bag",
            "--quiet",
            "--processes",
            "2",
            str(src),
            "-o",
            str(fresh("ours")),
        ],
        repeat,
        before=lambda: settle(0.5),
    )
    floor = summary(
        [run([PY, "-c", _BARE_COPY, str(src), str(fresh("floor"))]) for _ in range(repeat)]
    )
    if not keep:
        shutil.rmtree(runs)
    row = speed_row(name, theirs, ours, 2, label="cp+bagit")
    row.note = f"bare copy (floor) {floor.seconds:.3f} s (cpu {floor.cpu:.2f} s)"
    return row


def large_rows(bag: Path, repeat: int) -> list[Row]:
    payload = sorted((bag / "data").iterdir())
    total_mb = sum(p.stat().st_size for p in payload) / MiB
    run([*BAGSMITH, "validate", "--quiet", str(bag)])  # warm the page cache
    limits: list[float] = []
    engine: list[float] = []
    cli: list[Run] = []
    for _ in range(repeat):
        wait_quiet()
        limits.append(hashlib_two_core_mbps(payload))
        wait_quiet()
        seconds = engine_seconds(bag)
        if seconds is not None:
            engine.append(total_mb / seconds)
        wait_quiet()
        cli.append(run([*BAGSMITH, "validate", "--quiet", "--processes", "2", str(bag)]))
    limit = statistics.median(limits)
    theirs = f"2x hashlib {limit:.0f} MB/s"
    rows = []
    if engine:
        speed = statistics.median(engine)
        share = speed / limit
        rows.append(
            Row(
                "large-validate (engine)",
                f"{speed:.0f} MB/s",
                theirs,
                round(share, 3),
                ">= 0.90",
                share >= 0.9,
                load(),
                ok=len(engine) == repeat,
            )
        )
    cli_run = summary(cli)
    cli_speed = total_mb / cli_run.seconds
    rows.append(
        Row(
            "large-validate (CLI)",
            f"{cli_speed:.0f} MB/s ({cli_run.seconds:.3f} s)",
            theirs,
            round(cli_speed / limit, 3),
            "(info: includes start-up)",
            None,
            load(),
            ok=cli_run.returncode == 0,
        )
    )
    return rows


def rss_row(name: str, bag: Path, limit_mb: float) -> Row:
    ours = run([*BAGSMITH, "validate", "--quiet", str(bag)])
    return Row(
        name,
        f"{ours.max_rss_mb:.0f} MB peak RSS ({ours.seconds:.1f} s)",
        "-",
        None,
        f"< {limit_mb:.0f} MB",
        ours.max_rss_mb < limit_mb,
        load(),
        ok=ours.returncode == 0,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bagsmith-bench"))
    ap.add_argument(
        "--tmpfs",
        type=Path,
        default=Path("/dev/shm/bagsmith-bench"),
        help="folder on a RAM file system for small-create-tmpfs",
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=None, choices=ALL_SCENARIOS)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--scale", choices=sorted(SCALES), default="full")
    ap.add_argument(
        "--settle",
        type=float,
        default=65.0,
        help="seconds to wait after deleting an earlier run's bags (ext4 avoids reusing "
        "inodes deleted in the last 60 s)",
    )
    ap.add_argument(
        "--quiet-idle",
        type=float,
        default=0.85,
        help="before each timed run, wait until the CPUs were this idle for one second",
    )
    ap.add_argument(
        "--quiet-wait", type=float, default=60.0, help="... but at most this long (0: never wait)"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    QUIET["idle"], QUIET["wait"] = args.quiet_idle, args.quiet_wait
    s = SCALES[args.scale]
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    want = set(args.only) if args.only else set(DEFAULT_SCENARIOS)
    if args.skip_large:
        want.discard("large-validate")
    p = s.prefix
    rows: list[Row] = []
    started = datetime.now(UTC).isoformat(timespec="seconds")
    start_load = load()

    if want & {"small-validate", "small-fast", "small-create", "small-create-tmpfs"}:
        small = ensure(work / f"{p}small-src", lambda d: make_small(d, s))
        small_bag = bagit_bag(small, work / f"{p}small-bagit", "sha256", "sha512")
        run([*BAGSMITH, "validate", "--quiet", str(small_bag)])  # warm the page cache
        if "small-validate" in want:
            rows.append(validate_pair("small-validate", small_bag, [], 3, args.repeat))
        if "small-fast" in want:
            rows.append(validate_pair("small-fast", small_bag, ["--fast"], 5, args.repeat))
        if "small-create" in want:
            rows.append(
                create_pair("small-create", small, work, args.repeat, args.settle, keep=True)
            )
        if "small-create-tmpfs" in want:
            shm: Path = args.tmpfs
            shm.mkdir(parents=True, exist_ok=True)
            shm_small = ensure(shm / f"{p}small-src", lambda d: copy_tree(small, d))
            rows.append(
                create_pair(
                    "small-create-tmpfs", shm_small, shm, args.repeat, args.settle, keep=False
                )
            )

    if "mixed-validate" in want:
        mixed = ensure(work / f"{p}mixed-src", lambda d: make_mixed(d, s))
        mixed_bag = bagit_bag(mixed, work / f"{p}mixed-bagit", "sha256", "sha512")
        run([*BAGSMITH, "validate", "--quiet", str(mixed_bag)])
        rows.append(validate_pair("mixed-validate", mixed_bag, [], 1.8, args.repeat))

    if "large-validate" in want:
        large = ensure(work / f"{p}large-src", lambda d: make_large(d, s))
        rows.extend(large_rows(bagit_bag(large, work / f"{p}large-bagit", "sha256"), args.repeat))

    if "rss-100k" in want:
        many = ensure(work / f"{p}many100k-src", lambda d: make_many(d, s.many_100k, s.per_folder))
        many_bag = bagit_bag(many, work / f"{p}many100k-bagit", "sha256", "sha512")
        rows.append(rss_row("rss-100k", many_bag, 150))

    if "rss-1m" in want:
        bag = ensure(work / f"{p}many1m-bag", lambda d: make_many_bag(d, s.many_1m, s.per_folder))
        rows.append(rss_row("rss-1m", bag, 200))

    head = ("scenario", "bagsmith", "baseline", "ratio", "target", "met", "load 1/5 min", "note")
    table = [head] + [
        (
            r.scenario + ("" if r.ok else " (FAILED)"),
            r.ours,
            r.theirs,
            "-" if r.ratio is None else f"{r.ratio:.2f}",
            r.target,
            "-" if r.met is None else ("yes" if r.met else "NO"),
            r.load,
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    print(
        f"# {started}  scale={args.scale}  repeat={args.repeat}  load at start {start_load}"
        f"  runs started without a quiet second: {QUIET['gave_up']}"
    )
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    if args.json is not None:
        doc = {
            "started": started,
            "scale": args.scale,
            "repeat": args.repeat,
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "not_quiet_runs": QUIET["gave_up"],
            "rows": [asdict(r) for r in rows],
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
