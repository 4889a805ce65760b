"""bagsmith's profile checks agree with the bagit-profile package on the features both support.

bagit-profile (``bagit_profile``) knows BagIt Profiles up to 1.3.0: it has no Fetch.txt-Required,
Data-Empty or Payload-Files-*, so 1.4 rules are tested against bagsmith alone
(test_profiles_check.py). Known, deliberate differences are not tested here: bagit-profile
compares tag labels case-sensitively and reads a .tar.gz as application/x-tar.
"""

from __future__ import annotations

import logging
import shutil
import tarfile
from pathlib import Path
from typing import Any

import bagit
import bagit_profile
import pytest

from bagsmith.bagit.facts import read_bag_facts
from bagsmith.bagit.profile_check import BagFacts, check_bag
from bagsmith.bagit.profiles import Profile, load_profile, load_profile_file
from bagsmith.errors import ProfileError
from bagsmith.problems import Severity
from tests.test_profiles_support import (
    PROFILE_ID,
    SPEC_VERSIONS,
    fresh,
    profile_doc,
    write_bag,
    write_profile,
)

logging.getLogger().setLevel(logging.CRITICAL)  # bagit_profile logs every failure as an error

ID = ("BagIt-Profile-Identifier", PROFILE_ID)

# (name, first spec version with the feature, profile keys, bag keyword arguments)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("plain", "1.1.0", {}, {}),
    (
        "required tag present",
        "1.1.0",
        {"Bag-Info": {"Source-Organization": {"required": True}}},
        {"info": [ID, ("Source-Organization", "A")]},
    ),
    (
        "required tag missing",
        "1.1.0",
        {"Bag-Info": {"Source-Organization": {"required": True}}},
        {},
    ),
    (
        "value allowed",
        "1.1.0",
        {"Bag-Info": {"Access": {"values": ["open", "closed"]}}},
        {"info": [ID, ("Access", "open")]},
    ),
    (
        "value not allowed",
        "1.1.0",
        {"Bag-Info": {"Access": {"values": ["open", "closed"]}}},
        {"info": [ID, ("Access", "secret")]},
    ),
    (
        "repeated, not repeatable",
        "1.1.0",
        {"Bag-Info": {"Title": {"repeatable": False}}},
        {"info": [ID, ("Title", "a"), ("Title", "b")]},
    ),
    (
        "repeated, repeatable",
        "1.1.0",
        {"Bag-Info": {"Title": {"repeatable": True}}},
        {"info": [ID, ("Title", "a"), ("Title", "b")]},
    ),
    ("identifier missing", "1.1.0", {}, {"info": [("Source-Organization", "A")]}),
    ("identifier mismatch", "1.1.0", {}, {"info": [("BagIt-Profile-Identifier", "urn:x:other")]}),
    ("manifest required, present", "1.1.0", {"Manifests-Required": ["sha256"]}, {}),
    ("manifest required, missing", "1.1.0", {"Manifests-Required": ["sha512"]}, {}),
    ("tag manifest required, present", "1.1.0", {"Tag-Manifests-Required": ["sha256"]}, {}),
    ("tag manifest required, missing", "1.1.0", {"Tag-Manifests-Required": ["md5"]}, {}),
    (
        "tag file required, present",
        "1.1.0",
        {"Tag-Files-Required": ["a/b.txt"]},
        {"tag_files": {"a/b.txt": b"x"}},
    ),
    ("tag file required, missing", "1.1.0", {"Tag-Files-Required": ["a/b.txt"]}, {}),
    ("fetch forbidden, absent", "1.1.0", {"Allow-Fetch.txt": False}, {}),
    (
        "fetch forbidden, present",
        "1.1.0",
        {"Allow-Fetch.txt": False},
        {"fetch": [("https://example.org/x", 0, "data/x")]},
    ),
    (
        "fetch allowed, present",
        "1.1.0",
        {"Allow-Fetch.txt": True},
        {"fetch": [("https://example.org/x", 0, "data/x")]},
    ),
    ("bagit version accepted", "1.1.0", {"Accept-BagIt-Version": ["0.97"]}, {"version": "0.97"}),
    ("bagit version refused", "1.1.0", {"Accept-BagIt-Version": ["0.97"]}, {"version": "1.0"}),
    (
        "tag files allowed",
        "1.2.0",
        {"Tag-Files-Allowed": ["meta/*"]},
        {"tag_files": {"meta/deep/x.txt": b"x"}},
    ),
    (
        "tag file not allowed",
        "1.2.0",
        {"Tag-Files-Allowed": ["meta/*"]},
        {"tag_files": {"other/x.txt": b"x"}},
    ),
    ("manifests allowed", "1.3.0", {"Manifests-Allowed": ["sha256", "md5"]}, {}),
    ("manifest not allowed", "1.3.0", {"Manifests-Allowed": ["md5"]}, {}),
    ("tag manifests allowed", "1.3.0", {"Tag-Manifests-Allowed": ["sha256"]}, {}),
    ("tag manifest not allowed", "1.3.0", {"Tag-Manifests-Allowed": ["sha512"]}, {}),
]

