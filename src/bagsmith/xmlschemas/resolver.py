"""A per-parser lxml resolver that maps schema locations to the cache and refuses the rest.

libxml2 asks the resolver for every external resource (the schema documents themselves, each
``xs:import``/``xs:include``, DTDs, external entities). Known URLs of the official schemas map
to their files in the cache; paths inside the cache are allowed; everything else is refused, so
validation can never reach the network or read a file outside the cache.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lxml import etree

from .registry import url_map


class RefusedResource(OSError):
    """Raised inside the resolver: libxml2 then fails to load the resource."""


class CacheResolver(etree.Resolver):  # type: ignore[misc]
    def __init__(self, directory: Path | None) -> None:
        super().__init__()
        self.directory = Path(os.path.realpath(directory)) if directory is not None else None
        self.refused: list[str] = []

    def resolve(self, url: str | None, public_id: str | None, context: Any) -> Any:
        if self.directory is not None and url:
            mapped = url_map().get(url)
            if mapped is not None:
                return self.resolve_filename(str(self.directory / mapped), context)
            local = _local_path(url)
            if local is not None and _inside(local, self.directory):
                return self.resolve_filename(str(local), context)
        self.refused.append(url or f"(public id {public_id})")
        raise RefusedResource(f"bagsmith refuses to load {url!r}: not in the schema cache")


class RefuseAll(CacheResolver):
    """For untrusted instance documents: no external resource at all."""

    def __init__(self) -> None:
        super().__init__(None)


def _local_path(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and url.startswith("/"):
        return Path(url)
    return None


def _inside(path: Path, directory: Path) -> bool:
    real = Path(os.path.realpath(path))
    return real == directory or directory in real.parents
