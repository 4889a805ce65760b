"""Validate a bag (folder or serialised) and report every problem, never writing anything.

Modes: ``full`` (structure, completeness, Payload-Oxum and every digest of every manifest),
``fast`` (structure, Payload-Oxum and completeness, no hashing) and ``completeness`` (the same
checks as ``fast``: every manifest entry present and no unlisted payload file; kept as its own
name for the bagit-python option it mirrors). See docs/validation.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import StrEnum
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import fixity
from ..problems import Report, Severity
from . import mtable
from .declaration import Declaration, read_declaration
from .fetch import FetchEntry, parse_fetch
from .manifest import split_manifest_name
from .mtable import ManifestTable
from .names import OS_FILES, CollisionFinder, is_os_file
from .reader import BagReader, Digested, FileEntry, TagDecodeError, open_bag

if TYPE_CHECKING:  # gathered only for profile and METS checks: imported then
    from .facts import BagFacts, FactsCollector

Progress = Callable[[int, int], None]
#: Decides, once bag-info.txt is read, whether to gather :class:`BagFacts`: called with the
#: bag-info tags as (label, value, line) and a function telling whether a bag file exists.
WantFacts = Callable[[Sequence[tuple[str, str, int]], Callable[[str], bool]], bool]


class Mode(StrEnum):
    FULL = "full"
    FAST = "fast"
    COMPLETENESS = "completeness"


class BagValidation:
    """The result of validating one bag. (A plain class: a dataclass of this size costs ~4 M
    instructions to create, on every `bagsmith validate`'s start-up; none is compared.)"""

    __slots__ = (
        "bagit_version",
        "facts",
        "fetch_pending",
        "format",
        "group",
        "metadata",
        "mode",
        "path",
        "payload_algorithms",
        "payload_bytes",
        "payload_files",
        "payload_oxum",
        "profiles",
        "reader",
        "report",
        "tag_algorithms",
        "tag_encoding",
    )

    def __init__(self, path: str, format: str, mode: Mode, report: Report) -> None:
        self.path = path
        self.format = format
        self.mode = mode
        self.report = report
        self.bagit_version: str | None = None
        self.tag_encoding: str | None = None
        self.payload_algorithms: list[str] = []
        self.tag_algorithms: list[str] = []
        self.payload_files = 0
        self.payload_bytes = 0
        self.payload_oxum: str | None = None
        self.fetch_pending = 0
        #: gathered during the same pass when asked for (``facts=``), for profile and METS
        #: checks
        self.facts: BagFacts | None = None
        #: with ``facts``: the reader, to read a file of the bag again (METS checks); read-only
        self.reader: BagReader | None = None
        #: checks composed on top by the pipeline (profiles, METS/DC), as JSON-ready dicts
        self.profiles: list[dict[str, Any]] = []
        self.metadata: dict[str, Any] | None = None
        #: Bag-Group-Identifier, Bag-Count and the line of Bag-Count, when the bag has them (the
        #: pipeline checks that a group validated together is whole)
        self.group: tuple[str, str, int] | None = None

    @property
    def valid(self) -> bool:
        return self.report.valid

    def counts(self) -> dict[str, int]:
        levels = [p.level.value for p in self.report]
        return {k: levels.count(k) for k in ("error", "warning", "info")}

    def to_dict(self) -> dict[str, Any]:
        """The bag's entry in the JSON report (schemas/validation-report.schema.json)."""
        return {
            "path": self.path,
            "format": self.format,
            "mode": self.mode.value,
            "valid": self.valid,
            "bagit_version": self.bagit_version,
            "tag_encoding": self.tag_encoding,
            "algorithms": {"payload": self.payload_algorithms, "tag": self.tag_algorithms},
            "payload": {
                "files": self.payload_files,
                "bytes": self.payload_bytes,
                "declared_oxum": self.payload_oxum,
                "fetch_pending": self.fetch_pending,
            },
            "counts": self.counts(),
            "problems": [p.to_dict() for p in self.report],
            "profiles": list(self.profiles),
            "metadata": self.metadata,
        }


def validate_bag(
    path: str | Path,
    *,
    mode: Mode = Mode.FULL,
    processes: int | None = None,
    progress: Progress | None = None,
    facts: bool | WantFacts = False,
    allow_holey: bool = False,
    vouched: Vouched | None = None,
) -> BagValidation:
    """Validate one bag. Raises :class:`~bagsmith.errors.InputError` if the path is unreadable.

    A payload file listed in fetch.txt but absent makes the bag incomplete, so invalid (RFC
    8493 §3: a bag is valid only when complete), as ``fetch-file-pending`` errors that name
    what must be fetched; ``allow_holey`` reports them as info instead, to check everything
    else of a bag whose files are still to be fetched.

    ``facts`` (True, or a :data:`WantFacts` deciding once bag-info.txt is read) also gathers
    :class:`BagFacts` in the same pass — payload paths, fetch.txt paths, bag-info lines and the
    payload manifest digests — into ``result.facts``, for profile and METS checks.

    ``vouched`` (payload path → algorithm → hex digest): the digests the caller took of the
    very bytes it wrote, every algorithm from the same reads (``package`` checking the bag it
    has just staged). A full check then re-reads each such file and hashes it with one strong
    algorithm (:func:`vouching_algorithm`): when that digest is the vouched one, the file holds
    the bytes the others were taken from, and the manifests are compared with all of them as
    usual (a wrong line in any manifest is still found); a file whose bytes differ, or that is
    not vouched for, is hashed with every algorithm, as without ``vouched``.
    """
    reader = open_bag(path, hash_payload=mode is Mode.FULL)
    result = BagValidation(str(path), reader.format, mode, Report(str(path)))
    processes = fixity.checked_processes(processes)
    _Validator(reader, result, processes, progress, facts, allow_holey, vouched).run()
    if result.facts is not None:
        result.reader = reader  # to read a file again (METS) without opening the bag again
    return result


#: Digests a caller took of bytes it wrote: payload path → algorithm → hex digest.
Vouched = Mapping[str, Mapping[str, str]]


def vouching_algorithm(algorithms: Sequence[str]) -> str | None:
    """The one algorithm of ``algorithms`` a file vouched for is re-hashed with (see
    :func:`validate_bag`): SHA-256 when there (the cheapest to compute on today's processors,
    with their SHA extensions), else the strongest; None when none proves that bytes are the
    same (:data:`fixity.WEAK`), or there is only one (all are hashed then)."""
    proving = [a for a in algorithms if a not in fixity.WEAK]
    if len(algorithms) < 2 or not proving:
        return None
    return "sha256" if "sha256" in proving else min(proving, key=fixity.STRENGTH.index)


_path = itemgetter(0)
_size = itemgetter(1)
_special = itemgetter(2)


def _plain_names(names: list[str]) -> bool:
    """Whether no two of a folder's NAMES can differ only by case or Unicode normalization:
    all ASCII, and no two alike ignoring case (checked at once for the whole folder)."""
    return _folder_names(names)[0]


def _folder_names(names: list[str]) -> tuple[bool, bool]:
    """(:func:`_plain_names`, whether an operating-system file may be among them) of a
    folder's NAMES, from one string of them all: a name starting with '.', or holding a part
    of every other such name (:data:`_OS_FILE_PARTS`), may be one."""
    joined = "/".join(names)  # '/' is in no name
    maybe_os = (
        joined.startswith(".")
        or "/." in joined
        or "\r" in joined
        or "humbs.db" in joined
        or "esktop.ini" in joined
    )
    if not joined.isascii():
        return False, maybe_os
    lower = joined.lower()  # no upper case at all: a folder's names are already distinct
    return lower == joined or len(set(lower.split("/"))) == len(names), maybe_os


def _maybe_os_files(paths: list[str]) -> bool:
    """Whether an operating-system file (:func:`is_os_file`) may be among the files at PATHS:
    False when no name can be one. A few substring searches rule out almost every folder (no
    name starting with '.', none of the other names); the others get one regular expression
    search of the folder's paths."""
    global _os_file_search
    joined = "\x00".join(paths)
    if not any(part in joined for part in _OS_FILE_PARTS):
        return False
    if _os_file_search is None:
        names = "|".join(re.escape(name) for name in sorted(OS_FILES))
        _os_file_search = re.compile(rf"/(?:{names}|\._[^/\x00]*)(?:\x00|\Z)").search
    return _os_file_search(joined) is not None


_os_file_search: Callable[[str], re.Match[str] | None] | None = None


def _normalize(form: str, name: str) -> str:
    """``unicodedata.normalize``, imported when a name that is not ASCII needs it (a bag of
    ASCII names never loads the module: one shared library less at start-up)."""
    import unicodedata

    return unicodedata.normalize(form, name)  # type: ignore[arg-type]


#: a part of every path to an operating-system file: '/.' (every name starting with '.'),
#: the names that do not, cut shorter where one search finds two ('humbs.db': Thumbs.db and
#: ehthumbs.db); tests/test_validate_folders_at_once.py tries every name of OS_FILES (the
#: same parts are searched for in a folder's names by :func:`_folder_names`)
_OS_FILE_PARTS = ("/.", "\r", "humbs.db", "esktop.ini")


class _Validator:
    def __init__(
        self,
        reader: BagReader,
        result: BagValidation,
        processes: int,
        progress: Progress | None,
        want_facts: bool | WantFacts = False,
        allow_holey: bool = False,
        vouched: Vouched | None = None,
    ) -> None:
        self.reader = reader
        self.vouched = vouched
        #: with ``vouched``: the one algorithm files are hashed with, and its place in the table
        self.proving: tuple[str, int] | None = None
        self.result = result
        self.report = result.report
        self.processes = processes
        self.progress = progress
        self.decl = Declaration()
        self.fetch: dict[str, FetchEntry] = {}
        self.want_facts = want_facts
        self.allow_holey = allow_holey
        self.collector: FactsCollector | None = None
        self.kept: dict[str, bytes] | None = None  # manifest values of matched payload files
        self.kept_tags: dict[str, bytes] | None = None  # tag manifest values of tag files read
        self.tag_names: list[str] = []
        self.special_tags: set[str] = set()
        #: payload entries listed under names differing only by normalization or case
        self.twins: dict[str, list[tuple[str, bytes]]] = {}

    def run(self) -> None:
        for problem in self.reader.problems:
            self.report.add(problem.code, problem.message, problem.path)
        layout = getattr(self.reader, "layout_problem", None)
        if layout:
            self.report.add("archive-layout-invalid", layout)
        decl = read_declaration(self.reader, self.report)
        if decl is None:
            return
        self.decl = decl
        self.result.bagit_version = decl.version
        self.result.tag_encoding = decl.encoding
        if decl.payload_oxum is not None:
            self.result.payload_oxum = "{}.{}".format(*decl.payload_oxum)
        wanted = self.want_facts
        if callable(wanted):
            info = tuple((t.label, t.value, t.line) for t in decl.bag_info)
            wanted = wanted(info, self.reader.is_file)
        if wanted:
            from .facts import FactsCollector

            self.collector = FactsCollector()
            self.kept = {}
            self.kept_tags = {}
        payload, tags = self._find_manifests()
        if not self.reader.is_dir("data"):
            self.report.add("payload-dir-missing", "the bag has no data/ folder", "data")

        def load() -> None:
            self._load(payload, twins=True)
            self._load(tags)
            self._read_fetch(payload)

        self._payload(payload, load)
        self._tags(tags)
        for problem in self.reader.late_problems:
            self.report.add(problem.code, problem.message, problem.path)
        if self.collector is not None and self.kept is not None:
            from .facts import ManifestDigests

            digests = ManifestDigests(payload.algorithms, payload.offsets, self.kept)
            tag_digests = ManifestDigests(tags.algorithms, tags.offsets, self.kept_tags or {})
            self.result.facts = self.collector.build(
                self.reader,
                decl,
                self.tag_names,
                self.fetch,
                digests=digests,
                tag_digests=tag_digests,
            )

    def _read_fetch(self, payload: ManifestTable) -> None:
        if not self.reader.is_file("fetch.txt"):
            return
        self.fetch = parse_fetch(self._lines("fetch.txt"), self.report)
        for entry in self.fetch.values():
            if entry.path not in payload.entries:
                self.report.add(
                    "fetch-file-unlisted",
                    f"{entry.path} is to be fetched but no payload manifest lists it",
                    "fetch.txt",
                    entry.line,
                )

    # -- manifests ----------------------------------------------------------------------------
    def _lines(self, name: str) -> Iterator[tuple[int, str]]:
        for first, lines in self._blocks(name):
            yield from enumerate(lines, first)

    def _blocks(
        self, name: str, take: Callable[[bytes], int] | None = None
    ) -> Iterator[tuple[int, list[str]]]:
        """The lines of a tag file a block at a time; a file that cannot be read or decoded
        is reported and ends there. ``take``: see :meth:`BagReader.line_blocks`."""
        try:
            yield from self.reader.line_blocks(name, self.decl.codec, take)
        except TagDecodeError as exc:
            code = getattr(exc, "code", "tag-file-undecodable")
            what = (
                exc.reason
                if code != "tag-file-undecodable"
                else (f"not valid {exc.encoding} ({exc.reason})")
            )
            self.report.add(code, what, name, exc.line)
        except OSError as exc:
            code = getattr(exc, "code", "file-unreadable")
            self.report.add(code, f"cannot read {name}: {exc}", name)

    def _find_manifests(self) -> tuple[ManifestTable, ManifestTable]:
        """Empty tables for the manifests found (by name); :meth:`_load` fills them."""
        found: dict[bool, list[tuple[str, str]]] = {False: [], True: []}
        payload_bytes = 0
        for entry in self.reader.tag_files():
            self.tag_names.append(entry.path)
            if entry.special is not None:
                self.special_tags.add(entry.path)
                self.report.add(
                    "file-unreadable",
                    f"not a regular file ({entry.special}); never opened or followed",
                    entry.path,
                )
                continue
            if "/" in entry.path:
                continue
            split = split_manifest_name(entry.path)
            if split is None:
                continue
            is_tag, alg = split
            if alg not in fixity.SUPPORTED:
                self.report.add(
                    "manifest-algorithm-unknown",
                    f"bagsmith cannot compute {alg!r}; this manifest is not checked",
                    entry.path,
                )
                continue
            found[is_tag].append((alg, entry.path))
            if not is_tag:
                payload_bytes += entry.size
        ordered = {
            k: sorted(v, key=lambda p: fixity.STRENGTH.index(p[0])) for k, v in found.items()
        }
        strict = self.decl.version_tuple() >= (1, 0)
        payload = ManifestTable(
            ordered[False],
            payload=True,
            duplicate_is_error=strict,
            compact=payload_bytes >= mtable.COMPACT_FROM_BYTES,
            # no digest is compared without hashing, unless the facts keep them (a manifest
            # is read again when one matters: a folder's, never an archive member twice)
            digests=(
                self.result.mode is Mode.FULL
                or self.collector is not None
                or self.reader.serialized
            ),
        )
        tags = ManifestTable(ordered[True], payload=False, duplicate_is_error=strict)
        self.result.payload_algorithms = list(payload.algorithms)
        self.result.tag_algorithms = list(tags.algorithms)
        if not payload.algorithms:
            self.report.add("manifest-missing", "no manifest-ALGORITHM.txt at the top of the bag")
        elif set(payload.algorithms) <= fixity.WEAK:
            self.report.add(
                "manifest-algorithm-weak",
                "only " + " and ".join(payload.algorithms) + " digests; add sha256 or sha512",
                payload.manifest_names[0],
            )
        return payload, tags

    def _load(self, table: ManifestTable, *, twins: bool = False) -> None:
        """Read a table's manifests; ``twins``: find its portable twins (:attr:`twins`).

        A table without digests that meets a line whose digest matters (a path listed again
        in one manifest), or twins (compared by digest), is read again with its digests: what
        the first reading reported is taken back, so the problems are those of one reading
        with digests, in the same order."""
        mark = len(self.report.problems)
        try:
            self._read_manifests(table)
            found = table.portable_twins() if twins else {}
            if found and not table.digests:
                raise mtable.NeedDigests(next(iter(found)))
        except mtable.NeedDigests:
            del self.report.problems[mark:]
            table.keep_digests()
            self._read_manifests(table)
            found = table.portable_twins() if twins else {}
        if twins:
            self.twins = found
        for path, having, missing in table.disagreements():
            self.report.add(
                "manifests-disagree",
                f"{path} is listed in {', '.join(having)} but not in {', '.join(missing)}",
                missing[0],
            )

    def _read_manifests(self, table: ManifestTable) -> None:
        for index, name in enumerate(table.manifest_names):
            table.load(index, self._blocks(name, table.taker(index)), self.report)

    # -- payload ------------------------------------------------------------------------------
    def _payload(self, table: ManifestTable, load: Callable[[], None]) -> None:
        """Walk (and in full mode hash) the payload; ``load`` reads the manifests.

        In full mode the hashing workers start on the first files before the manifests are
        read (their algorithms are known from their names), so reading them overlaps hashing.
        """
        unlisted: list[FileEntry] = []
        specials: list[str] = []
        counts = [0, 0]  # files, bytes

        # whether a folder listed so far has a name that may be an operating-system file's:
        # until one has, no file is looked at for it (each folder's names are listed before
        # its files are given, or, in an archive, every folder's before any file)
        suspects = [False]

        def on_names(folder: str, names: list[str]) -> None:
            plain, maybe_os = _folder_names(names)
            if maybe_os:
                suspects[0] = True
            if plain:
                return  # no two names can differ only by case or normalization
            finder = CollisionFinder(case=True)
            for name in names:
                for c in finder.add(name):
                    self.report.add(
                        f"name-{c.kind}-collision",
                        f"{c.first!r} and {c.second!r} differ only by {c.kind}",
                        f"{folder}/{c.second}",
                    )

        collector = self.collector
        kept = self.kept

        def regular(files: list[FileEntry]) -> tuple[list[FileEntry], list[str]]:
            """The regular files of a folder's (counted) and their paths; the others
            reported."""
            if collector is not None:
                for entry in files:
                    collector.add_payload(entry)
            paths = list(map(_path, files))
            if suspects[0] and _maybe_os_files(paths):
                for entry in files:
                    if is_os_file(entry.path.rpartition("/")[2]):
                        self.report.add(
                            "os-special-file",
                            "an operating-system file is in the payload",
                            entry.path,
                        )
            if list(map(_special, files)).count(None) != len(files):
                for entry in files:
                    if entry.special is not None:
                        self.report.add(
                            "file-unreadable",
                            f"not a regular file ({entry.special}); not read",
                            entry.path,
                        )
                        specials.append(entry.path)
                files = [entry for entry in files if entry.special is None]
                paths = list(map(_path, files))
            counts[0] += len(files)
            counts[1] += sum(map(_size, files))
            return files, paths

        def regular_files() -> Iterator[FileEntry]:
            for files in self.reader.payload_folders(on_names):
                yield from regular(files)[0]

        declared = self.decl.payload_oxum[0] if self.decl.payload_oxum else None
        hashed = table.algorithms
        proving = vouching_algorithm(hashed) if self.vouched is not None else None
        if proving is not None:
            self.proving = (proving, hashed.index(proving))
            hashed = (proving,)
        walk = None
        if self.result.mode is Mode.FULL and table.algorithms and self.processes == 1:
            walk = self.reader.digest_folders(
                hashed, on_names, total_bytes=declared, progress=self.progress
            )
        if walk is not None:
            load()
            for files, digested in walk:
                regular(files)
                for done in digested:
                    self._check_digests(done, table, unlisted)
        elif self.result.mode is Mode.FULL and table.algorithms:
            results = self.reader.digest(
                regular_files(),
                hashed,
                processes=self.processes,
                total_bytes=declared,
                progress=self.progress,
            )
            first = next(results, None)  # starts the workers
            load()
            if first is not None:
                self._check_digests(first, table, unlisted)
            for done in results:
                self._check_digests(done, table, unlisted)
        else:
            load()
            entries = table.entries  # (a table read again has new entries)
            order = self._walk_order(table)
            taken = 0
            for batch in self.reader.payload_folders(on_names, identify=False):  # none hashed
                files, paths = regular(batch)
                if order is not None:
                    if order[taken : taken + len(paths)] == paths:
                        taken += len(paths)
                        continue
                    for path in order[:taken]:
                        del entries[path]
                    order = None
                if all(map(entries.__contains__, paths)):  # the common case: all listed
                    values = list(map(entries.pop, paths))
                    if kept is not None:
                        kept.update(zip(paths, values, strict=True))
                    continue
                for entry in files:
                    key = entry.path if entry.path in entries else self._fallback(entry.path, table)
                    if key is None:
                        unlisted.append(entry)
                    elif kept is not None:
                        kept[key] = entries.pop(key)
                    else:
                        del entries[key]
            if order is not None:  # every folder in step
                if taken == len(entries):
                    entries.clear()
                else:
                    for path in order[:taken]:
                        del entries[path]
        entries = table.entries
        for path in specials:
            entries.pop(path, None)
        for folder, reason in self.reader.unreadable_folders:
            self.report.add(
                "file-unreadable",
                f"cannot list this folder ({reason}); its files are not checked",
                folder,
            )
        self.result.payload_files, self.result.payload_bytes = counts
        for entry in unlisted:
            self.report.add(
                "payload-file-unlisted",
                f"{entry.path} ({entry.size} bytes) is in no payload manifest",
                entry.path,
            )
        pending = [0, 0]
        unknown_length = False
        for path in sorted(entries):
            fetch = self.fetch.get(path)
            if fetch is not None:
                self.report.add(
                    "fetch-file-pending",
                    f"not in the bag: fetch it from {fetch.url} (fetch.txt line {fetch.line})",
                    path,
                    severity=Severity.INFO if self.allow_holey else None,
                )
                pending[0] += 1
                pending[1] += fetch.length or 0
                unknown_length |= fetch.length is None
            elif not self._listed_twice(path, table):
                self.report.add(
                    "payload-file-missing", f"{path} is listed in the manifests but absent", path
                )
        if kept is not None:
            kept.update(entries)  # listed but absent (fetch.txt): their digests still count
        entries.clear()
        self.result.fetch_pending = pending[0]
        self._oxum(counts[1] + pending[1], counts[0] + pending[0], unknown_length)

    def _walk_order(self, table: ManifestTable) -> list[str] | None:
        """The payload table's paths in their order, for a walk that hashes nothing and keeps
        no digests: while it meets them in that order (the common case: the manifests list
        the files as a walk finds them), a folder's paths are compared with the next ones at
        once (no lookup of each) and taken off the table at the end, or at the first folder
        out of step, before that folder is checked as usual."""
        if self.kept is not None or not isinstance(table.entries, dict):
            return None
        return list(table.entries)

    def _listed_twice(self, path: str, table: ManifestTable) -> bool:
        """Whether an absent entry is a present file listed again under a name that differs
        only by Unicode normalization or case, with the same digests (reported as a warning:
        the bag is portable only between file systems that treat the names alike)."""
        value = table.entries[path]
        for other, other_value in self.twins.get(path, ()):
            if other in table.entries or not table.same_digests(value, other_value):
                continue  # the other name is absent too, or it is another file
            import unicodedata  # (only for names listed twice: most bags never load it)

            nfc = unicodedata.normalize("NFC", path) == unicodedata.normalize("NFC", other)
            kind, risk = (
                ("normalization", "file systems that do not normalize names (Linux)")
                if nfc
                else ("case", "case-insensitive file systems (macOS, Windows)")
            )
            self.report.add(
                f"manifest-duplicate-{kind}",
                f"listed again as {other!r}, which differs only by {kind}, with the same "
                f"digest; only {other!r} is in the bag (one file on {risk}, two names here)",
                path,
            )
            return True
        return False

    def _fallback(self, path: str, table: ManifestTable) -> str | None:
        """The manifest's name for a file listed under another form of its name, or None."""
        entries = table.entries
        if not path.isascii():
            for form in ("NFC", "NFD"):
                other = _normalize(form, path)
                if other != path and other in entries:
                    self.report.add(
                        "name-normalization-collision",
                        f"the manifests list this file in Unicode {form} form ({other!r})",
                        path,
                    )
                    return other
        if "%" in path and path in table.raw_names:
            decoded = table.raw_names[path]
            if decoded in entries:
                self.report.add(
                    "manifest-percent-unencoded",
                    "the manifests list this name with '%' not percent-encoded (as "
                    "bagit-python writes it); read as the literal name",
                    path,
                )
                return decoded
        return None

    def _check_digests(
        self, done: Digested, table: ManifestTable, unlisted: list[FileEntry]
    ) -> None:
        key = done.path if done.path in table.entries else self._fallback(done.path, table)
        if key is None:
            unlisted.append(FileEntry(done.path, done.size))
            return
        value = table.entries.pop(key)
        if self.kept is not None:
            self.kept[key] = value
        if self.proving is not None and done.digests is not None:
            done = self._vouched(done, table.algorithms)  # (hashed with one algorithm)
        computed = done.digests
        if computed is None:
            self.report.add("file-unreadable", f"cannot read: {done.error}", done.path)
            return
        if value[0] == table.full_mask and value[1:] == b"".join(computed):
            return  # every manifest lists it, every digest matches (compared at once)
        for alg, expected, actual in table.mismatches(value, computed):
            self.report.add(
                "payload-digest-mismatch",
                f"{alg} expected {expected}, found {actual}",
                done.path,
            )

    def _vouched(self, done: Digested, algorithms: tuple[str, ...]) -> Digested:
        """A file hashed with the proving algorithm only: its digests for every algorithm,
        the vouched ones when its bytes are those vouched for, else computed again."""
        assert self.vouched is not None and self.proving is not None and done.digests
        proving, index = self.proving
        given = self.vouched.get(done.path)
        if given is not None and given.get(proving) == done.digests[0].hex():
            try:
                return done._replace(
                    digests=[
                        done.digests[0] if n == index else bytes.fromhex(given[a])
                        for n, a in enumerate(algorithms)
                    ]
                )
            except (KeyError, ValueError):
                pass  # not vouched for with every algorithm: hashed with them all
        entry = FileEntry(done.path, done.size)
        return next(iter(self.reader.digest([entry], algorithms)))

    def _oxum(self, octets: int, files: int, unknown_length: bool) -> None:
        declared = self.decl.payload_oxum
        if declared is None:
            return
        name = self.decl.bag_info_name or "bag-info.txt"
        line = next((t.line for t in self.decl.bag_info if t.label.lower() == "payload-oxum"), None)
        if files != declared[1] or (not unknown_length and octets != declared[0]):
            self.report.add(
                "payload-oxum-mismatch",
                f"Payload-Oxum says {declared[0]}.{declared[1]}, the payload is {octets}.{files}"
                + (" (counting files still to fetch)" if self.result.fetch_pending else ""),
                name,
                line,
            )

    # -- tag files ----------------------------------------------------------------------------
    def _tags(self, table: ManifestTable) -> None:
        own = set(table.manifest_names)
        present: list[FileEntry] = []
        for path in sorted(table.entries):
            if path in own:
                table.entries.pop(path)
                continue
            if not self.reader.is_file(path):
                special = self.reader.special(path)
                if special is not None:
                    if path not in self.special_tags:  # (else reported with the tag files)
                        self.report.add(
                            "file-unreadable",
                            f"not a regular file ({special}); never opened or followed",
                            path,
                        )
                else:
                    self.report.add(
                        "tag-file-missing", "a tag manifest lists this file but it is absent", path
                    )
                table.entries.pop(path)
                continue
            present.append(FileEntry(path, 0))
        if self.result.mode is not Mode.FULL or not present:
            table.entries.clear()
            return
        for done in self.reader.digest(present, table.algorithms, processes=1):
            value = table.entries.pop(done.path)
            if done.digests is None:
                self.report.add("file-unreadable", f"cannot read: {done.error}", done.path)
                continue
            if self.kept_tags is not None:
                self.kept_tags[done.path] = value
            for alg, expected, actual in table.mismatches(value, done.digests):
                self.report.add(
                    "tag-digest-mismatch", f"{alg} expected {expected}, found {actual}", done.path
                )
