"""`bagsmith package` on the command line: summary, --json, exit codes, --info-file, README."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from tests.test_package_support import ROOT, bag_info, leftovers, make_example, tree_state


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return make_example(tmp_path / "src")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["package", *args])
    return result.exit_code, result.stdout, result.stderr


def base_args(example: Path, dest: Path) -> list[str]:
    return [
        str(example / "article" / "article.txt"),
        "--images",
        str(example / "article"),
        "--metadata",
        str(example / "metadata.yaml"),
        "--output",
        str(dest),
        "--created",
        "2026-11-27T09:30:00Z",
        "--processes",
        "1",
    ]


def test_summary_and_warnings(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    dest = tmp_path / "out" / "bag"
    code, out, err = invoke(*base_args(example, dest), "--info", "Source-Organization=Archive")
    assert code == 0, err
    assert f"Packaged {dest}: 9 files, " in out
    assert "figures: 4; images matched: 4, unmatched: 0" in out
    assert "profile: urn:bagsmith:profile:bagsmith-article:v1" in out
    assert "validation: VALID" in out
    # recommended tags not given: warned once each, before writing, naming the profile
    assert err.count("warning[profile-tag-recommended-missing]") == 2
    assert "Contact-Name is recommended by profile bagsmith-article-v1" in err
    assert "give it as a bag-info tag (LABEL=VALUE), one by one or in a bag-info file" in err
    assert "Contact-Name is recommended by profile bagsmith-article-v1 (" in err
    assert "sidecar" not in err.split("Contact-Name is recommended", 1)[1].split("\n")[0]


def test_json_document(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    dest = tmp_path / "out" / "bag"
    report = tmp_path / "report.html"
    code, out, _err = invoke(
        *base_args(example, dest),
        "--info",
        "Source-Organization=Archive",
        "--report",
        str(report),
        "--json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["path"] == str(dest) and doc["valid"] is True
    assert (doc["files"], doc["figures"], doc["images_matched"], doc["images_unmatched"]) == (
        9,
        4,
        4,
        0,
    )
    assert doc["validation"]["valid"] is True and doc["validation"]["path"] == str(dest)
    assert {"label": "Source-Organization", "value": "Archive"} in doc["bag_info"]
    assert doc["report"] == str(report) and report.is_file()
    assert all({"code", "severity", "message"} <= set(w) for w in doc["warnings"])


def test_missing_required_tag_exits_1_and_writes_nothing(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    before = tree_state(example)
    out_dir = tmp_path / "out"
    code, out, _err = invoke(*base_args(example, out_dir / "bag"), "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == "profile"
    assert "Source-Organization is required by profile bagsmith-article-v1" in error["message"]
    assert not out_dir.exists() or leftovers(out_dir) == []
    assert not (out_dir / "bag").exists()
    assert tree_state(example) == before


def test_info_file_and_no_profile(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    info = tmp_path / "archive-info.txt"
    info.write_text(
        "# our standing tags\nSource-Organization: Example Community Archive\n"
        "Contact-Name: Ann Archivist\nContact-Email: ann@example.org\n",
        encoding="utf-8",
    )
    dest = tmp_path / "out" / "bag"
    code, _out, err = invoke(*base_args(example, dest), "--info-file", str(info), "-q")
    assert code == 0, err
    assert err == ""  # every recommended tag is given: nothing to warn about
    tags = bag_info(dest)
    assert tags["Contact-Email"] == ["ann@example.org"]

    other = tmp_path / "out" / "plain"
    code, out, err = invoke(*base_args(example, other), "--no-profile")
    assert code == 0, err
    assert "profile: (none)" in out and "BagIt-Profile-Identifier" not in bag_info(other)


def test_bad_info_file_names_the_line(example: Path, tmp_path: Path) -> None:
    info = tmp_path / "info.txt"
    info.write_text("Source-Organization: A\nnot a tag line\n", encoding="utf-8")
    code, _out, err = invoke(*base_args(example, tmp_path / "bag"), "--info-file", str(info))
    assert code == 2 and f"{info}:2" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--info", "no-equals-sign"], 2),
        (["--serialize", "rar"], 2),
        (["--processes", "0"], 2),
    ],
)
def test_usage_errors(
    example: Path, tmp_path: Path, schema_cache: Path, args: list[str], expected: int
) -> None:
    code, _out, _err = invoke(*base_args(example, tmp_path / "bag"), *args)
    assert code == expected
    assert not (tmp_path / "bag").exists()


def test_unreadable_article_exits_2(tmp_path: Path, schema_cache: Path) -> None:
    code, _out, err = invoke(str(tmp_path / "missing.txt"), "--output", str(tmp_path / "bag"))
    assert code == 2 and "missing.txt" in err


def _readme_first_command() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1]
    steps = block.split(" && ")
    assert steps[0] == "pip install ."
    return steps[1:]


@pytest.mark.slow
def test_readme_first_command_works_twice(tmp_path: Path) -> None:
    """The README's first command (all but `pip install .`), with build/ under tmp_path and
    its own schema cache; run twice, as a developer would."""
    steps = _readme_first_command()
    assert any(s.startswith("bagsmith package ") for s in steps)
    assert steps[-1] == "bagsmith validate build/example-bag"
    commands = []
    for step in steps:
        step = step.replace("build/", f"{tmp_path}/build/")
        if step.startswith("bagsmith "):
            step = f"{shlex.quote(sys.executable)} -m bagsmith " + step[len("bagsmith ") :]
        elif step.startswith("python "):
            step = shlex.quote(sys.executable) + step[len("python") :]
        commands.append(step)
    env = {**os.environ, "BAGSMITH_SCHEMA_DIR": str(tmp_path / "schemas")}
    env.pop("SOURCE_DATE_EPOCH", None)
    for _ in range(2):
        proc = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", " && ".join(commands)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "build/example-bag: valid" in proc.stdout
    bag = tmp_path / "build" / "example-bag"
    assert (bag / "data/mets.xml").is_file()
    assert bag_info(bag)["Source-Organization"] == ["Example Community Archive"]
