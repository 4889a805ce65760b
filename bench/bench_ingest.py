"""Article ingest against trafilatura, on trafilatura's own evaluation set, in one run.

    python bench/bench_ingest.py PATH-TO-TRAFILATURA-CHECKOUT [--limit N] [--jobs N]
    python bench/bench_ingest.py PATH --metadata-only --misses misses.jsonl   # quicker
    python bench/bench_ingest.py PATH --metadata-only --pages misses.jsonl    # only those

PATH is a checkout of https://github.com/adbar/trafilatura (nothing of it is copied here): its
``tests/evaldata.json`` names ~990 saved pages (``tests/cache``, ``tests/eval``) with snippets
that must and must not appear in the main text, and the expected title, author and date.
Both tools are scored with that repository's own ``tests/eval_common.py`` (``count_item``,
``ConfusionMatrix``; trafilatura run as its benchmark runs it, ``RUNNERS["fallback"]``).

* **main text**: bagsmith's text is its title, section headings, paragraphs and figure captions
  and descriptions (captions count as text); trafilatura's is ``extract()``'s (which holds the
  title when it stands in the body).
* **metadata**, on the pages with an expected value: title exact (white space normalised) and
  contained (one inside the other); author exact (the same names: both sides split at ``;``,
  ``,``, ``&``, ``and``; case and white space ignored); date same day.
* **refused / crashed**: bagsmith's clear refusals (``InputError``) and tracebacks (any other
  exception) — the target is 0 of each.
* **figures**, on the pages of ``tests/cache`` labelled by hand in ``bench/figure_labels.json``
  (bagsmith's own labels, by file name: the editorial photographs of each page's article, by
  image file name, with the visible caption — without its credit — and the credit it shows):
  precision and recall of figures (matched by file name, a WordPress-style ``-WxH`` size
  ignored), caption exact (white space normalised; figures with a visible caption), credit
  found (the label's credit inside bagsmith's credit or caption; figures showing one).
  bagsmith is given the page's address, as ``bagsmith capture`` gives it, so relative and lazy
  image addresses resolve.

It prints one table; ``docs/benchmarks.md`` records the numbers with the commit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
LABELS = HERE / "figure_labels.json"


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _names(value: str | None) -> list[str]:
    parts = re.split(r"\s*(?:;|,|&|\band\b|\bund\b)\s*", _norm(value).casefold())
    return sorted(p for p in parts if p)


def _same_day(expected: str, got: str | None) -> bool:
    return bool(got) and str(got)[:10] == expected[:10]


def _title_scores(expected: str, got: str | None) -> tuple[bool, bool]:
    e, g = _norm(expected), _norm(got)
    return e == g, bool(g) and (e in g or g in e)


def _basename(src: str | None) -> str:
    """An image's file name, lower case, without a WordPress-style size (``-1024x754``): the
    same picture at another size is the same figure."""
    if not src:
        return ""
    name = unquote(urlsplit(src).path.rstrip("/")).rsplit("/", 1)[-1].lower()
    return re.sub(r"-\d{2,4}x\d{2,4}(?=\.\w+$)", "", name)


# --- the two runners (each returns text, title, author, date, status) ---


def run_bagsmith(path: str, url: str | None = None) -> dict[str, Any]:
    from bagsmith.errors import BagsmithError
    from bagsmith.ingest import read_article

    try:
        result = read_article(path, base_url=url)
    except BagsmithError as exc:
        return {"status": "refused", "error": str(exc)}
    except Exception as exc:  # a traceback: counted, named
        return {"status": "crashed", "error": f"{type(exc).__name__}: {exc}"}
    a = result.article
    parts: list[str] = [a.title] if a.title else []
    for section in a.sections:
        if section.heading:
            parts.append(section.heading)
        parts.extend(section.paragraphs)
    for fig in a.figures:
        parts.extend(x for x in (fig.caption, fig.description) if x)
    figures = [
        {
            "image": _basename(link) or _basename(fig.image.path if fig.image else None),
            "caption": fig.caption,
            "credit": fig.credit,
        }
        for fig, link in zip(a.figures, result.image_urls or [None] * len(a.figures), strict=False)
    ]
    return {
        "status": "ok",
        "text": "\n".join(parts),
        "title": a.title,
        "author": "; ".join(a.creators),
        "date": a.date_published,
        "figures": figures,
    }


def run_trafilatura(data: bytes, runner: Callable[[bytes], str | None]) -> dict[str, Any]:
    from trafilatura import bare_extraction

    try:
        text = runner(data)
        meta = bare_extraction(data, with_metadata=True, include_comments=False)
    except Exception as exc:
        return {"status": "crashed", "error": f"{type(exc).__name__}: {exc}"}
    return {
        "status": "ok",
        "text": text,
        "title": getattr(meta, "title", None),
        "author": getattr(meta, "author", None),
        "date": getattr(meta, "date", None),
    }


# --- one page, in a worker ---

_COMMON: Any = None


def _init(checkout: str) -> None:
    global _COMMON
    sys.path.insert(0, os.path.join(checkout, "tests"))
    import eval_common

    _COMMON = eval_common


def _page(task: tuple[str, str, str]) -> tuple[str, dict[str, Any], dict[str, Any], float, float]:
    url, path, tool = task
    data = Path(path).read_bytes()
    start = time.perf_counter()
    ours = run_bagsmith(path) if tool != "trafilatura" else {}
    mid = time.perf_counter()
    theirs = run_trafilatura(data, _COMMON.RUNNERS["fallback"]) if tool != "bagsmith" else {}
    end = time.perf_counter()
    return url, ours, theirs, mid - start, end - mid


def _figures_task(task: tuple[str, str, str | None]) -> tuple[str, dict[str, Any]]:
    name, path, url = task
    return name, run_bagsmith(path, url)


# --- scoring ---


def _author_ok(expected: str | list[str], got: str | None) -> bool:
    gold = "; ".join(expected) if isinstance(expected, list) else expected
    return bool(got) and _names(gold) == _names(got)


def _misses(
    url: str, item: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> Iterable[dict[str, Any]]:
    """The page's title, author and date misses, with what each tool gave."""
    checks = (
        ("title", lambda e, g: _title_scores(e, g)[0]),
        ("author", _author_ok),
        ("date", _same_day),
    )
    for name, ok in checks:
        expected = item.get(name)
        if expected and not ok(expected, mine.get(name)):
            yield {
                "file": item["file"],
                "url": url,
                "field": name,
                "expected": expected,
                "bagsmith": mine.get(name),
                "trafilatura": theirs.get(name) if theirs else None,
                "status": mine.get("status"),
            }


