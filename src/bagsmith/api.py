"""The public Python API of bagsmith; import it as ``bagsmith`` (``bagsmith.make_bag`` …).

Everything here is re-exported by the package itself and listed in ``bagsmith.__all__``;
the modules below it (``bagsmith.pipeline``, ``bagsmith.bagit`` …) are internal and may change
in any release. The guide is docs/python.md. This module sits beside the command line on top
of the pipeline (docs/architecture.md) and imports the pipeline only inside the functions,
so that ``import bagsmith`` stays as cheap as the command line needs it to be.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import (
    ArchiveError,
    BagError,
    BagsmithError,
    DepositError,
    DestinationError,
    InputError,
    Interrupted,
    MetadataError,
    ProfileError,
    SchemaCacheError,
    SourceConflictError,
    UsageError,
)
from .fixity import DEFAULT_ALGORITHMS
from .model import Article, Figure, ImageInfo, Section
from .problems import Problem, Severity

if TYPE_CHECKING:
    from .pipeline.inspecting import BagContents
    from .pipeline.validation import BagValidation

__all__ = [
    "ArchiveError",
    "Article",
    "Bag",
    "BagError",
    "BagInfo",
    "BagsmithError",
    "DepositError",
    "DepositResult",
    "DestinationError",
    "Figure",
    "ImageInfo",
    "InfoValues",
    "InputError",
    "Interrupted",
    "MetadataError",
    "PackageResult",
    "ParseResult",
    "Problem",
    "ProfileError",
    "SchemaCacheError",
    "Section",
    "Severity",
    "SourceConflictError",
    "StrPath",
    "UsageError",
    "ValidationMode",
    "ValidationResult",
    "deposit",
    "make_bag",
    "package",
    "parse",
    "validate",
]

#: A file system path: a ``str`` or any :class:`os.PathLike` (``pathlib.Path`` …).
StrPath = str | os.PathLike[str]
#: bag-info tags as a mapping of label to one value, or to several values (a repeated tag).
InfoValues = Mapping[str, str | Sequence[str]]
#: How thoroughly to validate: ``"full"`` (hash every file), ``"fast"`` (Payload-Oxum only),
#: ``"completeness"`` (every listed file present, none unlisted; nothing hashed).
ValidationMode = Literal["full", "fast", "completeness"]
#: The archive formats a bag can be written as.
ArchiveKind = Literal["zip", "tar", "tgz"]
#: A receiving system a deposit can be made for (:func:`deposit`'s ``for_system``).
ReceivingSystem = Literal["archivematica"]

#: The BagIt profile :func:`package` checks against unless told otherwise.
DEFAULT_PACKAGE_PROFILE = "bagsmith-article-v1"


def _info_pairs(info: InfoValues | None) -> tuple[tuple[str, str], ...]:
    """``{"Label": "v"}`` / ``{"Label": ["a", "b"]}`` as ordered (label, value) pairs."""
    if info is None:
        return ()
    if not isinstance(info, Mapping):
        raise UsageError("bag-info tags must be a mapping of label to value(s)", field="info")
    pairs: list[tuple[str, str]] = []
    for label, value in info.items():
        if not isinstance(label, str):
            raise UsageError(f"a bag-info label must be a string, not {label!r}", field="info")
        if isinstance(value, str):
            values: list[object] = [value]
        elif isinstance(value, Sequence):
            values = list(value)
        else:
            values = [value]
        for item in values:
            if not isinstance(item, str):
                raise UsageError(
                    f"the value of the bag-info tag {label} must be a string, not {item!r}",
                    field=label,
                )
            pairs.append((label, item))
    return tuple(pairs)


def _paths(source: StrPath | Sequence[StrPath]) -> list[Path]:
    if isinstance(source, str | os.PathLike):
        return [Path(source)]
    return [Path(s) for s in source]


def _algorithms(algorithms: str | Sequence[str] | None) -> tuple[str, ...]:
    if algorithms is None:
        return DEFAULT_ALGORITHMS
    return (algorithms,) if isinstance(algorithms, str) else tuple(algorithms)


def _plain(value: Any) -> Any:
    """A mapping as a dict of its own (results never share their caller's mappings)."""
    return dict(value) if isinstance(value, Mapping) else value


def _archive(kind: str | None) -> Any:
    if kind is None:
        return None
    from .pipeline.bagging import ArchiveFormat

    try:
        return ArchiveFormat(kind)
    except ValueError:
        choices = ", ".join(f.value for f in ArchiveFormat)
        raise UsageError(
            f"unknown archive format {kind!r}; choose one of {choices}", field="serialize"
        ) from None


class BagInfo(Mapping[str, str]):
    """The tags of bag-info.txt: a read-only mapping of label to (first) value.

    Labels compare case-insensitively (RFC 8493 §2.2.2): ``info["source-organization"]``
    finds ``Source-Organization``. A tag that appears several times maps to its first value;
    :meth:`get_all` gives every value, :attr:`tags` every (label, value) in file order.
    """

    def __init__(self, tags: Sequence[tuple[str, str]]) -> None:
        self._tags = tuple(tags)
        self._first: dict[str, tuple[str, str]] = {}
        for label, value in self._tags:
            self._first.setdefault(label.lower(), (label, value))

    @property
    def tags(self) -> tuple[tuple[str, str], ...]:
        """Every (label, value) in file order, repeated tags included."""
        return self._tags

    def get_all(self, label: str) -> list[str]:
        """Every value of ``label`` in file order (empty when the bag has no such tag)."""
        wanted = label.lower()
        return [v for k, v in self._tags if k.lower() == wanted]

    def __getitem__(self, label: str) -> str:
        return self._first[label.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (label for label, _ in self._first.values())

    def __len__(self) -> int:
        return len(self._first)

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and label.lower() in self._first

    def __repr__(self) -> str:
        return f"BagInfo({list(self._tags)!r})"


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one bag: ``valid`` and every problem found.

    ``valid`` is true when no problem is an error (warnings and info notes allowed).
    :meth:`to_dict` is the bag's entry in ``bagsmith validate --json``
    (schemas/validation-report.schema.json).
    """

    path: str
    valid: bool
    problems: tuple[Problem, ...]
    mode: ValidationMode
    format: str  # "folder" | "zip" | "tar" | "tgz" | "file"
    bagit_version: str | None
    payload_files: int
    payload_bytes: int
    algorithms: tuple[str, ...]  # of the payload manifests
    _entry: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity error (those that make the bag invalid)."""
        return [p for p in self.problems if p.level is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity warning."""
        return [p for p in self.problems if p.level is Severity.WARNING]

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (one bag entry of the validation report)."""
        return dict(self._entry)

    @classmethod
    def _from(cls, checked: BagValidation) -> ValidationResult:
        entry = checked.to_dict() | {"readable": True}
        return cls(
            path=checked.path,
            valid=checked.valid,
            problems=tuple(checked.report.problems),
            mode=checked.mode.value,
            format=checked.format,
            bagit_version=checked.bagit_version,
            payload_files=checked.payload_files,
            payload_bytes=checked.payload_bytes,
            algorithms=tuple(checked.payload_algorithms),
            _entry=entry,
        )


class Bag:
    """A BagIt bag on disk (a folder, or a .zip/.tar/.tgz archive, read without extracting).

    Opening reads bagit.txt, bag-info.txt and the manifests; nothing is hashed until
    :meth:`validate`. The bag is read once, when it is opened: make a new :class:`Bag` to see
    changes made on disk since.

    Raises :class:`InputError` when ``path`` cannot be read and :class:`BagError` when it
    is not a bag (no bagit.txt at its top).
    """

    def __init__(self, path: StrPath) -> None:
        from .pipeline.inspecting import inspect_bag

        self._contents: BagContents = inspect_bag(Path(path))
        self._path = Path(path)
        self._info = BagInfo(self._contents.info)
        self._warnings: tuple[Problem, ...] = ()

    @property
    def path(self) -> Path:
        """The bag's folder, or its archive file."""
        return self._path

    @property
    def format(self) -> str:
        """``"folder"``, ``"zip"``, ``"tar"`` or ``"tgz"``."""
        return self._contents.format

    @property
    def version(self) -> str | None:
        """``BagIt-Version`` from bagit.txt (None when bagit.txt does not declare one)."""
        return self._contents.bagit_version

    @property
    def encoding(self) -> str:
        """``Tag-File-Character-Encoding`` from bagit.txt."""
        return self._contents.tag_encoding

    @property
    def info(self) -> BagInfo:
        """The bag-info.txt tags (see :class:`BagInfo`)."""
        return self._info

    @property
    def manifests(self) -> Mapping[str, Mapping[str, str]]:
        """Payload manifests: ``{algorithm: {bag-relative path: hex digest}}``."""
        return self._contents.manifests

    @property
    def tag_manifests(self) -> Mapping[str, Mapping[str, str]]:
        """Tag manifests: ``{algorithm: {bag-relative path: hex digest}}``."""
        return self._contents.tag_manifests

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The algorithms of the payload manifests, sorted (``("sha256", "sha512")``)."""
        return tuple(sorted(self._contents.manifests))

    @property
    def payload(self) -> tuple[str, ...]:
        """Every regular file under ``data/``, bag-relative with ``/`` (``data/a.jpg``), sorted."""
        return self._contents.payload

    @property
    def tag_files(self) -> tuple[str, ...]:
        """Every file outside ``data/`` (bagit.txt, manifests …), bag-relative, sorted."""
        return self._contents.tag_files

    @property
    def payload_oxum(self) -> str | None:
        """``Payload-Oxum`` from bag-info.txt (``"OCTETS.FILES"``), None when absent."""
        return self._info.get("Payload-Oxum")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """What :func:`make_bag` reported while making the bag (files left out …), and lines
        of the manifests that could not be read when opening it."""
        return self._warnings + self._contents.problems

    def validate(
        self,
        *,
        mode: ValidationMode = "full",
        profile: StrPath | None = None,
        declared_profile: bool = True,
        metadata: bool = True,
        processes: int | None = None,
        allow_holey: bool = False,
    ) -> ValidationResult:
        """Validate the bag as it is on disk now; see :func:`validate` for the options."""
        return validate(
            self._path,
            mode=mode,
            profile=profile,
            declared_profile=declared_profile,
            metadata=metadata,
            processes=processes,
            allow_holey=allow_holey,
        )

    def __repr__(self) -> str:
        return f"Bag({str(self._path)!r})"


def make_bag(
    source: StrPath | Sequence[StrPath],
    dest: StrPath,
    *,
    info: InfoValues | None = None,
    algorithms: str | Sequence[str] | None = None,
    profile: str | None = None,
    serialize: ArchiveKind | None = None,
    tag_files: Mapping[str, StrPath] | None = None,
    processes: int | None = None,
) -> Bag:
    """Bag the files and folders ``source`` (one path or several) as a new bag at ``dest``.

    The sources are copied into ``dest/data/`` and never changed; the bag is written in a
    staging folder beside ``dest`` and moved into place only when complete, so ``dest``
    never holds half a bag. ``dest`` must not exist yet.

    * ``info``: bag-info.txt tags, ``{"Source-Organization": "Example Archive"}`` (a list of
      values repeats a tag); Payload-Oxum, Bagging-Date and Bag-Software-Agent are added.
    * ``algorithms``: manifest algorithms (default ``sha256`` and ``sha512``).
    * ``profile``: a BagIt profile (bundled name, file or identifier); the bag is checked
      against it before hashing and again before it is moved into place.
    * ``serialize``: ``"zip"``, ``"tar"`` or ``"tgz"``: write ``dest.zip`` … instead of a folder.
    * ``tag_files``: extra tag files, ``{name in the bag: file to copy}``.
    * ``processes``: hashing processes (default: one per CPU).

    Returns the new :class:`Bag` (its :attr:`Bag.warnings` say what was left out).
    Raises :class:`UsageError` (bad tags, algorithms or options), :class:`InputError` (a source
    that cannot be read), :class:`DestinationError` (``dest`` exists or cannot be written),
    :class:`SourceConflictError`, :class:`ProfileError` (the bag would not conform) and
    :class:`Interrupted`.
    """
    from .pipeline.bagging import BagOptions, create_bag

    options = BagOptions(
        info=_info_pairs(info),
        processes=processes,
        serialize=_archive(serialize),
        profile=profile,
        tag_files=tuple((Path(p), name) for name, p in (tag_files or {}).items()),
        algorithms=_algorithms(algorithms),
    )
    made = create_bag(_paths(source), Path(dest), options)
    bag = Bag(made.path)
    bag._warnings = tuple(made.warnings)
    return bag


def validate(
    path: StrPath,
    *,
    mode: ValidationMode = "full",
    profile: StrPath | None = None,
    declared_profile: bool = True,
    metadata: bool = True,
    processes: int | None = None,
    allow_holey: bool = False,
) -> ValidationResult:
    """Validate the bag at ``path`` (folder or archive, BagIt 0.93 to 1.0); never writes.

    Every problem is collected (a :class:`Problem` with a stable ``code``, see
    docs/problem-codes.md); a bag that is not a bag at all is invalid (``not-a-bag``), not an
    exception.

    * ``mode``: ``"full"`` (default), ``"fast"`` or ``"completeness"`` (:data:`ValidationMode`).
    * ``profile``: also check against this BagIt profile (bundled name, file or identifier);
      without it, and with ``declared_profile``, against the profile bag-info.txt names when
      it is available locally.
    * ``metadata``: check the METS and Dublin Core the bag carries (full mode).
    * ``processes``: hashing processes (default: one per CPU).
    * ``allow_holey``: accept payload files that fetch.txt lists and the bag does not hold
      yet (``fetch-file-pending`` as info); without it such a bag is incomplete, so invalid.

    Raises :class:`InputError` when the path cannot be read, :class:`ProfileError` when
    ``profile`` names no usable profile.
    """
    from .pipeline.validation import Mode, validate_one

    try:
        checked_mode = Mode(mode)
    except ValueError:
        raise UsageError(
            f"unknown validation mode {mode!r}; choose full, fast or completeness", field="mode"
        ) from None
    checked = validate_one(
        Path(path),
        mode=checked_mode,
        processes=processes,
        profile=Path(profile) if isinstance(profile, os.PathLike) else profile,
        declared_profile=declared_profile,
        metadata=metadata,
        allow_holey=allow_holey,
    )
    return ValidationResult._from(checked)


@dataclass(frozen=True)
class ParseResult:
    """An article read by :func:`parse`: the record, its problems and the images looked at."""

    article: Article
    problems: tuple[Problem, ...]
    images: tuple[ImageInfo, ...]
    unmatched_images: tuple[str, ...]  # image files no figure is paired with

    def to_dict(self) -> dict[str, Any]:
        """The article record as JSON-ready data (schemas/article.schema.json)."""
        return self.article.to_dict()


def parse(
    article: StrPath,
    *,
    images: StrPath | None = None,
    metadata: StrPath | None = None,
    allow_broken_images: bool = False,
) -> ParseResult:
    """Read an article (a text file, or a saved HTML page) with its images folder and sidecar
    metadata file (YAML or JSON) into an :class:`Article`; writes nothing.

    Raises :class:`InputError` (an unreadable, empty or binary article; a broken image unless
    ``allow_broken_images``) and :class:`MetadataError` (a sidecar that fails its schema).
    """
    from .pipeline.parsing import parse_article

    parsed = parse_article(
        Path(article),
        images=Path(images) if images is not None else None,
        metadata=Path(metadata) if metadata is not None else None,
        allow_broken_images=allow_broken_images,
    )
    return ParseResult(
        article=parsed.article,
        problems=tuple(parsed.report.problems),
        images=tuple(parsed.images),
        unmatched_images=tuple(parsed.unmatched_images),
    )


@dataclass(frozen=True)
class PackageResult:
    """A package written by :func:`package`: where, what it holds, and its validation."""

    path: str  # the bag folder, or the archive when serialised
    files: int  # payload files, metadata included
    bytes: int
    payload_oxum: str
    figures: int
    images_matched: int  # figures with an image in the bag
    images_unmatched: int  # image files no figure is paired with
    profile: str | None  # the identifier of the profile checked
    serialized: str | None  # the archive, when serialised
    report: str | None  # the HTML report, when asked for
    bag_info: tuple[tuple[str, str], ...]
    warnings: tuple[Problem, ...]  # what parsing, bagging and validation noted (no errors)
    validation: ValidationResult | None

    @property
    def valid(self) -> bool:
        """True: a package is only moved into place when it validates."""
        return self.validation is None or self.validation.valid


def package(
    article: StrPath,
    dest: StrPath,
    *,
    images: StrPath | None = None,
    metadata: StrPath | None = None,
    info: InfoValues | None = None,
    profile: str | None = DEFAULT_PACKAGE_PROFILE,
    algorithms: str | Sequence[str] | None = None,
    serialize: ArchiveKind | None = None,
    report: StrPath | None = None,
    allow_broken_images: bool = False,
    processes: int | None = None,
) -> PackageResult:
    """Package an article and its photographs as a validated BagIt bag at ``dest``, with
    Dublin Core, METS (PREMIS, MIX) and the article record, checked against ``profile``
    (``None``: no profile).

    Nothing is left at ``dest`` unless the whole package validates. ``info``,
    ``algorithms``, ``serialize`` and ``processes`` are as for :func:`make_bag`; ``report``
    writes an HTML report of the package to that file.

    Raises what :func:`parse` and :func:`make_bag` raise, :class:`MetadataError` when the
    METS or Dublin Core would not be valid, and :class:`SchemaCacheError` when the official
    XML schemas are not installed (``bagsmith schemas install``).
    """
    from .pipeline.packaging import PackageOptions, package_article

    options = PackageOptions(
        images=Path(images) if images is not None else None,
        metadata=Path(metadata) if metadata is not None else None,
        profile=profile,
        info=_info_pairs(info),
        serialize=_archive(serialize),
        processes=processes,
        allow_broken_images=allow_broken_images,
        report=Path(report) if report is not None else None,
        algorithms=_algorithms(algorithms),
    )
    made = package_article(Path(article), Path(dest), options)
    return PackageResult(
        path=made.path,
        files=made.files,
        bytes=made.bytes,
        payload_oxum=made.payload_oxum,
        figures=made.figures,
        images_matched=made.images_matched,
        images_unmatched=made.images_unmatched,
        profile=made.profile,
        serialized=made.serialized,
        report=made.report,
        bag_info=tuple(made.bag_info),
        warnings=tuple(made.warnings),
        validation=ValidationResult._from(made.validation) if made.validation else None,
    )


@dataclass(frozen=True)
class DepositResult:
    """The outcome of :func:`deposit`, as written to the deposit record."""

    target: str  # the target's URL without credentials (or its configured name and URL)
    bag: str
    outcome: str  # "deposited", "deposited-unverified", "already-present" or "dry-run"
    location: str | None  # where the bag now is at the target
    verified: bool  # read back from the target and checked against the bag's digests
    identifiers: Mapping[str, str]
    checksums: Mapping[str, str]
    files: int
    bytes: int
    attempts: int

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: its fields, named as in the deposit record."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def deposit(
    bag: StrPath,
    target: str,
    *,
    verify: bool = True,
    dry_run: bool = False,
    name: str | None = None,
    object_id: str | None = None,
    config: StrPath | None = None,
    archive_format: ArchiveKind | None = None,
    objects: bool | None = None,
    for_system: ReceivingSystem | None = None,
) -> DepositResult:
    """Deposit the bag at ``bag`` (folder or archive) to ``target`` and prove it arrived.

    ``target`` is a URL (``file://``, ``ocfl://``, ``sftp://``, ``s3://``, ``az://``,
    ``sword://``) or the name of a target in the deposit configuration (``config``, else the
    default configuration file; docs/deposit.md). The bag is validated first and refused if it is
    not valid. With ``verify`` (the default) the deposit is read back and checked. Every
    attempt that reaches the target is recorded (``bagsmith deposits list``); a dry run
    checks everything, sends nothing and is not recorded.

    The same choices as ``bagsmith deposit``, each defaulting to the target's setting in the
    configuration:

    * ``archive_format``: ``"zip"``, ``"tgz"`` or ``"tar"``, the archive a bag folder is sent
      as to the targets that take one file (``s3://``, ``az://``, ``sword://``; default: the
      target's ``archive_format``, else zip);
    * ``objects``: ``True`` deposits a bag folder to ``s3://`` or ``az://`` as one object per
      file, each verified; ``False`` as one archive (default: the target's ``objects``);
    * ``for_system``: ``"archivematica"`` deposits a variant of a bag folder made for that
      receiving system (``data/metadata/metadata.csv`` and ``rights.csv`` added, manifests
      regenerated, in a temporary folder); the bag itself is never changed.

    Raises :class:`BagError` (the bag is not valid or not complete), :class:`InputError`,
    :class:`UsageError` (an unknown target) and :class:`DepositError` (the deposit failed; its
    ``reason`` attribute says why: ``auth``, ``no-space`` …, see docs/deposit.md).
    """
    from .pipeline.depositing import deposit_bag

    done = deposit_bag(
        Path(bag),
        target,
        verify=verify,
        dry_run=dry_run,
        name=name,
        object_id=object_id,
        config=Path(config) if config is not None else None,
        archive_format=archive_format,
        objects=objects,
        for_system=for_system,
    )
    # the public result is the part of the deposit record that is a stable interface
    return DepositResult(**{f.name: _plain(getattr(done, f.name)) for f in fields(DepositResult)})
