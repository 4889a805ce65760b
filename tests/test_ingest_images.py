"""Images: Pillow characterisation, broken files, matching files to figures."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from bagsmith.cli.exits import error_exit
from bagsmith.errors import InputError
from bagsmith.ingest import read_article
from bagsmith.ingest.images import characterise, number_in_name

ARTICLE = (
    "Harbour\n\nPhotographs of the harbour.\n\n#1 Docks. Hamburg, 1928\n\n#2 Ships\n\n#7 A tank\n"
)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A valid PNG header announcing a huge image, with (almost) no data: a bomb's shape."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def _jpeg_with_metadata(path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Nikon", "F3"
    exif[0x013B], exif[0x8298] = "Erich Lang", "Port Archive"
    exif.get_ifd(0x8769)[0x9003] = "1956:10:23 12:00:00"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (64, 48), "red").save(path, "JPEG", exif=exif, dpi=(300, 300), icc_profile=icc)


def test_jpeg_is_fully_characterised(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    _jpeg_with_metadata(path)
    checked = characterise(path)
    assert checked.problems == ()
    info = checked.info
    assert info is not None
    assert (info.format, info.mime_type, info.width, info.height, info.mode) == (
        "JPEG", "image/jpeg", 64, 48, "RGB",
    )  # fmt: skip
    assert info.bits_per_sample == [8, 8, 8]
    assert info.icc_profile == "sRGB built-in"
    assert info.dpi == (300.0, 300.0)
    assert info.exif == {
        "date": "1956-10-23T12:00:00", "make": "Nikon", "model": "F3",
        "artist": "Erich Lang", "copyright": "Port Archive",
    }  # fmt: skip
    data = path.read_bytes()
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.size == len(data)


@pytest.mark.parametrize(
    ("mode", "name", "bits"),
    [("I;16", "deep.png", [16]), ("RGBA", "alpha.png", [8, 8, 8, 8]), ("1", "bw.tif", [1]),
     ("RGB", "rgb.tif", [8, 8, 8]), ("L", "grey.gif", [8])],
)  # fmt: skip
def test_bits_per_sample(tmp_path: Path, mode: str, name: str, bits: list[int]) -> None:
    path = tmp_path / name
    Image.new(mode, (6, 6)).save(path)
    info = characterise(path).info
    assert info is not None and info.bits_per_sample == bits


def test_broken_images_get_clear_problems(tmp_path: Path) -> None:
    noise = Image.effect_noise((200, 200), 60).convert("RGB")
    whole = tmp_path / "whole.jpg"
    noise.save(whole, quality=95)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    misnamed = tmp_path / "misnamed.jpg"
    Image.new("RGB", (5, 5)).save(misnamed, "PNG")
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"this is not an image at all")
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 30000, 30000)  # over twice Pillow's MAX_IMAGE_PIXELS
    big = tmp_path / "big.png"
    _png_header_only(big, 10000, 10000)  # over MAX_IMAGE_PIXELS (Pillow only warns)
    expected = {
        truncated: "image-corrupt",
        misnamed: "image-extension-mismatch",
        garbage: "image-unreadable",
        bomb: "image-too-large",
        big: "image-too-large",
    }
    for path, code in expected.items():
        checked = characterise(path)
        assert [p.code for p in checked.problems] == [code], path
        assert checked.problems[0].path == str(path)
    mis = characterise(misnamed)
    assert mis.info is not None and mis.info.format == "PNG" and mis.info.problems
    assert characterise(whole).problems == ()


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_jpeg_damage_is_found_as_a_full_decode_finds_it(tmp_path: Path, progressive: bool) -> None:
    """characterise walks a JPEG's markers instead of decoding it (ingest/jpegcheck.py): on
    damaged copies (cut short, bytes overwritten; seeded) it calls every file corrupt that
    Pillow's full decode rejects, and no other; a file the decode lets pass is irregular (a
    warning) when the walk finds it cut short, a segment running past its end (the decode of a
    baseline image stops reading once it has every row: what is missing after that escapes it)
    or a restart marker where there is no restart interval (the decode skips it)."""
    import io
    import random

    buffer = io.BytesIO()
    noise = random.Random(1956).randbytes(160 * 120 * 3)  # the same photograph on every run
    Image.frombytes("RGB", (160, 120), noise).save(
        buffer, "JPEG", quality=90, progressive=progressive
    )
    data = buffer.getvalue()
    rnd = random.Random(16)
    verdicts = []
    for n in range(40):
        damaged = bytearray(data)
        for _ in range(rnd.choice([1, 3, 20])):
            damaged[rnd.randrange(700, len(damaged))] = rnd.randrange(256)
        if n % 3 == 0:
            damaged = damaged[: rnd.randrange(700, len(damaged))]
        try:
            with Image.open(io.BytesIO(damaged)) as img:
                img.load()
            full = "ok"
        except OSError:
            full = "corrupt"
        path = tmp_path / f"{n}.jpg"
        path.write_bytes(damaged)
        problems = characterise(path).problems
        codes = [p.code for p in problems]
        if full == "corrupt":
            assert codes == ["image-corrupt"], n
        elif codes:  # the walk finds damage the decode lets pass: a warning, the decode's verdict
            assert codes == ["image-irregular"], n
            message = problems[0].message
            stricter = ("truncated", "past the end of the file", "no restart interval")
            assert any(words in message for words in stricter), message
            assert message.endswith("it decodes all the same, and is kept as it is")
        verdicts.append(full)
    assert 5 < verdicts.count("corrupt") < 35  # both kinds of outcome were compared


@pytest.mark.parametrize(
    ("name", "number"),
    [("07.jpg", 7), ("img-7.png", 7), ("7_tank.jpg", 7), ("fig_12.tif", 12), ("photo3.jpg", 3),
     ("0.png", 0), ("cover.jpg", None), ("IMG_20200101_1234.jpg", None), ("tank.jpg", None)],
)  # fmt: skip
def test_number_in_file_name(name: str, number: int | None) -> None:
    assert number_in_name(Path(name)) == number


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_images_match_by_number_in_name_and_the_rest_is_reported(
    article: Path, tmp_path: Path
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (10, 10)).save(images / "01.jpg")
    Image.new("RGB", (12, 10)).save(images / "img-2.png")
    Image.new("RGB", (10, 10)).save(images / "07.jpg")
    Image.new("RGB", (10, 10)).save(images / "7_tank.jpg")  # same number: ambiguous
    Image.new("RGB", (10, 10)).save(images / "cover.jpg")  # no number: unmatched
    Image.new("RGB", (10, 10)).save(images / "99.jpg")  # no such figure: unmatched
    (images / "notes.txt").write_text("not an image", encoding="utf-8")
    (images / ".DS_Store").write_bytes(b"\0")
    result = read_article(article, images_dir=images)
    figs = {f.number: f for f in result.article.figures}
    assert figs[1].image is not None and figs[1].image.path.endswith("01.jpg")
    assert figs[2].image is not None and figs[2].image.width == 12
    assert figs[7].image is None  # never guessed between 07.jpg and 7_tank.jpg
    unmatched = sorted(Path(p).name for p in result.unmatched_images)
    assert unmatched == ["07.jpg", "7_tank.jpg", "99.jpg", "cover.jpg"]
    codes = result.report.codes()
    assert codes.count("image-match-ambiguous") == 2 and codes.count("image-unmatched") == 4
    assert "image-file-skipped" in codes and "figure-image-missing" in codes
    assert len(result.images) == 6  # matched and unmatched images are all characterised
    assert any("image-unmatched" in w and "cover.jpg" in w for w in result.article.warnings)


def test_broken_image_fails_the_run_unless_allowed(article: Path, tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (10, 10)).save(images / "01.jpg")
    (images / "02.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    Image.new("RGB", (10, 10)).save(images / "07.jpg", "PNG")
    with pytest.raises(InputError) as exc:
        read_article(article, images_dir=images)
    message = str(exc.value)
    assert "02.jpg" in message and "07.jpg" in message and "2 broken image(s)" in message
    # each refused image says why with its code, in the message and among the error's problems
    assert "error[image-extension-mismatch] " in message
    assert {p.code for p in exc.value.problems} >= {"image-extension-mismatch"}
    assert all(p.code.startswith("image-") for p in exc.value.problems)
    lines = [line.strip() for line in message.splitlines()]
    assert any(line.startswith("error[image-") and "02.jpg" in line for line in lines)
    assert error_exit(exc.value) == 2 and exc.value.hint and "allow_broken_images" in exc.value.hint
    result = read_article(article, images_dir=images, allow_broken_images=True)
    figs = {f.number: f for f in result.article.figures}
    assert figs[1].image is not None and not figs[1].image.problems
    assert figs[2].image is None  # unreadable: no characterisation
    assert figs[7].image is not None and figs[7].image.format == "PNG"
    assert figs[7].image.problems and "content is PNG" in figs[7].image.problems[0]
    assert {"image-unreadable", "image-extension-mismatch"} <= set(result.report.codes())


def test_an_image_is_read_once_for_its_digest_and_pillow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """characterise hashes a small image and gives Pillow the same bytes (one open, one read):
    what is described is exactly what was hashed. A file over fixity.SMALL_FILE is hashed in a
    stream and opened again (memory stays bounded); both ways describe it alike."""
    import builtins
    import os

    from bagsmith import fixity

    path = tmp_path / "photo.jpg"
    _jpeg_with_metadata(path)
    opened: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def os_open(file: str, *args: object, **kwargs: object) -> int:
        opened.append(os.fspath(file))
        return real_os_open(file, *args, **kwargs)  # type: ignore[arg-type]

    def py_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(os.fspath(file) if isinstance(file, str | os.PathLike) else str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", py_open)
    once = characterise(path)
    assert opened.count(str(path)) == 1
    monkeypatch.setattr(fixity, "SMALL_FILE", 16)  # as if the photograph were large
    opened.clear()
    streamed = characterise(path)
    assert opened.count(str(path)) == 3  # the digest, the first bytes, Pillow
    monkeypatch.undo()
    assert once == streamed and once.problems == ()
    assert once.info is not None
    assert once.info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("sidecar_image", [False, True], ids=["folder", "with-sidecar-image"])
def test_a_link_loop_among_the_images_is_skipped_not_a_crash(
    article: Path, tmp_path: Path, sidecar_image: bool
) -> None:
    """Matching images asks for real paths only to leave out the sidecar's images (none here
    but in the second case), without the extra stat of Path.resolve, which raised
    RuntimeError on a link that points to itself: such a name is skipped and reported."""
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (10, 10)).save(images / "01.jpg")
    Image.new("RGB", (10, 10)).save(images / "02.jpg")
    (images / "07.jpg").symlink_to("07.jpg")
    sidecar = None
    if sidecar_image:
        sidecar = tmp_path / "metadata.yaml"
        sidecar.write_text("figures:\n  - number: 2\n    image: 02.jpg\n", "utf-8")
    result = read_article(article, images_dir=images, metadata=sidecar)
    figs = {f.number: f for f in result.article.figures}
    assert figs[1].image is not None and figs[2].image is not None and figs[7].image is None
    skipped = [p for p in result.report if p.code == "image-file-skipped"]
    assert [Path(p.path or "").name for p in skipped] == ["07.jpg"]
    assert "not a regular file" in skipped[0].message
    assert not result.unmatched_images