#: cases in which the bag does not conform (the others conform)
NOT_CONFORMING = {
    "required tag missing",
    "value not allowed",
    "repeated, not repeatable",
    "identifier missing",
    "identifier mismatch",
    "manifest required, missing",
    "tag manifest required, missing",
    "tag file required, missing",
    "fetch forbidden, present",
    "bagit version refused",
    "tag file not allowed",
    "manifest not allowed",
    "tag manifest not allowed",
}

PARAMS = [
    pytest.param(spec, case[2], case[3], case[0] not in NOT_CONFORMING, id=f"{spec}-{case[0]}")
    for case in CASES
    for spec in SPEC_VERSIONS[:3]  # bagit-profile knows 1.1–1.3
    if spec >= case[1]
]


def _ours(profile: Profile, facts: BagFacts) -> bool:
    return not any(p.level is Severity.ERROR for p in check_bag(profile, facts))


def _oracle(doc: dict[str, Any], root: Path, url: str = PROFILE_ID) -> bool:
    oracle = bagit_profile.Profile(url, profile=fresh(doc))
    return bool(oracle.validate(bagit.Bag(str(root))))


@pytest.mark.parametrize(("spec", "keys", "bag", "conforms"), PARAMS)
def test_agrees_with_bagit_profile(
    tmp_path: Path, spec: str, keys: dict[str, Any], bag: dict[str, Any], conforms: bool
) -> None:
    doc = profile_doc(spec, keys)
    profile = load_profile_file(write_profile(tmp_path / "p", doc))
    root = write_bag(tmp_path / "bag", **bag)
    if "fetch" not in bag:  # the test bags themselves are valid bags
        bagit.Bag(str(root)).validate()
    assert _ours(profile, read_bag_facts(root)) is _oracle(doc, root) is conforms


@pytest.mark.parametrize(
    ("mode", "accept", "form", "valid"),
    [
        ("required", ["application/zip"], "folder", False),
        ("required", ["application/zip"], "zip", True),
        ("required", ["application/x-tar"], "tar", True),
        ("required", ["application/zip"], "tar", False),
        ("optional", ["application/zip"], "folder", True),
        ("optional", ["application/zip"], "zip", True),
        ("optional", ["application/zip"], "tar", False),
        ("forbidden", None, "folder", True),
        ("forbidden", None, "zip", False),
    ],
)
def test_serialization_agrees_with_bagit_profile(
    tmp_path: Path, mode: str, accept: list[str] | None, form: str, valid: bool
) -> None:
    doc = profile_doc("1.3.0", {"Serialization": mode, "Accept-Serialization": accept})
    profile = load_profile_file(write_profile(tmp_path / "p", doc))
    root = write_bag(tmp_path / "bag")
    target = root
    if form == "zip":
        target = Path(shutil.make_archive(str(tmp_path / "bag"), "zip", tmp_path, "bag"))
    elif form == "tar":
        target = tmp_path / "bag.tar"
        with tarfile.open(target, "w") as tar:
            tar.add(root, arcname="bag")
    facts = read_bag_facts(root)
    facts = BagFacts(**{**facts.__dict__, "serialization": None if form == "folder" else form})
    oracle = bagit_profile.Profile(PROFILE_ID, profile=fresh(doc))
    try:
        oracle_ok = bool(oracle.validate_serialization(str(target)))
    except bagit_profile.ProfileValidationError:
        oracle_ok = False
    assert _ours(profile, facts) is oracle_ok is valid


def _document(profile: Profile) -> dict[str, Any]:
    return fresh(profile.document)


def test_default_profile_accepts_what_bagsmith_bag_writes(tmp_path: Path) -> None:
    """The shape `bagsmith bag --info ...` writes: BagIt 1.0, sha256+sha512 manifests and tag
    manifests, Bagging-Date, Payload-Oxum, Bag-Size, Bag-Software-Agent, plus --info tags."""
    profile = load_profile("bagsmith-article-v1")
    info = [
        ("Bagging-Date", "2026-11-27"),
        ("Bag-Size", "6 bytes"),
        ("Bag-Software-Agent", "bagsmith"),
        ("Source-Organization", "Example Community Archive"),
        ("External-Description", "An article and its photographs"),
        ("BagIt-Profile-Identifier", profile.identifier),
    ]
    root = write_bag(
        tmp_path / "bag",
        info=info,
        algorithms=("sha256", "sha512"),
        tag_algorithms=("sha256", "sha512"),
    )
    bagit.Bag(str(root)).validate()
    problems = check_bag(profile, read_bag_facts(root))
    assert [p.code for p in problems] == ["profile-tag-recommended-missing"] * 3
    assert _oracle(_document(profile), root, profile.identifier)
    # and without the --info tags it names exactly what is missing
    bare = write_bag(
        tmp_path / "bare",
        info=info[:3] + info[5:],
        algorithms=("sha256", "sha512"),
        tag_algorithms=("sha256", "sha512"),
    )
    errors = [p for p in check_bag(profile, read_bag_facts(bare)) if p.level is Severity.ERROR]
    assert {p.message.split()[0] for p in errors} == {"Source-Organization", "External-Description"}
    assert not _oracle(_document(profile), bare, profile.identifier)


