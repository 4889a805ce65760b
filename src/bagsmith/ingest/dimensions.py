"""Width and height of an image file from its header alone (for METS/MIX cross-checks)."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from .images import is_image_name


def image_dimensions(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` read from the file's header, or None when it is not a readable image.

    Pillow decodes nothing here: opening an image reads its header only. Decompression-bomb
    sized images are left to the full characterisation (None here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None
    return int(width), int(height)


def dimensions_of_images(root: Path, relpaths: list[str]) -> dict[str, tuple[int, int]]:
    """Dimensions of the files among ``relpaths`` (relative to ``root``) named like images."""
    sizes: dict[str, tuple[int, int]] = {}
    for rel in relpaths:
        if is_image_name(Path(rel)):
            found = image_dimensions(root / rel)
            if found is not None:
                sizes[rel] = found
    return sizes
