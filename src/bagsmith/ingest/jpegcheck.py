"""Is a JPEG file sound? A walk over its markers that does not decode the image.

:func:`check` (bytes in memory) and :func:`check_stream` (a file read in bounded chunks) walk
a JPEG file as libjpeg-turbo, the decoder Pillow uses, reads it, and say where the file is
truncated or damaged in a way that makes libjpeg (and so Pillow's ``load()``) fail:

* the start-of-image marker first; then each marker segment, its length within the file;
  junk and fill bytes between segments are skipped as libjpeg skips them;
* the frame header (SOF0/1/2): a non-empty image within libjpeg's 65,500 pixels a side, its
  length matching its number of components, sampling factors 1–4 that libjpeg can upsample
  (each divides the largest); no second frame header, no second start-of-image;
* quantization tables (DQT: table numbers 0–3, whole tables of 64 values), Huffman tables
  (DHT: numbers 0–3, at most 256 codes that fit the segment, and — when a scan uses them —
  a valid code tree and DC symbols up to 15), restart interval (DRI), arithmetic-coding
  conditioning (DAC);
* each scan header (SOS): its length, components the frame defines (no repeats, in libjpeg's
  order), each component's quantization table defined before its first scan, the Huffman
  tables the scan uses defined (a baseline or extended scan falls back on the standard tables
  0 and 1, as libjpeg-turbo does for Motion-JPEG frames; a progressive one does not), the
  progressive parameters (spectral band, successive approximation) libjpeg accepts, at most
  10 blocks in an interleaved MCU, no second scan in an image whose first scan held every
  component;
* the entropy-coded data of each scan, up to the next marker that is not a restart marker
  (found with a regular expression, at C speed): present (a scan has at least one byte),
  restart markers only where a restart interval is set and in their order RST0…RST7;
* no marker libjpeg does not know (reserved, hierarchical), and the end-of-image marker: a
  file that ends before it is truncated. What follows the end-of-image marker is not read
  (phones append data after it, e.g. motion photos; libjpeg and Pillow stop there too).

Why a walk of our own: Pillow's decode is the only full check in Python, and at the price of
Huffman-decoding every photograph it finds little more: JPEG has no checksum, and libjpeg takes
bad Huffman codes and a scan that ends early as *warnings*, so damage inside the compressed data
(byte flips, lost bytes) passes the decode as well as this walk; what fails the decode is a
truncated file or damaged markers and tables, which the walk finds at a fraction of the cost.
JHOVE's JPEG module checks well-formedness the same way, without decoding, but is Java; no
maintained Python library does it. The walk is at least as strict as the decode: the tests take
Pillow's full ``load()`` as the oracle on thousands of damaged files (every file it rejects, the
walk rejects), and the walk is stricter in a few places (a missing end-of-image marker after
complete image data, restart markers out of order, a scan with no data), all of them damage no
camera or encoder writes. The one decode failure it cannot see is a DC coefficient that
overflows while a progressive image is decoded, which needs far more damaged blocks than any
photograph has.

Coding processes the walk does not model (arithmetic coding, lossless, 12-bit samples: rare,
and the tables and scans differ) raise :class:`NotWalked`; the caller then decodes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import IO

#: the size of a read when the file is walked from a stream
CHUNK = 1 << 20
MAX_DIMENSION = 65500  # libjpeg's JPEG_MAX_DIMENSION
MAX_COMPONENTS = 10  # libjpeg's MAX_COMPONENTS
MAX_BLOCKS_IN_MCU = 10  # libjpeg's D_MAX_BLOCKS_IN_MCU

#: 0xFF followed by anything but a stuffed 0x00: a marker, a restart marker or a fill byte (a
#: literal first byte, so the search runs as a fast scan for 0xFF)
_FF = re.compile(rb"\xff[^\x00]")

_SOF = {0xC0: "SOF0", 0xC1: "SOF1", 0xC2: "SOF2"}
_NOT_WALKED = {0xC3: "lossless", 0xC9: "arithmetic-coded", 0xCA: "arithmetic-coded progressive",
               0xCB: "arithmetic-coded lossless"}  # fmt: skip
_HIERARCHICAL = frozenset({0xC5, 0xC6, 0xC7, 0xC8, 0xCD, 0xCE, 0xCF})
_ANY_SOF = frozenset({*_SOF, *_NOT_WALKED, *_HIERARCHICAL})
_NAMES = {0xC4: "DHT (Huffman tables)", 0xCC: "DAC (arithmetic conditioning)",
          0xDA: "SOS (scan header)", 0xDB: "DQT (quantization tables)",
          0xDC: "DNL (number of lines)", 0xDD: "DRI (restart interval)", 0xFE: "COM (comment)",
          **{c: f"{n} (frame header)" for c, n in _SOF.items()},
          **{0xE0 + n: f"APP{n}" for n in range(16)}}  # fmt: skip
#: segments whose content libjpeg skips (application data, comments, the number of lines)
_SKIPPED = frozenset({*range(0xE0, 0xF0), 0xFE, 0xDC})

# the standard Huffman tables (ITU T.81 K.3): libjpeg-turbo uses them for tables 0 and 1 of a
# sequential scan when the file defines none; only their shape matters here (they are valid)
_STD = (bytes(16), b"")


class NotWalked(Exception):
    """The file uses a coding process the walk does not model: decode it instead."""


@dataclass(frozen=True)
class Damage:
    """Why the file is not sound, and the byte offset (from 0) where the walk found it."""

    offset: int
    what: str

    def __str__(self) -> str:
        return f"{self.what} (at byte {self.offset}, 0x{self.offset:X})"


def check(data: bytes) -> Damage | None:
    """The first damage in the JPEG file ``data``, or None when it is sound."""
    return _walk(_Window(data))


def check_stream(stream: IO[bytes], chunk: int = CHUNK) -> Damage | None:
    """:func:`check` of a file read from ``stream`` (from its start) in reads of ``chunk``
    bytes; memory stays within about ``chunk`` + 64 KiB whatever the file's size."""
    return _walk(_Window(None, stream, chunk))


