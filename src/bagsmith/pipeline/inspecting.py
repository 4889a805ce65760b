"""Use case: read what a bag holds (tags, manifests, files) without hashing or checking it.

The public :class:`bagsmith.Bag` is built on :func:`inspect_bag`; validation is a separate
use case (:mod:`.validation`).
"""

from __future__ import annotations

from pathlib import Path

from ..bagit.contents import BagContents, read_contents

__all__ = ["BagContents", "inspect_bag"]


def inspect_bag(path: str | Path) -> BagContents:
    """The bag at ``path`` (folder or archive) as read from disk; nothing is hashed.

    Raises :class:`~bagsmith.errors.InputError` (unreadable path) or
    :class:`~bagsmith.errors.BagError` (not a bag).
    """
    return read_contents(path)
