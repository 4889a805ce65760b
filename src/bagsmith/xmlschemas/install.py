"""Install the official XSDs into the schema cache: download or copy, verify, record, swap in.

Nothing is half-installed: every file is fetched and verified into a staging folder next to the
cache, the catalog, driver schema and index are written there, and only then is the staging
folder renamed into place. Any failure removes the staging folder and leaves the old cache as
it was.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .. import __version__
from ..errors import SchemaCacheError, UsageError
from .cache import INDEX_FILE, INDEX_FORMAT, cache_dir, sha256_of
from .generated import CATALOG_FILE, DRIVER_FILE, catalog_xml, driver_xsd
from .registry import OfficialSchema, official_schemas

XS_NS = "http://www.w3.org/2001/XMLSchema"
MAX_XSD_BYTES = 8 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0

Fetcher = Callable[[OfficialSchema], tuple[bytes, str]]


@dataclass(frozen=True)
class InstalledFile:
    file: str
    namespace: str | None
    sha256: str
    size: int
    source: str


@dataclass(frozen=True)
class InstallResult:
    directory: Path
    files: tuple[InstalledFile, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "directory": str(self.directory),
            "files": [
                {
                    "file": f.file,
                    "namespace": f.namespace,
                    "sha256": f.sha256,
                    "size": f.size,
                    "source": f.source,
                }
                for f in self.files
            ],
        }


def from_folder(folder: Path) -> Fetcher:
    """Read each schema from ``folder/<file>`` (the cache layout, e.g. ../shared/schemas)."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder", path=folder)
    folder = folder.absolute()

    def fetch(schema: OfficialSchema) -> tuple[bytes, str]:
        path = folder / schema.file
        try:
            if path.stat().st_size > MAX_XSD_BYTES:
                raise SchemaCacheError(
                    f"{schema.file} is larger than {MAX_XSD_BYTES} bytes", path=path
                )
            return path.read_bytes(), str(path)
        except OSError as exc:
            raise SchemaCacheError(
                f"cannot read {schema.file} from {folder}: {exc.strerror or exc}", path=path
            ) from exc

    return fetch


def from_urls(base_url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Fetcher:
    """Download each schema from its canonical URL, or from ``base_url/<file>`` (a mirror)."""
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise UsageError(f"{{base_url}} must be an http or https URL, not {base_url!r}")

    def fetch(schema: OfficialSchema) -> tuple[bytes, str]:
        url = schema.url if base_url is None else base_url.rstrip("/") + "/" + schema.file
        try:
            request = urllib.request.Request(url, headers={"User-Agent": f"bagsmith/{__version__}"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                data: bytes = response.read(MAX_XSD_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise SchemaCacheError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
        except TimeoutError as exc:
            raise SchemaCacheError(
                f"cannot download {url}: no answer within {timeout:g} s"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise SchemaCacheError(
                    f"cannot download {url}: no answer within {timeout:g} s"
                ) from exc
            raise SchemaCacheError(f"cannot download {url}: {reason}") from exc
        if len(data) > MAX_XSD_BYTES:
            raise SchemaCacheError(f"{url} is larger than {MAX_XSD_BYTES} bytes; not an XSD")
        return data, url

    return fetch


def verify_xsd(data: bytes, schema: OfficialSchema, source: str) -> None:
    """Well-formed XML Schema document with the expected target namespace, or SchemaCacheError."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SchemaCacheError(
            f"{source} is not an XSD for {schema.file}: not well-formed XML ({exc})"
        ) from exc
    if root.tag != f"{{{XS_NS}}}schema":
        raise SchemaCacheError(
            f"{source} is not an XSD for {schema.file}: its root element is {root.tag!r}, not xs:schema"
        )
    found = root.get("targetNamespace")
    if found != schema.namespace:
        raise SchemaCacheError(
            f"{source} is not the expected {schema.file}: targetNamespace is {found!r}, "
            f"expected {schema.namespace!r}"
        )


def install(fetch: Fetcher, directory: Path | None = None) -> InstallResult:
    """Fetch, verify and install every official schema, then write catalog, driver and index."""
    target = directory or cache_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        installed: list[InstalledFile] = []
        for schema in official_schemas():
            data, source = fetch(schema)
            verify_xsd(data, schema, source)
            _write(staging / schema.file, data)
            installed.append(
                InstalledFile(schema.file, schema.namespace, sha256_of(data), len(data), source)
            )
        for name, data in ((CATALOG_FILE, catalog_xml()), (DRIVER_FILE, driver_xsd())):
            _write(staging / name, data)
            installed.append(
                InstalledFile(name, None, sha256_of(data), len(data), "generated by bagsmith")
            )
        index = {
            "format": INDEX_FORMAT,
            "files": {
                f.file: {
                    "sha256": f.sha256,
                    "size": f.size,
                    "namespace": f.namespace,
                    "source": f.source,
                }
                for f in installed
            },
        }
        _write(staging / INDEX_FILE, (json.dumps(index, indent=2, sort_keys=True) + "\n").encode())
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InstallResult(target, tuple(installed))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _swap_in(staging: Path, target: Path) -> None:
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    try:
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError as exc:
        if old.exists() and not target.exists():
            old.rename(target)
        raise SchemaCacheError(
            f"cannot install the schemas into {target}: {exc}", path=target
        ) from exc
    shutil.rmtree(old, ignore_errors=True)
