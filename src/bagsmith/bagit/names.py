"""File name policy shared by bag writing and validation: collisions and OS special files."""

from __future__ import annotations

from typing import NamedTuple

#: Files that operating systems create on their own. Bagging them is a policy choice.
OS_FILES = frozenset(
    {
        ".DS_Store",
        "Thumbs.db",
        "ehthumbs.db",
        "desktop.ini",
        "Desktop.ini",
        ".directory",
        "Icon\r",
        ".Spotlight-V100",
        ".Trashes",
        ".fseventsd",
        ".TemporaryItems",
    }
)


def is_os_file(name: str) -> bool:
    return name in OS_FILES or name.startswith("._")


def is_hidden(name: str) -> bool:
    return name.startswith(".")


class Collision(NamedTuple):
    """Two names that differ only by normalization or by case."""

    kind: str  # "normalization" | "case"
    first: str
    second: str


class CollisionFinder:
    """Streams names in and reports pairs that differ only by normalization (or case)."""

    def __init__(self, *, case: bool) -> None:
        import unicodedata  # (here: a folder of plain names never needs it)

        self._normalize = unicodedata.normalize
        self._case = case
        self._nfc: dict[str, str] = {}
        self._fold: dict[str, str] = {}

    def add(self, name: str) -> list[Collision]:
        found: list[Collision] = []
        nfc = self._normalize("NFC", name)
        other = self._nfc.get(nfc)
        if other is not None and other != name:
            found.append(Collision("normalization", other, name))
        else:
            self._nfc.setdefault(nfc, name)
        if self._case:
            folded = nfc.casefold()
            other = self._fold.get(folded)
            if other is not None and self._normalize("NFC", other) != nfc:
                found.append(Collision("case", other, name))
            else:
                self._fold.setdefault(folded, name)
        return found
