"""Tag files read a block at a time give the same numbered lines whatever the block size.

``decode_line_blocks`` reads 64 KiB at a time (issue 16: small transient blocks reuse memory
instead of faulting in new pages); lines that cross blocks, CR LF pairs cut between two blocks,
lone CRs, a byte order mark, a last line without its end and undecodable or too long lines must
come out as reading the whole file at once would give them.
"""

from __future__ import annotations

import io
import random
import re

import pytest

from bagsmith import limits
from bagsmith.bagit import textlines
from bagsmith.bagit.textlines import LineTooLong, TagDecodeError, decode_line_blocks, decode_lines

PIECES = ["a", "é", "data/x y.txt", "\n", "\r\n", "\r", " ", "0123456789abcdef" * 3, "ű"]


def _whole(data: bytes) -> list[tuple[int, str]]:
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return list(enumerate(lines, 1))


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1024])
@pytest.mark.parametrize("seed", range(8))
def test_lines_are_the_same_whatever_the_block_size(
    block: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 400)))
    data = (b"\xef\xbb\xbf" if seed % 3 == 0 else b"") + text.encode("utf-8")
    monkeypatch.setattr(textlines, "_BLOCK", block)
    got = list(decode_lines(io.BytesIO(data), "utf-8", "t.txt"))
    assert got == _whole(data)
    blocks = list(decode_line_blocks(io.BytesIO(data), "utf-8", "t.txt"))
    assert all(lines for _first, lines in blocks)
    assert [first for first, _lines in blocks] == [
        1 + sum(len(lines) for _f, lines in blocks[:i]) for i in range(len(blocks))
    ]


@pytest.mark.parametrize("block", [3, 64, 65536])
def test_an_undecodable_line_is_named_after_the_lines_before_it(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textlines, "_BLOCK", block)
    data = b"".join(b"line %d\n" % i for i in range(1, 40)) + b"bad \xff\n" + b"after\n"
    seen: list[tuple[int, str]] = []
    with pytest.raises(TagDecodeError) as caught:
        for first, lines in decode_line_blocks(io.BytesIO(data), "utf-8", "t.txt"):
            seen.extend(enumerate(lines, first))
    assert caught.value.line == 40
    assert seen == [(i, f"line {i}") for i in range(1, len(seen) + 1)]


@pytest.mark.parametrize("block", [5, 64, 65536])
def test_a_line_over_the_limit_stops_reading_at_its_number(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textlines, "_BLOCK", block)
    limits.configure({"line-bytes": 100})
    try:
        data = b"short\n" * 3 + b"x" * 150 + b"\nnext\n"
        seen: list[tuple[int, str]] = []
        with pytest.raises(LineTooLong) as caught:
            for first, lines in decode_line_blocks(io.BytesIO(data), "utf-8", "t.txt"):
                seen.extend(enumerate(lines, first))
    finally:
        limits.reset()
    assert caught.value.line == 4
    assert seen == [(1, "short"), (2, "short"), (3, "short")]
