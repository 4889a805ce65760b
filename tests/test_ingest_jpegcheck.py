"""The JPEG walk (ingest/jpegcheck.py) against its oracle, Pillow's full decode.

Every damaged file Pillow's ``load()`` (libjpeg-turbo, no draft) rejects, the walk rejects too;
specific damages give the messages an archivist reads; sound files, files with data after the
end-of-image marker and what libjpeg tolerates pass; the walk of a stream in chunks says what
the walk in memory says, in bounded memory.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from bagsmith import fixity
from bagsmith.ingest import jpegcheck
from bagsmith.ingest.images import characterise
from bagsmith.problems import Severity

Kind = tuple[str, dict[str, object]]
KINDS: list[Kind] = [
    ("RGB", {}),  # baseline 4:2:0
    ("RGB", {"subsampling": 0}),  # 4:4:4
    ("RGB", {"subsampling": 1, "optimize": True}),  # 4:2:2, optimized Huffman tables
    ("RGB", {"progressive": True}),
    ("RGB", {"restart_marker_blocks": 2}),  # a DRI segment, RST0…RST7 in the scan
    ("RGB", {"progressive": True, "restart_marker_rows": 1, "subsampling": 0}),
    ("L", {}),  # greyscale: one component
    ("L", {"progressive": True, "optimize": True}),
    ("CMYK", {}),  # four components, an Adobe APP14 segment
    ("CMYK", {"progressive": True, "restart_marker_blocks": 1}),
    ("RGB", {"exif": True, "icc": True, "comment": b"harbour"}),  # APP1, APP2, COM
]


def _encode(mode: str, options: dict[str, object], size: tuple[int, int] = (45, 37)) -> bytes:
    noise = Image.frombytes("L", size, random.Random(16).randbytes(size[0] * size[1]))
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", [noise, gradient, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])
    options = dict(options)
    if options.pop("exif", False):
        exif = Image.Exif()
        exif[0x010F], exif[0x8298] = "Nikon", "Port Archive"
        options["exif"] = exif
    if options.pop("icc", False):
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, "JPEG", quality=80, **options)
    return buffer.getvalue()


@functools.cache
def _sources() -> list[bytes]:
    return [_encode(mode, options) for mode, options in KINDS]


def _pillow(data: bytes) -> str:
    """What Pillow makes of the file: "ok", "rejected" (opens, the full decode fails) or
    "unopened" (not identified: characterise calls that image-unreadable, no walk)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            image = Image.open(io.BytesIO(data))
        except (OSError, SyntaxError, ValueError, struct.error, EOFError):
            return "unopened"
        except Image.DecompressionBombError:  # characterise: image-too-large
            return "unopened"
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, struct.error, EOFError):
            return "rejected"
    return "ok"


def _walk(data: bytes) -> jpegcheck.Damage | str | None:
    try:
        return jpegcheck.check(data)
    except jpegcheck.NotWalked:
        return "not walked"


def _markers(data: bytes) -> list[int]:
    """Offsets of the markers of the header, up to and with the first scan header."""
    found, pos = [0], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        found.append(pos)
        if data[pos + 1] == 0xDA:
            break
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return found


def _header_end(data: bytes) -> int:
    sos = _markers(data)[-1]
    return sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]


