"""Write a bag's payload and tag files (RFC 8493).

The payload is copied and hashed in **one read pass**: each file is read in chunks, every chunk
updates one hasher per algorithm and is written to the bag. Worker processes take batches sized
by bytes (:func:`bagsmith.fixity.batch_target`); results come back in order and their manifest
lines are streamed straight to the manifest files, so memory does not grow with the digests.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .. import fixity
from ..errors import DestinationError, InputError, UsageError
from . import tagfiles
from .manifest import format_line, manifest_name, unsafe_reason
from .payload import PayloadPlan, SourceFile

Progress = Callable[[int, int], None]

#: bag-info labels bagsmith computes itself; ``--info`` cannot set them.
COMPUTED_TAGS = ("Payload-Oxum", "Bag-Size")

_OPEN_WRITE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_BUFFER = 1024 * 1024
#: Files per batch copied in this process (one process): the manifest lines of a batch are
#: written together, so memory holds at most two batches' worth, whatever the file count.
BATCH_FILES = 2000


@dataclass(frozen=True)
class PayloadTotals:
    files: int
    bytes: int

    @property
    def oxum(self) -> str:
        return f"{self.bytes}.{self.files}"


# ---- copy + hash (runs in worker processes) --------------------------------------------------


class _CopyError(Exception):
    def __init__(self, side: str, exc: OSError) -> None:
        super().__init__(exc.strerror or str(exc))
        self.side = side  # "source" or "destination"


@dataclass(frozen=True)
class BatchResult:
    """One batch copied: manifest text per algorithm (lines in batch order) and totals; or,
    when the digests are kept, the digests of each file (one per algorithm) instead."""

    texts: list[str]
    bytes: int
    files: int
    error: tuple[int, str, str] | None = None  # (index in batch, side, message)
    digests: list[list[str]] | None = None


#: Digests by bag path: ``{relpath: {algorithm: hex}}``.
Digests = dict[str, dict[str, str]]


def _hashers(algorithms: Sequence[str]) -> list[Any]:
    return [getattr(hashlib, a)() for a in algorithms]


def _copy_one(src: str | None, dst: str, mtime_ns: int, size: int, hashers: list[Any]) -> int:
    """Copy ``src`` to a new file ``dst`` while updating ``hashers``; returns the bytes copied."""
    try:
        rfd = os.open(src, _OPEN_READ) if src is not None else -1
    except OSError as exc:
        raise _CopyError("source", exc) from None
    try:
        try:
            wfd = os.open(dst, _OPEN_WRITE, 0o666)
        except OSError as exc:
            raise _CopyError("destination", exc) from None
        try:
            done = 0
            want = min(size + 1, _BUFFER)
            while rfd >= 0:
                try:
                    block = os.read(rfd, want)
                except OSError as exc:
                    raise _CopyError("source", exc) from None
                if not block:
                    break
                done += len(block)
                for h in hashers:
                    h.update(block)
                view = memoryview(block)
                try:
                    while view:
                        view = view[os.write(wfd, view) :]
                except OSError as exc:
                    raise _CopyError("destination", exc) from None
                if len(block) < want and done == size:  # the expected end of the file
                    break
                want = _BUFFER
            os.utime(wfd, ns=(mtime_ns, mtime_ns))
        finally:
            os.close(wfd)
    finally:
        if rfd >= 0:
            os.close(rfd)
    return done


def _copy_batch(
    root: str,
    batch: list[tuple[str | None, str, int, int]],
    algorithms: Sequence[str],
    keep: bool = False,
) -> BatchResult:
    lines: list[list[str]] = [[] for _ in algorithms]
    kept: list[list[str]] = []
    total = 0
    for index, (src, rel, mtime_ns, size) in enumerate(batch):
        hashers = _hashers(algorithms)
        try:
            total += _copy_one(src, os.path.join(root, rel), mtime_ns, size, hashers)
        except _CopyError as exc:
            return BatchResult([], total, index, (index, exc.side, str(exc)))
        if keep:
            kept.append([h.hexdigest() for h in hashers])
            continue
        for out, h in zip(lines, hashers, strict=True):
            out.append(format_line(h.hexdigest(), rel))
    if keep:
        return BatchResult([], total, len(batch), digests=kept)
    return BatchResult(["".join(chunk) for chunk in lines], total, len(batch))


def _results(
    root: Path,
    files: Sequence[SourceFile],
    algorithms: Sequence[str],
    processes: int,
    total: int,
    keep: bool,
) -> Iterator[tuple[list[SourceFile], BatchResult]]:
    def job(batch: list[SourceFile]) -> list[tuple[str | None, str, int, int]]:
        return [(f.source, f.relpath, f.mtime_ns, f.size) for f in batch]

    if processes <= 1 or (len(files) <= 32 and total < 16 * 1024 * 1024):
        for batch in fixity.batches(files, 16 * 1024 * 1024, BATCH_FILES):
            yield batch, _copy_batch(str(root), job(batch), algorithms, keep)
        return
    target = fixity.batch_target(total, processes)
    pool = fixity.process_pool(processes)

    def submit(batch: list[SourceFile]) -> Future[BatchResult]:
        return pool.submit(_copy_batch, str(root), job(batch), algorithms, keep)

    try:
        yield from fixity.in_flight(submit, fixity.batches(files, target, 512), processes * 4)
    finally:
        # On an error or interrupt: drop queued batches and wait for running ones, so nothing
        # writes into the staging folder while the caller removes it.
        pool.shutdown(wait=True, cancel_futures=True)


def make_dirs(root: Path, plan: PayloadPlan) -> None:
    (root / "data").mkdir(exist_ok=True)
    known = {"data"}
    for d in plan.dirs:
        os.makedirs(os.path.join(root, d.relpath), exist_ok=True)
        known.add(d.relpath)
    for parent in sorted(plan.files.folders() - known):  # no folder in the plan: a file source
        os.makedirs(os.path.join(root, parent), exist_ok=True)


def copy_payload(
    root: Path,
    plan: PayloadPlan,
    algorithms: Sequence[str],
    *,
    processes: int = 1,
    progress: Progress | None = None,
    digests: Digests | None = None,
) -> PayloadTotals:
    """Copy ``plan`` into ``root/data`` while hashing; write ``manifest-ALG.txt`` files.

    With ``digests``, each file's digests are put there instead and no manifest is written:
    the caller adds files of its own and writes the manifests once (:func:`write_manifests`).
    """
    make_dirs(root, plan)
    total = plan.total_bytes
    done_bytes = done_files = 0
    keep = digests is not None
    with ExitStack() as stack:
        manifests = [
            stack.enter_context(
                open(
                    root / manifest_name(a), "w", encoding="utf-8", newline="\n", buffering=_BUFFER
                )
            )
            for a in (() if keep else algorithms)
        ]
        for batch, result in _results(root, plan.files, algorithms, processes, total, keep):
            if result.error is not None:
                index, side, message = result.error
                f = batch[index]
                if side == "source":
                    raise InputError(f"cannot read the file: {message}", path=f.source)
                raise DestinationError(f"cannot write the file: {message}", path=root / f.relpath)
            for fh, text in zip(manifests, result.texts, strict=True):
                fh.write(text)
            if digests is not None and result.digests is not None:
                for f, hexes in zip(batch, result.digests, strict=True):
                    digests[f.relpath] = dict(zip(algorithms, hexes, strict=True))
            done_bytes += result.bytes
            done_files += result.files
            if progress is not None:
                progress(done_bytes, done_files)
    for d in reversed(plan.dirs):  # deepest first: writing into a folder changes its mtime
        os.utime(root / d.relpath, ns=(d.mtime_ns, d.mtime_ns))
    return PayloadTotals(done_files, done_bytes)


def write_manifests(root: Path, algorithms: Sequence[str], digests: Digests) -> None:
    """One ``manifest-ALG.txt`` per algorithm listing every file of ``digests``, by path."""
    for alg in algorithms:
        text = "".join(format_line(digests[path][alg], path) for path in sorted(digests))
        write_text(root / manifest_name(alg), text)


# ---- tag files -----------------------------------------------------------------------------


def bag_size(size: int) -> str:
    """``Bag-Size`` text: ``512 bytes``, ``4.1 KB``, ``81.9 MB`` (decimal units)."""
    if size < 1000:
        return f"{size} byte{'' if size == 1 else 's'}"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 1000 or unit == "PB":
            break
    return f"{value:.1f} {unit}"


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` (reproducible builds), or None when unset."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    text = raw.strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 20:
        raise UsageError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {raw[:40]!r}",
            field="SOURCE_DATE_EPOCH",
        )
    value = int(text)
    if value < 0:
        raise UsageError("SOURCE_DATE_EPOCH cannot be negative", field="SOURCE_DATE_EPOCH")
    if value > MAX_EPOCH:
        raise UsageError(
            f"SOURCE_DATE_EPOCH {value} is after the year 9999 (at most {MAX_EPOCH})",
            field="SOURCE_DATE_EPOCH",
        )
    return value


#: 9999-12-31T23:59:59Z: dates in bag-info.txt, METS and archives have four-digit years.
MAX_EPOCH = 253402300799


def bagging_date(epoch: int | None) -> str:
    if epoch is None:
        return date.today().isoformat()
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def check_user_tags(info: Sequence[tuple[str, str]]) -> None:
    for label, value in info:
        tagfiles.check_label(label)
        tagfiles.check_value(label, value)
        if label.lower() in (t.lower() for t in COMPUTED_TAGS):
            raise UsageError(
                f"{label} is computed by bagsmith and cannot be given as a bag-info tag ({{info}})",
                field=label,
            )


def bag_info_tags(
    info: Sequence[tuple[str, str]], totals: PayloadTotals, *, day: str, agent: str
) -> list[tuple[str, str]]:
    """User tags in the order given, then the ones bagsmith fills in (unless given)."""
    check_user_tags(info)
    given = {label.lower() for label, _ in info}
    tags = list(info)
    if "bagging-date" not in given:
        tags.append(("Bagging-Date", day))
    if "bag-software-agent" not in given:
        tags.append(("Bag-Software-Agent", agent))
    tags.append(("Payload-Oxum", totals.oxum))
    tags.append(("Bag-Size", bag_size(totals.bytes)))
    return tags


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    with open(path, "w", encoding=encoding, newline="\n") as fh:
        fh.write(text)


def tag_manifest_texts(
    entries: Sequence[tuple[str, Path]], algorithms: Sequence[str]
) -> dict[str, str]:
    """Tag manifest text per algorithm for ``(name in the bag, file to read)`` pairs."""
    digests = {name: fixity.hash_file(path, algorithms)[0] for name, path in entries}
    return {
        alg: "".join(format_line(digests[name][alg], name) for name in sorted(digests))
        for alg in algorithms
    }


#: Tag file names BagIt itself defines (top level); an extra tag file may not take them.
_RESERVED = re.compile(r"(bagit|bag-info|fetch|(tag)?manifest-[^/]*)\.txt", re.IGNORECASE)

#: Extra tag files: (the file to copy, its bag-relative name outside data/).
ExtraTagFiles = Sequence[tuple[Path, str]]


def tag_file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the bag-relative name of an extra tag file, or None."""
    reason = unsafe_reason(name)
    if reason is not None:
        return reason
    if "\\" in name:
        return "the name contains '\\' (separate folders with '/')"
    if any(part in ("", ".") for part in name.split("/")):
        return "the name has an empty or '.' part"
    if name.split("/")[0].lower() == "data":
        return "data/ holds the payload; tag files live outside it"
    if _RESERVED.fullmatch(name):
        return "BagIt itself writes this file"
    return None


