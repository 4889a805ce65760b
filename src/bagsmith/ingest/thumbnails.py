"""Small thumbnails of images as ``data:`` URIs, for pages that must not load anything.

The HTML report embeds its thumbnails, so each one is kept small: at most ``MAX_SIDE`` pixels
on its longest side, JPEG (PNG when the image has transparency), oriented as its EXIF says.
Images over Pillow's decompression-bomb limit are refused, never decoded.
"""

from __future__ import annotations

import base64
import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 160
JPEG_QUALITY = 72


class ThumbnailError(ValueError):
    """The image cannot be shown as a thumbnail; the message says why (for the report)."""


@dataclass(frozen=True)
class Thumbnail:
    data_uri: str
    width: int  # of the thumbnail
    height: int
    source_format: str  # what Pillow found in the file ("JPEG", "PNG" …)
    source_width: int
    source_height: int
    source_mode: str


def make_thumbnail(source: Path | IO[bytes], max_side: int = MAX_SIDE) -> Thumbnail:
    """A thumbnail of the image in ``source`` (a path or a binary stream).

    Raises :class:`ThumbnailError` when the file is not an image Pillow can decode, is damaged,
    or is larger than Pillow's bomb limit.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as img:
                fmt = img.format or "unknown"
                width, height, mode = img.width, img.height, img.mode
                limit = Image.MAX_IMAGE_PIXELS
                if limit is not None and width * height > limit:
                    raise ThumbnailError(
                        f"{width}×{height} pixels is over Pillow's limit of {limit}; not decoded"
                    )
                img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
                img.load()
                small = _oriented(img)
                if small.mode in ("I", "F") or small.mode.startswith("I;"):
                    small = _to_8bit(small)
                small.thumbnail((max_side, max_side))
                data, mime = _encode(small)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ThumbnailError(f"refused as a possible decompression bomb: {exc}") from None
    except UnidentifiedImageError:
        raise ThumbnailError("not an image format Pillow can identify") from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        if isinstance(exc, ThumbnailError):
            raise
        raise ThumbnailError(f"cannot decode the image: {exc}") from None
    uri = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
    return Thumbnail(uri, small.width, small.height, fmt, width, height, mode)


def _oriented(img: Image.Image) -> Image.Image:
    try:
        turned = ImageOps.exif_transpose(img)
    except (OSError, ValueError, SyntaxError, struct.error, KeyError, TypeError):
        return img
    return turned if turned is not None else img


def _encode(img: Image.Image) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if alpha:
        img.convert("RGBA").save(buffer, "PNG", optimize=True)
        return buffer.getvalue(), "image/png"
    img.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue(), "image/jpeg"


def _to_8bit(img: Image.Image) -> Image.Image:
    """Deep (16-bit, float) greyscale scaled to 0–255 by its own range."""
    grey = img.convert("F")
    low, high = (float(v) for v in cast(tuple[float, float], grey.getextrema()))
    span = high - low or 1.0
    return grey.point(lambda v: (v - low) * 255.0 / span).convert("L")
