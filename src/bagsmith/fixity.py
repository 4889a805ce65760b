"""Digest algorithms and fast, bounded-memory file hashing.

* Every file is read once, whatever the number of algorithms (one pass, several hashers).
* :func:`hash_many` spreads files over processes in batches sized by **bytes**, not by file
  count, so one process does not end up with most of the data; results come back in input order
  and only a small window of batches is in flight, so memory stays bounded however many files.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO, Protocol

from .errors import UsageError

#: Algorithms bagsmith can compute (and so verify), by their BagIt manifest name.
SUPPORTED: dict[str, int] = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
}
#: Algorithms offered when creating bags (RFC 8493 §2.4 names these as the common ones).
WRITABLE: tuple[str, ...] = ("md5", "sha1", "sha256", "sha512")
DEFAULT_ALGORITHMS: tuple[str, ...] = ("sha256", "sha512")
#: Order in which algorithms are preferred when only one needs checking.
STRENGTH: tuple[str, ...] = ("sha512", "sha384", "sha256", "sha224", "sha1", "md5")

SMALL_FILE = 4 * 1024 * 1024  # read in one call below this size
CHUNK = 8 * 1024 * 1024


class ProgressCallback(Protocol):
    def __call__(self, bytes_done: int, files_done: int) -> None: ...


def normalize_algorithm(name: str) -> str:
    """``SHA-256`` → ``sha256``; raises :class:`UsageError` for an algorithm we cannot compute."""
    canonical = name.strip().lower().replace("-", "").replace("_", "")
    if canonical not in SUPPORTED:
        raise UsageError(
            f"unknown digest algorithm {name!r}",
            hint="choose from " + ", ".join(SUPPORTED),
        )
    return canonical


def parse_algorithms(names: Iterable[str], *, for_writing: bool = True) -> tuple[str, ...]:
    """Validate and de-duplicate a list of algorithm names, keeping their order."""
    out: list[str] = []
    for name in names:
        alg = normalize_algorithm(name)
        if for_writing and alg not in WRITABLE:
            raise UsageError(
                f"bagsmith does not write {alg} manifests", hint="use " + ", ".join(WRITABLE)
            )
        if alg not in out:
            out.append(alg)
    if not out:
        raise UsageError("at least one digest algorithm is needed")
    return tuple(out)


def is_valid_digest(algorithm: str, digest: str) -> bool:
    length = SUPPORTED.get(algorithm)
    if length is None or len(digest) != length:
        return False
    try:
        int(digest, 16)
    except ValueError:
        return False
    return True


def hash_stream(stream: IO[bytes], algorithms: Sequence[str], chunk: int = CHUNK) -> dict[str, str]:
    """Digest a readable binary stream once for every algorithm."""
    hashers = [hashlib.new(a) for a in algorithms]
    while True:
        block = stream.read(chunk)
        if not block:
            break
        for h in hashers:
            h.update(block)
    return {a: h.hexdigest() for a, h in zip(algorithms, hashers, strict=True)}


def hash_file(
    path: str | os.PathLike[str], algorithms: Sequence[str]
) -> tuple[dict[str, str], int]:
    """Digest one file in a single read pass; returns (digests, size in bytes)."""
    hashers = [hashlib.new(a) for a in algorithms]
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size <= SMALL_FILE:
            data = fh.read()
            size = len(data)
            for h in hashers:
                h.update(data)
        else:
            size = _hash_large(fh, hashers)
    return {a: h.hexdigest() for a, h in zip(algorithms, hashers, strict=True)}, size


def _hash_large(fh: IO[bytes], hashers: list[hashlib._Hash]) -> int:
    try:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # not mappable (a pipe, a special file system)
        total = 0
        while block := fh.read(CHUNK):
            total += len(block)
            for h in hashers:
                h.update(block)
        return total
    with mm:
        if hasattr(mm, "madvise"):
            mm.madvise(mmap.MADV_SEQUENTIAL)
        view = memoryview(mm)
        try:
            size = len(view)
            for start in range(0, size, CHUNK):
                part = view[start : start + CHUNK]
                for h in hashers:
                    h.update(part)
                part.release()
        finally:
            view.release()
    return size


@dataclass(frozen=True)
class HashJob:
    """A file to digest: ``key`` is the caller's name for it (e.g. its path in the bag)."""

    key: str
    path: str
    size: int = 0


@dataclass(frozen=True)
class HashResult:
    key: str
    digests: dict[str, str] | None
    size: int
    error: str | None = None


def _hash_batch(batch: list[HashJob], algorithms: Sequence[str]) -> list[HashResult]:
    out: list[HashResult] = []
    for job in batch:
        try:
            digests, size = hash_file(job.path, algorithms)
        except OSError as exc:
            out.append(HashResult(job.key, None, job.size, exc.strerror or str(exc)))
        else:
            out.append(HashResult(job.key, digests, size))
    return out


def _batches(jobs: Iterable[HashJob], target_bytes: int, max_files: int) -> Iterator[list[HashJob]]:
    batch: list[HashJob] = []
    size = 0
    for job in jobs:
        batch.append(job)
        size += job.size
        if size >= target_bytes or len(batch) >= max_files:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def batch_target(total_bytes: int | None, processes: int) -> int:
    """Bytes per batch: small enough to balance the load, large enough to amortise IPC."""
    if not total_bytes:
        return 16 * 1024 * 1024
    return max(256 * 1024, min(64 * 1024 * 1024, total_bytes // (processes * 8)))


def hash_many(
    jobs: Iterable[HashJob],
    algorithms: Sequence[str],
    *,
    processes: int = 1,
    total_bytes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[HashResult]:
    """Digest many files, yielding results in input order.

    ``processes`` > 1 hashes in worker processes. ``total_bytes`` (if known) sizes the
    batches. At most ``4 × processes`` batches are in flight at once, so memory is bounded
    whatever the number of files.
    """
    algorithms = tuple(algorithms)
    processes = max(1, processes)
    target = batch_target(total_bytes, processes)
    max_files = 2000 if processes == 1 else 500
    batches = _batches(jobs, target, max_files)
    done_bytes = done_files = 0

    def report(results: list[HashResult]) -> None:
        nonlocal done_bytes, done_files
        if progress is not None:
            done_bytes += sum(r.size for r in results)
            done_files += len(results)
            progress(done_bytes, done_files)

    if processes == 1 or (total_bytes is not None and total_bytes < 4 * 1024 * 1024):
        for batch in batches:
            results = _hash_batch(batch, algorithms)
            report(results)
            yield from results
        return

    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    window: deque[Future[list[HashResult]]] = deque()
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        try:
            for batch in batches:
                window.append(pool.submit(_hash_batch, batch, algorithms))
                if len(window) >= processes * 4:
                    results = window.popleft().result()
                    report(results)
                    yield from results
            while window:
                results = window.popleft().result()
                report(results)
                yield from results
        finally:
            for fut in window:
                fut.cancel()


def default_processes() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    )
