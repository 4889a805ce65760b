"""Offline XSD validation through the schema cache.

One combined driver schema (generated at install time) imports METS, PREMIS, MIX, MODS, Dublin
Core, oai_dc and XLink, so every namespace embedded in ``mets:xmlData`` is checked, and declares
bagsmith's Dublin Core container. Schema locations resolve through :class:`CacheResolver`,
which refuses anything outside the cache: validation never touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import SchemaCacheError
from ..problems import Problem
from .cache import INSTALL_HINT, cache_dir, complete_fingerprint
from .generated import DRIVER_FILE
from .registry import BAGSMITH_DC_NS
from .resolver import CacheResolver

METS_ROOT = "{http://www.loc.gov/METS/}mets"
DC_ROOT = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
#: dc.xml of packages made before bagsmith wrote oai_dc: its own container (still accepted)
LEGACY_DC_ROOT = f"{{{BAGSMITH_DC_NS}}}dublinCore"
EXPECTED_ROOTS = {"mets": METS_ROOT, "dc": DC_ROOT}
ACCEPTED_ROOTS = {"mets": frozenset({METS_ROOT}), "dc": frozenset({DC_ROOT, LEGACY_DC_ROOT})}
MAX_REPORTED = 1000


@dataclass(frozen=True)
class SchemaError:
    """One error of a schema check as plain data: lxml's error log and its entries cannot be
    pickled, and a check's result may cross a process boundary (audit, batch)."""

    message: str
    line: int | None
    path: str | None


def check_failed(display: str, exc: Exception, line: int | None = None) -> Problem:
    """libxml2 gave up checking a document (``Internal error``, e.g. on an entity reference
    the XML safety gate should have refused): a problem of that document alone."""
    return Problem(
        "xml-schema-check-failed",
        f"libxml2 could not finish checking it against its schema ({exc}); not accepted",
        display,
        line,
    )


class Validator:
    """The compiled driver schema of one cache; reuse it for many documents."""

    def __init__(self, directory: Path, fingerprint: tuple[tuple[str, str], ...] = ()) -> None:
        self.directory = directory
        #: which schema set this is: the cache folder and the SHA-256 of each of its files
        self.fingerprint = (str(directory), fingerprint)
        resolver = CacheResolver(directory)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        parser.resolvers.add(resolver)
        driver = directory / DRIVER_FILE
        try:
            document = etree.parse(str(driver), parser)
            self.schema = etree.XMLSchema(document)
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
            refused = (
                f" (refused to load: {', '.join(sorted(set(resolver.refused)))})"
                if resolver.refused
                else ""
            )
            raise SchemaCacheError(
                f"the schemas in {directory} cannot be compiled: {exc}{refused}",
                path=driver,
                hint="reinstall them: " + INSTALL_HINT,
            ) from exc

    def validate(self, tree: Any, display: str, expect: str | None = None) -> list[Problem]:
        """XSD problems of a parsed document (``xml-schema-invalid``, with line numbers)."""
        problems: list[Problem] = []
        root = tree.getroot()
        if expect is not None and root.tag not in ACCEPTED_ROOTS[expect]:
            problems.append(
                Problem(
                    "xml-schema-invalid",
                    f"root element is {root.tag}, expected {EXPECTED_ROOTS[expect]}",
                    display,
                    root.sourceline,
                )
            )
            return problems
        errors, failed = self.check(tree, display)
        if failed is not None:
            return [failed]
        for error in errors[:MAX_REPORTED]:
            problems.append(
                Problem("xml-schema-invalid", error.message, display, error.line or None)
            )
        if len(errors) > MAX_REPORTED:
            problems.append(
                Problem(
                    "xml-schema-invalid",
                    f"{len(errors) - MAX_REPORTED} more schema errors not listed",
                    display,
                )
            )
        return problems

    def check(self, target: Any, display: str) -> tuple[list[SchemaError], Problem | None]:
        """The schema errors of ``target`` (a tree or an element) as plain data, or the
        problem saying libxml2 could not finish the check (any lxml error it raises)."""
        try:
            if self.schema.validate(target):
                return [], None
        except etree.Error as exc:
            return [], check_failed(display, exc, getattr(target, "sourceline", None))
        return [SchemaError(e.message, e.line or None, e.path) for e in self.schema.error_log], None


def validator(directory: Path | None = None) -> Validator:
    """The validator for the cache (compiled once per cache state); SchemaCacheError if absent."""
    directory = directory or cache_dir()
    return _compiled(str(directory), complete_fingerprint(directory))


@lru_cache(maxsize=4)
def _compiled(directory: str, fingerprint: tuple[tuple[str, str], ...]) -> Validator:
    return Validator(Path(directory), fingerprint)
