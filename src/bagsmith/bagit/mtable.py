"""Manifests read into one compact table: path → listed-in mask + every digest as raw bytes.

Memory per listed file is the path string plus one ``bytes`` object (one mask byte and each
algorithm's digest as raw bytes, not hex) in a dict: ~230 bytes with sha256 + sha512. Above
:data:`COMPACT_FROM_BYTES` of manifests the table is a :class:`CompactEntries` instead: every
path and value back to back in flat buffers, ~135 bytes per entry, for a few µs more per
entry (docs/benchmarks.md). Manifests are read line by line, never
whole.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, cast, overload

from .. import fixity
from ..problems import Report, Severity
from .manifest import LineProblem, decode_path, parse_line, unsafe_reason

if TYPE_CHECKING:  # a CompactEntries imports it (very many files): `validate` starts without
    from array import array

#: Payload manifests larger than this (in all) are read into a :class:`CompactEntries`: about
#: 200,000 files with sha256 + sha512 (below, the dict is faster and memory is no concern).
COMPACT_FROM_BYTES = 48 * 1024 * 1024


class ManifestTable:
    """Every path listed by a set of manifests (payload or tag), with the digests they give."""

    def __init__(
        self,
        manifests: Iterable[tuple[str, str]],
        *,
        payload: bool,
        duplicate_is_error: bool = False,
        compact: bool = False,
        digests: bool = True,
    ) -> None:
        """``manifests``: (algorithm, manifest file name) pairs, loaded in this order.

        ``duplicate_is_error``: a path listed twice with the same digest is an error (BagIt
        1.0, as bagit-python and the LoC conformance suite judge it), else a warning.
        ``compact``: keep the entries in a :class:`CompactEntries` (very many files).
        ``digests=False``: keep only where each path is listed (the mask), for a caller that
        compares no digest (``--fast``); the digests are still checked for their form, and a
        line whose digest matters (a path listed again in the same manifest: the same digest
        or another?) raises :class:`NeedDigests`: load again after :meth:`keep_digests`."""
        self.duplicate_severity = Severity.ERROR if duplicate_is_error else None
        pairs = list(manifests)
        self.algorithms: tuple[str, ...] = tuple(a for a, _ in pairs)
        self.manifest_names: list[str] = [n for _, n in pairs]
        self.payload = payload
        self.full_mask = (1 << len(self.algorithms)) - 1
        self._compact = compact
        self._layout(digests)

    def _layout(self, digests: bool) -> None:
        """Where each digest goes in an entry's value (none without ``digests``), and an
        empty table."""
        self.digests = digests
        self.offsets: list[int] = []
        offset = 1
        for alg in self.algorithms:
            self.offsets.append(offset)
            offset += fixity.SUPPORTED[alg] // 2 if digests else 0
        self.width = offset
        self.entries: dict[str, bytes] | CompactEntries = (
            CompactEntries(self.width) if self._compact else {}
        )
        #: undecoded path → decoded path, for paths with '%' (peers that do not encode '%')
        self.raw_names: dict[str, str] = {}
        # while a manifest is loaded (:meth:`_begin`): whether the table holds its paths only;
        # the table's paths in order, and how many of them it listed so far in that order
        self._alone = False
        self._keys: list[str] | None = None
        self._pos = 0
        self._bit = 0

    def keep_digests(self) -> None:
        """Empty the table and keep every digest from now on (after :class:`NeedDigests`)."""
        self._layout(True)

    def load(self, index: int, blocks: Iterable[tuple[int, list[str]]], report: Report) -> None:
        """Read the ``index``-th manifest from its lines, given a block at a time: (number of
        the block's first line, its lines), as :meth:`BagReader.line_blocks` reads them."""
        name = self.manifest_names[index]
        alg = self.algorithms[index]
        bit = 1 << index
        start = self.offsets[index]
        end = start + fixity.SUPPORTED[alg] // 2 if self.digests else start
        entries = self.entries
        blank = bytes(self.width)
        markers = 0
        first_marker = 0
        dotted = 0
        first_dotted = 0
        need_data = self.payload
        head = bytes((bit,)) + blank[1:start]
        tail = blank[end:]
        fullmatch = None
        fromhex = bytes.fromhex if self.digests else _no_digest
        get = entries.get
        self._begin(bit)
        for first, lines in blocks:
            if self.payload and self._load_block(lines, bit, start, end):
                continue
            self._unfollow()
            if fullmatch is None:  # (compiled once lines are read one by one)
                fullmatch = _plain_line(fixity.SUPPORTED[alg])
            for number, text in enumerate(lines, first):
                m = fullmatch(text)
                if m is not None:
                    # the common case: a well-formed line, a plain safe path, nothing to decode
                    hexdigest, path = m.groups()
                    if (
                        ".." not in path
                        and path[1:2] != ":"
                        and (not need_data or path.startswith("data/"))
                    ):
                        old = get(path)
                        if old is None:
                            entries[path] = head + fromhex(hexdigest) + tail
                            continue
                        if not old[0] & bit:
                            entries[path] = b"".join(
                                (
                                    bytes((old[0] | bit,)),
                                    old[1:start],
                                    fromhex(hexdigest),
                                    old[end:],
                                )
                            )
                            continue
                if not text:
                    continue
                parsed = parse_line(text)
                if isinstance(parsed, LineProblem):
                    report.add(parsed.code, parsed.message, name, number)
                    continue
                if parsed.binary_marker:
                    markers += 1
                    first_marker = first_marker or number
                if parsed.dot_slash:
                    dotted += 1
                    first_dotted = first_dotted or number
                if not fixity.is_valid_digest(alg, parsed.digest):
                    report.add(
                        "manifest-digest-malformed",
                        f"{parsed.digest!r} is not a {alg} digest",
                        name,
                        number,
                    )
                    continue
                path = parsed.path
                reason = unsafe_reason(path)
                if reason is not None:
                    report.add("manifest-path-unsafe", f"{path!r}: {reason}", name, number)
                    continue
                if self.payload and not path.startswith("data/"):
                    report.add(
                        "manifest-path-outside-payload",
                        f"{path!r} is not under data/",
                        name,
                        number,
                    )
                    continue
                if "%" in text:
                    raw = _raw_path(text)
                    if raw is not None and raw != path:
                        self.raw_names[raw] = path
                digest = fromhex(parsed.digest)
                old = entries.get(path)
                if old is None:
                    entries[path] = b"".join((bytes((bit,)), blank[1:start], digest, blank[end:]))
                elif old[0] & bit:
                    if not self.digests:
                        raise NeedDigests(path)  # the same digest, or another?
                    if old[start:end] == digest:
                        report.add(
                            "manifest-duplicate-entry",
                            f"{path} is listed twice with the same digest"
                            + (" (an error in BagIt 1.0)" if self.duplicate_severity else ""),
                            name,
                            number,
                            severity=self.duplicate_severity,
                        )
                    else:
                        report.add(
                            "manifest-conflicting-entry",
                            f"{path} is listed again with a different digest "
                            f"({old[start:end].hex()} before, {parsed.digest} here)",
                            name,
                            number,
                        )
                else:
                    entries[path] = b"".join(
                        (bytes((old[0] | bit,)), old[1:start], digest, old[end:])
                    )
        self._unfollow()
        if markers:
            report.add(
                "manifest-binary-marker",
                f"{markers} line(s) use the md5sum '*' binary marker (read as part of the "
                "separator, not of the name)",
                name,
                first_marker,
            )
        if dotted:
            report.add(
                "manifest-path-dot-slash",
                f"{dotted} line(s) write the path as './…'; RFC 8493 paths are relative to the "
                "bag and start with the name itself (read without the './')",
                name,
                first_dotted,
            )

    def taker(self, index: int) -> Callable[[bytes], int] | None:
        """For :func:`~bagsmith.bagit.textlines.decode_line_blocks` (``take=``) while the
        ``index``-th manifest is read by :meth:`load`: a block of plain payload lines taken
        from its bytes, without decoding it and cutting it into lines first (see
        :meth:`_take`)."""
        if not self.payload:
            return None
        bit = 1 << index
        start = self.offsets[index]
        end = start + fixity.SUPPORTED[self.algorithms[index]] // 2 if self.digests else start
        return partial(self._take, bit, start, end)

    def _load_block(self, lines: list[str], bit: int, start: int, end: int) -> bool:
        """Load a block of payload manifest lines with a few passes in C, when every line is
        plain: the digest, the white space of the first line, then ``data/…`` with no '%',
        NUL or '..' (what :meth:`load` reads line by line to the same entries), each path
        listed once, all new to the table or all listed by other manifests only. Otherwise
        load nothing and return False: the block is read line by line, with every check.

        Each line is cut in two: its digest and separator (``heads``, all of one width) and
        its path. The separators are checked in place (every ``cut``-th character), the
        digests decoded at once (``bytes.fromhex`` skips the separators, white space between
        two digests: a digest with white space in it decodes to fewer bytes), and the entries'
        values built in one buffer of records (:meth:`_store`).
        """
        n = len(lines)
        hexw = fixity.SUPPORTED[self.algorithms[bit.bit_length() - 1]]
        first = lines[0]
        sep = first[hexw : len(first) - len(first[hexw:].lstrip(" \t"))]
        if not sep:
            return False
        cut = hexw + len(sep)
        heads = "".join(map(itemgetter(slice(cut)), lines))
        if len(heads) != n * cut:
            return False  # a line shorter than a digest and its separator
        for k, char in enumerate(sep):
            if heads[hexw + k :: cut] != char * n:
                return False
        try:
            digests = bytes.fromhex(heads)  # anything but hex digits and the separators: refused
        except ValueError:
            return False
        if 2 * len(digests) != n * hexw:
            return False  # white space inside a digest
        paths = list(map(itemgetter(slice(cut, None)), lines))
        joined = "\n".join(paths)  # (no path holds a line feed)
        if not joined.startswith("data/") or joined.count("\ndata/") != n - 1:
            return False
        if "%" in joined or "\x00" in joined:
            return False
        if ".." in joined:
            return False
        return self._store(paths, digests, bit, start, end)

    def _take(self, bit: int, start: int, end: int, data: bytes) -> int:
        """Load a block of payload manifest lines from its bytes (UTF-8; each line ends with a
        line feed, but maybe the last one of the file; no CR) when every line is plain (as
        :meth:`_load_block` takes them) and return how many lines it held; else load nothing
        and return 0 (the block is then decoded, cut into lines and given to :meth:`load`).

        The lines are found by ``BytesIO.readlines`` (``memchr``: a fourth of the cost of
        ``str.split`` a character), each cut in two as :meth:`_load_block` does, and only
        the paths are decoded (the digests are hex digits or refused), all at once.
        """
        lines = io.BytesIO(data).readlines()
        n = len(lines)
        hexw = fixity.SUPPORTED[self.algorithms[bit.bit_length() - 1]]
        after = lines[0][hexw : hexw + 8]
        sep = after[: len(after) - len(after.lstrip(b" \t"))]
        if not sep:
            return 0
        cut = hexw + len(sep)
        heads = b"".join(map(itemgetter(slice(cut)), lines))
        if len(heads) != n * cut:
            return 0  # a line shorter than a digest and its separator
        try:  # (anything but hex digits and white space: refused, UTF-8 or not)
            digests = bytes.fromhex(heads.decode("ascii"))
        except ValueError:
            return 0
        if 2 * len(digests) != n * hexw:
            # white space inside a digest, or digits where a separator is (so each line's
            # separator is white space of the first one's width, whatever it is made of: a
            # line read by itself gives the same digest and path)
            return 0
        try:  # each path with its line feed, decoded at once
            text = b"".join(map(itemgetter(slice(cut, None)), lines)).decode("utf-8")
        except UnicodeDecodeError:
            return 0
        if "%" in text or "\x00" in text:
            return 0
        paths = text.split("\n")
        if len(paths) > n:
            paths.pop()  # (the block ends with a line feed)
        if self._follows(paths):
            return n
        if not text.startswith("data/") or text.count("\ndata/") != n - 1:
            return 0
        if ".." in text:
            return 0
        return n if self._store(paths, digests, bit, start, end) else 0

    def _follows(self, paths: list[str]) -> bool:
        """Whether PATHS are the table's next paths in its order, for a manifest without
        digests that lists what the table holds in the same order (the common case: its
        manifests list the same files in the same order). They are marked as listed in it
        at the end, in one pass (:meth:`_unfollow`); a block that does not follow marks
        those followed so far, and ends the following."""
        keys = self._keys
        if keys is None:
            return False
        pos = self._pos
        if keys[pos : pos + len(paths)] == paths:
            self._pos = pos + len(paths)
            return True
        self._unfollow()
        return False

    def _begin(self, bit: int) -> None:
        """Before a manifest is loaded: whether the table holds only its paths (it is the
        first), or which paths it may list in the same order (a table without digests)."""
        entries = self.entries
        self._alone = not entries
        self._keys = None
        self._pos = 0
        self._bit = bit
        if entries and not self.digests and isinstance(entries, dict):
            self._keys = list(entries)

    def _unfollow(self) -> None:
        """Mark the paths this manifest listed in the table's order so far (:meth:`_store`)
        as listed in it, and stop following that order."""
        keys, pos = self._keys, self._pos
        self._keys = None
        self._pos = 0
        if keys is None or not pos:
            return
        entries = cast(dict[str, bytes], self.entries)
        bit = self._bit
        if pos == len(keys):
            masks = set(entries.values())  # (shared 1-byte values)
            if len(masks) == 1:  # the common case: every path in the same manifests
                value = _BYTE[next(iter(masks))[0] | bit]
                fresh = dict.fromkeys(entries, value)  # (a dict's keys: with their hashes)
                entries.clear()
                entries.update(fresh)  # (into an empty dict: its keys copied at once)
                return
        entries.update({path: _BYTE[entries[path][0] | bit] for path in keys[:pos]})

    def _store(self, paths: list[str], digests: bytes, bit: int, start: int, end: int) -> bool:
        """Put a block of plain lines' paths and raw digests in the table (the ``bit``-th
        manifest's, its digests between ``start`` and ``end`` of a value): see
        :meth:`_load_block`. False: nothing loaded (a path listed again, or some new and
        some known): the block is read line by line."""
        n = len(paths)
        size = end - start  # 0: a table without digests
        entries = self.entries
        width = self.width
        if not size and isinstance(entries, dict):
            if self._follows(paths):
                return True
            if self._alone:  # the table holds this manifest's paths only
                known = len(entries)
                entries.update(zip(paths, repeat(_BYTE[bit])))  # (no dict of the block first)
                if len(entries) != known + n:
                    # a path listed twice in this manifest: the same digest, or another?
                    raise NeedDigests("a path listed twice")
                return True
        olds = list(map(entries.get, paths))
        missing = olds.count(None)
        if missing and missing != n:
            return False
        fresh: dict[str, bytes]
        if not size:  # no digests kept (their form is checked): a value is its mask alone
            if missing:
                fresh = dict.fromkeys(paths, _BYTE[bit])
            else:
                listed = cast(list[bytes], olds)  # (none missing)
                kinds = set(listed)
                if any(old[0] & bit for old in kinds):
                    return False  # listed twice in this manifest: reported line by line
                if len(kinds) == 1:  # the common case: every path in the same manifests
                    fresh = dict.fromkeys(paths, _BYTE[listed[0][0] | bit])
                else:
                    ored = [_BYTE[old[0] | bit] for old in listed]
                    fresh = dict(zip(paths, ored, strict=True))
        else:
            if missing:
                buffer = bytearray(n * width)
                buffer[::width] = _BYTE[bit] * n
            else:
                buffer = bytearray(b"".join(olds))  # type: ignore[arg-type]
                masks = buffer[::width]
                if any(mask & bit for mask in set(masks)):
                    return False  # listed twice in this manifest: reported line by line
                buffer[::width] = masks.translate(_WITH_BIT[bit])
            for k in range(size):  # each record's digest, byte by byte across the records
                buffer[start + k :: width] = digests[k::size]
            records = bytes(buffer)
            if len(records) != n * width:
                return False
            values = [records[i : i + width] for i in range(0, n * width, width)]
            fresh = dict(zip(paths, values, strict=True))
        if len(fresh) != n:
            return False  # listed twice in this block: reported line by line
        if isinstance(entries, dict):
            entries.update(fresh)
        else:
            for path, value in fresh.items():
                entries[path] = value
        return True

    def mismatches(self, value: bytes, computed: Sequence[bytes]) -> list[tuple[str, str, str]]:
        """(algorithm, expected hex, actual hex) for each listed digest that differs;
        ``computed``: the raw digests, in the order of :attr:`algorithms`."""
        out = []
        mask = value[0]
        for i, actual in enumerate(computed):
            if mask & (1 << i):
                start = self.offsets[i]
                expected = value[start : start + len(actual)]
                if expected != actual:
                    out.append((self.algorithms[i], expected.hex(), actual.hex()))
        return out

    def portable_twins(self) -> dict[str, list[tuple[str, bytes]]]:
        """Entries whose names differ only by Unicode normalization or by case: each such path
        → the other paths of its group with their values. Empty for almost every bag."""
        groups: dict[str, list[str]] = {}
        if isinstance(self.entries, dict):
            # checked at once: all ASCII, and no two alike ignoring case (no upper case at all:
            # lower() of ASCII is a table lookup a character, islower() a search of the
            # Unicode database; a name with no letter is its own lower case too)
            joined = "\x00".join(self.entries)  # (no path holds a NUL)
            if joined.isascii() and (
                joined.lower() == joined
                or len(set(map(str.lower, self.entries))) == len(self.entries)
            ):
                return {}
            first: dict[str, str] = {}
            for path in self.entries:
                key = _portable_key(path)
                seen = first.setdefault(key, path)
                if seen is not path:
                    groups.setdefault(key, [seen]).append(path)
        else:
            groups = self._twin_groups()
        twins: dict[str, list[tuple[str, bytes]]] = {}
        for names in groups.values():
            for path in names:
                twins[path] = [(n, self.entries[n]) for n in names if n != path]
        return twins

    def _twin_groups(self) -> dict[str, list[str]]:
        """:meth:`portable_twins`'s groups without a dict of every name (a compact table): a
        first pass marks each name's key hash in a bit set (8 MiB) and notes the hashes seen
        twice; a second pass groups only the names with such a hash."""
        bits = bytearray(_TWIN_BITS >> 3)
        mask = _TWIN_BITS - 1
        repeated: set[int] = set()
        for path in self.entries:
            h = hash(_portable_key(path))
            i = h & mask
            if bits[i >> 3] & (1 << (i & 7)):
                repeated.add(h)
            else:
                bits[i >> 3] |= 1 << (i & 7)
        del bits
        groups: dict[str, list[str]] = {}
        if repeated:
            for path in self.entries:
                key = _portable_key(path)
                if hash(key) in repeated:
                    groups.setdefault(key, []).append(path)
        return {key: names for key, names in groups.items() if len(names) > 1}

    def same_digests(self, a: bytes, b: bytes) -> bool:
        """Whether two entries give the same digest for every algorithm both list."""
        for i, alg in enumerate(self.algorithms):
            if a[0] & b[0] & (1 << i):
                start = self.offsets[i]
                end = start + fixity.SUPPORTED[alg] // 2
                if a[start:end] != b[start:end]:
                    return False
        return True

    def disagreements(self) -> Iterator[tuple[str, list[str], list[str]]]:
        """(path, manifests listing it, manifests not listing it) for incomplete entries."""
        if len(self.algorithms) < 2:
            return
        full = self.full_mask
        if isinstance(self.entries, dict):
            if not self.digests:  # a value is one of the shared masks: compared by identity
                if list(self.entries.values()).count(_BYTE[full]) == len(self.entries):
                    return  # every entry in every manifest: checked at once
            else:
                masks = bytes(map(_first, self.entries.values()))
                if masks.count(full) == len(masks):
                    return  # every entry in every manifest: checked at once
        for path, value in self.entries.items():
            mask = value[0]
            if mask != full:
                having = [n for i, n in enumerate(self.manifest_names) if mask & (1 << i)]
                missing = [n for i, n in enumerate(self.manifest_names) if not mask & (1 << i)]
                yield path, having, missing


def _plain_line(hexw: int) -> Callable[[str], re.Match[str] | None]:
    """A well-formed manifest line with a digest of HEXW hex digits and a plain path (no
    '%', NUL, or first character that needs a check): its ``fullmatch``, compiled once."""
    fullmatch = _PLAIN_LINES.get(hexw)
    if fullmatch is None:
        pattern = r"([0-9A-Fa-f]{" + str(hexw) + r"})[ \t]+([^ \t*./\\~%][^%\x00]*)"
        fullmatch = _PLAIN_LINES[hexw] = re.compile(pattern).fullmatch
    return fullmatch


_PLAIN_LINES: dict[int, Callable[[str], re.Match[str] | None]] = {}


class NeedDigests(Exception):
    """A table without digests met a line whose digest matters (see :class:`ManifestTable`)."""


def _no_digest(hexdigest: str) -> bytes:
    """What a table without digests keeps of a digest (its form is checked before)."""
    return b""


_TWIN_BITS = 1 << 26
_BYTE = [bytes((i,)) for i in range(256)]
_first = itemgetter(0)
#: translation tables setting one bit (a manifest's) in every mask byte
_WITH_BIT = {1 << i: bytes(m | 1 << i for m in range(256)) for i in range(8)}


def _portable_key(path: str) -> str:
    """The same for two names that differ only by case or Unicode normalization."""
    if path.isascii():
        return path.lower()
    import unicodedata  # (only for names that are not ASCII: most bags never load it)

    return unicodedata.normalize("NFC", path).casefold()


def _raw_path(text: str) -> str | None:
    m = re.match(r"^[0-9A-Za-z]+[ \t]+\*?(.*)$", text, re.DOTALL)  # (compiled once, by re)
    if m is None:
        return None
    raw = m.group(1)
    while raw.startswith("./"):
        raw = raw[2:]
    return raw if decode_path(raw) != raw else None


class _Missing:
    """No default given to :meth:`CompactEntries.pop`."""


_MISSING = _Missing()
_ROWS_BITS = 16  # rows per chunk of CompactEntries: 2 ** 16
_ROWS_MASK = (1 << _ROWS_BITS) - 1


class CompactEntries:
    """A ``dict[str, bytes]`` of fixed-width values, for very many entries, in flat buffers.

    Each entry costs its UTF-8 path, its value, and ~18 bytes of bookkeeping (the end of its
    path, 32 bits of its hash, two or four hash-table slots of 4 bytes), instead of two
    Python objects and a dict slot (~100 bytes more). Rows are kept in chunks of 65,536, so
    no buffer is ever copied whole to grow. Only what the validator needs of a dict: lookup,
    insert, replace, removal, iteration in insertion order, length.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self._values: list[bytearray] = []  # one per chunk, width bytes per row
        self._paths: list[bytearray] = []  # one per chunk: UTF-8 paths back to back
        self._ends: list[array[int]] = []  # one per chunk: where each row's path ends
        from array import array  # (here, not at the top: few bags need a compact table)

        self._hashes = array("I")  # the low 32 bits of each row's hash
        self._alive = bytearray()  # 1 per row still in the table
        self._slots = array("i", [-1]) * 16  # open addressing (linear probing): row or -1
        self._live = 0

    def _path(self, row: int) -> bytearray:
        chunk, r = row >> _ROWS_BITS, row & _ROWS_MASK
        ends = self._ends[chunk]
        return self._paths[chunk][ends[r - 1] if r else 0 : ends[r]]

    def _value(self, row: int) -> bytes:
        w = self.width
        start = (row & _ROWS_MASK) * w
        return bytes(self._values[row >> _ROWS_BITS][start : start + w])

    def _find(self, key: str, encoded: bytes | None = None) -> tuple[int, int]:
        """(slot, row) of KEY's row (alive or removed), or (free slot, -1)."""
        h = hash(key) & 0xFFFFFFFF
        slots = self._slots
        hashes = self._hashes
        mask = len(slots) - 1
        i = h & mask
        while True:
            row = slots[i]
            if row < 0:
                return i, -1
            if hashes[row] == h:
                if encoded is None:
                    encoded = key.encode("utf-8", "surrogateescape")
                if self._path(row) == encoded:
                    return i, row
            i = (i + 1) & mask

    def _row(self, key: str) -> int:
        row = self._find(key)[1]
        return row if row >= 0 and self._alive[row] else -1

    def __len__(self) -> int:
        return self._live

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._row(key) >= 0

    def get(self, key: str, default: bytes | None = None) -> bytes | None:
        row = self._row(key)
        return default if row < 0 else self._value(row)

    def __getitem__(self, key: str) -> bytes:
        row = self._row(key)
        if row < 0:
            raise KeyError(key)
        return self._value(row)

    def __setitem__(self, key: str, value: bytes) -> None:
        w = self.width
        if len(value) != w:
            raise ValueError(f"a value of {len(value)} bytes in a table of {w}")
        encoded = key.encode("utf-8", "surrogateescape")
        slot, row = self._find(key, encoded)
        if row < 0:
            row = len(self._hashes)
            r = row & _ROWS_MASK
            if not r:
                from array import array

                self._values.append(bytearray(w << _ROWS_BITS))
                self._paths.append(bytearray())
                self._ends.append(array("I"))
            paths = self._paths[-1]
            paths += encoded
            self._ends[-1].append(len(paths))
            self._hashes.append(hash(key) & 0xFFFFFFFF)
            self._alive.append(0)
            self._slots[slot] = row
            if 2 * len(self._hashes) > len(self._slots):
                self._grow()
        start = (row & _ROWS_MASK) * w
        self._values[row >> _ROWS_BITS][start : start + w] = value
        if not self._alive[row]:
            self._alive[row] = 1
            self._live += 1

    def _grow(self) -> None:
        from array import array

        slots = array("i", [-1]) * (2 * len(self._slots))
        mask = len(slots) - 1
        for row, h in enumerate(self._hashes):
            i = h & mask
            while slots[i] >= 0:
                i = (i + 1) & mask
            slots[i] = row
        self._slots = slots

    @overload
    def pop(self, key: str) -> bytes: ...

    @overload
    def pop(self, key: str, default: bytes | None) -> bytes | None: ...

    def pop(self, key: str, default: bytes | _Missing | None = _MISSING) -> bytes | None:
        row = self._row(key)
        if row < 0:
            if isinstance(default, _Missing):
                raise KeyError(key)
            return default
        self._alive[row] = 0
        self._live -= 1
        return self._value(row)

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def _rows(self) -> Iterator[tuple[int, str]]:
        alive = self._alive
        for chunk, (paths, ends) in enumerate(zip(self._paths, self._ends, strict=True)):
            base = chunk << _ROWS_BITS
            start = 0
            for r, end in enumerate(ends):
                if alive[base + r]:
                    yield base + r, paths[start:end].decode("utf-8", "surrogateescape")
                start = end

    def __iter__(self) -> Iterator[str]:
        return (key for _row, key in self._rows())

    def keys(self) -> Iterator[str]:
        return iter(self)

    def items(self) -> Iterator[tuple[str, bytes]]:
        return ((key, self._value(row)) for row, key in self._rows())

    def clear(self) -> None:
        self.__init__(self.width)  # type: ignore[misc]
