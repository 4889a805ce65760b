"""``ocfl:///path/to/storage-root``: the bag becomes an OCFL 1.1 object (ocfl-py).

The whole bag (tag files and payload) is the content of one object version, so the bag can be
taken out again exactly as it went in. The object id is ``--object-id`` or the bag's
External-Identifier. A changed bag deposited again becomes a new version; an identical one
adds nothing. Versions are built in a staging copy next to the storage root (earlier
versions hard-linked, never rewritten), checked with ocfl-py's *object* validator (its
storage-root validation can report success for a root holding a broken object) and read
back file by file before the staging copy replaces the object.

Settings: ``layout`` (storage layout for a new root, default
``0003-hash-and-id-n-tuple-storage-layout``), ``user_name``, ``user_address``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import SplitResult

from ..errors import DepositError
from .base import (
    ALREADY_PRESENT,
    DEPOSITED,
    DRY_RUN,
    UNVERIFIED,
    DepositOptions,
    DepositResult,
    deposit_error,
)
from .directory import os_failure
from .source import LocalBag
from .verify import differences, read_back, require_identical

DEFAULT_LAYOUT = "0003-hash-and-id-n-tuple-storage-layout"
ROOT_DECLARATION = "0=ocfl_1.1"
_SETTINGS = {"layout", "user_name", "user_address"}


class OcflTarget:
    """An OCFL storage root on a local or mounted file system."""

    def __init__(self, root: Path, display: str, settings: dict[str, Any]) -> None:
        self.root = root
        self.display = display
        self.layout = str(settings.get("layout", DEFAULT_LAYOUT))
        self.user_name = str(settings.get("user_name", "bagsmith"))
        self.user_address = settings.get("user_address")

    def deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        if bag.kind != "folder":
            raise deposit_error(
                "config",
                "an OCFL deposit needs a bag folder, not a serialised bag",
                path=str(bag.path),
                hint="extract the archive and deposit the folder",
            )
        object_id = options.object_id or bag.external_identifier
        if not object_id:
            raise deposit_error(
                "config",
                "the OCFL object needs an id: the bag has no External-Identifier",
                path=str(bag.path),
                hint="give one with --object-id",
            )
        result.identifiers["ocfl-object-id"] = object_id
        try:
            self._deposit(bag, options, result, object_id)
        except OSError as exc:
            raise os_failure(exc, self.root) from exc

    def _deposit(
        self, bag: LocalBag, options: DepositOptions, result: DepositResult, object_id: str
    ) -> None:
        ocfl = import_ocfl()

        objdir = self.root / self._object_path(object_id, create=not options.dry_run)
        result.location = objdir.as_uri()
        head: str | None = None
        if objdir.exists():
            self.validate_object(objdir)
            head = _inventory(objdir)["head"]
            if not differences(bag, self.read_head(bag, objdir)):
                result.outcome, result.verified = ALREADY_PRESENT, True
                result.identifiers["ocfl-version"] = str(head)
                result.details.append(f"the object's head version {head} is this bag already")
                return
        if options.dry_run:
            result.outcome = DRY_RUN
            result.details.append(
                f"would add a new version to {object_id} (now at {head})"
                if head
                else f"would create object {object_id}"
            )
            return
        staging = self.root.parent / f".{self.root.name}.bagsmith-{uuid.uuid4().hex[:12]}"
        try:
            metadata = ocfl.VersionMetadata(
                message=f"bagsmith deposit of bag {bag.name}",
                name=self.user_name,
                address=self.user_address,
            )
            obj = ocfl.Object(identifier=object_id)
            if head is None:
                call_ocfl(obj.create, srcdir=str(bag.path), metadata=metadata, objdir=str(staging))
            else:
                _link_copy(objdir, staging)
                call_ocfl(
                    obj.add_version_with_content,
                    objdir=str(staging),
                    srcdir=str(bag.path),
                    metadata=metadata,
                )
            self.validate_object(staging)
            if options.verify:
                require_identical(bag, self.read_head(bag, staging), str(staging))
            new_head = str(_inventory(staging)["head"])
            _publish(staging, objdir)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        result.identifiers["ocfl-version"] = new_head
        result.verified = options.verify
        result.outcome = DEPOSITED if options.verify else UNVERIFIED
        result.details.append(
            f"created object {object_id} ({new_head})"
            if head is None
            else f"added version {new_head} to {object_id}"
        )

    def _object_path(self, object_id: str, *, create: bool) -> str:
        ocfl = import_ocfl()

        if not (self.root / ROOT_DECLARATION).is_file():
            if self.root.exists() and any(self.root.iterdir()):
                raise deposit_error(
                    "config",
                    "the folder is not an OCFL 1.1 storage root (no 0=ocfl_1.1) and not empty",
                    path=str(self.root),
                )
            if not self.root.parent.is_dir():
                raise deposit_error(
                    "config", "the storage root's parent folder does not exist", path=str(self.root)
                )
            if create:
                if self.root.exists():
                    self.root.rmdir()
                call_ocfl(ocfl.StorageRoot(root=str(self.root), layout_name=self.layout).initialize)
            else:
                root = ocfl.StorageRoot(layout_name=self.layout)
                return str(call_ocfl(lambda: root.layout.identifier_to_path(object_id)))
        path = call_ocfl(ocfl.StorageRoot(root=str(self.root)).object_path, object_id)
        return str(path)

    @staticmethod
    def validate_object(objdir: Path) -> None:
        """ocfl-py's object validation, digests included; a deposit error when it fails."""
        ocfl = import_ocfl()

        passed, validator = call_ocfl(
            ocfl.Object().validate, objdir=str(objdir), log_warnings=False, check_digests=True
        )
        if not passed:
            raise deposit_error(
                "checksum-mismatch",
                "the OCFL object is not valid: " + " ".join(validator.status_str().split())[:800],
                path=str(objdir),
                hint="inspect it with ocfl-validate.py; nothing was recorded as deposited",
            )

    @staticmethod
    def read_head(bag: LocalBag, objdir: Path) -> dict[str, dict[str, str] | None]:
        """Re-read the files of the object's head version, keyed by their path in the bag."""
        inv = _inventory(objdir)
        state: dict[str, list[str]] = inv["versions"][inv["head"]]["state"]
        manifest: dict[str, list[str]] = inv["manifest"]
        content = {logical: manifest[d][0] for d, paths in state.items() for logical in paths}

        def opener(relpath: str) -> IO[bytes]:
            return open(objdir / content[relpath], "rb")

        return read_back(bag, sorted(content), opener)


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo what ocfl-py does to the root logger: its dependency ``pairtree`` configures it
    (INFO, to stderr) when imported, and its module-level ``logging.debug`` calls add a
    handler to it. A library must not make an application print."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def import_ocfl() -> Any:
    """The ocfl-py module (imported on first use), without its changes to the root logger."""
    with _root_logging_kept():
        import ocfl
    return ocfl


