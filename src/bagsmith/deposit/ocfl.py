"""``ocfl:///path/to/storage-root``: the bag becomes an OCFL 1.1 object (ocfl-py).

The whole bag (tag files and payload) is the content of one object version, so the bag can be
taken out again exactly as it went in. The object id is ``--object-id`` or the bag's
External-Identifier. A changed bag deposited again becomes a new version; an identical one
adds nothing. Versions are built in a staging copy next to the storage root (earlier
versions hard-linked, never rewritten), checked with ocfl-py's *object* validator (its
storage-root validation can report success for a root holding a broken object) and read
back file by file before the staging copy replaces the object.

The version's user is ``user_name``/``user_address``, else the bag's Contact-Name and
Contact-Email; the inventory's ``fixity`` block carries the bag's other digests
(:func:`add_fixity`). A storage root inside the bag, or holding it, is refused.

Settings: ``layout`` (storage layout for a new root, default
``0003-hash-and-id-n-tuple-storage-layout``), ``user_name``, ``user_address``.
"""

from __future__ import annotations

import hashlib
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
from .directory import os_failure, refuse_overlap
from .source import LocalBag
from .verify import differences, read_back, require_identical

DEFAULT_LAYOUT = "0003-hash-and-id-n-tuple-storage-layout"
ROOT_DECLARATION = "0=ocfl_1.1"
_SETTINGS = {"layout", "user_name", "user_address"}
#: Digests of the bag written to the inventory's ``fixity`` block (those OCFL 1.1 defines
#: besides the SHA-512 it identifies content by).
FIXITY_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


class OcflTarget:
    """An OCFL storage root on a local or mounted file system."""

    def __init__(self, root: Path, display: str, settings: dict[str, Any]) -> None:
        self.root = root
        self.display = display
        self.layout = str(settings.get("layout", DEFAULT_LAYOUT))
        self.user_name = settings.get("user_name")
        self.user_address = settings.get("user_address")

    def user_of(self, bag: LocalBag) -> tuple[str, str | None]:
        """The version's user: the configured ``user_name``/``user_address``, else the bag's
        Contact-Name and Contact-Email (as a ``mailto:`` URI), else ``bagsmith`` with no
        address."""
        if self.user_address:
            return str(self.user_name or bag.contact_name or "bagsmith"), str(self.user_address)
        email = (bag.contact_email or "").strip()
        address = f"mailto:{email}" if email and "@" in email and " " not in email else None
        name = self.user_name or (bag.contact_name if address else None) or "bagsmith"
        return str(name), address

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
                hint="give one with {object_id}",
            )
        result.identifiers["ocfl-object-id"] = object_id
        result.form = "ocfl-object"
        for local in bag.local_paths():
            refuse_overlap(local, self.root, "OCFL storage root")
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
            name, address = self.user_of(bag)
            if address is None:
                result.details.append(
                    "the version's user has no address (OCFL validators warn: W008): set "
                    "user_address in the config, or Contact-Email in bag-info.txt"
                )
            metadata = ocfl.VersionMetadata(
                message=f"bagsmith deposit of bag {bag.name}", name=name, address=address
            )
            obj = ocfl.Object(identifier=object_id)
            options.sent.start(bag.size)  # ocfl-py copies without a callback: counted once
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
            options.sent.add(bag.size)
            add_fixity(staging, bag)
            warnings = self.validate_object(staging)
            result.details += [f"OCFL validator: {w}" for w in warnings]
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
    def validate_object(objdir: Path) -> list[str]:
        """ocfl-py's object validation, digests (manifest and fixity) included; a deposit
        error when it fails, else the validator's warnings (empty for a clean object)."""
        ocfl = import_ocfl()

        passed, validator = call_ocfl(
            ocfl.Object().validate, objdir=str(objdir), log_warnings=True, check_digests=True
        )
        if not passed:
            raise deposit_error(
                "checksum-mismatch",
                "the OCFL object is not valid: " + " ".join(validator.status_str().split())[:800],
                path=str(objdir),
                hint="inspect it with ocfl-validate.py; nothing was recorded as deposited",
            )
        return [" ".join(str(m).split()) for m in validator.log.messages]

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


def add_fixity(objdir: Path, bag: LocalBag) -> None:
    """Give the head version's inventory a ``fixity`` block with the bag's other digests.

    OCFL identifies content by SHA-512; the bag's manifests often carry other algorithms
    (SHA-256, MD5). For every file of the head version, the content path it is stored
    under gets the bag's digests of :data:`FIXITY_ALGORITHMS` (ocfl-py 2.1 writes an empty
    block when asked for fixity, so bagsmith fills it from the manifests it has just
    validated). Earlier entries are kept. The inventory and its sidecar are rewritten at
    the object root and in the head version's folder (new files, renamed into place: older
    versions are hard links shared with the published object and are never touched); the
    object validator then checks every fixity digest against the content.
    """
    inv = _inventory(objdir)
    algorithm = str(inv.get("digestAlgorithm", "sha512"))
    head = str(inv["head"])
    state: dict[str, list[str]] = inv["versions"][head]["state"]
    manifest: dict[str, list[str]] = inv["manifest"]
    fixity: dict[str, dict[str, list[str]]] = inv.get("fixity") or {}
    for digest, logical_paths in state.items():
        for logical in logical_paths:
            known = bag.digests.get(logical, {})
            for alg in FIXITY_ALGORITHMS:
                value = known.get(alg)
                if alg == algorithm or value is None:
                    continue
                listed = fixity.setdefault(alg, {}).setdefault(value, [])
                for content in manifest[digest]:
                    if content not in listed:
                        listed.append(content)
    fixity = {alg: block for alg, block in fixity.items() if block}
    if not fixity:
        return
    for block in fixity.values():
        for paths in block.values():
            paths.sort()
    inv["fixity"] = fixity
    text = json.dumps(inv, sort_keys=True, indent=2)
    sidecar = f"inventory.json.{algorithm}"
    digest = hashlib.new(algorithm, text.encode("utf-8")).hexdigest()
    for folder in (objdir / head, objdir):
        _replace(folder / "inventory.json", text)
        _replace(folder / sidecar, f"{digest} inventory.json\n")


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.bagsmith-{uuid.uuid4().hex[:8]}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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
