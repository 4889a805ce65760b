"""`bagsmith update`: regenerate manifests and Payload-Oxum, add or replace tags."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from bagsmith.bagit.tagfiles import parse_tags
from bagsmith.errors import BagError, InputError, SourceConflictError, UsageError
from bagsmith.pipeline.bagging import BagOptions, UpdateOptions, create_bag, update_bag


def payload_snapshot(bag: Path) -> dict[str, tuple[int, int, str]]:
    out = {}
    for p in sorted((bag / "data").rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p)] = (st.st_size, st.st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def info(bag: Path) -> list[tuple[str, str]]:
    tags, errors = parse_tags((bag / "bag-info.txt").read_text(encoding="utf-8"))
    assert not errors
    return [(t.label, t.value) for t in tags]


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "photos").mkdir(parents=True)
    (src / "photos" / "01.jpg").write_bytes(b"jpeg" * 100)
    (src / "a.txt").write_text("a")
    dest = tmp_path / "bag"
    create_bag(
        [src],
        dest,
        BagOptions(info=(("Contact-Name", "First"), ("Contact-Name", "Second"), ("X-Keep", "1"))),
    )
    return dest


def test_update_after_payload_and_tag_changes(bag: Path) -> None:
    (bag / "data" / "a.txt").write_text("changed")
    (bag / "data" / "new file %.txt").write_text("new")
    (bag / "data" / "photos" / "01.jpg").unlink()
    (bag / "data" / "empty").mkdir()
    (bag / "metadata").mkdir()
    (bag / "metadata" / "dc.xml").write_text("<dc/>")
    before = payload_snapshot(bag)
    result = update_bag(bag, UpdateOptions(info=(("Contact-Name", "Replaced"), ("New-Tag", "v"))))
    assert payload_snapshot(bag) == before  # payload only read
    assert result.files == 2 and result.payload_oxum == f"{len('changed') + len('new')}.2"
    assert sorted((w.code, Path(w.path or "").name) for w in result.warnings) == [
        ("update-empty-folder", "empty"),
        ("update-empty-folder", "photos"),  # its only file was removed
    ]
    tags = info(bag)
    assert [v for k, v in tags if k == "Contact-Name"] == ["Replaced"]
    assert tags[0] == ("Contact-Name", "Replaced")  # where the old values were
    assert ("X-Keep", "1") in tags and ("New-Tag", "v") in tags
    assert dict(tags)["Payload-Oxum"] == result.payload_oxum
    manifest = (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert "data/new file %25.txt" in manifest and "01.jpg" not in manifest
    tagm = (bag / "tagmanifest-sha256.txt").read_text(encoding="utf-8")
    assert "  metadata/dc.xml\n" in tagm
    assert not [p for p in bag.iterdir() if ".bagsmith-" in p.name]
    (bag / "data" / "new file %.txt").rename(bag / "data" / "new file.txt")
    update_bag(bag)
    bagit.Bag(str(bag)).validate()


def test_update_changes_algorithms(bag: Path) -> None:
    result = update_bag(bag, UpdateOptions(algorithms=("md5", "sha1")))
    assert result.algorithms == ["md5", "sha1"]
    names = sorted(p.name for p in bag.glob("*manifest-*"))
    assert names == [
        "manifest-md5.txt",
        "manifest-sha1.txt",
        "tagmanifest-md5.txt",
        "tagmanifest-sha1.txt",
    ]
    tagm = (bag / "tagmanifest-md5.txt").read_text()
    assert "manifest-sha256.txt" not in tagm
    bagit.Bag(str(bag)).validate()
    # without --algorithm the bag keeps the algorithms it has
    assert update_bag(bag).algorithms == ["md5", "sha1"]


def test_update_errors_leave_bag_untouched(bag: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in bag.iterdir() if p.is_file()}
    with pytest.raises(UsageError, match="Payload-Oxum"):
        update_bag(bag, UpdateOptions(info=(("Payload-Oxum", "1.1"),)))
    os.symlink("a.txt", bag / "data" / "link")
    with pytest.raises(SourceConflictError, match="symbolic link"):
        update_bag(bag)
    (bag / "data" / "link").unlink()
    (bag / "fetch.txt").write_text("http://example.org/x 1 data/x\n")
    with pytest.raises(BagError, match=r"fetch\.txt"):
        update_bag(bag)
    (bag / "fetch.txt").unlink()
    assert {p.name: p.read_bytes() for p in bag.iterdir() if p.is_file()} == before
    with pytest.raises(BagError, match=r"no bagit\.txt"):
        update_bag(tmp_path / "src")
    with pytest.raises(InputError):
        update_bag(tmp_path / "missing")


def test_update_keeps_latin1_tag_encoding(tmp_path: Path) -> None:
    bag = tmp_path / "old"
    (bag / "data").mkdir(parents=True)
    (bag / "data" / "f.txt").write_bytes(b"x")
    (bag / "bagit.txt").write_bytes(
        b"BagIt-Version: 0.97\nTag-File-Character-Encoding: ISO-8859-1\n"
    )
    (bag / "bag-info.txt").write_bytes("Contact-Name: Zoë\n".encode("latin-1"))
    update_bag(bag, UpdateOptions(info=(("Source-Organization", "Café"),)))
    text = (bag / "bag-info.txt").read_bytes().decode("latin-1")
    assert "Contact-Name: Zoë\n" in text and "Source-Organization: Café\n" in text
    with pytest.raises(BagError, match="tag encoding"):
        update_bag(bag, UpdateOptions(info=(("Title", "Győr"),)))
    bagit.Bag(str(bag)).validate()


def test_cli_update(bag: Path) -> None:
    from bagsmith.cli.update_cmd import update

    (bag / "data" / "extra.txt").write_text("extra")
    runner = CliRunner()
    res = runner.invoke(update, [str(bag), "--info", "Contact-Name=Only One", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["files"] == 3 and doc["path"] == str(bag)
    res = runner.invoke(update, [str(bag.parent / "nope")])
    assert res.exit_code == 2 and "no such bag" in res.stderr
    res = runner.invoke(update, [str(bag), "-a", "sha3"])
    assert res.exit_code == 2
    bagit.Bag(str(bag)).validate()


def test_update_removes_temp_files_of_killed_updates(bag: Path) -> None:
    stale = bag / ".manifest-sha256.txt.bagsmith-tmp-4206942"  # above pid_max: not running
    stale.write_text("half written")
    update_bag(bag)
    assert not stale.exists()
    assert ".bagsmith-tmp-" not in (bag / "tagmanifest-sha256.txt").read_text()
    bagit.Bag(str(bag)).validate()