class _Window:
    """The bytes of the file from ``base`` on: all of them (a file in memory), or a bounded
    part of a stream that moves forward as the walk does."""

    def __init__(self, data: bytes | None, stream: IO[bytes] | None = None, chunk: int = CHUNK):
        self.buf = b"" if data is None else data
        self.base = 0
        self.eof = data is not None
        self.stream = stream
        self.chunk = max(chunk, 2)

    def _read(self, n: int) -> bytes:
        assert self.stream is not None
        block = self.stream.read(n)
        if not block:
            self.eof = True
        return block

    def _fill(self, keep: int, upto: int) -> None:
        """Forget the bytes before ``keep``; read until the window reaches ``upto`` or the
        file ends."""
        have = self.base + len(self.buf)
        if keep >= have:  # nothing kept: read past the gap
            gap = keep - have
            while gap and not self.eof:
                gap -= len(self._read(min(gap, self.chunk)))
            parts, self.base = [], keep - gap
        else:
            parts, self.base = [self.buf[keep - self.base :]], keep
        have = self.base + sum(len(p) for p in parts)
        while have < upto and not self.eof:
            block = self._read(max(self.chunk, upto - have))
            parts.append(block)
            have += len(block)
        self.buf = b"".join(parts)

    def end(self) -> int:
        """The offset where the file ends (once the window has reached it)."""
        return self.base + len(self.buf)

    def take(self, pos: int, n: int) -> bytes | None:
        """The ``n`` bytes at ``pos``; None when the file ends before."""
        end = pos + n
        if end > self.base + len(self.buf) and not self.eof:
            self._fill(pos, end)
        if end > self.base + len(self.buf):
            return None
        start = pos - self.base
        return self.buf[start : start + n]

    def reaches(self, end: int) -> bool:
        """Whether the file holds the bytes up to ``end`` (a segment that is skipped)."""
        if end > self.base + len(self.buf) and not self.eof:
            self._fill(end, end)
        return end <= self.base + len(self.buf)

    def next_ff(self, pos: int) -> tuple[int, int] | None:
        """The offset of the first 0xFF at or after ``pos`` that is not followed by 0x00, and
        the byte that follows it; None when the file ends first."""
        while True:
            m = _FF.search(self.buf, pos - self.base)
            if m is not None:
                at = m.start()
                return self.base + at, self.buf[at + 1]
            if self.eof:
                return None
            have = self.base + len(self.buf)
            keep = max(pos, have - 1 if self.buf[-1:] == b"\xff" else have)
            self._fill(keep, keep + self.chunk)
            pos = keep


