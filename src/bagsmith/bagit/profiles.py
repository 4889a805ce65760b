"""BagIt profiles (BagIt Profiles Specification 1.1.0–1.4.0): find, load and check documents.

A profile is found by the NAME of a bundled profile (``profiles/NAME.json``), by a PATH, or by
its identifier (usually a URL) in the bundled profiles or the local profile cache (a folder of
``*.json`` files: ``$BAGSMITH_PROFILE_DIR``, else the per-user data folder). Profiles are never
downloaded here. Every document is checked against ``schemas/bagit-profile.schema.json`` and
then against the cross-field rules the schema cannot express; all problems are reported at
once, each naming the file and the JSON path.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import limits
from ..errors import ProfileError
from ..resources import json_schema, profiles_dir
from .tagfiles import PROFILE_ID_TAG as PROFILE_ID_TAG

if TYPE_CHECKING:  # jsonschema is imported when a profile document is checked, not before:
    # `bagsmith validate` imports this module and must start fast (docs/benchmarks.md)
    from jsonschema.exceptions import ValidationError

SCHEMA_NAME = "bagit-profile.schema.json"
SPEC_VERSIONS = ("1.1.0", "1.2.0", "1.3.0", "1.4.0")
DEFAULT_SPEC_VERSION = "1.1.0"
#: The specification version that introduced each key (keys not listed exist since 1.1.0).
INTRODUCED_IN: dict[str, str] = {
    "Tag-Files-Allowed": "1.2.0",
    "Manifests-Allowed": "1.3.0",
    "Tag-Manifests-Allowed": "1.3.0",
    "Fetch.txt-Required": "1.4.0",
    "Data-Empty": "1.4.0",
    "Payload-Files-Required": "1.4.0",
    "Payload-Files-Allowed": "1.4.0",
}
ENV_PROFILE_DIR = "BAGSMITH_PROFILE_DIR"
#: bagsmith's extension of a profile lives beside it, in ``extensions/NAME.json``, so that the
#: profile document itself holds only what the BagIt Profiles specification defines
EXTENSION_FOLDER = "extensions"
EXTENSION_KEY = "Bagsmith-Profile-Extension"
_EXTENSION_TAG_KEYS = {"recommended": bool, "default": str, "help": str}
_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class TagRule:
    """What a profile says about one bag-info.txt tag."""

    label: str
    required: bool = False
    values: tuple[str, ...] = ()
    repeatable: bool = True
    description: str | None = None
    recommended: bool = False
    default: str | None = None


@dataclass(frozen=True)
class Profile:
    """A loaded, checked BagIt profile."""

    name: str  # bundled/cache file stem, or the file stem of a profile given by path
    path: Path
    origin: str  # "bundled" | "cache" | "path"
    document: Mapping[str, Any]
    warnings: tuple[str, ...] = ()
    #: bagsmith's extension (``extensions/NAME.json`` beside the profile), or empty
    extension: Mapping[str, Any] = field(default_factory=dict)

    @property
    def info(self) -> Mapping[str, str]:
        info: Mapping[str, str] = self.document["BagIt-Profile-Info"]
        return info

    @property
    def identifier(self) -> str:
        return self.info[PROFILE_ID_TAG]

    @property
    def accepted_identifiers(self) -> tuple[str, ...]:
        """The identifier, and that of the published profile this one restates (if any)."""
        copy_of = self.info.get("Bagsmith-Copy-Of")
        return (self.identifier, copy_of) if copy_of else (self.identifier,)

    @property
    def version(self) -> str:
        return self.info["Version"]

    @property
    def spec_version(self) -> str:
        """BagIt-Profile-Version normalised to X.Y.Z (1.1.0 when the profile does not say)."""
        raw = self.info.get("BagIt-Profile-Version", DEFAULT_SPEC_VERSION)
        return raw if raw.count(".") == 2 else f"{raw}.0"

    @property
    def description(self) -> str:
        return self.info["External-Description"]

    @property
    def organization(self) -> str:
        return self.info["Source-Organization"]

    @property
    def label(self) -> str:
        """How messages name the profile: its name and identifier."""
        return f"{self.name} ({self.identifier})"

    def tag_rules(self) -> tuple[TagRule, ...]:
        """The Bag-Info rules, with what the extension adds (recommended, default, help)."""
        rules = []
        added: Mapping[str, Mapping[str, Any]] = self.extension.get("Bag-Info", {})
        merged = {
            k: {**v, **added.get(k, {})} for k, v in self.document.get("Bag-Info", {}).items()
        }
        for label, spec in added.items():
            merged.setdefault(label, dict(spec))
        for label, spec in merged.items():
            rules.append(
                TagRule(
                    label=label,
                    required=bool(spec.get("required", False)),
                    values=tuple(spec.get("values", ())),
                    repeatable=bool(spec.get("repeatable", True)),
                    description=spec.get("description") or spec.get("help"),
                    recommended=bool(spec.get("recommended", False)),
                    default=spec.get("default"),
                )
            )
        return tuple(rules)

    def get_list(self, key: str) -> tuple[str, ...] | None:
        """A LIST field, or None when the profile does not have it."""
        value = self.document.get(key)
        return None if value is None else tuple(value)

    def flag(self, key: str, default: bool) -> bool:
        return bool(self.document.get(key, default))

    @property
    def serialization(self) -> str:
        return str(self.document.get("Serialization", "optional"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "path": str(self.path),
            "identifier": self.identifier,
            "version": self.version,
            "spec_version": self.spec_version,
            "source_organization": self.organization,
            "description": self.description,
            "warnings": list(self.warnings),
        }


# --- path patterns ---------------------------------------------------------------------------


def _glob_regex(pattern: str) -> re.Pattern[str]:
    # Only '*' is special (zero or more characters, '/' included); everything else is literal.
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    """Does a Tag-/Payload-Files pattern match a bag-relative path (case-sensitive)?"""
    return _glob_regex(pattern).fullmatch(path) is not None


def glob_reaches_under(pattern: str, folder: str) -> bool:
    """Could the pattern match some path inside ``folder`` (a prefix ending with '/')?

    True when a leading piece ``pattern[:k]`` matches the folder exactly and something
    non-empty can still follow: more pattern, or a '*' that keeps matching.
    """
    for k in range(len(pattern) + 1):
        head = pattern[:k]
        if glob_match(head, folder) and (k < len(pattern) or head.endswith("*")):
            return True
    return False


# --- locating ------------------------------------------------------------------------------


def cache_dir() -> Path:
    """The local profile cache: ``$BAGSMITH_PROFILE_DIR`` or the per-user data folder."""
    override = os.environ.get(ENV_PROFILE_DIR)
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "bagsmith" / "profiles"


def _json_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if p.is_file())


def bundled_profiles() -> list[Profile]:
    """Every profile shipped in bagsmith's ``profiles/`` folder (checked)."""
    return [load_profile_file(p, origin="bundled") for p in _json_files(profiles_dir())]


