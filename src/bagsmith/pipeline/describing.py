"""Use cases for descriptive and preservation metadata: schemas, Dublin Core and METS.

* :func:`install_schemas` / :func:`schema_status` – the official XSD cache.
* :func:`describe_article` – dc.xml and mets.xml for an article and its files, validated
  against the official schemas (the library API ``package`` calls).
* :func:`check_metadata_file` – XSD + semantic checks of a METS or DC file from any bag.
* :func:`describe_to_folder` – the ``describe`` command: record JSON + files → output folder.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema

from .. import __version__, limits, xmlschemas
from ..errors import DestinationError, InputError, MetadataError, UsageError
from ..fixity import hash_file
from ..metadata.checks import MetsFacts
from ..metadata.dc import FigureRef, dc_xml, figure_label
from ..metadata.mets import MetsInput, PackageEvent, build_mets, match_figures
from ..metadata.rights import article_rights, dc_rights
from ..model import Agent, Article, Figure, FormatId, ImageInfo, PackageFile, Section
from ..problems import Problem, Report
from ..resources import json_schema

DEFAULT_DC_PATH = "data/metadata/dc.xml"
DEFAULT_METS_PATH = "data/mets.xml"
DEFAULT_ALGORITHMS = ("sha256", "sha512")
ARTICLE_SCHEMA = "article.schema.json"


def install_schemas(
    from_dir: Path | None = None,
    base_url: str | None = None,
    *,
    timeout: float = 30.0,
    directory: Path | None = None,
) -> xmlschemas.InstallResult:
    """Install the official XSDs from a local folder, a mirror URL, or their canonical URLs."""
    if from_dir is not None and base_url is not None:
        raise UsageError("give either a folder ({from_dir}) or a base URL ({base_url}), not both")
    fetch = (
        xmlschemas.from_folder(from_dir)
        if from_dir is not None
        else xmlschemas.from_urls(base_url, timeout=timeout)
    )
    return xmlschemas.install(fetch, directory)


def schema_status(directory: Path | None = None) -> xmlschemas.CacheStatus:
    return xmlschemas.status(directory)


def software_agent() -> Agent:
    return Agent(name="bagsmith", role="software", kind="software", version=__version__)


def iso_now() -> str:
    """Now, as PREMIS event times are written (UTC, whole seconds)."""
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_created(created: datetime | str | None = None) -> datetime:
    """The creation time: as given, else ``SOURCE_DATE_EPOCH``, else now (UTC, whole seconds)."""
    if isinstance(created, datetime):
        moment = created
    elif isinstance(created, str):
        try:
            moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(f"{{created}} {created!r} is not an ISO 8601 date-time") from exc
    elif os.environ.get("SOURCE_DATE_EPOCH"):
        try:
            moment = datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), UTC)
        except ValueError as exc:
            raise UsageError("SOURCE_DATE_EPOCH is not an integer number of seconds") from exc
    else:
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Description:
    dc_xml: bytes
    mets_xml: bytes
    report: Report  # XSD problems of both documents (empty when valid)
    dc_file: PackageFile  # the fileSec entry METS has for dc.xml
    # that these very bytes were found valid (only when validated, and valid), for the check
    # of the written files (check_metadata_file) to skip the XSD
    dc_proof: xmlschemas.Proof | None = None
    mets_proof: xmlschemas.Proof | None = None
    # what the semantic checks need from the METS (collected as it was validated; with the
    # proof: the bytes need not be parsed again to check them against the bag)
    mets_facts: MetsFacts | None = None
    # the METS bytes' digests, one per algorithm of the files (dc.xml's are dc_file's): taken
    # once, for the manifests and the proof
    mets_digests: Mapping[str, str] = field(default_factory=dict)


def describe_article(
    article: Article,
    files: Sequence[PackageFile],
    *,
    created: datetime | str | None = None,
    archivist: Agent | None = None,
    dc_path: str = DEFAULT_DC_PATH,
    validate: bool = True,
    schema_dir: Path | None = None,
    organization: Agent | None = None,
    mets_path: str = DEFAULT_METS_PATH,
    tools: Sequence[Agent] = (),
    events: Sequence[PackageEvent] = (),
    times: Mapping[str, str] | None = None,
    identify: Callable[[bytes, str, str | None], FormatId] | None = None,
) -> Description:
    """Build dc.xml and mets.xml (METS lists dc.xml in its "metadata" fileGrp) and validate
    both against the official schemas (SchemaCacheError when they are not installed).

    ``mets_path`` is where the METS file goes in the bag (its hrefs are relative to it);
    ``organization`` (Source-Organization) and ``archivist`` (contact) are PREMIS agents and
    named in the METS header; ``tools`` are other software agents (format identification);
    ``events`` are package-level PREMIS events (fixity check, bag creation …) and ``times``
    the moments bagsmith's own per-file events happened (event type → ISO date-time);
    ``identify`` identifies dc.xml's format (bytes, name, MIME type), as the other files were."""
    moment = resolve_created(created)
    others = [pf for pf in files if pf.path != dc_path]
    figure_files = match_figures(article, others)
    refs = [
        FigureRef(
            figure_label(figure, index),
            pf.path if pf else None,
            (pf.mime_type or (pf.image.mime_type if pf.image else None)) if pf else None,
        )
        for index, (figure, pf) in enumerate(
            zip(article.figures, figure_files, strict=True), start=1
        )
    ]
    figure_paths = {pf.path for pf in figure_files if pf}
    formats = sorted(
        {
            pf.mime_type
            for pf in others
            if pf.use == "original" and pf.mime_type and pf.path not in figure_paths
        }
    )
    try:
        dc_bytes = dc_xml(article, refs, formats, dc_rights(article_rights(article)))
        algorithms = sorted({a for pf in others for a in pf.digests} or set(DEFAULT_ALGORITHMS))
        dc_file = PackageFile(
            path=dc_path,
            size=len(dc_bytes),
            digests=_digests(dc_bytes, algorithms),
            use="metadata",
            mime_type="application/xml",
            format=identify(dc_bytes, dc_path, "application/xml") if identify else None,
        )
        mets_bytes = build_mets(
            MetsInput(
                article,
                (*others, dc_file),
                moment,
                software_agent(),
                archivist,
                organization=organization,
                mets_path=mets_path,
                tools=tuple(tools),
                events=tuple(events),
                times=dict(times or {}),
            )
        )
    except ValueError as exc:  # lxml refuses text XML cannot hold (control characters …)
        raise MetadataError(
            f"the article record holds text that XML cannot represent: {exc}"
        ) from exc
    mets_digests = _digests(mets_bytes, algorithms)
    report = Report("metadata")
    dc_proof = mets_proof = facts = None
    if validate:
        validator = xmlschemas.validator(schema_dir)
        problems, dc_proof = xmlschemas.validate_with_proof(
            dc_bytes, validator, "dc.xml", expect="dc", sha256=dc_file.digests.get("sha256")
        )
        report.extend(problems)
        facts = MetsFacts(mets_path)
        problems, mets_proof = xmlschemas.validate_with_proof(
            mets_bytes,
            validator,
            "mets.xml",
            expect="mets",
            visit=facts.visit,
            sha256=mets_digests.get("sha256"),
        )
        report.extend(problems)
    return Description(
        dc_bytes,
        mets_bytes,
        report,
        dc_file,
        dc_proof,
        mets_proof,
        facts if mets_proof else None,
        mets_digests,
    )


