"""What a bag declares and holds, for checks that build on validation (BagIt profiles, METS).

One type, :class:`BagFacts`, is produced two ways from the same code:

* by the validator, as a by-product of its single pass over the bag
  (``validate_bag(..., facts=True)``), so a profile or METS check never reads the bag again;
* by :func:`read_bag_facts`, for callers that only want the facts (no manifests, no hashing).

:class:`BagFacts` is plain data: checks in :mod:`.profile_check` take it, tests build it by
hand, and it works the same for folders and for zip/tar/tgz bags read by streaming.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import fixity
from ..errors import BagError
from ..problems import Problem, Report
from .declaration import Declaration, read_declaration
from .fetch import FetchEntry, parse_fetch
from .manifest import split_manifest_name
from .reader import BagReader, FileEntry, TagDecodeError, open_bag


class ManifestDigests(Mapping[str, Mapping[str, str]]):
    """Payload manifest digests by bag-relative path: ``{path: {algorithm: hex}}``.

    Kept as the validator's compact table stores them (raw bytes, one value per file) and
    decoded to hex only when looked up, so keeping them costs no more than reading them did.
    """

    def __init__(
        self,
        algorithms: Sequence[str],
        offsets: Sequence[int],
        values: dict[str, bytes],
    ) -> None:
        self._algorithms = tuple(algorithms)
        self._offsets = tuple(offsets)
        self._values = values

    def __getitem__(self, path: str) -> Mapping[str, str]:
        value = self._values[path]
        out: dict[str, str] = {}
        for index, (alg, start) in enumerate(zip(self._algorithms, self._offsets, strict=True)):
            if value[0] & (1 << index):
                out[alg] = value[start : start + fixity.SUPPORTED[alg] // 2].hex()
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class BagFacts:
    """What checks beyond RFC 8493 need to know about one bag.

    * ``bagit_version``: from bagit.txt ('' when it has no valid version line);
    * ``info`` / ``info_lines``: every bag-info tag in file order, repeats kept, as
      (label, value), and the line each starts on in ``bag_info_name``;
    * ``payload_manifest_algorithms`` / ``tag_manifest_algorithms``: from the names of the
      top-level ``manifest-ALG.txt`` / ``tagmanifest-ALG.txt`` files, lower case;
    * ``tag_files``: every file outside ``data/`` (bagit.txt, bag-info.txt, manifests and
      fetch.txt included), bag-relative, sorted;
    * ``payload_files``: every entry under ``data/`` actually present (links and other special
      files included), ``payload_octets`` the bytes of the regular ones;
    * ``fetch_paths``: the payload paths fetch.txt lists (still to fetch);
    * ``serialization``: None for a folder, else ``zip``, ``tar`` or ``tgz``;
    * ``manifest_digests``: the payload manifests' digests, when the validator kept them;
      ``tag_manifest_digests`` likewise, for the tag files it read and checked (full mode);
    * ``problems``: what was wrong with bagit.txt / bag-info.txt / fetch.txt
      (:func:`read_bag_facts` only; the validator reports these itself).
    """

    bagit_version: str = ""
    info: tuple[tuple[str, str], ...] = ()
    info_lines: tuple[int, ...] = ()
    payload_manifest_algorithms: frozenset[str] = frozenset()
    tag_manifest_algorithms: frozenset[str] = frozenset()
    tag_files: tuple[str, ...] = ()
    payload_files: tuple[str, ...] = ()
    payload_octets: int = 0
    has_fetch: bool = False
    fetch_paths: tuple[str, ...] = ()
    serialization: str | None = None  # None (a folder) | "zip" | "tar" | "tgz" | "7z"
    bag_info_name: str = "bag-info.txt"
    location: str = ""
    tag_encoding: str = "UTF-8"
    problems: tuple[Problem, ...] = ()
    manifest_digests: ManifestDigests | None = field(default=None, repr=False, compare=False)
    tag_manifest_digests: ManifestDigests | None = field(default=None, repr=False, compare=False)

    @property
    def serialized(self) -> bool:
        return self.serialization is not None

    @property
    def bag_info(self) -> tuple[tuple[str, str], ...]:
        return self.info

    @property
    def payload_algorithms(self) -> tuple[str, ...]:
        return tuple(sorted(self.payload_manifest_algorithms))

    @property
    def tag_algorithms(self) -> tuple[str, ...]:
        return tuple(sorted(self.tag_manifest_algorithms))

    @property
    def fetch_entries(self) -> int:
        return len(self.fetch_paths)

    def info_values(self, label: str) -> list[str]:
        """Every value of a bag-info tag (labels compare case-insensitively)."""
        wanted = label.lower()
        return [v for k, v in self.info if k.lower() == wanted]

    def line_of(self, index: int) -> int | None:
        """The bag-info line of the ``index``-th entry of ``info`` (None when unknown)."""
        return self.info_lines[index] if index < len(self.info_lines) else None


class FactsCollector:
    """Gathers :class:`BagFacts` while something else walks the bag (the validator, or
    :func:`read_bag_facts`): payload entries are added one by one, the rest at the end."""

    def __init__(self) -> None:
        self.payload: list[str] = []
        self.octets = 0

    def add_payload(self, entry: FileEntry) -> None:
        self.payload.append(entry.path)
        if entry.special is None:
            self.octets += entry.size

    def build(
        self,
        reader: BagReader,
        decl: Declaration,
        tag_files: Sequence[str],
        fetch: Mapping[str, FetchEntry],
        *,
        problems: Sequence[Problem] = (),
        digests: ManifestDigests | None = None,
        tag_digests: ManifestDigests | None = None,
    ) -> BagFacts:
        algs: dict[bool, set[str]] = {False: set(), True: set()}
        for name in tag_files:
            split = split_manifest_name(name) if "/" not in name else None
            if split is not None:
                algs[split[0]].add(split[1])
        return BagFacts(
            bagit_version=decl.version or "",
            info=tuple((t.label, t.value) for t in decl.bag_info),
            info_lines=tuple(t.line for t in decl.bag_info),
            payload_manifest_algorithms=frozenset(algs[False]),
            tag_manifest_algorithms=frozenset(algs[True]),
            tag_files=tuple(sorted(tag_files)),
            payload_files=tuple(self.payload),
            payload_octets=self.octets,
            has_fetch="fetch.txt" in tag_files,
            fetch_paths=tuple(fetch),
            serialization=reader.format if reader.serialized else None,
            bag_info_name=decl.bag_info_name or "bag-info.txt",
            location=reader.location,
            tag_encoding=decl.encoding,
            problems=tuple(problems),
            manifest_digests=digests,
            tag_manifest_digests=tag_digests,
        )


def read_bag_facts(path: str | Path) -> BagFacts:
    """Facts about the bag at ``path`` (folder or archive), without reading manifests or hashing.

    Raises :class:`~bagsmith.errors.InputError` for an unreadable path and
    :class:`~bagsmith.errors.BagError` when there is no bagit.txt (not a bag).
    """
    reader = open_bag(path, hash_payload=False)
    report = Report(str(path))
    decl = read_declaration(reader, report)
    if decl is None:
        raise BagError(f"{path} is not a bag: it has no bagit.txt", path=path)
    collector = FactsCollector()
    for entry in reader.payload_files():
        collector.add_payload(entry)
    tag_files = [e.path for e in reader.tag_files()]
    fetch: dict[str, FetchEntry] = {}
    if "fetch.txt" in tag_files:
        try:
            fetch = parse_fetch(reader.lines("fetch.txt", decl.codec), report)
        except TagDecodeError as exc:
            report.add(
                "tag-file-undecodable", f"not valid {exc.encoding} ({exc.reason})", "fetch.txt"
            )
        except OSError as exc:
            report.add("file-unreadable", f"cannot read fetch.txt: {exc}", "fetch.txt")
    return collector.build(reader, decl, tag_files, fetch, problems=report.problems)
