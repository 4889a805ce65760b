"""Profile documents: the JSON Schema, cross-field rules, clear errors, finding profiles."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bagsmith.bagit.profiles import (
    SCHEMA_NAME,
    bundled_profiles,
    cache_dir,
    check_document,
    load_profile,
    load_profile_file,
)
from bagsmith.errors import ProfileError
from bagsmith.resources import json_schema, profiles_dir
from tests.test_profiles_support import PROFILE_ID, SPEC_VERSIONS, profile_doc, write_profile

BTR_PUBLISHED = "https://github.com/dpscollaborative/btr_bagit_profile/releases/download/1.0/btr-bagit-profile.json"


def test_schema_is_a_valid_2020_12_schema() -> None:
    schema = json_schema(SCHEMA_NAME)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_shipped_profile_passes_the_schema() -> None:
    files = sorted(profiles_dir().glob("*.json"))
    assert {f.stem for f in files} >= {"bagsmith-article-v1", "btr-v1.0", "aptrust-style-v2.2"}
    validator = Draft202012Validator(json_schema(SCHEMA_NAME))
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(document)) == [], path.name
        assert check_document(document) == [], path.name
    loaded = bundled_profiles()
    assert len(loaded) == len(files)
    assert all(p.origin == "bundled" and not p.warnings for p in loaded)


@pytest.mark.parametrize("spec", [None, *SPEC_VERSIONS])
def test_minimal_profile_of_each_version_is_valid(tmp_path: Path, spec: str | None) -> None:
    profile = load_profile_file(write_profile(tmp_path, profile_doc(spec)))
    assert profile.spec_version == (spec or "1.1.0")
    assert profile.identifier == PROFILE_ID
    assert bool(profile.warnings) is (spec is None)  # no version: read as 1.1.0, with a warning


def test_full_1_4_profile_is_valid(tmp_path: Path) -> None:
    doc = profile_doc(
        "1.4.0",
        {
            "Bag-Info": {
                "Access": {
                    "required": True,
                    "values": ["open", "closed"],
                    "repeatable": False,
                    "description": "who may see it",
                    "recommended": False,
                    "default": "open",
                }
            },
            "Manifests-Required": ["sha256"],
            "Manifests-Allowed": ["sha256", "sha512"],
            "Tag-Manifests-Required": ["sha256"],
            "Tag-Manifests-Allowed": ["sha256"],
            "Tag-Files-Required": ["meta/a.txt"],
            "Tag-Files-Allowed": ["meta/*"],
            "Allow-Fetch.txt": True,
            "Fetch.txt-Required": True,
            "Data-Empty": True,
            "Serialization": "required",
            "Accept-Serialization": ["application/zip"],
            "Payload-Files-Required": ["data/a.txt", "data/src/"],
            "Payload-Files-Allowed": ["data/*"],
        },
    )
    assert check_document(doc) == []


# (description, spec version, changes to the minimal document, expected JSON path, words in message)
INVALID: list[tuple[str, str | None, dict[str, Any], str, str]] = [
    (
        "info missing",
        "1.3.0",
        {"BagIt-Profile-Info": None},
        "$",
        "'BagIt-Profile-Info' is a required",
    ),
    (
        "accept version missing",
        "1.3.0",
        {"Accept-BagIt-Version": None},
        "$",
        "'Accept-BagIt-Version'",
    ),
    (
        "accept version empty",
        "1.3.0",
        {"Accept-BagIt-Version": []},
        "$.Accept-BagIt-Version",
        "non-empty",
    ),
    (
        "version as number",
        "1.3.0",
        {"Accept-BagIt-Version": [1.0]},
        "$.Accept-BagIt-Version[0]",
        "not of type 'string'",
    ),
    (
        "required not boolean",
        "1.3.0",
        {"Bag-Info": {"Title": {"required": "yes"}}},
        "$.Bag-Info.Title.required",
        "not of type 'boolean'",
    ),
    (
        "values not a list",
        "1.3.0",
        {"Bag-Info": {"Title": {"values": "a"}}},
        "$.Bag-Info.Title.values",
        "not of type 'array'",
    ),
    (
        "unknown tag key",
        "1.3.0",
        {"Bag-Info": {"Title": {"requried": True}}},
        "$.Bag-Info.Title",
        "'requried' was unexpected",
    ),
    ("label with colon", "1.3.0", {"Bag-Info": {"Ti:tle": {}}}, "$.Bag-Info", "Ti:tle"),
    ("misspelt top key", "1.3.0", {"Manifest-Required": ["md5"]}, "$", "check its spelling"),
    (
        "bad serialization",
        "1.3.0",
        {"Serialization": "sometimes"},
        "$.Serialization",
        "'sometimes' is not one of",
    ),
    (
        "serialization needs types",
        "1.3.0",
        {"Serialization": "required"},
        "$",
        "Accept-Serialization must list",
    ),
    (
        "empty types",
        "1.3.0",
        {"Serialization": "optional", "Accept-Serialization": []},
        "$.Accept-Serialization",
        "Accept-Serialization must list",
    ),
    (
        "bad mime type",
        "1.3.0",
        {"Serialization": "optional", "Accept-Serialization": ["zip"]},
        "$.Accept-Serialization[0]",
        "does not match",
    ),
    (
        "upper-case algorithm",
        "1.3.0",
        {"Manifests-Required": ["SHA256"]},
        "$.Manifests-Required[0]",
        "does not match",
    ),
    (
        "fetch not boolean",
        "1.3.0",
        {"Allow-Fetch.txt": "no"},
        '$["Allow-Fetch.txt"]',
        "not of type 'boolean'",
    ),
    (
        "unknown spec version",
        None,
        {
            "BagIt-Profile-Info": {
                "Source-Organization": "O",
                "External-Description": "D",
                "Version": "1",
                "BagIt-Profile-Identifier": PROFILE_ID,
                "BagIt-Profile-Version": "2.0.0",
            }
        },
        "$.BagIt-Profile-Info.BagIt-Profile-Version",
        "not one bagsmith knows",
    ),
    (
        "identifier not a URI",
        None,
        {
            "BagIt-Profile-Info": {
                "Source-Organization": "O",
                "External-Description": "D",
                "Version": "1",
                "BagIt-Profile-Identifier": "my profile",
            }
        },
        "$.BagIt-Profile-Info.BagIt-Profile-Identifier",
        "does not match",
    ),
    (
        "info version missing",
        None,
        {
            "BagIt-Profile-Info": {
                "Source-Organization": "O",
                "External-Description": "D",
                "BagIt-Profile-Identifier": PROFILE_ID,
            }
        },
        "$.BagIt-Profile-Info",
        "'Version' is a required",
    ),
    (
        "tag file outside bag",
        "1.3.0",
        {"Tag-Files-Required": ["../etc/passwd"]},
        "$.Tag-Files-Required[0]",
        "relative to the bag",
    ),
    (
        "tag file in payload",
        "1.3.0",
        {"Tag-Files-Required": ["data/x.txt"]},
        "$.Tag-Files-Required[0]",
        "outside data/",
    ),
    (
        "payload outside data",
        "1.4.0",
        {"Payload-Files-Required": ["x.txt"]},
        "$.Payload-Files-Required[0]",
        "starts with data/",
    ),
    (
        "payload pattern absolute",
        "1.4.0",
        {"Payload-Files-Allowed": ["/data/*"]},
        "$.Payload-Files-Allowed[0]",
        "starts with data/",
    ),
    # keys newer than the declared version
    (
        "1.1 has no Tag-Files-Allowed",
        "1.1.0",
        {"Tag-Files-Allowed": ["*"]},
        "$.Tag-Files-Allowed",
        "added in BagIt Profiles 1.2.0",
    ),
    (
        "no version = 1.1",
        None,
        {"Tag-Files-Allowed": ["*"]},
        "$.Tag-Files-Allowed",
        "declares BagIt-Profile-Version 1.1.0",
    ),
    (
        "1.2 has no Manifests-Allowed",
        "1.2.0",
        {"Manifests-Allowed": ["md5"]},
        "$.Manifests-Allowed",
        "added in BagIt Profiles 1.3.0",
    ),
    (
        "1.2 has no Tag-Manifests-Allowed",
        "1.2.0",
        {"Tag-Manifests-Allowed": ["md5"]},
        "$.Tag-Manifests-Allowed",
        "1.3.0",
    ),
    (
        "1.3 has no Fetch.txt-Required",
        "1.3.0",
        {"Fetch.txt-Required": True},
        '$["Fetch.txt-Required"]',
        "added in BagIt Profiles 1.4.0",
    ),
    ("1.3 has no Data-Empty", "1.3.0", {"Data-Empty": True}, "$.Data-Empty", "1.4.0"),
    (
        "1.3 has no Payload-Files-Required",
        "1.3.0",
        {"Payload-Files-Required": ["data/a"]},
        "$.Payload-Files-Required",
        "1.4.0",
    ),
    (
        "1.2 has no Payload-Files-Allowed",
        "1.2.0",
        {"Payload-Files-Allowed": ["data/*"]},
        "$.Payload-Files-Allowed",
        "1.4.0",
    ),
    # cross-field rules
    (
        "required manifest not allowed",
        "1.3.0",
        {"Manifests-Required": ["sha256", "md5"], "Manifests-Allowed": ["sha256"]},
        "$.Manifests-Required[1]",
        "Manifests-Allowed does not list",
    ),
    (
        "required tag manifest not allowed",
        "1.3.0",
        {"Tag-Manifests-Required": ["md5"], "Tag-Manifests-Allowed": []},
        "$.Tag-Manifests-Required[0]",
        "Tag-Manifests-Allowed",
    ),
    (
        "required tag file not covered",
        "1.2.0",
        {"Tag-Files-Required": ["DPN/a.txt", "b.txt"], "Tag-Files-Allowed": ["DPN/*"]},
        "$.Tag-Files-Required[1]",
        "no Tag-Files-Allowed pattern",
    ),
    (
        "required payload folder not covered",
        "1.4.0",
        {"Payload-Files-Required": ["data/src/"], "Payload-Files-Allowed": ["data/doc/*"]},
        "$.Payload-Files-Required[0]",
        "no Payload-Files-Allowed pattern",
    ),
    (
        "fetch required but not allowed",
        "1.4.0",
        {"Fetch.txt-Required": True, "Allow-Fetch.txt": False},
        '$["Fetch.txt-Required"]',
        "cannot be required",
    ),
    (
        "default outside values",
        "1.3.0",
        {"Bag-Info": {"Access": {"values": ["a"], "default": "b"}}},
        "$.Bag-Info.Access.default",
        "not one of its values",
    ),
]


@pytest.mark.parametrize(
    ("spec", "changes", "where", "words"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_profiles_are_rejected_naming_file_and_json_path(
    tmp_path: Path, spec: str | None, changes: dict[str, Any], where: str, words: str
) -> None:
    path = write_profile(tmp_path, profile_doc(spec, changes), name="broken")
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    err = caught.value
    assert err.path == str(path)
    text = str(err)
    assert text.startswith(str(path))
    assert f"  {where}: " in text and words in text, text


def test_every_schema_problem_is_listed_at_once(tmp_path: Path) -> None:
    doc = profile_doc(
        "1.2.0",
        {"Serialization": "never", "Allow-Fetch.txt": "no", "Manifests-Allowed": ["md5"]},
    )
    with pytest.raises(ProfileError) as caught:
        load_profile_file(write_profile(tmp_path, doc))
    text = str(caught.value)
    assert "3 problems" in text
    for where in ("$.Serialization", '$["Allow-Fetch.txt"]', "$.Manifests-Allowed"):
        assert f"  {where}: " in text


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "BagIt-Profile-Info": {\n    "Version": "1",\n  }\n}\n', encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    assert caught.value.line == 4 and "not valid JSON" in str(caught.value)
    assert str(caught.value).startswith(f"{path}:4")


def test_profile_listing_bagit_profile_identifier_gets_a_warning(tmp_path: Path) -> None:
    doc = profile_doc("1.3.0", {"Bag-Info": {"BagIt-Profile-Identifier": {"required": True}}})
    profile = load_profile_file(write_profile(tmp_path, doc))
    assert any("SHOULD NOT" in w for w in profile.warnings)


# --- finding profiles ------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a profile look-up tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_load_by_name_path_and_bundled_identifier(tmp_path: Path, no_network: None) -> None:
    by_name = load_profile("bagsmith-article-v1")
    assert by_name.origin == "bundled" and by_name.name == "bagsmith-article-v1"
    by_path = load_profile(str(by_name.path))
    assert by_path.origin == "path" and by_path.identifier == by_name.identifier
    assert load_profile(by_name.identifier).path == by_name.path
    btr = load_profile(BTR_PUBLISHED)  # the published identifier finds bagsmith's restatement
    assert btr.name == "btr-v1.0" and BTR_PUBLISHED in btr.accepted_identifiers


def test_load_by_url_from_the_cache_never_fetches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("BAGSMITH_PROFILE_DIR", str(cache))
    assert cache_dir() == cache
    with pytest.raises(ProfileError) as caught:
        load_profile(PROFILE_ID)
    assert str(cache) in str(caught.value) and "never downloads" in str(caught.value)
    write_profile(cache, profile_doc("1.4.0"), name="saved-copy")
    found = load_profile(PROFILE_ID)
    assert found.origin == "cache" and found.name == "saved-copy"
    assert load_profile("saved-copy").origin == "cache"


def test_a_saved_published_profile_wins_over_a_restatement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("BAGSMITH_PROFILE_DIR", str(cache))
    info = {
        "Source-Organization": "BTR group",
        "External-Description": "the published document",
        "Version": "1.0",
        "BagIt-Profile-Identifier": BTR_PUBLISHED,
        "BagIt-Profile-Version": "1.3.0",
    }
    write_profile(cache, profile_doc("1.3.0", {"BagIt-Profile-Info": info}), name="btr-published")
    found = load_profile(BTR_PUBLISHED)
    assert found.origin == "cache" and found.name == "btr-published"
    assert found.accepted_identifiers == (BTR_PUBLISHED,)


def test_missing_path_and_invalid_cached_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ProfileError, match="not found"):
        load_profile(str(tmp_path / "nope.json"))
    cache = tmp_path / "cache"
    monkeypatch.setenv("BAGSMITH_PROFILE_DIR", str(cache))
    write_profile(cache, profile_doc("1.3.0", {"Data-Empty": True}), name="bad")
    with pytest.raises(ProfileError, match=r"Data-Empty was added"):
        load_profile(PROFILE_ID)


def test_default_cache_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAGSMITH_PROFILE_DIR", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "bagsmith" / "profiles"


def test_a_profile_text_is_schema_checked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`batch` loads its profile for every article: the schema check (a pure function of the
    text) runs once per text; every load still reads the file, so a changed profile is checked
    again, and each load gets its own document."""
    from bagsmith.bagit import profiles

    calls: list[object] = []
    real = profiles.check_document

    def counted(document: Any) -> list[tuple[str, str]]:
        calls.append(document)
        return real(document)

    monkeypatch.setattr(profiles, "check_document", counted)
    monkeypatch.setattr(profiles, "_CHECKED", {})
    path = write_profile(tmp_path, profile_doc("1.3.0"), name="archive-x")
    first, second = load_profile_file(path), load_profile_file(path)
    assert len(calls) == 1 and first == second and first.document is not second.document
    path.write_text(json.dumps(profile_doc("1.3.0", {"Serialization": "never"})), "utf-8")
    with pytest.raises(ProfileError, match=r"\$\.Serialization"):
        load_profile_file(path)
    with pytest.raises(ProfileError, match=r"\$\.Serialization"):
        load_profile_file(path)
    assert len(calls) == 2
