"""Format identification (fido against PRONOM) per file: this tree against another, CPU time.

    python bench/bench_formats.py [--baseline SRC] [--images 20] [--size 480x360]
                                  [--rounds 5] [--repeat 5] [--workdir DIR]

Writes the files of one article as ``bench_batch.py`` makes them (``--images`` photographs,
JPEG quality 85, and the article's text, an HTML page, a METS-like XML file and a JSON
sidecar), then, for each round, in a fresh process per tree (this one's ``src``, and
``--baseline``, the ``src`` folder of another checkout, e.g. a ``git worktree`` of an older
commit), identifies them all with ``identifier().identify`` once to warm up and ``--repeat``
times measured. The trees alternate within each round, so both see the same load. Prints the
CPU time (``time.process_time``) per file, the median of the rounds, for each tree: all
files, the photographs alone, the text files alone; the signature matching alone
(``match_formats`` on the same buffers) and, for reference, fido's own ``match_formats``
on those buffers; and the baseline's time over this tree's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TEXTS = {
    "article.txt": "A short article\n\nSome text about the harbour.\n\n1) The first photograph.\n",
    "page.html": "<!DOCTYPE html>\n<html><head><title>t</title></head><body><p>x</p></body></html>\n",
    "mets.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<mets:mets xmlns:mets="http://www.loc.gov/'
    'METS/"><mets:fileSec/></mets:mets>\n',
    "article.json": '{"title": "A short article", "figures": []}\n',
}
MIME = {".jpg": "image/jpeg", ".txt": "text/plain", ".html": "text/html"}
MIME |= {".xml": "application/xml", ".json": "application/json"}


def make_files(folder: Path, images: int, size: tuple[int, int]) -> list[Path]:
    """The files of one article (made once, reused)."""
    import bench_batch

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(images):
        path = folder / f"{number + 1:02d}.jpg"
        if not path.exists():
            bench_batch.photo(size, 100 + number).save(path, "JPEG", quality=85)
        paths.append(path)
    for name, text in TEXTS.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def child(folder: Path, repeat: int) -> dict[str, float]:
    """Run in a fresh process: CPU microseconds per file for each measure."""
    from fido.fido import Fido

    from bagsmith.ingest.formats import identifier

    tool = identifier()
    paths = sorted(folder.iterdir())
    photos = [p for p in paths if p.suffix == ".jpg"]
    texts = [p for p in paths if p.suffix != ".jpg"]
    fido = tool._fido
    size = int(fido.bufsize)
    buffers = [(d[:size], d[-size:]) for d in (p.read_bytes() for p in paths)]

    def cpu(run: object, count: int) -> float:
        run()  # type: ignore[operator]
        start = time.process_time()
        for _ in range(repeat):
            run()  # type: ignore[operator]
        return (time.process_time() - start) / repeat / count * 1e6

    def identify(chosen: list[Path]) -> object:
        return lambda: [tool.identify(p, MIME.get(p.suffix)) for p in chosen]

    return {
        "identify, all files": cpu(identify(paths), len(paths)),
        "identify, photographs": cpu(identify(photos), len(photos)),
        "identify, text files": cpu(identify(texts), len(texts)),
        "match_formats (the table)": cpu(
            lambda: [fido.match_formats(b, e) for b, e in buffers], len(buffers)
        ),
        "fido's own match_formats": cpu(
            lambda: [Fido.match_formats(fido, b, e) for b, e in buffers], len(buffers)
        ),
    }


def run_child(src: Path, folder: Path, repeat: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, __file__, "--child", str(folder), "--repeat", str(repeat)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="the src folder of another checkout")
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--size", default="480x360")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeat)))
        return
    width, height = (int(n) for n in args.size.split("x"))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-formats-"))
    folder = workdir / "files"
    files = make_files(folder, args.images, (width, height))
    trees = {"this tree": Path(__file__).resolve().parents[1] / "src"}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _round in range(args.rounds):
        for name, src in trees.items():
            runs[name].append(run_child(src, folder, args.repeat))
    print(f"{len(files)} files ({args.images} photographs {args.size}), {args.rounds} rounds")
    print(f"load average {os.getloadavg()[0]:.2f}; CPU µs per file, median of the rounds")
    medians = {
        name: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for name, results in runs.items()
    }
    for key in medians["this tree"]:
        line = f"  {key:28} " + "  ".join(f"{name}: {medians[name][key]:8.1f}" for name in medians)
        if "baseline" in medians:
            line += f"  ratio {medians['baseline'][key] / medians['this tree'][key]:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
