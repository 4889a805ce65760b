"""Use case: validate one or more bags (folders or serialised) and build the report.

The CLI command ``bagsmith validate`` calls :func:`validate_bags`; the JSON form of the result
follows ``schemas/validation-report.schema.json``. On top of the BagIt checks of
:func:`bagsmith.bagit.validate.validate_bag`, this module composes, from the facts the
validator gathers in its one pass over the bag:

* **a BagIt profile**: the one given (``profile=``), else each profile bag-info.txt names in
  ``BagIt-Profile-Identifier`` that is available locally (bundled or cached; never fetched);
* **METS and Dublin Core** carried by the bag (:data:`METS_PLACES`, :data:`DC_PATH`): XSD
  against the schema cache plus METS's semantic checks against the bag's own files and
  manifest digests (full mode only).

Profile and metadata problems go into the bag's report with the BagIt ones. See
docs/validation.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..bagit.reader import ArchiveReader, BagReader, FolderReader
from ..bagit.tagfiles import PROFILE_ID_TAG
from ..bagit.validate import BagValidation, Mode, validate_bag
from ..errors import InputError, SchemaCacheError
from ..problems import Problem, Severity
from . import activity
from .progress import ProgressFactory, step, tell_total

if TYPE_CHECKING:  # profiles are imported when one is checked: `validate` must start fast
    from ..bagit.facts import BagFacts
    from ..bagit.profiles import Profile

# BagValidation and Mode are re-exported for the CLI, which imports only the pipeline
# (docs/architecture.md, layering).
__all__ = [
    "DC_PATH",
    "METS_NAMES",
    "METS_PLACES",
    "SCHEMA_ID",
    "BagValidation",
    "Mode",
    "UnreadableBag",
    "ValidationRun",
    "report_document",
    "validate_bags",
    "validate_one",
]

#: The report's ``$schema``: the ``$id`` of schemas/validation-report.schema.json (shipped in the
#: package; a name, not an address to fetch).
SCHEMA_ID = "urn:bagsmith:schema:validation-report"
#: Where a bag's METS is looked for: ``mets.xml`` or ``METS.xml`` in these folders
#: (``data/metadata/mets.xml`` is where ``bagsmith package`` writes it).
METS_PLACES = ("data/metadata/", "data/", "")
METS_NAMES = ("mets.xml", "METS.xml")
DC_PATH = "data/metadata/dc.xml"


class UnreadableBag:
    """A BAG argument that could not be read at all (missing path, permission denied)."""

    __slots__ = ("error", "path")

    def __init__(self, path: str, error: InputError) -> None:
        self.path = path
        self.error = error

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "readable": False,
            "valid": False,
            "error": {"code": self.error.code, "message": self.error.message},
        }


class ValidationRun:
    """The bags of one run, validated or unreadable."""

    __slots__ = ("bags", "mode", "unreadable")

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.bags: list[BagValidation] = []
        self.unreadable: list[UnreadableBag] = []

    @property
    def valid(self) -> bool:
        return not self.unreadable and all(b.valid for b in self.bags)

    @property
    def status(self) -> str:
        """``valid`` (every bag), ``invalid`` (some bag), ``unreadable`` (some path)."""
        if self.unreadable:
            return "unreadable"
        return "valid" if self.valid else "invalid"

    def to_dict(self) -> dict[str, Any]:
        bags = [b.to_dict() | {"readable": True} for b in self.bags]
        return report_document(self.mode, bags + [u.to_dict() for u in self.unreadable])


def report_document(
    mode: Mode, bags: Sequence[dict[str, Any]], collection: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The validation report (schemas/validation-report.schema.json) of these bag entries,
    the same whether the bags were validated one after the other or side by side
    (``collection``: how they were spread, for a collection run). The CLI adds the run's
    ``exit_code`` (cli/exits.py)."""
    readable = all(b["readable"] for b in bags)
    valid = readable and all(b["valid"] for b in bags)
    doc: dict[str, Any] = {
        "$schema": SCHEMA_ID,
        "tool": {"name": "bagsmith", "version": __version__},
        "mode": mode.value,
        "valid": valid,
        "bags": list(bags),
    }
    if collection is not None:
        doc["collection"] = collection
    return doc


