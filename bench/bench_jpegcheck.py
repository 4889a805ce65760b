"""The JPEG walk (``ingest/jpegcheck.py``) against Pillow's decode: its cost, and what each finds.

    python bench/bench_jpegcheck.py [--workdir DIR] [--photos 100] [--repeat 5]
                                    [--variants 20000] [--seed 16]

1. **Cost**: CPU per photograph (``time.process_time``, the best of ``--repeat`` passes over
   ``--photos`` photographs of ``bench_batch``'s collection: 480×360, ~75 KB, made once in the
   work folder) of the walk, of Pillow's decode at 1/8 scale (what characterisation did before
   the walk) and of Pillow's full decode, and their ratios.
2. **What the decode finds**: on one of those photographs, 100 variants each (seeded) of a cut
   at a random point, five random bytes changed in the compressed data and 1–50 bytes deleted
   from it: how many Pillow's full decode rejects, and how many the walk rejects.
3. **Agreement**: ``--variants`` damaged copies (seeded) of small JPEGs of several kinds
   (baseline, 4:4:4, progressive, optimized, greyscale, CMYK, restart intervals, EXIF/ICC/comment
   segments, an MPO) — cut short, bytes changed, deleted or inserted, a segment's length off,
   much of it aimed at headers and markers — each given to Pillow (opens? full ``load()``?) and
   to the walk: the table of outcomes, and why the walk rejected the files Pillow accepts. Exits
   1 when a file Pillow's decode rejects passes the walk (the property the tests check on fewer
   files).
"""

from __future__ import annotations

import argparse
import collections
import io
import random
import re
import struct
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageCms

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch

from bagsmith.ingest import jpegcheck

ERRORS = (OSError, SyntaxError, ValueError, struct.error, EOFError, Image.DecompressionBombError)


def pillow(data: bytes) -> str:
    """ "ok", "rejected" (opens, the full decode fails) or "unopened"."""
    try:
        image = Image.open(io.BytesIO(data))
    except ERRORS:
        return "unopened"
    try:
        image.load()
    except ERRORS:
        return "rejected"
    return "ok"


def walk(data: bytes) -> tuple[str, jpegcheck.Damage | None]:
    try:
        found = jpegcheck.check(data)
    except jpegcheck.NotWalked:
        return "not walked (decoded)", None
    return ("ok" if found is None else "rejected"), found


