"""Builders shared by the profile tests: bags written byte by byte, profile documents.

No tests live here; the builders are imported by the other ``test_profiles_*`` modules.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

SPEC_VERSIONS = ("1.1.0", "1.2.0", "1.3.0", "1.4.0")
PROFILE_ID = "https://example.org/profiles/test-profile-v1.json"


def write_bag(
    root: Path,
    *,
    payload: Mapping[str, bytes] | None = None,
    info: Iterable[tuple[str, str]] = (("BagIt-Profile-Identifier", PROFILE_ID),),
    algorithms: Iterable[str] = ("sha256",),
    tag_algorithms: Iterable[str] = ("sha256",),
    version: str = "1.0",
    tag_files: Mapping[str, bytes] | None = None,
    fetch: Iterable[tuple[str, int, str]] | None = None,
) -> Path:
    """Write a complete bag (manifests with real digests) into ``root`` and return it."""
    payload = {"data/hello.txt": b"hello\n"} if payload is None else payload
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    for rel, content in payload.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    (root / "bagit.txt").write_text(
        f"BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    info_lines = [f"{label}: {value}\n" for label, value in info]
    octets = sum(len(c) for c in payload.values())
    info_lines.append(f"Payload-Oxum: {octets}.{len(payload)}\n")
    (root / "bag-info.txt").write_text("".join(info_lines), encoding="utf-8")
    fetch_list = list(fetch or [])
    if fetch is not None:
        (root / "fetch.txt").write_text(
            "".join(f"{url} {size} {rel}\n" for url, size, rel in fetch_list), encoding="utf-8"
        )
    algorithms = list(algorithms)
    for alg in algorithms:
        lines = [f"{hashlib.new(alg, c).hexdigest()}  {rel}\n" for rel, c in payload.items()]
        # fetch entries are listed in the manifests with the digest they will have
        lines += [f"{hashlib.new(alg, b'').hexdigest()}  {rel}\n" for _u, _s, rel in fetch_list]
        (root / f"manifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")
    for rel, content in (tag_files or {}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    listed = ["bagit.txt", "bag-info.txt", *(f"manifest-{a}.txt" for a in algorithms)]
    listed += list(tag_files or {})
    if fetch is not None:
        listed.append("fetch.txt")
    for alg in tag_algorithms:
        lines = [
            f"{hashlib.new(alg, (root / rel).read_bytes()).hexdigest()}  {rel}\n" for rel in listed
        ]
        (root / f"tagmanifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")
    return root


def profile_doc(
    spec_version: str | None = "1.3.0", extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A minimal valid profile document of one specification version, plus ``extra`` keys.

    A key given as ``None`` is removed; ``spec_version=None`` leaves BagIt-Profile-Version out.
    """
    info: dict[str, str] = {
        "Source-Organization": "Test Archive",
        "External-Description": "A profile for tests",
        "Version": "1",
        "BagIt-Profile-Identifier": PROFILE_ID,
    }
    if spec_version is not None:
        info["BagIt-Profile-Version"] = spec_version
    doc: dict[str, Any] = {
        "BagIt-Profile-Info": info,
        "Bag-Info": {},
        "Manifests-Required": [],
        "Accept-BagIt-Version": ["1.0"],
    }
    for key, value in (extra or {}).items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def write_profile(folder: Path, doc: Mapping[str, Any], name: str = "test-profile") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def fresh(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy (bagit_profile fills defaults into the dict it is given)."""
    return copy.deepcopy(dict(doc))
