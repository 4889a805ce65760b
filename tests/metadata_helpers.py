"""Articles, Pillow images and PackageFiles built at test time for the metadata tests."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from PIL import Image

from bagsmith.model import Article, Figure, ImageInfo, PackageFile, Section


def make_image(
    path: Path,
    size: tuple[int, int] = (64, 48),
    mode: str = "RGB",
    fmt: str = "JPEG",
    dpi: tuple[int, int] | None = (300, 300),
    color: int | tuple[int, ...] = 0,
) -> ImageInfo:
    """Draw an image with Pillow and characterise it the way ingest does (by hand here)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new(mode, size, color)
    kwargs = {"dpi": dpi} if dpi else {}
    image.save(path, fmt, **kwargs)
    data = path.read_bytes()
    with Image.open(path) as reopened:
        bands = len(reopened.getbands())
        info_dpi = reopened.info.get("dpi")
        return ImageInfo(
            path=path.name,
            format=reopened.format or fmt,
            mime_type=Image.MIME[reopened.format or fmt],
            width=reopened.width,
            height=reopened.height,
            mode=reopened.mode,
            bits_per_sample=[8] * bands,
            icc_profile=None,
            dpi=(float(info_dpi[0]), float(info_dpi[1])) if info_dpi else None,
            exif={},
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
        )


def package_file(
    disk: Path, relpath: str, use: str = "original", image: ImageInfo | None = None
) -> PackageFile:
    data = disk.read_bytes()
    return PackageFile(
        path=relpath,
        size=len(data),
        digests={
            "sha256": hashlib.sha256(data).hexdigest(),
            "sha512": hashlib.sha512(data).hexdigest(),
        },
        use=use,
        mime_type=mimetypes.guess_type(disk.name)[0],
        image=image,
        original_name=disk.name,
    )


def example_article(
    root: Path, numbers: tuple[int, ...] = (1, 2, 4)
) -> tuple[Article, list[PackageFile]]:
    """An article with sections and numbered figures, its text file and one JPEG per figure
    (figure 4 is a PNG in mode L, to vary the MIX)."""
    text = root / "article.txt"
    text.parent.mkdir(parents=True, exist_ok=True)
    text.write_text("Example article\n\nFirst paragraph.\n", encoding="utf-8")
    figures = []
    files = [package_file(text, "data/article.txt")]
    for index, number in enumerate(numbers):
        if number == 4:
            disk = root / "images" / f"{number:02d}.png"
            info = make_image(
                disk, (40 + index, 30 + index), mode="L", fmt="PNG", dpi=None, color=128
            )
        else:
            disk = root / "images" / f"{number:02d}.jpg"
            info = make_image(disk, (64 + index, 48 + index), color=(index * 40, 10, 20))
        figures.append(
            Figure(
                number=number,
                caption=f"Caption of photo {number}. Budapest, November 1956",
                description=None,
                date="1956-11" if number != 2 else "1956-10-23/1956-11-10",
                places=("Budapest",),
                credit="Fortepan" if number == 1 else None,
                image=info,
            )
        )
        files.append(package_file(disk, f"data/images/{disk.name}"))
    article = Article(
        title="Example article about 1956 & its photographs",
        creators=("Anna Writer",),
        date_published="2019-05-14",
        source_url="https://example.org/articles/1956",
        publisher="Example Magazine",
        language="en",
        rights="© Example Magazine",
        subjects=("Hungarian Revolution of 1956",),
        identifiers=("urn:example:article:1956",),
        sections=(
            Section("Introduction", ("First paragraph.",)),
            Section("The photographs", ("Second.",)),
        ),
        figures=tuple(figures),
        source_path=str(text),
        source_format="text",
    )
    return article, files
