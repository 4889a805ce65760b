"""How the pipeline describes a bag for the deposit targets, with the BagIt engine.

The bag is validated fully first (a bag that is not valid or not complete is refused before
anything is sent); expected digests come from the manifests the validator checked, and only
files without a SHA-256 there are read again. Bag folders are serialised for S3 and SWORD by
the engine's deterministic serialiser.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.bagit.mtable import ManifestTable
from bagsmith.bagit.validate import validate_bag
from bagsmith.cli import main
from bagsmith.deposit.source import ArchiveCache, LocalBag
from bagsmith.errors import BagError
from bagsmith.fixity import HashJob
from bagsmith.pipeline import depositing
from bagsmith.pipeline.depositing import deposit_bag, describe_bag, serialise_for_deposit
from tests.servers import deposit_env, make_bag, records, sample_bag, zip_bag

__all__ = ["deposit_env"]


def _files(bag: Path) -> dict[str, bytes]:
    return {p.relative_to(bag).as_posix(): p.read_bytes() for p in bag.rglob("*") if p.is_file()}


def _spy_hashing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which files the pipeline reads again after validating the bag."""
    read: list[str] = []
    real = depositing.hash_many

    def spy(jobs: list[HashJob], algorithms: tuple[str, ...], **kwargs: object):  # type: ignore[no-untyped-def]
        read.extend(j.key for j in jobs)
        return real(jobs, algorithms, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(depositing, "hash_many", spy)
    return read


def test_manifest_digests_are_used_and_only_unlisted_tag_files_are_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = sample_bag(tmp_path, External_Identifier="urn:x:7")
    read = _spy_hashing(monkeypatch)
    loaded: list[str] = []
    real_load = ManifestTable.load

    def load(table: ManifestTable, index: int, *args: object) -> None:
        loaded.append(table.manifest_names[index])
        real_load(table, index, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ManifestTable, "load", load)
    described = describe_bag(bag)
    # the payload and the tag files the tag manifests list are not read a second time
    assert sorted(read) == ["tagmanifest-md5.txt", "tagmanifest-sha256.txt"]
    # and each manifest is parsed once, by the validator: its facts give the digests
    assert sorted(loaded) == sorted(p.name for p in bag.glob("*manifest-*.txt"))
    content = _files(bag)
    assert [f.relpath for f in described.files] == sorted(content)
    assert described.size == sum(map(len, content.values()))
    assert described.external_identifier == "urn:x:7"
    for rel, data in content.items():
        digests = described.digests[rel]
        assert digests["sha256"] == hashlib.sha256(data).hexdigest()
        if "md5" in digests:
            assert digests["md5"] == hashlib.md5(data).hexdigest()
    assert set(described.digests["data/images/photo 1%.jpg"]) == {"md5", "sha256"}


def test_a_bag_without_sha256_manifest_gets_sha256_for_every_file(
    tmp_path: Path, dest: Path, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bagit

    logging.getLogger("bagit").setLevel(logging.ERROR)
    bag = tmp_path / "md5bag"
    (bag / "sub").mkdir(parents=True)
    (bag / "a.txt").write_bytes(b"alpha\n")
    (bag / "sub" / "b.bin").write_bytes(bytes(range(256)))
    bagit.make_bag(str(bag), checksums=["md5"])
    read = _spy_hashing(monkeypatch)
    described = describe_bag(bag)
    assert sorted(read) == sorted(_files(bag))
    for rel, data in _files(bag).items():
        assert described.digests[rel]["sha256"] == hashlib.sha256(data).hexdigest()
    assert described.digests["data/a.txt"]["md5"] == hashlib.md5(b"alpha\n").hexdigest()
    result = deposit_bag(bag, dest.as_uri())
    assert result.outcome == "deposited" and result.verified
    assert _files(dest / "md5bag") == _files(bag)


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    d = tmp_path / "share"
    d.mkdir()
    return d


def _unlisted(bag: Path) -> None:
    (bag / "data" / "extra.txt").write_text("added after bagging\n")


def _no_bagit_txt(bag: Path) -> None:
    (bag / "bagit.txt").unlink()


def _tag_file_changed(bag: Path) -> None:
    with (bag / "bag-info.txt").open("a") as fh:
        fh.write("Note: edited after bagging\n")


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (_unlisted, "payload-file-unlisted"),
        (_no_bagit_txt, "not-a-bag"),
        (_tag_file_changed, "tag-digest-mismatch"),
    ],
)
def test_an_invalid_bag_is_refused_before_anything_is_sent(
    tmp_path: Path, dest: Path, deposit_env: Path, damage: object, code: str
) -> None:
    bag = sample_bag(tmp_path)
    damage(bag)  # type: ignore[operator]
    with pytest.raises(BagError, match="the bag is not valid") as err:
        deposit_bag(bag, dest.as_uri())
    assert f"[{code}]" in str(err.value) and "bagsmith validate" in str(err.value.hint)
    assert list(dest.iterdir()) == [] and records(deposit_env) == []


