"""Where bagsmith keeps data it can rebuild (the gazetteer's index, compiled regular
expressions): ``$BAGSMITH_CACHE_DIR``, else ``$XDG_CACHE_HOME/bagsmith``, else
``~/.cache/bagsmith``. Removing the folder only costs time."""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder() -> Path:
    """The cache folder (not created here: its users create it when they write)."""
    override = os.environ.get("BAGSMITH_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "bagsmith"