def check_tag_files(files: ExtraTagFiles) -> None:
    """Refuse (UsageError/InputError, exit 2) unusable names and unreadable sources of extra
    tag files, before anything is written."""
    seen: set[str] = set()
    for source, name in files:
        reason = tag_file_name_problem(name)
        if reason is not None:
            raise UsageError(f"tag file {source}={name}: {reason}", parameter="tag_files")
        folded = name.lower()
        if folded in seen or any(
            s.startswith(folded + "/") or folded.startswith(s + "/") for s in seen
        ):
            raise UsageError(
                f"tag file {source}={name}: clashes with another tag file's name",
                parameter="tag_files",
            )
        seen.add(folded)
        try:
            if not Path(source).is_file():
                raise InputError("the tag file does not exist or is not a file", path=source)
            with open(source, "rb"):
                pass
        except OSError as exc:
            raise InputError(
                f"cannot read the tag file: {exc.strerror or exc}", path=source
            ) from None


def copy_tag_files(root: Path, files: ExtraTagFiles) -> list[str]:
    """Copy the extra tag files into ``root`` under their names (sources only read)."""
    for source, name in files:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(source, "rb") as src, open(target, "xb") as dst:
                shutil.copyfileobj(src, dst, _BUFFER)
        except FileNotFoundError as exc:
            if exc.filename is not None and Path(exc.filename) == Path(source):
                raise InputError("the tag file does not exist", path=source) from None
            raise
    return [name for _, name in files]


def write_tag_files(
    root: Path,
    algorithms: Sequence[str],
    tags: Sequence[tuple[str, str]],
    mtime: int | None,
    extra: ExtraTagFiles = (),
) -> None:
    """bagit.txt, bag-info.txt, the ``extra`` tag files and one tagmanifest per algorithm
    listing them all (manifests exist already)."""
    (root / "bagit.txt").write_bytes(tagfiles.bagit_txt())
    write_text(root / "bag-info.txt", tagfiles.format_tags(tags))
    added = copy_tag_files(root, extra)
    listed = ["bagit.txt", "bag-info.txt", *(manifest_name(a) for a in algorithms), *added]
    texts = tag_manifest_texts([(name, root / name) for name in listed], algorithms)
    for alg, text in texts.items():
        write_text(root / manifest_name(alg, tag=True), text)
    if mtime is not None:
        for name in [*listed, *(manifest_name(a, tag=True) for a in algorithms)]:
            os.utime(root / name, (mtime, mtime))
