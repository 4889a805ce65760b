"""Benchmark bagsmith's BagIt engine against bagit-python on the same data, in one run.

    python bench/bench_bagit.py [--workdir DIR] [--repeat N] [--only NAME ...] [--skip-large]

Generates the payloads (once; reused on later runs), then times both tools as subprocesses and
prints ratios (bagit-python time / bagsmith time; higher is better for bagsmith). Speed is
reported as ratios against a baseline measured in the same script because the machines are
noisy. Peak RSS comes from os.wait4 of the measured process alone.

Scenarios (targets from issue 2):
  small-validate   20,000 x 4 KiB in 200 folders, full validation, 2 processes    (>= 3x)
  small-fast       the same, --fast (Payload-Oxum only)                             (>= 5x)
  small-create     bagsmith bag (copies) vs `cp -r && bagit.py --processes 2`      (>= 2x)
  large-validate   2 x 512 MiB, sha256 manifest, vs 2 x hashlib sha256 throughput  (>= 90%)
  mixed-validate   300 files of 0.2-5 MiB + 2,000 small files, 2 processes          (>= 1.8x)
  rss-100k         peak RSS of `bagsmith validate` on a bag of 100,000 files        (< 150 MB)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

PY = sys.executable
BAGSMITH = [PY, "-m", "bagsmith"]
BAGIT = [PY, "-m", "bagit"]
MiB = 1024 * 1024


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    returncode: int


def run(cmd: list[str], *, shell: bool = False) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(
        " ".join(cmd) if shell else cmd,
        shell=shell,
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
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode)


def best(
    cmd_factory: Callable[[], list[str]],
    repeat: int,
    *,
    shell: bool = False,
    before: Callable[[], None] | None = None,
) -> Run:
    runs = []
    for _ in range(repeat):
        if before:
            before()
        runs.append(run(cmd_factory(), shell=shell))
    ok = [r for r in runs if r.returncode == 0] or runs
    return Run(
        statistics.median(r.seconds for r in ok),
        max(r.max_rss_mb for r in ok),
        max(r.returncode for r in runs),
    )


# --- payload generation ------------------------------------------------------------------------


def make_small(root: Path, files: int = 20_000, folders: int = 200, size: int = 4096) -> None:
    rng = random.Random(1)
    per = files // folders
    for d in range(folders):
        folder = root / f"folder-{d:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(per):
            (folder / f"file-{f:04d}.bin").write_bytes(rng.randbytes(size))


def make_large(root: Path, count: int = 2, size: int = 512 * MiB) -> None:
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2)
    block = rng.randbytes(8 * MiB)
    for i in range(count):
        with open(root / f"large-{i}.bin", "wb") as fh:
            for j in range(size // len(block)):
                fh.write(block[j % 7 :] + block[: j % 7])


def make_mixed(root: Path) -> None:
    rng = random.Random(3)
    images = root / "images"
    texts = root / "texts"
    images.mkdir(parents=True, exist_ok=True)
    texts.mkdir(parents=True, exist_ok=True)
    for i in range(300):
        size = rng.randint(int(0.2 * MiB), 5 * MiB)
        (images / f"img-{i:03d}.jpg").write_bytes(rng.randbytes(size))
    for i in range(2000):
        (texts / f"note-{i:04d}.txt").write_bytes(rng.randbytes(rng.randint(200, 8000)))


def make_many(root: Path, files: int) -> None:
    per = 1000
    for d in range(files // per):
        folder = root / f"d{d:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(per):
            (folder / f"{f:04d}.txt").write_bytes(b"%d\n" % (d * per + f))


def ensure(path: Path, maker: Callable[[Path], None]) -> Path:
    done = path.with_name(path.name + ".done")
    if not done.exists():
        shutil.rmtree(path, ignore_errors=True)
        maker(path)
        done.touch()
    return path


def bagit_bag(src: Path, dest: Path, *algs: str) -> Path:
    """A bag of SRC made by bagit-python (in place on a copy), reused across runs."""
    done = dest.with_name(dest.name + ".done")
    if not done.exists():
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(src, dest)
        flags = [f"--{a}" for a in algs]
        subprocess.run(
            [*BAGIT, "--processes", "2", *flags, str(dest)], check=True, stderr=subprocess.DEVNULL
        )
        done.touch()
    return dest


# --- hashlib baseline ---------------------------------------------------------------------------


def _sha256_file(path: str) -> float:
    start = time.perf_counter()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(8 * MiB):
            h.update(block)
    return time.perf_counter() - start


def hashlib_two_core_mbps(files: list[Path]) -> float:
    total = sum(p.stat().st_size for p in files) / MiB
    with Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_sha256_file, [str(p) for p in files])
        elapsed = time.perf_counter() - start
    return total / elapsed


# --- scenarios ----------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bagsmith-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    want = set(args.only) if args.only else None
    results: list[tuple[str, str]] = []

    def enabled(name: str) -> bool:
        return want is None or name in want

    if enabled("small-validate") or enabled("small-fast") or enabled("small-create"):
        small = ensure(work / "small-src", make_small)
        small_bag = bagit_bag(small, work / "small-bagit", "sha256", "sha512")
        # warm the page cache
        run([*BAGSMITH, "validate", "--quiet", str(small_bag)])
        if enabled("small-validate"):
            theirs = best(
                lambda: [*BAGIT, "--validate", "--processes", "2", str(small_bag)], args.repeat
            )
            ours = best(
                lambda: [*BAGSMITH, "validate", "--quiet", "--processes", "2", str(small_bag)],
                args.repeat,
            )
            results.append(
                (
                    "small-validate",
                    f"bagit {theirs.seconds:.3f}s  bagsmith {ours.seconds:.3f}s  ratio {theirs.seconds / ours.seconds:.2f}x (target >= 3)",
                )
            )
        if enabled("small-fast"):
            theirs = best(lambda: [*BAGIT, "--validate", "--fast", str(small_bag)], args.repeat)
            ours = best(
                lambda: [*BAGSMITH, "validate", "--quiet", "--fast", str(small_bag)], args.repeat
            )
            results.append(
                (
                    "small-fast",
                    f"bagit {theirs.seconds:.3f}s  bagsmith {ours.seconds:.3f}s  ratio {theirs.seconds / ours.seconds:.2f}x (target >= 5)",
                )
            )
        if enabled("small-create"):
            dst_theirs = work / "create-bagit"
            dst_ours = work / "create-bagsmith"

            def clean() -> None:
                shutil.rmtree(dst_theirs, ignore_errors=True)
                shutil.rmtree(dst_ours, ignore_errors=True)

            theirs = best(
                lambda: [
                    "cp",
                    "-r",
                    str(small),
                    str(dst_theirs),
                    "&&",
                    *BAGIT,
                    "--processes",
                    "2",
                    str(dst_theirs),
                ],
                args.repeat,
                shell=True,
                before=clean,
            )
            ours = best(
                lambda: [
                    *BAGSMITH,
                    "bag",
                    "--quiet",
                    "--processes",
                    "2",
                    str(small),
                    "--output",
                    str(dst_ours),
                ],
                args.repeat,
                before=clean,
            )
            clean()
            results.append(
                (
                    "small-create",
                    f"cp+bagit {theirs.seconds:.3f}s  bagsmith {ours.seconds:.3f}s  ratio {theirs.seconds / ours.seconds:.2f}x (target >= 2)",
                )
            )

    if enabled("mixed-validate"):
        mixed = ensure(work / "mixed-src", make_mixed)
        mixed_bag = bagit_bag(mixed, work / "mixed-bagit", "sha256", "sha512")
        run([*BAGSMITH, "validate", "--quiet", str(mixed_bag)])
        theirs = best(
            lambda: [*BAGIT, "--validate", "--processes", "2", str(mixed_bag)], args.repeat
        )
        ours = best(
            lambda: [*BAGSMITH, "validate", "--quiet", "--processes", "2", str(mixed_bag)],
            args.repeat,
        )
        results.append(
            (
                "mixed-validate",
                f"bagit {theirs.seconds:.3f}s  bagsmith {ours.seconds:.3f}s  ratio {theirs.seconds / ours.seconds:.2f}x (target >= 1.8)",
            )
        )

    if enabled("large-validate") and not args.skip_large:
        large = ensure(work / "large-src", make_large)
        large_bag = bagit_bag(large, work / "large-bagit", "sha256")
        payload = sorted((large_bag / "data").iterdir())
        total_mb = sum(p.stat().st_size for p in payload) / MiB
        run([*BAGSMITH, "validate", "--quiet", str(large_bag)])
        limits = []
        speeds = []
        for _ in range(args.repeat):
            limits.append(hashlib_two_core_mbps(payload))
            ours = run([*BAGSMITH, "validate", "--quiet", "--processes", "2", str(large_bag)])
            speeds.append(total_mb / ours.seconds)
        limit = statistics.median(limits)
        speed = statistics.median(speeds)
        results.append(
            (
                "large-validate",
                f"2x hashlib sha256 {limit:.0f} MB/s  bagsmith {speed:.0f} MB/s  = {100 * speed / limit:.0f}% (target >= 90%)",
            )
        )

    if enabled("rss-100k"):
        many = ensure(work / "many100k-src", lambda p: make_many(p, 100_000))
        many_bag = bagit_bag(many, work / "many100k-bagit", "sha256", "sha512")
        ours = run([*BAGSMITH, "validate", "--quiet", str(many_bag)])
        results.append(
            (
                "rss-100k",
                f"bagsmith validate {ours.seconds:.2f}s  peak RSS {ours.max_rss_mb:.0f} MB (target < 150 MB)",
            )
        )

    if enabled("rss-1m"):
        many = ensure(work / "many1m-src", lambda p: make_many(p, 1_000_000))
        many_bag = bagit_bag(many, work / "many1m-bagit", "sha256")
        ours = run([*BAGSMITH, "validate", "--quiet", str(many_bag)])
        results.append(
            (
                "rss-1m",
                f"bagsmith validate {ours.seconds:.2f}s  peak RSS {ours.max_rss_mb:.0f} MB (target < 500 MB)",
            )
        )

    width = max((len(n) for n, _ in results), default=0)
    for name, line in results:
        print(f"{name:<{width}}  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
