"""Tag files (bagit.txt, bag-info.txt …): ``Label: value`` lines with folded continuations.

RFC 8493 §2.2.2: a long value may continue on the next line when that line starts with
linear white space (space or tab). Readers here keep every occurrence of a repeated label, in
order, with the line number it started on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..errors import UsageError

BAGIT_VERSION = "1.0"
TAG_ENCODING = "UTF-8"
#: The bag-info.txt tag naming the BagIt profile a bag conforms to.
PROFILE_ID_TAG = "BagIt-Profile-Identifier"
FOLD_WIDTH = 79

_LABEL_FORBIDDEN = re.compile(r"[:\r\n]")


class Tag(NamedTuple):
    """One ``Label: value`` tag of a tag file, with the line it starts on."""

    label: str
    value: str
    line: int  # 1-based line on which the tag starts
    unusual_separator: bool = False


class TagLineError(NamedTuple):
    """A tag file line that is neither a tag nor a continuation."""

    line: int
    text: str


def parse_tags(text: str) -> tuple[list[Tag], list[TagLineError]]:
    """Parse tag file text into tags (in order) and lines that could not be read."""
    tags: list[Tag] = []
    errors: list[TagLineError] = []
    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if raw[0] in " \t":
            if tags:
                prev = tags[-1]
                tags[-1] = Tag(
                    prev.label,
                    f"{prev.value} {raw.strip()}".strip(),
                    prev.line,
                    prev.unusual_separator,
                )
            else:
                errors.append(TagLineError(number, raw))
            continue
        label, sep, value = raw.partition(":")
        if not sep or not label.strip():
            errors.append(TagLineError(number, raw))
            continue
        unusual = label != label.rstrip() or not (value.startswith(" ") or value == "")
        tags.append(Tag(label.strip(), value.strip(), number, unusual))
    return tags, errors


def check_label(label: str) -> None:
    if not label or label != label.strip() or _LABEL_FORBIDDEN.search(label):
        raise UsageError(
            f"invalid tag label {label!r}: a label cannot be empty, start or end with white "
            "space, or contain ':' or a line break",
            field=label or "(empty)",
        )


def check_value(label: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise UsageError(f"the value of {label} contains a line break", field=label)


def fold(label: str, value: str, width: int = FOLD_WIDTH) -> str:
    """Format one tag, folding a long value at spaces onto indented continuation lines.

    Unfolding (joining continuation lines with one space) gives back ``value`` as long as it
    has no runs of several spaces at a fold point; such values are not folded there.
    """
    first = f"{label}: "
    words = value.split(" ")
    if len(first) + len(value) <= width or len(words) == 1 or "" in words:
        return f"{first}{value}\n"
    out_lines: list[str] = []
    current = first + words[0]
    for word in words[1:]:
        if len(current) + 1 + len(word) > width:
            out_lines.append(current)
            current = "  " + word
        else:
            current += " " + word
    out_lines.append(current)
    return "\n".join(out_lines) + "\n"


def format_tags(tags: Iterable[tuple[str, str]], width: int = FOLD_WIDTH) -> str:
    parts = []
    for label, value in tags:
        check_label(label)
        check_value(label, value)
        parts.append(fold(label, value, width))
    return "".join(parts)


def bagit_txt() -> bytes:
    return f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: {TAG_ENCODING}\n".encode()


def checked_tag(label: str, value: str) -> tuple[str, str]:
    """A bag-info tag a user gives, checked (a valid label, a value without line breaks) and
    stripped of surrounding white space: (label, value)."""
    label = label.strip()
    check_label(label)
    check_value(label, value)
    return label, value.strip()


def first_value(tags: Sequence[Tag], label: str) -> str | None:
    """Value of the first tag with this label (labels compare case-insensitively)."""
    wanted = label.lower()
    for tag in tags:
        if tag.label.lower() == wanted:
            return tag.value
    return None