def _identifier_of(path: Path, key: str) -> str | None:
    """One identifier field of a profile file, read without checking the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    info = data.get("BagIt-Profile-Info") if isinstance(data, dict) else None
    value = info.get(key) if isinstance(info, dict) else None
    return value if isinstance(value, str) else None


def load_profile(ref: str | Path) -> Profile:
    """Find and load a profile by bundled NAME, by PATH, or by identifier/URL (bundled or cached).

    Never touches the network: an identifier that is in neither place is an error that says
    where to put the profile file.
    """
    text = str(ref)
    bundled = profiles_dir()
    candidate = Path(text).expanduser()
    looks_like_path = text.endswith(".json") or os.sep in text or "/" in text
    if "://" not in text and (candidate.is_file() or (looks_like_path and ":" not in text)):
        if not candidate.is_file():
            raise ProfileError("profile file not found", path=candidate)
        return load_profile_file(candidate, origin="path")
    named = bundled / f"{text}.json"
    if _SIMPLE_NAME.match(text) and named.is_file():
        return load_profile_file(named, origin="bundled")
    cache = cache_dir()
    if _SIMPLE_NAME.match(text) and (cache / f"{text}.json").is_file():
        return load_profile_file(cache / f"{text}.json", origin="cache")
    # A profile's own identifier first (a saved published profile wins over a restatement).
    for key in (PROFILE_ID_TAG, "Bagsmith-Copy-Of"):
        for origin, folder in (("cache", cache), ("bundled", bundled)):
            for path in _json_files(folder):
                if _identifier_of(path, key) == text:
                    return load_profile_file(path, origin=origin)
    names = ", ".join(p.stem for p in _json_files(bundled)) or "(none)"
    raise ProfileError(
        f"no profile named or identified {text!r}: not a bundled profile ({names}), not a "
        f"file, and not in the local profile cache {cache}",
        hint=f"bagsmith never downloads profiles while validating; save the profile JSON in {cache} "
        f"(or set {ENV_PROFILE_DIR}), or pass its path",
    )


_SIMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# --- loading and checking -------------------------------------------------------------------


def load_profile_file(path: Path, *, origin: str = "path") -> Profile:
    """Read one profile file and check it; ProfileError lists every problem with its JSON path."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ProfileError("profile file not found", path=path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read the profile: {exc}", path=path) from exc
    try:
        document = limits.load_json(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno
        ) from exc
    except limits.TooDeep as exc:
        raise ProfileError(f"the profile is {exc}", path=path, hint=limits.hint("depth")) from None
    issues = _checked(text, document)
    if issues:
        first = issues[0][0]
        listing = "\n".join(f"  {where}: {message}" for where, message in issues)
        raise ProfileError(
            f"not a valid BagIt profile ({len(issues)} problem{'s' if len(issues) > 1 else ''}):\n"
            f"{listing}",
            path=path,
            field=first,
            hint="see docs/profiles.md and schemas/bagit-profile.schema.json",
        )
    return Profile(
        name=path.stem,
        path=path,
        origin=origin,
        document=document,
        warnings=tuple(_warnings(document)),
        extension=_load_extension(path, document),
    )


