"""Benchmark ``bagsmith parse``: cost per caption at growing sizes, and start-up of one page.

    python bench/bench_parse.py [--captions 1000 3000 9999] [--sentences 1000 10000 100000]
                                [--repeat 3] [--only NAME...] [--workdir DIR] [--json FILE]
                                [--page FILE] [--html FILE...]

Scenarios (each runs ``bagsmith parse FILE --json`` as a command, as a user would, and reads
its CPU time — user + system, from ``os.wait4`` — and peak RSS):

* ``captions``: a text article with N numbered figures (caption with a date and a place, a
  credit, a one-sentence description), for each N of ``--captions`` (``#N`` numbering stops at
  9,999: a larger number is not a figure number). Prints the CPU time per
  caption after subtracting the start-up (a one-figure article, measured in the same run), and
  the ratio of the largest size's per-caption cost to the smallest's: **linear cost is a ratio
  near 1** (issue 17 finding 12: 1,000 captions took 0.77 s, 2,000 6.0 s, 4,000 20.8 s).
* ``long-caption``: one figure whose description holds N sentences (``--sentences``), each
  naming places and a date (the gazetteer and date readers on one long text), same report.
* ``startup``: one page (the seed article if ``--page`` exists, otherwise a generated
  ~10 KB article; a small generated HTML page; and each saved page of ``--html``, e.g. pages of
  a trafilatura checkout's ``tests/cache``) against ``python -c pass``: wall and CPU time of
  the whole command (``python -X importtime -m bagsmith parse FILE`` shows where it goes).
  Target: under 0.3 s of CPU (issues 12 and 16).

Commands run with Python's byte-code cache written (``PYTHONDONTWRITEBYTECODE`` is removed from
their environment, and the first, untimed run of each writes it), as for an installed package;
the gazetteer index is cached in ``--workdir``/cache (``BAGSMITH_CACHE_DIR``) by that first run,
as it is in the user's cache folder after a first ``parse``.

Generated articles are written to ``--workdir`` (default ``/tmp/bagsmith-bench-parse``) and
reused. The median of ``--repeat`` runs is shown; the load average is printed on every row
(the machine may be shared: the CPU columns are the load-independent view).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITIES = ["Budapest", "Győr", "Debrecen", "Szeged", "Vienna", "Prague", "Gyor", "Sopron"]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]  # fmt: skip
SCENARIOS = ("captions", "long-caption", "startup")


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    rc: int


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        sys.stderr.write(f"command failed ({rc}): {cmd}\n{err.decode()[-2000:]}\n")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, rc)


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.rss_mb for r in runs),
        max((r.rc for r in runs), key=abs),
    )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def caption(n: int) -> str:
    city = CITIES[n % len(CITIES)]
    month = MONTH_NAMES[n % 12]
    return (
        f"A crowd in front of the town hall in {city}, {month} {n % 28 + 1}, "
        f"{1900 + n % 120}. (Fortepan/Photographer {n % 97})"
    )


def captions_article(path: Path, figures: int) -> Path:
    if path.is_file():
        return path
    lines = ["Photographs of the Autumn", "", "By Archivist One", ""]
    lines.append("These photographs show the streets and people of several towns.")
    for n in range(1, figures + 1):
        lines += [
            "",
            f"#{n} {caption(n)}",
            "",
            f"People stand before a building ({n} of {figures}).",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def long_caption_article(path: Path, sentences: int) -> Path:
    if path.is_file():
        return path
    body = " ".join(
        f"People walk from {CITIES[n % 8]} toward Austria near {CITIES[(n + 3) % 8]} on "
        f"{MONTH_NAMES[n % 12]} {n % 28 + 1}, {1900 + n % 120}."
        for n in range(sentences)
    )
    text = (
        f"One Long Caption\n\nAn introduction.\n\n#1 A long caption.\n\n{body}\n\n#2 End, 1956.\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


def html_page(path: Path) -> Path:
    if path.is_file():
        return path
    paras = "".join(
        f"<p>Paragraph {n} of the article tells what happened in {CITIES[n % 8]} that day.</p>"
        for n in range(40)
    )
    figs = "".join(
        f'<figure><img src="p{n}.jpg"><figcaption>{caption(n)}</figcaption></figure>'
        for n in range(1, 6)
    )
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>A page</title></head><body>"
        f"<article><h1>A page of photographs</h1>{paras}{figs}</article></body></html>",
        encoding="utf-8",
    )
    return path


def parse_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "bagsmith", "parse", str(path), "--json"]


def measure(cmd: list[str], repeat: int) -> Run:
    run(cmd)  # warm the page cache and Python's byte-code cache
    return median([run(cmd) for _ in range(repeat)])


def per_unit(name: str, unit: str, paths: dict[int, Path], base: Run, repeat: int) -> dict:
    rows = []
    print(f"{name}: start-up (one figure) {base.cpu:.3f} s CPU, load {load()}")
    for size, path in paths.items():
        r = measure(parse_cmd(path), repeat)
        per = (r.cpu - base.cpu) / size * 1e3
        rows.append({"size": size, **asdict(r), "ms_per_unit": per, "load": load()})
        print(
            f"  {size:>7,} {unit}: {r.wall:7.2f} s wall, {r.cpu:7.2f} s CPU, "
            f"{r.rss_mb:5.0f} MB peak RSS, {per:.3f} ms CPU per {unit[:-1]} "
            f"(load {load()}){'' if r.rc == 0 else f'  EXIT {r.rc}'}"
        )
    first, last = rows[0]["ms_per_unit"], rows[-1]["ms_per_unit"]
    ratio = last / first if first > 0 else float("nan")
    print(
        f"  per-{unit[:-1]} cost at {rows[-1]['size']:,} / at {rows[0]['size']:,}: "
        f"{ratio:.2f} (linear: about 1)"
    )
    return {"scenario": name, "start_up_cpu": base.cpu, "rows": rows, "ratio": ratio}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bagsmith-bench-parse"))
    ap.add_argument("--captions", type=int, nargs="+", default=[1000, 3000, 9999])
    ap.add_argument("--sentences", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", choices=SCENARIOS, default=None)
    ap.add_argument(
        "--page",
        type=Path,
        default=ROOT.parent / "shared" / "seeds" / "hungarian-revolution-1956.txt",
        help="the single page of the start-up scenario",
    )
    ap.add_argument(
        "--html", type=Path, nargs="*", default=[], help="saved pages for the start-up scenario"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    ENV["BAGSMITH_CACHE_DIR"] = str(work.absolute() / "cache")
    wanted = args.only or SCENARIOS
    results: list[dict] = []
    git = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"bagsmith at {git or '?'}, Python {sys.version.split()[0]}, load {load()}")

    if {"captions", "long-caption"} & set(wanted):
        base = measure(parse_cmd(captions_article(work / "captions-1.txt", 1)), args.repeat)
    if "captions" in wanted:
        paths = {n: captions_article(work / f"captions-{n}.txt", n) for n in args.captions}
        results.append(per_unit("captions", "captions", paths, base, args.repeat))
    if "long-caption" in wanted:
        paths = {n: long_caption_article(work / f"long-{n}.txt", n) for n in args.sentences}
        results.append(per_unit("long-caption", "sentences", paths, base, args.repeat))
    if "startup" in wanted:
        page = args.page if args.page.is_file() else captions_article(work / "page.txt", 12)
        python = measure([sys.executable, "-c", "pass"], args.repeat)
        rows = {"python -c pass": python}
        rows[f"parse {page.name}"] = measure(parse_cmd(page), args.repeat)
        rows["parse page.html"] = measure(parse_cmd(html_page(work / "page.html")), args.repeat)
        for extra in args.html:
            rows[f"parse {extra.name}"] = measure(parse_cmd(extra), args.repeat)
        print(f"startup (target: under 0.3 s), load {load()}")
        for label, r in rows.items():
            verdict = "" if label.startswith("python") else (" ok" if r.cpu < 0.3 else " OVER")
            print(
                f"  {label:<40} {r.wall:.3f} s wall, {r.cpu:.3f} s CPU, {r.rss_mb:.0f} MB{verdict}"
            )
        results.append({"scenario": "startup", **{k: asdict(v) for k, v in rows.items()}})
    if args.json:
        args.json.write_text(json.dumps({"commit": git, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
