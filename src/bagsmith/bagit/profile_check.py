"""Check a bag's facts against a BagIt profile; check bag-info tags before a bag is written.

The checks take :class:`~bagsmith.bagit.facts.BagFacts` (what the validator, or
:func:`~bagsmith.bagit.facts.read_bag_facts`, learnt about a bag), not a bag, so that a folder
and a zip or tar read by streaming are checked alike, from the validator's single pass.
Every rule of the profile is checked and every failure is reported as a
:class:`~bagsmith.problems.Problem`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..problems import Problem
from .facts import BagFacts
from .manifest import split_manifest_name
from .profiles import PROFILE_ID_TAG, Profile, TagRule, glob_match

__all__ = ["BagFacts", "check_bag", "occurrences", "tag_problems"]

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
_BAGIT_FILES = ("bagit.txt", "bag-info.txt", "package-info.txt", "fetch.txt")


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
                facts.bag_info_name,
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
            facts.bag_info_name,
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
        problems += tag_problems(rule, facts, profile, where=facts.bag_info_name, hint="")
    problems += _manifest_problems(profile, facts, tag=False)
    problems += _manifest_problems(profile, facts, tag=True)
    problems += _file_problems(profile, facts)
    problems += _fetch_and_data_problems(profile, facts)
    return problems