def _digests(data: bytes, algorithms: Sequence[str]) -> dict[str, str]:
    """The hex digests of ``data``, one per algorithm: each taken once, for the document's
    fileSec entry or manifest lines and, SHA-256, for the proof of its validation."""
    return {a: hashlib.new(a, data).hexdigest() for a in algorithms}


def check_metadata_file(
    source: Path | bytes,
    display: str,
    *,
    kind: str = "mets",
    bag_files: Collection[str] | None = None,
    required: Collection[str] | None = None,
    digests: Mapping[str, Mapping[str, str]] | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
    schema_dir: Path | None = None,
    proof: xmlschemas.Proof | None = None,
    facts: MetsFacts | None = None,
    sha256: str | None = None,
) -> list[Problem]:
    """Problems of one METS (``kind="mets"``) or Dublin Core (``kind="dc"``) document from any
    bag: unsafe or malformed XML, XSD errors (every embedded schema loaded) with their lines,
    and for METS the semantic checks. Reads the document as a stream (bounded memory).

    With ``proof`` (``package`` checking the files it has just written: the
    :class:`Description`'s), the XSD is not run again when the bytes read are the ones this
    process validated (same SHA-256, same schemas); with ``facts`` too (the METS facts
    collected as those bytes were validated), the document is only hashed, not parsed again;
    nor hashed when the caller gives the ``sha256`` it has just verified the file has (the
    full BagIt check of the staged bag, against its manifests). Anything else is checked in
    full."""
    validator = xmlschemas.validator(schema_dir)
    problems: list[Problem] | None = None
    found = MetsFacts(display)  # hrefs are resolved from the folder of display
    if proof is not None:
        visit: Callable[[Any], None] | None = found.visit
        if facts is not None or kind != "mets":
            visit = None  # nothing to collect: the bytes are only hashed
            found = facts.copy(display) if facts is not None else found
        problems = xmlschemas.read_proven(
            source, validator, display, proof, expect=kind, visit=visit, sha256=sha256
        )
    if problems is None:
        found = MetsFacts(display)
        problems = xmlschemas.validate_stream(
            source, validator, display, expect=kind, visit=found.visit
        )
    if kind == "mets" and not any(p.code in _UNREADABLE for p in problems):
        problems += found.problems(
            bag_files=bag_files, required=required, digests=digests, image_sizes=image_sizes
        )
    return problems


