"""Profile checks on real bags written in tmp_path: every rule, passing and failing, per version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bagsmith.bagit.facts import read_bag_facts
from bagsmith.bagit.profile_check import BagFacts, check_bag
from bagsmith.bagit.profiles import Profile, load_profile_file
from bagsmith.errors import BagError
from bagsmith.pipeline.profiling import check_bag_against_profile
from bagsmith.problems import Severity
from tests.test_profiles_support import (
    PROFILE_ID,
    SPEC_VERSIONS,
    profile_doc,
    write_bag,
    write_profile,
)


def _profile(tmp_path: Path, spec: str | None, extra: dict[str, Any] | None = None) -> Profile:
    return load_profile_file(write_profile(tmp_path / "profiles", profile_doc(spec, extra)))


def _codes(tmp_path: Path, profile: Profile, **bag: Any) -> list[str]:
    root = write_bag(tmp_path / "bag", **bag)
    return [p.code for p in check_bag(profile, read_bag_facts(root))]


# --- reading facts ---------------------------------------------------------------------------


def test_read_bag_facts_reads_everything_profiles_need(tmp_path: Path) -> None:
    root = write_bag(
        tmp_path / "bag",
        payload={"data/a.txt": b"abc", "data/sub/b.bin": b"12345"},
        info=[("Contact-Name", "A"), ("Contact-Name", "B"), ("BagIt-Profile-Identifier", "x")],
        algorithms=("sha256", "md5"),
        tag_algorithms=("sha512",),
        tag_files={"meta/extra.xml": b"<x/>"},
        fetch=[("https://example.org/c", 3, "data/c.txt")],
    )
    facts = read_bag_facts(root)
    assert facts.bagit_version == "1.0"
    assert facts.info[:3] == (
        ("Contact-Name", "A"),
        ("Contact-Name", "B"),
        ("BagIt-Profile-Identifier", "x"),
    )
    assert facts.info_lines[:3] == (1, 2, 3)
    assert facts.payload_manifest_algorithms == {"sha256", "md5"}
    assert facts.tag_manifest_algorithms == {"sha512"}
    assert set(facts.payload_files) == {"data/a.txt", "data/sub/b.bin"}
    assert facts.payload_octets == 8
    assert "meta/extra.xml" in facts.tag_files and "bag-info.txt" in facts.tag_files
    assert facts.has_fetch and facts.fetch_paths == ("data/c.txt",) and facts.fetch_entries == 1
    assert facts.serialization is None


def test_facts_survive_a_dangling_link(tmp_path: Path) -> None:
    root = write_bag(tmp_path / "bag")
    (root / "data" / "gone").symlink_to(root / "data" / "nowhere")
    facts = read_bag_facts(root)
    assert "data/gone" in facts.payload_files and facts.payload_octets == 6


def test_facts_need_a_bag(tmp_path: Path) -> None:
    with pytest.raises(BagError, match=r"bagit\.txt"):
        read_bag_facts(tmp_path)


# --- rules every version has -----------------------------------------------------------------


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_conforming_bag_has_no_problems(tmp_path: Path, spec: str) -> None:
    profile = _profile(
        tmp_path,
        spec,
        {
            "Bag-Info": {"Source-Organization": {"required": True, "values": ["Archive A"]}},
            "Manifests-Required": ["sha256"],
            "Tag-Manifests-Required": ["sha256"],
            "Tag-Files-Required": ["meta/about.txt"],
            "Allow-Fetch.txt": False,
        },
    )
    info = [("Source-Organization", "Archive A"), ("BagIt-Profile-Identifier", PROFILE_ID)]
    assert _codes(tmp_path, profile, info=info, tag_files={"meta/about.txt": b"x"}) == []


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_bag_info_rules(tmp_path: Path, spec: str) -> None:
    profile = _profile(
        tmp_path,
        spec,
        {
            "Bag-Info": {
                "Source-Organization": {"required": True},
                "Access": {"values": ["open", "closed"]},
                "Title": {"repeatable": False},
            }
        },
    )
    info = [
        ("BagIt-Profile-Identifier", PROFILE_ID),
        ("Access", "secret"),
        ("Title", "One"),
        ("Title", "Two"),
    ]
    root = write_bag(tmp_path / "bag", info=info)
    problems = check_bag(profile, read_bag_facts(root))
    by_code = {p.code: p for p in problems}
    assert set(by_code) == {
        "profile-tag-missing",
        "profile-tag-value-not-allowed",
        "profile-tag-not-repeatable",
    }
    assert "Source-Organization" in by_code["profile-tag-missing"].message
    assert by_code["profile-tag-value-not-allowed"].line == 2
    assert "'secret'" in by_code["profile-tag-value-not-allowed"].message
    assert by_code["profile-tag-not-repeatable"].line == 4
    assert all(p.path == "bag-info.txt" for p in problems)
    assert all(PROFILE_ID in p.message for p in problems)


def test_tag_labels_compare_case_insensitively_and_values_exactly(tmp_path: Path) -> None:
    profile = _profile(
        tmp_path, "1.3.0", {"Bag-Info": {"Access": {"required": True, "values": ["open"]}}}
    )
    ok = [("BagIt-Profile-Identifier", PROFILE_ID), ("access", "open")]
    assert _codes(tmp_path, profile, info=ok) == []
    bad = [("BagIt-Profile-Identifier", PROFILE_ID), ("Access", "Open")]
    assert _codes(tmp_path / "2", profile, info=bad) == ["profile-tag-value-not-allowed"]


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_profile_identifier_missing_and_mismatch(tmp_path: Path, spec: str) -> None:
    profile = _profile(tmp_path, spec)
    assert _codes(tmp_path / "a", profile, info=[]) == ["profile-identifier-missing"]
    other = [("BagIt-Profile-Identifier", "https://example.org/other.json")]
    assert _codes(tmp_path / "b", profile, info=other) == ["profile-identifier-mismatch"]
    both = [*other, ("BagIt-Profile-Identifier", PROFILE_ID)]  # conforms to several profiles
    assert _codes(tmp_path / "c", profile, info=both) == []


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_manifests_and_tag_manifests_required(tmp_path: Path, spec: str) -> None:
    profile = _profile(
        tmp_path, spec, {"Manifests-Required": ["sha512"], "Tag-Manifests-Required": ["md5"]}
    )
    codes = _codes(tmp_path / "a", profile, algorithms=["sha256"], tag_algorithms=["sha256"])
    assert codes == ["profile-manifest-required", "profile-tag-manifest-required"]
    assert _codes(tmp_path / "b", profile, algorithms=["sha512"], tag_algorithms=["md5"]) == []


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_tag_files_required(tmp_path: Path, spec: str) -> None:
    profile = _profile(tmp_path, spec, {"Tag-Files-Required": ["DPN/dpnInfo.txt"]})
    problems = check_bag(profile, read_bag_facts(write_bag(tmp_path / "a")))
    assert [(p.code, p.path) for p in problems] == [
        ("profile-tag-file-required", "DPN/dpnInfo.txt")
    ]
    ok = write_bag(tmp_path / "b", tag_files={"DPN/dpnInfo.txt": b"x"})
    assert check_bag(profile, read_bag_facts(ok)) == []


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_allow_fetch_false(tmp_path: Path, spec: str) -> None:
    profile = _profile(tmp_path, spec, {"Allow-Fetch.txt": False})
    fetch = [("https://example.org/x", 0, "data/x.txt")]
    assert _codes(tmp_path / "a", profile, fetch=fetch) == ["profile-fetch-not-allowed"]
    assert _codes(tmp_path / "b", profile) == []
    allowing = _profile(tmp_path / "p2", spec, {"Allow-Fetch.txt": True})
    assert _codes(tmp_path / "c", allowing, fetch=fetch) == []


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_accept_bagit_version(tmp_path: Path, spec: str) -> None:
    profile = _profile(tmp_path, spec, {"Accept-BagIt-Version": ["0.97"]})
    problems = check_bag(profile, read_bag_facts(write_bag(tmp_path / "a", version="1.0")))
    assert [(p.code, p.path) for p in problems] == [
        ("profile-bagit-version-not-accepted", "bagit.txt")
    ]
    assert _codes(tmp_path / "b", profile, version="0.97") == []


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_serialization(tmp_path: Path, spec: str) -> None:
    required = _profile(
        tmp_path / "r",
        spec,
        {"Serialization": "required", "Accept-Serialization": ["application/zip"]},
    )
    forbidden = _profile(tmp_path / "f", spec, {"Serialization": "forbidden"})
    optional = _profile(
        tmp_path / "o",
        spec,
        {"Serialization": "optional", "Accept-Serialization": ["application/x-tar"]},
    )
    facts = read_bag_facts(
        write_bag(tmp_path / "bag", info=[("BagIt-Profile-Identifier", PROFILE_ID)])
    )

    def codes(profile: Profile, serialization: str | None) -> list[str]:
        changed = BagFacts(**{**facts.__dict__, "serialization": serialization})
        return [p.code for p in check_bag(profile, changed)]

    assert codes(required, None) == ["profile-serialization-required"]
    assert codes(required, "zip") == []
    assert codes(required, "tar") == ["profile-serialization-not-accepted"]
    assert codes(forbidden, "tgz") == ["profile-serialization-forbidden"]
    assert codes(forbidden, None) == []
    assert codes(optional, None) == []
    assert codes(optional, "tar") == []
    assert codes(optional, "tar.gz") == ["profile-serialization-not-accepted"]


# --- 1.2: Tag-Files-Allowed ------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPEC_VERSIONS[1:])
def test_tag_files_allowed(tmp_path: Path, spec: str) -> None:
    profile = _profile(tmp_path, spec, {"Tag-Files-Allowed": ["DPN/*", "about.txt"]})
    tag_files = {"DPN/deep/x.txt": b"1", "about.txt": b"2", "notes/other.txt": b"3"}
    problems = check_bag(profile, read_bag_facts(write_bag(tmp_path / "a", tag_files=tag_files)))
    # bagit.txt, bag-info.txt and the manifests are BagIt's own files, never "not allowed"
    assert [(p.code, p.path) for p in problems] == [
        ("profile-tag-file-not-allowed", "notes/other.txt")
    ]
    del tag_files["notes/other.txt"]
    assert _codes(tmp_path / "b", profile, tag_files=tag_files) == []


def test_tag_file_patterns_are_case_sensitive_and_only_star_is_special(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "1.2.0", {"Tag-Files-Allowed": ["dpn/*", "a?c.txt"]})
    codes = _codes(tmp_path / "a", profile, tag_files={"DPN/x": b"", "abc.txt": b""})
    assert codes == ["profile-tag-file-not-allowed", "profile-tag-file-not-allowed"]
    assert _codes(tmp_path / "b", profile, tag_files={"dpn/x": b"", "a?c.txt": b""}) == []


# --- 1.3: Manifests-Allowed, Tag-Manifests-Allowed -------------------------------------------


@pytest.mark.parametrize("spec", SPEC_VERSIONS[2:])
def test_manifests_allowed(tmp_path: Path, spec: str) -> None:
    profile = _profile(
        tmp_path,
        spec,
        {"Manifests-Allowed": ["sha256", "sha512"], "Tag-Manifests-Allowed": ["sha512"]},
    )
    bag = {"algorithms": ["sha256", "md5"], "tag_algorithms": ["sha256"]}
    root = write_bag(tmp_path / "a", **bag)
    problems = check_bag(profile, read_bag_facts(root))
    assert [(p.code, p.path) for p in problems] == [
        ("profile-manifest-not-allowed", "manifest-md5.txt"),
        ("profile-tag-manifest-not-allowed", "tagmanifest-sha256.txt"),
    ]
    assert _codes(tmp_path / "b", profile, algorithms=["sha512"], tag_algorithms=["sha512"]) == []
    # an empty allowed list allows no tag manifest at all
    none = _profile(tmp_path / "p2", spec, {"Tag-Manifests-Allowed": []})
    assert _codes(tmp_path / "c", none, tag_algorithms=[]) == []
    assert _codes(tmp_path / "d", none) == ["profile-tag-manifest-not-allowed"]


# --- 1.4: Fetch.txt-Required, Data-Empty, Payload-Files-* ------------------------------------


def test_fetch_required(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "1.4.0", {"Fetch.txt-Required": True})
    assert _codes(tmp_path / "a", profile) == ["profile-fetch-required"]
    fetch = [("https://example.org/big", 10, "data/big.bin")]
    assert _codes(tmp_path / "b", profile, fetch=fetch) == []


def test_data_empty(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "1.4.0", {"Data-Empty": True})
    assert _codes(tmp_path / "a", profile, payload={}) == []
    assert _codes(tmp_path / "b", profile, payload={"data/.keep": b""}) == []
    assert _codes(tmp_path / "c", profile, payload={"data/x": b"1"}) == ["profile-data-not-empty"]
    two = {"data/a": b"", "data/b": b""}
    assert _codes(tmp_path / "d", profile, payload=two) == ["profile-data-not-empty"]


def test_only_holes_profile(tmp_path: Path) -> None:
    """1.4's reason for Fetch.txt-Required + Data-Empty: every payload file is in fetch.txt."""
    profile = _profile(
        tmp_path,
        "1.4.0",
        {
            "Fetch.txt-Required": True,
            "Data-Empty": True,
            "Payload-Files-Required": ["data/big.bin"],
        },
    )
    fetch = [("https://example.org/big", 10, "data/big.bin")]
    assert _codes(tmp_path / "a", profile, payload={}, fetch=fetch) == []
    codes = _codes(tmp_path / "b", profile, payload={"data/big.bin": b"0123456789"})
    assert codes == ["profile-fetch-required", "profile-data-not-empty"]


