"""Start-up cost: `bagsmith validate` and `bagsmith bag` do not import heavy libraries.

Start-up is part of every measured run in bench/bench_bagit.py (`validate --fast` of 20,000
files takes ~0.1 s of work, so 70 ms of imports cost a third of the 5x target). The heavy
libraries of other commands must be imported only where they are used.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = {"rich", "jsonschema", "lxml", "PIL", "jinja2"}
POOL = {"multiprocessing", "concurrent"}

PROBE = textwrap.dedent(
    """
    import atexit, sys
    def dump():
        tops = sorted({name.split(".")[0] for name in sys.modules})
        sys.stderr.write("MODULES=" + ",".join(tops) + "\\n")
        ours = sorted(name for name in sys.modules if name.startswith("bagsmith."))
        sys.stderr.write("BAGSMITH=" + ",".join(ours) + "\\n")
    atexit.register(dump)
    from bagsmith.cli import main
    main(sys.argv[1:], prog_name="bagsmith")
    """
)


def imported(*args: str, prefix: str = "MODULES=") -> set[str]:
    """Top-level modules (or with ``prefix="BAGSMITH="``, bagsmith's own modules) imported by
    one `bagsmith ARGS...` run (which must succeed)."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith(prefix))
    return set(line.removeprefix(prefix).split(","))


@pytest.fixture(scope="module")
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("startup")
    src = root / "src"
    (src / "sub").mkdir(parents=True)
    for i in range(5):
        (src / "sub" / f"f{i}.txt").write_bytes(b"x" * (i + 1))
    modules = imported("bag", "--quiet", str(src), "-o", str(root / "bag"))
    assert not modules & HEAVY, f"bagsmith bag imports {sorted(modules & HEAVY)}"
    return root / "bag"


@pytest.mark.parametrize("mode", [[], ["--fast"], ["--completeness-only"]])
def test_validate_imports_no_heavy_library(bag: Path, mode: list[str]) -> None:
    modules = imported("validate", "--quiet", *mode, str(bag))
    assert not modules & HEAVY, f"bagsmith validate imports {sorted(modules & HEAVY)}"
    if mode:  # nothing is hashed: no worker pool, so no multiprocessing either
        assert not modules & POOL, sorted(modules & POOL)
        # nor Python's `signal` (its enums cost ~3 M instructions): the C module `_signal`
        assert "signal" not in modules
    # shared libraries only some bags need: names that are not ASCII, a compact manifest table
    assert not modules & {"unicodedata", "array"}, sorted(modules & {"unicodedata", "array"})


def test_help_imports_no_heavy_library() -> None:
    modules = imported("validate", "--help")
    assert not modules & (HEAVY | POOL), sorted(modules & (HEAVY | POOL))


#: what `bagsmith parse` of one page does not need (issue 16: a page parsed in under 0.3 s, of
#: which interpreter start-up and trafilatura's import take most): the sidecar's schema
#: validator, the EDTF grammar (plain dates are checked without it), Pillow (no images),
#: PyYAML (no YAML sidecar), and for a text article the HTML stack
PARSE_UNUSED = {"jsonschema", "edtf", "pyparsing", "PIL", "fido", "rich", "jinja2", "yaml"}
HTML_STACK = {"lxml", "trafilatura", "htmldate", "courlan"}

ARTICLE = """Autumn in Győr

By A. Archivist

The town in the autumn of 1956.

#1 A crowd before the town hall in Gyor, Hungary, October 23, 1956. (Fortepan/Photographer)
"""


def test_parse_of_a_text_article_imports_only_what_it_uses(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    modules = imported("parse", "--json", str(article))
    assert not modules & (PARSE_UNUSED | HTML_STACK), sorted(modules & (PARSE_UNUSED | HTML_STACK))


def test_parse_of_a_page_imports_only_what_it_uses(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Autumn</title></head><body><article><h1>Autumn in Győr</h1>"
        "<p>The town in the autumn of 1956, as the photographers of the time saw it.</p>"
        '<figure><img src="a.jpg"><figcaption>A crowd in Gyor, October 23, 1956.'
        "</figcaption></figure></article></body></html>",
        encoding="utf-8",
    )
    modules = imported("parse", "--json", str(page))
    assert "trafilatura" in modules
    assert not modules & PARSE_UNUSED, sorted(modules & PARSE_UNUSED)


def test_validating_a_folder_imports_neither_archives_nor_profiles(bag: Path) -> None:
    # tarfile/zip reading and the profile machinery load when an archive or a profile is met
    ours = imported("validate", "--quiet", "--processes", "1", str(bag), prefix="BAGSMITH=")
    lazy = {"bagsmith.bagit.archive", "bagsmith.bagit.profiles", "bagsmith.bagit.profile_check"}
    assert not ours & lazy, sorted(ours & lazy)


#: what `validate` of a folder does without (issue 16: start-up is a third of `validate --fast`
#: of 20,000 files): JSON (only for --json), the manifest reader of the activity record (only
#: when the record is kept), the facts gathered for profile and METS checks (only when a bag
#: has some), and with --fast or --completeness-only hashlib (OpenSSL's start-up is a fifth of
#: the imports; nothing is hashed)
def test_validate_imports_only_what_it_uses(bag: Path) -> None:
    full = imported("validate", "--quiet", "--processes", "1", str(bag))
    assert "hashlib" in full  # (the probe sees what is imported)
    for mode in (["--fast"], ["--completeness-only"], []):
        modules = imported("validate", "--quiet", *mode, str(bag))
        assert "json" not in modules, mode
        if mode:
            assert not modules & {"hashlib", "_hashlib"}, mode
    ours = imported("validate", "--quiet", "--fast", str(bag), prefix="BAGSMITH=")
    assert not ours & {"bagsmith.bagit.contents", "bagsmith.bagit.facts"}, ours
    assert "json" in imported("validate", "--json", "--fast", str(bag))


def test_top_level_help_imports_no_command() -> None:
    # the list of commands comes from bagsmith.cli._SUMMARIES (issue 16: importing every
    # command's libraries made `bagsmith --help` cost ~0.3 s of CPU)
    ours = imported("--help", prefix="BAGSMITH=")
    assert not {m for m in ours if m.endswith("_cmd")}, sorted(ours)
    assert not imported("--help") & (HEAVY | POOL)


@pytest.mark.parametrize("width", [60, 100, 200])
def test_the_list_of_commands_is_what_click_makes_of_the_commands_own_help(width: int) -> None:
    import click

    from bagsmith.cli import _COMMANDS, _SUMMARIES, main

    ctx = click.Context(main, info_name="bagsmith")
    assert list(_SUMMARIES) == list(_COMMANDS)
    for name in _COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None
        text = command.short_help or command.help or ""
        first = text.split("\n\n")[0]
        assert " ".join(first.split()) == _SUMMARIES[name], name
    ours, theirs = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
    main.format_commands(ctx, ours)
    click.Group.format_commands(main, ctx, theirs)
    assert ours.getvalue() == theirs.getvalue()
    assert "validate" in ours.getvalue()