_UNREADABLE = {"xml-unsafe", "xml-not-well-formed", "xml-too-large"}


# --- the describe command --------------------------------------------------------------------


def article_from_record(data: Any, source: str = "record") -> Article:
    """An :class:`Article` from its record (the shape of ``Article.to_dict()``)."""
    field = "(top level)"
    try:
        if not isinstance(data, dict):
            raise TypeError("the record is not a JSON object")
        sections = []
        for i, s in enumerate(data.get("sections") or ()):
            field = f"sections[{i}]"
            sections.append(Section(s.get("heading"), tuple(s.get("paragraphs") or ())))
        figures = []
        for i, f in enumerate(data.get("figures") or ()):
            field = f"figures[{i}]"
            image = f.get("image")
            info = None
            if image is not None:
                dpi = image.get("dpi")
                info = ImageInfo(
                    path=image["path"],
                    format=image["format"],
                    mime_type=image["mime_type"],
                    width=int(image["width"]),
                    height=int(image["height"]),
                    mode=image["mode"],
                    bits_per_sample=[int(b) for b in image.get("bits_per_sample") or ()],
                    icc_profile=image.get("icc_profile"),
                    dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
                    exif=dict(image.get("exif") or {}),
                    sha256=image["sha256"],
                    size=int(image.get("size") or 0),
                    problems=tuple(image.get("problems") or ()),
                    iptc=dict(image.get("iptc") or {}),
                    xmp=dict(image.get("xmp") or {}),
                )
            figures.append(
                Figure(
                    number=f.get("number"),
                    caption=f["caption"],
                    description=f.get("description"),
                    date=f.get("date"),
                    places=tuple(f.get("places") or ()),
                    credit=f.get("credit"),
                    image=info,
                    places_standard=tuple(f.get("places_standard") or ()),
                    section=f.get("section"),
                    rights_uri=f.get("rights_uri"),
                    copyright_holder=f.get("copyright_holder"),
                    copyright_year=f.get("copyright_year"),
                    rights_note=f.get("rights_note"),
                )
            )
        field = "title"
        return Article(
            title=data["title"],
            creators=tuple(data.get("creators") or ()),
            date_published=data.get("date_published"),
            date_captured=data.get("date_captured"),
            source_url=data.get("source_url"),
            publisher=data.get("publisher"),
            language=data.get("language"),
            rights=data.get("rights"),
            subjects=tuple(data.get("subjects") or ()),
            identifiers=tuple(data.get("identifiers") or ()),
            sections=tuple(sections),
            figures=tuple(figures),
            source_path=data.get("source_path"),
            source_format=data.get("source_format"),
            warnings=tuple(data.get("warnings") or ()),
            coverage=data.get("coverage"),
            rights_uri=data.get("rights_uri"),
            copyright_holder=data.get("copyright_holder"),
            copyright_year=data.get("copyright_year"),
            rights_note=data.get("rights_note"),
        )
    except KeyError as exc:
        raise InputError(
            f"the article record lacks {exc.args[0]!r}", path=source, field=field
        ) from exc
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(
            f"the article record is malformed: {exc}", path=source, field=field
        ) from exc