@st.composite
def damaged(draw: st.DrawFn) -> tuple[bytes, str]:
    """A file of one of KINDS with damage of one kind: a share of it aimed at the header (the
    bytes before the first scan's data) and at markers, where the decode finds most."""
    data = bytearray(draw(st.sampled_from(_sources())))
    size, header = len(data), _header_end(bytes(data))
    marker = draw(st.sampled_from(_markers(bytes(data))))
    where = draw(
        st.sampled_from(["anywhere", "header", "marker"]).flatmap(
            lambda w: (
                st.integers(0, size - 1)
                if w == "anywhere"
                else st.integers(0, header - 1)
                if w == "header"
                else st.integers(marker, min(marker + 5, size - 1))
            )
        )
    )
    kind = draw(st.sampled_from(["truncate", "flip", "delete", "insert", "length"]))
    if kind == "truncate":
        del data[where:]
    elif kind == "flip":
        data[where] = draw(st.sampled_from([0x00, 0xFF, 0x01, 0x11, 0x22]) | st.integers(0, 255))
    elif kind == "delete":
        del data[where : where + draw(st.integers(1, 40))]
    elif kind == "insert":
        data[where:where] = draw(st.binary(min_size=1, max_size=12))
    else:  # a segment's length, a little off
        pos = marker + 2
        if pos + 2 <= size:
            length = struct.unpack(">H", data[pos : pos + 2])[0]
            change = draw(st.sampled_from([-3, -2, -1, 1, 2, 3, 17, -17, 64]))
            data[pos : pos + 2] = struct.pack(">H", (length + change) & 0xFFFF)
    return bytes(data), kind


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged(), st.sampled_from([2, 3, 5, 64, 4096]))
def test_every_file_the_full_decode_rejects_the_walk_rejects(
    case: tuple[bytes, str], chunk: int
) -> None:
    data, kind = case
    verdict = _pillow(data)
    walked = _walk(data)
    event(f"{kind}: Pillow {verdict}, walk {'passes' if walked is None else 'rejects'}")
    if verdict == "rejected":
        # "not walked" (arithmetic, lossless, 12-bit): characterise decodes those itself
        assert walked is not None, "the full decode rejects what the walk passes"
    # the walk of a stream in small chunks finds the same, at the same byte
    try:
        streamed: jpegcheck.Damage | str | None = jpegcheck.check_stream(io.BytesIO(data), chunk)
    except jpegcheck.NotWalked:
        streamed = "not walked"
    assert streamed == walked


def test_sound_files_and_what_follows_the_end_of_image_pass() -> None:
    """Every kind passes the walk and the decode; data after the end-of-image marker (a motion
    photo's video, another JPEG, junk) is not read, as libjpeg and Pillow do not read it."""
    for data in _sources():
        assert _pillow(data) == "ok" and jpegcheck.check(data) is None
        for tail in (b"\x00" * 100, _sources()[0], b"\xff\xd8\xff\xe1 not a segment", b"\xff"):
            assert jpegcheck.check(data + tail) is None
    buffer = io.BytesIO()
    photo = Image.frombytes("RGB", (30, 20), random.Random(7).randbytes(30 * 20 * 3))
    photo.save(buffer, "MPO", save_all=True, append_images=[photo.rotate(90)])
    assert jpegcheck.check(buffer.getvalue()) is None


def _segment(code: int, body: bytes) -> bytes:
    return bytes([0xFF, code]) + struct.pack(">H", len(body) + 2) + body


def _replace(data: bytes, at: int, body: bytes) -> bytes:
    """``data`` with the segment at ``at`` given the new content ``body``."""
    end = at + 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    return data[:at] + _segment(data[at + 1], body) + data[end:]


def _find(data: bytes, code: int, nth: int = 0) -> int:
    return [m for m in _markers(data) if data[m + 1] == code][nth]


def _body(data: bytes, code: int, nth: int = 0) -> bytearray:
    at = _find(data, code, nth)
    return bytearray(data[at + 4 : at + 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]])


def _edit(code: int, change: Callable[[bytearray], None], nth: int = 0) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        body = _body(data, code, nth)
        change(body)
        return _replace(data, _find(data, code, nth), bytes(body))

    return edit


def _set(i: int, value: int) -> Callable[[bytearray], None]:
    def change(body: bytearray) -> None:
        body[i] = value

    return change


def _without(code: int) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        for at in reversed([m for m in _markers(data) if data[m + 1] == code]):
            data = data[:at] + data[at + 2 + struct.unpack(">H", data[at + 2 : at + 4])[0] :]
        return data

    return edit


def _merged(code: int) -> Callable[[bytes], bytes]:
    """All the segments of ``code`` as one, where the first was (as cameras write their tables)."""

    def edit(data: bytes) -> bytes:
        first = _find(data, code)
        bodies = b"".join(
            bytes(_body(data, code, n))
            for n in range(sum(data[m + 1] == code for m in _markers(data)))
        )
        return data[:first] + _segment(code, bodies) + _without(code)(data)[first:]

    return edit


