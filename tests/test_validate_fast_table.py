"""``--fast`` reads the payload manifests without their digests (issue 16), and reports exactly
what a table with digests reports.

Without hashing, a digest is compared only when a path is listed twice in one manifest (the
same digest, or another?) and when an absent entry has a twin listed under a name differing
only by case or normalization (the same file?). A table without digests keeps each path's
mask alone and, when one of these comes up, is read again with its digests, taking back what
the first reading reported. Here random bags with every kind of manifest line are validated
both ways and must give the same problems, in the same order, with the same lines.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from bagsmith.bagit import textlines
from bagsmith.bagit import validate as validate_module
from bagsmith.bagit.mtable import ManifestTable
from bagsmith.bagit.validate import Mode, validate_bag
from tests.validate_helpers import write_bag

NFC = unicodedata.normalize("NFC", "caf\u00e9")
NFD = unicodedata.normalize("NFD", "caf\u00e9")
#: file names of the random bags: plain, with '%', in both normalization forms, case twins
NAMES = [
    *(f"sub{i % 3}/file-{i:02d}.txt" for i in range(24)),
    "50%.txt",
    "100%25.txt",
    f"{NFC}.txt",
    f"other/{NFD}.txt",
]
#: in a third of the bags: twins on disk (read again with digests whatever the manifests say)
TWINS = ["Case.txt", "case.TXT"]


def _line(rng: random.Random, alg: str, path: str, data: bytes) -> list[str]:
    """The manifest line(s) for one present file, odd."""
    digest = hashlib.new(alg, data).hexdigest()
    other = hashlib.new(alg, data + b"!").hexdigest()
    encoded = path.replace("%", "%25")
    name = encoded[len("data/") :]
    kind = rng.randrange(18)
    if not path.isascii() or "%" in path:  # mostly listed under another form of its name
        kind = rng.choice([kind, 4, 5])
    if kind == 0:
        return [f"{digest}  {encoded}", f"{digest}  {encoded}"]  # listed twice
    if kind == 1:
        return [f"{digest}  {encoded}", f"{other}  {encoded}"]  # conflicting
    if kind == 2:
        return [f"{digest}  {encoded}", f"{digest}  data/{name.swapcase()}"]  # a case twin
    if kind == 3:
        return [f"{digest}  {encoded}", f"{other}  data/{name.upper()}"]  # a twin, not the same
    if kind == 4:
        return [f"{digest}  {unicodedata.normalize('NFD', encoded)}"]  # another form
    if kind == 5:
        return [f"{digest}  {path}"]  # '%' not encoded (as bagit-python writes it)
    if kind == 6:
        return [f"{digest[:-1]}g  {encoded}"]  # not hex
    if kind == 7:
        return [f"0x{digest[2:]}  {encoded}"]  # not hex either
    if kind == 8:
        return [f"{digest}\t{encoded}", ""]  # a tab, a blank line
    if kind == 9:
        return [f"{digest.upper()} *./{encoded}"]
    if kind == 10:
        return [f"{digest}  {encoded.replace('data/', 'data/../data/', 1)}"]
    if kind == 11:
        return [f"{digest}  {name}"]  # outside data/
    if kind == 12:
        return [f" {digest}  {encoded}"]
    if kind == 13:
        return []  # not listed
    if kind == 14:
        return [f"{digest}  {encoded}", f"{digest}  data/absent-{rng.randrange(3)}.txt"]
    return [f"{digest}  {encoded}"]


def _random_bag(root: Path, seed: int) -> Path:
    rng = random.Random(seed)
    names = NAMES + (TWINS if seed % 3 == 0 else [])
    payload = {name: f"{name} {rng.random()}".encode() for name in names if rng.random() < 0.9}
    algorithms = rng.choice([("sha256",), ("sha256", "sha512"), ("sha512", "md5", "sha1")])
    version = rng.choice(["1.0", "0.97"])
    write_bag(root, payload, algorithms=algorithms, version=version, tag_manifests=False)
    odd = rng.choice([0.0, 0.05, 0.2, 0.6])
    files = sorted((f"data/{k}", v) for k, v in payload.items())
    for alg in algorithms:
        listed = list(files)
        if rng.random() < 0.3:
            rng.shuffle(listed)
        lines: list[str] = []
        for path, data in listed:
            if rng.random() < odd:
                lines.extend(_line(rng, alg, path, data))
            else:
                lines.append(f"{hashlib.new(alg, data).hexdigest()}  {path.replace('%', '%25')}")
        (root / f"manifest-{alg}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if rng.random() < 0.2:
        (root / "fetch.txt").write_text("http://example.org/a 3 data/absent-0.txt\n")
    return root


def _problems(result: Any) -> list[tuple[str, str, str | None, int | None, str]]:
    return [(p.code, p.message, p.path, p.line, p.level.value) for p in result.report]


class _WithDigests(ManifestTable):
    """The table as full validation builds it: every digest kept from the start."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["digests"] = True
        super().__init__(*args, **kwargs)


