"""``python -m bagsmith`` and the ``bagsmith`` command: run the command line.

The first thing done is to take Ctrl-C (and SIGTERM) over, with the C-level ``_signal``
module (importing ``signal`` already takes long enough to be interrupted), before the
command line's modules are imported: an interrupt that early exits 130 with bagsmith's
message, never with a traceback of the import it interrupted. The command line installs its
own handling once it runs (see ``bagsmith.cli``).
"""

import _signal  # type: ignore[import-not-found]
import os
import sys


def _early(signum: int, frame: object) -> None:
    os.write(2, b"bagsmith: error[interrupted]: interrupted before anything was done\n")
    os._exit(130)


_signal.signal(_signal.SIGINT, _early)
_signal.signal(_signal.SIGTERM, _early)


def _quiet_swallowed_interrupt(unraisable: "sys.UnraisableHookArgs") -> None:
    """A Ctrl-C that Python swallows (in an import-lock callback, a finaliser) is noted by the
    command line and ends the run as interrupted with bagsmith's message; Python's own
    'Exception ignored in …' traceback for it is not printed, for the whole run."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


sys.unraisablehook = _quiet_swallowed_interrupt


def run() -> None:
    """The ``bagsmith`` console script."""
    from bagsmith.cli import run_as_program

    run_as_program()


if __name__ == "__main__":
    run()
