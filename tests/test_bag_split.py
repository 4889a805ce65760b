"""`bagsmith bag --max-size`: a collection split into a group of bags, each valid on its own
(bagit-python is the oracle), and `validate` of the group checking that it is whole."""

from __future__ import annotations

import json
import os
import random
import shutil
import zipfile
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from bagsmith.bagit.payload import PayloadPlan, SourceDir, SourceFile
from bagsmith.cli import main
from bagsmith.cli.options import parse_size
from bagsmith.errors import DestinationError, UsageError
from bagsmith.pipeline import bagging

KB = 1000


def _collection(root: Path, count: int = 10, size: int = 100 * KB) -> Path:
    for i in range(count):
        folder = root / ("scans" if i % 2 else "photos")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"item-{i:02d}.bin").write_bytes(os.urandom(size))
    return root


def _files(top: Path) -> dict[str, bytes]:
    return {p.relative_to(top).as_posix(): p.read_bytes() for p in top.rglob("*") if p.is_file()}


def _size(top: Path) -> int:
    return sum(p.stat().st_size for p in top.rglob("*") if p.is_file())


def _info(bag: Path) -> dict[str, str]:
    return bagit.Bag(str(bag)).info  # type: ignore[no-any-return]


def _bag(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["bag", *args])
    assert "Traceback" not in res.output
    return res.exit_code, res.output


def test_a_collection_is_split_into_a_whole_group_of_valid_bags(tmp_path: Path) -> None:
    source = _collection(tmp_path / "collection")
    dest = tmp_path / "out" / "accession-7"
    code, out = _bag(str(source), "--output", str(dest), "--max-size", "350KB", "--processes", "1")
    assert code == 0, out
    parts = sorted((tmp_path / "out").iterdir())
    assert [p.name for p in parts] == [f"accession-7.b{k:03d}.of004" for k in range(1, 5)]
    assert not dest.exists() and "split into 4 bags of group accession-7" in out
    reassembled = tmp_path / "reassembled"
    for k, part in enumerate(parts, start=1):
        bagit.Bag(str(part)).validate()  # each bag valid on its own
        info = _info(part)
        assert info["Bag-Group-Identifier"] == "accession-7"
        assert info["Bag-Count"] == f"{k} of 4"
        assert _size(part) <= 350 * KB  # the whole bag, tag files included
        shutil.copytree(part / "data", reassembled, dirs_exist_ok=True)
    assert _files(reassembled) == _files(source)  # nothing lost, nothing twice
    assert sum(len(_files(p / "data")) for p in parts) == 10

    res = CliRunner().invoke(main, ["validate", *map(str, parts)])
    assert res.exit_code == 0, res.output
    # one bag missing from the group: every member says so
    res = CliRunner().invoke(main, ["validate", "--json", *map(str, parts[:2] + parts[3:])])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    for entry in doc["bags"]:
        [problem] = [p for p in entry["problems"] if p["code"] == "bag-group-incomplete"]
        assert "bag(s) 3 of them were not among the bags validated" in problem["message"]
    # the last one missing is found too
    res = CliRunner().invoke(main, ["validate", *map(str, parts[:3])])
    assert res.exit_code == 1 and "bag(s) 4 of them were not among" in res.output
    # one bag alone is valid; the group was simply not checked
    res = CliRunner().invoke(main, ["validate", str(parts[1])])
    assert res.exit_code == 0 and "bag-group-partial" in res.output


def test_disagreeing_or_repeated_counts_are_errors(tmp_path: Path) -> None:
    source = _collection(tmp_path / "c", count=4)
    dest = tmp_path / "g"
    assert _bag(str(source), "--output", str(dest), "--max-size", "250KB")[0] == 0
    parts = sorted(tmp_path.glob("g.b*"))
    assert len(parts) == 2
    copy = tmp_path / "copy" / parts[0].name
    shutil.copytree(parts[0], copy)
    res = CliRunner().invoke(main, ["validate", str(parts[0]), str(copy), str(parts[1])])
    assert res.exit_code == 1 and "more than one bag numbered 1" in res.output