def validate_bags(
    paths: Iterable[str | Path],
    *,
    mode: Mode = Mode.FULL,
    processes: int | None = None,
    progress: ProgressFactory | None = None,
    profile: Profile | str | Path | None = None,
    declared_profile: bool = True,
    metadata: bool = True,
    schema_dir: Path | None = None,
    allow_holey: bool = False,
) -> ValidationRun:
    """Validate every bag; unreadable paths are collected, not raised, so all are reported.

    ``profile`` (a :class:`Profile`, or a bundled name, path or identifier loaded locally)
    is checked for every bag; it is loaded first, so a profile that cannot be found raises
    :class:`~bagsmith.errors.ProfileError` before any bag is read. Without it, and when
    ``declared_profile`` is true, each bag is checked against the profiles its bag-info.txt
    names, when they are available locally. ``metadata`` runs the METS/DC checks (full mode).
    ``allow_holey`` accepts files still to be fetched (fetch.txt) as info, not errors.
    """
    checks = _Checks(
        mode, processes, _resolve(profile), declared_profile, metadata, schema_dir, allow_holey
    )
    run = ValidationRun(mode)
    for path in paths:
        try:
            with step(progress, f"validating {path}", None) as update:
                run.bags.append(_validate(path, checks, update))
        except InputError as exc:
            run.unreadable.append(UnreadableBag(str(path), exc))
            activity.note("could not read %s: %s", path, exc.message)
    check_groups(run.bags)
    for bag in run.bags:
        record(bag)
    return run


_BAG_COUNT = r"^\s*(\d+)\s+of\s+(\d+|\?)\s*$"  # (compiled when first used, by re)


def check_groups(bags: Sequence[BagValidation]) -> None:
    """Bags that share a Bag-Group-Identifier (a bag split by ``bag --max-size``, or any
    multi-bag group): validated together, they must be the whole group — every number of
    ``Bag-Count: k of N`` once, the same N everywhere. Problems go into each member's report.
    A lone member is only told that the group was not checked."""
    groups: dict[str, list[tuple[BagValidation, int, str, int]]] = {}
    for bag in bags:
        if bag.group is None:
            continue
        ident, count, line = bag.group
        match = re.match(_BAG_COUNT, count, re.IGNORECASE)
        if (
            match is None
            or match.group(1) == "0"
            or (match.group(2) != "?" and int(match.group(1)) > int(match.group(2)))
        ):
            bag.report.add(
                "bag-group-count-invalid",
                f"Bag-Count {count!r} is not 'k of N' with 1 <= k <= N",
                "bag-info.txt",
                line,
            )
            continue
        groups.setdefault(ident, []).append((bag, int(match.group(1)), match.group(2), line))
    for ident, members in groups.items():
        totals = {total for _b, _k, total, _l in members}
        numbers = [k for _b, k, _t, _l in members]
        if len(members) == 1:
            bag, k, total, line = members[0]
            if total != "1":
                bag.report.add(
                    "bag-group-partial",
                    f"this is bag {k} of {total} of group {ident!r}; validate every bag of the "
                    "group together to check that the group is whole",
                    "bag-info.txt",
                    line,
                )
            continue
        problem: tuple[str, str] | None = None
        if len(totals) > 1:
            problem = (
                "bag-group-count-invalid",
                f"the bags of group {ident!r} disagree on their number: "
                + ", ".join(sorted(f"of {t}" for t in totals)),
            )
        elif len(set(numbers)) != len(numbers):
            repeated = sorted({k for k in numbers if numbers.count(k) > 1})
            problem = (
                "bag-group-count-invalid",
                f"group {ident!r} has more than one bag numbered "
                + ", ".join(str(k) for k in repeated),
            )
        elif totals != {"?"}:
            expected = int(next(iter(totals)))
            missing = sorted(set(range(1, expected + 1)) - set(numbers))
            if missing:
                problem = (
                    "bag-group-incomplete",
                    f"group {ident!r} has {expected} bags; bag(s) "
                    + ", ".join(str(k) for k in missing)
                    + " of them were not among the bags validated",
                )
        if problem is not None:
            for bag, _k, _t, line in members:
                bag.report.add(problem[0], problem[1], "bag-info.txt", line)


def record(bag: BagValidation) -> None:
    """The bag's verdict, each file checked and each problem, for the record (-v, --log-file)."""
    if not activity.enabled():
        return
    verdict = "valid" if bag.valid else "INVALID"
    activity.note(
        "validated %s (%s check): %s; %d files, %d bytes",
        bag.path,
        bag.mode.value,
        verdict,
        bag.payload_files,
        bag.payload_bytes,
    )
    activity.checked_files(bag.path, bag.mode.value, bag.report.problems)
    activity.problems(bag.path.rstrip("/"), bag.report)


