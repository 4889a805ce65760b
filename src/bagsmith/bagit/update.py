"""Regenerate an existing bag's manifests, tag manifests and Payload-Oxum in place.

Payload files are only read, never written. The new tag files are written under temporary
names inside the bag, flushed, and renamed over the old ones only once every digest is known
(payload manifests first, then bag-info.txt, then the tag manifests), so an interrupted update
leaves the old tag files as they were.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .. import fixity
from ..errors import BagError, DestinationError, InputError
from ..problems import Problem
from . import tagfiles
from .manifest import format_line, manifest_name, split_manifest_name
from .payload import EmptyDirs, Hidden, OsFiles, PayloadPolicy, Symlinks, scan_sources
from .staging import pid_alive, sync_filesystem
from .writer import PayloadTotals, bag_size, check_user_tags, tag_manifest_texts

_TMP = ".bagsmith-tmp-"


@dataclass
class UpdateSummary:
    totals: PayloadTotals
    algorithms: tuple[str, ...]
    warnings: list[Problem] = field(default_factory=list)


def _read_declaration(bag: Path) -> str:
    """The tag file encoding bagit.txt declares (a Python codec name)."""
    path = bag / "bagit.txt"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BagError("not a bag: there is no bagit.txt", path=bag) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    text = raw.decode("utf-16") if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else None
    if text is None:
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    tags, _ = tagfiles.parse_tags(text)
    declared = tagfiles.first_value(tags, "Tag-File-Character-Encoding") or "UTF-8"
    try:
        return codecs.lookup(declared).name
    except LookupError:
        raise BagError(
            f"bagit.txt declares an unknown tag file encoding {declared!r}",
            path=path,
            field="Tag-File-Character-Encoding",
        ) from None


def _existing_manifests(bag: Path) -> tuple[list[str], list[str]]:
    """(payload manifest algorithms, names of every manifest and tag manifest file)."""
    algs: list[str] = []
    names: list[str] = []
    for name in sorted(os.listdir(bag)):
        parsed = split_manifest_name(name)
        if parsed is None or not (bag / name).is_file():
            continue
        names.append(name)
        is_tag, alg = parsed
        if not is_tag and alg in fixity.SUPPORTED:
            algs.append(alg)
    return algs, names


def _merge_info(
    old: list[tuple[str, str]], updates: Sequence[tuple[str, str]], totals: PayloadTotals
) -> list[tuple[str, str]]:
    """Replace every tag named in ``updates`` (all its occurrences) and the computed tags."""
    new = [*updates, ("Payload-Oxum", totals.oxum), ("Bag-Size", bag_size(totals.bytes))]
    replaced = {label.lower() for label, _ in new}
    out: list[tuple[str, str]] = []
    placed: set[str] = set()
    for label, value in old:
        key = label.lower()
        if key not in replaced:
            out.append((label, value))
        elif key not in placed:  # the new values go where the old ones were
            out.extend(t for t in new if t[0].lower() == key)
            placed.add(key)
    out.extend(t for t in new if t[0].lower() not in placed)
    return out


def _read_info(bag: Path, encoding: str) -> list[tuple[str, str]]:
    path = bag / "bag-info.txt"
    if not path.is_file():
        return []
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise BagError(f"bag-info.txt is not valid {encoding}: {exc.reason}", path=path) from None
    tags, errors = tagfiles.parse_tags(text)
    if errors:
        raise BagError(f"cannot read this line: {errors[0].text!r}", path=path, line=errors[0].line)
    return [(t.label, t.value) for t in tags]


def _tag_files(bag: Path, skip: set[str]) -> list[str]:
    """Every file outside data/ except tag manifests and ``skip``, as bag-relative paths."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(bag):
        rel = os.path.relpath(dirpath, bag)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d != "data"]
        for name in filenames:
            relpath = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
            parsed = split_manifest_name(name)
            if relpath in skip or _TMP in name or (rel == "." and parsed and parsed[0]):
                continue
            out.append(relpath)
    return sorted(out)