def _page_names(path: Path) -> set[str]:
    names: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            names.update(str(record[k]) for k in ("file", "url") if k in record)
        elif line and not line.startswith("#"):
            names.add(line)
    return names


class Score:
    def __init__(self, common: Any) -> None:
        self.matrix = common.ConfusionMatrix()
        self.count_item = common.count_item
        self.title = [0, 0, 0]  # exact, contained, pages
        self.author = [0, 0]
        self.date = [0, 0]
        self.refused: list[str] = []
        self.crashed: list[str] = []
        self.seconds = 0.0

    def add(self, item: dict[str, Any], result: dict[str, Any], seconds: float, name: str) -> None:
        self.seconds += seconds
        if result.get("status") == "refused":
            self.refused.append(f"{name}: {result['error']}")
        elif result.get("status") == "crashed":
            self.crashed.append(f"{name}: {result['error']}")
        ok = result.get("status") == "ok"
        self.matrix.add(self.count_item(item, result.get("text") if ok else None))
        if item.get("title"):
            exact, contained = _title_scores(item["title"], result.get("title"))
            self.title[0] += exact
            self.title[1] += contained
            self.title[2] += 1
        if item.get("author"):
            self.author[0] += _author_ok(item["author"], result.get("author"))
            self.author[1] += 1
        if item.get("date"):
            self.date[0] += _same_day(item["date"], result.get("date"))
            self.date[1] += 1

    def row(self) -> list[str]:
        p, r, _acc, f1 = self.matrix.scores()

        def pct(pair: list[int], i: int = 0) -> str:
            return f"{100 * pair[i] / pair[-1]:.1f} %" if pair[-1] else "–"

        return [
            f"{p:.3f}",
            f"{r:.3f}",
            f"{f1:.3f}",
            pct(self.title, 0),
            pct(self.title, 1),
            pct(self.author),
            pct(self.date),
            str(len(self.refused)),
            str(len(self.crashed)),
            f"{self.seconds:.0f}",
        ]