def test_a_damaged_serialised_bag_is_refused(tmp_path: Path, dest: Path, deposit_env: Path) -> None:
    bag = sample_bag(tmp_path)
    (bag / "data" / "article.txt").write_text("changed after bagging\n")
    archive = zip_bag(bag, tmp_path / "bag.zip")
    with pytest.raises(BagError, match=r"data/article\.txt: sha256 expected"):
        deposit_bag(archive, dest.as_uri())
    assert list(dest.iterdir()) == [] and records(deposit_env) == []


def test_an_incomplete_bag_is_refused(tmp_path: Path, dest: Path, deposit_env: Path) -> None:
    bag = sample_bag(tmp_path)
    article = bag / "data" / "article.txt"
    size = article.stat().st_size
    article.unlink()
    (bag / "fetch.txt").write_text(f"https://example.org/article.txt {size} data/article.txt\n")
    with pytest.raises(BagError, match=r"not complete: 1 file\(s\) listed in fetch\.txt"):
        deposit_bag(bag, dest.as_uri())
    assert list(dest.iterdir()) == [] and records(deposit_env) == []


def test_a_symbolic_link_among_the_tag_files_is_refused(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    bag = sample_bag(tmp_path)
    os.symlink(bag / "data" / "article.txt", bag / "see-also.txt")
    # validation (which deposit runs first) reports the link in the bag: it is never followed
    with pytest.raises(
        BagError, match=r"see-also.txt: not a regular file \(symbolic link\)"
    ) as err:
        deposit_bag(bag, dest.as_uri())
    assert err.value.path == str(bag)
    assert list(dest.iterdir()) == []


def test_cli_refuses_an_invalid_bag_and_a_plain_file(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    bag = sample_bag(tmp_path)
    (bag / "data" / "article.txt").write_text("changed\n")
    runner = CliRunner()
    res = runner.invoke(main, ["deposit", str(bag), "--to", dest.as_uri(), "--json"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "payload-digest-mismatch" in res.output
    plain = tmp_path / "notes.txt"
    plain.write_text("not a bag\n")
    res = runner.invoke(main, ["deposit", str(plain), "--to", dest.as_uri()])
    assert res.exit_code == 2 and "a bag must be a folder or a .zip" in res.output
    assert list(dest.iterdir()) == [] and records(deposit_env) == []


def _members(archive: Path) -> list[tuple[str, int, int, int]]:
    with tarfile.open(archive) as tf:
        return [(m.name, m.mtime, m.uid, m.mode) for m in tf.getmembers()]


def test_the_deposit_archive_is_the_same_bytes_for_the_same_bag(tmp_path: Path) -> None:
    bag = sample_bag(tmp_path / "one")
    first = serialise_for_deposit(bag, _mkdir(tmp_path / "a"))
    assert first.name == "bag.tar"
    os.utime(bag / "data" / "article.txt", (1_000_000_000, 1_000_000_000))
    copy = tmp_path / "two" / "bag"
    shutil.copytree(bag, copy)  # new modification times, another place, same name
    again = serialise_for_deposit(copy, _mkdir(tmp_path / "b"))
    assert again.read_bytes() == first.read_bytes()
    members = _members(first)
    assert {m[0].split("/")[0] for m in members} == {"bag"}
    assert {(mtime, uid) for _, mtime, uid, _ in members} == {(0, 0)}
    assert validate_bag(first).valid


def test_the_archive_is_made_once_for_all_attempts_and_removed_at_close(tmp_path: Path) -> None:
    bag = sample_bag(tmp_path)
    local = LocalBag(bag, bag.name, "folder", external_identifier="urn:y")
    made: list[Path] = []

    def counting(folder: Path, into: Path, fmt: str) -> Path:
        made.append(serialise_for_deposit(folder, into, fmt))
        return made[-1]

    cache = ArchiveCache()
    archive = cache.archive_of(local, counting, "tar")
    assert cache.archive_of(local, counting, "tar") is archive and len(made) == 1
    data = made[0].read_bytes()
    assert archive.kind == "archive" and archive.archive_format == "tar"
    assert archive.name == "bag.tar" and archive.size == len(data)
    assert archive.digests["bag.tar"] == {
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert archive.external_identifier == "urn:y"
    with pytest.raises(ValueError, match="serialiser"):
        ArchiveCache().archive_of(local, None)
    cache.close()
    assert not made[0].exists()


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


UNSAFE_METS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE mets [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    b'<mets xmlns="http://www.loc.gov/METS/">&e;</mets>\n'
)


def test_deposit_runs_the_same_metadata_checks_as_validate(
    tmp_path: Path, dest: Path, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #17 finding 16: a bag whose METS `validate` refuses is not deposited either."""
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(tmp_path / "empty-cache"))
    bag = make_bag(tmp_path / "bag", {"metadata/mets.xml": UNSAFE_METS, "a.txt": b"a\n"})
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(bag)])
    assert checked.exit_code == 1 and "xml-unsafe" in checked.output
    res = runner.invoke(main, ["deposit", str(bag), "--to", dest.as_uri()])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "[xml-unsafe]" in res.output and "nothing was sent" in res.output
    assert list(dest.iterdir()) == [] and records(deposit_env) == []
    # a bag without that METS goes through (the check, not the target, refused it)
    ok = make_bag(tmp_path / "plain", {"a.txt": b"a\n"})
    assert runner.invoke(main, ["deposit", str(ok), "--to", dest.as_uri()]).exit_code == 0
