"""`--tag-file PATH[=NAME]` of `bagsmith bag` and `bagsmith package`: extra tag files copied
into the bag, listed in every tag manifest and counted by the profile's tag file rules."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bagsmith.cli import main
from bagsmith.pipeline.bagging import BagOptions
from bagsmith.pipeline.packaging import PackageOptions
from tests.test_package_support import make_example, tree_state
from tests.test_profiles_support import profile_doc, write_profile

APTRUST_INFO = b"Title: A test deposit\nAccess: Institution\nStorage-Option: Standard\n"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def _sources(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n", encoding="utf-8")
    (src / "sub" / "b.txt").write_text("beta\n", encoding="utf-8")
    tag = tmp_path / "given" / "aptrust-info.txt"
    tag.parent.mkdir()
    tag.write_bytes(APTRUST_INFO)
    return src, tag


def _manifest_names(path: Path) -> list[str]:
    return [line.split(maxsplit=1)[1] for line in path.read_text("utf-8").splitlines()]


def test_defaults_are_empty() -> None:
    assert BagOptions().tag_files == () and PackageOptions().tag_files == ()


def test_bag_with_tag_files_validates_everywhere(tmp_path: Path) -> None:
    src, tag = _sources(tmp_path)
    before = tree_state(tag.parent)
    dest = tmp_path / "bag"
    result = run(
        "bag", src, "-o", dest, "-p", "1", "--tag-file", tag, "--tag-file", f"{tag}=meta/notes.txt"
    )
    assert result.exit_code == 0, result.stderr
    assert (dest / "aptrust-info.txt").read_bytes() == APTRUST_INFO
    assert (dest / "meta" / "notes.txt").read_bytes() == APTRUST_INFO
    assert tree_state(tag.parent) == before  # the source is only read
    for alg in ("sha256", "sha512"):
        names = _manifest_names(dest / f"tagmanifest-{alg}.txt")
        assert {"aptrust-info.txt", "meta/notes.txt", "bagit.txt", "bag-info.txt"} <= set(names)
        assert "aptrust-info.txt" not in _manifest_names(dest / f"manifest-{alg}.txt")
    checked = run("validate", dest)
    assert checked.exit_code == 0, checked.stderr
    assert "0 errors, 0 warnings" in checked.stdout
    bagit_python = subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(dest)], capture_output=True, text=True
    )
    assert bagit_python.returncode == 0, bagit_python.stderr
    assert "is valid" in bagit_python.stderr
    # a changed tag file is caught through the tag manifest
    (dest / "meta" / "notes.txt").write_bytes(b"changed\n")
    assert run("validate", dest).exit_code == 1


def test_package_satisfies_the_aptrust_style_profile(tmp_path: Path, schema_cache: Path) -> None:
    example = make_example(tmp_path / "example")
    tag = tmp_path / "aptrust-info.txt"
    tag.write_bytes(APTRUST_INFO)
    dest = tmp_path / "out" / "deposit"
    args = [
        "package",
        example / "article" / "article.txt",
        "--images",
        example / "article",
        "--metadata",
        example / "metadata.yaml",
        "--output",
        dest,
        "--created",
        "2026-11-27T09:30:00Z",
        "-p",
        "1",
        "--profile",
        "aptrust-style-v2.2",
        "-a",
        "md5",
        "--serialize",
        "tar",
        "-i",
        "Source-Organization=Example Archive",
    ]
    refused = run(*args)  # without the tag file: refused before anything is written
    assert refused.exit_code == 1
    assert "profile-tag-file-required" in refused.stderr and "aptrust-info.txt" in refused.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

    result = run(*args, "--tag-file", tag)
    assert result.exit_code == 0, result.stderr
    assert "validation: VALID" in result.stdout
    archive = dest.with_name("deposit.tar")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tagmanifest = tar.extractfile("deposit/tagmanifest-md5.txt")
        assert tagmanifest is not None
        listed = tagmanifest.read().decode()
    assert "deposit/aptrust-info.txt" in names
    assert "  aptrust-info.txt\n" in listed
    checked = run("validate", archive, "--profile", "aptrust-style-v2.2")
    assert checked.exit_code == 0, checked.stderr


def _profile(tmp_path: Path, **rules: list[str]) -> Path:
    doc = profile_doc(extra={k.replace("_", "-"): v for k, v in rules.items()})
    return write_profile(tmp_path / "profiles", doc)


def test_bag_profile_tag_files_required(tmp_path: Path) -> None:
    src, tag = _sources(tmp_path)
    profile = _profile(tmp_path, Tag_Files_Required=["extra/notes.txt"])
    dest = tmp_path / "bag"
    missing = run("bag", src, "-o", dest, "--profile", profile)
    assert missing.exit_code == 1
    assert "profile-tag-file-required" in missing.stderr and "extra/notes.txt" in missing.stderr
    assert not dest.exists()
    result = run(
        "bag", src, "-o", dest, "--profile", profile, "--tag-file", f"{tag}=extra/notes.txt"
    )
    assert result.exit_code == 0, result.stderr
    assert run("validate", dest, "--profile", profile).exit_code == 0


def test_bag_profile_tag_files_allowed(tmp_path: Path) -> None:
    src, tag = _sources(tmp_path)
    profile = _profile(tmp_path, Tag_Files_Allowed=["extra/*"])
    refused = run("bag", src, "-o", tmp_path / "no", "--profile", profile, "--tag-file", tag)
    assert refused.exit_code == 1  # aptrust-info.txt at the top matches no allowed pattern
    assert "profile-tag-file-not-allowed" in refused.stderr
    assert not (tmp_path / "no").exists()
    dest = tmp_path / "bag"
    ok = run("bag", src, "-o", dest, "--profile", profile, "--tag-file", f"{tag}=extra/x.txt")
    assert ok.exit_code == 0, ok.stderr
    assert "profile-tag-file" not in ok.stderr


@pytest.mark.parametrize(
    "name",
    [
        "bagit.txt",
        "bag-info.txt",
        "BAG-INFO.TXT",
        "fetch.txt",
        "manifest-md5.txt",
        "tagmanifest-sha256.txt",
        "data/x.txt",
        "data",
        "../outside.txt",
        "/abs.txt",
        "~/home.txt",
        "a/../b.txt",
        "a//b.txt",
        "./a.txt",
        "a\\b.txt",
    ],
)
@pytest.mark.parametrize("command", ["bag", "package"])
def test_clashing_or_unsafe_names_are_usage_errors(tmp_path: Path, name: str, command: str) -> None:
    src, tag = _sources(tmp_path)
    dest = tmp_path / "out" / "bag"
    first = src / "a.txt" if command == "package" else src
    result = run(command, first, "-o", dest, "--tag-file", f"{tag}={name}")
    assert result.exit_code == 2, result.stderr
    assert "--tag-file" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_duplicate_names_are_usage_errors(tmp_path: Path) -> None:
    src, tag = _sources(tmp_path)
    for second in ("aptrust-info.txt", "Aptrust-Info.txt", "aptrust-info.txt/x"):
        result = run(
            "bag", src, "-o", tmp_path / "bag", "--tag-file", tag, "--tag-file", f"{tag}={second}"
        )
        assert result.exit_code == 2 and "clashes" in result.stderr
        assert not (tmp_path / "bag").exists()


@pytest.mark.parametrize("command", ["bag", "package"])
def test_missing_tag_file_is_exit_2(tmp_path: Path, command: str) -> None:
    src, _ = _sources(tmp_path)
    first = src / "a.txt" if command == "package" else src
    dest = tmp_path / "out" / "bag"
    for value in (tmp_path / "nope.txt", f"{tmp_path / 'nope.txt'}=x.txt", src):
        result = run(command, first, "-o", dest, "--tag-file", value)
        assert result.exit_code == 2, result.stderr
        assert "tag file" in result.stderr
        assert not (tmp_path / "out").exists()
