"""The compact manifest table (very large bags) behaves exactly as the dict it replaces.

``CompactEntries`` is used above ``COMPACT_FROM_BYTES`` of manifests (a million files); here
the threshold is lowered so that small bags with every kind of manifest problem go through
it, and the reports must equal the dict's. Its memory is measured in bench/bench_floor.py.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from bagsmith.bagit import mtable
from bagsmith.bagit.mtable import CompactEntries
from bagsmith.bagit.validate import Mode, validate_bag
from tests.validate_helpers import write_bag


def test_compact_entries_behave_as_a_dict() -> None:
    rng = random.Random(16)
    width = 5
    compact = CompactEntries(width)
    plain: dict[str, bytes] = {}
    names = [f"data/{rng.choice('abc')}/{i}-é" for i in range(3000)] + ["data/x\udcff"]
    for step in range(20000):
        key = rng.choice(names)
        op = rng.random()
        if op < 0.6:
            value = rng.randbytes(width)
            compact[key] = value
            plain[key] = value
        elif op < 0.8:
            assert compact.pop(key, None) == plain.pop(key, None)
        else:
            assert (key in compact) == (key in plain)
            assert compact.get(key) == plain.get(key)
        if step % 4000 == 0:
            assert len(compact) == len(plain)
            assert sorted(compact) == sorted(plain)
    assert dict(compact.items()) == plain
    assert sorted(compact.keys()) == sorted(plain)
    key = next(iter(plain))
    del compact[key]
    with pytest.raises(KeyError):
        compact[key]
    with pytest.raises(KeyError):
        compact.pop(key)
    with pytest.raises(ValueError):
        compact["data/y"] = b"too long"
    kept: dict[str, bytes] = {}
    kept.update(compact)  # as the validator keeps the digests of files still to fetch
    assert len(kept) == len(plain) - 1
    compact.clear()
    assert len(compact) == 0 and list(compact) == []


def _problem_bag(root: Path) -> Path:
    nfd = unicodedata.normalize("NFD", "café.txt")
    payload = {
        "a.txt": b"a",
        "b.txt": b"b",
        "gone.txt": b"g",
        "Case.txt": b"c",
        "x%25y.txt": b"p",
        nfd: b"n",
        "sub/deep.txt": b"d",
    }
    bag = write_bag(root, payload, algorithms=("sha256", "sha512"), tag_manifests=False)
    (bag / "data" / "gone.txt").unlink()
    (bag / "data" / "a.txt").write_bytes(b"changed")
    (bag / "data" / "unlisted.txt").write_bytes(b"u")
    (bag / "data" / "Case.txt").rename(bag / "data" / "case.txt")
    m256 = bag / "manifest-sha256.txt"
    lines = m256.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(lines[1])  # listed twice with the same digest
    lines.append("0" * 64 + "  data/b.txt\n")  # and with another digest
    lines.append("0" * 64 + "  data/only-here.txt\n")  # in one manifest only
    lines.append("0" * 64 + "  data/fetched.txt\n")
    lines.append("0" * 64 + "  ../outside.txt\n")
    m256.write_text("".join(lines), encoding="utf-8")
    m512 = bag / "manifest-sha512.txt"
    m512.write_text(
        m512.read_text(encoding="utf-8") + "1" * 128 + "  data/fetched.txt\n", encoding="utf-8"
    )
    for manifest in (m256, m512):  # '%' not encoded (bagit-python's way); the name in NFC
        text = manifest.read_text(encoding="utf-8").replace("x%2525y", "x%25y")
        deep = next(line for line in text.splitlines() if line.endswith("data/sub/deep.txt"))
        text += deep.replace("deep.txt", "Deep.txt") + "\n"  # again, in another case
        text = text.replace(nfd, unicodedata.normalize("NFC", nfd))
        manifest.write_text(text, encoding="utf-8")
    (bag / "fetch.txt").write_text("https://example.org/f 1 data/fetched.txt\n", encoding="utf-8")
    return bag


@pytest.mark.parametrize("mode", [Mode.FULL, Mode.FAST])
@pytest.mark.parametrize("processes", [1, 2])
def test_a_compact_table_reports_what_the_dict_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: Mode, processes: int
) -> None:
    bag = _problem_bag(tmp_path / "bag")

    def problems() -> list[tuple[str, str | None, int | None, str]]:
        result = validate_bag(bag, mode=mode, processes=processes, facts=True)
        assert result.facts is not None
        digests = result.facts.manifest_digests
        return [(p.code, p.path, p.line, p.message) for p in result.report] + [
            ("digests", str(sorted(digests.items())) if digests else None, None, "")
        ]

    plain = problems()
    monkeypatch.setattr(mtable, "COMPACT_FROM_BYTES", 0)
    compact = problems()
    assert compact == plain
    codes = {c for c, *_ in plain}
    expected = {
        "payload-digest-mismatch",
        "payload-file-unlisted",
        "manifest-duplicate-entry",
        "manifest-conflicting-entry",
        "manifests-disagree",
        "fetch-file-pending",
        "manifest-path-unsafe",
        "manifest-percent-unencoded",
        "name-normalization-collision",
        "payload-oxum-mismatch",
        "manifest-duplicate-case",
    }
    if mode is Mode.FAST:
        expected.remove("payload-digest-mismatch")
    assert expected <= codes, sorted(codes)
