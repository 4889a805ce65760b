"""The layering of docs/architecture.md, enforced on every module: imports point downward only.

cli and api → pipeline → subsystems → foundation. A subsystem imports only itself and the
foundation; the foundation imports only the foundation; pipeline never imports the cli or the
api; the cli and the public Python API (``bagsmith/api.py``) each import only themselves, the
pipeline and the foundation (what they need from a subsystem, the pipeline re-exports), and
``__version__`` from the package; the package itself (``bagsmith/__init__.py``) imports only
the api (lazily, so that ``import bagsmith`` pulls in no layer). Every import
counts: module level, inside functions (lazy), under ``TYPE_CHECKING``, relative or absolute,
and ``import_module("bagsmith.…")`` with a literal name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = "bagsmith"
SRC = ROOT / "src" / PACKAGE
SUBSYSTEMS = frozenset(
    {"bagit", "ingest", "metadata", "xmlschemas", "deposit", "report", "capture"}
)
FOUNDATION = frozenset(
    {
        "errors",
        "problems",
        "model",
        "fixity",
        "resources",
        "limits",
        "interrupts",
        "config",
        "regexcache",
        "cachedir",
    }
)
#: Top-level names that are not layers: the package itself (``__version__``) and ``-m``.
ENTRY = frozenset({"__init__", "__main__"})
UPPER = frozenset({"pipeline", "cli", "api"})


def module_name(path: Path, src: Path) -> tuple[str, bool]:
    """(dotted module name, is a package ``__init__``) of a file under ``src`` (the package)."""
    parts = [src.name, *path.relative_to(src).with_suffix("").parts]
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imported(path: Path, src: Path) -> Iterator[tuple[str, int]]:
    """(absolute name of each imported module or name in the package, line) for one file."""
    name, is_package = module_name(path, src)
    package = name if is_package else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:  # `from .. import fixity` imports bagsmith.fixity
                yield f"{module}.{alias.name}", node.lineno
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def layer(dotted: str) -> str | None:
    """The top-level part of the package a name belongs to, None outside the package."""
    parts = dotted.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1 or parts[1] not in SUBSYSTEMS | FOUNDATION | UPPER:
        return "__init__"  # the package itself: bagsmith.__version__
    return parts[1]


def allowed(source: str, target: str) -> bool:
    if source in SUBSYSTEMS:
        return target == source or target in FOUNDATION or target == "__init__"
    if source in FOUNDATION:
        return target in FOUNDATION or target == "__init__"
    if source == "pipeline":
        return target not in {"cli", "api"}
    if source in {"cli", "api"}:
        return target in {source, "pipeline", "__init__"} | FOUNDATION
    if source == "__init__":  # the public names, loaded from the api when first used
        return target == "api"
    return True  # __main__ sits on top


def violations(src: Path) -> list[str]:
    """Every import in the package under ``src`` that points the wrong way."""
    out: list[str] = []
    for path in sorted(src.rglob("*.py")):
        name, _ = module_name(path, src)
        source = layer(name) if name != src.name else "__init__"
        if name == f"{src.name}.__main__":
            source = "__main__"
        assert source is not None
        for target_name, line in imported(path, src):
            target = layer(target_name)
            if target is not None and not allowed(source, target):
                rel = path.relative_to(src.parent)
                out.append(f"{rel}:{line}: {source} imports {target_name} ({target})")
    return out


def test_every_module_respects_the_layering() -> None:
    assert violations(SRC) == []


def test_every_top_level_module_belongs_to_a_layer() -> None:
    names = {p.stem for p in SRC.glob("*.py")} | {p.parent.name for p in SRC.glob("*/__init__.py")}
    unknown = sorted(n for n in names if n not in SUBSYSTEMS | FOUNDATION | UPPER | ENTRY)
    assert unknown == [], "add these to a layer in tests/test_layering.py"


def test_the_scanner_sees_the_imports_that_exist() -> None:
    found = {
        t for t, _ in imported(SRC / "pipeline" / "depositing.py", SRC) if t.startswith(PACKAGE)
    }
    assert "bagsmith.bagit.validate.Mode" in found
    assert "bagsmith.deposit.registry.build" in found
    assert "bagsmith.fixity.hash_many" in found


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_checker_catches_every_kind_of_wrong_import(tmp_path: Path) -> None:
    src = tmp_path / PACKAGE
    _write(src, "__init__.py", '__version__ = "0"\n')
    _write(src, "errors.py", "")
    _write(src, "fixity.py", "from .errors import X\nfrom . import __version__\n")
    _write(src, "model.py", "from .bagit import reader\n")  # foundation -> subsystem
    _write(src, "bagit/__init__.py", "")
    _write(src, "bagit/reader.py", "from .. import fixity\nfrom . import manifest\n")
    _write(src, "bagit/manifest.py", "")
    _write(
        src,
        "deposit/source.py",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ..bagit.reader import R\n"  # subsystem -> subsystem, type-only
        "def f():\n"
        "    import bagsmith.metadata.dc\n"  # lazy, absolute
        "    from importlib import import_module\n"
        "    import_module('bagsmith.pipeline.x')\n",  # by name
    )
    _write(src, "pipeline/run.py", "from ..bagit import reader\nfrom ..cli import common\n")
    _write(src, "cli/__init__.py", "from ..pipeline import run\nfrom ..bagit import reader\n")
    _write(
        src,
        "cli/cmd.py",
        "from .. import __version__, errors\nfrom . import common\nfrom ..pipeline.run import X\n"
        "def f():\n"
        "    from ..deposit.source import S\n"  # lazy: still cli -> subsystem
        "    import bagsmith.report\n",  # absolute, a subsystem package itself
    )
    _write(src, "cli/common.py", "from ..errors import E\nfrom ..fixity import H\n")
    assert violations(src) == [
        "bagsmith/cli/__init__.py:2: cli imports bagsmith.bagit.reader (bagit)",
        "bagsmith/cli/cmd.py:5: cli imports bagsmith.deposit.source.S (deposit)",
        "bagsmith/cli/cmd.py:6: cli imports bagsmith.report (report)",
        "bagsmith/deposit/source.py:3: deposit imports bagsmith.bagit.reader.R (bagit)",
        "bagsmith/deposit/source.py:5: deposit imports bagsmith.metadata.dc (metadata)",
        "bagsmith/deposit/source.py:7: deposit imports bagsmith.pipeline.x (pipeline)",
        "bagsmith/model.py:1: model imports bagsmith.bagit.reader (bagit)",
        "bagsmith/pipeline/run.py:2: pipeline imports bagsmith.cli.common (cli)",
    ]


def test_the_architecture_page_names_every_layer_and_top_level_module() -> None:
    """docs/architecture.md, the newcomer's map, keeps up with the package."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in SUBSYSTEMS | UPPER:
        assert f"`{name}/`" in text or f"`{name}.py`" in text, name
    for name in FOUNDATION | ENTRY:
        assert f"`{name}.py`" in text, name


