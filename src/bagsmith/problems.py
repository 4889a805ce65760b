"""Problems found while validating or parsing, as data.

Every check reports through a :class:`Problem` with a stable code from :data:`CATALOGUE`, so a
validator can list every problem instead of stopping at the first one. ``docs/problem-codes.md``
documents every code (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class CodeInfo:
    severity: Severity
    summary: str


E, W, I_ = Severity.ERROR, Severity.WARNING, Severity.INFO

# One catalogue of every problem code. Keep codes stable: reports and scripts depend on them.
# Sections by subsystem; keep each sorted by code.
CATALOGUE: dict[str, CodeInfo] = {
    # --- bagit: structure and declaration -------------------------------------------------
    "not-a-bag": CodeInfo(E, "the folder or archive has no bagit.txt at its top"),
    "bagit-txt-bom": CodeInfo(E, "bagit.txt starts with a byte order mark"),
    "bagit-txt-invalid": CodeInfo(E, "bagit.txt does not have the two required lines"),
    "bagit-version-unsupported": CodeInfo(E, "BagIt-Version is not a version bagsmith reads"),
    "tag-encoding-unsupported": CodeInfo(
        E, "Tag-File-Character-Encoding is not one bagsmith reads"
    ),
    "tag-file-undecodable": CodeInfo(E, "a tag file is not valid in the declared encoding"),
    "tag-line-invalid": CodeInfo(E, "a tag file line is neither 'Label: value' nor a continuation"),
    "bag-info-missing": CodeInfo(W, "the bag has no bag-info.txt"),
    "bag-info-repeated-tag": CodeInfo(I_, "a bag-info tag appears more than once"),
    "payload-dir-missing": CodeInfo(E, "the bag has no data/ folder"),
    "payload-oxum-invalid": CodeInfo(E, "Payload-Oxum is not of the form OCTETS.FILES"),
    "payload-oxum-mismatch": CodeInfo(E, "Payload-Oxum does not match the payload on disk"),
    "label-separator-unusual": CodeInfo(W, "a tag line uses an unusual separator around its colon"),
    # --- bagit: manifests ---------------------------------------------------------------------
    "manifest-missing": CodeInfo(E, "the bag has no payload manifest"),
    "manifest-algorithm-unknown": CodeInfo(
        E, "a manifest names an algorithm bagsmith cannot compute"
    ),
    "manifest-algorithm-weak": CodeInfo(W, "a manifest uses md5 or sha1 only"),
    "manifest-line-invalid": CodeInfo(E, "a manifest line is not 'DIGEST  PATH'"),
    "manifest-whitespace-invalid": CodeInfo(E, "a manifest line has invalid whitespace"),
    "manifest-binary-marker": CodeInfo(W, "a manifest line uses the md5sum '*' binary marker"),
    "manifest-path-unsafe": CodeInfo(E, "a manifest or fetch.txt path points outside the bag"),
    "manifest-path-outside-payload": CodeInfo(E, "a payload manifest lists a file outside data/"),
    "manifest-duplicate-entry": CodeInfo(W, "a file is listed twice with the same digest"),
    "manifest-conflicting-entry": CodeInfo(E, "a file is listed twice with different digests"),
    "manifests-disagree": CodeInfo(E, "payload manifests do not all list the same files"),
    "manifest-digest-malformed": CodeInfo(E, "a digest has the wrong length or is not hexadecimal"),
    "payload-file-missing": CodeInfo(E, "a manifest lists a file that is not in the bag"),
    "payload-file-unlisted": CodeInfo(E, "a payload file is in no manifest"),
    "payload-digest-mismatch": CodeInfo(E, "a payload file's digest does not match its manifest"),
    "tag-file-missing": CodeInfo(E, "a tag manifest lists a tag file that is not in the bag"),
    "tag-digest-mismatch": CodeInfo(E, "a tag file's digest does not match the tag manifest"),
    "file-unreadable": CodeInfo(E, "a file in the bag cannot be read"),
    "name-case-collision": CodeInfo(W, "two names differ only by case"),
    "name-normalization-collision": CodeInfo(W, "two names differ only by Unicode normalization"),
    "os-special-file": CodeInfo(
        W, "an operating-system file (.DS_Store, Thumbs.db …) is in the bag"
    ),
    # --- bagit: fetch.txt -----------------------------------------------------------------------
    "fetch-line-invalid": CodeInfo(E, "a fetch.txt line is not 'URL LENGTH PATH'"),
    "fetch-file-unlisted": CodeInfo(E, "a fetch.txt entry is not in the payload manifests"),
    "fetch-file-pending": CodeInfo(I_, "a payload file is listed in fetch.txt and not yet fetched"),
    # --- bagit: serialised bags -------------------------------------------------------------------
    "archive-unreadable": CodeInfo(E, "the archive cannot be read"),
    "archive-member-unsafe": CodeInfo(E, "an archive member has an unsafe path or is a link"),
    "archive-bomb": CodeInfo(E, "an archive member has an absurd compression ratio"),
    "archive-layout-invalid": CodeInfo(E, "the archive does not hold exactly one top folder"),
    # --- profiles ---
    # --- ingest ---
    # --- metadata ---
}


@dataclass(frozen=True)
class Problem:
    """One finding: a stable code, its severity, a message a person can act on, and where."""

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"problem code {self.code!r} is not in the catalogue")
        if self.severity is None:
            object.__setattr__(self, "severity", CATALOGUE[self.code].severity)

    @property
    def level(self) -> Severity:
        assert self.severity is not None
        return self.severity

    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        where = self.where()
        prefix = f"{where}: " if where else ""
        return f"{self.level.value}[{self.code}] {prefix}{self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.level.value,
            "message": self.message,
            "path": self.path,
            "line": self.line,
        }


@dataclass
class Report:
    """The problems found for one subject (a bag, an article, a document)."""

    subject: str
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        path: str | None = None,
        line: int | None = None,
        severity: Severity | None = None,
    ) -> Problem:
        problem = Problem(code, message, path, line, severity)
        self.problems.append(problem)
        return problem

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def to_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }
