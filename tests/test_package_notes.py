"""`bagsmith package`: notes counted by severity, refusals with their problems in --json, and
exit 2 for a --profile that names no usable profile (exit 1 for a package that fails one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.cli.package_cmd import notes_summary
from bagsmith.resources import profiles_dir
from tests.test_package_support import CREATED, leftovers, make_example, tree_state

ARCHIVE = ("--info", "Source-Organization=Example Community Archive")
CONTACT = ("--info", "Contact-Name=Ann Archivist", "--info", "Contact-Email=ann@example.org")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return make_example(tmp_path / "src")


def invoke(example: Path, dest: Path, *args: str) -> tuple[int, str, str]:
    argv = [
        "package",
        str(example / "article" / "article.txt"),
        "--images",
        str(example / "article"),
        "--metadata",
        str(example / "metadata.yaml"),
        "--output",
        str(dest),
        "--created",
        CREATED,
        "--processes",
        "1",
        *args,
    ]
    result = CliRunner().invoke(main, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def summary_line(out: str, label: str) -> str:
    [line] = [line.strip() for line in out.splitlines() if line.strip().startswith(label)]
    return line


def assert_nothing_written(example: Path, out_dir: Path, before: object) -> None:
    assert not (out_dir / "bag").exists()
    assert not out_dir.exists() or leftovers(out_dir) == []
    assert tree_state(example) == before


def test_tutorial_run_counts_info_notes_apart_from_warnings(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    """The tutorial's command: article.txt in the images folder is an info note, not a
    warning; the summary says so, and the same counts are in --json."""
    code, out, err = invoke(example, tmp_path / "bag", *ARCHIVE, *CONTACT)
    assert code == 0, err
    assert err.splitlines() == [
        f"info[image-file-skipped] {example / 'article' / 'article.txt'}: "
        "not an image file name; skipped"
    ]
    assert (
        summary_line(out, "validation:")
        == "validation: VALID (BagIt, profile, METS/DC; 0 warnings)"
    )
    assert summary_line(out, "notes:") == "notes: 1 info, 0 warnings (listed above)"
    assert "warnings: 1" not in out

    code, out, _err = invoke(example, tmp_path / "bag2", *ARCHIVE, *CONTACT, "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["note_counts"] == {"error": 0, "warning": 0, "info": 1}
    [note] = doc["warnings"]  # every note is still listed, with its severity
    assert (note["code"], note["severity"]) == ("image-file-skipped", "info")


def test_warnings_and_broken_images_are_counted_by_severity(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    photo = example / "article" / "02.jpg"
    photo.write_bytes(photo.read_bytes()[:2000])  # truncated: an error, packaged as it is
    # no Contact-Name / Contact-Email: two recommended-tag warnings
    code, out, err = invoke(example, tmp_path / "bag", *ARCHIVE, "--allow-broken-images")
    assert code == 0, err
    assert err.count("warning[profile-tag-recommended-missing]") == 2
    assert err.count("error[image-corrupt]") == 1 and err.count("info[") == 1
    assert summary_line(out, "notes:") == "notes: 1 error, 1 info, 2 warnings (listed above)"
    code, out, _err = invoke(
        example, tmp_path / "bag2", *ARCHIVE, "--allow-broken-images", "--json"
    )
    doc = json.loads(out)
    assert doc["note_counts"] == {"error": 1, "warning": 2, "info": 1}
    assert sorted(w["severity"] for w in doc["warnings"]) == ["error", "info", "warning", "warning"]


def test_notes_summary_without_notes() -> None:
    assert notes_summary({"error": 0, "warning": 0, "info": 0}) == "0 warnings"
    assert notes_summary({"error": 0, "warning": 1, "info": 0}) == "1 warning (listed above)"
    assert notes_summary({"error": 2, "warning": 0, "info": 3}) == (
        "2 errors, 3 info, 0 warnings (listed above)"
    )


def test_json_refusal_lists_each_missing_required_tag(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    doc = json.loads((profiles_dir() / "bagsmith-article-v1.json").read_text(encoding="utf-8"))
    doc["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] = "urn:example:profile:strict"
    doc["Bag-Info"]["Contact-Email"] = {"required": True}
    profile = tmp_path / "strict.json"
    profile.write_text(json.dumps(doc), encoding="utf-8")
    before = tree_state(example)
    out_dir = tmp_path / "out"
    # neither Source-Organization nor Contact-Email is given
    code, out, _err = invoke(example, out_dir / "bag", "--profile", str(profile), "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == "profile" and "(2 problems)" in error["message"]
    problems = error["problems"]
    assert [p["code"] for p in problems] == ["profile-tag-missing", "profile-tag-missing"]
    assert all(p["severity"] == "error" for p in problems)
    assert {"Source-Organization", "Contact-Email"} == {p["message"].split()[0] for p in problems}
    assert all(p["message"] in error["message"] for p in problems)
    assert set(problems[0]) == {"code", "severity", "message", "path", "line"}
    assert_nothing_written(example, out_dir, before)


@pytest.mark.parametrize("kind", ["invalid document", "not JSON", "unknown name"])
def test_unusable_profile_option_is_a_usage_error(
    example: Path, tmp_path: Path, schema_cache: Path, kind: str
) -> None:
    bad = tmp_path / "bad.json"
    if kind == "invalid document":
        bad.write_text(json.dumps({"BagIt-Profile-Info": {}}), encoding="utf-8")
    elif kind == "not JSON":
        bad.write_text("{\n  'single quotes'\n}\n", encoding="utf-8")
    ref = "no-such-profile" if kind == "unknown name" else str(bad)
    before = tree_state(example)
    out_dir = tmp_path / "out"
    code, out, err = invoke(example, out_dir / "bag", *ARCHIVE, "--profile", ref)
    assert code == 2 and out == ""
    assert err.startswith("bagsmith: error[usage]: ") and f"--profile {ref}: " in err
    assert "Traceback" not in err
    if kind != "unknown name":
        assert str(bad) in err
    if kind == "not JSON":
        assert f"{bad}:2: " in err
    code, out, _err = invoke(example, out_dir / "bag", *ARCHIVE, "--profile", ref, "--json")
    error = json.loads(out)["error"]
    assert code == 2 and error["code"] == "usage"
    assert_nothing_written(example, out_dir, before)
