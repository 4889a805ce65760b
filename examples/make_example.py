"""Write a small example article folder: ``python examples/make_example.py OUTDIR``.

Creates ``OUTDIR/article/`` with ``article.txt`` (a short fictional local-history article with a
byline and four numbered photo captions) and four photographs drawn with Pillow, named by
figure number (``01.jpg`` … ``04.jpg``); ``01.jpg`` carries EXIF DateTimeOriginal, Artist and
Copyright. Beside it, for the tutorial (docs/tutorial.md):

* ``OUTDIR/metadata.yaml`` – a sidecar that states the article's identifier, address, rights
  and language, and describes figure 3, whose caption the text parser does not take as one;
* ``OUTDIR/html/ferry.html`` with ``OUTDIR/html/ferry_files/`` – the same article as a saved web
  page ("Save page as… complete"), its photographs inside the page's folder.

Running it again rewrites the same files with the same content.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ARTICLE = """\
The Ferry That Held a Town Together

By Marta Lindqvist | 14 March 2024

For ninety-one years the little chain ferry at Eastmoor carried carts, bicycles, cattle and
schoolchildren across the River Wend. Nobody in Eastmoor remembers a time before it, and
almost nobody now remembers it running.

The first crossing was made on 2 May 1898, when the blacksmith Hugh Carrow hauled a flat
timber pontoon across on a chain he had forged himself. The parish council paid him four
shillings a week to keep it going, and the ferry fare stayed at a penny until 1947.

Floods and the bridge

The great flood of February 1923 tore the pontoon from its chain and left it in a hedge two
miles downstream. Volunteers dragged it back with a team of horses, and the ferry was running
again within the week. When the new road bridge at Hallow Cross opened in 1989, the council
voted to end the service. The last ferryman, Joan Pell, took her final fare on 30 September
1989 and gave it to the village school.

The landing stages are still there, and the Eastmoor History Group hopes to restore the bell
that once called the ferry from the far bank.

#1 The ferry loaded with a hay cart. Eastmoor, August 1912 (Eastmoor History Group/Albert Shaw)

2. Volunteers hauling the pontoon back upstream after the flood, near Wend Mill, February 1923.
Photo credit: Carrow family collection

3) Joan Pell at the ferry bell in 1978. Credit: Wendside Gazette

4.
The last crossing, seen from the Hallow Cross bank, on 30 September 1989.
Photo 1989: Eastmoor Parish Council
"""

FIGURES = [
    # (number, sky colour, water colour, label)
    (1, (178, 206, 230), (70, 110, 150), "1912"),
    (2, (150, 150, 160), (90, 90, 100), "1923"),
    (3, (230, 200, 150), (60, 120, 140), "1978"),
    (4, (240, 170, 120), (50, 80, 120), "1989"),
]


def draw_photo(
    number: int, sky: tuple[int, int, int], water: tuple[int, int, int], label: str
) -> Image.Image:
    width, height = 480, 320
    img = Image.new("RGB", (width, height), sky)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 190, width, height), fill=water)  # the river
    d.polygon([(0, 190), (110, 150), (160, 190)], fill=(80, 120, 60))  # near bank
    d.polygon([(330, 190), (400, 140), (width, 170), (width, 190)], fill=(80, 120, 60))
    d.line((0, 175, width, 175), fill=(40, 40, 40), width=2)  # the ferry chain
    left = 60 + number * 60
    d.rectangle((left, 180, left + 140, 205), fill=(120, 80, 40))  # the pontoon
    d.rectangle((left + 30, 150, left + 80, 180), fill=(200, 180, 60))  # a cart
    d.ellipse((width - 90, 20, width - 40, 70), fill=(250, 240, 200))  # the sun
    d.text((12, 12), f"Fig. {number}  {label}", fill=(0, 0, 0))
    return img


def exif_for_first() -> Image.Exif:
    exif = Image.Exif()
    exif[0x013B] = "Albert Shaw"  # Artist
    exif[0x8298] = "Eastmoor History Group"  # Copyright
    exif[0x0132] = "1912:08:15 10:30:00"  # DateTime
    exif.get_ifd(0x8769)[0x9003] = "1912:08:15 10:30:00"  # DateTimeOriginal
    return exif


SIDECAR = """\
# Facts the archivist states or corrects (schemas/sidecar.schema.json).
title: The Ferry That Held a Town Together
identifiers: ["urn:example:eastmoor:ferry-1898-1989"]
source_url: https://example.org/eastmoor/the-ferry
publisher: Wendside Gazette
language: en
rights: "© Marta Lindqvist; archived for preservation by the Example Community Archive"
subjects: [Eastmoor, River Wend, ferries]
figures:
  - number: 3
    image: 03.jpg
    caption: Joan Pell at the ferry bell
    date: "1978"
    places: [Eastmoor]
    credit: Wendside Gazette