def _load_extension(path: Path, document: Mapping[str, Any]) -> dict[str, Any]:
    """bagsmith's extension of the profile at ``path``: ``extensions/NAME.json`` beside it.

    It holds what the BagIt Profiles specification does not define — ``recommended``,
    ``default`` and ``help`` for Bag-Info tags — so the profile document stays portable
    (bagit-profile, bagit-utils). ``{"Bagsmith-Profile-Extension": "1", "Extends":
    IDENTIFIER, "Bag-Info": {LABEL: {"recommended": true, ...}}}``.
    """
    ext_path = path.parent / EXTENSION_FOLDER / path.name
    if not ext_path.is_file():
        return {}
    try:
        data = json.loads(ext_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read the profile extension: {exc}", path=ext_path) from exc
    except json.JSONDecodeError as exc:
        raise ProfileError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", path=ext_path, line=exc.lineno
        ) from exc
    problems: list[tuple[str, str]] = []
    if not isinstance(data, dict) or data.get(EXTENSION_KEY) != "1":
        problems.append(("$", f'must be an object with "{EXTENSION_KEY}": "1"'))
        data = {}
    identifier = document["BagIt-Profile-Info"][PROFILE_ID_TAG]
    if data and data.get("Extends") != identifier:
        problems.append(("$.Extends", f"must be the profile's identifier {identifier!r}"))
    unknown = sorted(set(data) - {EXTENSION_KEY, "Extends", "Bag-Info"})
    if unknown:
        problems.append(("$", f"unknown key(s) {', '.join(unknown)}"))
    tags = data.get("Bag-Info", {})
    if not isinstance(tags, dict):
        problems.append(("$.Bag-Info", "must be an object"))
        tags = {}
    for label, spec in tags.items():
        where = json_path(["Bag-Info", label])
        if not isinstance(spec, dict):
            problems.append((where, "must be an object"))
            continue
        for key, value in spec.items():
            kind = _EXTENSION_TAG_KEYS.get(key)
            if kind is None:
                problems.append(
                    (f"{where}.{key}", "not an extension key (recommended, default, help)")
                )
            elif not isinstance(value, kind):
                problems.append((f"{where}.{key}", f"must be a {kind.__name__}"))
        values = document.get("Bag-Info", {}).get(label, {}).get("values")
        default = spec.get("default")
        if default is not None and values and default not in values:
            problems.append((f"{where}.default", f"{default!r} is not one of the profile's values"))
    if problems:
        listing = "\n".join(f"  {where}: {message}" for where, message in problems)
        raise ProfileError(
            f"not a valid bagsmith profile extension:\n{listing}",
            path=ext_path,
            field=problems[0][0],
            hint="see docs/profiles.md",
        )
    return data


def json_path(parts: Iterator[Any] | list[Any] | tuple[Any, ...]) -> str:
    """``['Bag-Info', 'Title', 'values', 0]`` → ``$.Bag-Info.Title.values[0]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SIMPLE_KEY.match(str(part)):
            out += f".{part}"
        else:
            out += "[" + json.dumps(str(part), ensure_ascii=False) + "]"
    return out


#: :func:`check_document`'s findings by the profile's text (a pure function of it): `batch`
#: loads the same profile for every article, and the schema check is most of a load (~2 ms)
_CHECKED: dict[str, tuple[tuple[str, str], ...]] = {}
_CHECKED_MAX = 16


def _checked(text: str, document: Any) -> list[tuple[str, str]]:
    """:func:`check_document` of ``document``, parsed from ``text``, once per text."""
    found = _CHECKED.get(text)
    if found is None:
        found = tuple(check_document(document))
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[text] = found
    return list(found)


def check_document(document: Any) -> list[tuple[str, str]]:
    """Every problem of a profile document as (JSON path, message); empty when it is valid."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json_schema(SCHEMA_NAME))
    issues: list[tuple[str, str]] = []
    for error in sorted(validator.iter_errors(document), key=_error_key):
        issues.append((json_path(list(error.absolute_path)), _message(error, document)))
    if issues:
        return issues
    return _cross_field_issues(document)


def _error_key(error: ValidationError) -> tuple[str, str]:
    return (json_path(list(error.absolute_path)), error.message)