def _inventory(objdir: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((objdir / "inventory.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise deposit_error(
            "invalid", f"cannot read the object's inventory: {exc}", path=str(objdir)
        ) from exc
    return data


def call_ocfl(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ocfl-py, turning its exceptions (which are not OSError) into deposit errors."""
    try:
        with _root_logging_kept():
            return func(*args, **kwargs)
    except (OSError, DepositError):
        raise
    except Exception as exc:
        raise deposit_error("invalid", f"ocfl-py: {exc}") from exc


def _link_copy(objdir: Path, staging: Path) -> None:
    """Stage an existing object: version folders hard-linked (OCFL never rewrites them),
    the object root's own files copied (a new version rewrites the inventory there)."""
    for dirpath, _dirs, names in os.walk(objdir):
        rel = Path(dirpath).relative_to(objdir)
        (staging / rel).mkdir(parents=True, exist_ok=True)
        for name in names:
            src, dest = Path(dirpath) / name, staging / rel / name
            if rel.parts:
                try:
                    os.link(src, dest)
                    continue
                except OSError:
                    pass
            shutil.copy2(src, dest)


def _publish(staging: Path, objdir: Path) -> None:
    """Move the verified staging object into place (replacing the old one, if any)."""
    if not objdir.exists():
        objdir.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staging, objdir)
        return
    old = objdir.with_name(f".{objdir.name}.bagsmith-old-{uuid.uuid4().hex[:8]}")
    os.rename(objdir, old)
    try:
        os.rename(staging, objdir)
    except OSError:
        os.rename(old, objdir)
        raise
    shutil.rmtree(old)


def from_settings(url: SplitResult, settings: dict[str, Any], display: str) -> OcflTarget:
    from .registry import url_path

    unknown = set(settings) - _SETTINGS
    if unknown:
        raise deposit_error(
            "config", "unknown setting(s) for ocfl://: " + ", ".join(sorted(unknown))
        )
    return OcflTarget(url_path(url), display, settings)
