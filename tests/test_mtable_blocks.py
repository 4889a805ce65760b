"""Manifests read a block of lines at a time load exactly what line-by-line reading loads.

``ManifestTable.load`` takes plain blocks of payload lines in a few passes in C (issue 16: the
manifest parse was ~1.5 µs a line) and falls back to reading a block line by line, with every
check, when any line of it is not plain or a path is listed again. Here random manifests with
every kind of line — duplicates within a block and across blocks, conflicting digests, paths
only one manifest lists, tabs, upper-case hex, '%', '..', './', '*', bad digests — cut into
random blocks, must give the same entries and the same problems as the line-by-line reader;
a table without digests (``--fast``), the same masks and problems as one with them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator

import pytest

from bagsmith.bagit.mtable import CompactEntries, ManifestTable, NeedDigests
from bagsmith.problems import Report

ALGS = (("sha512", "manifest-sha512.txt"), ("sha256", "manifest-sha256.txt"))


def _digest(alg: str, path: str, salt: int = 0) -> str:
    return hashlib.new(alg, f"{path}{salt}".encode()).hexdigest()


def _manifest(rng: random.Random, alg: str, paths: list[str], odd: float) -> list[str]:
    lines = []
    for path in paths:
        digest = _digest(alg, path)
        sep = "  "
        if rng.random() < odd:
            kind = rng.randrange(12)
            if kind == 0:
                lines.append(f"{digest}  {path}")  # listed twice, same digest
            elif kind == 1:
                lines.append(f"{_digest(alg, path, 1)}  {path}")  # listed again, other digest
            elif kind == 2:
                sep = "\t"
            elif kind == 3:
                digest = digest.upper()
            elif kind == 4:
                path = path.replace("data/", "data/100%25 ", 1)
            elif kind == 5:
                path = "./" + path
            elif kind == 6:
                sep = " *"
            elif kind == 7:
                digest = digest[:-1] + "g"
            elif kind == 8:
                digest = digest[:-2]
            elif kind == 9:
                path = path.replace("data/", "data/../", 1)
            elif kind == 10:
                lines.append("")
            else:
                path = "tagfile.txt"
        lines.append(f"{digest}{sep}{path}")
    return lines


def _blocks(rng: random.Random, lines: list[str]) -> list[tuple[int, list[str]]]:
    out = []
    i = 0
    while i < len(lines):
        n = rng.randint(1, 60)
        out.append((i + 1, lines[i : i + n]))
        i += n
    return out


Block = tuple[int, list[str]]
Loaded = tuple[dict[str, bytes], list[tuple[str, str, str | None, int | None]], dict[str, str]]


def _load(
    manifests: list[list[tuple[int, list[str]]]], compact: bool, digests: bool = True
) -> Loaded | None:
    """What a table loads from these manifests; None: a table without digests gave up."""
    table = ManifestTable(
        ALGS, payload=True, duplicate_is_error=True, compact=compact, digests=digests
    )
    report = Report("bag")
    try:
        for index, blocks in enumerate(manifests):
            table.load(index, iter(blocks), report)
    except NeedDigests:
        return None
    problems = [(p.code, p.message, p.path, p.line) for p in report]
    return dict(table.entries.items()), problems, table.raw_names


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("digests", [True, False])
def test_blocks_load_what_lines_load(
    seed: int, compact: bool, digests: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    paths = [f"data/{rng.choice('abc')}/{i:04d}-{rng.choice(['x', 'é', 'Ab'])}" for i in range(400)]
    odd = rng.choice([0.0, 0.0, 0.002, 0.01, 0.05])
    manifests = []
    for alg, _name in ALGS:
        listed = [p for p in paths if rng.random() > (0.003 if seed % 3 else 0.0)]
        if seed % 4 == 1:
            rng.shuffle(listed)
        manifests.append(_blocks(rng, _manifest(rng, alg, listed, odd)))
    calls: list[bool] = []
    real = ManifestTable._load_block

    def spy(self: ManifestTable, *args: object) -> bool:
        took = real(self, *args)  # type: ignore[arg-type]
        calls.append(took)
        return took

    monkeypatch.setattr(ManifestTable, "_load_block", spy)
    got = _load(manifests, compact, digests)
    monkeypatch.setattr(ManifestTable, "_load_block", lambda *_args: False)
    want = _load(manifests, compact, digests)
    assert got == want
    if odd == 0.0 and seed % 3 == 0:  # plain lines, both manifests list every path
        assert calls and all(calls)  # so every block is taken in bulk
    if not digests:  # the same masks and problems as with digests, unless it gave up
        full = _load(manifests, compact)
        assert full is not None
        repeated = {"manifest-duplicate-entry", "manifest-conflicting-entry"}
        if got is None:  # only for a path listed twice in one manifest
            assert repeated & {code for code, *_ in full[1]}
        else:
            masks = {path: value[:1] for path, value in full[0].items()}
            assert got == (masks, full[1], full[2])


def test_a_block_of_plain_lines_is_taken_whole_and_checked() -> None:
    table = ManifestTable(ALGS, payload=True)
    lines = [f"{_digest('sha512', p)}  {p}" for p in ("data/a", "data/b")]
    assert table._load_block(lines, 1, 1, 65)
    lines256 = [f"{_digest('sha256', p)}\t\t{p}" for p in ("data/b", "data/a")]
    assert table._load_block(lines256, 2, 65, 97)
    assert set(table.entries) == {"data/a", "data/b"}
    value = table.entries["data/a"]
    assert value[0] == 3
    assert value[1:65].hex() == _digest("sha512", "data/a")
    assert value[65:97].hex() == _digest("sha256", "data/a")
    # listed again (same manifest), listed twice in one block, a partly new block: refused whole
    assert not table._load_block(lines256[:1], 2, 65, 97)
    fresh = ManifestTable(ALGS, payload=True)
    twice = [f"{_digest('sha512', 'data/c')}  data/c"] * 2
    assert not fresh._load_block(twice, 1, 1, 65)
    assert not fresh.entries
    assert fresh._load_block(twice[:1], 1, 1, 65)
    mixed = [f"{_digest('sha512', p)}  {p}" for p in ("data/c", "data/d")]
    assert not fresh._load_block(mixed, 1, 1, 65)
    assert list(fresh.entries) == ["data/c"]
    # a digest with white space in it, one too short, not hex: never taken in bulk
    good = _digest("sha512", "data/e")
    for digest in (good[:10] + " " + good[11:], good[:-1], good[:-1] + "z"):
        assert not fresh._load_block([f"{digest}  data/e", f"{good}  data/f"], 1, 1, 65)


def test_the_compact_table_takes_blocks_too() -> None:
    table = ManifestTable(ALGS, payload=True, compact=True)
    assert isinstance(table.entries, CompactEntries)
    lines = [f"{_digest('sha512', f'data/{i}')}  data/{i}" for i in range(50)]
    assert table._load_block(lines, 1, 1, 65)
    assert len(table.entries) == 50
    assert table.entries.get("data/7") == b"\x01" + bytes.fromhex(
        _digest("sha512", "data/7")
    ) + bytes(32)


def _text_line(rng: random.Random, alg: str, path: str, odd: float) -> list[str]:
    """A manifest line as text, sometimes odd in a way that could put the fields of a block's
    text out of step with its lines (white space where a separator may be found)."""
    digest = _digest(alg, path)
    if rng.random() >= odd:
        return [f"{digest}  {path}"]
    kind = rng.randrange(17)
    if kind == 0:
        return [f"{digest}  {path} "]  # white space at the end of the path
    if kind == 1:
        return [f"{digest}  {path}   "]
    if kind == 2:
        return [f"{digest}  {path.replace('/', '  /', 1)}"]  # a separator inside the path
    if kind == 3:
        return [digest, path]  # the digest and the path on two lines
    if kind == 4:
        return [f"{digest}  {path}  {digest}", path]
    if kind == 5:
        return [f" {digest}  {path}"]
    if kind == 6:
        return [f"{digest[:64]}  {digest[64:]}  {path}"]
    if kind == 7:
        return [f"{digest}   {path}"]  # a wider separator than the first line's
    if kind == 8:
        return [f"{digest}\t{path}"]
    if kind == 9:
        return ["", f"{digest}  {path}"]
    if kind == 10:
        return [f"{digest}  {path}", f"{digest}  {path}"]  # listed twice
    if kind == 11:
        return [f"{digest}x  {path}"]
    if kind == 12:
        return [f"{digest[:-2]}  {path}"]
    if kind == 13:
        return [f"{digest}  data/a%25b{path[4:]}"]
    if kind == 14:
        return [f"{digest}  {path}\r"]  # a CR: never taken from the text
    if kind == 15:
        return [f"{digest}  {path}\udcff"]  # not UTF-8 (written with surrogateescape)
    return [f"{digest}  ", f"  {path}"]


def _load_text(
    texts: list[bytes],
    digests: bool,
    take: bool,
    block: int,
    monkeypatch: pytest.MonkeyPatch,
    compact: bool = False,
) -> Loaded | None:
    """What a table loads from the manifests' bytes read by ``decode_line_blocks`` in blocks
    of BLOCK bytes, offering their text to the table (``take``) or not (line by line)."""
    import io

    from bagsmith.bagit import textlines

    monkeypatch.setattr(textlines, "_BLOCK", block)
    table = ManifestTable(
        ALGS, payload=True, duplicate_is_error=True, digests=digests, compact=compact
    )
    if not take:
        monkeypatch.setattr(table, "_load_block", lambda *_args: False)
    report = Report("bag")

    def blocks(data: bytes, taker: Callable[[bytes], int] | None) -> Iterator[Block]:
        try:  # (as the validator reads them: a line that is not UTF-8 ends the file)
            yield from textlines.decode_line_blocks(io.BytesIO(data), "utf-8", "m", taker)
        except textlines.TagDecodeError as exc:
            report.add("tag-file-undecodable", exc.reason, "m", exc.line)

    try:
        for index, data in enumerate(texts):
            table.load(index, blocks(data, table.taker(index) if take else None), report)
    except NeedDigests:
        return None
    problems = [(p.code, p.message, p.path, p.line) for p in report]
    return dict(table.entries.items()), problems, table.raw_names


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("digests", [True, False])
@pytest.mark.parametrize("compact", [False, True])
def test_text_blocks_load_what_lines_load(
    seed: int, digests: bool, compact: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text of a block taken whole (``ManifestTable.taker``) loads what its lines load
    one by one: odd lines (white space that a separator could be found in, a line cut in
    two, lines glued) are never taken out of step."""
    rng = random.Random(1000 + seed)
    paths = [f"data/{rng.choice('ab')}/{i:04d}-{rng.choice(['x', 'é', 'A b'])}" for i in range(300)]
    odd = rng.choice([0.0, 0.01, 0.05, 0.3])
    texts = []
    for alg, _name in ALGS:
        listed = [p for p in paths if rng.random() > (0.01 if seed % 3 == 1 else 0.0)]
        if seed % 4 == 1:
            rng.shuffle(listed)
        lines = [line for path in listed for line in _text_line(rng, alg, path, odd)]
        end = "\n" if seed % 5 else ""
        texts.append(("\n".join(lines) + end).encode("utf-8", "surrogateescape"))
    block = rng.choice([300, 1000, 4096, 65536])
    got = _load_text(texts, digests, True, block, monkeypatch, compact)
    want = _load_text(texts, digests, False, block, monkeypatch, compact)
    assert got == want
    if odd == 0.0 and digests:
        assert got is not None and not got[1]


