"""Tag files as numbered lines in their declared encoding, streamed (never read whole).

Lines end at LF, CR LF or CR. UTF-8 and 8-bit encodings are decoded in large blocks (fast);
UTF-16/32 go through :class:`io.TextIOWrapper`. A line that is not valid text raises
:class:`TagDecodeError` with its line number.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from typing import IO

from .. import limits


class TagDecodeError(Exception):
    def __init__(self, path: str, line: int, encoding: str, reason: str) -> None:
        super().__init__(f"{path}:{line}: not valid {encoding}: {reason}")
        self.path = path
        self.line = line
        self.encoding = encoding
        self.reason = reason


class LineTooLong(TagDecodeError):
    """A line over the ``line-bytes`` limit: reading stops there (memory stays bounded)."""

    code = "tag-line-too-long"

    def __init__(self, path: str, line: int, limit: int) -> None:
        super().__init__(
            path,
            line,
            "text",
            f"a line longer than {limit} bytes, the line-bytes limit "
            "(it can be raised); the rest of the file was not read",
        )


def _strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\n", "\r")):
        return line[:-1]
    return line


def decode_lines(fh: IO[bytes], encoding: str, rel: str) -> Iterator[tuple[int, str]]:
    """Decode a binary stream into numbered lines (see :meth:`BagReader.lines`)."""
    for first, lines in decode_line_blocks(fh, encoding, rel):
        yield from enumerate(lines, first)


def decode_line_blocks(
    fh: IO[bytes], encoding: str, rel: str, take: Callable[[bytes], int] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """:func:`decode_lines` a block at a time: (number of the block's first line, its lines),
    for readers that handle many lines at once (a manifest of a million files). The errors
    are the same, raised after the lines before the faulty one were yielded.

    ``take``: offered the bytes of each block of whole lines of a UTF-8 file before they are
    decoded (no CR, no byte order mark, no line over the limit; each line ends with a line
    feed but maybe the last of the file). It returns how many lines it took — all of them,
    the block is then not yielded (the line numbers of the next ones count them) — or 0: the
    block is decoded, cut into lines and yielded. It must take no line that is not valid
    UTF-8 (such a line is reported with its number)."""
    codec = codecs.lookup(encoding)
    number = 0
    limit = limits.get("line-bytes")
    if codec.name.startswith(("utf-16", "utf-32")):
        wrapper = io.TextIOWrapper(fh, encoding=encoding, newline="", errors="strict")
        try:
            while raw := wrapper.readline(limit + 1):
                if len(raw) > limit and not raw.endswith(("\n", "\r")):
                    raise LineTooLong(rel, number + 1, limit)
                number += 1
                line = _strip_eol(raw)
                if number == 1:
                    line = line.lstrip("\ufeff")
                yield number, [line]
        except UnicodeError as exc:  # UTF-16 without a BOM raises a plain UnicodeError
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise TagDecodeError(rel, number + 1, encoding, reason) from None
        finally:
            wrapper.detach()
        return
    pending = b""
    first = True
    utf8 = codec.name == "utf-8"
    while True:
        block = fh.read(_BLOCK)
        data = pending + block if pending else block
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) > limit:  # CR line endings, or one line too long
                cut = data.rfind(b"\r", 0, len(data) - 1) + 1
                if cut == 0:
                    raise LineTooLong(rel, number + 1, limit)
            if cut == 0:  # no complete line yet
                pending = data
                continue
            pending = data[cut:]
        elif not data:
            return
        else:
            pending = b""
            cut = len(data)
        start = 0
        if first:
            first = False
            if codec.name == "utf-8" and data.startswith(codecs.BOM_UTF8, 0, cut):
                start = 3
        if take is not None and cut - start <= limit and utf8:
            whole = data[start:cut] if start or cut < len(data) else data
            if b"\r" not in whole:
                taken = take(whole)
                if taken:
                    number += taken
                    if not block:
                        return
                    continue
        try:  # the complete lines decoded where they are (not copied out of the block first)
            text = str(memoryview(data)[start:cut], encoding)
        except UnicodeDecodeError:
            text = None
        if text is None:
            _raise_at_line(data[start:cut], encoding, rel, number)
            return
        pieces = text.split("\n")
        if pieces[-1] == "":
            pieces.pop()
        if "\r" in text:  # CR LF endings; a CR inside a line is a line ending too
            lines: list[str] = []
            for line in pieces:
                if line.endswith("\r"):
                    line = line[:-1]
                lines.extend(line.split("\r") if "\r" in line else (line,))
            pieces = lines
        if len(text) > limit and max(map(len, pieces)) > limit:  # (no line longer than all)
            over = next(i for i, line in enumerate(pieces) if len(line) > limit)
            if over:
                yield number + 1, pieces[:over]
            raise LineTooLong(rel, number + over + 1, limit)
        if pieces:
            yield number + 1, pieces
            number += len(pieces)
        if not block:
            return


#: Bytes decoded at a time. 64 KiB keeps the transient block, its text and its lines (and the
#: manifest reader's own pieces of them) under the allocator's 128 KiB threshold for mapping
#: fresh memory: they reuse the same memory block after block instead of each taking (and
#: faulting in) new pages. Reading the manifests of 20,000 files took 8,700 page faults and
#: 22 ms of system time with 1 MiB blocks, 3,900 and 15 ms with 64 KiB (no slower otherwise;
#: 4 MiB blocks cost ~26 MB at a million lines, 1 MiB ~7 MB).
_BLOCK = 64 * 1024


def _raise_at_line(data: bytes, encoding: str, rel: str, before: int) -> None:
    """Find the first undecodable line in ``data`` and raise :class:`TagDecodeError` for it."""
    number = before
    for raw in data.split(b"\n"):
        for piece in raw.rstrip(b"\r").split(b"\r"):
            number += 1
            try:
                piece.decode(encoding)
            except UnicodeDecodeError as exc:
                raise TagDecodeError(rel, number, encoding, exc.reason) from None
    raise TagDecodeError(rel, number, encoding, "undecodable bytes across lines")