def test_btr_copy_accepts_a_bagit_python_bag_naming_the_published_btr_profile(
    tmp_path: Path,
) -> None:
    profile = load_profile("btr-v1.0")
    published = profile.identifier  # the shipped BTR profile carries the published identifier
    assert published == (
        "https://github.com/dpscollaborative/btr_bagit_profile/releases/download/1.0/"
        "btr-bagit-profile.json"
    )
    folder = tmp_path / "bag"
    folder.mkdir()
    (folder / "report.txt").write_text("hello", encoding="utf-8")
    bagit.make_bag(
        str(folder),
        {"Source-Organization": "Example University", "BagIt-Profile-Identifier": published},
        checksums=["sha256"],
    )
    problems = check_bag(profile, read_bag_facts(folder))
    assert problems and all(p.level is Severity.WARNING for p in problems)  # recommended tags
    assert _oracle(_document(profile), folder, published)
    bagit_profile_doc = _document(profile)
    (folder / "fetch.txt").write_text("https://example.org/x 1 data/x\n", encoding="utf-8")
    assert "profile-fetch-not-allowed" in [
        p.code for p in check_bag(profile, read_bag_facts(folder))
    ]
    assert not _oracle(bagit_profile_doc, folder, published)


def test_aptrust_style_profile_needs_md5_aptrust_info_and_a_tar(tmp_path: Path) -> None:
    profile = load_profile("aptrust-style-v2.2")
    info = [
        ("Source-Organization", "Example University"),
        ("BagIt-Profile-Identifier", profile.identifier),
    ]
    root = write_bag(
        tmp_path / "bag",
        info=info,
        algorithms=("md5",),
        tag_algorithms=("md5",),
        tag_files={"aptrust-info.txt": b"Title: T\nAccess: Institution\n"},
    )
    facts = read_bag_facts(root)
    assert [p.code for p in check_bag(profile, facts)] == ["profile-serialization-required"]
    as_tar = BagFacts(**{**facts.__dict__, "serialization": "tar"})
    assert check_bag(profile, as_tar) == []
    assert _oracle(_document(profile), root, profile.identifier)
    wrong = write_bag(tmp_path / "wrong", info=info, algorithms=("sha512",), tag_algorithms=())
    codes = [
        p.code
        for p in check_bag(
            profile, BagFacts(**{**read_bag_facts(wrong).__dict__, "serialization": "tar"})
        )
    ]
    assert codes == [
        "profile-manifest-required",
        "profile-manifest-not-allowed",
        "profile-tag-file-required",
    ]
    assert not _oracle(_document(profile), wrong, profile.identifier)


# --- the shipped profiles are portable (issue 14) ---------------------------------------------
SHIPPED = sorted(p.name for p in (Path(__file__).parents[1] / "profiles").glob("*.json"))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profiles_load_in_bagit_utils_and_bagit_profile(name: str) -> None:
    """Only keys of the BagIt Profiles specification: bagit-utils rejects any other key, in the
    document and in each Bag-Info tag ('Unknown key(s) ...'); bagsmith's own keys live in the
    extension beside it (profiles/extensions/NAME)."""
    from bagit_utils.validator import BagItProfileValidator

    profile = load_profile(name.removesuffix(".json"))
    loaded = BagItProfileValidator.load_profile(profile=fresh(profile.document))
    assert loaded["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] == profile.identifier
    # bagit-profile checks the document when it is constructed (raises when it is not valid)
    bagit_profile.Profile(profile.identifier, profile=fresh(profile.document))
    for spec in profile.document.get("Bag-Info", {}).values():
        assert not set(spec) - {"required", "values", "repeatable", "description"}
    assert not set(profile.info) - {
        "BagIt-Profile-Identifier",
        "BagIt-Profile-Version",
        "Source-Organization",
        "External-Description",
        "Version",
        "Contact-Name",
        "Contact-Email",
        "Contact-Phone",
    }


def test_the_extension_adds_recommended_tags_to_the_portable_profile() -> None:
    profile = load_profile("bagsmith-article-v1")
    assert profile.extension["Extends"] == profile.identifier
    recommended = {r.label for r in profile.tag_rules() if r.recommended}
    assert recommended == {"External-Identifier", "Contact-Name", "Contact-Email"}
    btr = load_profile("btr-v1.0")
    assert "Contact-Email" in {r.label for r in btr.tag_rules() if r.recommended}


def test_an_extension_that_does_not_fit_its_profile_is_refused(tmp_path: Path) -> None:
    path = write_profile(tmp_path, profile_doc("1.3.0", {"Bag-Info": {"A": {"values": ["x"]}}}))
    (tmp_path / "extensions").mkdir()
    ext = tmp_path / "extensions" / path.name
    ext.write_text(
        '{"Bagsmith-Profile-Extension": "1", "Extends": "urn:other", '
        '"Bag-Info": {"A": {"default": "y", "required": true}}}',
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    message = caught.value.message
    assert "$.Extends" in message and "$.Bag-Info.A.required" in message
    assert "$.Bag-Info.A.default" in message and caught.value.path == str(ext)
