"""``fetch.txt`` (RFC 8493 §2.2.3): payload files to be fetched from URLs, ``URL LENGTH PATH``.

A bag whose missing payload files are all listed in fetch.txt is a "holey" bag: not complete,
so not valid (RFC 8493 §3), until they are fetched. Those files are reported as
``fetch-file-pending`` (an error naming the URL; info with ``allow_holey``), not as missing.
bagsmith never fetches anything while validating.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from ..problems import Report
from .manifest import decode_path, unsafe_reason

#: LENGTH has at most 20 digits (2^64 has 20): a longer number is no file's length.
_LINE = r"^(\S+)[ \t]+(\d{1,20}|-)[ \t]+(.+)$"  # (compiled when first used, by re)


class FetchEntry(NamedTuple):
    """One fetch.txt line: the URL, the length if known, the path."""

    url: str
    length: int | None  # None for '-' (unknown)
    path: str
    line: int


def parse_fetch(
    lines: Iterator[tuple[int, str]], report: Report, name: str = "fetch.txt"
) -> dict[str, FetchEntry]:
    """Fetch entries by decoded path; bad and unsafe lines are reported and left out."""
    out: dict[str, FetchEntry] = {}
    for number, text in lines:
        if not text.strip():
            continue
        m = re.match(_LINE, text)
        if m is None:
            report.add("fetch-line-invalid", f"{text!r} is not 'URL LENGTH PATH'", name, number)
            continue
        url, length, raw = m.groups()
        if ":" not in url:
            report.add("fetch-line-invalid", f"{url!r} is not a URL", name, number)
            continue
        path = decode_path(raw)
        while path.startswith("./"):
            path = path[2:]
        reason = unsafe_reason(path)
        if reason is not None:
            report.add("manifest-path-unsafe", f"{path!r}: {reason}", name, number)
            continue
        if not path.startswith("data/"):
            report.add(
                "manifest-path-outside-payload", f"{path!r} is not under data/", name, number
            )
            continue
        out[path] = FetchEntry(url, None if length == "-" else int(length), path, number)
    return out
