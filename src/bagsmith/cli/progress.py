"""The one progress display of the command line, for every long operation (bag, update,
validate, package, capture, deposit, report, batch, audit).

On a terminal (stderr is one, without ``--quiet`` or ``--json``): a bar with the bytes done of
the total, the speed and the time left, and for a collection run the items done
(``3/10 bags``). Otherwise nothing at all: a script reading stdout and stderr gets the result
and the errors only. A collection run also writes a line to the record (``-v``,
``--log-file``) every 10 seconds or 5 % of its items, for the log of a long unattended run.

The use cases call it through :mod:`bagsmith.pipeline.progress` (a factory opening one bar
per step, ``update(done_bytes, done_items)``, ``set_total`` for a total found later,
``phase`` for the next phase of the step with its own total).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Update = Callable[[int, int], None]


@contextmanager
def progress_bar(
    description: str,
    total: int | None,
    *,
    items: int | None = None,
    unit: str = "files",
    show: bool,
) -> Iterator[Update]:
    """One step's display (see the module docstring); ``update(done_bytes, done_items)``."""
    record = None
    if items:
        from ..pipeline import activity

        if activity.enabled():
            record = LogProgress(description, unit, items, total, lambda t: activity.note("%s", t))
    if not show:
        yield _Updates(None, record)
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    class _TimeLeft(TimeRemainingColumn):
        # drawn afresh every time (rich keeps it for 0.5 s: a total given later would not
        # show its time left at once)
        max_refresh = None  # type: ignore[assignment]

    by_items = items is not None and not total
    columns: list[Any] = ["[progress.description]{task.description}", BarColumn()]
    if items is not None:
        columns.append(TextColumn(f"{{task.fields[items]}}/{items} {unit}"))
    if not by_items:
        columns += [DownloadColumn(), TransferSpeedColumn()]
    columns.append(_TimeLeft())
    from .common import stderr_console

    with Progress(*columns, transient=True, console=stderr_console()) as bar:
        task = bar.add_task(description, total=items if by_items else total, items=0)
        bar.refresh()  # shown at once with its total, however quick the work is
        yield _Updates(_Bar(bar, task, by_items), record)


class _Bar:
    def __init__(self, bar: Any, task: Any, by_items: bool) -> None:
        self.bar, self.task, self.by_items = bar, task, by_items

    def __call__(self, done: int, items: int) -> None:
        self.bar.update(self.task, completed=items if self.by_items else done, items=items)

    def set_total(self, total: int) -> None:
        if not self.by_items:
            self.bar.update(self.task, total=total)
            self.bar.refresh()  # shown at once, however quick the rest is

    def phase(self, description: str, total: int) -> None:
        self.bar.reset(self.task, total=total, completed=0, description=description, items=0)
        self.bar.refresh()


class _Updates:
    """The update function a step gets: the bar (if shown) and the record (collections)."""

    def __init__(self, bar: _Bar | None, record: LogProgress | None) -> None:
        self.bar, self.record = bar, record

    def __call__(self, done: int, items: int) -> None:
        if self.bar is not None:
            self.bar(done, items)
        if self.record is not None:
            self.record.update(items, done)

    def set_total(self, total: int) -> None:
        if self.bar is not None:
            self.bar.set_total(total)

    def phase(self, description: str, total: int) -> None:
        if self.bar is not None:
            self.bar.phase(description, total)


class LogProgress:
    """A collection run's progress as lines: every ``interval`` seconds or every ``step``
    (fraction) of the items, whichever comes first, and once at the end."""

    def __init__(
        self,
        label: str,
        unit: str,
        total: int,
        total_bytes: int | None,
        write: Callable[[str], None],
        *,
        interval: float = 10.0,
        step: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.unit, self.total, self.total_bytes = label, unit, total, total_bytes
        self.write, self.interval, self.clock = write, interval, clock
        self.step_items = max(1, int(total * step))
        self.started = self.last_time = clock()
        self.last_items = 0

    def update(self, items: int, done_bytes: int) -> None:
        now = self.clock()
        if (
            items >= self.total
            or items - self.last_items >= self.step_items
            or now - self.last_time >= self.interval
        ):
            self.last_time, self.last_items = now, items
            self.write(self.line(items, done_bytes, now - self.started))

    def line(self, items: int, done_bytes: int, elapsed: float) -> str:
        pct = f" ({100 * items // self.total}%)" if self.total else ""
        text = f"{self.label}: {items}/{self.total} {self.unit}{pct}, {mb(done_bytes)}"
        if elapsed > 0 and items:
            text += f", {items / elapsed:.2f} {self.unit}/s, {mb(done_bytes / elapsed)}/s"
            if items < self.total:
                text += f", ETA {_duration(elapsed / items * (self.total - items))}"
        return text


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
