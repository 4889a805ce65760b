"""Build and validate METS for a large package (default 20,000 files), print time and peak RSS.

    python bench/bench_mets.py [--files N] [--schemas DIR] [--keep PATH]

Every file but one is a JPEG figure with its ImageInfo, so each gets a PREMIS object, MIX, four
PREMIS events, a dmdSec and a logical-structMap div: the heaviest METS bagsmith writes. The
schema cache is installed into a temporary folder from ``--schemas`` (default
``../shared/schemas``). Phases run in one process; peak RSS (``resource.getrusage``) is
cumulative, so each phase's line shows the peak reached so far. Validation streams the file
(section by section), as ``bagsmith validate`` does for METS in bags.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--schemas", type=Path, default=ROOT.parent / "shared" / "schemas")
    parser.add_argument("--keep", type=Path, help="also keep the METS file here")
    args = parser.parse_args()

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
            "mets.xml",
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
