"""What a bag holds, read without hashing: declaration, bag-info tags, manifests, file lists.

:func:`read_contents` is the read side of the public :class:`bagsmith.Bag`: it opens a folder
or a zip/tar/tgz bag (archives are streamed, never extracted), reads bagit.txt, bag-info.txt
and every manifest and tag manifest, and lists the files present. It checks nothing beyond
what it needs to read (that is :func:`bagsmith.bagit.validate.validate_bag`'s job): lines it
cannot read are recorded in ``problems`` and left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import BagError
from ..problems import Problem, Report
from .declaration import read_declaration
from .manifest import LineProblem, parse_line, split_manifest_name
from .reader import TagDecodeError, open_bag


@dataclass(frozen=True)
class BagContents:
    """One bag as read from disk (see :func:`read_contents`)."""

    location: str  # the folder or archive
    format: str  # "folder" | "zip" | "tar" | "tgz"
    bagit_version: str | None
    tag_encoding: str
    info: tuple[tuple[str, str], ...]  # bag-info tags in file order, repeats kept
    manifests: dict[str, dict[str, str]]  # algorithm -> {payload path: hex digest}
    tag_manifests: dict[str, dict[str, str]]  # algorithm -> {tag file path: hex digest}
    payload: tuple[str, ...]  # files present under data/, bag-relative, sorted
    tag_files: tuple[str, ...]  # files present outside data/, bag-relative, sorted
    problems: tuple[Problem, ...]  # what could not be read (lines left out)


def read_contents(path: str | Path) -> BagContents:
    """Read the bag at ``path`` (folder or archive) without hashing anything.

    Raises :class:`~bagsmith.errors.InputError` when the path cannot be read and
    :class:`~bagsmith.errors.BagError` when it is not a bag (no bagit.txt at its top).
    """
    reader = open_bag(path, hash_payload=False)
    report = Report(str(path))
    decl = read_declaration(reader, report)
    if decl is None:
        raise BagError("not a bag: there is no bagit.txt at its top", path=path)
    tag_files = sorted(e.path for e in reader.tag_files())
    payload = sorted(e.path for e in reader.payload_files() if e.special is None)
    manifests: dict[bool, dict[str, dict[str, str]]] = {False: {}, True: {}}
    for name in tag_files:
        split = split_manifest_name(name) if "/" not in name else None
        if split is None:
            continue
        is_tag, algorithm = split
        entries = manifests[is_tag].setdefault(algorithm, {})
        try:
            for number, line in reader.lines(name, decl.codec):
                if not line.strip():
                    continue
                parsed = parse_line(line)
                if isinstance(parsed, LineProblem):
                    report.add(parsed.code, parsed.message, name, number)
                else:
                    entries.setdefault(parsed.path, parsed.digest)
        except TagDecodeError as exc:
            report.add("tag-file-undecodable", f"not valid {exc.encoding} ({exc.reason})", name)
        except OSError as exc:
            report.add("file-unreadable", f"cannot read {name}: {exc.strerror or exc}", name)
    return BagContents(
        location=reader.location,
        format=reader.format,
        bagit_version=decl.version,
        tag_encoding=decl.encoding,
        info=tuple((t.label, t.value) for t in decl.bag_info),
        manifests=manifests[False],
        tag_manifests=manifests[True],
        payload=tuple(payload),
        tag_files=tuple(tag_files),
        problems=tuple(report.problems),
    )
