"""What every CLI command shares: --json/--quiet, error → exit code mapping, progress bars,
SIGTERM handled like Ctrl-C. (Options several commands share are in :mod:`.options`.)

Commands stay thin: parse options, call one public library function, render the result.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar, cast

import click

from .. import __version__, interrupts
from ..errors import BagsmithError, Interrupted, UsageError
from ..interrupts import signal
from .exits import error_exit
from .flags import flag_name

F = TypeVar("F", bound=Callable[..., Any])


class Output:
    """Where a command writes: human text on stdout, diagnostics on stderr, or one JSON doc."""

    def __init__(self, *, json_mode: bool, quiet: bool) -> None:
        self.json_mode = json_mode
        self.quiet = quiet

    def info(self, text: str) -> None:
        if not self.quiet and not self.json_mode:
            click.echo(text)

    def warn(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def emit_json(self, data: object) -> None:
        import json  # only for --json: a plain run starts faster without it

        click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))

    def progress(
        self,
        description: str,
        total: int | None,
        /,
        *,
        items: int | None = None,
        unit: str = "files",
    ) -> AbstractContextManager[Callable[[int, int], None]]:
        """One step's progress display (:mod:`.progress`): a bar with its total and the time
        left on a terminal; nothing when stderr is not one, or with --quiet/--json."""
        from .progress import progress_bar

        return progress_bar(
            description, total, items=items, unit=unit, show=shown(self.quiet, self.json_mode)
        )


def shown(quiet: bool, json_mode: bool) -> bool:
    """Whether progress is shown: on a terminal (stderr), without --quiet or --json."""
    return not quiet and not json_mode and sys.stderr.isatty()


def stderr_console() -> Any:
    """A rich console on stderr (rich is imported only when a progress bar is shown)."""
    from rich.console import Console

    return Console(stderr=True)


def output_options(func: F) -> F:
    """Add --json and --quiet to a command and pass an :class:`Output` as ``out``."""

    @click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
    @click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
    @functools.wraps(func)
    def wrapper(*args: Any, json_mode: bool, quiet: bool, **kwargs: Any) -> Any:
        out = Output(json_mode=json_mode, quiet=quiet)
        with noting_interrupts() as received:
            try:
                result = func(*args, out=out, **kwargs)
                _completed.append(func.__name__)
            except KeyboardInterrupt:
                _fail(out, _as_happened(Interrupted("interrupted; nothing was left half-written")))
            except Interrupted as exc:
                _fail(out, _as_happened(exc))
            except BagsmithError as exc:
                _fail(out, exc)
            if received:  # an interrupt that something swallowed: the run went on to its end
                _fail(out, _as_happened(Interrupted("interrupted; nothing was left half-written")))
        return result

    return cast(F, wrapper)


#: Ctrl-C received during this run (see noting_interrupts).
_received: list[int] = []


@contextmanager
def noting_interrupts() -> Iterator[list[int]]:
    """Ctrl-C raises KeyboardInterrupt as usual, and is also noted in the list yielded, so
    that an interrupt swallowed on the way (Python ignores exceptions raised in finalisers
    and in import-lock clean-up callbacks) still ends the run as interrupted. Nested uses
    share the one list."""
    if signal.getsignal(signal.SIGINT) is _note:
        yield _received
        return
    try:
        previous = signal.signal(signal.SIGINT, _note)
    except ValueError:  # not the main thread
        yield _received
        return
    _received.clear()
    _completed.clear()
    interrupts.reset()
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_swallowed_interrupt
    try:
        yield _received
    finally:
        sys.unraisablehook = previous_hook
        if signal.getsignal(signal.SIGINT) is _note:  # (not once the program ignores it)
            signal.signal(signal.SIGINT, previous)


def _quiet_swallowed_interrupt(unraisable: Any) -> None:
    """Python prints 'Exception ignored in …' with a traceback when it swallows an exception
    (in an import-lock callback, a finaliser). A swallowed Ctrl-C is already noted by ``_note``
    and ends the run as interrupted, with bagsmith's message: print nothing for it."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


def _note(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


#: Commands that ran to their end in this process (an interrupt after that finds them here).
_completed: list[str] = []


def interrupted_message() -> str:
    """What an interrupt outside a command's own handling interrupted."""
    done = interrupts.finished()
    if done:
        return _as_happened(Interrupted("")).message
    if _completed:
        return "interrupted after the command had finished; its output above is complete"
    return "interrupted before anything was done"


def _as_happened(exc: Interrupted) -> Interrupted:
    """The interrupt's message, made true: outputs this run put in place before the interrupt
    are complete and were kept (see :mod:`bagsmith.interrupts`)."""
    done = interrupts.finished()
    if not done:
        return exc
    names = ", ".join(done)
    return Interrupted(
        f"interrupted after {names} {'was' if len(done) == 1 else 'were'} complete in place; "
        "kept as complete (nothing else was left behind)",
        path=done[-1],
    )


def _fail(out: Output, exc: BagsmithError) -> None:
    """Say what went wrong, the settings it names by their options, and exit (cli/exits.py)."""
    if out.json_mode:
        out.emit_json({"error": exc.to_dict(flag_name)})
    else:
        click.echo(f"bagsmith: error[{exc.code}]: {exc.text(flag_name)}", err=True)
    if isinstance(exc, Interrupted):
        exit_interrupted()
    sys.exit(error_exit(exc))


#: Set when bagsmith runs as its own process (``bagsmith.__main__``), not inside a caller.
AS_PROGRAM: list[bool] = []


def exit_interrupted() -> NoReturn:
    """Exit 130. As a program, at once once the output is flushed: Python itself turns an
    exit into death by SIGINT when a KeyboardInterrupt went unhandled in some C-level code
    run earlier (an import interrupted at the wrong moment), whatever the exit status asked
    for; the clean-up that matters has been done by then (staging removed, files closed)."""
    if AS_PROGRAM:
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):
                stream.flush()
        os._exit(130)
    sys.exit(130)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while a command writes, so it cleans up before exiting."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def keep_record(verbose: bool, log_file: Path | None, argv: Sequence[str]) -> Callable[[], None]:
    """Send the record of what is done (:mod:`bagsmith.pipeline.activity`) to stderr
    (``-v``) and/or append it to ``log_file`` (``--log-file``, with UTC times); returns the
    function that closes the log file. ``logging`` is imported only here."""
    import logging
    import shlex
    import time

    logger = logging.getLogger("bagsmith")
    for old in [h for h in logger.handlers if getattr(h, "bagsmith_cli", False)]:
        logger.removeHandler(old)  # a previous run in the same process (tests)
        old.close()
    handlers: list[logging.Handler] = []
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
        handlers[-1].setFormatter(logging.Formatter("bagsmith: %(message)s"))
    if log_file is not None:
        try:
            handlers.append(logging.FileHandler(log_file, mode="a", encoding="utf-8"))
        except OSError as exc:
            raise UsageError(
                f"cannot write the log file: {exc.strerror or exc}", path=log_file
            ) from None
        stamped = logging.Formatter("%(asctime)sZ %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S")
        stamped.converter = time.gmtime
        handlers[-1].setFormatter(stamped)
    for handler in handlers:
        handler.bagsmith_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.info("bagsmith %s: bagsmith %s", __version__, shlex.join(argv))

    def close() -> None:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(logging.NOTSET)  # as it was: no record, not even logging's last resort
        logger.propagate = True

    return close
