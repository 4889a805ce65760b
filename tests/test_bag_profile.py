"""`bagsmith bag --profile`: the profile's required tags, defaults, algorithms and serialisation
drive bag creation; nothing is written unless the bag conforms."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from bagsmith.bagit.tagfiles import parse_tags
from bagsmith.cli import main
from bagsmith.cli.exits import error_exit
from bagsmith.errors import ProfileError
from bagsmith.pipeline.bagging import BagOptions, create_bag
from tests.test_profiles_support import PROFILE_ID, profile_doc, write_profile

TAGS = {
    "Bag-Info": {
        "Source-Organization": {"required": True},
        "Contact-Email": {"required": True},
        "Access": {"required": True, "values": ["open", "closed"]},
        "Rights": {"required": True, "values": ["CC0"]},
        "Storage": {"values": ["standard", "cold"], "default": "standard"},
    },
    "Manifests-Required": ["sha256"],
}
GOOD = [
    "-i",
    "Source-Organization=Archive",
    "-i",
    "Contact-Email=a@example.org",
    "-i",
    "Access=open",
]


def _profile(tmp_path: Path, extra: dict[str, Any] | None = None, name: str = "archive-x") -> Path:
    return write_profile(
        tmp_path / "profiles", profile_doc("1.3.0", {**TAGS, **(extra or {})}), name
    )


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "images").mkdir(parents=True)
    (src / "notes.txt").write_text("a note\n", encoding="utf-8")
    Image.new("RGB", (24, 16), (200, 40, 10)).save(src / "images" / "01.jpg", "JPEG")
    return src


def _bag(*args: str | Path) -> Any:
    return CliRunner().invoke(main, ["bag", *map(str, args)])


def _info(bag: Path) -> dict[str, str]:
    tags, errors = parse_tags((bag / "bag-info.txt").read_text(encoding="utf-8"))
    assert not errors
    return {t.label: t.value for t in tags}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_missing_required_tags_are_listed_together_and_nothing_is_written(tmp_path: Path) -> None:
    profile, src = _profile(tmp_path), _sources(tmp_path)
    before = _snapshot(src)
    dest = tmp_path / "bag"
    result = _bag(src, "-o", dest, "--profile", profile, "-i", "Access=public")
    assert result.exit_code == 1, result.output
    err = result.stderr
    assert "archive-x" in err and "nothing was written" in err
    for label in ("Source-Organization", "Contact-Email"):
        assert f"{label} " in err  # every missing tag, in one message
    assert "Access" in err and "'open', 'closed'" in err  # the disallowed value too
    assert "--info" in err and "sidecar" not in err  # how to fix it (bag reads no sidecar)
    assert not dest.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["profiles", "src"]
    assert _snapshot(src) == before
    # the same through the pipeline: one ProfileError naming every problem
    with pytest.raises(ProfileError) as info:
        create_bag([src], dest, BagOptions(profile=str(profile)))
    assert error_exit(info.value) == 1 and "(3 problems)" in info.value.message
    assert not dest.exists()


def test_algorithms_the_profile_requires_are_checked_before_hashing(tmp_path: Path) -> None:
    profile, src = _profile(tmp_path), _sources(tmp_path)
    dest = tmp_path / "bag"
    result = _bag(src, "-o", dest, "--profile", profile, "-a", "md5", *GOOD)
    assert result.exit_code == 1
    assert "profile-manifest-required" in result.stderr and "sha256" in result.stderr
    assert not dest.exists()


def test_defaults_are_filled_and_the_bag_validates_against_the_profile(tmp_path: Path) -> None:
    profile, src = _profile(tmp_path), _sources(tmp_path)
    dest = tmp_path / "bag"
    result = _bag(src, "-o", dest, "--profile", profile, *GOOD, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["profile"] == PROFILE_ID and report["files"] == 2
    info = _info(dest)
    assert info["BagIt-Profile-Identifier"] == PROFILE_ID
    assert info["Rights"] == "CC0"  # the only value a required tag allows
    assert info["Storage"] == "standard"  # the profile's default
    assert info["Access"] == "open" and info["Source-Organization"] == "Archive"
    check = CliRunner().invoke(main, ["validate", str(dest), "--profile", str(profile), "--json"])
    assert check.exit_code == 0, check.output
    assert json.loads(check.stdout)["valid"] is True
    # a tag given explicitly wins over the default
    again = _bag(src, "-o", tmp_path / "cold", "--profile", profile, *GOOD, "-i", "Storage=cold")
    assert again.exit_code == 0 and _info(tmp_path / "cold")["Storage"] == "cold"
    # without --profile nothing is required
    plain = _bag(src, "-o", tmp_path / "plain")
    assert plain.exit_code == 0 and "BagIt-Profile-Identifier" not in _info(tmp_path / "plain")


def test_a_profile_that_requires_serialisation(tmp_path: Path) -> None:
    extra = {"Serialization": "required", "Accept-Serialization": ["application/zip"]}
    profile, src = _profile(tmp_path, extra), _sources(tmp_path)
    folder = _bag(src, "-o", tmp_path / "bag", "--profile", profile, *GOOD)
    assert folder.exit_code == 1 and "profile-serialization-required" in folder.stderr
    tar = _bag(src, "-o", tmp_path / "bag", "--profile", profile, *GOOD, "--serialize", "tar")
    assert tar.exit_code == 1 and "profile-serialization-not-accepted" in tar.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles", "src"]
    ok = _bag(src, "-o", tmp_path / "bag", "--profile", profile, *GOOD, "--serialize", "zip")
    assert ok.exit_code == 0, ok.output
    archive = tmp_path / "bag.zip"
    with zipfile.ZipFile(archive) as zf:
        assert "bag/bag-info.txt" in zf.namelist()
        assert f"BagIt-Profile-Identifier: {PROFILE_ID}" in zf.read("bag/bag-info.txt").decode()
    check = CliRunner().invoke(main, ["validate", str(archive), "--profile", str(profile)])
    assert check.exit_code == 0, check.output


def test_a_profile_that_forbids_serialisation(tmp_path: Path) -> None:
    profile, src = _profile(tmp_path, {"Serialization": "forbidden"}), _sources(tmp_path)
    zipped = _bag(src, "-o", tmp_path / "bag", "--profile", profile, *GOOD, "--serialize", "zip")
    assert zipped.exit_code == 1 and "profile-serialization-forbidden" in zipped.stderr
    assert not (tmp_path / "bag.zip").exists() and not (tmp_path / "bag").exists()
    folder = _bag(src, "-o", tmp_path / "bag", "--profile", profile, *GOOD)
    assert folder.exit_code == 0, folder.output
    assert (tmp_path / "bag" / "bagit.txt").is_file()


def test_a_bag_that_fails_the_profile_once_written_is_never_moved_into_place(
    tmp_path: Path,
) -> None:
    # Payload-Oxum is only known after hashing: a profile allowing one value fails afterwards
    extra = {"Bag-Info": {**TAGS["Bag-Info"], "Bag-Size": {"values": ["1 TB"]}}}
    profile, src = _profile(tmp_path, extra), _sources(tmp_path)
    result = _bag(src, "-o", tmp_path / "bag", "--profile", profile, *GOOD)
    assert result.exit_code == 1, result.output
    assert "once written" in result.stderr and "Bag-Size" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles", "src"]


def test_an_unknown_profile_is_an_error_before_anything_is_read(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    result = _bag(src, "-o", tmp_path / "bag", "--profile", "no-such-profile")
    assert result.exit_code == 2 and "no-such-profile" in result.stderr  # a usage error
    assert not (tmp_path / "bag").exists()
    broken = tmp_path / "broken.json"
    broken.write_text('{"BagIt-Profile-Info": {}}', encoding="utf-8")
    result = _bag(src, "-o", tmp_path / "bag", "--profile", str(broken))
    assert result.exit_code == 2 and "broken.json" in result.stderr
    assert not (tmp_path / "bag").exists()
