"""Stable XML IDs derived from paths and numbers (never random, never run-dependent)."""

from __future__ import annotations

import functools
import hashlib
import re
import uuid

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: Namespace for deterministic PREMIS event UUIDs (uuid5 of path + event type).
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:bagsmith:premis-event")


@functools.lru_cache(maxsize=4096)
def path_token(path: str) -> str:
    """An NCName-safe token for a bag-relative path: readable slug + 8 hex of its sha1.
    (Remembered for the last paths: a METS asks for each file's ~15 times.)"""
    slug = _UNSAFE.sub("_", path).strip("_.-")[:48] or "file"
    digest = hashlib.sha1(path.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def file_id(path: str) -> str:
    return "file-" + path_token(path)


def amd_id(path: str) -> str:
    return "amd-" + path_token(path)


def premis_object_id(path: str) -> str:
    return "premis-" + path_token(path)


def mix_id(path: str) -> str:
    return "mix-" + path_token(path)


def rights_md_id(path: str) -> str:
    return "rights-" + path_token(path)


def event_md_id(path: str, number: int) -> str:
    return f"event{number}-" + path_token(path)


_EVENT_PREFIX = EVENT_NAMESPACE.bytes


def event_uuid(path: str, event_type: str) -> str:
    """``str(uuid.uuid5(EVENT_NAMESPACE, path + NUL + event_type))``, without building the
    UUID object (a METS of 20 images names ~130 events)."""
    digest = bytearray(hashlib.sha1(_EVENT_PREFIX + f"{path}\0{event_type}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def figure_ids(numbers: list[int | None]) -> list[str]:
    """``fig-012`` for figure number 12; ``fig-i3`` (by position) when unnumbered or repeated."""
    seen: dict[int, int] = {}
    for number in numbers:
        if number is not None:
            seen[number] = seen.get(number, 0) + 1
    out: list[str] = []
    for index, number in enumerate(numbers, start=1):
        if number is not None and seen[number] == 1:
            out.append(f"fig-{number:03d}")
        else:
            out.append(f"fig-i{index}")
    return out
