"""The limits that keep hostile or absurd input from exhausting memory, time or the machine.

Each limit has a name, a default that no real bag or article comes near, the problem or error
code reported when input goes past it, and can be raised for one run with
``bagsmith --limit NAME=VALUE COMMAND …`` (or ``BAGSMITH_LIMITS="NAME=VALUE,…"`` in the
environment, which worker processes inherit). ``docs/limits.md`` lists them (a test checks
that every limit, its default and its code are there).

Values are read where the input is read: :func:`get` is a dictionary look-up.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .errors import UsageError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
TIB = 1024 * GIB


class Limit(NamedTuple):
    """A limit on hostile or absurd input: its default, unit and problem code."""

    name: str
    default: int
    unit: str
    code: str  # the problem (or error) code reported when input goes past the limit
    what: str


LIMITS: dict[str, Limit] = {
    limit.name: limit
    for limit in (
        Limit(
            "tag-file-bytes",
            256 * MIB,
            "bytes",
            "tag-file-too-large",
            "a tag file that is read whole (bagit.txt, bag-info.txt; every tag file of an archive)",
        ),
        Limit(
            "line-bytes",
            1 * MIB,
            "bytes",
            "tag-line-too-long",
            "one line of a manifest, fetch.txt or another tag file",
        ),
        Limit(
            "xml-bytes",
            512 * MIB,
            "bytes",
            "xml-too-large",
            "an XML document (METS, Dublin Core) read from a bag",
        ),
        Limit(
            "depth",
            100,
            "levels",
            "nesting-too-deep",
            "nesting of a JSON document (article record, sidecar, JSON-LD, profile); XML "
            "nesting is libxml2's own limit (256)",
        ),
        Limit("figures", 10_000, "figures", "figures-too-many", "figures in one article"),
        Limit(
            "archive-members",
            1_000_000,
            "members",
            "archive-too-many-members",
            "members of a zip or tar archive",
        ),
        Limit(
            "expansion-ratio",
            1000,
            "× compressed size",
            "archive-bomb",
            "bytes read out of a compressed archive against the compressed bytes behind them "
            "(over the whole archive, checked as the stream is read, beyond the first 64 MiB)",
        ),
        Limit(
            "expansion-bytes",
            4 * TIB,
            "bytes",
            "archive-bomb",
            "bytes read out of one archive in all",
        ),
        Limit(
            "image-pixels",
            89_478_485,
            "pixels",
            "image-too-large",
            "pixels of one image (width × height), read from its header before decoding "
            "(Pillow's own default)",
        ),
        Limit(
            "image-metadata-bytes",
            16 * MIB,
            "bytes",
            "image-metadata-unreadable",
            "an XMP packet or IPTC-IIM block embedded in an image (larger ones are not read; "
            "the image is)",
        ),
        Limit(
            "processes",
            256,
            "processes",
            "usage",
            "worker processes of one run",
        ),
    )
}

_values: dict[str, int] = {}
_loaded: list[bool] = []
ENVIRONMENT = "BAGSMITH_LIMITS"


def get(name: str) -> int:
    """The value of a limit for this run."""
    if not _loaded:
        _load_environment()
    return _values.get(name, LIMITS[name].default)


def configure(values: Mapping[str, int]) -> None:
    """Set limits for this run (and the processes it starts), e.g. from ``--limit``."""
    if not _loaded:
        _load_environment()
    for name, value in values.items():
        if name not in LIMITS:
            raise UsageError(f"unknown limit {name!r}", hint="limits: " + ", ".join(LIMITS))
        _values[name] = value
    os.environ[ENVIRONMENT] = ",".join(f"{k}={v}" for k, v in sorted(_values.items()))


def reset() -> None:
    """Back to the defaults (tests)."""
    _values.clear()
    _loaded.clear()
    os.environ.pop(ENVIRONMENT, None)


def parse(items: Iterable[str]) -> dict[str, int]:
    """``NAME=VALUE`` strings (``VALUE`` may end in K, M, G or T: binary multiples)."""
    out: dict[str, int] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip().lower()
        if not sep or name not in LIMITS:
            raise UsageError(
                f"{{limit}} {item!r} is not NAME=VALUE with a known NAME",
                hint="limits: " + ", ".join(LIMITS),
            )
        m = re.fullmatch(r"\s*(\d{1,15})\s*([kmgt]?)i?b?\s*", raw, re.IGNORECASE)
        if m is None or int(m.group(1)) < 1:
            raise UsageError(f"{{limit}} {item!r}: VALUE must be a whole number of at least 1")
        scale = {"": 1, "k": KIB, "m": MIB, "g": GIB, "t": TIB}[m.group(2).lower()]
        out[name] = int(m.group(1)) * scale
    return out


def _load_environment() -> None:
    raw = os.environ.get(ENVIRONMENT, "")
    _loaded.append(True)
    if raw.strip():
        # a bad environment value is reported when the CLI sets the limits
        with contextlib.suppress(UsageError):
            _values.update(parse(part for part in raw.split(",") if part.strip()))


def hint(name: str) -> str:
    """How to raise a limit, for an error's hint (the ``limit`` setting: errors.SETTINGS)."""
    limit = LIMITS[name]
    return (
        f"the {name} limit is {get(name)} {limit.unit}; raise it with {{limit={name}=N}} "
        "(docs/limits.md)"
    )


class TooDeep(ValueError):
    """A JSON document nested deeper than the ``depth`` limit."""

    code = "nesting-too-deep"

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"nested more than {limit} levels deep ({self.code})")
        self.depth = depth
        self.limit = limit


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings are skipped)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def load_json(text: str | bytes) -> Any:
    """``json.loads`` with the ``depth`` limit checked first (raises :class:`TooDeep`, a
    ``ValueError``): a deeply nested document would otherwise exhaust the recursion of the
    decoder, or of the JSON Schema validation after it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    limit = get("depth")
    if text.count("[") + text.count("{") > limit:  # cheap: most documents stop here
        depth = json_depth(text)
        if depth > limit:
            raise TooDeep(depth, limit)
    import json  # only here: `validate` starts faster without it

    return json.loads(text)
