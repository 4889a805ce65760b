"""`bagsmith profiles list` and `bagsmith profiles show`, as text and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from tests.test_profiles_support import PROFILE_ID, profile_doc, write_profile


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BAGSMITH_PROFILE_DIR", str(folder))
    return folder


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_list_text_shows_bundled_and_cached_profiles(cache: Path) -> None:
    write_profile(cache, profile_doc("1.4.0"), name="saved")
    code, out, err = _run("profiles", "list")
    assert code == 0 and err == ""
    for name in ("bagsmith-article-v1", "btr-v1.0", "aptrust-style-v2.2", "saved"):
        assert name in out
    assert "urn:bagsmith:profile:bagsmith-article:v1" in out
    assert "BagIt Profiles 1.4.0, cache" in out
    assert f"local profile cache: {cache}" in out


def test_list_json_reports_invalid_cached_profiles_without_failing(cache: Path) -> None:
    write_profile(cache, profile_doc("1.4.0"), name="saved")
    write_profile(cache, profile_doc("1.2.0", {"Data-Empty": True}), name="broken")
    code, out, err = _run("profiles", "list", "--json")
    assert code == 0
    data = json.loads(out)
    names = [p["name"] for p in data["profiles"]]
    assert names[:3] == ["aptrust-style-v2.2", "bagsmith-article-v1", "btr-v1.0"]
    assert "saved" in names and "broken" not in names
    saved = next(p for p in data["profiles"] if p["name"] == "saved")
    assert saved["identifier"] == PROFILE_ID and saved["spec_version"] == "1.4.0"
    assert saved["origin"] == "cache"
    assert data["cache"] == str(cache)
    [bad] = data["invalid"]
    assert bad["code"] == "profile" and bad["path"].endswith("broken.json")
    assert bad["field"] == "$.Data-Empty"
    code, out, err = _run("profiles", "list")
    assert code == 0 and "broken.json" in err and "Data-Empty was added" in err


def test_show_text(cache: Path) -> None:
    code, out, _err = _run("profiles", "show", "bagsmith-article-v1")
    assert code == 0
    assert "Identifier:           urn:bagsmith:profile:bagsmith-article:v1" in out
    assert "Source-Organization            required" in out
    assert "Bagging-Date                   required, once" in out
    assert "Contact-Email                  recommended" in out
    assert "Payload manifests:    required sha256, sha512" in out
    assert "fetch.txt:            not allowed" in out
    assert "BagIt versions:       1.0" in out
    code, out, _err = _run("profiles", "show", "btr-v1.0")
    assert "Identifier:           https://github.com/dpscollaborative/btr_bagit_profile" in out
    assert "Organization-Address           recommended" in out  # from its extension


def test_show_json_and_by_path(tmp_path: Path, cache: Path) -> None:
    doc = profile_doc(
        "1.4.0",
        {
            "Data-Empty": True,
            "Fetch.txt-Required": True,
            "Payload-Files-Allowed": ["data/*"],
            "Bag-Info": {"Access": {"values": ["open"], "default": "open"}},
        },
    )
    path = write_profile(tmp_path / "p", doc, name="holes")
    code, out, _err = _run("profiles", "show", str(path), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["name"] == "holes" and data["origin"] == "path"
    assert data["document"] == doc
    code, out, _err = _run("profiles", "show", str(path))
    assert "fetch.txt:            required" in out
    assert "Payload:              must be empty" in out
    assert "one of: open; default: open" in out


def test_show_invalid_profile_names_file_and_json_path(tmp_path: Path, cache: Path) -> None:
    """A NAME that is not a usable profile is a usage error (exit 2), as for --profile."""
    path = write_profile(
        tmp_path, profile_doc("1.1.0", {"Manifests-Allowed": ["md5"], "Serialization": "x"})
    )
    code, out, err = _run("profiles", "show", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"bagsmith: error[usage]: {path}")
    assert "$.Manifests-Allowed: Manifests-Allowed was added in BagIt Profiles 1.3.0" in err
    assert "$.Serialization: 'x' is not one of" in err
    assert "Traceback" not in err
    code, out, _err = _run("profiles", "show", str(path), "--json")
    error = json.loads(out)["error"]
    assert code == 2 and error["code"] == "usage"
    assert error["path"] == str(path) and error["field"] == "$.Manifests-Allowed"


def test_show_unknown_profile(cache: Path) -> None:
    code, _out, err = _run("profiles", "show", "https://example.org/unknown.json")
    assert code == 2
    assert "not in the local profile cache" in err and str(cache) in err
