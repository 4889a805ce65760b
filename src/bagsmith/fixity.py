"""Digest algorithms and fast, bounded-memory file hashing.

* Every file is read once, whatever the number of algorithms (one pass, several hashers).
* :func:`hash_many` spreads files over processes in batches sized by **bytes**, not by file
  count, so one process does not end up with most of the data; results come back in input order
  and only a small window of batches is in flight, so memory stays bounded however many files.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing, suppress
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from . import limits
from .errors import ProcessesUnavailable, UsageError
from .interrupts import signal

if TYPE_CHECKING:  # multiprocessing is imported when a pool starts: `validate --fast` needs none
    import hashlib
    from concurrent.futures import Future, ProcessPoolExecutor

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
#: Broken for collisions: a digest that matches proves nothing against a deliberate change.
WEAK: frozenset[str] = frozenset({"md5", "sha1"})

SMALL_FILE = 4 * 1024 * 1024  # read in one call below this size
CHUNK = 8 * 1024 * 1024
#: Buffer for hashing files larger than SMALL_FILE (fits the CPU cache better than 8 MiB).
READ_CHUNK = 1024 * 1024
_PR_SET_PDEATHSIG = 1
_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: Direct constructors: faster than hashlib.new(name) when hashing many small files. Filled
#: when the first file is hashed: importing hashlib (OpenSSL's start-up) is a fifth of the
#: start-up of `validate`, and `validate --fast` hashes nothing.
_CONSTRUCTORS: dict[str, Callable[[], hashlib._Hash]] = {}


def _hashers(algorithms: Sequence[str]) -> list[hashlib._Hash]:
    """A new hasher for each algorithm."""
    if not _CONSTRUCTORS:
        import hashlib

        _CONSTRUCTORS.update((name, getattr(hashlib, name)) for name in SUPPORTED)
    try:
        return [_CONSTRUCTORS[a]() for a in algorithms]
    except KeyError:
        import hashlib

        return [hashlib.new(a) for a in algorithms]


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
    # hex digits only: int(digest, 16) also took '0x…', '_' and white space
    return length is not None and len(digest) == length and not digest.strip(_HEX_DIGITS)


_HEX_DIGITS = "0123456789abcdefABCDEF"


def hash_stream(stream: IO[bytes], algorithms: Sequence[str], chunk: int = CHUNK) -> dict[str, str]:
    """Digest a readable binary stream once for every algorithm."""
    hashers = _hashers(algorithms)
    while True:
        block = stream.read(chunk)
        if not block:
            break
        for h in hashers:
            h.update(block)
    return {a: h.hexdigest() for a, h in zip(algorithms, hashers, strict=True)}


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def open_regular(
    path: str | os.PathLike[str],
    *,
    follow_links: bool = True,
    expect: tuple[int, int] | None = None,
) -> int:
    """A read-only descriptor of PATH, which must be a regular file.

    Opened with ``O_NONBLOCK`` so that a FIFO put in a file's place never blocks the open (or
    the read), and checked on the *opened* descriptor, so a file swapped for a FIFO, device or
    folder between a listing and the open is refused, not read. With ``follow_links=False``
    no symbolic link is followed anywhere in the path (``O_NOFOLLOW`` for the last part; for
    the folders above it, the file opened must be the one a link-safe listing saw, ``expect``
    = its ``(st_dev, st_ino)``, or else the path the kernel actually opened must be the one
    asked for). Raises :class:`OSError` naming what was found instead.
    """
    return _open_checked(path, follow_links, expect)[0]


def _open_checked(
    path: str | os.PathLike[str],
    follow_links: bool,
    expect: tuple[int, int] | None,
    dir_fd: int | None = None,
) -> tuple[int, int]:
    """:func:`open_regular`, also returning the file's size (from the same ``fstat``).

    ``dir_fd``: PATH is one name in the folder open at this descriptor (a folder opened
    without following links: nothing on the way can be a link, and O_NOFOLLOW refuses a link
    in the name's place)."""
    flags = _OPEN_READ | (0 if follow_links else _NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise OSError(errno.ELOOP, "a symbolic link; never followed") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = _kind(st.st_mode)
            code = errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL
            raise OSError(code, f"{what}, not a regular file; not read")
        if not follow_links:
            if expect is not None:
                # the listing saw this very file (by device and inode, through folders opened
                # without following links): any other file was reached through a link
                if (st.st_dev, st.st_ino) != expect:
                    raise OSError(
                        errno.ELOOP,
                        "not the file listed: its path goes through a symbolic link (or it "
                        "was replaced since); never followed",
                    )
            elif dir_fd is None and not _opened_as_named(fd, path):
                raise OSError(errno.ELOOP, "its path goes through a symbolic link; never followed")
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _opened_as_named(fd: int, path: str | os.PathLike[str]) -> bool:
    """True when the file open at FD is PATH itself, not reached through a linked folder."""
    wanted = os.path.abspath(os.fspath(path))
    try:
        actual = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc: compare with the resolved path instead
        actual = os.path.realpath(wanted)
    return actual == wanted


def hash_file(
    path: str | os.PathLike[str], algorithms: Sequence[str], *, follow_links: bool = True
) -> tuple[dict[str, str], int]:
    """Digest one file in a single read pass; returns (digests, size in bytes).

    Small files are read with one system call into one buffer; larger ones go through a
    reusable 1 MiB buffer, so memory stays at one chunk per file whatever its size. Only a
    regular file is read (see :func:`open_regular`).
    """
    raw, size = digest_file(path, algorithms, follow_links=follow_links)
    return {a: d.hex() for a, d in zip(algorithms, raw, strict=True)}, size


def hash_file_keeping(
    path: str | os.PathLike[str], algorithms: Sequence[str]
) -> tuple[dict[str, str], int, bytes | None]:
    """:func:`hash_file` that also returns the bytes it hashed when the file is small (at most
    :data:`SMALL_FILE`, read in one call anyway), None for a larger one: a caller that reads
    the file again (Pillow, characterising an image) reads *these* bytes instead of the file
    a second time, so what it describes is exactly what was hashed. Memory: one small file."""
    hashers = _hashers(algorithms)
    fd, size = _open_checked(path, True, None)
    try:
        size, data = _hash_open(fd, size, hashers, keep=True)
    finally:
        os.close(fd)
    return {a: h.hexdigest() for a, h in zip(algorithms, hashers, strict=True)}, size, data


def _hash_open(
    fd: int, size: int, hashers: list[hashlib._Hash], keep: bool = False
) -> tuple[int, bytes | None]:
    """Hash the rest of the file open at FD (``size``: its size by ``fstat``): a small file in
    one read, a larger one through a reusable buffer. Returns the bytes hashed and, with
    ``keep``, the small file's bytes (None for a larger one, or one grown past the limit)."""
    if size <= SMALL_FILE:
        data = _read_all(fd, size)
        for h in hashers:
            h.update(data)
        return len(data), data if keep and len(data) <= SMALL_FILE else None
    return _hash_large(fd, hashers), None


def _read_all(fd: int, size: int) -> bytes:
    """The rest of the file open at FD, expected to be SIZE bytes (one call when it is)."""
    data = os.read(fd, size + 1)
    if len(data) != size:  # the file changed size since fstat, or a short read
        parts = [data]
        while block := os.read(fd, CHUNK):
            parts.append(block)
        data = b"".join(parts)
    return data


def digest_file(
    path: str | os.PathLike[str],
    algorithms: Sequence[str],
    *,
    follow_links: bool = True,
    expect: tuple[int, int] | None = None,
    dir_fd: int | None = None,
) -> tuple[list[bytes], int]:
    """:func:`hash_file` with the raw digests, in the order of ALGORITHMS (validation compares
    them with the manifests' as bytes: no hex on either side). ``expect``: see
    :func:`open_regular`. ``dir_fd``: PATH is a name in the folder open at this descriptor,
    which was opened without following links (``follow_links=False`` then refuses a link in
    the name's place)."""
    if dir_fd is not None and "/" in os.fspath(path):
        raise ValueError(f"{path!r} is not one name in a folder")
    hashers = _hashers(algorithms)
    fd, size = _open_checked(path, follow_links, expect, dir_fd)
    try:
        size, _ = _hash_open(fd, size, hashers)
    finally:
        os.close(fd)
    return [h.digest() for h in hashers], size


def _hash_large(fd: int, hashers: list[hashlib._Hash]) -> int:
    """Hash a big file through one reusable buffer.

    Measured against ``mmap`` on a 512 MiB file in the page cache (see docs/benchmarks.md):
    reading into a buffer is ~8% faster (no page faults) and, unlike a mapping, does not leave
    the whole file in the process's resident set (~530 MB for a 512 MiB file).
    """
    buffer = bytearray(READ_CHUNK)
    view = memoryview(buffer)
    total = 0
    try:
        while n := os.readv(fd, [buffer]):
            total += n
            part = view[:n] if n < READ_CHUNK else view
            for h in hashers:
                h.update(part)
    finally:
        view.release()
    return total


def die_with_parent(parent: int | None = None) -> None:
    """Initialiser for worker processes: on Linux a worker is killed when the main process
    dies, even by SIGKILL (a worker left behind would wait for ever on its queue, holding
    whatever its parent's caller reads from, such as a terminal's or a test's pipe).
    ``parent``: the main process's pid; a worker whose main process died before this ran
    (between the fork and the request to be killed with it, which is not inherited across
    that gap) exits at once."""
    if sys.platform.startswith("linux"):
        import ctypes

        with suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:  # orphaned already: nobody to work for
        os.kill(os.getpid(), signal.SIGKILL)  # what the request would have done


def worker_init(parent: int | None = None) -> None:
    """Initialiser for hashing worker processes: only the main process reacts to Ctrl-C.

    On Ctrl-C the main process stops the pool (and cleans up whatever it was writing); workers
    ignore SIGINT so a terminal shows no traceback per worker. SIGTERM gets its default action,
    and the worker dies with the main process (:func:`die_with_parent`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)


class HashJob(NamedTuple):
    """A file to digest: ``key`` is the caller's name for it (e.g. its path in the bag).

    A named tuple rather than a dataclass: a bag can list millions of files, and tuples are
    several times cheaper to create. ``ident``: the ``(st_dev, st_ino)`` a link-safe listing
    saw (see :func:`open_regular`).
    """

    key: str
    path: str
    size: int = 0
    ident: tuple[int, int] | None = None


class HashResult(NamedTuple):
    key: str
    digests: dict[str, str] | None
    size: int
    error: str | None = None


class RawResult(NamedTuple):
    """:class:`HashResult` with the raw digests, in the order of the algorithms asked."""

    key: str
    digests: list[bytes] | None
    size: int
    error: str | None = None


#: What a worker sends back for one file: (raw digests, size, error). Plain tuples: pickling
#: a batch of them costs a fraction of pickling dataclasses (the main process unpickles them).
_Outcome = tuple[list[bytes] | None, int, str | None]


def _started() -> None:
    """The first task of a new pool: its return means every worker is running."""


def process_pool(
    processes: int,
    initializer: Callable[..., None] | None = worker_init,
    parameter: str = "processes",
) -> ProcessPoolExecutor:
    """A pool of ``processes`` worker processes (the setting ``parameter``), all started
    before it is returned.

    The system may refuse a worker (``fork`` fails with EAGAIN under a limit on processes
    such as ``ulimit -u``, or ENOMEM). ``concurrent.futures`` then raises from ``submit`` with
    the workers it did start waiting for ever on a pool that has no manager thread, and the
    interpreter waits for them at exit: a traceback, then a hang. Here those workers are
    stopped and :class:`ProcessesUnavailable` says what happened, before any work.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _hashers(())  # hashlib loaded before the workers fork, as the pool's modules are
    before = set(multiprocessing.active_children())
    pool: ProcessPoolExecutor | None = None
    initargs: tuple[Any, ...] = (
        (os.getpid(),) if initializer in (worker_init, die_with_parent) else ()
    )
    try:
        pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("fork" if os.name == "posix" else "spawn"),
            initializer=initializer,
            initargs=initargs,
        )
        pool.submit(_started).result()  # with fork, the first submit starts every worker
    except OSError as exc:  # EAGAIN, ENOMEM from fork; EMFILE from the pool's pipes
        started = [p for p in multiprocessing.active_children() if p not in before]
        for child in started:
            child.kill()
        for child in started:
            child.join()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise ProcessesUnavailable(
            f"the system refused to start {processes} worker processes "
            f"({os.strerror(exc.errno) if exc.errno else exc})",
            parameter=parameter,
            hint=f"run with fewer {{{parameter}}}, or raise the limit on processes (ulimit -u)",
        ) from None
    return pool


def _hash_paths(
    paths: list[str],
    algorithms: Sequence[str],
    follow_links: bool = True,
    idents: list[tuple[int, int] | None] | None = None,
) -> list[_Outcome]:
    """Hash files in a worker: only their paths go there, only digests come back."""
    out: list[_Outcome] = []
    for i, path in enumerate(paths):
        try:
            digests, size = digest_file(
                path,
                algorithms,
                follow_links=follow_links,
                expect=idents[i] if idents is not None else None,
            )
        except OSError as exc:
            out.append((None, 0, exc.strerror or str(exc)))
        else:
            out.append((digests, size, None))
    return out


def _merge(batch: list[HashJob], outcomes: list[_Outcome]) -> list[RawResult]:
    return [
        RawResult(job.key, digests, job.size if error else size, error)
        for job, (digests, size, error) in zip(batch, outcomes, strict=True)
    ]


class _Sized(Protocol):
    @property
    def size(self) -> int: ...


_S = TypeVar("_S", bound=_Sized)
_T = TypeVar("_T")
_R = TypeVar("_R")


def batches(items: Iterable[_S], target_bytes: int, max_files: int) -> Iterator[list[_S]]:
    """Group ITEMS (anything with a ``size`` in bytes) into lists of about TARGET_BYTES, at
    most MAX_FILES each, in input order."""
    batch: list[_S] = []
    size = 0
    for item in items:
        batch.append(item)
        size += item.size
        if size >= target_bytes or len(batch) >= max_files:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def in_flight(
    submit: Callable[[_T], Future[_R]], items: Iterable[_T], depth: int
) -> Generator[tuple[_T, _R], None, None]:
    """Submit each item, keeping at most DEPTH futures in flight; yield ``(item, result)`` in
    input order, so memory stays bounded whatever the number of items.

    On an error, or when the caller closes the generator, the futures not yet collected are
    cancelled.
    """
    window: deque[tuple[_T, Future[_R]]] = deque()
    try:
        for item in items:
            window.append((item, submit(item)))
            if len(window) >= depth:
                done, fut = window.popleft()
                yield done, fut.result()
        while window:
            done, fut = window.popleft()
            yield done, fut.result()
    finally:
        for _item, fut in window:
            fut.cancel()


def batch_target(total_bytes: int | None, processes: int) -> int:
    """Bytes per batch: small enough to balance the load, large enough to amortise IPC.

    About 32 batches per process, at most 16 MiB each: when the work runs out, the other
    processes wait at most for one batch (~25 ms of hashing), and the results of a batch
    (its digests) are small next to the cost of hashing it.
    """
    if not total_bytes:
        return 16 * 1024 * 1024
    return max(256 * 1024, min(16 * 1024 * 1024, total_bytes // (processes * 32)))


def hash_many(
    jobs: Iterable[HashJob],
    algorithms: Sequence[str],
    *,
    processes: int = 1,
    total_bytes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    follow_links: bool = True,
) -> Iterator[HashResult]:
    """Digest many files, yielding results (hexadecimal digests by algorithm) in input order.

    See :func:`digest_many`, which this wraps.
    """
    algorithms = tuple(algorithms)
    for r in digest_many(
        jobs,
        algorithms,
        processes=processes,
        total_bytes=total_bytes,
        progress=progress,
        follow_links=follow_links,
    ):
        digests = None
        if r.digests is not None:
            digests = {a: d.hex() for a, d in zip(algorithms, r.digests, strict=True)}
        yield HashResult(r.key, digests, r.size, r.error)


def digest_many(
    jobs: Iterable[HashJob],
    algorithms: Sequence[str],
    *,
    processes: int = 1,
    total_bytes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    follow_links: bool = True,
) -> Iterator[RawResult]:
    """Digest many files, yielding results (raw digests, in the order of ALGORITHMS) in input
    order.

    ``processes`` > 1 hashes in worker processes. ``total_bytes`` (if known) sizes the
    batches. At most ``4 × processes`` batches are in flight at once, so memory is bounded
    whatever the number of files. ``follow_links=False``: a path through a symbolic link is
    an error result, never read (validation). ``progress(bytes, files)`` is called after each
    batch (in one process: after each batch's worth of files).
    """
    algorithms = tuple(algorithms)
    processes = checked_processes(max(1, processes))
    target = batch_target(total_bytes, processes)
    max_files = 2000 if processes == 1 else 500

    if processes == 1 or (total_bytes is not None and total_bytes < 4 * 1024 * 1024):
        yield from _digest_here(jobs, algorithms, follow_links, progress, target, max_files)
        return

    done_bytes = done_files = 0
    with process_pool(processes) as pool:

        def submit(batch: list[HashJob]) -> Future[list[_Outcome]]:
            idents = [job.ident for job in batch]
            return pool.submit(
                _hash_paths,
                [job.path for job in batch],
                algorithms,
                follow_links,
                idents if any(idents) else None,
            )

        # closing(): cancel the queued batches before the pool's shutdown waits for them.
        groups = batches(jobs, target, max_files)
        with closing(in_flight(submit, groups, processes * 4)) as outcomes:
            for done, outcome in outcomes:
                results = _merge(done, outcome)
                if progress is not None:
                    done_bytes += sum(r.size for r in results)
                    done_files += len(results)
                    progress(done_bytes, done_files)
                yield from results


def _digest_here(
    jobs: Iterable[HashJob],
    algorithms: tuple[str, ...],
    follow_links: bool,
    progress: Callable[[int, int], None] | None,
    target: int,
    max_files: int,
) -> Iterator[RawResult]:
    """:func:`digest_many` in this process: one file after the other, no batches to build."""
    done_bytes = done_files = 0
    step_bytes = step_files = 0
    for key, path, listed, ident in jobs:
        try:
            digests, size = digest_file(path, algorithms, follow_links=follow_links, expect=ident)
        except OSError as exc:
            yield RawResult(key, None, listed, exc.strerror or str(exc))
            size = listed
        else:
            yield RawResult(key, digests, size)
        if progress is not None:
            step_bytes += size
            step_files += 1
            if step_bytes >= target or step_files >= max_files:
                done_bytes += step_bytes
                done_files += step_files
                step_bytes = step_files = 0
                progress(done_bytes, done_files)
    if progress is not None and step_files:
        progress(done_bytes + step_bytes, done_files + step_files)


def default_processes() -> int:
    """One per CPU this process may run on (never more than the ``processes`` limit)."""
    return checked_processes(
        max(
            1,
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1),
        )
    )


def checked_processes(value: int | None, parameter: str = "processes") -> int:
    """A number of worker processes (the setting ``parameter``): the default when None; a
    :class:`UsageError` below 1 or over the ``processes`` limit (which can be raised)."""
    if value is None:
        return default_processes()
    if value < 1:
        raise UsageError(f"{{{parameter}}} must be at least 1", parameter=parameter)
    top = limits.get("processes")
    if value > top:
        raise UsageError(
            f"{{{parameter}}} {value} is over the limit of {top} worker processes",
            parameter=parameter,
            hint=limits.hint("processes"),
        )
    return value