def decode_draft(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.draft(None, (1, 1))
        image.load()


def decode_full(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def cost(photos: list[bytes], repeat: int) -> None:
    ways: dict[str, Callable[[bytes], object]] = {
        "walk (jpegcheck.check)": jpegcheck.check,
        "Pillow decode at 1/8 (draft)": decode_draft,
        "Pillow full decode": decode_full,
    }
    size = sum(map(len, photos)) / len(photos)
    print(f"1. cost: {len(photos)} photographs of ~{size / 1000:.0f} KB, best of {repeat}")
    per: dict[str, float] = {}
    for name, way in ways.items():
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            for data in photos:
                way(data)
            best = min(best, time.process_time() - started)
        per[name] = best / len(photos)
    walked = per["walk (jpegcheck.check)"]
    for name, seconds in per.items():
        print(
            f"   {name:30} {seconds * 1e3:7.3f} ms CPU a photo  ({seconds / walked:5.1f}× the walk)"
        )


def detection(data: bytes, seed: int) -> None:
    sos = data.find(b"\xff\xda")
    body = sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]
    rnd = random.Random(seed)
    print("2. what each finds on one photograph, 100 variants each")
    for kind in ("cut at a random point", "5 bytes changed in the data", "1-50 bytes deleted"):
        rejected = collections.Counter[str]()
        for _ in range(100):
            bad = bytearray(data)
            if kind.startswith("cut"):
                del bad[rnd.randrange(len(bad)) :]
            elif kind.startswith("5"):
                for _ in range(5):
                    bad[rnd.randrange(body, len(bad) - 2)] = rnd.randrange(256)
            else:
                at = rnd.randrange(body, len(bad) - 2)
                del bad[at : at + rnd.randint(1, 50)]
            rejected["Pillow"] += pillow(bytes(bad)) != "ok"
            rejected["walk"] += walk(bytes(bad))[0] != "ok"
        print(f"   {kind:30} Pillow's full decode rejects {rejected['Pillow']:3}/100, "
              f"the walk {rejected['walk']:3}/100")  # fmt: skip


def sources(seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    kinds: list[dict[str, object]] = [
        {}, {"progressive": True}, {"optimize": True}, {"subsampling": 0}, {"subsampling": 1},
        {"restart_marker_blocks": 3}, {"restart_marker_rows": 1, "progressive": True},
        {"comment": b"harbour"},
        {"progressive": True, "optimize": True, "subsampling": 0, "restart_marker_blocks": 1},
    ]  # fmt: skip
    out = []
    for mode in ("RGB", "L", "CMYK"):
        for size in ((40, 30), (67, 45), (100, 80)):
            pixels = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
            gradient = Image.linear_gradient("L").resize(size).convert("RGB")
            image = Image.blend(gradient, pixels, 0.4).convert(mode)
            for options in kinds:
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=rnd.choice([50, 85, 95]), **options)
                out.append(buffer.getvalue())
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F], exif[0x8298] = "Nikon", "Port Archive " * 20
    image = Image.frombytes("RGB", (90, 70), rnd.randbytes(90 * 70 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, icc_profile=icc, dpi=(300, 300))
    out.append(buffer.getvalue())
    buffer = io.BytesIO()
    image.save(buffer, "MPO", save_all=True, append_images=[image.rotate(90)])
    out.append(buffer.getvalue())
    return out


def damage(data: bytes, rnd: random.Random) -> tuple[str, bytes]:
    bad = bytearray(data)
    sos = data.find(b"\xff\xda")
    header = sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]
    markers = [m.start() for m in re.finditer(rb"\xff[^\x00\xff]", data)]
    kind = rnd.choice(["cut", "change", "delete", "insert", "header change", "header delete",
                       "header insert", "marker code", "near a marker", "length", "end cut",
                       "appended"])  # fmt: skip
    if kind == "cut":
        del bad[rnd.randrange(len(bad)) :]
    elif kind == "change":
        for _ in range(rnd.choice([1, 2, 5])):
            bad[rnd.randrange(len(bad))] = rnd.randrange(256)
    elif kind == "delete":
        at = rnd.randrange(len(bad))
        del bad[at : at + rnd.randint(1, 50)]
    elif kind == "insert":
        at = rnd.randrange(len(bad))
        bad[at:at] = rnd.randbytes(rnd.randint(1, 20))
    elif kind == "header change":
        for _ in range(rnd.choice([1, 2])):
            bad[rnd.randrange(header)] = rnd.choice([rnd.randrange(256), 0, 0xFF, 1, 0x10, 0x11])
    elif kind == "header delete":
        at = rnd.randrange(header)
        del bad[at : at + rnd.randint(1, 8)]
    elif kind == "header insert":
        at = rnd.randrange(header)
        bad[at:at] = rnd.randbytes(rnd.randint(1, 4))
    elif kind == "marker code":
        bad[rnd.choice(markers) + 1] = rnd.randrange(256)
    elif kind == "near a marker":
        at = rnd.choice(markers) + rnd.randrange(6)
        if at < len(bad):
            bad[at] = rnd.randrange(256)
    elif kind == "length":
        at = rnd.choice(markers) + 2
        if at + 2 <= len(bad):
            length = struct.unpack(">H", bad[at : at + 2])[0]
            change = rnd.choice([-3, -2, -1, 1, 2, 3, 64, -64, 17, -17])
            bad[at : at + 2] = struct.pack(">H", (length + change) & 0xFFFF)
    elif kind == "end cut":
        del bad[len(bad) - rnd.randint(1, 6) :]
    else:
        bad += rnd.randbytes(rnd.randint(1, 30))
    return kind, bytes(bad)


def agreement(variants: int, seed: int) -> int:
    rnd = random.Random(seed)
    files = sources(seed)
    outcomes = collections.Counter[tuple[str, str]]()
    stricter = collections.Counter[str]()
    missed = 0
    for _ in range(variants):
        _kind, bad = damage(rnd.choice(files), rnd)
        decoded = pillow(bad)
        walked, found = walk(bad)
        outcomes[decoded, walked] += 1
        if decoded == "rejected" and walked == "ok":
            missed += 1
        if decoded == "ok" and found is not None:
            why = re.sub(r"\b(RST\d|FF [0-9A-F]{2}|APP\d+|scan \d+|\d+)", "…", found.what)
            stricter[why.split(":")[0]] += 1
    print(f"3. {variants} damaged copies of {len(files)} JPEGs (seed {seed}): Pillow × walk")
    for (decoded, walked), count in sorted(outcomes.items()):
        print(f"   Pillow {decoded:9} walk {walked:21} {count:7}")
    print(f"   rejected by Pillow's decode, passed by the walk: {missed}")
    print(f"   passed by Pillow's decode, rejected by the walk: {sum(stricter.values())}, for:")
    for why, count in stricter.most_common():
        print(f"   {count:7}  {why}")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bagsmith-bench-jpegcheck"))
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variants", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # libjpeg's and Pillow's warnings about damaged files
    articles = -(-args.photos // 20)
    coll = args.workdir / f"coll-{articles}x20-480x360"
    bench_batch.make_collection(coll, articles, 20, (480, 360))
    photos = [p.read_bytes() for p in sorted(coll.glob("*/images/*.jpg"))][: args.photos]
    cost(photos, args.repeat)
    detection(photos[0], args.seed)
    sys.exit(1 if agreement(args.variants, args.seed) else 0)


if __name__ == "__main__":
    main()
