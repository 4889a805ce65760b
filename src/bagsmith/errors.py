"""One exception hierarchy for the whole library, each class with a stable code.

Library code never prints and never calls ``sys.exit``; it raises one of these, saying what is
wrong in the library's own terms. The CLI maps each class to an exit code and each setting an
error names to its option (``cli/exits.py``, ``cli/flags.py``).

A message or hint may name a setting of the library (a parameter of a use case) as
``{name}`` or ``{name=value}``: ``{symlinks=follow}``, ``{force}``. The library shows it by
its name (``symlinks="follow"``, ``force=True``); the CLI shows the option a user types
(``--symlinks follow``, ``--force``). Only the names in :data:`SETTINGS` are read so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from .problems import Problem

#: The settings a message or hint may name (``{name}``, ``{name=value}``): name → whether it
#: is a switch (True or False, shown by the library as ``name=True``).
SETTINGS: dict[str, bool] = {
    "algorithms": False,
    "allow_broken_images": True,
    "archive_format": False,
    "base_url": False,
    "created": False,
    "delay": False,
    "for_system": False,
    "force": True,
    "from_dir": False,
    "group_id": False,
    "ignore_robots": True,
    "images": False,
    "info": False,
    "info_file": False,
    "limit": False,
    "max_capture_bytes": False,
    "max_redirects": False,
    "max_resource_bytes": False,
    "max_size": False,
    "metadata": False,
    "name": False,
    "object_id": False,
    "objects": True,
    "os_files": False,
    "output": False,
    "portable": True,
    "processes": False,
    "profile": False,
    "render": True,
    "require_images": True,
    "resume": True,
    "rights": False,
    "root": False,
    "scheduler": False,
    "serialize": False,
    "symlinks": False,
    "tag_files": False,
    "target": False,
    "timeout": False,
    "trust_host_key": False,
    "user_agent": False,
    "workers": False,
}

#: How a setting is named in text: (setting, value or None) → words.
Namer = Callable[[str, str | None], str]

_SETTING = re.compile(r"\{([a-z][a-z0-9_]*)(?:=([^{}]*))?\}")


def library_name(setting: str, value: str | None) -> str:
    """A setting as the library names it: ``symlinks="follow"``, ``force=True``, ``workers``."""
    if value is not None:
        return f'{setting}="{value}"'
    return f"{setting}=True" if SETTINGS[setting] else setting


def name_settings(text: str, namer: Namer = library_name) -> str:
    """``text`` with each ``{setting}`` / ``{setting=value}`` of :data:`SETTINGS` named."""
    if "{" not in text:
        return text

    def named(m: re.Match[str]) -> str:
        if m.group(1) not in SETTINGS:
            return m.group(0)
        return namer(m.group(1), m.group(2))

    return _SETTING.sub(named, text)


class BagsmithError(Exception):
    """Base of every error bagsmith raises on purpose."""

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        parameter: str | None = None,
        hint: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        """``field``: the field of a file or record at fault (a bag-info label, a sidecar key);
        ``parameter``: the setting of :data:`SETTINGS` at fault (``max_size``), which the CLI
        names by its option. ``message`` and ``hint`` may name settings as ``{name}``."""
        super().__init__(message)
        assert parameter is None or parameter in SETTINGS, parameter
        self.template = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.parameter = parameter
        self.hint_template = hint
        self.problems: list[Problem] = list(problems or ())

    @property
    def message(self) -> str:
        """What is wrong, settings named as the library names them."""
        return name_settings(self.template)

    @message.setter
    def message(self, text: str) -> None:
        self.template = text

    @property
    def hint(self) -> str | None:
        """What to do about it, or None."""
        return None if self.hint_template is None else name_settings(self.hint_template)

    @hint.setter
    def hint(self, text: str | None) -> None:
        self.hint_template = text

    def where_field(self, namer: Namer = library_name) -> str | None:
        """The field at fault, or else the setting (named by ``namer``), or None."""
        if self.field is None and self.parameter is not None:
            return namer(self.parameter, None)
        return self.field

    def location(self, namer: Namer = library_name) -> str:
        """``file:line`` / ``file (field x)`` part of a message, or ''."""
        field = self.where_field(namer)
        if self.path is None and field is None:
            return ""
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
        if field:
            where += f" (field {field})" if where else f"field {field}"
        return where

    def text(self, namer: Namer = library_name) -> str:
        """The whole error for a person: where, what, and the hint; settings named by
        ``namer`` (the CLI passes one that names its options)."""
        where = self.location(namer)
        message = name_settings(self.template, namer)
        text = f"{where}: {message}" if where else message
        if self.hint_template:
            text += f"\n  hint: {name_settings(self.hint_template, namer)}"
        return text

    def __str__(self) -> str:
        return self.text()

    def to_dict(self, namer: Namer = library_name) -> dict[str, object]:
        """The error as JSON data (``--json``). A subclass or raiser may set a machine-readable
        ``reason`` attribute (deposit errors do: ``auth``, ``no-space`` …); it is included only
        when set. The problems behind the error (``problems=``: every profile or schema problem
        that stopped a run, each with its code and severity) are included only when given."""
        hint = self.hint_template
        data: dict[str, object] = {
            "code": self.code,
            "message": name_settings(self.template, namer),
            "path": self.path,
            "line": self.line,
            "field": self.where_field(namer),
            "hint": None if hint is None else name_settings(hint, namer),
        }
        reason = getattr(self, "reason", None)
        if reason is not None:
            data["reason"] = str(reason)
        if self.problems:
            data["problems"] = [p.to_dict() for p in self.problems]
        return data


class UsageError(BagsmithError):
    """Options that do not make sense together, an unknown algorithm, a bad bag-info tag."""

    code = "usage"


class InputError(BagsmithError):
    """A source path that is missing or unreadable, or input that cannot be parsed."""

    code = "input"


class SourceConflictError(BagsmithError):
    """Source files that cannot be bagged as they are (name collisions, unsupported types)."""

    code = "source-conflict"


class DestinationError(BagsmithError):
    """The output location exists already or cannot be written."""

    code = "destination"


class ProcessesUnavailable(BagsmithError):
    """The system refused to start worker processes (a limit on processes such as
    ``ulimit -u``, or memory): the workers already started are stopped and nothing is left
    half-written; run again with fewer processes."""

    code = "processes-unavailable"


class BagError(BagsmithError):
    """A bag that cannot be read at all (not the same as an invalid bag: see problems)."""

    code = "bag"


class ArchiveError(BagsmithError):
    """A serialised bag (zip/tar) that is unsafe or unreadable."""

    code = "archive"


class MetadataError(BagsmithError):
    """Sidecar metadata, article records or XML that fail their schema."""

    code = "metadata"


class SchemaCacheError(BagsmithError):
    """Official XML schemas missing from the cache, or not matching what was installed."""

    code = "schema-cache"


class ProfileError(BagsmithError):
    """A BagIt profile that cannot be found or is not a valid profile document."""

    code = "profile"


class DepositError(BagsmithError):
    """A deposit that failed: bad credentials, permission, checksum mismatch after transfer."""

    code = "deposit"


class CaptureError(BagsmithError):
    """A web page that cannot be captured: the host cannot be resolved or reached, the server
    answers with an error, loops redirects, sends something that is not HTML, too much, or
    too slowly, or robots.txt forbids it. ``reason`` names which (docs/capture.md)."""

    code = "capture"

    def __init__(self, message: str, *, reason: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reason = reason


class Interrupted(BagsmithError):
    """The user interrupted a run; whatever was staged has been removed."""

    code = "interrupted"


class ErrorInfo(NamedTuple):
    """An error class of the catalogue: its code and its documentation."""

    code: str
    cls: type[BagsmithError]
    doc: str


def catalogue() -> list[ErrorInfo]:
    """Every error class with its code, for documentation and tests."""
    out: list[ErrorInfo] = []
    stack: list[type[BagsmithError]] = [BagsmithError]
    while stack:
        cls = stack.pop(0)
        out.append(ErrorInfo(cls.code, cls, (cls.__doc__ or "").strip()))
        stack.extend(cls.__subclasses__())
    return out
