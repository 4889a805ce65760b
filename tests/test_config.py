"""The configuration file: defaults applied, overridden by options, shown, and refused clearly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import bagsmith
from bagsmith.cli import main
from bagsmith.config import load_settings

CONFIG = """\
# the reading room's defaults
[bag-info]
Source-Organization = "Example Community Archive"
Contact-Name = "Ann Archivist"
Contact-Email = ["ann@example.org", "desk@example.org"]

[defaults]
algorithms = ["sha512"]
processes = 1

[targets.share]
url = "{share}"
"""


@pytest.fixture
def share(tmp_path: Path) -> Path:
    folder = tmp_path / "share"
    folder.mkdir()
    return folder


@pytest.fixture
def config(tmp_path: Path, share: Path) -> Path:
    path = tmp_path / "bagsmith.toml"
    path.write_text(CONFIG.format(share=share.as_uri()), encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello\n", encoding="utf-8")
    return src


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_defaults_from_the_file_given_with_config(
    config: Path, source: Path, tmp_path: Path
) -> None:
    code, _out, err = invoke("--config", config, "bag", source, "-o", tmp_path / "bag")
    assert code == 0, err
    bag = bagsmith.Bag(tmp_path / "bag")
    assert bag.info["Source-Organization"] == "Example Community Archive"
    assert bag.info.get_all("Contact-Email") == ["ann@example.org", "desk@example.org"]
    assert bag.algorithms == ("sha512",)


def test_options_override_the_configuration(config: Path, source: Path, tmp_path: Path) -> None:
    code, _out, err = invoke(
        "--config", config, "bag", source, "-o", tmp_path / "bag",
        "-i", "source-organization=Other Archive", "-a", "sha256",
    )  # fmt: skip
    assert code == 0, err
    bag = bagsmith.Bag(tmp_path / "bag")
    assert bag.info.get_all("Source-Organization") == ["Other Archive"]  # replaced, not added
    assert bag.info["Contact-Name"] == "Ann Archivist"  # the other defaults stay
    assert bag.algorithms == ("sha256",)


def test_the_environment_names_the_file_and_config_beats_it(
    config: Path, source: Path, tmp_path: Path
) -> None:
    env = {"BAGSMITH_CONFIG": str(config)}
    code, _out, err = invoke("bag", source, "-o", tmp_path / "bag", env=env)
    assert code == 0, err
    assert bagsmith.Bag(tmp_path / "bag").algorithms == ("sha512",)
    other = tmp_path / "other.toml"
    other.write_text('[defaults]\nalgorithms = "md5"\n', encoding="utf-8")
    code, _out, err = invoke("--config", other, "bag", source, "-o", tmp_path / "bag2", env=env)
    assert code == 0, err
    assert bagsmith.Bag(tmp_path / "bag2").algorithms == ("md5",)


def test_the_xdg_place_is_read_and_a_missing_one_is_no_configuration(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    assert load_settings().path is None
    (home / "bagsmith").mkdir(parents=True)
    (home / "bagsmith" / "config.toml").write_bytes(config.read_bytes())
    assert load_settings().processes == 1


def test_config_show_lists_the_file_its_defaults_and_targets(config: Path, share: Path) -> None:
    config.write_text(
        config.read_text(encoding="utf-8") + 'password = "s3cret"\n', encoding="utf-8"
    )
    code, out, err = invoke("--config", config, "config", "show")
    assert code == 0, err
    assert f"# configuration file: {config} [--config]" in out
    assert 'Contact-Email = ["ann@example.org", "desk@example.org"]' in out
    assert 'algorithms = ["sha512"]\n' in out
    assert 'profile = "bagsmith-article-v1"  # built in' in out
    assert f'url = "{share.as_uri()}"' in out and "s3cret" not in out
    code, out, _ = invoke("config", "show", "--json", env={"BAGSMITH_CONFIG": str(config)})
    data = json.loads(out)
    assert data["source"] == "BAGSMITH_CONFIG" and data["defaults"]["processes"] == 1
    assert data["targets"]["share"]["password"] == "********"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[bag-info]\nSource-Organization = "X"\nContact-Name = \n', 3, "not valid TOML"),
        ('[defaults]\nalgorithms = ["sha256"]\nprocesses = "four"\n', 3, "processes must be"),
        ('[bag-info]\n"Contact-Name" = 3\n', 2, "Contact-Name must be a string"),
        ('\n[defaults]\nprofil = "x"\n', 3, "unknown setting 'profil'"),
        ('[bag-inf]\nA = "b"\n', 1, "unknown setting 'bag-inf'"),
        ("[bag-info]\nA = 'b'\n\xff\n", 3, "not UTF-8"),
    ],
)
def test_a_bad_file_is_a_clear_error_naming_the_line(
    tmp_path: Path, source: Path, text: str, line: int, words: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(text.encode("latin-1"))
    code, out, err = invoke("--config", bad, "bag", source, "-o", tmp_path / "bag")
    assert code == 2 and out == ""
    assert f"{bad}:{line}" in err and words in err, err
    assert "Traceback" not in err and not (tmp_path / "bag").exists()


def test_a_named_file_must_exist(tmp_path: Path, source: Path) -> None:
    missing = tmp_path / "missing.toml"
    code, _out, err = invoke("validate", source, env={"BAGSMITH_CONFIG": str(missing)})
    assert code == 2 and f"{missing}: the configuration file does not exist" in err


def test_info_file_on_bag_and_update(config: Path, source: Path, tmp_path: Path) -> None:
    info = tmp_path / "info.txt"
    info.write_text("# standing tags\nContact-Name: Bo Curator\nExternal-Description: Box 1\n")
    code, _out, err = invoke(
        "--config", config, "bag", source, "-o", tmp_path / "bag", "--info-file", info
    )
    assert code == 0, err
    bag = bagsmith.Bag(tmp_path / "bag")
    assert bag.info["Contact-Name"] == "Bo Curator"  # the file's tag replaces the default
    assert bag.info["External-Description"] == "Box 1"
    info.write_text("External-Description: Box 2\n", encoding="utf-8")
    code, _out, err = invoke("update", tmp_path / "bag", "--info-file", info)
    assert code == 0, err
    assert bagsmith.Bag(tmp_path / "bag").info.get_all("External-Description") == ["Box 2"]


def test_deposit_targets_come_from_the_configuration(
    config: Path, source: Path, share: Path, tmp_path: Path
) -> None:
    bag = bagsmith.make_bag(source, tmp_path / "bag")
    env = {"BAGSMITH_CONFIG": str(config), "BAGSMITH_DATA_DIR": str(tmp_path / "data")}
    code, out, err = invoke("deposit", bag.path, "--to", "share", env=env)
    assert code == 0, err
    assert (share / "bag" / "bagit.txt").is_file() and "deposited and verified" in out


def test_the_newcomers_first_package_uses_the_configured_contacts(
    tmp_path: Path, schema_cache: Path
) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    example = tmp_path / "example"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_example.py"), str(example)], check=True
    )
    args = [example / "article" / "article.txt", "--images", example / "article"]
    code, _out, err = invoke("package", *args, "-o", tmp_path / "without")
    assert code == 1 and "profile-tag-missing" in err  # no configuration: the tags are missing
    config = tmp_path / "institution.toml"
    config.write_text(CONFIG.split("[defaults]")[0], encoding="utf-8")  # the [bag-info] only
    env = {"BAGSMITH_CONFIG": str(config), "BAGSMITH_SCHEMA_DIR": os.environ["BAGSMITH_SCHEMA_DIR"]}
    code, _out, err = invoke("package", *args, "-o", tmp_path / "pkg", env=env)
    assert code == 0, err
    assert bagsmith.Bag(tmp_path / "pkg").info["Source-Organization"] == "Example Community Archive"
