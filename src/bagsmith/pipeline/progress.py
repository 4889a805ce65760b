"""How a use case reports its progress: one mechanism for every long operation.

A use case takes a :class:`ProgressFactory` (the CLI passes ``Output.progress``; the Python
API and tests pass none) and opens one display per step with :func:`step`::

    with step(progress, "Copying and hashing", plan.total_bytes) as update:
        ...
        update(done_bytes, done_files)

``total`` is in bytes (None when not known yet); ``items`` is the number of things a
collection run goes through (bags, articles), counted by the second argument of ``update``.
A total found only once the work has begun (a bag's Payload-Oxum, read from its bag-info.txt)
is given with :func:`tell_total`; a second phase of the same step (its own description and
total) is begun with :func:`next_phase`. Nothing here prints: what is shown, and where, is the
CLI's business (``cli/progress.py``: a bar on a terminal, nothing otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

#: ``update(done_bytes, done_items)``: what is done so far (files, or bags/articles).
ProgressUpdate = Callable[[int, int], None]


class ProgressFactory(Protocol):
    """Opens the display of one step: ``factory(description, total_bytes, items=N)``."""

    def __call__(
        self, description: str, total: int | None, /, *, items: int | None = None
    ) -> AbstractContextManager[ProgressUpdate]: ...


def _nothing(done: int, items: int) -> None:
    return None


def step(
    factory: ProgressFactory | None,
    description: str,
    total: int | None,
    *,
    items: int | None = None,
) -> AbstractContextManager[ProgressUpdate]:
    """The display of one step (an update that does nothing when there is no factory)."""
    if factory is None:
        return nullcontext(_nothing)
    return factory(description, total, items=items)


def tell_total(update: ProgressUpdate | None, total: int) -> None:
    """Give a display its total in bytes, found once the work has begun."""
    set_total = getattr(update, "set_total", None)
    if set_total is not None:
        set_total(total)


def next_phase(update: ProgressUpdate | None, description: str, total: int) -> None:
    """Turn a display into the next phase of its step (a new description and total, nothing
    done yet): deposit's sending after its validating and hashing."""
    phase = getattr(update, "phase", None)
    if phase is not None:
        phase(description, total)


class Continued:
    """An update that goes on from what was done before (one display over several passes):
    ``done``/``items`` are added to every update and to a total given later."""

    def __init__(self, update: ProgressUpdate | None, done: int = 0, items: int = 0) -> None:
        self.update, self.done, self.items = update, done, items
        self.last = (done, items)

    def __call__(self, done: int, items: int) -> None:
        self.last = (self.done + done, self.items + items)
        if self.update is not None:
            self.update(*self.last)

    def set_total(self, total: int) -> None:
        tell_total(self.update, self.done + total)

    def then(self) -> Continued:
        """An update for the next pass, going on from where this one is."""
        return Continued(self.update, *self.last)
