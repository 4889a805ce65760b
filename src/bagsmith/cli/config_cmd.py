"""``bagsmith config show``: the configuration file in use and the defaults it sets."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from ..config import ENV, Settings, config_path
from ..fixity import DEFAULT_ALGORITHMS
from ..pipeline.packaging import DEFAULT_PROFILE
from .common import Output, output_options
from .options import configured_file, settings

#: Setting names whose values are never shown (deposit credentials).
SECRET = ("password", "passphrase", "secret", "token", "access_key")


@click.group("config")
def config() -> None:
    """The configuration file: an institution's defaults (docs/configuration.md)."""


@config.command("show")
@output_options
def show(out: Output) -> None:
    """Show which configuration file is used and the defaults it sets.

    \b
    Examples:
      bagsmith config show
      bagsmith --config ./reading-room.toml config show --json
      BAGSMITH_CONFIG=/etc/bagsmith.toml bagsmith config show
    """
    given = configured_file()
    path, explicit = config_path(given)
    source = "--config" if given is not None else ENV if os.environ.get(ENV) else "default"
    current = settings()
    data = _describe(current, str(path), source, explicit)
    if out.json_mode:
        out.emit_json(data)
        return
    found = "" if current.path is not None else " (not found: no configuration)"
    lines = [f"# configuration file: {path}{found} [{source}]"]
    if current.bag_info:
        lines += ["", "[bag-info]"]
        grouped: dict[str, list[str]] = {}
        for label, value in current.bag_info:
            grouped.setdefault(label, []).append(value)
        lines += [
            f"{label} = {json.dumps(values[0] if len(values) == 1 else values)}"
            for label, values in grouped.items()
        ]
    lines += ["", "[defaults]"]
    for key, value in data["defaults"].items():
        origin = "" if data["configured"][key] else "  # built in"
        if key == "profile":
            origin += " (for package and batch; bag checks a profile only when one is set)"
        lines.append(f"{key} = {json.dumps(value)}{origin}")
    for name, target in data["targets"].items():
        lines += ["", f"[targets.{name}]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in target.items()]
    click.echo("\n".join(lines))


def _describe(current: Settings, path: str, source: str, explicit: bool) -> dict[str, Any]:
    targets = current.data.get("targets", {})
    return {
        "path": path,
        "source": source,
        "exists": current.path is not None,
        "bag_info": [{"label": k, "value": v} for k, v in current.bag_info],
        "defaults": {
            "profile": current.profile or DEFAULT_PROFILE,
            "algorithms": list(current.algorithms or DEFAULT_ALGORITHMS),
            "processes": current.processes or "one per CPU",
        },
        "configured": {
            "profile": current.profile is not None,
            "algorithms": current.algorithms is not None,
            "processes": current.processes is not None,
        },
        "targets": {
            name: {k: _masked(k, v) for k, v in entry.items()}
            for name, entry in targets.items()
            if isinstance(entry, dict)
        },
    }


def _masked(key: str, value: Any) -> Any:
    return "********" if any(s in key for s in SECRET) and value else value
