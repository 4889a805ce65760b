"""Image files: characterisation with Pillow, and matching files to figures.

This is the only module that imports Pillow. Each image is opened, its format compared with its
file name's extension, checked for soundness (a JPEG's markers walked by ``jpegcheck``, other
formats decoded completely: a truncated or corrupt file fails here), and described:
format, MIME type, size in pixels, colour mode, bits per sample, ICC profile description,
resolution, embedded EXIF, IPTC-IIM and XMP (creator, credit, copyright, caption, date,
camera, GPS; see embedded.py), SHA-256 and size in bytes.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported where an image is read (~30 ms; a text article has none)
    from PIL import Image, ImageFile

from .. import limits
from ..fixity import hash_file_keeping
from ..model import ImageInfo
from ..problems import Problem
from . import jpegcheck
from .embedded import clean, degrees, read_iptc, read_xmp

#: file name extension → the Pillow formats such a file may hold
EXTENSIONS: dict[str, tuple[str, ...]] = {
    ".jpg": ("JPEG", "MPO"), ".jpeg": ("JPEG", "MPO"), ".jpe": ("JPEG",), ".jfif": ("JPEG",),
    ".png": ("PNG",), ".gif": ("GIF",), ".tif": ("TIFF",), ".tiff": ("TIFF",),
    ".webp": ("WEBP",), ".bmp": ("BMP", "DIB"), ".jp2": ("JPEG2000",), ".j2k": ("JPEG2000",),
    ".jpx": ("JPEG2000",), ".jpf": ("JPEG2000",),
}  # fmt: skip
_MODE_BITS: dict[str, list[int]] = {
    "1": [1], "L": [8], "P": [8], "LA": [8, 8], "PA": [8, 8], "La": [8, 8], "RGB": [8, 8, 8],
    "RGBA": [8, 8, 8, 8], "RGBa": [8, 8, 8, 8], "RGBX": [8, 8, 8, 8], "CMYK": [8, 8, 8, 8],
    "YCbCr": [8, 8, 8], "LAB": [8, 8, 8], "HSV": [8, 8, 8], "I": [32], "F": [32],
    "I;16": [16], "I;16L": [16], "I;16B": [16], "I;16N": [16],
}  # fmt: skip
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_EXIF_TAGS = {
    "caption": 0x010E,  # ImageDescription
    "make": 0x010F,
    "model": 0x0110,
    "artist": 0x013B,
    "copyright": 0x8298,
}
_DATE_ORIGINAL, _DATE = 0x9003, 0x0132


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in EXTENSIONS


#: what Path.is_dir/is_file/is_symlink take for "no": the name or its target is gone, or a
#: link loops
_NOT_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def listing(folder: Path) -> list[tuple[Path, os.DirEntry[str]]]:
    """The names of ``folder`` in order, each as its path and its listing entry: the entry
    knows a name's file type from the listing (no system call for a name that is no link)."""
    with os.scandir(folder) as entries:
        return [(folder / e.name, e) for e in sorted(entries, key=lambda e: e.name)]


def entry_is(entry: os.DirEntry[str], kind: str) -> bool:
    """``Path.is_dir``, ``is_file`` or ``is_symlink`` (``kind``) of a listed name, as Path
    answers it: a missing or looping target is no such thing, other errors are raised."""
    try:
        return bool(getattr(entry, f"is_{kind}")())
    except OSError as exc:
        if exc.errno in _NOT_THERE:
            return False
        raise


@dataclass(frozen=True)
class Checked:
    """One image file: what Pillow found (None if it could not even read the header)."""

    path: str
    info: ImageInfo | None
    problems: tuple[Problem, ...]


def _bits(img: Image.Image, head: bytes) -> list[int]:
    from PIL import TiffImagePlugin

    if img.format == "PNG" and head[12:16] == b"IHDR":
        depth, colour = head[24], head[25]
        return [depth] * _PNG_CHANNELS.get(colour, 1)
    if img.format == "TIFF" and isinstance(img, TiffImagePlugin.TiffImageFile):
        value = img.tag_v2.get(258)
        if isinstance(value, tuple | list) and value:
            return [int(v) for v in value]
        if isinstance(value, int):
            return [value]
    return list(_MODE_BITS.get(img.mode, [8] * len(img.getbands())))


