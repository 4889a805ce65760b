"""Creating bags: layout, tag files, manifests, policies, errors, and bagit-python as an oracle."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bagit
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bagsmith.bagit.manifest import ManifestLine, encode_path, parse_line
from bagsmith.bagit.names import is_os_file
from bagsmith.bagit.payload import EmptyDirs, Hidden, OsFiles, PayloadPolicy, Symlinks
from bagsmith.bagit.tagfiles import parse_tags
from bagsmith.bagit.writer import bag_size
from bagsmith.errors import (
    DestinationError,
    InputError,
    SourceConflictError,
    UsageError,
)
from bagsmith.pipeline.bagging import BagOptions, create_bag


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under root with its type, size, mtime, mode and content digest."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
            out[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


def no_leftovers(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if ".bagsmith-" in p.name]


def make_source(root: Path, *, percent: bool = True) -> Path:
    src = root / "src"
    (src / "photos").mkdir(parents=True)
    (src / "text").mkdir()
    (src / "article.txt").write_text("The ferry ran for ninety-one years.\n", encoding="utf-8")
    (src / "photos" / "01.jpg").write_bytes(bytes(range(256)) * 40)
    (src / "photos" / "two words.txt").write_bytes(b"spaces")
    if percent:
        (src / "text" / "50% off.txt").write_bytes(b"percent")
    (src / "text" / "Győr café.txt").write_bytes(b"non-ascii")
    return src


def read_manifest(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        out[name] = digest
    return out


def test_bag_layout_tags_and_manifests(tmp_path: Path) -> None:
    src = make_source(tmp_path)
    before = snapshot(src)
    dest = tmp_path / "bag"
    info = (
        ("Source-Organization", "Example Community Archive"),
        ("External-Description", "Photo: 1956 — a value with: colons " + " ".join(["long"] * 30)),
        ("Contact-Name", "Zoë Ádám"),
        ("Contact-Name", "Second Person"),
    )
    result = create_bag([src], dest, BagOptions(info=info, processes=2))
    assert snapshot(src) == before
    assert result.path == str(dest) and result.serialized is None
    assert result.files == 5 and result.algorithms == ["sha256", "sha512"]
    assert (dest / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )
    # a single folder: its contents go under data/
    assert (dest / "data" / "article.txt").is_file()
    assert (dest / "data" / "photos" / "01.jpg").read_bytes() == bytes(range(256)) * 40
    tags, errors = parse_tags((dest / "bag-info.txt").read_text(encoding="utf-8"))
    assert not errors
    values = [(t.label, t.value) for t in tags]
    assert values[:4] == [(k, " ".join(v.split())) for k, v in info]
    labels = [t.label for t in tags]
    for label in ("Bagging-Date", "Bag-Software-Agent", "Payload-Oxum", "Bag-Size"):
        assert labels.count(label) == 1
    text = (dest / "bag-info.txt").read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= 79  # long value folded
    total = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    assert dict(values)["Payload-Oxum"] == f"{total}.5"
    assert dict(values)["Bag-Software-Agent"].startswith("bagsmith ")
    for alg in ("sha256", "sha512"):
        entries = read_manifest(dest / f"manifest-{alg}.txt")
        assert list(entries) == sorted(entries)
        assert "data/text/50%25 off.txt" in entries
        for name, digest in entries.items():
            data = (dest / name.replace("%25", "%")).read_bytes()
            assert hashlib.new(alg, data).hexdigest() == digest
        tagm = read_manifest(dest / f"tagmanifest-{alg}.txt")
        assert sorted(tagm) == [
            "bag-info.txt",
            "bagit.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
        ]
    # mtimes of copied files (and folders) are those of the source
    assert (dest / "data/photos/01.jpg").stat().st_mtime_ns == (
        src / "photos/01.jpg"
    ).stat().st_mtime_ns
    assert (dest / "data/photos").stat().st_mtime_ns == (src / "photos").stat().st_mtime_ns
    assert no_leftovers(tmp_path)


def test_bagit_python_validates_our_bag_except_percent(tmp_path: Path) -> None:
    src = make_source(tmp_path, percent=False)
    # POSIX file systems allow LF in names; one that refuses it fails here, loudly, rather
    # than let the manifest assertion below pass without checking anything
    (src / "text" / "line\nbreak.txt").write_bytes(b"newline in the name")
    dest = tmp_path / "bag"
    create_bag([src], dest, BagOptions(algorithms=("sha256", "md5"), processes=1))
    bagit.Bag(str(dest)).validate()
    proc = subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(dest)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert (dest / "data/text/line\nbreak.txt").read_bytes() == b"newline in the name"
    assert "data/text/line%0Abreak.txt" in (dest / "manifest-sha256.txt").read_text()


def test_percent_names_are_rfc_encoded_although_bagit_python_disagrees(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "100%.txt").write_bytes(b"x")
    dest = tmp_path / "bag"
    create_bag([src], dest)
    manifest = (dest / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert manifest == f"{hashlib.sha256(b'x').hexdigest()}  data/100%25.txt\n"
    assert encode_path("data/100%.txt") == "data/100%25.txt"
    # bagit-python 1.9 does not decode %25 (documented in docs/bagging.md)
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(dest)).validate()


def test_several_sources_keep_their_names(tmp_path: Path) -> None:
    a = tmp_path / "one" / "photos"
    a.mkdir(parents=True)
    (a / "x.jpg").write_bytes(b"x")
    f = tmp_path / "notes.txt"
    f.write_text("notes")
    dest = tmp_path / "bag"
    result = create_bag([f, a], dest)
    assert result.files == 2
    assert read_manifest(dest / "manifest-sha256.txt").keys() == {
        "data/notes.txt",
        "data/photos/x.jpg",
    }
    # a single file: data/<its name>
    dest2 = tmp_path / "bag2"
    create_bag([f], dest2)
    assert (dest2 / "data" / "notes.txt").read_text() == "notes"


def test_source_name_clash_is_an_error(tmp_path: Path) -> None:
    for parent in ("a", "b"):
        (tmp_path / parent / "photos").mkdir(parents=True)
        (tmp_path / parent / "photos" / "x").write_bytes(b"x")
    dest = tmp_path / "bag"
    with pytest.raises(SourceConflictError, match="both named 'photos'"):
        create_bag([tmp_path / "a/photos", tmp_path / "b/photos"], dest)
    assert not dest.exists() and no_leftovers(tmp_path)


def test_normalization_collision_always_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "caf\u00e9.txt").write_bytes(b"1")
    (src / "cafe\u0301.txt").write_bytes(b"2")
    if len(list(src.iterdir())) < 2:
        pytest.skip("this file system normalizes names")
    with pytest.raises(SourceConflictError, match="Unicode normalization") as exc:
        create_bag([src], tmp_path / "bag")
    assert exc.value.path is not None and "caf" in exc.value.path
    assert not (tmp_path / "bag").exists()


def test_portable_refuses_case_collisions_and_windows_names(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "Photo.jpg").write_bytes(b"1")
    (src / "photo.jpg").write_bytes(b"2")
    create_bag([src], tmp_path / "ok")  # fine without --portable
    with pytest.raises(SourceConflictError, match="case"):
        create_bag([src], tmp_path / "bag", BagOptions(policy=PayloadPolicy(portable=True)))
    for bad in ("aux.txt", "what?.txt", "trailing.", "co:lon"):
        src2 = tmp_path / f"src-{len(bad)}-{bad[0]}"
        src2.mkdir()
        (src2 / bad).write_bytes(b"x")
        with pytest.raises(SourceConflictError, match=r"\(portable=True\)"):
            create_bag([src2], tmp_path / "bag2", BagOptions(policy=PayloadPolicy(portable=True)))
    assert not (tmp_path / "bag").exists() and not (tmp_path / "bag2").exists()
    (tmp_path / "A").mkdir()
    (tmp_path / "a").write_text("x")
    create_bag([tmp_path / "A", tmp_path / "a"], tmp_path / "two")
    with pytest.raises(SourceConflictError, match="both named"):
        create_bag(
            [tmp_path / "A", tmp_path / "a"],
            tmp_path / "bag3",
            BagOptions(policy=PayloadPolicy(portable=True)),
        )
    assert no_leftovers(tmp_path)


def policy_source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "empty" / "deeper").mkdir(parents=True)
    (src / ".git").mkdir()
    (src / ".git" / "config").write_text("x")
    (src / ".hidden").write_text("h")
    (src / ".DS_Store").write_bytes(b"\0\0")
    (src / "Thumbs.db").write_bytes(b"\0")
    (src / "real.txt").write_text("real")
    (tmp_path / "outside.txt").write_text("outside")
    return src


def test_default_policies_report_everything_skipped_or_added(tmp_path: Path) -> None:
    src = policy_source(tmp_path)
    result = create_bag([src], tmp_path / "bag")
    names = set(read_manifest(tmp_path / "bag" / "manifest-sha256.txt"))
    assert names == {
        "data/.git/config",
        "data/.hidden",
        "data/empty/deeper/.keep",
        "data/real.txt",
    }
    codes = sorted((w.code, Path(w.path or "").name) for w in result.warnings)
    assert codes == [
        ("source-empty-folder-kept", "deeper"),
        ("source-os-file-skipped", ".DS_Store"),
        ("source-os-file-skipped", "Thumbs.db"),
    ]


def test_other_policies(tmp_path: Path) -> None:
    src = policy_source(tmp_path)
    policy = PayloadPolicy(
        empty_dirs=EmptyDirs.SKIP, hidden=Hidden.EXCLUDE, os_files=OsFiles.INCLUDE
    )
    result = create_bag([src], tmp_path / "bag", BagOptions(policy=policy))
    names = set(read_manifest(tmp_path / "bag" / "manifest-sha256.txt"))
    assert names == {"data/real.txt", "data/Thumbs.db", "data/.DS_Store"}
    assert not (tmp_path / "bag/data/empty").exists()
    codes = sorted((w.code, Path(w.path or "").name) for w in result.warnings)
    assert codes == [
        ("source-empty-folder-skipped", "deeper"),
        ("source-empty-folder-skipped", "empty"),
        ("source-hidden-skipped", ".git"),
        ("source-hidden-skipped", ".hidden"),
    ]
    with pytest.raises(SourceConflictError, match="operating-system file"):
        create_bag(
            [src], tmp_path / "bag2", BagOptions(policy=PayloadPolicy(os_files=OsFiles.REFUSE))
        )
    assert not (tmp_path / "bag2").exists()


def test_symlink_policies(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "real.txt").write_text("real")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "inside.txt").write_text("inside")
    os.symlink(tmp_path / "target", src / "linked-folder")
    os.symlink("real.txt", src / "alias.txt")
    with pytest.raises(SourceConflictError, match="symbolic link") as exc:
        create_bag([src], tmp_path / "bag")
    assert exc.value.path and exc.value.path.endswith(("alias.txt", "linked-folder"))
    assert not (tmp_path / "bag").exists() and no_leftovers(tmp_path)

    skip = create_bag(
        [src], tmp_path / "s", BagOptions(policy=PayloadPolicy(symlinks=Symlinks.SKIP))
    )
    assert set(read_manifest(tmp_path / "s/manifest-sha256.txt")) == {"data/real.txt"}
    assert sorted(w.code for w in skip.warnings) == ["source-symlink-skipped"] * 2

    follow = PayloadPolicy(symlinks=Symlinks.FOLLOW)
    create_bag([src], tmp_path / "f", BagOptions(policy=follow))
    assert set(read_manifest(tmp_path / "f/manifest-sha256.txt")) == {
        "data/alias.txt",
        "data/linked-folder/inside.txt",
        "data/real.txt",
    }
    assert not (tmp_path / "f/data/alias.txt").is_symlink()
    bagit.Bag(str(tmp_path / "f")).validate()

    os.symlink(src, tmp_path / "target" / "loop")
    with pytest.raises(SourceConflictError, match="loop"):
        create_bag([src], tmp_path / "l", BagOptions(policy=follow))
    os.symlink(tmp_path / "missing", src / "dangling")
    (tmp_path / "target" / "loop").unlink()
    with pytest.raises(InputError, match="missing"):
        create_bag([src], tmp_path / "d", BagOptions(policy=follow))
    assert no_leftovers(tmp_path)


def test_fifo_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    os.mkfifo(src / "pipe")
    with pytest.raises(SourceConflictError, match="FIFO"):
        create_bag([src], tmp_path / "bag")


def test_destination_rules(tmp_path: Path) -> None:
    src = make_source(tmp_path, percent=False)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(DestinationError, match="exists"):
        create_bag([src], tmp_path / "taken")
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"
    (tmp_path / "file").write_text("a file")
    with pytest.raises(DestinationError):
        create_bag([src], tmp_path / "file")
    (tmp_path / "empty").mkdir()
    create_bag([src], tmp_path / "empty")  # an empty folder is replaced
    bagit.Bag(str(tmp_path / "empty")).validate()
    with pytest.raises(DestinationError, match="inside a source"):
        create_bag([src], src / "bag")
    assert not (src / "bag").exists()
    nested = tmp_path / "new" / "parents" / "bag"
    create_bag([src], nested)  # missing parent folders are created
    assert (nested / "bagit.txt").is_file()
    assert no_leftovers(tmp_path)


def test_bad_options(tmp_path: Path) -> None:
    src = make_source(tmp_path)
    dest = tmp_path / "bag"
    with pytest.raises(UsageError, match="unknown digest algorithm"):
        create_bag([src], dest, BagOptions(algorithms=("sha3",)))
    with pytest.raises(UsageError, match="Payload-Oxum"):
        create_bag([src], dest, BagOptions(info=(("Payload-Oxum", "1.1"),)))
    with pytest.raises(UsageError):
        create_bag([src], dest, BagOptions(info=(("Bad:Label", "x"),)))
    with pytest.raises(InputError, match="no such file"):
        create_bag([tmp_path / "missing"], dest)
    with pytest.raises(UsageError, match="processes must be at least 1"):
        create_bag([src], dest, BagOptions(processes=0))
    assert not dest.exists() and no_leftovers(tmp_path)


def without_read_override() -> list[str]:
    """A command prefix under which a mode-000 file cannot be read, even by root.

    Root reads any file through two capabilities, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
    ``setpriv`` (util-linux) drops them from the bounding set, so the command it runs has
    neither: it is still root (so it can run the interpreter and the package wherever root
    installed them), but the permission bits apply to it as to anyone. Not root: nothing to do.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to test unreadable files as root"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_unreadable_file(tmp_path: Path) -> None:
    """`bagsmith bag` meets a file it may not read: an error naming it, exit 2, nothing at DEST.
    Runs as root too (CI): see :func:`without_read_override`."""
    src = make_source(tmp_path)
    secret = src / "photos" / "01.jpg"
    dest = tmp_path / "bag"
    prefix = without_read_override()
    command = [sys.executable, "-m", "bagsmith", "bag", "-p", "2", str(src), "-o", str(dest)]
    secret.chmod(0)
    try:
        peek = subprocess.run([*prefix, "cat", str(secret)], capture_output=True)
        assert peek.returncode != 0, "the file is still readable: the test would prove nothing"
        proc = subprocess.run([*prefix, *command], capture_output=True, text=True)
    finally:
        secret.chmod(0o644)
    assert proc.returncode == 2, proc.stderr
    assert f"error[input]: {secret}: cannot read the file" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not dest.exists() and no_leftovers(tmp_path)


