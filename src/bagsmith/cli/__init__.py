"""The ``bagsmith`` command line: a thin layer over the library (one pipeline call a command)."""

from __future__ import annotations

import gc
import importlib
import importlib.util
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import __version__
from ..interrupts import signal
from .examples import add_examples
from .options import CONFIG_KEY

#: Where the group keeps its command line in the root context's ``meta``.
ARGV_KEY = "bagsmith.argv"

# Command name -> module under bagsmith.cli that defines it (attribute of the same name, with
# '-' as '_'). Modules are imported only when their command runs (or for --help), so that
# `bagsmith validate` does not pay for importing the deposit clients, Pillow or Jinja2.
_COMMANDS: dict[str, str] = {
    "capture": "capture_cmd",
    "package": "package_cmd",
    "parse": "parse_cmd",
    "bag": "bag_cmd",
    "validate": "validate_cmd",
    "update": "update_cmd",
    "describe": "describe_cmd",
    "report": "report_cmd",
    "deposit": "deposit_cmd",
    "deposits": "deposits_cmd",
    "batch": "batch_cmd",
    "audit": "audit_cmd",
    "profiles": "profiles_cmd",
    "schemas": "schemas_cmd",
    "config": "config_cmd",
    "help": "help_cmd",
}

#: The first paragraph of each command's help, for the list of commands in `bagsmith --help`
#: without importing every command's module (a test checks they are the commands' own).
_SUMMARIES: dict[str, str] = {
    "capture": (
        "Capture the web page at URL (http or https) with its images and stylesheets, and "
        "package it as a validated BagIt bag at DIR."
    ),
    "package": (
        "Package ARTICLE (a .txt file or a saved .html page) and its images as a validated "
        "BagIt bag at DIR."
    ),
    "parse": (
        "Print the article record of ARTICLE (a .txt file or a saved .html page): title, "
        "creators, sections, figures with caption, description, EDTF date, places, credit and "
        "image. Writes nothing to disk."
    ),
    "bag": "Create a BagIt bag at DEST from SOURCE files and folders.",
    "validate": "Validate BagIt bags (0.93 to 1.0): folders or .zip/.tar/.tar.gz/.tgz archives.",
    "update": "Regenerate BAG's manifests, tag manifests, Payload-Oxum and Bag-Size.",
    "describe": (
        "Write Dublin Core (dc.xml) and METS (mets.xml) for an article record (JSON, as "
        "written by `bagsmith parse`) and its FILES, validated against the official schemas "
        "(offline)."
    ),
    "report": "Write an HTML report of BAG (a folder or a .zip/.tar/.tar.gz/.tgz bag).",
    "deposit": (
        "Deposit BAG (a bag folder or a .zip/.tar/.tgz bag) to a target and verify the copy."
    ),
    "deposits": "Show the record of past deposits (kept in the user's data folder).",
    "batch": "Package every article of COLLECTION as its own bag under DIR.",
    "audit": (
        "Validate every bag under STORAGE_ROOT: a folder (each folder holding a bagit.txt, "
        "and serialised bags) or an OCFL storage root (each object: ocfl-py's object "
        "validation, and its head version validated as a bag). Each bag gets the checks of "
        "`bagsmith validate` (BagIt; the given or declared profile; METS and Dublin Core in "
        "full mode)."
    ),
    "profiles": "BagIt profiles: the bundled ones and those in the local profile cache.",
    "schemas": (
        "The official XML schemas (METS, PREMIS, MIX, Dublin Core, oai_dc, MODS, XLink, xml.xsd)."
    ),
    "config": "The configuration file: an institution's defaults (docs/configuration.md).",
    "help": "Show the help of a command, or a guide (configuration, python, validation …).",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when the command is needed.

    An interrupt before a command's own handling starts (while options are parsed or its
    module is imported) exits 130 with bagsmith's message, not click's "Aborted!" and 1.
    """

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's ``main``, except that an interrupt anywhere — while options are parsed,
        a command's module imported, or after the command returned — exits 130 with
        bagsmith's message saying what was done, never click's "Aborted!" and exit 1."""
        # the command line's own handling from here on (``bagsmith.__main__`` held the signals
        # while the modules were imported): Ctrl-C raises KeyboardInterrupt and is noted
        # (see noting_interrupts); SIGTERM ends the process unless a command that writes
        # takes it over (terminate_as_interrupt)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        from .common import AS_PROGRAM, noting_interrupts

        with noting_interrupts() as received:
            try:
                try:
                    code = super().main(args, prog_name, complete_var, False, **extra)
                except (KeyboardInterrupt, click.exceptions.Abort):
                    interrupted()
                except click.ClickException as exc:
                    exc.show()
                    sys.exit(exc.exit_code)
                if AS_PROGRAM:  # the outcome is decided: a later Ctrl-C cannot change it
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
            except KeyboardInterrupt:  # a second one, while the first was being reported
                interrupted()
            if received:  # an interrupt swallowed on the way (an import's clean-up callback)
                interrupted()
        sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        argv = list(args[1] if len(args) > 1 else kwargs.get("args", []))
        try:
            ctx = super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            interrupted()
        ctx.meta[ARGV_KEY] = argv  # the command line, for the record (--log-file)
        return ctx

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in _COMMANDS if self.get_command(ctx, name) is not None]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands in ``bagsmith --help``, as click writes it, from
        :data:`_SUMMARIES`: listing them does not import every command's module (their
        libraries made `bagsmith --help` cost ~0.3 s of CPU)."""
        from click.utils import make_default_short_help

        names = [name for name in _COMMANDS if _available(name)]
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, make_default_short_help(_SUMMARIES[name], limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        if cmd_name in ("parse", "package"):  # before its modules compile their expressions
            _keep_compiled_regexes(cmd_name)
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:  # a command whose module is not part of this build
            if exc.name != f"{__name__}.{module_name}":
                raise
            return None
        command = getattr(module, cmd_name.replace("-", "_"))
        assert isinstance(command, click.Command)
        add_examples(command, cmd_name)
        return command


def _keep_compiled_regexes(command: str) -> None:
    """The bagsmith program (not a library caller's process) reuses compiled expressions."""
    from .common import AS_PROGRAM

    if AS_PROGRAM:
        from .. import regexcache

        regexcache.enable(command)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", "-V", prog_name="bagsmith")
@click.option(
    "--config",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Configuration file (default bag-info tags, profile, algorithms, processes, deposit "
    "targets) [default: $BAGSMITH_CONFIG, else $XDG_CONFIG_HOME/bagsmith/config.toml].",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Say what is done, file by file, on stderr (each file bagged or checked with its "
    "digests, each problem, each deposit).",
)
@click.option(
    "--log-file",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Append the same record, with UTC times, to FILE (for the archive's records).",
)
@click.option(
    "--limit",
    "limit_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="Raise (or lower) one of the limits on hostile or absurd input for this run, "
    "repeatable, e.g. --limit xml-bytes=2G --limit processes=512. See docs/limits.md for "
    "the names, defaults and the problem code each reports.",
)
@click.pass_context
def main(
    ctx: click.Context,
    config: Path | None = None,
    verbose: bool = False,
    log_file: Path | None = None,
    limit_values: tuple[str, ...] = (),
) -> None:
    """bagsmith: turn web articles and their photographs into BagIt preservation packages,
    validate bags made by any tool, and deposit them.

    Run `bagsmith COMMAND --help` for the options of each command, `bagsmith config show`
    for the defaults the configuration file sets (docs/configuration.md).
    Exit codes: 0 success (or a valid bag), 1 failure (or an invalid bag), 2 usage error or
    unreadable input, 130 interrupted.
    """
    if config is not None:
        ctx.meta[CONFIG_KEY] = str(config)
    if verbose or log_file is not None:
        from ..errors import BagsmithError
        from .common import keep_record
        from .exits import error_exit
        from .flags import flag_name

        try:
            ctx.call_on_close(keep_record(verbose, log_file, ctx.meta.get(ARGV_KEY, [])))
        except BagsmithError as exc:
            click.echo(f"bagsmith: error[{exc.code}]: {exc.text(flag_name)}", err=True)
            sys.exit(error_exit(exc))
    if limit_values:
        from .. import limits
        from ..errors import BagsmithError
        from .exits import error_exit
        from .flags import flag_name

        try:
            limits.configure(limits.parse(limit_values))
        except BagsmithError as exc:
            click.echo(f"bagsmith: error[{exc.code}]: {exc.text(flag_name)}", err=True)
            sys.exit(error_exit(exc))


add_examples(main, "")


def _available(name: str) -> bool:
    """Whether a command's module is part of this build (found, not imported)."""
    return importlib.util.find_spec(f"{__name__}.{_COMMANDS[name]}") is not None


def interrupted() -> NoReturn:
    """Ctrl-C outside a command's own handling: say what was done (see cli.common)."""
    from .common import exit_interrupted, interrupted_message

    click.echo(f"bagsmith: error[interrupted]: {interrupted_message()}", err=True)
    exit_interrupted()


def run_as_program() -> None:
    """The ``bagsmith`` program (its own process): see :func:`.common.exit_interrupted`."""
    from .common import AS_PROGRAM

    AS_PROGRAM.append(True)
    try:
        main(prog_name="bagsmith")
    finally:
        # Python's last garbage collection, at exit, walks every object the imports made
        # (~40 ms of a 0.3 s `bagsmith parse`); frozen objects are skipped. The process ends
        # here, so nothing is kept alive that would otherwise be freed.
        gc.freeze()
