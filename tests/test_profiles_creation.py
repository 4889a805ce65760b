"""Profile-driven creation: bag-info tags checked before anything is hashed or written."""

from __future__ import annotations

from pathlib import Path

from bagsmith.bagit.profiles import Profile, load_profile_file
from bagsmith.pipeline.profiling import required_info_problems
from tests.test_profiles_support import PROFILE_ID, profile_doc, write_profile


def _profile(tmp_path: Path) -> Profile:
    doc = profile_doc(
        "1.3.0",
        {
            "Bag-Info": {
                "Source-Organization": {"required": True},
                "Contact-Email": {"required": True},
                "Access": {"required": True, "values": ["open", "closed"]},
                "Rights": {"required": True, "values": ["CC0"]},
                "Storage": {"values": ["standard", "cold"], "default": "standard"},
                "Title": {"repeatable": False},
                "Contact-Phone": {"recommended": True},
            }
        },
    )
    return load_profile_file(write_profile(tmp_path, doc, name="archive-x"))


def test_all_missing_tags_and_bad_values_are_reported_at_once(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    check = required_info_problems(profile, [("Access", "public"), ("Title", "a"), ("Title", "b")])
    assert not check.ok
    errors = [(p.code, p.message.split()[0]) for p in check.problems if p.level.value == "error"]
    assert errors == [
        ("profile-tag-missing", "Source-Organization"),
        ("profile-tag-missing", "Contact-Email"),
        ("profile-tag-value-not-allowed", "Access"),
        ("profile-tag-not-repeatable", "Title"),
    ]
    for problem in check.problems:
        assert f"archive-x ({PROFILE_ID})" in problem.message  # names the profile
        assert "as a bag-info tag" in problem.message  # and how to fix it
    assert "'open', 'closed'" in check.problems[2].message
    warnings = [p.code for p in check.problems if p.level.value == "warning"]
    assert warnings == ["profile-tag-recommended-missing"]


def test_defaults_are_filled_and_satisfy_the_profile(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    given = [
        ("Source-Organization", "Archive"),
        ("Contact-Email", "a@example.org"),
        ("Access", "open"),
        ("Contact-Phone", "123"),
    ]
    check = required_info_problems(profile, given)
    assert check.ok and check.problems == ()
    assert check.defaults == (
        ("BagIt-Profile-Identifier", PROFILE_ID),
        ("Rights", "CC0"),  # required, and only one value is allowed
        ("Storage", "standard"),  # the tag's default
    )


def test_given_values_win_over_defaults(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    given = [
        ("BagIt-Profile-Identifier", "urn:x:mine"),
        ("Source-Organization", "A"),
        ("Contact-Email", "a@example.org"),
        ("Access", "closed"),
        ("Rights", "CC0"),
        ("Storage", "cold"),
    ]
    check = required_info_problems(profile, given)
    assert check.defaults == ()


def test_by_name_with_the_default_profile() -> None:
    check = required_info_problems("bagsmith-article-v1", [("Source-Organization", "A")])
    missing = [p.message.split()[0] for p in check.problems if p.code == "profile-tag-missing"]
    # Bagging-Date and Payload-Oxum are required too, but the bag writer adds them itself
    assert missing == ["External-Description"]
    strict = required_info_problems(
        "bagsmith-article-v1", [("Source-Organization", "A")], automatic=()
    )
    missing = [p.message.split()[0] for p in strict.problems if p.code == "profile-tag-missing"]
    assert missing == ["External-Description", "Bagging-Date", "Payload-Oxum"]
    assert check.defaults == (
        ("BagIt-Profile-Identifier", "urn:bagsmith:profile:bagsmith-article:v1"),
    )