def validate_one(
    path: str | Path,
    *,
    mode: Mode = Mode.FULL,
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    profile: Profile | str | Path | None = None,
    declared_profile: bool = True,
    metadata: bool = True,
    schema_dir: Path | None = None,
    allow_holey: bool = False,
    keep_facts: bool = False,
) -> BagValidation:
    """One bag, with the same checks as :func:`validate_bags` (InputError if unreadable).

    ``keep_facts`` keeps what the validator gathered in its pass (:class:`BagFacts` in
    ``result.facts``: bag-info, payload paths, the payload manifests' digests) for a caller
    that goes on with the bag, so that it need not read it again."""
    checks = _Checks(
        mode, processes, _resolve(profile), declared_profile, metadata, schema_dir, allow_holey
    )
    return _validate(path, checks, progress, keep_facts=keep_facts)


def _resolve(profile: Profile | str | Path | None) -> Profile | None:
    if profile is None:
        return None
    from ..bagit.profiles import Profile, load_profile

    if isinstance(profile, Profile):
        return profile
    return load_profile(profile)


class _LocalProfiles:
    """Bundled and cached profiles by identifier, loaded once per run (only if needed)."""

    def __init__(self) -> None:
        self._profiles: list[Profile] | None = None

    def find(self, identifier: str) -> Profile | None:
        """The profile with this identifier: a cached one first, then a bundled one; then one
        that restates it (``Bagsmith-Copy-Of``). Only identifiers are compared: a value in
        a bag never names a file to read."""
        if self._profiles is None:
            from .profiling import list_profiles

            self._profiles = list(list_profiles().profiles)
        ordered = sorted(self._profiles, key=lambda p: p.origin != "cache")
        for profile in ordered:
            if profile.identifier == identifier:
                return profile
        for profile in ordered:
            if identifier in profile.accepted_identifiers:
                return profile
        return None


# _Checks and _Plan (and ValidationRun, UnreadableBag) are plain classes, not dataclasses:
# creating a dataclass costs ~3 M instructions at import, on every `bagsmith validate`
# (docs/benchmarks.md, issue 16); nothing compares, copies or prints them.
class _Checks:
    """What a run checks beyond BagIt (the same for every bag of the run)."""

    __slots__ = (
        "allow_holey",
        "declared",
        "local",
        "metadata",
        "mode",
        "option",
        "processes",
        "schema_dir",
    )

    def __init__(
        self,
        mode: Mode,
        processes: int | None,
        option: Profile | None,  # --profile
        declared: bool,  # check the profiles bag-info.txt names
        metadata: bool,  # METS/DC checks (full mode)
        schema_dir: Path | None,
        allow_holey: bool = False,  # files still to fetch are info, not errors
    ) -> None:
        self.mode = mode
        self.processes = processes
        self.option = option
        self.declared = declared
        self.metadata = metadata
        self.schema_dir = schema_dir
        self.allow_holey = allow_holey
        self.local = _LocalProfiles()