class _LineByLine(_WithDigests):
    """... and reading every manifest line by line (no block taken whole, from its lines or
    its text)."""

    def taker(self, index: int) -> None:
        return None

    def _load_block(self, *args: Any) -> bool:
        return False


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("mode", [Mode.FAST, Mode.COMPLETENESS])
def test_fast_reports_what_a_table_with_digests_reports(
    tmp_path: Path, seed: int, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against the plainest reading: every digest kept, every line read one by one, every
    file looked up in the table one by one (``_walk_order``); the manifests are read in
    blocks of a few lines (taken whole from their text, or their lines, or line by line)."""
    bag = _random_bag(tmp_path / "bag", seed)
    with monkeypatch.context() as patch:
        patch.setattr(textlines, "_BLOCK", random.Random(seed).choice([200, 700, 65536]))
        got = validate_bag(bag, mode=mode)
    monkeypatch.setattr(validate_module, "ManifestTable", _LineByLine)
    monkeypatch.setattr(validate_module._Validator, "_walk_order", lambda *_args: None)
    want = validate_bag(bag, mode=mode)
    assert _problems(got) == _problems(want)
    assert (got.payload_files, got.payload_bytes, got.valid) == (
        want.payload_files,
        want.payload_bytes,
        want.valid,
    )


def _spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the validator's payload table did: whether it kept digests, how often it was
    read again."""
    seen: dict[str, Any] = {"digests": [], "again": 0}

    class Spy(ManifestTable):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if kwargs.get("payload"):
                seen["digests"].append(self.digests)

        def keep_digests(self) -> None:
            seen["again"] += 1
            super().keep_digests()

    monkeypatch.setattr(validate_module, "ManifestTable", Spy)
    return seen


def test_a_plain_bag_is_read_once_without_digests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = write_bag(
        tmp_path / "b", {f"f{i}.txt": b"x" * i for i in range(50)}, algorithms=("sha256", "sha512")
    )
    seen = _spy(monkeypatch)
    assert validate_bag(bag, mode=Mode.FAST).valid
    assert seen == {"digests": [False], "again": 0}
    assert validate_bag(bag, mode=Mode.FULL, processes=1).valid
    assert seen == {"digests": [False, True], "again": 0}  # full mode: digests from the start
    assert validate_bag(bag, mode=Mode.FAST, facts=True).facts is not None
    assert seen["digests"][-1] is True  # the facts keep the digests (profiles, METS)


def test_a_path_listed_twice_reads_the_manifests_again_with_digests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = write_bag(tmp_path / "b", {"a.txt": b"a", "b.txt": b"b"}, algorithms=("sha256",))
    manifest = bag / "manifest-sha256.txt"
    lines = manifest.read_text().splitlines()
    other = hashlib.sha256(b"not a").hexdigest()
    manifest.write_text("\n".join([*lines, f"{other}  data/a.txt", "nonsense"]) + "\n")
    seen = _spy(monkeypatch)
    result = validate_bag(bag, mode=Mode.FAST)
    assert seen == {"digests": [False], "again": 1}
    problems = [(p.code, p.line) for p in result.report]
    # once each, from the reading with digests: the conflict names both digests
    assert problems == [("manifest-conflicting-entry", 3), ("manifest-line-invalid", 4)]
    assert other in next(p.message for p in result.report)


@pytest.mark.parametrize(("same", "code"), [(True, "manifest-duplicate-case"), (False, None)])
def test_twins_read_the_manifests_again_with_digests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same: bool, code: str | None
) -> None:
    bag = write_bag(tmp_path / "b", {"Photo.jpg": b"1", "x.txt": b"2"}, algorithms=("sha256",))
    manifest = bag / "manifest-sha256.txt"
    digest = hashlib.sha256(b"1" if same else b"other").hexdigest()
    manifest.write_text(manifest.read_text() + f"{digest}  data/PHOTO.JPG\n")
    seen = _spy(monkeypatch)
    result = validate_bag(bag, mode=Mode.FAST)
    assert seen == {"digests": [False], "again": 1}
    codes = [p.code for p in result.report]
    if code is not None:  # one file listed under two names, with the same digest: a warning
        assert codes == [code] and result.valid
    else:  # another file, absent
        assert codes == ["payload-file-missing"] and not result.valid


def test_a_digest_written_as_a_python_number_is_malformed(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", {"a.txt": b"a"}, algorithms=("sha256",))
    manifest = bag / "manifest-sha256.txt"
    digest = hashlib.sha256(b"a").hexdigest()
    manifest.write_text(f"0x{digest[2:]}  data/a.txt\n")
    for mode in (Mode.FAST, Mode.FULL):  # (was a traceback: int('0x…', 16) took it)
        result = validate_bag(bag, mode=mode, processes=1)
        assert [(p.code, p.line) for p in result.report][:1] == [("manifest-digest-malformed", 1)]