def test_a_text_of_plain_lines_is_taken_whole() -> None:
    table = ManifestTable(ALGS, payload=True, digests=False)
    lines = [f"{_digest('sha512', p)}  {p}" for p in ("data/a", "data/b")]
    take = table.taker(0)
    assert take is not None
    table._begin(1)
    assert take(("\n".join(lines) + "\n").encode()) == 2
    with pytest.raises(NeedDigests):  # listed twice in one manifest: read again with digests
        take("\n".join(lines).encode())
    for text in (
        f"{lines[0]}\n\n{lines[1]}\n",  # a blank line
        f"{lines[0][:128]}\n{lines[0][128:]}\n",  # a line cut in two
        f"{lines[0]}\ndata/b\n",  # a path without a digest
        # two digits short, two too many: the digests' length is right, not their widths
        f"{lines[0]}\n{lines[1][:126]}  data/b\n{lines[1][:128]}ab  data/c\n",
        f"{lines[0]}\n{lines[1][:-1]}\udcff\n",  # not UTF-8
    ):
        for digests in (False, True):
            fresh = ManifestTable(ALGS, payload=True, digests=digests)
            fresh._begin(1)
            take = fresh.taker(0)
            assert take is not None
            assert take(text.encode("utf-8", "surrogateescape")) == 0
            assert not fresh.entries
