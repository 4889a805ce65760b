"""Check a bag's facts against a BagIt profile; check bag-info tags before a bag is written.

The checks take :class:`BagFacts` (what a reader learnt about a bag), not a bag, so that any
reader — a folder, a zip or tar read by streaming — can feed them. Every rule of the profile
is checked and every failure is reported as a :class:`~bagsmith.problems.Problem`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BagError
from ..problems import Problem
from .manifest import decode_path, split_manifest_name
from .profiles import PROFILE_ID_TAG, Profile, TagRule, glob_match
from .tagfiles import parse_tags

#: MIME types that name each serialisation bagsmith knows (a profile may use any of them).
SERIALIZATION_MIME_TYPES: dict[str, frozenset[str]] = {
    "zip": frozenset({"application/zip", "application/x-zip", "application/x-zip-compressed"}),
    "tar": frozenset({"application/tar", "application/x-tar"}),
    "tgz": frozenset(
        {
            "application/gzip",
            "application/x-gzip",
            "application/tar+gzip",
            "application/x-gtar",
            "application/x-compressed-tar",
        }
    ),
    "7z": frozenset({"application/x-7z-compressed"}),
}
_SERIALIZATION_ALIASES = {"tar.gz": "tgz", "gz": "tgz", "gzip": "tgz"}
#: Files outside data/ that BagIt itself defines: never "tag files" for Tag-Files-Allowed.
_BAGIT_FILES = ("bagit.txt", "bag-info.txt", "fetch.txt")


@dataclass(frozen=True)
class BagFacts:
    """What profile checks need to know about one bag.

    ``tag_files`` are the bag-relative paths of every file outside ``data/`` (bagit.txt,
    bag-info.txt, manifests and fetch.txt included); ``payload_files`` the ``data/...`` files
    actually present; ``fetch_paths`` the paths fetch.txt lists (payload still to fetch).
    ``info_lines`` (optional) gives the bag-info.txt line of each ``info`` entry.
    """

    bagit_version: str
    info: tuple[tuple[str, str], ...] = ()
    payload_manifest_algorithms: frozenset[str] = frozenset()
    tag_manifest_algorithms: frozenset[str] = frozenset()
    tag_files: tuple[str, ...] = ()
    payload_files: tuple[str, ...] = ()
    payload_octets: int = 0
    has_fetch: bool = False
    fetch_paths: tuple[str, ...] = ()
    serialization: str | None = None  # None (a folder) | "zip" | "tar" | "tgz" | "7z"
    has_bag_info: bool = True
    info_lines: tuple[int, ...] = field(default=())

    @property
    def fetch_entries(self) -> int:
        return len(self.fetch_paths)

    def line_of(self, index: int) -> int | None:
        return self.info_lines[index] if index < len(self.info_lines) else None


# --- reading facts from a folder --------------------------------------------------------------


def _read_tag_text(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


def facts_from_directory(bag: str | Path) -> BagFacts:
    """Read the facts profile checks need from a bag folder (no digests are computed)."""
    root = Path(bag)
    bagit_txt = root / "bagit.txt"
    if not bagit_txt.is_file():
        raise BagError("not a bag: there is no bagit.txt", path=root)
    declaration, _ = parse_tags(_read_tag_text(bagit_txt, "utf-8-sig"))
    version, encoding = "", "utf-8"
    for tag in declaration:
        if tag.label == "BagIt-Version":
            version = tag.value
        elif tag.label == "Tag-File-Character-Encoding":
            encoding = tag.value
    info_path = root / "bag-info.txt"
    has_info = info_path.is_file()
    tags = parse_tags(_read_tag_text(info_path, encoding))[0] if has_info else []
    tag_files: list[str] = []
    payload: list[str] = []
    octets = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        rel_folder = Path(folder).relative_to(root).as_posix()
        for name in sorted(files):
            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
            if rel.startswith("data/"):
                payload.append(rel)
                with contextlib.suppress(OSError):  # a dangling link has no size
                    octets += (Path(folder) / name).stat().st_size
            else:
                tag_files.append(rel)
    payload_algs: set[str] = set()
    tag_algs: set[str] = set()
    for rel in tag_files:
        parsed = split_manifest_name(rel) if "/" not in rel else None
        if parsed is not None:
            (tag_algs if parsed[0] else payload_algs).add(parsed[1])
    fetch = root / "fetch.txt"
    fetch_paths: list[str] = []
    if fetch.is_file():
        for line in _read_tag_text(fetch, encoding).splitlines():
            parts = line.strip().split(None, 2)
            if len(parts) == 3:
                fetch_paths.append(decode_path(parts[2]))
    return BagFacts(
        bagit_version=version,
        info=tuple((t.label, t.value) for t in tags),
        info_lines=tuple(t.line for t in tags),
        payload_manifest_algorithms=frozenset(payload_algs),
        tag_manifest_algorithms=frozenset(tag_algs),
        tag_files=tuple(tag_files),
        payload_files=tuple(payload),
        payload_octets=octets,
        has_fetch=fetch.is_file(),
        fetch_paths=tuple(fetch_paths),
        has_bag_info=has_info,
    )


# --- checking -------------------------------------------------------------------------------


def occurrences(info: Sequence[tuple[str, str]], label: str) -> list[int]:
    wanted = label.lower()
    return [i for i, (lab, _v) in enumerate(info) if lab.lower() == wanted]


def tag_problems(
    rule: TagRule, facts: BagFacts, profile: Profile, *, where: str | None, hint: str
) -> list[Problem]:
    """Problems of one bag-info tag rule: missing, recommended, repeated, value not allowed."""
    found = occurrences(facts.info, rule.label)
    out: list[Problem] = []
    if not found:
        if rule.required:
            out.append(
                Problem(
                    "profile-tag-missing",
                    f"{rule.label} is required by profile {profile.label}{hint}",
                    where,
                )
            )
        elif rule.recommended:
            out.append(
                Problem(
                    "profile-tag-recommended-missing",
                    f"{rule.label} is recommended by profile {profile.label}{hint}",
                    where,
                )
            )
        return out
    if not rule.repeatable and len(found) > 1:
        lines = ", ".join(str(facts.line_of(i)) for i in found if facts.line_of(i) is not None)
        out.append(
            Problem(
                "profile-tag-not-repeatable",
                f"{rule.label} appears {len(found)} times"
                + (f" (lines {lines})" if lines else "")
                + f"; profile {profile.label} allows it once",
                where,
                facts.line_of(found[1]),
            )
        )
    if rule.values:
        for i in found:
            value = facts.info[i][1]
            if value not in rule.values:
                allowed = ", ".join(repr(v) for v in rule.values)
                out.append(
                    Problem(
                        "profile-tag-value-not-allowed",
                        f"{rule.label} is {value!r}; profile {profile.label} allows only "
                        f"{allowed}{hint}",
                        where,
                        facts.line_of(i),
                    )
                )
    return out


def _identifier_problems(profile: Profile, facts: BagFacts) -> list[Problem]:
    found = occurrences(facts.info, PROFILE_ID_TAG)
    if not found:
        return [
            Problem(
                "profile-identifier-missing",
                f"bag-info.txt has no {PROFILE_ID_TAG}; a bag conforming to profile "
                f"{profile.label} must name it",
                "bag-info.txt",
            )
        ]
    values = [facts.info[i][1] for i in found]
    if any(v in profile.accepted_identifiers for v in values):
        return []
    return [
        Problem(
            "profile-identifier-mismatch",
            f"{PROFILE_ID_TAG} is {', '.join(repr(v) for v in values)}, not this profile's "
            f"{profile.identifier!r}",
            "bag-info.txt",
            facts.line_of(found[0]),
        )
    ]


def _manifest_problems(profile: Profile, facts: BagFacts, *, tag: bool) -> list[Problem]:
    kind = "tag-manifest" if tag else "manifest"
    present = facts.tag_manifest_algorithms if tag else facts.payload_manifest_algorithms
    prefix = "Tag-Manifests" if tag else "Manifests"
    stem = "tagmanifest" if tag else "manifest"
    out: list[Problem] = []
    for alg in profile.get_list(f"{prefix}-Required") or ():
        if alg.lower() not in present:
            out.append(
                Problem(
                    f"profile-{kind}-required",
                    f"{stem}-{alg}.txt is required by profile {profile.label} ({prefix}-Required)",
                    f"{stem}-{alg}.txt",
                )
            )
    allowed = profile.get_list(f"{prefix}-Allowed")
    if allowed is not None:
        for alg in sorted(present - {a.lower() for a in allowed}):
            out.append(
                Problem(
                    f"profile-{kind}-not-allowed",
                    f"{stem}-{alg}.txt is not allowed by profile {profile.label} "
                    f"({prefix}-Allowed: {', '.join(allowed) or 'none'})",
                    f"{stem}-{alg}.txt",
                )
            )
    return out


def _is_bagit_file(rel: str) -> bool:
    return rel in _BAGIT_FILES or (split_manifest_name(rel) is not None and "/" not in rel)


def _file_problems(profile: Profile, facts: BagFacts) -> list[Problem]:
    out: list[Problem] = []
    present_tags = set(facts.tag_files)
    for name in profile.get_list("Tag-Files-Required") or ():
        if name not in present_tags:
            out.append(
                Problem(
                    "profile-tag-file-required",
                    f"tag file {name} is required by profile {profile.label}",
                    name,
                )
            )
    tag_allowed = profile.get_list("Tag-Files-Allowed")
    if tag_allowed is not None:
        for rel in facts.tag_files:
            if not _is_bagit_file(rel) and not any(glob_match(p, rel) for p in tag_allowed):
                out.append(
                    Problem(
                        "profile-tag-file-not-allowed",
                        f"tag file {rel} matches no Tag-Files-Allowed pattern of profile "
                        f"{profile.label}",
                        rel,
                    )
                )
    payload = set(facts.payload_files) | set(facts.fetch_paths)
    for name in profile.get_list("Payload-Files-Required") or ():
        ok = any(p.startswith(name) for p in payload) if name.endswith("/") else name in payload
        if not ok:
            what = "folder" if name.endswith("/") else "payload file"
            out.append(
                Problem(
                    "profile-payload-file-required",
                    f"{what} {name} is required by profile {profile.label}"
                    + (" (with at least one file in it)" if name.endswith("/") else ""),
                    name,
                )
            )
    payload_allowed = profile.get_list("Payload-Files-Allowed")
    if payload_allowed is not None:
        for rel in sorted(payload):
            if not any(glob_match(p, rel) for p in payload_allowed):
                out.append(
                    Problem(
                        "profile-payload-file-not-allowed",
                        f"payload file {rel} matches no Payload-Files-Allowed pattern of "
                        f"profile {profile.label}",
                        rel,
                    )
                )
    return out


def _fetch_and_data_problems(profile: Profile, facts: BagFacts) -> list[Problem]:
    out: list[Problem] = []
    if facts.has_fetch and not profile.flag("Allow-Fetch.txt", True):
        out.append(
            Problem(
                "profile-fetch-not-allowed",
                f"profile {profile.label} does not allow fetch.txt (Allow-Fetch.txt: false)",
                "fetch.txt",
            )
        )
    if not facts.has_fetch and profile.flag("Fetch.txt-Required", False):
        out.append(
            Problem(
                "profile-fetch-required",
                f"profile {profile.label} requires fetch.txt (Fetch.txt-Required: true)",
                "fetch.txt",
            )
        )
    if profile.flag("Data-Empty", False):
        count = len(facts.payload_files)
        if count > 1 or (count == 1 and facts.payload_octets > 0):
            out.append(
                Problem(
                    "profile-data-not-empty",
                    f"profile {profile.label} requires an empty payload (Data-Empty: no files, "
                    f"or one empty file); data/ holds {count} file(s), "
                    f"{facts.payload_octets} bytes",
                    "data/",
                )
            )
    return out


def serialization_mime_types(serialization: str) -> frozenset[str]:
    key = _SERIALIZATION_ALIASES.get(serialization.lower(), serialization.lower())
    return SERIALIZATION_MIME_TYPES.get(key, frozenset())


def _container_problems(profile: Profile, facts: BagFacts) -> list[Problem]:
    out: list[Problem] = []
    accepted = profile.get_list("Accept-BagIt-Version") or ()
    if facts.bagit_version not in accepted:
        out.append(
            Problem(
                "profile-bagit-version-not-accepted",
                f"BagIt-Version {facts.bagit_version!r} is not accepted by profile "
                f"{profile.label} (Accept-BagIt-Version: {', '.join(accepted)})",
                "bagit.txt",
            )
        )
    mode = profile.serialization
    if mode == "required" and facts.serialization is None:
        out.append(
            Problem(
                "profile-serialization-required",
                f"profile {profile.label} requires a serialised bag (an archive), not a folder",
            )
        )
    elif mode == "forbidden" and facts.serialization is not None:
        out.append(
            Problem(
                "profile-serialization-forbidden",
                f"profile {profile.label} forbids serialised bags; this one is a "
                f"{facts.serialization} archive",
            )
        )
    elif facts.serialization is not None:
        types = profile.get_list("Accept-Serialization")
        if types is not None and not serialization_mime_types(facts.serialization) & set(types):
            out.append(
                Problem(
                    "profile-serialization-not-accepted",
                    f"a {facts.serialization} archive is not accepted by profile {profile.label} "
                    f"(Accept-Serialization: {', '.join(types) or 'none'})",
                )
            )
    return out


def check_bag(profile: Profile, facts: BagFacts) -> list[Problem]:
    """Every problem of a bag against a profile; an empty list means the bag conforms."""
    problems = _container_problems(profile, facts)
    problems += _identifier_problems(profile, facts)
    for rule in profile.tag_rules():
        if rule.label.lower() == PROFILE_ID_TAG.lower():
            continue
        problems += tag_problems(rule, facts, profile, where="bag-info.txt", hint="")
    problems += _manifest_problems(profile, facts, tag=False)
    problems += _manifest_problems(profile, facts, tag=True)
    problems += _file_problems(profile, facts)
    problems += _fetch_and_data_problems(profile, facts)
    return problems