class _Plan:
    """What to check on top of BagIt for one bag; decided once its bag-info.txt is read."""

    __slots__ = ("checks", "documents", "group", "keep", "missing", "on_total", "profiles")

    def __init__(
        self,
        checks: _Checks,
        *,
        on_total: Callable[[int], None] | None = None,
        keep: bool = False,
    ) -> None:
        self.checks = checks
        self.profiles: list[tuple[Profile, str]] = []  # (profile, source)
        self.missing: list[tuple[str, int]] = []  # not available: (identifier, line)
        self.documents: list[tuple[str, str]] = []  # (path, kind)
        #: Bag-Group-Identifier, Bag-Count, its line
        self.group: tuple[str, str, int] | None = None
        #: told the payload's size from Payload-Oxum, for a progress bar with a total
        self.on_total = on_total
        #: the facts are wanted whatever is checked (validate_one(keep_facts))
        self.keep = keep

    def __call__(
        self, info: Sequence[tuple[str, str, int]], is_file: Callable[[str], bool]
    ) -> bool:
        checks = self.checks
        labels = {label.lower(): (value, line) for label, value, line in reversed(info)}
        if "bag-group-identifier" in labels and "bag-count" in labels:
            count, line = labels["bag-count"]
            self.group = (labels["bag-group-identifier"][0].strip(), count, line)
        if self.on_total is not None:
            oxum = next((v for k, v, _ in info if k.lower() == "payload-oxum"), "")
            octets, dot, files = oxum.strip().partition(".")
            # (a hostile value of thousands of digits is the validator's to report, not ours)
            if dot and octets.isdigit() and files.isdigit() and len(octets) <= 30:
                self.on_total(int(octets))
        if checks.option is not None:
            self.profiles.append((checks.option, "option"))
        elif checks.declared:
            seen: set[str] = set()
            for label, value, line in info:
                if label.lower() != PROFILE_ID_TAG.lower() or value in seen:
                    continue
                seen.add(value)
                found = checks.local.find(value)
                if found is None:
                    self.missing.append((value, line))
                elif all(found.path != p.path for p, _ in self.profiles):
                    self.profiles.append((found, "declared"))
        for folder in METS_PLACES:
            for name in METS_NAMES:
                if is_file(folder + name):
                    self.documents.append((folder + name, "mets"))
        if is_file(DC_PATH):
            self.documents.append((DC_PATH, "dc"))
        full = checks.metadata and checks.mode is Mode.FULL
        return self.keep or bool(self.profiles) or (bool(self.documents) and full)


def _validate(
    path: str | Path,
    checks: _Checks,
    progress: Callable[[int, int], None] | None,
    *,
    keep_facts: bool = False,
) -> BagValidation:
    plan = _Plan(checks, on_total=lambda total: tell_total(progress, total), keep=keep_facts)
    result = validate_bag(
        path,
        mode=checks.mode,
        processes=checks.processes,
        progress=progress,
        facts=plan,
        allow_holey=checks.allow_holey,
    )
    if result.facts is not None:
        for profile, source in plan.profiles:
            _check_profile(result, result.facts, profile, source)
    for identifier, line in plan.missing:
        _not_available(result, identifier, line)
    if plan.documents:
        result.metadata = _check_metadata(
            result, plan.documents, checks.metadata, checks.schema_dir
        )
    result.group = plan.group
    # the facts (every payload path, every digest) and the reader are not kept: a run over
    # many bags would otherwise hold them all; the report has what they were used for
    result.reader = None
    if not keep_facts:
        result.facts = None
    return result


# --- profiles --------------------------------------------------------------------------------


def _check_profile(result: BagValidation, facts: BagFacts, profile: Profile, source: str) -> None:
    from ..bagit.profile_check import check_bag

    problems = check_bag(profile, facts)
    result.report.extend(problems)
    levels = [p.level for p in problems]
    result.profiles.append(
        {
            "identifier": profile.identifier,
            "source": source,
            "available": True,
            "name": profile.name,
            "origin": profile.origin,
            "conforms": Severity.ERROR not in levels,
            "errors": levels.count(Severity.ERROR),
            "warnings": levels.count(Severity.WARNING),
        }
    )


def _not_available(result: BagValidation, identifier: str, line: int) -> None:
    from ..bagit.profiles import cache_dir

    name = result.facts.bag_info_name if result.facts else "bag-info.txt"
    cache = cache_dir()
    result.report.add(
        "profile-not-available",
        f"{PROFILE_ID_TAG} names {identifier!r}, which is neither a bundled profile nor in the "
        f"local profile cache {cache}; the bag was not checked against it (bagsmith never "
        f"downloads profiles: save the profile JSON in {cache}, or name a profile file to "
        "check against)",
        name,
        line,
    )
    result.profiles.append(
        {
            "identifier": identifier,
            "source": "declared",
            "available": False,
            "name": None,
            "origin": None,
            "conforms": None,
            "errors": 0,
            "warnings": 0,
        }
    )


# --- METS and Dublin Core --------------------------------------------------------------------