def _icc(img: Image.Image) -> str | None:
    data = img.info.get("icc_profile")
    if not data:
        return None
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
        return ImageCms.getProfileDescription(profile).strip() or "(unnamed ICC profile)"
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
        return "(unreadable ICC profile)"


def _dpi(img: Image.Image) -> tuple[float, float] | None:
    value = img.info.get("dpi")
    if isinstance(value, tuple) and len(value) == 2:
        try:
            x, y = round(float(value[0]), 2), round(float(value[1]), 2)
        except (TypeError, ValueError):
            return None
        return (x, y) if x > 0 and y > 0 else None
    return None


def _exif_date(value: str) -> str:
    m = re.fullmatch(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})", value.strip())
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}" if m else value.strip()


def _exif(img: Image.Image) -> dict[str, str]:
    from PIL import ExifTags

    try:
        exif = img.getexif()
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except (OSError, ValueError, SyntaxError, struct.error):
        return {}
    out: dict[str, str] = {}
    date = sub.get(_DATE_ORIGINAL) or exif.get(_DATE)
    if isinstance(date, str) and clean(date):
        out["date"] = _exif_date(clean(date))
    for key, tag in _EXIF_TAGS.items():
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and clean(value):
            out[key] = clean(value)
    out.update(_gps(exif))
    return out


def _gps(exif: Image.Exif) -> dict[str, str]:
    """EXIF GPSLatitude/GPSLongitude (degrees, minutes, seconds and N/S/E/W) in decimal
    degrees; nothing for values that are not numbers within range."""
    from PIL import ExifTags

    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except (OSError, ValueError, SyntaxError, struct.error):
        return {}
    out: dict[str, str] = {}
    for key, ref_tag, tag, limit in (("latitude", 1, 2, 90.0), ("longitude", 3, 4, 180.0)):
        value, ref = gps.get(tag), gps.get(ref_tag)
        if not isinstance(value, tuple | list) or len(value) != 3:
            continue
        try:
            d, m, s = (float(v) for v in value)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        number = d + m / 60 + s / 3600
        if isinstance(ref, bytes):
            ref = ref.decode("ascii", "replace")
        text = degrees(-number if str(ref).strip(" \x00") in ("S", "W") else number, limit)
        if text is not None:
            out[key] = text
    return out


def _damage(img: ImageFile.ImageFile, fmt: str, data: bytes | None) -> tuple[str, str] | None:
    """Why the image is not sound, as (problem code, message), or None when it is:
    ``image-corrupt`` when it does not decode (truncated or damaged), ``image-irregular`` (a
    warning) when a JPEG decodes although its structure is damaged.

    A JPEG's markers, tables and scans are walked (:mod:`.jpegcheck`) instead of decoding it:
    libjpeg finds no more than that in a decode (JPEG has no checksum; damaged compressed data
    is only a warning to it), at ~11 times the cost. The walk is the stricter: a JPEG it finds
    damaged is decoded, and only one the decode rejects too is corrupt (the verdicts are the
    decode's, as before the walk; a missing end-of-image marker after a baseline image's last
    data, for one, is a warning). Other formats are decoded: PNG, GIF, TIFF and WebP decoders
    do find damage in the compressed data (zlib, CRC)."""
    walked = None
    if fmt in ("JPEG", "MPO"):  # an MPO's first image, the one Pillow decodes
        try:
            if data is None:  # over 4 MiB: the file Pillow opened, from its start, in chunks
                assert img.fp is not None
                img.fp.seek(0)
                found = jpegcheck.check_stream(img.fp)
            else:
                found = jpegcheck.check(data)
        except jpegcheck.NotWalked:
            pass  # arithmetic-coded, lossless or 12-bit: decoded below
        else:
            if found is None:
                return None
            walked = f"{fmt} file is damaged: {found}"
    try:
        if fmt == "JPEG" and walked is None:
            # decoded at 1/8 scale: libjpeg still reads and Huffman-decodes every coefficient
            # (a truncated stream fails as in a full decode); a file the walk found damaged is
            # decoded in full, as the walk's tests judge it (the verdict of the decode stands)
            img.draft(None, (1, 1))
        img.load()
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        return "image-corrupt", walked or (
            f"{fmt} image does not decode completely ({exc}): the file is truncated or damaged"
        )
    if walked is not None:
        return "image-irregular", f"{walked}; it decodes all the same, and is kept as it is"
    return None


