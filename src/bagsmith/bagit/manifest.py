"""Manifest lines and the paths in them (RFC 8493 §2.1.3, §2.2.1).

Paths in manifests are relative to the bag's base directory with ``/`` separators; CR, LF and
``%`` — and only those — are percent-encoded.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: (patterns compiled when first used, by re: `validate` starts without them)
_DECODE = r"%(0[AaDd]|25)"
_DECODE_MAP = {"0a": "\n", "0d": "\r", "25": "%"}
_MANIFEST_NAME = re.compile(r"^(tag)?manifest-([A-Za-z0-9]+)\.txt$")


def encode_path(path: str) -> str:
    """Percent-encode ``%``, CR and LF in a bag-relative path for a manifest line."""
    if "%" in path:
        path = path.replace("%", "%25")
    if "\r" in path or "\n" in path:
        path = path.replace("\r", "%0D").replace("\n", "%0A")
    return path


def decode_path(path: str) -> str:
    """Inverse of :func:`encode_path`; other ``%xx`` sequences are left as they are."""
    if "%" not in path:
        return path
    return re.sub(_DECODE, lambda m: _DECODE_MAP[m.group(1).lower()], path)


def manifest_name(algorithm: str, tag: bool = False) -> str:
    return f"{'tag' if tag else ''}manifest-{algorithm}.txt"


def split_manifest_name(name: str) -> tuple[bool, str] | None:
    """``tagmanifest-sha256.txt`` → (True, 'sha256'); None if not a manifest file name."""
    m = _MANIFEST_NAME.match(name)
    if not m:
        return None
    return bool(m.group(1)), m.group(2).lower()


def format_line(digest: str, relpath: str) -> str:
    return f"{digest}  {encode_path(relpath)}\n"


class ManifestLine(NamedTuple):
    """One manifest line read: its digest and its path."""

    digest: str
    path: str  # decoded, normalised (no leading './')
    binary_marker: bool = False
    dot_slash: bool = False  # the path was written with a leading './'


class LineProblem(NamedTuple):
    """Why a manifest line could not be read: a problem code and a message."""

    code: str  # a problem code from the catalogue
    message: str


_LINE = r"^([0-9A-Za-z]+)([ \t]+)(.*)$"


def parse_line(line: str) -> ManifestLine | LineProblem:
    """Parse one manifest line (without its line ending)."""
    if not line or line[0] in " \t":
        return LineProblem("manifest-whitespace-invalid", "line starts with white space")
    m = re.match(_LINE, line, re.DOTALL)
    if m is None:
        if any(ch.isspace() for ch in line):
            return LineProblem(
                "manifest-whitespace-invalid",
                "digest and path are separated by white space other than spaces or tabs",
            )
        return LineProblem("manifest-line-invalid", "expected 'DIGEST  PATH'")
    digest, _sep, rest = m.groups()
    binary = False
    if rest.startswith("*"):
        binary = True
        rest = rest[1:]
    if not rest:
        return LineProblem("manifest-line-invalid", "the line has a digest but no path")
    path = decode_path(rest)
    dot_slash = path.startswith("./")
    while path.startswith("./"):
        path = path[2:]
    return ManifestLine(digest.lower(), path, binary, dot_slash)


def unsafe_reason(path: str) -> str | None:
    """Why a bag-relative path would point outside the bag, or None if it is safe."""
    if not path:
        return "the path is empty"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return "the path is absolute"
    if path.startswith("~"):
        return "the path starts with '~' (a home folder)"
    parts = re.split(r"[/\\]", path)
    if ".." in parts:
        return "the path contains '..'"
    if "\x00" in path:
        return "the path contains a NUL character"
    return None