def test_payload_files_required(tmp_path: Path) -> None:
    profile = _profile(
        tmp_path, "1.4.0", {"Payload-Files-Required": ["data/LICENSE.txt", "data/src/"]}
    )
    root = write_bag(tmp_path / "a", payload={"data/src.txt": b"x"})
    problems = check_bag(profile, read_bag_facts(root))
    assert [(p.code, p.path) for p in problems] == [
        ("profile-payload-file-required", "data/LICENSE.txt"),
        ("profile-payload-file-required", "data/src/"),
    ]
    assert "folder" in problems[1].message
    good = {"data/LICENSE.txt": b"MIT", "data/src/deep/main.py": b"print()"}
    assert _codes(tmp_path / "b", profile, payload=good) == []


def test_payload_files_allowed(tmp_path: Path) -> None:
    profile = _profile(
        tmp_path, "1.4.0", {"Payload-Files-Allowed": ["data/images/*", "data/article.html"]}
    )
    payload = {
        "data/article.html": b"<p/>",
        "data/images/fig 1.jpg": b"x",
        "data/images/sub/fig2.jpg": b"y",
        "data/notes.txt": b"z",
    }
    fetch = [("https://example.org/v", 1, "data/video.mp4")]
    root = write_bag(tmp_path / "a", payload=payload, fetch=fetch)
    problems = check_bag(profile, read_bag_facts(root))
    assert [(p.code, p.path) for p in problems] == [
        ("profile-payload-file-not-allowed", "data/notes.txt"),
        ("profile-payload-file-not-allowed", "data/video.mp4"),
    ]
    del payload["data/notes.txt"]
    assert _codes(tmp_path / "b", profile, payload=payload) == []