def _declared_version(document: Any) -> str:
    info = document.get("BagIt-Profile-Info") if isinstance(document, dict) else None
    raw = info.get("BagIt-Profile-Version") if isinstance(info, dict) else None
    if not isinstance(raw, str):
        return DEFAULT_SPEC_VERSION
    return raw if raw.count(".") == 2 else f"{raw}.0"


def _message(error: ValidationError, document: Any) -> str:
    path = list(error.absolute_path)
    if error.validator == "not" and error.validator_value == {} and str(path[0]) in INTRODUCED_IN:
        key = str(path[0])
        return (
            f"{key} was added in BagIt Profiles {INTRODUCED_IN[key]}, but this profile declares "
            f"BagIt-Profile-Version {_declared_version(document)} (set BagIt-Profile-Version to "
            f"{INTRODUCED_IN[key]} or later, or remove {key})"
        )
    if error.validator == "required" and path == [] and "Accept-Serialization" in error.message:
        return "Serialization is 'required' or 'optional', so Accept-Serialization must list MIME types"
    if error.validator == "minItems" and path and path[0] == "Accept-Serialization":
        return "Serialization is 'required' or 'optional', so Accept-Serialization must list MIME types"
    if error.validator == "pattern" and len(path) == 2 and path[1] == "BagIt-Profile-Version":
        return (
            f"BagIt-Profile-Version {error.instance!r} is not one bagsmith knows "
            f"({', '.join(SPEC_VERSIONS)})"
        )
    if error.validator in ("not", "pattern") and path and str(path[0]) in _PATH_RULES:
        return f"{error.instance!r}: {_PATH_RULES[str(path[0])]}"
    if error.validator == "additionalProperties" and path == []:
        return f"{error.message} (not a key of BagIt Profiles 1.1–1.4; check its spelling)"
    return str(error.message)


_PATH_RULES = {
    "Tag-Files-Required": "a tag file is named by its path relative to the bag, outside data/, "
    "without '*', '..' or a leading '/'",
    "Tag-Files-Allowed": "a tag file pattern is relative to the bag, outside data/, without "
    "'..' or a leading '/'",
    "Payload-Files-Required": "a payload path starts with data/ and has no '*' or '..'",
    "Payload-Files-Allowed": "a payload pattern starts with data/ (or '*') and has no '..'",
}


def _cross_field_issues(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    for required_key, allowed_key in (
        ("Manifests-Required", "Manifests-Allowed"),
        ("Tag-Manifests-Required", "Tag-Manifests-Allowed"),
    ):
        allowed = document.get(allowed_key)
        if allowed is None:
            continue
        for index, alg in enumerate(document.get(required_key, [])):
            if alg not in allowed:
                issues.append(
                    (
                        json_path([required_key, index]),
                        f"{alg!r} is required but {allowed_key} does not list it",
                    )
                )
    tag_allowed = document.get("Tag-Files-Allowed")
    if tag_allowed is not None:
        for index, name in enumerate(document.get("Tag-Files-Required", [])):
            if not any(glob_match(p, name) for p in tag_allowed):
                issues.append(
                    (
                        json_path(["Tag-Files-Required", index]),
                        f"{name!r} is required but no Tag-Files-Allowed pattern covers it",
                    )
                )
    payload_allowed = document.get("Payload-Files-Allowed")
    if payload_allowed is not None:
        for index, name in enumerate(document.get("Payload-Files-Required", [])):
            covered = (
                any(glob_reaches_under(p, name) for p in payload_allowed)
                if name.endswith("/")
                else any(glob_match(p, name) for p in payload_allowed)
            )
            if not covered:
                issues.append(
                    (
                        json_path(["Payload-Files-Required", index]),
                        f"{name!r} is required but no Payload-Files-Allowed pattern covers it",
                    )
                )
    if document.get("Fetch.txt-Required") is True and document.get("Allow-Fetch.txt") is False:
        issues.append(
            (
                '$["Fetch.txt-Required"]',
                "fetch.txt cannot be required when Allow-Fetch.txt is false",
            )
        )
    for label, spec in document.get("Bag-Info", {}).items():
        default, values = spec.get("default"), spec.get("values") or []
        if default is not None and values and default not in values:
            issues.append(
                (json_path(["Bag-Info", label, "default"]), f"{default!r} is not one of its values")
            )
    return issues


def _warnings(document: Mapping[str, Any]) -> Iterator[str]:
    for label in document.get("Bag-Info", {}):
        if label.lower() == PROFILE_ID_TAG.lower():
            yield (
                f"{json_path(['Bag-Info', label])}: {PROFILE_ID_TAG} is always required and "
                "SHOULD NOT be listed under Bag-Info"
            )
    if "BagIt-Profile-Version" not in document.get("BagIt-Profile-Info", {}):
        yield "no BagIt-Profile-Version: the profile is read as BagIt Profiles 1.1.0"
