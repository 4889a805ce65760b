"""Bags for the report tests, built at test time: article packages in the layout `package`
makes (data/article, data/images, data/metadata/article.json) and plain bagit-python bags."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
from pathlib import Path

import bagit
from PIL import Image, ImageDraw

from bagsmith.ingest import read_article

HOSTILE_CAPTION = (
    "<script>document.title='pwned';window.pwned=1</script>"
    ' A "tank" & <img src=x onerror="window.pwned=2"> in Budapest, 1956-10-23'
)
HOSTILE_ARTICLE = f"""Street scenes

By Ann Example

The photographs below were taken in October 1956.

Budapest

A short paragraph about the city.

#1 Crowds at the Parliament. Budapest, 1956-10-23. Photo: Erich Lang

#2 {HOSTILE_CAPTION}

#3 A barricade on the boulevard. Győr, 1956-11
"""


def draw_image(path: Path, number: int, size: tuple[int, int] = (240, 180)) -> None:
    """A small JPEG with a coloured field and the figure number drawn on it."""
    rng = random.Random(number)
    colour = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    draw.rectangle((10, 10, size[0] - 10, size[1] - 10), outline=(255, 255, 255), width=4)
    draw.text((20, 20), f"#{number}", fill=(255, 255, 255))
    img.save(path, "JPEG", quality=80)


def article_bag(
    tmp: Path, article: Path, *, name: str = "article-bag", info: dict[str, str] | None = None
) -> Path:
    """An article package as a bag: one image per numbered figure, drawn by Pillow."""
    work = tmp / f"{name}-work"
    images = work / "images"
    images.mkdir(parents=True)
    numbers = [f.number for f in read_article(article).article.figures if f.number is not None]
    for number in numbers:
        draw_image(images / f"{number:02d}.jpg", number)
    parsed = read_article(article, images_dir=images).article
    figures = []
    for fig in parsed.figures:
        image = fig.image
        if image is not None:
            image = dataclasses.replace(image, path=f"data/images/{Path(image.path).name}")
        figures.append(dataclasses.replace(fig, image=image))
    record = dataclasses.replace(
        parsed, figures=tuple(figures), source_path=f"data/article/{article.name}"
    )
    bag = tmp / name
    (bag / "article").mkdir(parents=True)
    shutil.copyfile(article, bag / "article" / article.name)
    shutil.copytree(images, bag / "images")
    (bag / "metadata").mkdir()
    (bag / "metadata" / "article.json").write_text(
        json.dumps(record.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    tags = {"Source-Organization": "Example Community Archive", "External-Identifier": name}
    tags.update(info or {})
    bagit.make_bag(str(bag), bag_info=tags, checksums=["sha256"])
    return bag


def hostile_article_bag(tmp: Path) -> Path:
    article = tmp / "street-scenes.txt"
    article.write_text(HOSTILE_ARTICLE, encoding="utf-8")
    return article_bag(tmp, article, name="hostile-bag", info={"Contact-Name": '<b>"Eve"</b>'})


QUOTED_NAME = 'it\'s "quoted" <img src=x onerror=alert(1)>.png'


def plain_bag(tmp: Path, name: str = "plain-bag") -> Path:
    """A bag made by bagit-python: random bytes, a few images (one with a hostile name)."""
    bag = tmp / name
    (bag / "scans").mkdir(parents=True)
    (bag / "notes").mkdir()
    rng = random.Random(7)
    for i in range(3):
        (bag / "notes" / f"blob-{i}.bin").write_bytes(rng.randbytes(1000 + 500 * i))
    (bag / "notes" / "readme.txt").write_text("Scans of the harbour, 1928.\n", encoding="utf-8")
    draw_image(bag / "scans" / "harbour-1.jpg", 1, (400, 300))
    Image.new("RGBA", (90, 200), (200, 30, 30, 120)).save(bag / "scans" / QUOTED_NAME)
    Image.new("L", (300, 300), 128).save(bag / "scans" / "grey.tif")
    (bag / "scans" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    bagit.make_bag(str(bag), bag_info={"Source-Organization": "Harbour Museum"})
    return bag


def damage(bag: Path, rel: str) -> None:
    """Change one payload file's bytes (the size stays) so full validation fails."""
    path = bag / rel
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path)
