"""``json.dumps(value, indent=2, ensure_ascii=False)`` for JSON-ready data, made faster.

With ``indent`` the standard library encodes in pure Python, one generator per level that
yields every token up through the levels above it (~0.6 ms for the record of an article of
20 figures). This writer walks the value once and appends the same pieces to one list; strings
are escaped by the standard library's C escaper, the one ``json.dumps`` itself uses. It knows
only the types the article record holds (``str``, ``int``, ``float``, ``bool``, ``None``,
``dict`` with ``str`` keys, ``list``, ``tuple``, each exactly that type): anything else (a
subclass, another key type) and the whole value goes to ``json.dumps`` instead, so the text is
always ``json.dumps``' own (``tests/test_ingest_shortcuts.py`` compares the two on generated
values).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C escaper when _json is there
from typing import Any

_INDENT = "  "
_CONSTANTS = {True: "true", False: "false"}


class _Unsupported(Exception):
    """A value this writer leaves to ``json.dumps``."""


def dumps_indented(value: Any) -> str:
    """The text of ``json.dumps(value, indent=2, ensure_ascii=False)``."""
    parts: list[str] = []
    try:
        _write(value, parts, "\n")
    except _Unsupported:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(parts)


def _write(value: Any, out: list[str], newline: str) -> None:
    """Append the text of ``value`` to ``out``; ``newline`` is a line break and the indent of
    the level ``value`` is at."""
    cls = type(value)
    if cls is str:
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif cls is bool:
        out.append(_CONSTANTS[value])
    elif cls is int:
        out.append(int.__repr__(value))
    elif cls is float:
        out.append(_float(value))
    elif cls is dict:
        _write_dict(value, out, newline)
    elif cls is list or cls is tuple:
        _write_list(value, out, newline)
    else:
        raise _Unsupported


def _float(value: float) -> str:
    """As ``json.dumps`` writes a float (``allow_nan``: NaN and the infinities by name)."""
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _write_dict(value: dict[Any, Any], out: list[str], newline: str) -> None:
    if not value:
        out.append("{}")
        return
    inner = newline + _INDENT
    separator = "{" + inner
    for key, item in value.items():
        if type(key) is not str:
            raise _Unsupported
        out.append(separator)
        out.append(encode_basestring(key))
        out.append(": ")
        _write(item, out, inner)
        separator = "," + inner
    out.append(newline + "}")


def _write_list(value: list[Any] | tuple[Any, ...], out: list[str], newline: str) -> None:
    if not value:
        out.append("[]")
        return
    inner = newline + _INDENT
    separator = "[" + inner
    for item in value:
        out.append(separator)
        _write(item, out, inner)
        separator = "," + inner
    out.append(newline + "]")
