"""The official XSDs bagsmith knows: file in the cache, target namespace, canonical URLs.

The list is data (``schemas/official-xsds.json``); this module only reads it and derives the
URL → file mapping that the XML catalog and the offline resolver share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from ..errors import SchemaCacheError
from ..resources import schemas_dir

REGISTRY_FILE = "official-xsds.json"

#: Namespace of bagsmith's own container element for Dublin Core (generated driver schema).
BAGSMITH_DC_NS = "urn:bagsmith:dc-container:1"


@dataclass(frozen=True)
class OfficialSchema:
    key: str
    file: str  # POSIX path inside the cache, e.g. "mets/mets.xsd"
    namespace: str | None  # expected targetNamespace; None for a container without one
    version: str
    url: str  # where ``schemas install`` downloads it from
    aliases: tuple[str, ...] = ()

    def system_ids(self) -> tuple[str, ...]:
        """Every URL that names this file: the canonical one, its aliases, http and https."""
        out: list[str] = []
        for url in (self.url, *self.aliases):
            for variant in _variants(url):
                if variant not in out:
                    out.append(variant)
        return tuple(out)


def _variants(url: str) -> tuple[str, ...]:
    if url.startswith("https://"):
        rest = url[len("https://") :]
    elif url.startswith("http://"):
        rest = url[len("http://") :]
    else:
        return (url,)
    hosts = [rest]
    if rest.startswith("www."):
        hosts.append(rest[len("www.") :])
    elif rest.startswith("dublincore.org/"):
        hosts.append("www." + rest)
    return tuple(f"{scheme}://{host}" for host in hosts for scheme in ("http", "https"))


@cache
def official_schemas() -> tuple[OfficialSchema, ...]:
    """The registry, in dependency-friendly order (imported schemas first)."""
    path = schemas_dir() / REGISTRY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            OfficialSchema(
                key=item["key"],
                file=item["file"],
                namespace=item["namespace"],
                version=item["version"],
                url=item["url"],
                aliases=tuple(item.get("aliases", ())),
            )
            for item in data["schemas"]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SchemaCacheError(f"cannot read the schema registry: {exc}", path=path) from exc


def by_key(key: str) -> OfficialSchema:
    for schema in official_schemas():
        if schema.key == key:
            return schema
    raise KeyError(key)


@cache
def url_map() -> dict[str, str]:
    """URL (any known spelling) → file inside the cache."""
    mapping: dict[str, str] = {}
    for schema in official_schemas():
        for system_id in schema.system_ids():
            mapping[system_id] = schema.file
    return mapping
