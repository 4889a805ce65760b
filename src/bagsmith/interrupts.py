"""What was finished when a run is interrupted, so that its last words are true.

A command that writes moves its output into place in one step (a rename, a link). That step
and the record that it happened are made atomic with respect to Ctrl-C and SIGTERM with
:func:`deferred`: an interrupt arriving meanwhile is held and raised right after. The CLI asks
:func:`finished` when an interrupt ends a run: an empty list means nothing was put in place
("nothing was left half-written"); otherwise the output named is complete and was kept, and
the message says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import signal as signal
else:  # the C module: `signal` builds enums of its constants when imported (~3 M instructions
    import _signal as signal  # of every command's start-up); fixity and the cli take it from here

_finished: list[str] = []
_held: list[list[int]] = []


def complete(path: object) -> None:
    """Record that PATH (a bag, an archive, a deposit) is now complete in its place."""
    _finished.append(str(path))


def withdrawn(path: object) -> None:
    """PATH was removed again (a later step failed): it no longer counts as finished."""
    text = str(path)
    while text in _finished:
        _finished.remove(text)


def finished() -> list[str]:
    """Outputs put in place by this run, in order."""
    return list(_finished)


def reset() -> None:
    _finished.clear()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the duration of the block, then raise KeyboardInterrupt if
    one came. Blocks nest (the outermost one raises); outside the main thread, signals are
    left alone."""
    if _held or threading.current_thread() is not threading.main_thread():
        yield  # nested: the outer block holds and raises
        return
    held: list[int] = []
    _held.append(held)

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        _held.clear()
    if held:
        raise KeyboardInterrupt
