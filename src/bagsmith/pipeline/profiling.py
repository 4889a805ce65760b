"""Use cases around BagIt profiles: list and show them, check a bag, check tags before bagging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bagit.facts import read_bag_facts
from ..bagit.profile_check import BagFacts, check_bag, occurrences, tag_problems
from ..bagit.profiles import (
    PROFILE_ID_TAG,
    Profile,
    bundled_profiles,
    cache_dir,
    load_profile,
    load_profile_file,
)
from ..errors import BagError, ProfileError
from ..problems import Problem, Report, Severity

# The CLI imports only the pipeline (docs/architecture.md, layering): Profile is re-exported for it.
__all__ = [
    "AUTOMATIC_TAGS",
    "InfoCheck",
    "Profile",
    "ProfileDetails",
    "ProfileListing",
    "check_bag_against_profile",
    "info_hint",
    "list_profiles",
    "required_info_problems",
    "show_profile",
]

#: Tags bagsmith's bag writer adds itself once the payload is known.
AUTOMATIC_TAGS = ("Bagging-Date", "Payload-Oxum", "Bag-Size", "Bag-Software-Agent")


def info_hint(_label: str) -> str:
    """How to give a bag-info tag a profile asks for (the end of its problem's message): a
    use case that gets tags elsewhere passes its own to :func:`required_info_problems`."""
    return "; give it as a bag-info tag (LABEL=VALUE) or in the sidecar metadata"


@dataclass(frozen=True)
class ProfileListing:
    """The profiles bagsmith can use: bundled ones, then those in the local cache."""

    profiles: tuple[Profile, ...]
    cache: Path
    problems: tuple[ProfileError, ...] = field(default=())  # cached files that are not valid

    def to_dict(self) -> dict[str, Any]:
        return {
            "cache": str(self.cache),
            "profiles": [p.to_dict() for p in self.profiles],
            "invalid": [e.to_dict() for e in self.problems],
        }


def list_profiles() -> ProfileListing:
    """Bundled and cached profiles; an invalid cached file is listed as a problem, not fatal."""
    found = list(bundled_profiles())
    problems: list[ProfileError] = []
    cache = cache_dir()
    files = sorted(p for p in cache.glob("*.json") if p.is_file()) if cache.is_dir() else []
    for path in files:
        try:
            found.append(load_profile_file(path, origin="cache"))
        except ProfileError as exc:
            problems.append(exc)
    return ProfileListing(tuple(found), cache, tuple(problems))


@dataclass(frozen=True)
class ProfileDetails:
    profile: Profile

    def to_dict(self) -> dict[str, Any]:
        return {**self.profile.to_dict(), "document": dict(self.profile.document)}


def show_profile(ref: str) -> ProfileDetails:
    """One profile by name, path or identifier, with its full document."""
    return ProfileDetails(load_profile(ref))


def _resolve(profile: Profile | str | Path) -> Profile:
    return profile if isinstance(profile, Profile) else load_profile(profile)


def check_bag_against_profile(
    bag: str | Path,
    profile: Profile | str | Path,
    *,
    facts: BagFacts | None = None,
) -> Report:
    """Check a bag folder (or facts a bag reader already gathered) against a profile."""
    resolved = _resolve(profile)
    if facts is None:
        path = Path(bag)
        if not path.exists():
            raise BagError("the bag does not exist", path=path)
        if not path.is_dir():
            raise BagError(
                "only bag folders can be read here; a serialised bag is checked against a "
                "profile when it is validated with {profile}",
                path=path,
            )
        facts = read_bag_facts(path)
    report = Report(subject=str(bag))
    report.extend(check_bag(resolved, facts))
    return report


# --- before writing a bag -------------------------------------------------------------------


@dataclass(frozen=True)
class InfoCheck:
    """Problems of the bag-info tags a bag would get, and the tags the profile fills in."""

    problems: tuple[Problem, ...]
    defaults: tuple[tuple[str, str], ...]

    @property
    def ok(self) -> bool:
        return not any(p.level is Severity.ERROR for p in self.problems)


def _defaults(profile: Profile, info: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    defaults: list[tuple[str, str]] = []
    if not occurrences(info, PROFILE_ID_TAG):
        defaults.append((PROFILE_ID_TAG, profile.identifier))
    for rule in profile.tag_rules():
        if rule.label.lower() == PROFILE_ID_TAG.lower() or occurrences(info, rule.label):
            continue
        if rule.default is not None:
            defaults.append((rule.label, rule.default))
        elif rule.required and len(rule.values) == 1:
            defaults.append((rule.label, rule.values[0]))
    return defaults


def required_info_problems(
    profile: Profile | str | Path,
    info_tags: Sequence[tuple[str, str]],
    *,
    automatic: Sequence[str] = AUTOMATIC_TAGS,
    hint: Callable[[str], str] = info_hint,
) -> InfoCheck:
    """Before writing a bag: every missing required tag or disallowed value, and defaults.

    ``InfoCheck.problems`` lists them all at once, each naming the tag, the profile and how
    to give it. ``InfoCheck.defaults`` are the tags to add: the profile's identifier as
    BagIt-Profile-Identifier, a tag's ``default`` (bagsmith extension), and the only value of
    a required tag that allows exactly one. ``automatic`` are the tags the bag writer adds
    itself (Bagging-Date, Payload-Oxum …): their absence is not a problem. ``hint`` says, for
    a tag's label, how to give it (the end of its problem's message).
    """
    resolved = _resolve(profile)
    defaults = _defaults(resolved, info_tags)
    facts = BagFacts(bagit_version="", info=tuple(info_tags) + tuple(defaults))
    skip = {label.lower() for label in automatic}
    problems: list[Problem] = []
    for rule in resolved.tag_rules():
        if rule.label.lower() == PROFILE_ID_TAG.lower():
            continue
        for problem in tag_problems(rule, facts, resolved, where=None, hint=hint(rule.label)):
            if rule.label.lower() in skip and problem.code.endswith("missing"):
                continue
            if problem.code == "profile-tag-not-repeatable":
                problem = Problem(
                    problem.code,
                    problem.message + "; give it only once (as a bag-info tag or in the sidecar)",
                )
            problems.append(problem)
    return InfoCheck(tuple(problems), tuple(defaults))
