"""Use case ``package``: an article (text or saved page), its images and sidecar → one validated
BagIt bag with Dublin Core, METS and the article record, checked against a BagIt profile.

Steps (docs/tutorial.md): parse and characterise; check the bag-info tags the profile requires;
copy and hash every source once into a staging folder beside the destination; build DC and METS
(with those digests) once and validate them against the official schemas, then add them, the
record, bag-info.txt and the tag manifests; validate the staged bag (BagIt, profile, METS
semantics; the XSD is not run again on metadata files that are still the bytes just
validated); only then rename it into place (or write the archive). Any failure leaves no bag at
the destination, no staging folder, and the sources as they were.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import fixity, interrupts, xmlschemas
from ..bagit import destination, staging
from ..bagit.payload import PayloadPolicy, scan_mapped
from ..bagit.profiles import Profile, load_profile
from ..bagit.serialize import ArchiveFormat
from ..bagit.validate import BagValidation
from ..bagit.writer import (
    Digests,
    PayloadTotals,
    bag_info_tags,
    bagging_date,
    check_tag_files,
    check_user_tags,
    copy_payload,
    source_date_epoch,
    write_manifests,
    write_tag_files,
)
from ..errors import DestinationError, MetadataError, UsageError
from ..metadata.logical import figure_sections
from ..metadata.mets import PackageEvent
from ..model import Agent, Article
from ..problems import Problem, Severity
from ..resources import canonical_rights_uri
from . import activity, writing
from . import package_steps as steps
from .bagging import bag_software_agent
from .describing import describe_article, iso_now, resolve_created
from .jsontext import dumps_indented
from .layout import (
    GENERATED,
    METADATA_DIR,
    METS_PATH,
    RECORD_PATH,
    Layout,
    article_info,
    bag_article,
    bag_images,
    check_output_outside,
    merge_info,
    plan_layout,
)
from .parsing import identifier, parse_article
from .progress import ProgressFactory, step
from .reporting import write_report

DEFAULT_PROFILE = "bagsmith-article-v1"


@dataclass(frozen=True)
class PackageOptions:
    images: Path | None = None  # folder of image files (--images)
    metadata: Path | None = None  # sidecar YAML/JSON (--metadata)
    # NAME|PATH|identifier (--profile), or one loaded with resolve_profile; None = no profile
    profile: str | Profile | None = DEFAULT_PROFILE
    info: tuple[tuple[str, str], ...] = ()  # --info K=V
    algorithms: tuple[str, ...] = fixity.DEFAULT_ALGORITHMS
    serialize: ArchiveFormat | None = None  # zip|tar|tgz
    processes: int | None = None
    allow_broken_images: bool = False
    rights_uri: str | None = None  # --rights: rightsstatements.org / Creative Commons URI
    created: str | None = None  # ISO timestamp for METS CREATEDATE (else SOURCE_DATE_EPOCH/now)
    report: Path | None = None  # --report FILE (HTML report written after validation)
    bag_group: tuple[str, int, int] | None = None  # (Bag-Group-Identifier, n, N)
    schema_dir: Path | None = None
    tag_files: tuple[tuple[Path, str], ...] = ()  # (file, name in the bag) (--tag-file)
    # more sources (file or folder, bag path, METS USE): a capture's WARC, WACZ, renderings
    extra_payload: tuple[tuple[Path, str, str], ...] = ()
    notes: tuple[Problem, ...] = ()  # problems found before packaging (a capture's failures)
    # article record fields the article leaves empty: (field, value), e.g. a capture's
    # ("date_captured", "2024-01-15T10:00:00Z"); the sidecar's values win
    record_defaults: tuple[tuple[str, str], ...] = ()
    # package-level PREMIS events the caller recorded (a capture: one per captured file)
    events: tuple[PackageEvent, ...] = ()
    # False: the caller fsyncs the output's folder itself before it reports the package
    # (``batch``'s parent, before its journal records the bag), so the rename is durable
    sync_parent: bool = True
    # False: leftovers of killed runs beside the output are not looked for (``batch``'s parent
    # sweeps its output folder once, where each bag's own look would list it again)
    remove_stale: bool = True


@dataclass
class PackageResult:
    path: str  # the bag folder, or the archive when serialised
    files: int  # payload files (metadata included)
    bytes: int
    figures: int
    images_matched: int  # figures with an image file in the bag
    images_unmatched: int  # image files no figure is paired with
    warnings: list[Problem] = field(default_factory=list)
    profile: str | None = None  # the profile's identifier
    validation: BagValidation | None = None
    report: str | None = None
    payload_oxum: str = ""
    serialized: str | None = None
    bag_info: list[tuple[str, str]] = field(default_factory=list)

    def note_counts(self) -> dict[str, int]:
        """How many of :attr:`warnings` are errors (only with allow_broken_images), warnings
        and info notes."""
        levels = [w.level for w in self.warnings]
        return {s.value: levels.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "files": self.files,
            "bytes": self.bytes,
            "payload_oxum": self.payload_oxum,
            "figures": self.figures,
            "images_matched": self.images_matched,
            "images_unmatched": self.images_unmatched,
            "profile": self.profile,
            "serialized": self.serialized,
            "valid": self.validation.valid if self.validation is not None else None,
            "bag_info": [{"label": k, "value": v} for k, v in self.bag_info],
            "warnings": [w.to_dict() for w in self.warnings],
            "note_counts": self.note_counts(),
            "validation": self.validation.to_dict() if self.validation is not None else None,
            "report": self.report,
        }


def _processes(value: int | None) -> int:
    return fixity.checked_processes(value)


def _check_report_target(report: Path, target: destination.Target) -> None:
    """Fail before any work when the report could not be written (or would be in the bag)."""
    real = Path(os.path.realpath(report))
    for inside in (target.bag_dir, target.final):
        if real.is_relative_to(os.path.realpath(inside)):
            raise UsageError("the report cannot be written inside the package", path=report)
    if report.is_dir():
        raise DestinationError("the report path is a folder; give a file name", path=report)
    parent = Path(os.path.abspath(report)).parent
    if not parent.is_dir():
        raise DestinationError(
            "the folder for the report does not exist", path=parent, hint="create it first"
        )


def resolve_profile(profile: str | Profile) -> Profile:
    """The profile a package must conform to, by bundled NAME, PATH or identifier (ProfileError
    when it cannot be found or is not a valid profile document)."""
    return profile if isinstance(profile, Profile) else load_profile(profile)


def _tag(info: list[tuple[str, str]], label: str) -> str | None:
    return next((v.strip() for k, v in info if k.lower() == label and v.strip()), None)


def _archivist(info: list[tuple[str, str]]) -> Agent | None:
    """The contact (Contact-Name, Contact-Email) as the archivist agent."""
    name = _tag(info, "contact-name")
    email = _tag(info, "contact-email")
    return Agent(name, "archivist", "person", email=email) if name else None


def _organization(info: list[tuple[str, str]]) -> Agent | None:
    """Source-Organization as the organisation agent."""
    name = _tag(info, "source-organization")
    return Agent(name, "source organization", "organization") if name else None


def package_article(
    article: Path,
    output: Path,
    options: PackageOptions | None = None,
    *,
    progress: ProgressFactory | None = None,
) -> PackageResult:
    """Package ``article`` (a text file or a saved page) at ``output``
    (``output.zip`` … with ``options.serialize``). See the module docstring for the steps."""
    options = options or PackageOptions()
    algorithms = fixity.parse_algorithms(options.algorithms)
    rights_uri = _rights_uri(options.rights_uri)
    check_user_tags(options.info)
    check_tag_files(options.tag_files)
    processes = _processes(options.processes)
    epoch = source_date_epoch()
    created = resolve_created(options.created)
    profile = resolve_profile(options.profile) if options.profile else None
    target = destination.resolve(Path(output), options.serialize)
    if options.report is not None:
        _check_report_target(options.report, target)

    # 1. parse and characterise; the layout and the files it reads
    parsed = parse_article(
        article,
        images=options.images,
        metadata=options.metadata,
        allow_broken_images=options.allow_broken_images,
        identify_formats=False,  # every payload file is identified once it is staged
    )
    times = {"metadata extraction": _now(), "validation": _now()}  # Pillow read the images
    layout = plan_layout(parsed, options.images, options.metadata)
    layout = layout.with_extra(options.extra_payload)
    check_output_outside(layout, target.bag_dir)
    plan = scan_mapped(list(layout.sources), PayloadPolicy())
    warnings = [*options.notes, *parsed.report.problems, *plan.warnings]
    record = _fill(bag_article(parsed.article, layout), options.record_defaults)
    if rights_uri is not None:
        record = dataclasses.replace(record, rights_uri=rights_uri)
    images = bag_images(parsed.images, layout)

    # 2. the bag-info tags (DC and METS are built once, in staging, with the digests)
    given = merge_info(options.info, article_info(record), options.bag_group)
    archivist = _archivist(given)
    organization = _organization(given)
    xmlschemas.validator(options.schema_dir)  # the schemas are there, before any hashing
    figure_sections(record)  # every figure's section exists (MetadataError), before any hashing

    # 3. the bag-info tags the profile requires, before any hashing
    info = list(given)
    if profile is not None:
        payload = [f.relpath for f in plan.files] + list(GENERATED)
        problems, defaults = writing.preflight(
            profile,
            info,
            algorithms,
            payload,
            options.serialize,
            [name for _, name in options.tag_files],
            hint=steps.package_info_hint,
        )
        steps.refuse_profile(problems, profile)
        warnings += problems
        info += defaults

    # 4. write in staging; 5. validate there; then move into place
    committed = False
    with writing.staging_run(
        target,
        warnings,
        subject="package",
        interrupted="interrupted; nothing was written",
        remove_stale=options.remove_stale,
    ) as run:
        stage = run.path
        try:
            digests: Digests = {}  # every payload file's, the manifests written once at the end
            with step(progress, "Copying and hashing", plan.total_bytes) as update:
                copied = copy_payload(
                    stage, plan, algorithms, processes=processes, progress=update, digests=digests
                )
            times["message digest calculation"] = _now()
            sources = {f.relpath: f.source or f.relpath for f in plan.files}
            steps.check_unchanged(images, digests, sources)
            provenance = [*options.events, *steps.fixity_events(images, digests, _now())]
            files = steps.package_files(plan, digests, layout, images)
            generated = steps.write_generated(
                stage,
                [(RECORD_PATH, _record_bytes(record), "metadata", "application/json")],
                algorithms,
                digests,
                epoch,
            )
            files += generated
            with step(progress, "Identifying formats", None):
                files, format_problems = steps.identify_formats(stage, files)
            times["format identification"] = _now()
            warnings += format_problems
            described = describe_article(
                record,
                files,
                created=created,
                archivist=archivist,
                organization=organization,
                schema_dir=options.schema_dir,
                events=(*provenance, steps.creation_event(_now(), algorithms)),
                tools=(identifier().agent(),),
                times=times,
                identify=identifier().identify_bytes,
            )
            _refuse_metadata(described.report.errors)
            generated += steps.write_generated(
                stage,
                [
                    (described.dc_file.path, described.dc_xml, "metadata", "application/xml"),
                    (METS_PATH, described.mets_xml, "metadata", "application/xml"),
                ],
                algorithms,
                digests,
                epoch,
                known={
                    described.dc_file.path: described.dc_file.digests,
                    METS_PATH: described.mets_digests,
                },
            )
            if epoch is not None:
                os.utime(stage / METADATA_DIR, (epoch, epoch))
            write_manifests(stage, algorithms, digests)
            totals = PayloadTotals(
                copied.files + len(generated), copied.bytes + sum(f.size for f in generated)
            )
            tags = bag_info_tags(info, totals, day=bagging_date(epoch), agent=bag_software_agent())
            write_tag_files(stage, algorithms, tags, epoch, options.tag_files)
            if processes == 1:  # the bag is complete: flush it while it is checked (no fork)
                run.flush_early()
            with step(progress, "Validating", totals.bytes) as update:
                validation = steps.validate_staged(
                    stage,
                    profile=profile,
                    serialization=options.serialize.value if options.serialize else None,
                    digests=digests,
                    images=images,
                    processes=processes,
                    schema_dir=options.schema_dir,
                    progress=update,
                    proofs={
                        described.dc_file.path: described.dc_proof,
                        METS_PATH: described.mets_proof,
                    },
                    mets_facts=described.mets_facts,
                )
            steps.fail_invalid(validation)
            with interrupts.deferred():
                run.commit(epoch, sync_parent=options.sync_parent)
                committed = True
            validation.path = str(target.final)
            report = None
            if options.report is not None:
                written = write_report(
                    target.final, options.report, validation=validation, deposits=False
                )
                report = written.html
        except BaseException:  # after the commit (the report failed), the package goes too
            _undo(committed, target)
            raise
    # the profile's tag warnings were reported before writing; the others come from validation
    warnings += [
        p
        for p in validation.report
        if p.level is not Severity.ERROR and not (profile and p.code in writing.TAG_CODES)
    ]
    activity.note(
        "packaged %s into %s: %d files, %d bytes, valid",
        article,
        target.final,
        totals.files,
        totals.bytes,
    )
    activity.problems(str(target.final), warnings)
    activity.bag_files(target.final, "packaged")
    matched = sum(1 for f in record.figures if f.image is not None)
    return PackageResult(
        path=str(target.final),
        files=totals.files,
        bytes=totals.bytes,
        figures=len(record.figures),
        images_matched=matched,
        images_unmatched=len(parsed.unmatched_images),
        warnings=warnings,
        profile=profile.identifier if profile else None,
        validation=validation,
        report=report,
        payload_oxum=totals.oxum,
        serialized=str(target.archive) if target.archive else None,
        bag_info=tags,
    )


def _fill(record: Article, defaults: tuple[tuple[str, str], ...]) -> Article:
    empty: dict[str, Any] = {name: value for name, value in defaults if not getattr(record, name)}
    return dataclasses.replace(record, **empty) if empty else record


def _rights_uri(value: str | None) -> str | None:
    """``--rights``: a URI of the bundled list (schemas/rights-statements.json), canonical."""
    if value is None:
        return None
    found = canonical_rights_uri(value)
    if found is None:
        raise UsageError(
            f"{{rights}} {value!r} is not a rightsstatements.org statement or a Creative "
            "Commons licence bagsmith knows",
            parameter="rights",
            hint="e.g. http://rightsstatements.org/vocab/InC/1.0/ or "
            "https://creativecommons.org/licenses/by/4.0/ (the list: schemas/rights-statements.json)",
        )
    return found


def _now() -> str:
    """The time an event happened (UTC, whole seconds); under ``SOURCE_DATE_EPOCH``
    (reproducible builds) that time, as every other timestamp of the package."""
    epoch = source_date_epoch()
    if epoch is not None:
        return resolve_created(datetime.fromtimestamp(epoch, UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return iso_now()


def _record_bytes(record: Article) -> bytes:
    text = dumps_indented(record.to_dict()) + "\n"
    return text.encode("utf-8")


def _refuse_metadata(errors: list[Problem]) -> None:
    if errors:
        raise MetadataError(
            f"the generated Dublin Core / METS is not valid ({writing.count(len(errors))}); "
            "nothing was written:\n" + writing.problems_text(errors),
            path=errors[0].path,
            line=errors[0].line,
            problems=errors,
        )


def _undo(committed: bool, target: destination.Target) -> None:
    """After the bag was moved into place, a later failure (the report) removes it again."""
    if committed:
        with interrupts.deferred():
            staging.remove(target.final)
            interrupts.withdrawn(target.final)


__all__ = ["Layout", "PackageOptions", "PackageResult", "package_article", "resolve_profile"]
