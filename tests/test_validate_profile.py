"""`bagsmith validate --profile` and the profile a bag declares: every rule through the CLI,
exit codes, lines in bag-info.txt, JSON against the report schema, folders and archives."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import bagit
import jsonschema
import pytest
from click.testing import CliRunner

from bagsmith.bagit.profiles import load_profile
from bagsmith.cli.validate_cmd import validate
from bagsmith.pipeline.bagging import BagOptions, create_bag
from bagsmith.resources import json_schema
from tests.test_profiles_support import PROFILE_ID, profile_doc, write_bag, write_profile
from tests.validate_helpers import tree_fingerprint

ARTICLE_ID = "urn:bagsmith:profile:bagsmith-article:v1"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(validate, ["--processes", "1", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def report_of(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run("--json", *args)
    data = json.loads(out)
    jsonschema.Draft202012Validator(json_schema("validation-report.schema.json")).validate(data)
    assert data["exit_code"] == code
    return code, data


def entry(data: dict[str, Any]) -> dict[str, Any]:
    [bag] = data["bags"]
    return dict(bag)


@pytest.fixture(autouse=True)
def empty_profile_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "profile-cache"
    monkeypatch.setenv("BAGSMITH_PROFILE_DIR", str(cache))
    return cache


# --- every rule through the CLI ---------------------------------------------------------------

FETCH = [("https://example.org/big", 10, "data/big.bin")]
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str | None, int | None]] = [
    # (case, profile keys, bag, expected code, problem path, problem line in that file)
    ("tag missing", {"Bag-Info": {"Title": {"required": True}}}, {}, "profile-tag-missing",
     "bag-info.txt", None),
    ("tag value", {"Bag-Info": {"Access": {"values": ["open"]}}},
     {"info": [("BagIt-Profile-Identifier", PROFILE_ID), ("Access", "secret")]},
     "profile-tag-value-not-allowed", "bag-info.txt", 2),
    ("tag repeated", {"Bag-Info": {"Title": {"repeatable": False}}},
     {"info": [("BagIt-Profile-Identifier", PROFILE_ID), ("Title", "a"), ("Title", "b")]},
     "profile-tag-not-repeatable", "bag-info.txt", 3),
    ("identifier missing", {}, {"info": []}, "profile-identifier-missing", "bag-info.txt", None),
    ("identifier other", {}, {"info": [("BagIt-Profile-Identifier", "urn:x:other")]},
     "profile-identifier-mismatch", "bag-info.txt", 1),
    ("manifest required", {"Manifests-Required": ["sha512"]}, {},
     "profile-manifest-required", "manifest-sha512.txt", None),
    ("manifest allowed", {"Manifests-Allowed": ["sha512"]}, {"algorithms": ["sha512", "md5"]},
     "profile-manifest-not-allowed", "manifest-md5.txt", None),
    ("tag manifest required", {"Tag-Manifests-Required": ["sha512"]}, {},
     "profile-tag-manifest-required", "tagmanifest-sha512.txt", None),
    ("tag manifest allowed", {"Tag-Manifests-Allowed": ["sha512"]}, {},
     "profile-tag-manifest-not-allowed", "tagmanifest-sha256.txt", None),
    ("tag file required", {"Tag-Files-Required": ["about.txt"]}, {},
     "profile-tag-file-required", "about.txt", None),
    ("tag file allowed", {"Tag-Files-Allowed": ["about.txt"]},
     {"tag_files": {"notes/x.txt": b"x"}}, "profile-tag-file-not-allowed", "notes/x.txt", None),
    ("fetch forbidden", {"Allow-Fetch.txt": False}, {"fetch": FETCH},
     "profile-fetch-not-allowed", "fetch.txt", None),
    ("fetch required", {"BagIt-Profile-Info": "1.4.0", "Fetch.txt-Required": True}, {},
     "profile-fetch-required", "fetch.txt", None),
    ("data empty", {"BagIt-Profile-Info": "1.4.0", "Data-Empty": True}, {},
     "profile-data-not-empty", "data/", None),
    ("payload required", {"BagIt-Profile-Info": "1.4.0", "Payload-Files-Required": ["data/x"]},
     {}, "profile-payload-file-required", "data/x", None),
    ("payload allowed (fetch)",
     {"BagIt-Profile-Info": "1.4.0", "Payload-Files-Allowed": ["data/hello.txt"]},
     {"fetch": FETCH}, "profile-payload-file-not-allowed", "data/big.bin", None),
    ("bagit version", {"Accept-BagIt-Version": ["0.97"]}, {},
     "profile-bagit-version-not-accepted", "bagit.txt", None),
    ("serialization required", {"Serialization": "required",
                                "Accept-Serialization": ["application/zip"]}, {},
     "profile-serialization-required", None, None),
]  # fmt: skip


def _profile_file(folder: Path, keys: dict[str, Any]) -> Path:
    keys = dict(keys)
    spec = keys.pop("BagIt-Profile-Info", "1.3.0")
    return write_profile(folder, profile_doc(spec, keys))


@pytest.mark.parametrize(
    ("keys", "bag", "code", "path", "line"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_every_rule_through_the_cli(
    tmp_path: Path,
    keys: dict[str, Any],
    bag: dict[str, Any],
    code: str,
    path: str | None,
    line: int | None,
) -> None:
    profile = _profile_file(tmp_path / "p", keys)
    root = write_bag(tmp_path / "bag", **bag)
    before = tree_fingerprint(root)
    exit_code, data = report_of("--fast", "--profile", str(profile), str(root))
    problems = [p for p in entry(data)["problems"] if p["code"] == code]
    assert len(problems) == 1, entry(data)["problems"]
    assert (problems[0]["path"], problems[0]["line"]) == (path, line)
    assert problems[0]["severity"] == "error" and exit_code == 1 and data["valid"] is False
    [used] = entry(data)["profiles"]
    assert used["source"] == "option" and used["origin"] == "path" and used["conforms"] is False
    assert used["errors"] >= 1
    # the same text line on stderr, with the line number when there is one
    _, _, err = run("--fast", "--profile", str(profile), str(root))
    where = f"{root}/{path}" if path else str(root)
    where += f":{line}" if line else ""
    assert f"error[{code}] {where}: " in err
    assert tree_fingerprint(root) == before


def test_a_conforming_bag_and_recommended_tags(tmp_path: Path) -> None:
    keys = {"Bag-Info": {"Contact-Email": {"recommended": True}}}
    profile = _profile_file(tmp_path / "p", keys)
    root = write_bag(tmp_path / "bag")
    code, data = report_of("--profile", str(profile), str(root))
    assert code == 0 and data["valid"] is True
    assert [p["code"] for p in entry(data)["problems"]] == ["profile-tag-recommended-missing"]
    assert entry(data)["profiles"][0]["conforms"] is True
    _, out, _ = run("--profile", str(profile), str(root))
    assert "profile test-profile: conforms" in out


@pytest.mark.parametrize(
    ("fmt", "mode", "accept", "expected"),
    [
        ("zip", "required", ["application/zip"], []),
        ("tgz", "required", ["application/zip"], ["profile-serialization-not-accepted"]),
        ("tgz", "optional", ["application/gzip"], []),
        ("tar", "required", ["application/x-tar"], []),
        ("zip", "forbidden", None, ["profile-serialization-forbidden"]),
    ],
)
def test_serialised_bags_meet_the_serialisation_rules(
    tmp_path: Path, fmt: str, mode: str, accept: list[str] | None, expected: list[str]
) -> None:
    keys = {"Serialization": mode, "Accept-Serialization": accept}
    profile = _profile_file(tmp_path / "p", keys)
    root = write_bag(tmp_path / "bag", info=[("BagIt-Profile-Identifier", PROFILE_ID)])
    if fmt == "zip":
        archive = Path(shutil.make_archive(str(tmp_path / "bag"), "zip", tmp_path, "bag"))
    else:
        archive = tmp_path / f"bag.{fmt}"
        with tarfile.open(archive, "w:gz" if fmt == "tgz" else "w") as tar:
            tar.add(root, arcname="bag")
    code, data = report_of("--profile", str(profile), str(archive))
    assert [p["code"] for p in entry(data)["problems"]] == expected
    assert code == (1 if expected else 0) and entry(data)["format"] == fmt


def test_archive_problems_point_at_bag_info_lines(tmp_path: Path) -> None:
    profile = _profile_file(tmp_path / "p", {"Bag-Info": {"Access": {"values": ["open"]}}})
    info = [("BagIt-Profile-Identifier", PROFILE_ID), ("Access", "x")]
    write_bag(tmp_path / "bag", info=info, payload={"data/a": b"1", "data/sub/b": b"22"})
    archive = tmp_path / "bag.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "bag", arcname="bag")
    code, data = report_of("--profile", str(profile), str(archive))
    [problem] = entry(data)["problems"]
    assert (problem["code"], problem["path"], problem["line"]) == (
        "profile-tag-value-not-allowed",
        "bag-info.txt",
        2,
    )
    assert code == 1


# --- the profile a bag declares ---------------------------------------------------------------


def _bagsmith_bag(tmp_path: Path, *info: tuple[str, str]) -> Path:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "a.txt").write_text("alpha\n", encoding="utf-8")
    dest = tmp_path / "bag"
    create_bag([source], dest, BagOptions(info=info, processes=1))
    return dest


def test_bagsmith_bag_declaring_the_article_profile(tmp_path: Path) -> None:
    bag = _bagsmith_bag(
        tmp_path,
        ("BagIt-Profile-Identifier", ARTICLE_ID),
        ("Source-Organization", "Example Archive"),
        ("External-Description", "An article"),
    )
    code, out, err = run(str(bag))
    assert code == 0
    assert "profile bagsmith-article-v1 (named in bag-info.txt): conforms" in out
    assert "warning[profile-tag-recommended-missing]" in err
    code, data = report_of(str(bag))
    [used] = entry(data)["profiles"]
    assert used == {
        "identifier": ARTICLE_ID,
        "source": "declared",
        "available": True,
        "name": "bagsmith-article-v1",
        "origin": "bundled",
        "conforms": True,
        "errors": 0,
        "warnings": 3,
    }
    # --no-profile: plain BagIt validation
    code, data = report_of("--no-profile", str(bag))
    assert code == 0 and entry(data)["profiles"] == [] and entry(data)["problems"] == []


def test_bagsmith_bag_missing_what_its_declared_profile_requires(tmp_path: Path) -> None:
    bag = _bagsmith_bag(tmp_path, ("BagIt-Profile-Identifier", ARTICLE_ID))
    code, data = report_of("--fast", str(bag))
    assert code == 1
    missing = [p for p in entry(data)["problems"] if p["code"] == "profile-tag-missing"]
    assert {p["message"].split()[0] for p in missing} == {
        "Source-Organization",
        "External-Description",
    }
    assert entry(data)["profiles"][0]["conforms"] is False
    # the same bag checked against another profile given explicitly: only that one
    code, data = report_of("--fast", "--profile", "btr-v1.0", str(bag))
    [used] = entry(data)["profiles"]
    assert used["name"] == "btr-v1.0" and used["source"] == "option"
    assert "profile-identifier-mismatch" in [p["code"] for p in entry(data)["problems"]]


def test_bagit_python_bags_with_and_without_a_declared_profile(tmp_path: Path) -> None:
    btr = load_profile("btr-v1.0")
    published = btr.identifier
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text("a", encoding="utf-8")
    bagit.make_bag(str(plain), {"Source-Organization": "Example University"})
    code, data = report_of(str(plain))
    assert code == 0 and entry(data)["profiles"] == [] and entry(data)["problems"] == []

    declared = tmp_path / "declared"
    declared.mkdir()
    (declared / "a.txt").write_text("a", encoding="utf-8")
    bagit.make_bag(
        str(declared),
        {"Source-Organization": "Example University", "BagIt-Profile-Identifier": published},
    )
    code, data = report_of(str(declared))
    assert code == 0  # the restated BTR profile's recommended tags are warnings
    [used] = entry(data)["profiles"]
    assert used["name"] == "btr-v1.0" and used["identifier"] == btr.identifier
    assert used["source"] == "declared" and used["warnings"] > 0
    (declared / "fetch.txt").write_text("https://example.org/x 1 data/x\n", encoding="utf-8")
    code, data = report_of(str(declared))
    assert code == 1
    assert "profile-fetch-not-allowed" in [p["code"] for p in entry(data)["problems"]]


def test_a_declared_profile_not_available_locally_is_an_info(tmp_path: Path) -> None:
    wanted = "https://example.org/profiles/unknown.json"
    info = [("Source-Organization", "X"), ("BagIt-Profile-Identifier", wanted)]
    root = write_bag(tmp_path / "bag", info=info)
    code, data = report_of(str(root))
    assert code == 0 and data["valid"] is True
    [problem] = entry(data)["problems"]
    assert (problem["code"], problem["severity"], problem["path"], problem["line"]) == (
        "profile-not-available",
        "info",
        "bag-info.txt",
        2,
    )
    assert str(tmp_path / "profile-cache") in problem["message"]
    assert entry(data)["profiles"] == [
        {
            "identifier": wanted,
            "source": "declared",
            "available": False,
            "name": None,
            "origin": None,
            "conforms": None,
            "errors": 0,
            "warnings": 0,
        }
    ]
    _, out, err = run(str(root))
    assert f"info[profile-not-available] {root}/bag-info.txt:2: " in err
    assert "not available locally, not checked" in out
    # a value that looks like a path never makes bagsmith read that file
    secret = tmp_path / "not-a-profile.json"
    secret.write_text("{}", encoding="utf-8")
    other = write_bag(tmp_path / "other", info=[("BagIt-Profile-Identifier", str(secret))])
    code, data = report_of(str(other))
    assert code == 0
    assert [p["code"] for p in entry(data)["problems"]] == ["profile-not-available"]


def test_a_declared_profile_found_in_the_cache(tmp_path: Path, empty_profile_cache: Path) -> None:
    doc = profile_doc("1.4.0", {"Bag-Info": {"Title": {"required": True}}})
    write_profile(empty_profile_cache, doc, name="saved")
    root = write_bag(tmp_path / "bag")
    code, data = report_of(str(root))
    assert code == 1
    [used] = entry(data)["profiles"]
    assert (used["name"], used["origin"], used["source"]) == ("saved", "cache", "declared")
    assert [p["code"] for p in entry(data)["problems"]] == ["profile-tag-missing"]
    # and --profile IDENTIFIER finds it there too
    code, data = report_of("--profile", PROFILE_ID, str(root))
    assert entry(data)["profiles"][0]["source"] == "option" and code == 1


def test_profile_option_errors(tmp_path: Path) -> None:
    root = write_bag(tmp_path / "bag")
    code, _, err = run("--profile", "no-such-profile", str(root))
    assert code == 2 and "error[usage]: --profile no-such-profile:" in err
    assert "never downloads" in err
    broken = write_profile(tmp_path / "p", profile_doc("1.2.0", {"Manifests-Allowed": ["md5"]}))
    code, out, _ = run("--json", "--profile", str(broken), str(root))
    error = json.loads(out)["error"]
    assert code == 2 and error["field"] == "$.Manifests-Allowed"
    assert run("--profile", "btr-v1.0", "--no-profile", str(root))[0] == 2