"""

PAGE = """\
<!DOCTYPE html>
<!-- saved from url=(0036)https://example.org/eastmoor/the-ferry -->
<html lang="en"><head><meta charset="utf-8">
<title>The Ferry That Held a Town Together | Wendside Gazette</title>
<meta name="author" content="Marta Lindqvist">
<meta property="article:published_time" content="2024-03-14">
<meta property="og:site_name" content="Wendside Gazette">
<link rel="canonical" href="https://example.org/eastmoor/the-ferry">
<link rel="stylesheet" href="ferry_files/site.css">
</head><body>
<nav class="menu"><a href="/">Home</a> <a href="/history">History</a></nav>
<article>
<h1>The Ferry That Held a Town Together</h1>
<p class="byline">By Marta Lindqvist | 14 March 2024</p>
<p>For ninety-one years the little chain ferry at Eastmoor carried carts, bicycles, cattle and
schoolchildren across the River Wend.</p>
<p>The first crossing was made on 2 May 1898, when the blacksmith Hugh Carrow hauled a flat
timber pontoon across on a chain he had forged himself.</p>
<h2>Floods and the bridge</h2>
<p>The great flood of February 1923 tore the pontoon from its chain. When the new road bridge
at Hallow Cross opened in 1989, the council voted to end the service.</p>
<figure><img src="ferry_files/01.jpg" alt="The ferry loaded with a hay cart"><figcaption>#1 The
ferry loaded with a hay cart. Eastmoor, August 1912 <cite>Eastmoor History Group/Albert
Shaw</cite></figcaption></figure>
<figure><img src="ferry_files/02.jpg" alt=""><figcaption>#2 Volunteers hauling the pontoon back
upstream after the flood, near Wend Mill, February 1923.</figcaption></figure>
<figure><img src="ferry_files/03.jpg" alt=""><figcaption>#3 Joan Pell at the ferry bell in
1978. <span class="credit">Wendside Gazette</span></figcaption></figure>
<figure><img src="ferry_files/04.jpg" alt=""><figcaption>#4 The last crossing, seen from the
Hallow Cross bank, on 30 September 1989.</figcaption></figure>
<div class="share-buttons">Share on Facebook Tweet</div>
</article>
<footer>© 2024 Wendside Gazette</footer>
</body></html>
"""


def write_photos(folder: Path) -> None:
    for number, sky, water, label in FIGURES:
        img = draw_photo(number, sky, water, label)
        target = folder / f"{number:02d}.jpg"
        if number == 1:
            img.save(target, "JPEG", quality=85, exif=exif_for_first())
        else:
            img.save(target, "JPEG", quality=85)


def write_page(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    files = folder / "ferry_files"
    files.mkdir(parents=True)
    (folder / "ferry.html").write_text(PAGE, encoding="utf-8")
    (files / "site.css").write_text("body { font-family: serif; }\n", encoding="utf-8")
    write_photos(files)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python examples/make_example.py OUTDIR", file=sys.stderr)
        return 2
    folder = Path(argv[0]) / "article"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(ARTICLE, encoding="utf-8")
    write_photos(folder)
    (folder.parent / "metadata.yaml").write_text(SIDECAR, encoding="utf-8")
    write_page(folder.parent / "html")
    print(f"wrote {folder}, {folder.parent / 'metadata.yaml'} and {folder.parent / 'html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