def _next_marker(w: _Window, pos: int) -> tuple[int, int] | None:
    """The next marker at or after ``pos`` as libjpeg finds it between segments: other bytes
    are skipped (libjpeg warns of "extraneous data"), fill bytes 0xFF too."""
    while (found := w.next_ff(pos)) is not None:
        at, code = found
        if code != 0xFF:
            return found
        pos = at + 1
    return None


def _u16(b: bytes, i: int) -> int:
    return (b[i] << 8) | b[i + 1]


@dataclass
class _Frame:
    progressive: bool
    ids: list[int]
    h: list[int]
    v: list[int]
    tq: list[int]
    latched: list[bool]


class _Tables:
    """The tables defined so far, as libjpeg keeps them (numbers 0–3)."""

    def __init__(self) -> None:
        self.quant = [False] * 4
        self.dc: list[tuple[bytes, bytes] | None] = [None] * 4
        self.ac: list[tuple[bytes, bytes] | None] = [None] * 4


@functools.lru_cache(maxsize=64)  # most files use the same few tables (the standard ones)
def _huffman_fault(table: tuple[bytes, bytes], dc: bool) -> str | None:
    """What libjpeg's ``jpeg_make_d_derived_tbl`` refuses in a table a scan uses."""
    bits, values = table
    code = 0
    for length, count in enumerate(bits, 1):
        code += count
        if code >= 1 << length:
            return "its code lengths do not form a Huffman code"
        code <<= 1
    if dc and any(v > 15 for v in values):
        return "a DC table has a symbol above 15"
    return None


def _walk(w: _Window) -> Damage | None:
    if w.take(0, 2) != b"\xff\xd8":
        return Damage(0, "the file does not begin with the JPEG start-of-image marker FF D8")
    tables = _Tables()
    frame: _Frame | None = None
    restart = 0
    scans = 0
    multiple = False
    pos = 2
    while True:
        found = _next_marker(w, pos)
        if found is None:
            return Damage(
                w.end(), "the file ends with no end-of-image marker (FF D9): it is truncated"
            )
        at, code = found
        pos = at + 2
        if code == 0xD9:
            if scans:
                return None
            if frame:
                return Damage(at, "the end-of-image marker comes before any scan: no image data")
            return Damage(at, "the end-of-image marker comes before any frame header or scan")
        if 0xD0 <= code <= 0xD7:
            continue  # restart markers between segments: libjpeg ignores them
        if code == 0xD8:
            return Damage(at, "a second start-of-image marker (FF D8)")
        if frame is not None and code in _ANY_SOF:
            return Damage(at, f"a second frame header (FF {code:02X}; libjpeg allows one)")
        if code in _NOT_WALKED:
            raise NotWalked(f"a {_NOT_WALKED[code]} JPEG (SOF{code - 0xC0})")
        if code in _HIERARCHICAL:
            return Damage(
                at,
                f"a frame header FF {code:02X} of a hierarchical JPEG or a JPEG extension, "
                "which libjpeg cannot decode",
            )
        if code not in _NAMES:
            return Damage(at, f"an unknown marker FF {code:02X}")
        name = _NAMES[code]
        head = w.take(pos, 2)
        if head is None:
            return Damage(at, f"the file ends in the {name} marker: it is truncated")
        length = _u16(head, 0)
        if length < 2:
            return Damage(at, f"the {name} segment gives its length as {length} (at least 2)")
        end = pos + length
        skipped = code in _SKIPPED  # read only to know that the file holds it
        body = b"" if skipped else w.take(pos + 2, length - 2)
        if body is None or (skipped and not w.reaches(end)):
            return Damage(
                at,
                f"the {name} segment's length, {length} bytes, runs past the end of the file "
                "(it is truncated, or the length is damaged)",
            )
        pos = end
        if skipped:
            continue
        fault: str | None
        if code in _SOF:
            fault, frame = _frame(code, body)
        elif code == 0xC4:
            fault = _dht(body, tables)
        elif code == 0xDB:
            fault = _dqt(body, tables)
        elif code == 0xDD:
            if len(body) != 2:
                fault = f"its length is {length}, not 4"
            else:
                fault, restart = None, _u16(body, 0)
        elif code == 0xCC:
            fault = _dac(body)
        else:  # SOS
            if frame is None:
                return Damage(at, "a scan header (SOS) before the frame header (SOF)")
            scans += 1
            if scans == 1:
                multiple = frame.progressive or (body[0] if body else 0) < len(frame.ids)
                if not frame.progressive:  # libjpeg-turbo's default tables, where none is
                    tables.dc[:2] = [t or _STD for t in tables.dc[:2]]
                    tables.ac[:2] = [t or _STD for t in tables.ac[:2]]
            elif not multiple:
                return Damage(
                    at,
                    "a second scan in an image whose first scan held every component "
                    "(libjpeg expects the end of the image there)",
                )
            fault = _sos(body, frame, tables, scans)
            if fault is None:
                damage = _entropy(w, pos, scans, restart)
                if isinstance(damage, Damage):
                    return damage
                pos = damage
        if fault is not None:
            return Damage(at, f"the {name} segment is not valid: {fault}")


