"""The ``bagsmith`` command line: a thin layer over the library (one pipeline call a command)."""

from __future__ import annotations

import importlib

import click

from .. import __version__

# (module, attribute) of each command; a module adds itself here when it exists.
_COMMANDS: list[tuple[str, str]] = [
    ("bag_cmd", "bag"),
    ("validate_cmd", "validate"),
    ("update_cmd", "update"),
    ("parse_cmd", "parse"),
    ("schemas_cmd", "schemas"),
    ("describe_cmd", "describe"),
    ("profiles_cmd", "profiles"),
    ("deposit_cmd", "deposit"),
    ("deposits_cmd", "deposits"),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="bagsmith")
def main() -> None:
    """bagsmith: turn web articles and their photographs into BagIt preservation packages,
    validate bags made by any tool, and deposit them.

    Run `bagsmith COMMAND --help` for the options of each command.
    Exit codes: 0 success (or a valid bag), 1 failure (or an invalid bag), 2 usage error or
    unreadable input, 130 interrupted.
    """


for _module, _attr in _COMMANDS:
    try:
        _mod = importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__name__}.{_module}":
            raise
        continue
    main.add_command(getattr(_mod, _attr))
