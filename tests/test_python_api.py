"""The public Python API (``import bagsmith``): its surface, its types, its guide and reference."""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import bagsmith
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "python"
GUIDE = ROOT / "docs" / "python.md"
SCRIPTS = ["make_bag.py", "validate_bag.py", "package_article.py", "deposit_bag.py"]
SCRIPTS.append("walk_collection.py")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("hello\n", encoding="utf-8")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)))
    return src


# --- the surface ----------------------------------------------------------------------------


def test_import_bagsmith_loads_no_layer() -> None:
    code = "import sys, bagsmith; print(sorted(m for m in sys.modules if m.startswith('bagsmith')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['bagsmith']"


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in bagsmith.__all__:
        value = getattr(bagsmith, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"bagsmith.{name} has no docstring"
    assert set(bagsmith.__all__) <= set(dir(bagsmith))
    with pytest.raises(AttributeError):
        _ = bagsmith.no_such_name  # type: ignore[attr-defined]


def test_the_package_lists_the_names_the_api_module_exports() -> None:
    """``bagsmith/__init__.py`` repeats the api's names on purpose (docs/architecture.md): it
    cannot read them from ``bagsmith.api`` without loading it. The three lists must agree."""
    import ast

    from bagsmith import api

    tree = ast.parse((ROOT / "src" / "bagsmith" / "__init__.py").read_text(encoding="utf-8"))
    checked = next(
        node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "api"
    )
    assert sorted(a.name for a in checked.names) == sorted(api.__all__)
    assert sorted(bagsmith.__all__) == sorted([*api.__all__, "__version__"])


def test_the_deposit_subpackage_does_not_hide_the_deposit_function() -> None:
    code = (
        "import bagsmith, bagsmith.deposit.registry, sys\n"
        "assert callable(bagsmith.deposit), bagsmith.deposit\n"
        "assert sys.modules['bagsmith.deposit'].registry.build\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_package_ships_its_type_marker() -> None:
    assert (ROOT / "src" / "bagsmith" / "py.typed").is_file()


# --- make_bag and Bag -----------------------------------------------------------------------


def test_make_bag_takes_a_mapping_and_pathlike_and_returns_the_bag(
    source: Path, tmp_path: Path
) -> None:
    bag = bagsmith.make_bag(
        source,
        tmp_path / "bag",
        info={"Source-Organization": "Example", "Contact-Name": ["Ann", "Bo"]},
        algorithms="sha256",
    )
    assert isinstance(bag, bagsmith.Bag) and bag.path == tmp_path / "bag"
    assert bag.payload == ("data/a.txt", "data/sub/b.bin")
    assert bag.algorithms == ("sha256",)
    assert bag.manifests["sha256"]["data/a.txt"] == (
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    )
    assert "tagmanifest-sha256.txt" in bag.tag_files
    assert "bag-info.txt" in bag.tag_manifests["sha256"]
    assert bag.info["source-organization"] == "Example"  # labels compare case-insensitively
    assert bag.info.get_all("Contact-Name") == ["Ann", "Bo"]
    assert bag.payload_oxum == f"{6 + 256}.2"
    assert bag.version == "1.0" and bag.format == "folder"
    assert bagsmith.validate(bag.path).valid


def test_a_serialised_bag_opens_without_extracting(source: Path, tmp_path: Path) -> None:
    bag = bagsmith.make_bag([source / "a.txt"], str(tmp_path / "bag"), serialize="zip")
    assert bag.path == tmp_path / "bag.zip" and bag.format == "zip"
    assert zipfile.is_zipfile(bag.path) and not (tmp_path / "bag").exists()
    assert bag.payload == ("data/a.txt",)
    assert bag.validate().valid


@pytest.mark.parametrize(
    ("info", "field"),
    [
        ([("Source-Organization", "X")], "info"),  # not a mapping
        ({"Contact-Name": 3}, "Contact-Name"),  # not a string
        ({"Contact-Name": ["a", None]}, "Contact-Name"),
    ],
)
def test_bad_bag_info_is_a_usage_error_naming_the_tag(
    source: Path, tmp_path: Path, info: object, field: str
) -> None:
    with pytest.raises(bagsmith.UsageError) as caught:
        bagsmith.make_bag(source, tmp_path / "bag", info=info)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert not (tmp_path / "bag").exists()


def test_an_existing_destination_is_a_destination_error(source: Path, tmp_path: Path) -> None:
    (tmp_path / "bag").mkdir()
    (tmp_path / "bag" / "x").write_text("x", encoding="utf-8")
    with pytest.raises(bagsmith.DestinationError):
        bagsmith.make_bag(source, tmp_path / "bag")


def test_opening_something_that_is_not_a_bag(source: Path, tmp_path: Path) -> None:
    with pytest.raises(bagsmith.BagError):
        bagsmith.Bag(source)
    with pytest.raises(bagsmith.InputError):
        bagsmith.Bag(tmp_path / "missing")


# --- validate -------------------------------------------------------------------------------


def test_validate_reports_every_problem_with_code_severity_path_message(
    source: Path, tmp_path: Path
) -> None:
    bag = bagsmith.make_bag(source, tmp_path / "bag")
    (bag.path / "data" / "a.txt").write_text("changed\n", encoding="utf-8")
    (bag.path / "data" / "extra.txt").write_text("x", encoding="utf-8")
    result = bag.validate()
    assert not result.valid
    found = {(p.code, p.severity, p.path) for p in result.problems}
    assert ("payload-digest-mismatch", bagsmith.Severity.ERROR, "data/a.txt") in found
    assert ("payload-file-unlisted", bagsmith.Severity.ERROR, "data/extra.txt") in found
    assert all(p.message for p in result.problems)
    assert result.errors and result.to_dict()["valid"] is False
    fast = bagsmith.validate(bag.path, mode="completeness")
    assert "payload-digest-mismatch" not in {p.code for p in fast.errors}  # nothing hashed
    assert "payload-file-unlisted" in {p.code for p in fast.errors}


def test_validate_of_a_plain_folder_is_invalid_not_an_exception(source: Path) -> None:
    result = bagsmith.validate(source)
    assert not result.valid and [p.code for p in result.problems] == ["not-a-bag"]


def test_validate_refuses_unknown_modes_and_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(bagsmith.UsageError):
        bagsmith.validate(tmp_path, mode="thorough")  # type: ignore[arg-type]
    with pytest.raises(bagsmith.InputError):
        bagsmith.validate(tmp_path / "missing")


def test_package_parse_and_deposit(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _example(tmp_path)
    article = folder / "article" / "article.txt"
    parsed = bagsmith.parse(article, images=folder / "article", metadata=folder / "metadata.yaml")
    assert isinstance(parsed.article, bagsmith.Article) and len(parsed.article.figures) == 4
    assert parsed.to_dict()["title"] == parsed.article.title
    with pytest.raises(bagsmith.ProfileError) as caught:  # the default profile wants contacts
        bagsmith.package(article, tmp_path / "nope", images=folder / "article")
    assert "Source-Organization" in str(caught.value) and not (tmp_path / "nope").exists()
    made = bagsmith.package(
        article,
        tmp_path / "pkg",
        images=folder / "article",
        metadata=folder / "metadata.yaml",
        info={
            "Source-Organization": "Example",
            "Contact-Name": "Ann",
            "Contact-Email": "ann@example.org",
        },
    )
    assert made.valid and made.figures == 4 and made.validation is not None
    assert bagsmith.Bag(made.path).info["Source-Organization"] == "Example"
    monkeypatch.setenv("BAGSMITH_DATA_DIR", str(tmp_path / "data"))
    share = tmp_path / "share"
    share.mkdir()
    done = bagsmith.deposit(made.path, share.as_uri())
    assert done.outcome == "deposited" and done.verified
    assert (share / "pkg" / "bagit.txt").is_file()
    from bagsmith.pipeline.depositing import list_deposits

    recorded = list_deposits()[-1]  # the public result is a part of the record, as recorded
    assert done.to_dict() == {key: recorded[key] for key in done.to_dict()}
    assert list(done.to_dict()) == [
        *("target", "bag", "outcome", "location", "verified", "identifiers", "checksums"),
        *("files", "bytes", "attempts"),
    ]
    # the choices of `bagsmith deposit`, as keyword arguments
    transfers = tmp_path / "transfers"
    transfers.mkdir()
    variant = bagsmith.deposit(made.path, transfers.as_uri(), for_system="archivematica")
    assert variant.verified and (transfers / "pkg" / "data/metadata/metadata.csv").is_file()
    assert not (Path(made.path) / "data/metadata/metadata.csv").exists()  # the bag unchanged
    for wrong in ({"archive_format": "zip"}, {"objects": True}):  # for s3:// and az:// only
        with pytest.raises(bagsmith.UsageError):
            bagsmith.deposit(made.path, share.as_uri(), dry_run=True, **wrong)  # type: ignore[arg-type]


# --- the guide, its scripts, and their types ------------------------------------------------


def _example(tmp_path: Path) -> Path:
    out = tmp_path / "example"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_example.py"), str(out)],
        check=True,
        capture_output=True,
    )
    return out


def _run(script: str, *args: Path | str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
    )


def test_the_guide_shows_each_script_as_it_is() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    for name in SCRIPTS:
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert f"```python\n{text}```" in guide, f"docs/python.md does not show {name} as it is"


def test_the_guide_scripts_run(tmp_path: Path, schema_cache: Path) -> None:
    env = {**os.environ, "BAGSMITH_DATA_DIR": str(tmp_path / "data")}
    folder = _example(tmp_path)
    bags = tmp_path / "bags"
    made = _run("make_bag.py", folder / "article", bags / "photos", env=env)
    assert made.returncode == 0, made.stderr
    assert "Payload-Oxum" in made.stdout and "data/" in made.stdout

    packaged = _run(
        "package_article.py",
        folder / "article" / "article.txt",
        folder / "article",
        folder / "metadata.yaml",
        bags / "ferry",
        env=env,
    )
    assert packaged.returncode == 0, packaged.stderr
    assert "4 figures, 4 with their image" in packaged.stdout

    good = _run("validate_bag.py", bags / "photos", bags / "ferry", env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    (bags / "photos" / "data" / "01.jpg").write_bytes(b"not the photograph")
    bad = _run("validate_bag.py", bags / "photos", env=env)
    assert bad.returncode == 1
    assert "error[payload-digest-mismatch] data/01.jpg" in bad.stdout

    share = tmp_path / "share"
    share.mkdir()
    sent = _run("deposit_bag.py", bags / "ferry", share.as_uri(), env=env)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("deposited at file://") and "verified: True" in sent.stdout
    refused = _run("deposit_bag.py", bags / "photos", share.as_uri(), env=env)
    assert refused.returncode == 1 and refused.stderr.startswith("refused:")

    walked = _run("walk_collection.py", bags, tmp_path / "report.csv", env=env)
    assert walked.returncode == 0, walked.stderr
    rows = (tmp_path / "report.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1].startswith("ferry,True,") and rows[2].startswith("photos,False,")


@pytest.mark.slow
def test_user_scripts_type_check_with_mypy_strict() -> None:
    """mypy --strict on the guide's scripts against the installed package (py.typed)."""
    scripts = [str(EXAMPLES / name) for name in SCRIPTS]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            *scripts,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT / "tests",  # not the project: mypy must find bagsmith as installed
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_type_error_in_a_user_script_is_caught(tmp_path: Path) -> None:
    script = tmp_path / "wrong.py"
    script.write_text(
        "import bagsmith\nresult = bagsmith.validate('bag')\nflag: int = result.valid.upper()\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            str(script),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1 and '"bool" has no attribute "upper"' in proc.stdout


def test_the_api_reference_builds_without_warnings(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "scripts" / "gen_api_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build(tmp_path) == []
    html = (tmp_path / "bagsmith.html").read_text(encoding="utf-8")
    for name in bagsmith.__all__:
        assert f'id="{name}"' in html, f"{name} is missing from the API reference"
