"""The combined report of many bags (``bagsmith audit``, ``validate_collection``): one
:class:`BagEntry` per bag, as text-ready data, JSON (:meth:`CollectionReport.to_dict`) and CSV
(:meth:`CollectionReport.to_csv`, one row per bag). ``bagsmith validate`` on a collection
prints :meth:`CollectionReport.validation_report` instead: the same document as for bags
validated one by one."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..bagit.validate import Mode
from .validation import report_document

CSV_COLUMNS = ("path", "kind", "valid", "errors", "warnings", "files", "bytes", "first_problem")


@dataclass
class BagEntry:
    """The outcome for one bag (or OCFL object) of a collection."""

    path: str
    kind: str = "bag"  # bag | ocfl-object
    readable: bool = True
    valid: bool = False
    format: str | None = None
    files: int = 0
    bytes: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    #: a bag's entry in the validation report (schemas/validation-report.schema.json)
    report: dict[str, Any] | None = field(default=None, repr=False)

    def _count(self, severity: str) -> int:
        return sum(p.get("severity") == severity for p in self.problems)

    @property
    def errors(self) -> int:
        return self._count("error")

    @property
    def warnings(self) -> int:
        return self._count("warning")

    @property
    def first_problem(self) -> str:
        ordered = sorted(self.problems, key=lambda p: p.get("severity") != "error")
        for p in ordered:
            if p.get("severity") in ("error", "warning"):
                where = p.get("path") or ""
                if where and p.get("line"):
                    where += f":{p['line']}"
                return f"{p['severity']}[{p['code']}] {where + ': ' if where else ''}{p['message']}"
        return ""

    def row(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "valid": "true" if self.valid else "false",
            "errors": self.errors,
            "warnings": self.warnings,
            "files": self.files,
            "bytes": self.bytes,
            "first_problem": self.first_problem,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "readable": self.readable,
            "valid": self.valid,
            "format": self.format,
            "files": self.files,
            "bytes": self.bytes,
            "errors": self.errors,
            "warnings": self.warnings,
            "details": self.details,
            "problems": self.problems,
        }


@dataclass
class CollectionReport:
    root: str | None
    mode: Mode
    executor: str
    entries: list[BagEntry] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def invalid(self) -> list[BagEntry]:
        return [e for e in self.entries if not e.valid]

    @property
    def valid(self) -> bool:
        return not self.invalid

    @property
    def status(self) -> str:
        """``valid`` (every bag), ``invalid`` (some bag), ``unreadable`` (some path could not
        be read at all)."""
        if any(not e.readable for e in self.entries):
            return "unreadable"
        return "valid" if self.valid else "invalid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "mode": self.mode.value,
            "executor": self.executor,
            "bags": len(self.entries),
            "valid_bags": len(self.entries) - len(self.invalid),
            "invalid_bags": len(self.invalid),
            "bytes": sum(e.bytes for e in self.entries),
            "seconds": round(self.seconds, 3),
            "valid": self.valid,
            "entries": [e.to_dict() for e in self.entries],
        }

    def validation_report(self, paths: Sequence[str]) -> dict[str, Any]:
        """The report ``bagsmith validate --json`` prints (schemas/validation-report.schema.json),
        with each bag under ``paths``, the paths it was given as (one per entry, in order)."""
        bags: list[dict[str, Any]] = []
        for given, entry in zip(paths, self.entries, strict=True):
            if entry.report is not None:
                bags.append(entry.report | {"path": given})
                continue
            first = entry.problems[0] if entry.problems else {"code": "internal", "message": ""}
            error = {"code": first["code"], "message": first["message"]}
            bags.append({"path": given, "readable": False, "valid": False, "error": error})
        summary = self.to_dict()
        collection = {k: summary[k] for k in ("executor", "seconds", "valid_bags", "bytes")}
        return report_document(self.mode, bags, collection)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for entry in self.entries:
            writer.writerow(entry.row())
        return buffer.getvalue()
