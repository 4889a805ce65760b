"""Thumbnails for the HTML report: small data: URIs made by Pillow, never from broken files."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from bagsmith.ingest.thumbnails import MAX_SIDE, ThumbnailError, make_thumbnail


def _decode(uri: str) -> Image.Image:
    header, _, payload = uri.partition(",")
    assert header in ("data:image/jpeg;base64", "data:image/png;base64")
    img = Image.open(io.BytesIO(base64.b64decode(payload)))
    img.load()
    return img


@pytest.mark.parametrize(
    ("mode", "fmt", "name", "expected"),
    [
        ("RGB", "JPEG", "big.jpg", "JPEG"),
        ("RGBA", "PNG", "alpha.png", "PNG"),
        ("L", "TIFF", "grey.tif", "JPEG"),
        ("I;16", "PNG", "deep.png", "JPEG"),
        ("CMYK", "JPEG", "print.jpg", "JPEG"),
        ("P", "GIF", "palette.gif", "JPEG"),
    ],
)
def test_thumbnail_is_small_and_decodable(
    tmp_path: Path, mode: str, fmt: str, name: str, expected: str
) -> None:
    path = tmp_path / name
    Image.new(mode, (900, 600)).save(path, fmt)
    thumb = make_thumbnail(path)
    img = _decode(thumb.data_uri)
    assert img.format == expected
    assert max(img.size) == MAX_SIDE and img.size == (thumb.width, thumb.height)
    assert (thumb.source_width, thumb.source_height, thumb.source_mode) == (900, 600, mode)
    assert thumb.source_format == fmt
    assert len(thumb.data_uri) < 20_000


def test_thumbnail_follows_exif_orientation_and_reads_streams(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "navy").save(buffer, "JPEG", exif=exif)
    buffer.seek(0)
    thumb = make_thumbnail(buffer)
    assert (thumb.width, thumb.height) == (80, 160)
    assert (thumb.source_width, thumb.source_height) == (400, 200)


def test_small_images_are_not_enlarged(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.new("RGB", (20, 10), "red").save(path)
    thumb = make_thumbnail(path)
    assert (thumb.width, thumb.height) == (20, 10)


def test_broken_and_foreign_files_raise(tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image", encoding="utf-8")
    with pytest.raises(ThumbnailError, match="not an image format"):
        make_thumbnail(text)
    whole = io.BytesIO()
    Image.effect_noise((300, 300), 50).convert("RGB").save(whole, "JPEG")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 3])
    with pytest.raises(ThumbnailError, match="cannot decode"):
        make_thumbnail(cut)


def test_decompression_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "wide.png"
    Image.new("L", (300, 200)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(ThumbnailError, match=r"limit|bomb"):
        make_thumbnail(path)