def _scan_data(data: bytes) -> tuple[int, int]:
    """Where the first scan's compressed data starts and ends (the offset of the next marker)."""
    start = _header_end(data)
    end = start
    while not (data[end] == 0xFF and data[end + 1] not in (0, *range(0xD0, 0xD8))):
        end += 1
    return start, end


def _bad_tree(body: bytearray) -> None:
    body[1], body[3] = 2, body[3] - 2  # two codes of length 1 take the whole tree


def _swap_restarts(data: bytes) -> bytes:
    first, second = data.find(b"\xff\xd0"), data.find(b"\xff\xd1")
    return data[:first] + b"\xff\xd1" + data[first + 2 : second] + b"\xff\xd0" + data[second + 2 :]


def _second_scan(data: bytes) -> bytes:
    sos = _find(data, 0xDA)
    return data[:-2] + data[sos:-2] + b"\xff\xd9"


BASELINE, PROGRESSIVE, RESTARTS = 0, 3, 4
#: (name, kind, damage, what Pillow's decode makes of it, words of the walk's message)
DAMAGES: list[tuple[str, int, Callable[[bytes], bytes], str, str]] = [
    ("end of image missing", BASELINE, lambda d: d[:-2], "rejected", "no end-of-image marker"),
    ("end of image zeroed", BASELINE, lambda d: d[:-2] + bytes(8), "ok",
     "no end-of-image marker: it is truncated"),
    ("cut in the scan", BASELINE, lambda d: d[: sum(_scan_data(d)) // 2], "rejected",
     "compressed data of scan 1"),
    ("progressive, cut", PROGRESSIVE, lambda d: d[:-40], "rejected", "compressed data of scan"),
    ("cut in a segment's length", BASELINE, lambda d: d[: _find(d, 0xDB) + 3], "unopened",
     "ends in the DQT (quantization tables) marker"),
    ("length beyond the end of the file", BASELINE,
     lambda d: d[: _find(d, 0xDB)] + b"\xff\xe1\xff\xf0" + d[_find(d, 0xDB) :], "unopened",
     "APP1 segment's length, 65520 bytes, runs past the end"),
    ("segment length below 2", BASELINE, lambda d: d[:2] + b"\xff\xfe\x00\x01" + d[2:], "ok",
     "COM (comment) segment gives its length as 1"),
    ("scan before the frame header", BASELINE, _without(0xC0), "unopened",
     "scan header (SOS) before the frame header"),
    ("second start of image", BASELINE, lambda d: d[:2] + d, "rejected",
     "a second start-of-image marker"),
    ("second frame header", BASELINE,
     lambda d: d[: _find(d, 0xDA)] + d[_find(d, 0xC0) : _find(d, 0xC0) + 19] + d[_find(d, 0xDA) :],
     "rejected", "a second frame header"),
    ("hierarchical frame", BASELINE, lambda d: d.replace(b"\xff\xc0", b"\xff\xc5", 1), "rejected",
     "hierarchical JPEG"),
    ("unknown marker", BASELINE, lambda d: d[:2] + b"\xff\x02" + d[2:], "unopened",
     "an unknown marker FF 02"),
    ("empty image", BASELINE, _edit(0xC0, lambda b: b.__setitem__(slice(1, 3), bytes(2))),
     "unopened", "gives an empty image"),
    ("frame length", BASELINE, _edit(0xC0, _set(5, 4)), "rejected",
     "does not match its 4 components"),
    ("sampling factor 0", BASELINE, _edit(0xC0, _set(7, 0x20)), "rejected",
     "sampling factor outside 1–4"),
    ("sampling 3 against 2", BASELINE, _edit(0xC0, _set(10, 0x31)), "rejected",
     "cannot upsample"),
    ("undefined quantization table", BASELINE, _edit(0xC0, _set(8, 3)), "rejected",
     "uses quantization table 3, which is not defined"),
    ("quantization table number", BASELINE, _edit(0xDB, _set(0, 0x05)), "rejected",
     "a table number 5"),
    ("quantization table cut", BASELINE, _edit(0xDB, lambda b: b.__delitem__(-1)), "unopened",
     "a table is cut short"),
    ("too many Huffman codes", BASELINE, _edit(0xC4, _set(16, 200)), "rejected",
     "a table of"),
    ("too many codes in a second table", BASELINE, lambda d: _edit(0xC4, _set(29 + 16, 200))(
        _merged(0xC4)(d)), "rejected", "a table of"),
    ("Huffman table number", BASELINE, _edit(0xC4, _set(0, 0x05)), "rejected",
     "a table number 0x05"),
    ("Huffman code tree", BASELINE, _edit(0xC4, _bad_tree), "rejected",
     "do not form a Huffman code"),
    ("DC symbol above 15", BASELINE, _edit(0xC4, _set(17, 16)), "rejected", "symbol above 15"),
    ("undefined Huffman table", BASELINE, _edit(0xDA, _set(2, 0x22)), "rejected",
     "uses DC Huffman table 2, which is not defined"),
    ("progressive without Huffman tables", PROGRESSIVE, _without(0xC4), "rejected",
     "uses DC Huffman table 0, which is not defined"),
    ("scan component unknown", BASELINE, _edit(0xDA, _set(1, 9)), "rejected",
     "component 9 is not a component of the frame"),
    ("scan component twice", BASELINE, _edit(0xDA, _set(3, 1)), "rejected",
     "comes twice"),
    ("scan length", BASELINE, _edit(0xDA, _set(0, 2)), "rejected",
     "does not match its number of components"),
    ("progression", PROGRESSIVE, _edit(0xDA, _set(8, 0x31)), "rejected",
     "progressive parameters libjpeg refuses"),
    ("restart interval length", RESTARTS, _edit(0xDD, lambda b: b.append(0)), "rejected",
     "its length is 5, not 4"),
    ("restart markers out of order", RESTARTS, _swap_restarts, "ok",
     "restart marker RST1 in scan 1 where RST0 is due"),
    ("restart marker without interval", RESTARTS, _without(0xDD), "ok",
     "a restart marker in scan 1, which has no restart interval"),
    ("scan without data", BASELINE, lambda d: d[: _header_end(d)] + b"\xff\xd9", "ok",
     "scan 1 has no compressed data"),
    ("second scan of a baseline image", BASELINE, _second_scan, "rejected",
     "a second scan in an image whose first scan held every component"),
    ("no scan", BASELINE, lambda d: d[: _find(d, 0xDA)] + b"\xff\xd9", "rejected",
     "the end-of-image marker comes before any scan"),
    ("not a JPEG", BASELINE, lambda d: d[2:], "unopened", "does not begin with"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "damage", "pillow", "words"), [d[1:] for d in DAMAGES],
                         ids=[d[0] for d in DAMAGES])  # fmt: skip
def test_specific_damage_is_named_with_its_offset(
    kind: int, damage: Callable[[bytes], bytes], pillow: str, words: str
) -> None:
    data = damage(_sources()[kind])
    assert _pillow(data) == pillow  # where the walk is stricter than the decode, it says "ok"
    found = jpegcheck.check(data)
    assert found is not None and words in found.what, found
    assert f"(at byte {found.offset}, 0x{found.offset:X})" in str(found)
    assert 0 <= found.offset <= len(data)


def test_the_offset_is_where_the_damage_is() -> None:
    data = _sources()[BASELINE]
    start, end = _scan_data(data)
    truncated = jpegcheck.check(data[:-2])
    assert truncated is not None and truncated.offset == len(data) - 2
    assert f"(from byte {start})" in truncated.what
    dqt = _find(data, 0xDB)
    assert (found := jpegcheck.check(data[:dqt] + b"\xff\x02" + data[dqt:])) is not None
    assert found.offset == dqt
    assert (found := jpegcheck.check(data[:end] + b"\xff\xd3" + data[end:])) is not None
    assert found.offset == end  # a restart marker where no restart interval is set


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("fill bytes before markers", lambda d: d.replace(b"\xff\xdb", b"\xff\xff\xff\xdb")),
        ("extraneous bytes between segments", lambda d: d.replace(b"\xff\xdb", b"\0\0\xff\xdb", 1)),
        ("no Huffman tables in a baseline image", _without(0xC4)),  # libjpeg's standard ones
        ("all tables in one segment each", lambda d: _merged(0xC4)(_merged(0xDB)(d))),
        ("junk after the scan's data", lambda d: d[:-2] + b"\x00\x17\xff\xd9"),
        (
            "scan parameters of zeros",
            _edit(0xDA, lambda b: b.__setitem__(slice(-3, None), bytes(3))),
        ),
    ],
)
def test_what_libjpeg_tolerates_passes(name: str, damage: Callable[[bytes], bytes]) -> None:
    """Deviations libjpeg reads with a warning at most, and real files show: the walk passes
    them as the decode does."""
    data = damage(_sources()[BASELINE])
    assert _pillow(data) == "ok", name
    assert jpegcheck.check(data) is None, name


