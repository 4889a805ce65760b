"""A structured summary of one bag, for checks that build on it (BagIt profiles, reports).

:func:`read_bag_facts` reads only the declaration, bag-info and the names of the tag files; it
never hashes. The payload file list is available lazily through :meth:`BagFacts.payload_files`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BagError
from ..problems import Problem, Report
from .declaration import read_declaration
from .manifest import split_manifest_name
from .reader import BagReader, open_bag


@dataclass(frozen=True)
class BagFacts:
    """What a bag declares about itself.

    * ``bag_info``: every bag-info tag in file order, repeats kept, as (label, value).
    * ``payload_algorithms`` / ``tag_algorithms``: from the names of the top-level
      ``manifest-ALG.txt`` / ``tagmanifest-ALG.txt`` files, lower case, sorted.
    * ``tag_files``: every file outside ``data/``, bag-relative, sorted.
    * ``serialization``: None for a folder, else ``zip``, ``tar`` or ``tgz``.
    * ``problems``: what was wrong with bagit.txt / bag-info.txt (full checks: validate_bag).
    """

    location: str
    serialization: str | None
    bagit_version: str | None
    tag_encoding: str
    bag_info: tuple[tuple[str, str], ...]
    payload_algorithms: tuple[str, ...]
    tag_algorithms: tuple[str, ...]
    tag_files: tuple[str, ...]
    has_fetch: bool
    problems: tuple[Problem, ...] = ()
    _reader: BagReader | None = field(default=None, repr=False, compare=False)

    @property
    def serialized(self) -> bool:
        return self.serialization is not None

    def info_values(self, label: str) -> list[str]:
        """Every value of a bag-info tag (labels compare case-insensitively)."""
        wanted = label.lower()
        return [v for k, v in self.bag_info if k.lower() == wanted]

    def payload_files(self) -> Iterator[tuple[str, int]]:
        """(bag-relative path, size) of every payload file, streaming, sorted per folder."""
        if self._reader is None:
            return
        for entry in self._reader.payload_files():
            yield entry.path, entry.size


def read_bag_facts(path: str | Path) -> BagFacts:
    """Facts about the bag at ``path`` (folder or archive).

    Raises :class:`~bagsmith.errors.InputError` for an unreadable path and
    :class:`~bagsmith.errors.BagError` when there is no bagit.txt (not a bag).
    """
    reader = open_bag(path, hash_payload=False)
    report = Report(str(path))
    decl = read_declaration(reader, report)
    if decl is None:
        raise BagError(f"{path} is not a bag: it has no bagit.txt", path=path)
    tag_files = tuple(e.path for e in reader.tag_files())
    algs: dict[bool, set[str]] = {False: set(), True: set()}
    for name in tag_files:
        split = split_manifest_name(name) if "/" not in name else None
        if split is not None:
            algs[split[0]].add(split[1])
    return BagFacts(
        location=str(path),
        serialization=reader.format if reader.serialized else None,
        bagit_version=decl.version,
        tag_encoding=decl.encoding,
        bag_info=tuple((t.label, t.value) for t in decl.bag_info),
        payload_algorithms=tuple(sorted(algs[False])),
        tag_algorithms=tuple(sorted(algs[True])),
        tag_files=tag_files,
        has_fetch="fetch.txt" in tag_files,
        problems=tuple(report.problems),
        _reader=reader,
    )