def characterise(path: Path) -> Checked:
    """Describe one image file; problems (never exceptions) for files that are not sound."""
    from PIL import Image, UnidentifiedImageError

    where = str(path)
    problems: list[Problem] = []
    embedded_problems: list[Problem] = []
    try:
        # one read for the digest and for Pillow (a file up to 4 MiB): the bytes described
        # are the bytes hashed; a larger file is hashed in a stream and opened again
        digests, size, data = hash_file_keeping(path, ["sha256"])
        if data is None:
            with open(path, "rb") as fh:
                head = fh.read(32)
        else:
            head = data[:32]
    except OSError as exc:
        return Checked(where, None, (Problem("image-unreadable", f"cannot read: {exc}", where),))
    try:
        Image.MAX_IMAGE_PIXELS = limits.get("image-pixels")  # Pillow's own check, same limit
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path if data is None else io.BytesIO(data)) as img:
                fmt = img.format or "unknown"
                width, height = img.size
                limit = limits.get("image-pixels")
                if width * height > limit:
                    raise Image.DecompressionBombError(
                        f"{width}×{height} pixels is more than the image-pixels limit of "
                        f"{limit} (the limit can be raised)"
                    )
                info = ImageInfo(
                    path=where,
                    format=fmt,
                    mime_type=Image.MIME.get(fmt, "application/octet-stream"),
                    width=width,
                    height=height,
                    mode=img.mode,
                    bits_per_sample=_bits(img, head),
                    icc_profile=_icc(img),
                    dpi=_dpi(img),
                    exif=_exif(img),
                    sha256=digests["sha256"],
                    size=size,
                )
                iptc, iptc_problems = read_iptc(img, where)
                xmp, xmp_problems = read_xmp(img, where)
                embedded_problems = [*iptc_problems, *xmp_problems]
                if iptc or xmp:
                    info = dataclasses.replace(info, iptc=iptc, xmp=xmp)
                damage = _damage(img, fmt, data)
                if damage is not None and damage[0] == "image-corrupt":
                    problems.append(Problem(*damage, where))
                elif damage is not None:  # a warning: says nothing against the image's use
                    embedded_problems.append(Problem(*damage, where))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return Checked(
            where,
            None,
            (
                Problem(
                    "image-too-large", f"refused as a possible decompression bomb: {exc}", where
                ),
            ),
        )
    except UnidentifiedImageError:
        return Checked(
            where,
            None,
            (Problem("image-unreadable", "not an image format Pillow can identify", where),),
        )
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        return Checked(where, None, (Problem("image-unreadable", f"cannot open: {exc}", where),))
    expected = EXTENSIONS.get(path.suffix.lower())
    if expected is not None and info.format not in expected:
        problems.append(
            Problem(
                "image-extension-mismatch",
                f"the file name says {path.suffix.lower()} but the content is {info.format}",
                where,
            )
        )
    if problems:
        info = dataclasses.replace(info, problems=tuple(str(p) for p in problems))
    # unreadable embedded metadata is reported, but says nothing wrong about the image itself
    return Checked(where, info, (*problems, *embedded_problems))


_NUMBER_IN_NAME = re.compile(r"^(?:[^\W\d_]+[-_ ]?)?0*(\d{1,4})(?:[-_ .(][^/]*)?$", re.UNICODE)


def number_in_name(path: Path) -> int | None:
    """The figure number a file name carries: ``07.jpg``, ``img-7.png``, ``7_tank.jpg``."""
    m = _NUMBER_IN_NAME.match(path.stem)
    return int(m.group(1)) if m else None