def test_coding_processes_the_walk_does_not_model_are_decoded(tmp_path: Path) -> None:
    """Arithmetic coding, lossless and 12-bit samples raise NotWalked; characterise then
    decodes the file with Pillow, as it did every JPEG before the walk."""
    data = _sources()[BASELINE]
    for code in (0xC3, 0xC9, 0xCA, 0xCB):
        with pytest.raises(jpegcheck.NotWalked):
            jpegcheck.check(data.replace(b"\xff\xc0", bytes([0xFF, code]), 1))
    with pytest.raises(jpegcheck.NotWalked, match="12-bit"):
        jpegcheck.check(_edit(0xC0, _set(0, 12))(data))
    path = tmp_path / "lossless.jpg"
    path.write_bytes(data.replace(b"\xff\xc0", b"\xff\xc3", 1))  # YCbCr said lossless
    problems = characterise(path).problems
    assert [p.code for p in problems] == ["image-corrupt"]
    assert "does not decode completely" in problems[0].message


def test_characterise_reports_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """characterise calls a damaged JPEG image-corrupt with the walk's message when it does not
    decode either, image-irregular (a warning) when it does, for a file in memory and for a
    large one walked from Pillow's open file."""
    data = _sources()[BASELINE]
    path = tmp_path / "photo.jpg"
    cases = (
        (data, None, None),
        (data + b"after", None, None),
        (data[:-2], "truncated", "image-corrupt"),  # (here the decode fails too)
        # restart markers out of order: libjpeg resynchronises, the decode passes
        (
            _swap_restarts(_sources()[RESTARTS]),
            "RST1 in scan 1 where RST0 is due",
            "image-irregular",
        ),
    )
    for content, problem, code in cases:
        path.write_bytes(content)
        for small in (fixity.SMALL_FILE, 16):
            monkeypatch.setattr(fixity, "SMALL_FILE", small)
            checked = characterise(path)
            assert checked.info is not None and checked.info.format == "JPEG"
            if problem is None:
                assert checked.problems == ()
            else:
                (found,) = checked.problems
                assert found.code == code and found.path == str(path)
                assert found.level is (
                    Severity.ERROR if code == "image-corrupt" else Severity.WARNING
                )
                assert bool(checked.info.problems) is (code == "image-corrupt")
                assert found.message.startswith("JPEG file is damaged: ")
                assert problem in found.message
                if code == "image-corrupt":
                    assert f"at byte {len(content)}" in found.message
                else:
                    assert found.message.endswith("it decodes all the same, and is kept as it is")


def test_a_large_file_is_walked_in_bounded_memory(tmp_path: Path) -> None:
    """A file far larger than a chunk (here 24 MiB of application segments before a small
    image) is walked with a window of about one chunk: memory does not grow with the file."""
    data = _sources()[BASELINE]
    padding = _segment(0xEF, bytes(65533)) * 384
    path = tmp_path / "large.jpg"
    path.write_bytes(data[:2] + padding + data[2:])
    for content_end, sound in ((None, True), (-2, False)):
        if content_end is not None:
            with open(path, "r+b") as fh:
                fh.truncate(path.stat().st_size + content_end)
        tracemalloc.start()
        try:
            with open(path, "rb") as fh:
                found = jpegcheck.check_stream(fh, chunk=1 << 20)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (found is None) is sound
        assert peak < 3 << 20, peak