# --- CLI flags stay in the CLI --------------------------------------------------------------

#: A flag as the command line spells it (``--info``, ``--max-size``).
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")
#: Calls whose strings are messages for a person: an error, a problem, a hint.
MESSAGE_CALLS = ("Problem", "add", "deposit_error", "warn", "problem")
MESSAGE_KEYS = ("hint", "field", "parameter", "option")


#: A string that is one argument for another program (``--headless`` for Chromium), not words.
PROGRAM_ARGUMENT = re.compile(r"--[a-z][a-z0-9-]*(=.*)?", re.DOTALL)


def flag_messages(src: Path) -> dict[str, list[tuple[int, str]]]:
    """(line, flag) of every CLI flag named below cli/, by file: in an error, problem or hint
    (every string of the call), and in any other string but a docstring or one argument for
    another program (constants and helpers that build messages are caught too)."""
    found: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel.startswith("cli/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        in_messages: set[int] = set()
        docstrings: set[int] = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (
                isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
            ):
                docstrings.add(id(body[0].value))
            if isinstance(node, ast.arguments):  # def f(option="--workers"): a default
                positional = [*node.posonlyargs, *node.args]
                pairs = list(
                    zip(
                        positional[len(positional) - len(node.defaults) :],
                        node.defaults,
                        strict=True,
                    )
                )
                pairs += [
                    (a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d
                ]
                in_messages.update(id(d) for a, d in pairs if a.arg in MESSAGE_KEYS)
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            named = [k.value for k in node.keywords if k.arg in MESSAGE_KEYS]
            if name.endswith("Error") or name in MESSAGE_CALLS:
                named += node.args
            in_messages.update(id(text) for part in named for text in ast.walk(part))
        for text in ast.walk(tree):
            if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
                continue
            if id(text) not in in_messages and (
                id(text) in docstrings or PROGRAM_ARGUMENT.fullmatch(text.value)
            ):
                continue
            for match in FLAG.finditer(text.value):
                found.setdefault(rel, []).append((text.lineno, match.group(0)))
    return {rel: sorted(hits) for rel, hits in found.items()}


def test_messages_below_the_cli_name_no_cli_flags() -> None:
    """A library error names a setting as ``{max_size}`` (errors.SETTINGS), which the CLI
    shows as its option (cli/flags.py); a problem says it in words."""
    found = flag_messages(SRC)
    assert not found, "say it in library terms; let cli/ name the flag:\n" + "\n".join(
        f"{rel}: {hits}" for rel, hits in found.items()
    )


def test_the_flag_check_sees_errors_problems_and_hints(tmp_path: Path) -> None:
    src = tmp_path / PACKAGE
    _write(
        src,
        "bagit/x.py",
        '"""Docstrings may name --info."""\n'
        "raise UsageError('bad value', hint='use --info LABEL=VALUE')\n"
        "report.add('code', f'give it with --tag-file {x}')\n"
        "run(['chromium', '--headless', '--window-size=1,2'])\n"  # not a message: allowed
        "HINT = 'or choose another --profile'\n"  # a message kept in a constant
        "raise UsageError('x', field='--to')\n"
        "def pool(n, option='--workers'): ...\n"  # a default that ends up in a message
        "pool(2, option='--processes')\n",
    )
    _write(src, "cli/y.py", "raise UsageError('--info expects LABEL=VALUE')\n")
    assert flag_messages(src) == {
        "bagit/x.py": [
            (2, "--info"),
            (3, "--tag-file"),
            (5, "--profile"),
            (6, "--to"),
            (7, "--workers"),
            (8, "--processes"),
        ]
    }


def test_every_setting_a_message_names_is_an_option_of_the_command() -> None:
    """errors.SETTINGS and cli/flags.py name the same settings, and each flag is an option of
    some bagsmith command (or of bagsmith itself)."""
    import click

    from bagsmith.cli import main
    from bagsmith.cli.flags import FLAGS
    from bagsmith.errors import SETTINGS

    assert set(FLAGS) == set(SETTINGS)
    options: set[str] = set()
    commands: list[click.Command] = [main]
    ctx = click.Context(main)
    while commands:
        command = commands.pop()
        options.update(o for p in command.params for o in p.opts)
        if isinstance(command, click.Group):
            commands.extend(command.get_command(ctx, n) for n in command.list_commands(ctx))
    assert sorted(set(FLAGS.values()) - options) == []


# --- exit codes stay in the CLI -------------------------------------------------------------


def exit_code_uses(src: Path) -> list[str]:
    """Every place outside cli/ (and ``__main__``) that knows exit codes: the name
    ``exit_code`` (an attribute, a variable, a key), ``sys.exit``/``os._exit``/``SystemExit``."""
    out: list[str] = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel.startswith("cli/") or rel == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            named = (
                (isinstance(node, ast.Attribute) and node.attr in ("exit_code", "exit", "_exit"))
                or (isinstance(node, ast.Name) and node.id in ("exit_code", "SystemExit", "exit"))
                or (isinstance(node, ast.Constant) and node.value == "exit_code")
                or (isinstance(node, ast.arg | ast.keyword) and node.arg == "exit_code")
            )
            if named:
                out.append(f"{rel}:{node.lineno}")  # type: ignore[attr-defined]
    return out


def test_nothing_below_the_cli_knows_exit_codes() -> None:
    """Errors and results say what happened (a class, a ``status``); cli/exits.py alone
    turns that into an exit code."""
    assert exit_code_uses(SRC) == []


def test_the_exit_code_check_sees_every_kind(tmp_path: Path) -> None:
    src = tmp_path / PACKAGE
    _write(
        src,
        "pipeline/x.py",
        "class R:\n"
        "    exit_code = 2\n"  # a class attribute
        "doc = {'exit_code': r.exit_code}\n"  # a key and an attribute
        "sys.exit(1)\n"
        "raise SystemExit(2)\n"
        "report = 'the exit code'\n",  # words: allowed
    )
    _write(src, "cli/y.py", "sys.exit(error_exit(exc))\n")
    assert exit_code_uses(src) == [
        "pipeline/x.py:2",
        "pipeline/x.py:3",
        "pipeline/x.py:3",
        "pipeline/x.py:4",
        "pipeline/x.py:5",
    ]