def _frame(code: int, body: bytes) -> tuple[str | None, _Frame | None]:
    if len(body) < 6:
        return "it is too short", None
    precision, height, width, count = body[0], _u16(body, 1), _u16(body, 3), body[5]
    if precision != 8:
        raise NotWalked(f"a JPEG of {precision}-bit samples")
    if not (height and width and count):
        return f"it gives an empty image ({width}×{height} pixels, {count} components)", None
    if len(body) != 6 + 3 * count:
        return f"its length does not match its {count} components", None
    if height > MAX_DIMENSION or width > MAX_DIMENSION:
        return f"{width}×{height} pixels is more than libjpeg's {MAX_DIMENSION} a side", None
    if count > MAX_COMPONENTS:
        return f"{count} components (libjpeg reads at most {MAX_COMPONENTS})", None
    comps = [body[6 + 3 * i : 9 + 3 * i] for i in range(count)]
    h = [c[1] >> 4 for c in comps]
    v = [c[1] & 15 for c in comps]
    if not all(1 <= f <= 4 for f in (*h, *v)):
        return "a sampling factor outside 1–4", None
    if any(max(h) % x for x in h) or any(max(v) % y for y in v):
        return "sampling factors libjpeg cannot upsample (each must divide the largest)", None
    frame = _Frame(
        code == 0xC2, [c[0] for c in comps], h, v, [c[2] for c in comps], [False] * count
    )
    return None, frame


def _dht(body: bytes, tables: _Tables) -> str | None:
    i, rest = 0, len(body)
    while rest > 16:
        index, bits = body[i], body[i + 1 : i + 17]
        count = sum(bits)
        i, rest = i + 17, rest - 17
        if count > 256 or count > rest:
            return f"a table of {count} codes where {min(rest, 256)} at most fit"
        values = body[i : i + count]
        i, rest = i + count, rest - count
        number = index - 0x10 if index & 0x10 else index
        if number > 3:
            return f"a table number {index:#04x} (DC 0–3 or AC 0x10–0x13)"
        (tables.ac if index & 0x10 else tables.dc)[number] = (bits, values)
    if rest:
        return f"{rest} bytes left over after its tables"
    return None


def _dqt(body: bytes, tables: _Tables) -> str | None:
    i = 0
    while i < len(body):
        precision, number = body[i] >> 4, body[i] & 15
        if number > 3:
            return f"a table number {number} (0–3)"
        i += 1 + (128 if precision else 64)
        if i > len(body):
            return "a table is cut short"
        tables.quant[number] = True
    return None