def test_unreadable_file_reported_by_name(tmp_path: Path) -> None:
    """Works as root too: a file that vanishes between scanning and copying."""
    from bagsmith.bagit import payload, staging, writer

    src = make_source(tmp_path)
    plan = payload.scan_sources([src], PayloadPolicy())
    (src / "photos" / "01.jpg").unlink()
    stage = tmp_path / "stage"
    stage.mkdir()
    with pytest.raises(InputError, match="cannot read the file") as exc:
        writer.copy_payload(stage, plan, ["sha256"], processes=2)
    assert exc.value.path == str(src / "photos" / "01.jpg")
    staging.remove(stage)


def test_reproducible_with_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_source(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    create_bag([src], tmp_path / "a", BagOptions(processes=1))
    create_bag([src], tmp_path / "b", BagOptions(processes=2))
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert "Bagging-Date: 2023-11-14\n" in (tmp_path / "a/bag-info.txt").read_text()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        create_bag([src], tmp_path / "c")


def test_bag_size() -> None:
    assert bag_size(0) == "0 bytes"
    assert bag_size(1) == "1 byte"
    assert bag_size(4096) == "4.1 KB"
    assert bag_size(81_920_000) == "81.9 MB"
    assert bag_size(3 * 10**12) == "3.0 TB"


def test_cli_bag_text_json_and_errors(tmp_path: Path) -> None:
    src = policy_source(tmp_path)
    from bagsmith.cli.bag_cmd import bag as bag_command

    runner = CliRunner()
    res = runner.invoke(
        bag_command,
        [
            str(src),
            "--output",
            str(tmp_path / "bag"),
            "--info",
            "Contact-Name=A: B",
            "-a",
            "sha512",
            "-a",
            "md5",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Bagged" in res.stdout
    assert "warning[source-os-file-skipped]" in res.stderr
    assert sorted(p.name for p in (tmp_path / "bag").glob("*manifest-*")) == [
        "manifest-md5.txt",
        "manifest-sha512.txt",
        "tagmanifest-md5.txt",
        "tagmanifest-sha512.txt",
    ]
    res = runner.invoke(bag_command, [str(src), "--output", str(tmp_path / "j"), "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["files"] == 4 and doc["algorithms"] == ["sha256", "sha512"]
    assert {w["code"] for w in doc["warnings"]} == {
        "source-os-file-skipped",
        "source-empty-folder-kept",
    }
    res = runner.invoke(bag_command, [str(src), "--output", str(tmp_path / "bag")])
    assert res.exit_code == 2 and "error[destination]" in res.stderr
    res = runner.invoke(bag_command, [str(src), "-o", str(tmp_path / "x"), "--info", "novalue"])
    assert res.exit_code == 2 and "--info" in res.stderr
    res = runner.invoke(bag_command, [str(src), "-o", str(tmp_path / "x"), "-a", "crc32"])
    assert res.exit_code == 2 and "crc32" in res.stderr
    res = runner.invoke(bag_command, [str(tmp_path / "nope"), "-o", str(tmp_path / "x"), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["path"] == str(tmp_path / "nope")
    res = runner.invoke(bag_command, [str(src), "-o", str(tmp_path / "q"), "--quiet"])
    assert res.exit_code == 0 and res.stdout == "" and res.stderr == ""
    assert not (tmp_path / "x").exists() and no_leftovers(tmp_path)


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


_NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=20,
).filter(lambda n: n not in (".", "..") and not is_os_file(n) and len(n.encode()) < 200)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(_NAME, min_size=1, max_size=5, unique_by=lambda n: nfc(n)))
def test_any_names_round_trip_through_manifests(tmp_path: Path, names: list[str]) -> None:
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    src = work / "src"
    src.mkdir()
    for i, name in enumerate(names):
        (src / name).write_bytes(str(i).encode())
    dest = work / "bag"
    create_bag([src], dest, BagOptions(processes=1, algorithms=("md5",)))
    lines = (dest / "manifest-md5.txt").read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == ""
    parsed = [parse_line(line) for line in lines[:-1]]
    assert all(isinstance(p, ManifestLine) for p in parsed)
    decoded = [p.path for p in parsed if isinstance(p, ManifestLine)]
    assert decoded == sorted(f"data/{n}" for n in names)
    for p in parsed:
        assert isinstance(p, ManifestLine)
        data = (dest / p.path).read_bytes()
        assert hashlib.md5(data).hexdigest() == p.digest


def test_progress_factory_receives_totals(tmp_path: Path) -> None:
    src = make_source(tmp_path)
    calls: list[tuple[str, int | None]] = []
    updates: list[tuple[int, int]] = []

    @contextlib.contextmanager
    def factory(
        desc: str, total: int | None, *, items: int | None = None
    ) -> Iterator[Callable[[int, int], None]]:
        calls.append((desc, total))
        yield lambda done, files: updates.append((done, files))

    result = create_bag([src], tmp_path / "bag", BagOptions(processes=2), progress=factory)
    assert calls == [("Copying and hashing", result.bytes)]
    assert updates[-1] == (result.bytes, result.files)
    assert updates == sorted(updates)


def test_bag_software_agent_reads_the_package_metadata_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bag-Software-Agent comes from the installed package's metadata, read once a process
    (every article of a batch asked for it: ~0.7 ms each)."""
    from importlib import metadata

    from bagsmith.pipeline.bagging import bag_software_agent

    calls: list[str] = []
    real = metadata.metadata

    def counted(name: str) -> Any:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(metadata, "metadata", counted)
    bag_software_agent.cache_clear()
    try:
        first, second = bag_software_agent(), bag_software_agent()
    finally:
        bag_software_agent.cache_clear()
    assert first == second and first.startswith("bagsmith ")
    assert calls == ["bagsmith"]
