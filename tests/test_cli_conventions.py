"""Conventions of the command line: -V, -v/--log-file, help TOPIC, completion, --help examples."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import bagsmith
from bagsmith.cli import main
from bagsmith.cli.examples import EXAMPLES


def _commands() -> list[tuple[str, click.Command, click.Context]]:
    root = click.Context(main, info_name="bagsmith")
    out: list[tuple[str, click.Command, click.Context]] = [("", main, root)]

    def walk(group: click.Group, path: str, ctx: click.Context) -> None:
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            assert sub is not None
            sub_ctx = click.Context(sub, info_name=name, parent=ctx)
            out.append((f"{path} {name}".strip(), sub, sub_ctx))
            if isinstance(sub, click.Group):
                walk(sub, f"{path} {name}".strip(), sub_ctx)

    walk(main, "", root)
    return out


def test_every_command_ends_its_help_with_examples() -> None:
    for path, command, ctx in _commands():
        text = command.get_help(ctx)
        assert "Examples:\n    bagsmith" in text or "Examples:\n  bagsmith" in text, path


def test_every_example_uses_options_its_command_has() -> None:
    commands = {path: (command, ctx) for path, command, ctx in _commands()}
    assert set(EXAMPLES) <= set(commands), set(EXAMPLES) - set(commands)
    group_options = {o for p in main.params for o in (*p.opts, *p.secondary_opts)}
    for path, examples in EXAMPLES.items():
        for example in examples:
            words = shlex.split(example.split(" > ")[0])
            assert words[0] == "bagsmith", example
            rest = words[1:]
            while rest and rest[0].startswith("-"):  # options of the group, before the command
                option = rest.pop(0)
                assert option in group_options, example
                if option in ("--config", "--log-file", "--limit"):
                    rest.pop(0)
            # the command path is the leading words that name (sub)commands
            here = ""
            while rest and f"{here} {rest[0]}".strip() in commands:
                here = f"{here} {rest.pop(0)}".strip()
            assert here == path or here.startswith(f"{path} ".lstrip()), f"{example} under '{path}'"
            command, ctx = commands[here]
            known = {o for p in command.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
            for word in rest:
                if word.startswith("-") and word != "-":
                    assert word in known, f"{example}: {word} is not an option of '{here}'"


def test_version_short_and_long() -> None:
    for flag in ("-V", "--version"):
        result = CliRunner().invoke(main, [flag])
        assert (
            result.exit_code == 0 and result.stdout == f"bagsmith, version {bagsmith.__version__}\n"
        )


def test_help_topic_command_and_unknown() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["help"])
    assert listing.exit_code == 0
    assert re.search(r"^  configuration +Configuration file$", listing.stdout, re.M)
    assert re.search(r"^  completion +Shell completion$", listing.stdout, re.M)
    command = runner.invoke(main, ["help", "deposits", "list"])
    assert command.exit_code == 0 and "deposits list [OPTIONS]" in command.stdout
    guide = runner.invoke(main, ["help", "configuration"])
    assert guide.exit_code == 0 and guide.stdout.startswith("# Configuration file\n")
    unknown = runner.invoke(main, ["help", "nothing"])
    assert unknown.exit_code == 2 and "no command or guide named 'nothing'" in unknown.stderr


def test_shell_completion_completes_commands_and_option_values() -> None:
    def complete(words: str) -> list[str]:
        env = {
            **os.environ,
            "_BAGSMITH_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
        proc = subprocess.run(
            [sys.executable, "-c", "from bagsmith.cli import main; main(prog_name='bagsmith')"],
            env=env,
            capture_output=True,
            text=True,
        )
        return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line]

    assert "validate" in complete("bagsmith val")
    assert complete("bagsmith bag --serialize ") == ["zip", "tar", "tgz"]
    script = subprocess.run(
        [sys.executable, "-c", "from bagsmith.cli import main; main(prog_name='bagsmith')"],
        env={**os.environ, "_BAGSMITH_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
    )
    assert "_bagsmith_completion" in script.stdout


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n", encoding="utf-8")
    (src / "sub" / "b.txt").write_text("beta\n", encoding="utf-8")
    return src


def test_verbose_and_log_file_keep_the_record_file_by_file(source: Path, tmp_path: Path) -> None:
    log = tmp_path / "archive.log"
    bag = tmp_path / "bag"
    made = CliRunner().invoke(
        main, ["-v", "--log-file", str(log), "bag", str(source), "-o", str(bag)]
    )
    assert made.exit_code == 0, made.output
    assert "bagsmith: bagged data/sub/b.txt sha256:" in made.stderr
    (bag / "data" / "a.txt").write_text("changed\n", encoding="utf-8")
    checked = CliRunner().invoke(main, ["--log-file", str(log), "validate", str(bag)])
    assert checked.exit_code == 1
    assert "bagsmith: " not in checked.stderr.replace("bagsmith: error", "")  # -v not given
    lines = log.read_text(encoding="utf-8").splitlines()
    stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
    assert all(re.match(stamp, line) for line in lines), lines
    text = "\n".join(lines)
    assert re.search(r"INFO bagsmith .*: bagsmith .*bag .* -o ", text)
    assert re.search(r"INFO bagged data/a\.txt sha256:[0-9a-f]{64} sha512:[0-9a-f]{128}", text)
    assert f"INFO validated {bag} (full check): INVALID; 2 files" in text
    assert f"INFO checked {bag}/data/a.txt: payload-digest-mismatch" in text
    assert f"INFO checked {bag}/data/sub/b.txt: verified" in text
    assert f"WARNING error[payload-digest-mismatch] {bag}/data/a.txt" in text


def test_an_unwritable_log_file_is_a_usage_error(source: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--log-file", str(tmp_path / "no" / "such" / "x.log"), "validate", str(source)]
    )
    assert result.exit_code == 2 and "cannot write the log file" in result.stderr