def _check_record(data: Any, record: Path) -> None:
    """The record against ``schemas/article.schema.json`` (first error, with its field)."""
    try:
        schema = json_schema(ARTICLE_SCHEMA)
    except FileNotFoundError:
        return
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise InputError(
            f"the article record does not match {ARTICLE_SCHEMA}: {error.message}",
            path=record,
            field=where,
        )


def files_on_disk(paths: Sequence[Path], root: Path) -> list[PackageFile]:
    """PackageFiles for files on disk: path ``data/<relative to root>``, size, sha256+sha512."""
    out: list[PackageFile] = []
    root = root.absolute()
    for path in paths:
        absolute = path.absolute()
        try:
            relative = absolute.relative_to(root).as_posix()
        except ValueError as exc:
            raise UsageError(f"{path} is not inside {{root}} {root}", path=path) from exc
        try:
            digests, size = hash_file(absolute, DEFAULT_ALGORITHMS)
        except OSError as exc:
            raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
        mime = mimetypes.guess_type(absolute.name)[0]
        out.append(
            PackageFile(f"data/{relative}", size, digests, "original", mime, None, absolute.name)
        )
    return out


@dataclass(frozen=True)
class DescribeOutput:
    dc_path: Path
    mets_path: Path
    files: int
    figures_matched: int

    def to_dict(self) -> dict[str, object]:
        return {
            "dc": str(self.dc_path),
            "mets": str(self.mets_path),
            "files": self.files,
            "figures_with_image": self.figures_matched,
        }


def describe_to_folder(
    record: Path,
    files: Sequence[Path],
    output: Path,
    *,
    root: Path | None = None,
    created: str | None = None,
    archivist: str | None = None,
    force: bool = False,
) -> DescribeOutput:
    """Read an article record, describe it with ``files``, validate, and write dc.xml and
    mets.xml into ``output`` (each replaced atomically; nothing is written if invalid)."""
    try:
        data = limits.load_json(record.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"cannot read the article record: {exc.strerror or exc}", path=record
        ) from exc
    except limits.TooDeep as exc:
        raise InputError(
            f"the article record is {exc}", path=record, hint=limits.hint("depth")
        ) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            f"the article record is not valid JSON: {exc}", path=record, line=line
        ) from exc
    _check_record(data, record)
    article = article_from_record(data, str(record))
    targets = [output / "dc.xml", output / "mets.xml"]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise DestinationError(
            f"{existing[0]} exists already", path=existing[0], hint="use {force} to replace it"
        )
    pfs = files_on_disk(files, root or Path.cwd())
    person = Agent(archivist, "archivist", "person") if archivist else None
    result = describe_article(article, pfs, created=created, archivist=person)
    if not result.report.valid:
        first = result.report.errors[0]
        raise MetadataError(
            f"the generated metadata is not valid ({len(result.report.errors)} problems): {first}",
            path=first.path,
            line=first.line,
        )
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DestinationError(
            f"cannot create the folder: {exc.strerror or exc}", path=output
        ) from exc
    _atomic_write_all(list(zip(targets, (result.dc_xml, result.mets_xml), strict=True)))
    matched = sum(1 for pf in match_figures(article, pfs) if pf is not None)
    return DescribeOutput(targets[0], targets[1], len(pfs), matched)


def _atomic_write_all(items: list[tuple[Path, bytes]]) -> None:
    """Write every file to a temporary name first; rename them into place only when all are
    written, so a failure leaves neither a partial file nor a mix of old and new."""
    temps: list[tuple[str, Path]] = []
    try:
        for target, content in items:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            temps.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, target in temps:
            os.replace(tmp, target)
    except OSError as exc:
        raise DestinationError(
            f"cannot write: {exc.strerror or exc}", path=items[0][0].parent
        ) from exc
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
