"""The one place that locates bagsmith's bundled data: its JSON Schemas, BagIt profiles and
guides.

In a wheel they live in ``bagsmith/_data/``; in a source checkout (editable install) they are
the ``schemas/`` and ``profiles/`` folders at the project root.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

_SRC_ROOT = Path(__file__).resolve().parents[2]


def _data_dir(name: str) -> Path:
    packaged = resources.files("bagsmith").joinpath("_data", name)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = _SRC_ROOT / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"bagsmith's bundled {name}/ folder is missing from this install")


def schemas_dir() -> Path:
    """Folder of the project's own JSON Schemas and the list of official XSDs."""
    return _data_dir("schemas")


def docs_dir() -> Path:
    """Folder of the guides (docs/*.md), shown by ``bagsmith help TOPIC``."""
    return _data_dir("docs")


def profiles_dir() -> Path:
    """Folder of the BagIt profiles shipped with bagsmith."""
    return _data_dir("profiles")


@cache
def json_schema(name: str) -> dict[str, Any]:
    """Load one of the bundled JSON Schemas by file name, e.g. ``validation-report.schema.json``."""
    with (schemas_dir() / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def rights_statements() -> dict[str, dict[str, Any]]:
    """The rights statement and licence URIs bagsmith accepts (``schemas/rights-statements.json``:
    rightsstatements.org and Creative Commons), by canonical URI."""
    with (schemas_dir() / "rights-statements.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return {entry["uri"]: entry for entry in data["statements"]}


def canonical_rights_uri(value: str) -> str | None:
    """The canonical form of a rightsstatements.org or Creative Commons URI (http or https,
    with or without ``www.`` and the trailing slash), or None when it is not one of them."""
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in {"http", "https"}:
        return None
    host, _, path = rest.partition("/")
    host = host.lower().removeprefix("www.")
    path = path.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    known = rights_statements()
    for candidate in (f"http://{host}/{path}/", f"https://{host}/{path}/"):
        if candidate in known:
            return candidate
    return None
