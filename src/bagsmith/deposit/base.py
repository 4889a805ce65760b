"""What every deposit target shares: the protocol, the result, errors and retry with backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from ..errors import DepositError
from .source import LocalBag, Serialise

T = TypeVar("T")

#: Outcomes of a deposit, as recorded.
DEPOSITED = "deposited"
ALREADY_PRESENT = "already-present"
UNVERIFIED = "deposited-unverified"
DRY_RUN = "dry-run"
FAILED = "failed"


#: Why a deposit failed, kept on the error as ``reason`` and in the deposit record.
REASONS = (
    "auth",  # credentials refused or missing
    "host-key",  # an SFTP host key that is unknown or does not match
    "checksum-mismatch",  # what arrived is not what was sent
    "conflict",  # a different object already has that name at the destination
    "permission",  # the destination cannot be written (read-only, permission denied)
    "no-space",  # the destination is full or over quota
    "unavailable",  # the target could not be reached, even after retries
    "invalid",  # the target rejected the deposit (bad request, invalid object)
    "config",  # the target is not configured correctly
)


def deposit_error(
    reason: str,
    message: str,
    *,
    path: str | None = None,
    hint: str | None = None,
) -> DepositError:
    """A :class:`DepositError` carrying a machine-readable ``reason`` (see :data:`REASONS`)."""
    assert reason in REASONS, reason
    exc = DepositError(message, path=path, hint=hint)
    exc.reason = reason  # type: ignore[attr-defined]
    return exc


def reason_of(exc: BaseException) -> str | None:
    return getattr(exc, "reason", None)


class TransientError(Exception):
    """A failure that may go away when tried again (a dropped connection, a busy server).

    Internal to the deposit package: :func:`retry` turns it into a :class:`DepositError` when
    the attempts run out, so it never reaches the user as such.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class Sent:
    """The bytes a target has sent (copied, uploaded) in one attempt, of what it sends.

    A target calls :meth:`start` with its total once it knows it (the bag's size, or the
    archive's) and :meth:`add` as bytes go out; ``report(done, total)`` (the caller's progress
    display) follows. Without a report nothing happens. Each attempt starts again from 0.
    """

    def __init__(self, report: Callable[[int, int], None] | None = None) -> None:
        self.report, self.done, self.total = report, 0, 0

    def start(self, total: int) -> None:
        self.done, self.total = 0, total
        if self.report is not None:
            self.report(0, total)

    def add(self, count: int) -> None:
        self.done += count
        if self.report is not None:
            self.report(self.done, self.total)

    def of_one_file(self) -> Callable[[int, int], None]:
        """A callback ``(done_of_this_file, its_size)`` (paramiko, Azure) adding to the count."""
        last = 0

        def callback(done: int, _size: int | None = None) -> None:
            nonlocal last
            self.add(done - last)
            last = done

        return callback


@dataclass(frozen=True)
class DepositOptions:
    """How to deposit: set by the caller (the CLI) for one deposit."""

    verify: bool = True
    dry_run: bool = False
    name: str | None = None  # name at the destination (default: the bag's own name)
    object_id: str | None = None  # OCFL object id / identifier sent to repositories
    #: Earlier successful deposits of any bag to the same target (from the deposit record),
    #: for targets that cannot find an identical object by themselves (SWORD).
    history: tuple[dict[str, object], ...] = ()
    #: Turns a bag folder into one archive file, for targets that take one file (S3, Azure,
    #: SWORD).
    serialise: Serialise | None = None
    #: The archive format for those targets (None: the target's setting, else its default).
    archive_format: str | None = None
    #: Deposit a bag folder as a tree of objects, one per file (S3, Azure); None: the
    #: target's ``objects`` setting.
    objects: bool | None = None
    #: Counts the bytes sent to the target, for the progress display (:class:`Sent`).
    sent: Sent = field(default_factory=Sent)


@dataclass
class DepositResult:
    """The outcome of one deposit, as shown to the user and written to the deposit record."""

    target: str  # URL without credentials, or the configured name and its URL
    bag: str
    outcome: str = FAILED
    location: str | None = None
    verified: bool = False
    identifiers: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    attempts: int = 0
    #: How the bag is held at the target: "folder", "file" (a serialised bag copied as it
    #: is), "archive" (serialised for the deposit), "objects" (one object per file) or
    #: "ocfl-object".
    form: str | None = None
    details: list[str] = field(default_factory=list)
    started: str = field(default_factory=lambda: now_iso())
    finished: str | None = None
    error: dict[str, object] | None = None

    def to_dict(self) -> dict[str, object]:
        """Every field, in order: the entry of the deposit record (copies, not views)."""
        return asdict(self)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Target(Protocol):
    """A place bags can be deposited to."""

    #: The target as shown and recorded: a URL without credentials.
    display: str

    def deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        """Deposit ``bag`` and fill in ``result`` (outcome, location, checksums …).

        Raises :class:`DepositError` (see :func:`deposit_error`) on a permanent failure and
        :class:`TransientError` on one worth retrying (the caller retries the whole call, so
        a target must be safe to call again after a partial attempt).
        """
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.max_delay, self.base_delay * self.factor ** (attempt - 1))
        return raw * (0.5 + random.random() / 2)


def retry(
    action: Callable[[], T],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[int, TransientError], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``action``, retrying it after a :class:`TransientError` up to the limit.

    Permanent errors (any other exception) go straight through. After the last attempt the
    transient error is raised as a plain :class:`DepositError` naming the number of attempts.
    """
    attempt = 1
    while True:
        try:
            return action()
        except TransientError as exc:
            if attempt >= policy.attempts:
                raise deposit_error(
                    "unavailable",
                    f"gave up after {attempt} attempt(s): {exc.message}",
                    path=exc.path,
                    hint="the target may be down or unreachable; try again later",
                ) from exc
            if on_retry is not None:
                on_retry(attempt, exc)
            sleep(policy.delay(attempt))
            attempt += 1