def regenerate_tag_files(
    bag: Path,
    *,
    algorithms: Sequence[str] | None = None,
    info: Sequence[tuple[str, str]] = (),
    processes: int = 1,
    progress: Callable[[int, int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> UpdateSummary:
    """Regenerate the manifests, tag manifests, Payload-Oxum and Bag-Size of the bag folder
    ``bag`` (``info``: tags to set). ``progress(done_bytes, done_files)`` follows the hashing,
    whose total in bytes ``on_total`` is told once the payload has been listed."""
    if not bag.is_dir():
        raise InputError("no such bag folder", path=bag)
    encoding = _read_declaration(bag)
    if (bag / "fetch.txt").exists():
        raise BagError(
            "bagsmith update does not handle bags with fetch.txt (files still to be fetched)",
            path=bag / "fetch.txt",
        )
    if not (bag / "data").is_dir():
        raise BagError("the bag has no data/ folder", path=bag)
    check_user_tags(info)
    _remove_stale_temps(bag)
    old_algs, old_manifests = _existing_manifests(bag)
    algs = tuple(algorithms) if algorithms else tuple(old_algs) or fixity.DEFAULT_ALGORITHMS
    old_info = _read_info(bag, encoding)

    policy = PayloadPolicy(Symlinks.REFUSE, EmptyDirs.SKIP, Hidden.INCLUDE, OsFiles.INCLUDE)
    plan = scan_sources([bag / "data"], policy)
    if on_total is not None:
        on_total(plan.total_bytes)
    warnings = [
        Problem("update-empty-folder", "empty folder: manifests cannot list folders", w.path)
        for w in plan.warnings
        if w.code == "source-empty-folder-skipped" and w.path != str(bag / "data")
    ]
    tmp = f"{_TMP}{os.getpid()}"
    written: list[tuple[Path, Path]] = []  # (temporary, final)
    replaced: list[str] = []

    def open_tmp(name: str) -> tuple[Path, Path]:
        pair = (bag / f".{name}{tmp}", bag / name)
        written.append(pair)
        return pair

    try:
        files = total = 0
        with ExitStack() as stack:
            handles = [
                stack.enter_context(
                    open(open_tmp(manifest_name(alg))[0], "w", encoding=encoding, newline="\n")
                )
                for alg in algs
            ]
            jobs = (fixity.HashJob(f.relpath, f.source or "", f.size) for f in plan.files)
            for res in fixity.hash_many(
                jobs, algs, processes=processes, total_bytes=plan.total_bytes, progress=progress
            ):
                if res.digests is None:
                    raise InputError(f"cannot read the file: {res.error}", path=bag / res.key)
                for fh, alg in zip(handles, algs, strict=True):
                    fh.write(format_line(res.digests[alg], res.key))
                files += 1
                total += res.size
        totals = PayloadTotals(files, total)
        info_tmp, _ = open_tmp("bag-info.txt")
        text = tagfiles.format_tags(_merge_info(old_info, info, totals))
        try:
            info_tmp.write_bytes(text.encode(encoding))
        except UnicodeEncodeError:
            raise BagError(
                f"a tag value cannot be written in the bag's tag encoding ({encoding})",
                path=bag / "bag-info.txt",
            ) from None
        entries = [(final.name, t) for t, final in written]
        obsolete = {n for n in old_manifests if split_manifest_name(n) not in _keep(algs)}
        skip = {final.name for _, final in written} | obsolete
        entries += [(name, bag / name) for name in _tag_files(bag, skip)]
        for alg, body in tag_manifest_texts(entries, algs).items():
            t, _ = open_tmp(manifest_name(alg, tag=True))
            t.write_bytes(body.encode(encoding))
        sync_filesystem(bag)
        for t, final in written:
            os.replace(t, final)
            replaced.append(final.name)
        for name in obsolete:
            (bag / name).unlink(missing_ok=True)
    except OSError as exc:  # disk full, permission, I/O error: a problem, never a traceback
        where = exc.filename or bag
        if replaced:
            state = "these tag files were already replaced: " + ", ".join(replaced)
        else:
            state = "the bag's tag files were left as they were"
        raise DestinationError(
            f"cannot write the new tag files: {exc.strerror or exc}; {state}", path=where
        ) from None
    finally:
        for t, _ in written:
            t.unlink(missing_ok=True)
    return UpdateSummary(totals, algs, warnings)


def _remove_stale_temps(bag: Path) -> None:
    """Temporary tag files left in the bag by an update that was killed."""
    for name in os.listdir(bag):
        head, sep, pid = name.rpartition(_TMP)
        if sep and head.startswith(".") and pid.isdigit() and not pid_alive(int(pid)):
            (bag / name).unlink(missing_ok=True)


def _keep(algs: Sequence[str]) -> list[tuple[bool, str]]:
    return [(tag, a) for a in algs for tag in (False, True)]