def _check_metadata(
    result: BagValidation,
    documents: list[tuple[str, str]],
    enabled: bool,
    schema_dir: Path | None,
) -> dict[str, Any]:
    paths = [p for p, _ in documents]
    summary: dict[str, Any] = {
        "documents": paths,
        "checked": False,
        "schemas": False,
        "skipped": None,
    }
    if not enabled:
        summary["skipped"] = "METS/DC checks were turned off"
        return summary
    if result.mode is not Mode.FULL:
        summary["skipped"] = f"{result.mode.value} mode: METS/DC are checked in full mode only"
        return summary
    facts, reader = result.facts, result.reader
    if facts is None or reader is None:  # not a bag: nothing to compare the METS with
        summary["skipped"] = "the bag could not be read far enough to check its METS/DC"
        return summary
    # imported here, not at the top: lxml, jsonschema and the XML schema cache cost ~70 ms
    # that `bagsmith validate` of a plain bag must not pay (docs/benchmarks.md)
    from .. import xmlschemas
    from ..xmlschemas.cache import INSTALL_HINT

    try:
        xmlschemas.validator(schema_dir)
        schemas = True
    except SchemaCacheError as exc:
        schemas = False
        result.report.add(
            "metadata-schemas-unavailable",
            f"{', '.join(paths)} could not be checked against the official XML schemas "
            f"({exc.message}); only well-formedness and the METS cross-checks were run. "
            f"To check them fully, {exc.hint or INSTALL_HINT}",
            paths[0],
        )
    fetched = set(facts.fetch_paths)
    payload = set(facts.payload_files) | fetched
    bag_files = payload | set(facts.tag_files)
    for rel, kind in documents:
        result.report.extend(
            _check_document(
                reader, rel, kind, schemas, schema_dir, bag_files, payload - {rel}, facts
            )
        )
    summary.update(checked=True, schemas=schemas)
    return summary


def _check_document(
    reader: BagReader, rel: str, kind: str, schemas: bool, schema_dir: Path | None,
    bag_files: Collection[str], required: Collection[str], facts: BagFacts,
) -> list[Problem]:  # fmt: skip
    if rel not in bag_files:  # under a linked folder: the walk did not enter it, nor do we
        return []
    from .. import xmlschemas
    from ..metadata.checks import check_mets
    from .describing import check_metadata_file

    source = _source(reader, rel)
    if isinstance(source, Problem):
        return [source]
    sizes = _image_sizes(reader, required) if kind == "mets" else None
    formats = _format_problems(reader, required) if kind == "mets" else []
    if schemas:
        return formats + check_metadata_file(
            source, rel, kind=kind, bag_files=bag_files, required=required,
            digests=facts.manifest_digests, image_sizes=sizes, schema_dir=schema_dir,
        )  # fmt: skip
    parsed = xmlschemas.parse_untrusted(source, rel)
    problems = formats + list(parsed.problems)
    if parsed.tree is not None and kind == "mets":
        problems += check_mets(
            parsed.tree, rel, bag_files=bag_files, required=required,
            digests=facts.manifest_digests, image_sizes=sizes,
        )  # fmt: skip
    return problems


def _image_sizes(reader: BagReader, payload: Collection[str]) -> dict[str, tuple[int, int]] | None:
    """Width and height of the bag's image files, for the MIX cross-check (folder bags: the
    headers are read in place; archive members are not re-read for this)."""
    if not isinstance(reader, FolderReader):
        return None
    from ..ingest.dimensions import dimensions_of_images

    return dimensions_of_images(reader.root, sorted(payload))


def _format_problems(reader: BagReader, payload: Collection[str]) -> list[Problem]:
    """The bag's image files identified against PRONOM (fido): an image whose contents are of
    a format its extension does not name is reported (folder bags, as the MIX cross-check)."""
    if not isinstance(reader, FolderReader):
        return []
    from ..ingest.formats import identify_all
    from ..ingest.images import is_image_name

    images = [rel for rel in sorted(payload) if is_image_name(Path(rel))]
    _, problems = identify_all((rel, reader.root / rel, None) for rel in images)
    return problems


def _source(reader: BagReader, rel: str) -> Path | bytes | Problem:
    """The document as a path (a regular file in a bag folder: streamed) or as bytes (an
    archive member, read only when under the XML size limit)."""
    if isinstance(reader, FolderReader):
        return reader.root / rel
    if isinstance(reader, ArchiveReader):
        from ..xmlschemas.safeparse import DEFAULT_MAX_BYTES, too_large

        size = reader.archive.files.get(reader.prefix + rel, 0)
        if size > DEFAULT_MAX_BYTES:
            return too_large(rel, size, DEFAULT_MAX_BYTES)
    try:
        return reader.read_bytes(rel)
    except OSError as exc:
        return Problem("file-unreadable", f"cannot read the document: {exc}", rel)