def _figure_scores(labels: dict[str, Any], results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    tp = fp = fn = 0
    caption_ok = caption_n = credit_ok = credit_n = 0
    misses: list[str] = []
    for name_of_file, label in labels.items():
        got = results.get(name_of_file, {})
        found = {f["image"]: f for f in got.get("figures", []) if f["image"]}
        wanted = {_basename(f["image"]): f for f in label["figures"]}
        for name, fig in wanted.items():
            mine = found.get(name)
            if mine is None:
                fn += 1
                misses.append(f"missed {name_of_file} {name}")
                continue
            tp += 1
            if fig.get("caption"):  # a visible caption to compare with
                caption_n += 1
                if _norm(mine["caption"]) == _norm(fig["caption"]):
                    caption_ok += 1
                else:
                    misses.append(f"caption {name_of_file} {name}: {mine['caption']!r}")
            if fig.get("credit"):
                credit_n += 1
                where = _norm(f"{mine.get('credit') or ''} {mine['caption']}").casefold()
                if _norm(fig["credit"]).casefold() in where:
                    credit_ok += 1
                else:
                    misses.append(f"credit {name_of_file} {name}: {mine.get('credit')!r}")
        for name in found:
            if name not in wanted:
                fp += 1
                misses.append(f"extra {name_of_file} {name}")
    return {
        "pages": len(labels),
        "figures": tp + fn,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "caption_exact": caption_ok / caption_n if caption_n else 0.0,
        "captions": caption_n,
        "credit_found": credit_ok / credit_n if credit_n else 0.0,
        "credits": credit_n,
        "misses": misses,
    }


def _table(rows: Iterable[tuple[str, list[str]]]) -> str:
    head = ["", "precision", "recall", "F1", "title exact", "title contained", "author exact",
            "date same day", "refused", "crashed", "seconds"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join([name, *cells]) + " |" for name, cells in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", help="a checkout of github.com/adbar/trafilatura")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", choices=["bagsmith", "trafilatura"], default=None)
    parser.add_argument("--figures-only", action="store_true", help="only the labelled figures")
    parser.add_argument("--details", action="store_true", help="list failures")
    parser.add_argument("--dump", help="write each page's results to this JSON file")
    parser.add_argument(
        "--metadata-only",
        action="store_true",
        help="bagsmith alone (unless --only says otherwise), no figure labels: a quicker run "
        "to iterate on title, author and date",
    )
    parser.add_argument(
        "--misses",
        help="write each title/author/date miss to this file (one JSON object a line: page, "
        "field, expected, bagsmith's value, trafilatura's when it ran)",
    )
    parser.add_argument(
        "--pages",
        help="only the pages named in this file (a page's file name or URL a line, or a "
        "--misses file)",
    )
    args = parser.parse_args(argv)
    if args.metadata_only and args.only is None:
        args.only = "bagsmith"
    tests = os.path.join(args.checkout, "tests")
    _init(args.checkout)
    common = _COMMON
    evaldata = common.load_evaldata(tests)
    urls = [] if args.figures_only else sorted(evaldata)
    if args.pages:
        wanted = _page_names(Path(args.pages))
        urls = [u for u in urls if u in wanted or evaldata[u]["file"] in wanted]
    urls = urls[: args.limit or None]
    tasks = []
    for url in urls:
        path = common.resolve(tests, evaldata[url]["file"])
        if path is None:
            raise SystemExit(f"{url}: {evaldata[url]['file']} not found in {tests}")
        tasks.append((url, path, args.only or "both"))
    ours, theirs = Score(common), Score(common)
    started = time.perf_counter()
    dump: dict[str, Any] = {}
    misses: list[dict[str, Any]] = []
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.checkout,)) as pool:
        for url, mine, other, t1, t2 in pool.map(_page, tasks, chunksize=4):
            item = evaldata[url]
            if mine:
                ours.add(item, mine, t1, item["file"])
            if other:
                theirs.add(item, other, t2, item["file"])
            if args.dump:
                dump[url] = {"item": item, "bagsmith": mine, "trafilatura": other}
            if mine:
                misses.extend(_misses(url, item, mine, other))
        labels = json.loads(LABELS.read_text(encoding="utf-8")) if LABELS.exists() else {}
        if args.metadata_only:
            labels = {}
        label_tasks = [
            (name, common.resolve(tests, name), label.get("url"))
            for name, label in labels.items()
            if common.resolve(tests, name)
        ]
        figure_results = dict(pool.map(_figures_task, label_tasks))
    if args.dump:
        Path(args.dump).write_text(json.dumps(dump, ensure_ascii=False), encoding="utf-8")
    if args.misses:
        Path(args.misses).write_text(
            "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in misses), encoding="utf-8"
        )
    rows = []
    if args.only != "trafilatura":
        rows.append(("bagsmith", ours.row()))
    if args.only != "bagsmith":
        rows.append(("trafilatura " + _version(), theirs.row()))
    print(f"{len(tasks)} pages of {tests}/evaldata.json, {time.perf_counter() - started:.0f} s")
    print(_table(rows))
    if args.metadata_only:
        return 0
    figures = _figure_scores(labels, figure_results)
    print(
        f"\nfigures on {figures['pages']} hand-labelled pages ({figures['figures']} figures): "
        f"precision {figures['precision']:.3f}, recall {figures['recall']:.3f}, caption exact "
        f"{100 * figures['caption_exact']:.1f} % (of {figures['captions']} with a visible caption),"
        f" credit found {100 * figures['credit_found']:.1f} % (of {figures['credits']} showing one)"
    )
    for name, score in (("bagsmith", ours), ("trafilatura", theirs)):
        for line in score.refused + score.crashed:
            print(f"{name}: {line}")
    if args.details:
        for line in figures["misses"]:
            print(line)
    return 0


def _version() -> str:
    from importlib.metadata import version

    return version("trafilatura")


if __name__ == "__main__":
    raise SystemExit(main())
