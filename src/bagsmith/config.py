"""The configuration file: an institution's or a machine's defaults, read once per command.

TOML, found at (the first that applies) the file named by the command line's ``--config``,
the file named by ``BAGSMITH_CONFIG``, or ``$XDG_CONFIG_HOME/bagsmith/config.toml`` (else
``~/.config/bagsmith/config.toml``). A file that does not exist at the default place is no
configuration at all; a file named explicitly must exist. docs/configuration.md describes it::

    [bag-info]                         # default bag-info tags for bag, package and batch
    Source-Organization = "Example Community Archive"
    Contact-Email = ["ann@example.org", "desk@example.org"]   # a list repeats the tag

    [defaults]
    profile = "bagsmith-article-v1"    # BagIt profile of bag, package and batch
    algorithms = ["sha256", "sha512"]  # manifests of bag, package and batch
    processes = 4                      # hashing processes

    [targets.archive]                  # deposit targets (docs/deposit.md)
    url = "sftp://depositor@archive.example.org/incoming"

Every mistake is an :class:`~bagsmith.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

#: The environment variable naming the configuration file.
ENV = "BAGSMITH_CONFIG"
#: The tables and keys bagsmith reads; others are refused (a typo would otherwise be ignored).
KNOWN = {
    "bag-info": None,  # any label
    "defaults": frozenset({"profile", "algorithms", "processes"}),
    "deposit": None,  # retry policy, read by the deposit subsystem
    "targets": None,  # deposit targets, read by the deposit subsystem
}


@dataclass(frozen=True)
class Settings:
    """What the configuration file says (everything empty when there is none)."""

    path: Path | None = None  # the file read; None when there is none
    bag_info: tuple[tuple[str, str], ...] = ()
    profile: str | None = None
    algorithms: tuple[str, ...] | None = None
    processes: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)  # the whole document


def default_path() -> Path:
    """``$XDG_CONFIG_HOME/bagsmith/config.toml``, else ``~/.config/bagsmith/config.toml``."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "bagsmith" / "config.toml"


def config_path(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The configuration file to read, and whether it was named explicitly (then it must
    exist): ``explicit``, else ``BAGSMITH_CONFIG``, else :func:`default_path`."""
    if explicit is not None:
        return Path(explicit), True
    env = os.environ.get(ENV)
    if env:
        return Path(env), True
    return default_path(), False


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Read and check the configuration file (see the module docstring)."""
    path, required = config_path(explicit)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise InputError("the configuration file does not exist", path=path) from None
        return Settings()
    except OSError as exc:
        raise InputError(
            f"cannot read the configuration file: {exc.strerror or exc}", path=path
        ) from None
    return parse_settings(raw, path)


def parse_settings(raw: bytes, path: Path) -> Settings:
    """The settings in ``raw``, the content of the file ``path`` (for messages)."""
    import tomllib  # only when there is a file: most runs have none

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "the configuration file is not UTF-8 text",
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)$", message)
        reason = message[: found.start()].strip() if found else message
        raise InputError(
            f"not valid TOML: {reason}", path=path, line=int(found.group(1)) if found else None
        ) from None
    return _check(data, text, path)


def _check(data: dict[str, Any], text: str, path: Path) -> Settings:
    def fail(message: str, table: str | None, key: str | None = None) -> InputError:
        return InputError(
            message, path=path, line=_line_of(text, table, key), field=_field(table, key)
        )

    for name, value in data.items():
        if name not in KNOWN:
            raise fail(
                f"unknown setting {name!r} (known tables: {', '.join(KNOWN)})",
                None if not isinstance(value, dict) else name,
                None if isinstance(value, dict) else name,
            )
        if not isinstance(value, dict):
            raise fail(f"{name} must be a table ([{name}])", None, name)
    info: list[tuple[str, str]] = []
    for label, value in data.get("bag-info", {}).items():
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) for v in values):
            raise fail(
                f"the bag-info tag {label} must be a string or a list of strings",
                "bag-info",
                label,
            )
        info.extend((label, v) for v in values)
    defaults = data.get("defaults", {})
    for key in defaults:
        if key not in KNOWN["defaults"]:  # type: ignore[operator]
            known = ", ".join(sorted(KNOWN["defaults"]))  # type: ignore[arg-type]
            raise fail(f"unknown setting {key!r} in [defaults] (known: {known})", "defaults", key)
    profile = defaults.get("profile")
    if profile is not None and (not isinstance(profile, str) or not profile):
        raise fail("profile must be a profile's name, file or identifier", "defaults", "profile")
    algorithms = defaults.get("algorithms")
    if isinstance(algorithms, str):
        algorithms = [algorithms]
    if algorithms is not None and (
        not algorithms or not all(isinstance(a, str) and a for a in algorithms)
    ):
        raise fail("algorithms must be a list of algorithm names", "defaults", "algorithms")
    processes = defaults.get("processes")
    if processes is not None and (
        not isinstance(processes, int) or isinstance(processes, bool) or processes < 1
    ):
        raise fail("processes must be a whole number of at least 1", "defaults", "processes")
    return Settings(
        path=path,
        bag_info=tuple(info),
        profile=profile,
        algorithms=tuple(algorithms) if algorithms is not None else None,
        processes=processes,
        data=data,
    )


def _field(table: str | None, key: str | None) -> str | None:
    if table and key:
        return f"{table}.{key}"
    return table or key


_HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*(#.*)?$")


def _line_of(text: str, table: str | None, key: str | None) -> int | None:
    """The line where ``key`` is set in ``[table]`` (or the table's header; or the top-level
    key), found by reading the lines; None when it cannot be told (a dotted or inline form)."""
    current: str | None = None
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1).strip().strip('"')
            if current == table and header_line is None:
                header_line = number
                if key is None:
                    return number
            continue
        if key is not None and current == table:
            stripped = line.lstrip()
            for spelling in (key, f'"{key}"', f"'{key}'"):
                if stripped.startswith(spelling) and stripped[len(spelling) :].lstrip().startswith(
                    "="
                ):
                    return number
    return header_line
