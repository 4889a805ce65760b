"""The parse side of one article of ``bagsmith batch``, piece by piece: CPU per article.

    python bench/parse_steps.py [--workdir DIR] [--articles 10] [--images 20]
                                [--size 480x360] [--rounds 7] [--loops N]
                                [--only PIECE ...]

Reads a collection made as ``bench/bench_batch.py`` makes it (reused from its work folder) and
times in this one process, after a warm-up, each piece of an article's parse and of what
``package`` does with the record before copying: ``parse_article`` (Pillow's check and the
SHA-256 of the photographs included), the same with each photograph's characterisation
answered from the warm-up (the Python of the parse alone), the text (``parse_text``), the
captions (``analyse``), the layout (``plan_layout``), the bag paths (``bag_article``,
``bag_images``) and the record's JSON (``_record_bytes``). Prints the minimum and the median
of ``--rounds`` rounds of CPU time (``time.process_time``) per article.

``--only`` names the pieces to run (``parse``, ``parse-known``, ``text``, ``captions``,
``layout``, ``bag-paths``, ``record``; all by default). ``--loops N`` runs each ``N`` times
after the warm-up and prints nothing: instruction
counts, which the neighbours' load does not change, are the difference of two runs under
``valgrind --tool=callgrind`` (``--loops 3`` less ``--loops 1``, divided by twice the number of
articles). An older tree is measured with ``PYTHONPATH=<its src> python bench/parse_steps.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch

#: --only's names of the pieces, and the names printed
PIECES = {
    "parse": "parse_article",
    "parse-known": "parse_article, Pillow/SHA-256 known",
    "text": "  of which the text (parse_text)",
    "captions": "  of which the captions (analyse)",
    "layout": "plan_layout",
    "bag-paths": "bag_article + bag_images",
    "record": "_record_bytes",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_batch.collection_arguments(parser, articles=10)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--loops", type=int, default=None, help="run N times, print nothing")
    parser.add_argument("--only", nargs="+", choices=PIECES, default=list(PIECES))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    coll, _ = bench_batch.collection(args)
    every = _pieces(sorted(p for p in coll.iterdir() if p.is_dir()))
    pieces = {PIECES[key]: every[PIECES[key]] for key in args.only}
    for piece in pieces.values():
        piece()  # warm: imports, the gazetteer's index, compiled expressions
    if args.loops is not None:
        for _ in range(args.loops):
            for piece in pieces.values():
                piece()
        return
    print(f"{bench_batch.load()}; {args.articles} articles of {args.images} photographs")
    for name, piece in pieces.items():
        seconds = []
        for _ in range(args.rounds):
            started = time.process_time()
            piece()
            seconds.append(time.process_time() - started)
        low, middle = (1000 * s / args.articles for s in (min(seconds), statistics.median(seconds)))
        print(f"{name:34} {low:7.2f} ms CPU per article (median {middle:.2f})")


def _pieces(articles: list[Path]) -> dict[str, Callable[[], Any]]:
    from bagsmith.ingest import article as ingest_article
    from bagsmith.ingest.captions import analyse
    from bagsmith.ingest.content import scrub_lines
    from bagsmith.ingest.text import parse_text
    from bagsmith.pipeline import layout
    from bagsmith.pipeline.packaging import _record_bytes
    from bagsmith.pipeline.parsing import parse_article
    from bagsmith.problems import Report

    def parse(folder: Path) -> Any:
        return parse_article(
            folder / "article.txt",
            images=folder / "images",
            metadata=folder / "metadata.yaml",
            identify_formats=False,
        )

    texts = [(folder / "article.txt").read_text(encoding="utf-8") for folder in articles]
    parsed = [parse(folder) for folder in articles]
    layouts = [
        layout.plan_layout(p, f / "images", f / "metadata.yaml")
        for p, f in zip(parsed, articles, strict=True)
    ]
    records = [layout.bag_article(p.article, plan) for p, plan in zip(parsed, layouts, strict=True)]
    captions = []  # each figure's caption and description as the text gives them to analyse
    for body in texts:
        report = Report("article.txt")
        for raw in parse_text(body, report, "article.txt").figures:
            captions.append((raw.caption, " ".join(raw.description) or None))
    characterised = {}  # path -> the warm-up's answer, for the parse without Pillow
    real = ingest_article.characterise

    def remembered(path: Path) -> Any:
        if path not in characterised:
            characterised[path] = real(path)
        return characterised[path]

    def parse_without_pillow() -> None:
        ingest_article.characterise = remembered  # type: ignore[assignment]
        try:
            for folder in articles:
                parse(folder)
        finally:
            ingest_article.characterise = real

    def text() -> None:
        for body in texts:
            report = Report("article.txt")
            parse_text(scrub_lines(body, report, "article.txt"), report, "article.txt")

    return {
        "parse_article": lambda: [parse(folder) for folder in articles],
        "parse_article, Pillow/SHA-256 known": parse_without_pillow,
        "  of which the text (parse_text)": text,
        "  of which the captions (analyse)": lambda: [analyse(c, d) for c, d in captions],
        "plan_layout": lambda: [
            layout.plan_layout(p, f / "images", f / "metadata.yaml")
            for p, f in zip(parsed, articles, strict=True)
        ],
        "bag_article + bag_images": lambda: [
            (layout.bag_article(p.article, plan), layout.bag_images(p.images, plan))
            for p, plan in zip(parsed, layouts, strict=True)
        ],
        "_record_bytes": lambda: [_record_bytes(record) for record in records],
    }


if __name__ == "__main__":
    main()
