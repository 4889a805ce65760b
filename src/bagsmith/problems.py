"""Problems found while validating or parsing, as data.

Every check reports through a :class:`Problem` with a stable code from :data:`CATALOGUE`, so a
validator can list every problem instead of stopping at the first one. ``docs/problem-codes.md``
documents every code (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class CodeInfo(NamedTuple):
    """A problem code's default severity and one-line summary."""

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
    "tag-file-too-large": CodeInfo(E, "a tag file read whole is over the tag-file-bytes limit"),
    "tag-line-too-long": CodeInfo(E, "a tag file or manifest line is over the line-bytes limit"),
    "bag-info-missing": CodeInfo(
        W, "the bag has no bag-info.txt (optional in RFC 8493; bagsmith always writes one)"
    ),
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
    "manifest-path-dot-slash": CodeInfo(W, "a manifest path starts with './'"),
    "manifest-percent-unencoded": CodeInfo(
        W, "a manifest path has a '%' that is not percent-encoded (read as the literal name)"
    ),
    "manifest-path-unsafe": CodeInfo(E, "a manifest or fetch.txt path points outside the bag"),
    "manifest-path-outside-payload": CodeInfo(E, "a payload manifest lists a file outside data/"),
    "manifest-duplicate-entry": CodeInfo(W, "a file is listed twice with the same digest"),
    "manifest-conflicting-entry": CodeInfo(E, "a file is listed twice with different digests"),
    "manifest-duplicate-case": CodeInfo(
        W, "a file is listed again under a name differing only by case (not portable)"
    ),
    "manifest-duplicate-normalization": CodeInfo(
        W, "a file is listed again under another Unicode normalization (not portable)"
    ),
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
    "fetch-file-pending": CodeInfo(
        E,
        "a payload file is only listed in fetch.txt: the bag is incomplete (unless holey bags are allowed)",
    ),
    # --- bagit: serialised bags -------------------------------------------------------------------
    "archive-unreadable": CodeInfo(E, "the archive cannot be read"),
    "archive-member-unsafe": CodeInfo(E, "an archive member has an unsafe path or is a link"),
    "archive-bomb": CodeInfo(
        E, "an archive decompresses to absurdly more than its size, or beyond the total limit"
    ),
    "archive-layout-invalid": CodeInfo(E, "the archive does not hold exactly one top folder"),
    "archive-member-duplicate": CodeInfo(
        E, "two archive members have the same name (tools disagree on which one is the file)"
    ),
    "archive-too-many-members": CodeInfo(E, "the archive has more members than the limit"),
    # --- bagit: writing and updating bags (reported as warnings in BagResult) -------------------
    "source-empty-folder-kept": CodeInfo(
        W, "an empty source folder was kept with a .keep placeholder file"
    ),
    "source-empty-folder-skipped": CodeInfo(W, "an empty source folder was left out of the bag"),
    "source-hidden-skipped": CodeInfo(W, "a hidden source file or folder was left out of the bag"),
    "source-os-file-skipped": CodeInfo(
        W, "an operating-system file (.DS_Store, Thumbs.db …) was left out of the bag"
    ),
    "source-symlink-followed": CodeInfo(I_, "a symbolic link was bagged as the file it points to"),
    "source-symlink-skipped": CodeInfo(W, "a symbolic link was left out of the bag"),
    "stale-staging-removed": CodeInfo(
        I_, "a staging folder left by an interrupted run was removed"
    ),
    "update-empty-folder": CodeInfo(W, "an empty payload folder cannot be listed in a manifest"),
    # --- profiles ---
    "profile-bagit-version-not-accepted": CodeInfo(
        E, "BagIt-Version is not in the profile's Accept-BagIt-Version"
    ),
    "profile-data-not-empty": CodeInfo(
        E, "the profile sets Data-Empty but data/ holds files (more than one empty file)"
    ),
    "profile-fetch-not-allowed": CodeInfo(E, "the bag has fetch.txt but the profile forbids it"),
    "profile-fetch-required": CodeInfo(
        E, "the profile sets Fetch.txt-Required; there is no fetch.txt"
    ),
    "profile-identifier-mismatch": CodeInfo(
        E, "BagIt-Profile-Identifier in bag-info.txt names another profile"
    ),
    "profile-identifier-missing": CodeInfo(E, "bag-info.txt has no BagIt-Profile-Identifier"),
    "profile-manifest-not-allowed": CodeInfo(
        E, "a payload manifest's algorithm is not in Manifests-Allowed"
    ),
    "profile-manifest-required": CodeInfo(E, "a payload manifest in Manifests-Required is missing"),
    "profile-payload-file-not-allowed": CodeInfo(
        E, "a payload file matches no Payload-Files-Allowed pattern"
    ),
    "profile-payload-file-required": CodeInfo(
        E, "a file or folder in Payload-Files-Required is missing"
    ),
    "profile-serialization-forbidden": CodeInfo(
        E, "the bag is an archive but the profile forbids serialisation"
    ),
    "profile-serialization-not-accepted": CodeInfo(
        E, "the archive type is not in the profile's Accept-Serialization"
    ),
    "profile-serialization-required": CodeInfo(
        E, "the bag is a folder but the profile requires serialisation"
    ),
    "profile-tag-file-not-allowed": CodeInfo(E, "a tag file matches no Tag-Files-Allowed pattern"),
    "profile-tag-file-required": CodeInfo(E, "a tag file in Tag-Files-Required is missing"),
    "profile-tag-manifest-not-allowed": CodeInfo(
        E, "a tag manifest's algorithm is not in Tag-Manifests-Allowed"
    ),
    "profile-tag-manifest-required": CodeInfo(
        E, "a tag manifest in Tag-Manifests-Required is missing"
    ),
    "profile-tag-missing": CodeInfo(E, "a bag-info tag the profile requires is missing"),
    "profile-tag-not-repeatable": CodeInfo(
        E, "a bag-info tag the profile marks non-repeatable appears more than once"
    ),
    "profile-tag-recommended-missing": CodeInfo(
        W, "a bag-info tag the profile recommends is missing"
    ),
    "profile-tag-value-not-allowed": CodeInfo(
        E, "a bag-info tag has a value outside the profile's allowed values"
    ),
    # --- validate: checks composed on a bag (profiles, METS/DC) ---
    "metadata-schemas-unavailable": CodeInfo(
        W, "METS/DC in the bag could not be checked against the official XML schemas"
    ),
    "profile-not-available": CodeInfo(
        I_, "bag-info.txt names a profile that is neither bundled nor in the local cache"
    ),
    "bag-group-incomplete": CodeInfo(
        E, "bags of one Bag-Group-Identifier validated together miss a member of the group"
    ),
    "bag-group-count-invalid": CodeInfo(
        E, "Bag-Count is not 'k of N', or bags of one group disagree on it or repeat a number"
    ),
    "bag-group-partial": CodeInfo(
        I_, "a bag of a group was validated without the others: the group was not checked"
    ),
    # --- capture ---
    "capture-image-failed": CodeInfo(
        W, "an image of the captured page could not be captured (its figure has no image file)"
    ),
    "capture-resource-failed": CodeInfo(W, "a stylesheet or page image could not be captured"),
    "capture-robots-ignored": CodeInfo(
        I_, "robots.txt was not consulted (the capture was asked to ignore it)"
    ),
    # --- ingest ---
    "author-box-removed": CodeInfo(
        I_, "the author box at the end (byline, self-description) was kept out of the text"
    ),
    "clutter-removed": CodeInfo(I_, "lines of site clutter were left out of the article record"),
    "figure-caption-empty": CodeInfo(W, "a numbered figure has no caption text"),
    "figure-date-ambiguous": CodeInfo(I_, "a caption states several different dates; none chosen"),
    "figure-image-missing": CodeInfo(I_, "a figure has no image file"),
    "figure-number-repeated": CodeInfo(W, "two figures carry the same number"),
    "figure-numbers-missing": CodeInfo(I_, "the figure numbering has gaps (nothing is invented)"),
    "figure-numbers-out-of-order": CodeInfo(W, "figure numbers do not increase through the text"),
    "html-extractor-failed": CodeInfo(
        W, "the main-text extractor failed on the page; it was read by its structure instead"
    ),
    "html-image-missing": CodeInfo(W, "an image the page shows is not in the saved page's folder"),
    "html-image-not-saved": CodeInfo(W, "an image the page shows is a web address, not a file"),
    "html-image-outside": CodeInfo(W, "an image src points outside the saved page's folder"),
    "html-json-ld-invalid": CodeInfo(W, "a JSON-LD block of the page is not valid JSON"),
    "nesting-too-deep": CodeInfo(E, "a JSON document is nested deeper than the depth limit"),
    "figures-too-many": CodeInfo(
        W, "an article has more figures than the figures limit; the first ones were read"
    ),
    "html-parse-limit": CodeInfo(
        W, "the page is nested beyond the parser's safe limit; the rest was not read"
    ),
    "image-corrupt": CodeInfo(
        E, "an image file is truncated or damaged (cut short, broken markers, or does not decode)"
    ),
    "image-extension-mismatch": CodeInfo(E, "an image's content is not the format its name says"),
    "image-irregular": CodeInfo(
        W,
        "a JPEG's structure is damaged (a marker out of place, no end-of-image marker) but it decodes",
    ),
    "image-file-skipped": CodeInfo(I_, "a file in the images folder is not an image; skipped"),
    "image-match-ambiguous": CodeInfo(W, "several image files carry the same figure number"),
    "image-too-large": CodeInfo(E, "an image has more pixels than Pillow's bomb limit allows"),
    "image-unmatched": CodeInfo(W, "an image file matches no figure (it is not paired by guess)"),
    "image-unreadable": CodeInfo(E, "an image file cannot be opened or identified"),
    "sidecar-figure-added": CodeInfo(I_, "the sidecar describes a figure the article text lacks"),
    "text-encoding-guessed": CodeInfo(W, "the article is not UTF-8; it was read as Windows-1252"),
    "text-control-character": CodeInfo(
        W, "the article holds characters XML cannot represent (control codes); they were replaced"
    ),
    "image-metadata-disagrees": CodeInfo(
        W, "an image's embedded caption, creator or date disagrees with what the page says"
    ),
    "image-metadata-unreadable": CodeInfo(
        W,
        "an image's embedded IPTC-IIM or XMP is malformed, unsafe (DTD, entities) or over the "
        "image-metadata-bytes limit; it was not read (the image was)",
    ),
    "format-extension-mismatch": CodeInfo(
        W, "a file's contents are of a format whose extensions do not include the file's own"
    ),
    "title-missing": CodeInfo(W, "no title was found in the article"),
    "trailing-section-removed": CodeInfo(
        I_, "a comments or related-posts section at the end of the article was left out"
    ),
    # --- collections (batch, audit) ---
    "batch-bag-adopted": CodeInfo(
        I_, "resume kept a complete bag that the batch journal had not recorded"
    ),
    "ocfl-object-invalid": CodeInfo(E, "an OCFL object fails ocfl-py's object validation"),
    # --- metadata ---
    "mets-checksum-missing": CodeInfo(W, "a METS file entry has no CHECKSUM/CHECKSUMTYPE"),
    "mets-checksum-mismatch": CodeInfo(E, "a METS CHECKSUM differs from the manifest digest"),
    "mets-checksum-unverifiable": CodeInfo(
        W, "a METS CHECKSUMTYPE has no matching manifest digest to compare with"
    ),
    "mets-file-missing": CodeInfo(E, "a METS fileSec entry names a file that is not in the bag"),
    "mets-file-not-in-filesec": CodeInfo(E, "a payload file is not listed in the METS fileSec"),
    "mets-id-dangling": CodeInfo(E, "a METS FILEID, DMDID or ADMID points at no matching ID"),
    "mets-older-layout": CodeInfo(
        I_,
        "the METS file's hrefs are relative to the bag root (a package made by an earlier "
        "bagsmith): read as such",
    ),
    "mix-dimensions-mismatch": CodeInfo(E, "MIX image width/height differ from the image's"),
    "xml-not-well-formed": CodeInfo(E, "an XML document cannot be parsed"),
    "xml-schema-check-failed": CodeInfo(
        E, "libxml2 could not finish checking an XML document against its schema (not accepted)"
    ),
    "xml-schema-invalid": CodeInfo(E, "an XML document is not valid against its official schema"),
    "xml-too-large": CodeInfo(E, "an XML document is over the size limit"),
    "xml-unsafe": CodeInfo(
        E, "an XML document has a DTD or entity declarations (XXE, entity bombs)"
    ),
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
