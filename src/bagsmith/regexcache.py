"""Compiled regular expressions kept between runs of ``bagsmith parse`` or ``bagsmith package``
(issues 12 and 16).

Python compiles a regular expression with a parser and a compiler written in Python: of the
~0.3 s CPU a ``bagsmith parse`` of a saved page took, ~65 ms went to compiling the ~1,300
expressions that bagsmith's ingest modules, trafilatura, htmldate, courlan, urllib3 and the
standard library compile as they are imported. The compiled form is a list of integers that
the C engine (``_sre.compile``) turns into a pattern object at once; this module keeps those
lists in the user's cache folder (the gazetteer index's: ``$BAGSMITH_CACHE_DIR``, else
``$XDG_CACHE_HOME/bagsmith``, else ``~/.cache/bagsmith``) and, once :func:`enable` is called,
makes ``re`` build every pattern it finds there from them instead of compiling it again.

Why it is safe: the file's name holds the exact interpreter version and the engine's
``_sre.MAGIC`` and code size (another Python never reads it); what is kept is exactly what
``re._compiler.compile`` hands to ``_sre.compile``, which checks the code before using it;
``Pattern.__eq__`` compares the code, and ``tests/test_regexcache.py`` compares each kept
pattern with a fresh compile. A file that cannot be read or does not have the expected shape is
ignored (and replaced); one that cannot be written is not an error (nothing is kept). Only the
``bagsmith`` program itself, for ``parse`` and ``package`` (a file for each), turns it on
(``bagsmith.cli``): a library caller's process is never changed.

What is kept: the expressions this run used, then those of earlier runs, at most
:data:`MAX_ENTRIES` (patterns over :data:`MAX_PATTERN` characters are compiled as usual). The
file is written again only when there was none or a run compiled at least :data:`MIN_NEW`
expressions it did not hold: some libraries build a pattern from a set, in a different order
in each process (babel's plural rules), and rewriting ~0.4 MB for one such miss would cost
more than compiling it.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import atexit
import contextlib
import hashlib
import marshal
import os
import re
import sys
from pathlib import Path
from typing import Any

from .cachedir import cache_folder

FORMAT = 1
MAX_ENTRIES = 2048
MIN_NEW = 8
MAX_PATTERN = 20_000

# (pattern, flags) → the arguments of _sre.compile after the pattern
_Entry = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
_Key = tuple[str | bytes, int]

_known: dict[_Key, _Entry] = {}
_used: dict[_Key, _Entry] = {}
_state: dict[str, Any] = {"original": None, "file": None, "missed": 0, "loaded": False}


def cache_file(command: str = "parse") -> Path:
    """This interpreter's file for ``command``: its name changes with anything the kept code
    depends on. Each command keeps its own: ``package`` also compiles fido's ~2,000 signature
    patterns, which ``parse`` never uses, and ``parse`` compiles some that ``package`` does
    not; sharing one file, each would cut the other's part and rewrite it at every turn."""
    key = f"{FORMAT}|{sys.version}|{sys.implementation.cache_tag}|{_sre.MAGIC}|{_sre.CODESIZE}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    tag = sys.implementation.cache_tag
    return cache_folder() / f"regex-{command}-{tag}-{digest}.marshal"


def build(pattern: str | bytes, flags: int) -> _Entry:
    """What ``re._compiler.compile`` gives ``_sre.compile`` for ``pattern`` (same steps)."""
    parsed = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]
    # plain ints: the opcodes are an int subclass that marshal does not write
    code = [int(op) for op in re._compiler._code(parsed, flags)]  # type: ignore[attr-defined]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (
        int(flags | parsed.state.flags),
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def make(pattern: str | bytes, entry: _Entry) -> re.Pattern[Any]:
    flags, code, groups, groupindex, indexgroup = entry
    compiled: re.Pattern[Any] = _sre.compile(
        pattern, flags, code, groups, dict(groupindex), indexgroup
    )
    return compiled


def _compile(pattern: Any, flags: int = 0) -> re.Pattern[Any]:
    """``re._compiler.compile`` with the kept code (``re._compile`` still caches the object)."""
    if (
        not isinstance(pattern, str | bytes)
        or type(flags) is not int
        or flags & re.DEBUG
        or len(pattern) > MAX_PATTERN
    ):
        return _state["original"](pattern, flags)  # type: ignore[no-any-return]
    # the key of exact type: marshal writes no subclass (lxml gives its XPath strings as one)
    key = (str(pattern) if isinstance(pattern, str) else bytes(pattern), flags)
    entry = _known.get(key)
    if entry is None:
        entry = build(pattern, flags)  # an invalid pattern raises re.error here, as usual
        _known[key] = entry
        _state["missed"] += 1
    _used[key] = entry
    return make(pattern, entry)


def _valid(table: object) -> bool:
    if not isinstance(table, dict):
        return False
    for key, entry in table.items():
        if not (
            isinstance(key, tuple)
            and len(key) == 2
            and isinstance(key[0], str | bytes)
            and isinstance(key[1], int)
            and isinstance(entry, tuple)
            and len(entry) == 5
            and isinstance(entry[0], int)
            and isinstance(entry[1], list)
            and isinstance(entry[2], int)
            and isinstance(entry[3], dict)
            and isinstance(entry[4], tuple)
        ):
            return False
    return True


def load(path: Path) -> dict[_Key, _Entry]:
    """The kept table of ``path``; empty when missing, unreadable or not of the expected shape."""
    try:
        table = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return table if _valid(table) else {}


def _supported() -> bool:
    """The private pieces this relies on exist and give what ``re.compile`` gives."""
    original = getattr(getattr(re, "_compiler", None), "compile", None)
    if original is None or not hasattr(re._compiler, "_code") or not hasattr(re, "_parser"):  # type: ignore[attr-defined]
        return False
    probe = r"(?P<word>[^\W\d_]+)(?:\s+(\d{1,4}))?(?i:x)"
    try:
        return bool(make(probe, build(probe, re.UNICODE)) == original(probe, re.UNICODE))
    except Exception:  # any surprise: compile as usual
        return False


def save() -> None:
    """Write the table when this run compiled something new (at exit; errors are ignored)."""
    path = _state["file"]
    if path is None or _state["missed"] < (MIN_NEW if _state["loaded"] else 1):
        return
    table = dict(_used)
    for key, entry in _known.items():
        if len(table) >= MAX_ENTRIES:
            break
        table.setdefault(key, entry)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps(table))
        os.replace(tmp, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    _state["missed"] = 0
    _state["loaded"] = True


def disable() -> None:
    """Back to ``re``'s own compiler (for tests; what was compiled stays as it is)."""
    if _state["original"] is not None:
        re._compiler.compile = _state["original"]  # type: ignore[attr-defined]
        atexit.unregister(save)
        save()
    _state.update(original=None, file=None, missed=0, loaded=False)
    _known.clear()
    _used.clear()


def enable(command: str = "parse") -> None:
    """Build patterns from the kept code of ``command``'s file for the rest of this process
    (once; a no-op where the interpreter's ``re`` is not the one this was written for)."""
    if _state["original"] is not None or not _supported():
        return
    path = cache_file(command)
    _known.update(load(path))
    _state["loaded"] = bool(_known)
    _state["file"] = path
    _state["original"] = re._compiler.compile  # type: ignore[attr-defined]
    re._compiler.compile = _compile  # type: ignore[attr-defined]
    atexit.register(save)