def test_recommended_tags_are_warnings(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "1.3.0", {"Bag-Info": {"Contact-Email": {"recommended": True}}})
    root = write_bag(tmp_path / "a")
    problems = check_bag(profile, read_bag_facts(root))
    assert [(p.code, p.level) for p in problems] == [
        ("profile-tag-recommended-missing", Severity.WARNING)
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    profile = _profile(
        tmp_path,
        "1.4.0",
        {
            "Bag-Info": {"Source-Organization": {"required": True}},
            "Manifests-Required": ["sha512"],
            "Tag-Files-Required": ["about.txt"],
            "Allow-Fetch.txt": False,
            "Accept-BagIt-Version": ["0.97"],
            "Payload-Files-Allowed": ["data/ok/*"],
        },
    )
    codes = _codes(
        tmp_path / "a", profile, info=[], fetch=[("https://example.org/x", 1, "data/ok/x")]
    )
    assert codes == [
        "profile-bagit-version-not-accepted",
        "profile-identifier-missing",
        "profile-tag-missing",
        "profile-manifest-required",
        "profile-tag-file-required",
        "profile-payload-file-not-allowed",
        "profile-fetch-not-allowed",
    ]


def test_pipeline_checks_a_folder_and_refuses_files(tmp_path: Path) -> None:
    path = write_profile(tmp_path / "p", profile_doc("1.3.0"))
    root = write_bag(tmp_path / "bag", info=[])
    report = check_bag_against_profile(root, str(path))
    assert not report.valid and report.codes() == ["profile-identifier-missing"]
    with pytest.raises(BagError, match="does not exist"):
        check_bag_against_profile(tmp_path / "nope", str(path))
    archive = tmp_path / "bag.zip"
    archive.write_bytes(b"PK")
    with pytest.raises(BagError, match="folders"):
        check_bag_against_profile(archive, str(path))