def _dac(body: bytes) -> str | None:
    if len(body) % 2:
        return "its length is odd"
    for i in range(0, len(body), 2):
        index, value = body[i], body[i + 1]
        if index > 7:
            return f"a table number {index} (0–7)"
        if index < 4 and (value & 15) > (value >> 4):
            return f"a DC conditioning value {value:#04x} whose lower bound exceeds its upper"
    return None


def _sos(body: bytes, frame: _Frame, tables: _Tables, scan: int) -> str | None:
    n = body[0] if body else 0
    if len(body) != 2 * n + 4 or not 1 <= n <= 4:
        return "its length does not match its number of components"
    # libjpeg-turbo's lookup (jdmarker.c get_sos), quirks and all: an id among the frame's
    # first four components, each of them taken once, in the frame's order
    slots: list[int | None] = [None] * 4
    members: list[int] = []
    for i in range(n):
        cid = body[1 + 2 * i]
        found = next(
            (
                ci
                for ci in range(min(len(frame.ids), 4))
                if frame.ids[ci] == cid and slots[ci] is None
            ),
            None,
        )
        if found is None or found in members:
            return f"component {cid} is not a component of the frame, or comes twice"
        slots[i] = found
        members.append(found)
    ss, se, ah, al = body[1 + 2 * n], body[2 + 2 * n], body[3 + 2 * n] >> 4, body[3 + 2 * n] & 15
    if n > 1 and sum(frame.h[c] * frame.v[c] for c in members) > MAX_BLOCKS_IN_MCU:
        return f"more than {MAX_BLOCKS_IN_MCU} blocks in one MCU"
    for c in members:
        if not frame.latched[c]:
            q = frame.tq[c]
            if q > 3 or not tables.quant[q]:
                return (
                    f"component {frame.ids[c]} uses quantization table {q}, "
                    f"which is not defined before scan {scan}"
                )
            frame.latched[c] = True
    uses: list[tuple[bool, int]] = []  # (DC?, table number)
    tdc = [body[2 + 2 * i] >> 4 for i in range(n)]
    tac = [body[2 + 2 * i] & 15 for i in range(n)]
    if not frame.progressive:
        for i in range(n):  # a sequential scan: Ss, Se, Ah, Al are not checked (libjpeg warns)
            uses += [(True, tdc[i]), (False, tac[i])]
    else:
        dc_band = ss == 0
        if (
            (dc_band and se != 0)
            or (not dc_band and (ss > se or se > 63 or n != 1))
            or (ah != 0 and al != ah - 1)
            or al > 13
        ):
            return f"progressive parameters libjpeg refuses (Ss={ss}, Se={se}, Ah={ah}, Al={al})"
        if dc_band:
            if ah == 0:  # a DC refinement scan uses no table
                uses += [(True, t) for t in tdc]
        else:
            uses.append((False, tac[0]))
    for dc, number in uses:
        kind = "DC" if dc else "AC"
        table = (tables.dc if dc else tables.ac)[number] if number < 4 else None
        if table is None:
            return f"it uses {kind} Huffman table {number}, which is not defined"
        fault = _huffman_fault(table, dc)
        if fault:
            return f"its {kind} Huffman table {number} is not valid: {fault}"
    return None


def _entropy(w: _Window, pos: int, scan: int, restart: int) -> int | Damage:
    """Past the entropy-coded data of a scan that starts at ``pos``: the offset of the marker
    that ends it, or the damage found in it."""
    start, due = pos, 0
    while True:
        found = w.next_ff(pos)
        if found is None:
            return Damage(
                w.end(),
                f"the file ends in the compressed data of scan {scan} (from byte {start}), "
                "with no end-of-image marker: it is truncated",
            )
        at, code = found
        if at == start:
            return Damage(at, f"scan {scan} has no compressed data")
        if code == 0xFF:
            pos = at + 1
        elif 0xD0 <= code <= 0xD7:
            if not restart:
                return Damage(at, f"a restart marker in scan {scan}, which has no restart interval")
            if code - 0xD0 != due:
                return Damage(
                    at, f"restart marker RST{code - 0xD0} in scan {scan} where RST{due} is due"
                )
            due, pos = (due + 1) & 7, at + 2
        else:
            return at