def test_a_file_larger_than_the_limit_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    source = _collection(tmp_path / "c", count=3, size=300 * KB)
    code, out = _bag(str(source), "--output", str(tmp_path / "x"), "--max-size", "200KB")
    assert code == 2 and "cannot fit in a bag of at most 200000 bytes" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]
    code, out = _bag(str(source), "--output", str(tmp_path / "x"), "--max-size", "lots")
    assert code == 2 and "'lots' is not a size" in out


def test_a_payload_that_fits_makes_one_ordinary_bag(tmp_path: Path) -> None:
    source = _collection(tmp_path / "c", count=2)
    assert _bag(str(source), "--output", str(tmp_path / "one"), "--max-size", "1MB")[0] == 0
    assert "Bag-Count" not in _info(tmp_path / "one")
    assert not list(tmp_path.glob("one.b*"))


def test_split_and_serialised(tmp_path: Path) -> None:
    source = _collection(tmp_path / "c", count=4)
    code, out = _bag(
        str(source), "--output", str(tmp_path / "z"), "--max-size", "250KB", "--serialize", "zip"
    )
    assert code == 0, out
    archives = sorted(tmp_path.glob("z.b*.zip"))
    assert [a.name for a in archives] == ["z.b001.of002.zip", "z.b002.of002.zip"]
    for archive in archives:
        assert archive.stat().st_size <= 250 * KB
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp_path / "x")
        bagit.Bag(str(tmp_path / "x" / archive.name.removesuffix(".zip"))).validate()
    res = CliRunner().invoke(main, ["validate", *map(str, archives)])
    assert res.exit_code == 0, res.output


def test_a_failure_midway_leaves_no_part_of_the_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _collection(tmp_path / "c", count=6)
    real = bagging._write_bag
    calls: list[int] = []

    def fail_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise DestinationError("cannot write the bag: No space left on device (test)")
        return real(*args, **kwargs)

    monkeypatch.setattr(bagging, "_write_bag", fail_third)
    code, out = _bag(str(source), "--output", str(tmp_path / "g"), "--max-size", "250KB")
    assert code != 0 and "No space left" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]  # parts 1 and 2 removed


def test_sizes() -> None:
    assert parse_size("30GB", "--max-size") == 30 * 1000**3
    assert parse_size("500MiB", "--max-size") == 500 * 1024**2
    assert parse_size("1.5 kb", "--max-size") == 1500
    assert parse_size("123", "--max-size") == 123
    for bad in ("0", "-1GB", "3 parsecs", ""):
        with pytest.raises(UsageError):
            parse_size(bad, "--max-size")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shuffled", [False, True], ids=["walk-order", "any-order"])
def test_each_folder_goes_with_the_first_file_below_its_parent(seed: int, shuffled: bool) -> None:
    # the rule, written plainly (it was the code, quadratic in folders × files): a folder's
    # entry goes to the first part holding a file below the folder's parent, else the first
    rng = random.Random(seed)
    folders = sorted({"/".join(rng.choices("abc", k=rng.randint(1, 4))) for _ in range(40)})
    plan = PayloadPlan()
    names = [f"{rng.choice(folders)}/f{n:03d}" for n in range(rng.randint(0, 60))]
    names += [f"top{n}" for n in range(rng.randint(0, 3))]
    names = sorted(set(names))
    if shuffled:
        rng.shuffle(names)
    for name in names:
        plan.files.append(SourceFile(name, None, rng.randint(0, 3000), 0))
    for folder in folders:
        plan.dirs.append(SourceDir(folder, 0))
    parts = bagging.split_plan(plan, 24_000 + rng.randint(0, 20_000), ["sha256"])
    assert [f.relpath for p in parts for f in p.files] == sorted(names)
    for folder in folders:
        prefix = folder.rsplit("/", 1)[0] + "/" if "/" in folder else ""
        holding = [
            k for k, p in enumerate(parts) if any(f.relpath.startswith(prefix) for f in p.files)
        ]
        homes = [k for k, p in enumerate(parts) if folder in [d.relpath for d in p.dirs]]
        assert homes == [holding[0] if holding else 0], folder
