"""Turn ``--to TARGET`` into a deposit target: a URL, or a name from the config file.

The config file is TOML: ``$XDG_CONFIG_HOME/bagsmith/config.toml`` (else
``~/.config/bagsmith/config.toml``) or the file given with ``--config``::

    [deposit]                 # optional: retry policy for every target
    retries = 4               # attempts in all
    retry_delay = 1.0         # seconds before the second attempt, doubling after that

    [targets.archive]
    url = "sftp://depositor@archive.example.org:2222/incoming"
    identity_file = "~/.ssh/deposit_ed25519"
    known_hosts = "~/.ssh/known_hosts"

A config file that holds credentials (``password``, ``secret_access_key`` …) is refused when
its group or others can read it. Credentials are never accepted in a URL.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from ..config import config_path as find_config
from ..errors import InputError, UsageError
from .base import RetryPolicy, Target, deposit_error

#: URL scheme → module in this package providing ``from_settings(url, settings, display)``.
SCHEMES: dict[str, str] = {
    "file": "directory",
    "ocfl": "ocfl",
    "sftp": "sftp",
    "s3": "s3",
    "az": "azblob",
    "sword": "sword",
    "sword+https": "sword",
    "sword+http": "sword",
}
CREDENTIAL_KEYS = frozenset(
    {
        "password",
        "passphrase",
        "secret_access_key",
        "access_key_id",
        "session_token",
        "token",
        "account_key",
        "connection_string",
    }
)


@dataclass(frozen=True)
class TargetSpec:
    """A resolved target: its URL, its settings, and how to show it (never with secrets)."""

    url: SplitResult
    display: str
    name: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The configuration file (``explicit``, else ``BAGSMITH_CONFIG``, else the XDG place)."""
    return find_config(explicit)[0]


def load_config(path: Path, *, required: bool) -> dict[str, Any]:
    """Read the TOML config; refuse it if it holds credentials and others can read it."""
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        if required:
            raise InputError("the config file does not exist", path=path) from exc
        return {}
    except OSError as exc:
        raise InputError(f"cannot read the config file: {exc.strerror}", path=path) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not a valid TOML file: {exc}", path=path) from exc
    if _holds_credentials(data) and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise deposit_error(
            "config",
            "the config file holds credentials but others can read it; refusing to use it",
            path=str(path),
            hint=f"chmod 600 {path}",
        )
    return data


def _holds_credentials(data: Mapping[str, Any]) -> bool:
    for key, value in data.items():
        if key in CREDENTIAL_KEYS and value:
            return True
        if isinstance(value, Mapping) and _holds_credentials(value):
            return True
    return False


def resolve(
    target: str,
    *,
    config: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> TargetSpec:
    """``--to`` value (URL or configured name) → :class:`TargetSpec`."""
    path, required = find_config(config)
    data = load_config(path, required=required)
    defaults = data.get("deposit", {})
    if not isinstance(defaults, dict):
        raise InputError("[deposit] must be a table", path=path, field="deposit")
    name: str | None = None
    settings: dict[str, Any] = {}
    if "://" in target:
        url_text = target
    else:
        targets = data.get("targets", {})
        entry = targets.get(target) if isinstance(targets, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise UsageError(
                f"{target!r} is neither a URL nor a target named in the config file",
                path=path,
                hint="use a URL such as file:///path, or add [targets.NAME] with url = ...",
            )
        name, url_text = target, entry["url"]
        settings = {k: v for k, v in entry.items() if k != "url"}
    url = urlsplit(url_text)
    if url.scheme not in SCHEMES:
        raise UsageError(
            f"unknown deposit target scheme {url.scheme!r}",
            parameter="target",
            hint="use one of " + ", ".join(f"{s}://" for s in SCHEMES),
        )
    if url.password is not None:
        raise UsageError(
            "a password in the target URL is not accepted",
            parameter="target",
            hint="put it in the environment or in the config file (chmod 600)",
        )
    for key, value in (overrides or {}).items():
        if value is not None:
            settings[key] = value
    retry = RetryPolicy(
        attempts=int(settings.pop("retries", defaults.get("retries", 4))),
        base_delay=float(settings.pop("retry_delay", defaults.get("retry_delay", 1.0))),
        max_delay=float(settings.pop("retry_max_delay", defaults.get("retry_max_delay", 30.0))),
    )
    if retry.attempts < 1:
        raise UsageError("retries must be at least 1", path=path, field="retries")
    display = url_text if name is None else f"{name} ({url_text})"
    return TargetSpec(url, display, name, settings, retry)


def build(spec: TargetSpec) -> Target:
    """The target object for a spec; the module for its scheme is imported only now."""
    module = import_module(f"{__package__}.{SCHEMES[spec.url.scheme]}")
    target: Target = module.from_settings(spec.url, spec.settings, spec.display)
    return target


def url_path(url: SplitResult) -> Path:
    """The local path of a ``file://`` or ``ocfl://`` URL (host must be empty or localhost)."""
    if url.netloc not in ("", "localhost"):
        raise UsageError(
            f"{url.scheme}:// targets must be local: use {url.scheme}:///absolute/path",
            parameter="target",
        )
    if not url.path:
        raise UsageError(f"the {url.scheme}:// URL has no path", parameter="target")
    return Path(unquote(url.path))
