"""bagsmith: web articles and their photographs into BagIt preservation packages; bags made by
any tool validated; bags deposited into repositories.

The public Python API is what this package lists in ``__all__`` (guide: docs/python.md):

* :func:`make_bag`, :class:`Bag` (its ``info``, ``manifests``, ``payload`` and
  :meth:`Bag.validate`), :func:`validate` returning a :class:`ValidationResult`;
* :func:`parse`, :func:`package` and :func:`deposit` for articles and deposits;
* the result types, :class:`Problem` with its :class:`Severity`, the article model, and one
  exception hierarchy under :class:`BagsmithError`.

The submodules (``bagsmith.pipeline``, ``bagsmith.bagit`` …) are internal: they may change
in any release. Names are loaded when first used, so ``import bagsmith`` costs next to
nothing.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads the same names
    from .api import (
        ArchiveError,
        Article,
        Bag,
        BagError,
        BagInfo,
        BagsmithError,
        DepositError,
        DepositResult,
        DestinationError,
        Figure,
        ImageInfo,
        InfoValues,
        InputError,
        Interrupted,
        MetadataError,
        PackageResult,
        ParseResult,
        Problem,
        ProfileError,
        SchemaCacheError,
        Section,
        Severity,
        SourceConflictError,
        StrPath,
        UsageError,
        ValidationMode,
        ValidationResult,
        deposit,
        make_bag,
        package,
        parse,
        validate,
    )

__all__ = [
    "ArchiveError",
    "Article",
    "Bag",
    "BagError",
    "BagInfo",
    "BagsmithError",
    "DepositError",
    "DepositResult",
    "DestinationError",
    "Figure",
    "ImageInfo",
    "InfoValues",
    "InputError",
    "Interrupted",
    "MetadataError",
    "PackageResult",
    "ParseResult",
    "Problem",
    "ProfileError",
    "SchemaCacheError",
    "Section",
    "Severity",
    "SourceConflictError",
    "StrPath",
    "UsageError",
    "ValidationMode",
    "ValidationResult",
    "__version__",
    "deposit",
    "make_bag",
    "package",
    "parse",
    "validate",
]


def __getattr__(name: str) -> Any:
    """Load a public name from :mod:`bagsmith.api` when it is first used."""
    if name in __all__ and name != "__version__":
        from . import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The class of this module. Importing a submodule sets an attribute of its parent package
    to it, so importing the internal subpackage ``bagsmith.deposit`` would replace the public
    function ``bagsmith.deposit``; a public name is never replaced by a submodule."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in __all__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
