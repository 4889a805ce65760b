"""``az://ACCOUNT/CONTAINER/PREFIX``: upload the bag to Azure Blob Storage (azure-storage-blob).

A bag folder is serialised first (``archive_format``, default zip; by the serialiser the
pipeline passes in the deposit options), or sent as one blob per file (``objects``,
:mod:`.tree`); a serialised bag is sent as it is. The file goes up as a block blob: it is cut into
blocks whose MD5s are computed first, each block is staged with that MD5 as its
``Content-MD5`` (the service refuses a block whose bytes differ: ``400 Md5Mismatch``), and the
block list is committed with the file's MD5 as the blob's ``Content-MD5`` and its SHA-256 in
the metadata (``bagsmith_sha256``), only if no blob has that name yet. Block ids carry the
block's number and MD5, so an interrupted upload of the same file is **resumed**: staged
blocks whose id and size match are kept. Afterwards the blob's size, MD5, SHA-256 and its
committed block list (every block one the service has checked) are compared with the file.

Credentials, in this order: ``connection_string`` or ``account_key`` in the config, else the
SDK's usual environment variables ``AZURE_STORAGE_CONNECTION_STRING``, or
``AZURE_STORAGE_ACCOUNT`` + ``AZURE_STORAGE_KEY``. The endpoint is
``https://ACCOUNT.blob.core.windows.net`` unless ``--endpoint-url``/``endpoint_url`` (Azurite,
sovereign clouds) or the connection string's ``BlobEndpoint`` says otherwise.

Settings: ``endpoint_url``, ``connection_string``, ``account_key``, ``block_size`` (bytes,
default 16 MiB), ``timeout`` (seconds), ``archive_format``, ``objects``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, unquote

from .base import (
    ALREADY_PRESENT,
    DEPOSITED,
    DRY_RUN,
    UNVERIFIED,
    DepositOptions,
    DepositResult,
    Sent,
    TransientError,
    deposit_error,
)
from .onefile import archive_to_send, chunk_size, failures_mapped, name_under, objects_base
from .source import (
    DEFAULT_ARCHIVE_FORMAT,
    ArchiveCache,
    LocalBag,
    archive_format_setting,
)
from .tree import Local, Stored, deposit_tree

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, BlobServiceClient

MIB = 1024 * 1024
DEFAULT_BLOCK = 16 * MIB
MAX_BLOCK = 4000 * MIB  # the service's limit on one staged block
MAX_BLOCKS = 50_000  # the service's limit on blocks in one blob
META_SHA256 = "bagsmith_sha256"  # metadata names must be C# identifiers: no hyphen
_SETTINGS = {
    "endpoint_url",
    "connection_string",
    "account_key",
    "block_size",
    "timeout",
    "archive_format",
    "objects",
}
_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")
_AUTH = {"AuthenticationFailed", "AuthorizationFailure", "InvalidAuthenticationInfo"}
_PERMISSION = {
    "AuthorizationPermissionMismatch",
    "AuthorizationResourceTypeMismatch",
    "AuthorizationServiceMismatch",
    "InsufficientAccountPermissions",
}
_CHECKSUM = {"Md5Mismatch", "InvalidMd5", "Crc64Mismatch"}
_CONFLICT = {"BlobAlreadyExists", "ConditionNotMet", "LeaseIdMissing", "LeaseAlreadyPresent"}
_TRANSIENT = {"ServerBusy", "OperationTimedOut", "InternalError", "ServiceUnavailable"}


@dataclass(frozen=True)
class Block:
    index: int
    offset: int
    size: int
    md5: bytes

    @property
    def id(self) -> str:
        """The block's id: its number and MD5 (every id of a blob has the same length)."""
        return f"bagsmith-{self.index:06d}-{self.md5.hex()}"


class AzureTarget:
    object_trees = True  # can hold a bag as one object per file (--objects)

    def __init__(self, url: SplitResult, settings: dict[str, Any], display: str) -> None:
        if not url.netloc or "@" in url.netloc or ":" in url.netloc:
            raise deposit_error("config", "the az:// URL must be az://ACCOUNT/CONTAINER/PREFIX")
        self.account = url.netloc
        container, _, prefix = unquote(url.path).strip("/").partition("/")
        if not _CONTAINER.match(container):
            raise deposit_error(
                "config",
                f"{container!r} is not an Azure container name (3-63 lower-case letters, "
                "digits and single hyphens)",
                hint="use az://ACCOUNT/CONTAINER/PREFIX",
            )
        self.container = container
        self.prefix = prefix.strip("/")
        self.display = display
        self.settings = settings
        self.block_size = int(settings.get("block_size", DEFAULT_BLOCK))
        if not 1 <= self.block_size <= MAX_BLOCK:
            raise deposit_error("config", f"block_size must be 1 to {MAX_BLOCK} bytes (4000 MiB)")
        self.archive_format = archive_format_setting(
            settings.get("archive_format", DEFAULT_ARCHIVE_FORMAT)
        )
        self.objects = bool(settings.get("objects", False))
        self.archives = ArchiveCache()
        self._service: BlobServiceClient | None = None

    def close(self) -> None:
        self.archives.close()
        if self._service is not None:
            self._service.close()
            self._service = None

    # --- connection --------------------------------------------------------------------------

    def service(self) -> BlobServiceClient:
        if self._service is None:
            from azure.storage.blob import BlobServiceClient

            timeout = float(self.settings.get("timeout", 60))
            options: dict[str, Any] = {
                "retry_total": 0,  # bagsmith retries whole attempts itself
                "connection_timeout": timeout,
                "read_timeout": timeout,
            }
            endpoint = self.settings.get("endpoint_url")
            credential, found_endpoint = self._credential(options)
            url = endpoint or found_endpoint or f"https://{self.account}.blob.core.windows.net"
            try:
                self._service = BlobServiceClient(str(url), credential=credential, **options)
            except ValueError as exc:
                raise deposit_error("config", f"cannot use the Azure endpoint: {exc}") from exc
        return self._service

    def _credential(self, options: dict[str, Any]) -> tuple[Any, str | None]:
        """The credential and the endpoint a connection string names (if any)."""
        from azure.storage.blob import BlobServiceClient

        connection = self.settings.get("connection_string") or (
            None
            if self.settings.get("account_key")
            else os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
        )
        if connection:
            try:
                parsed = BlobServiceClient.from_connection_string(str(connection), **options)
            except (ValueError, TypeError) as exc:
                raise deposit_error(
                    "config", f"the Azure connection string cannot be used ({exc})"
                ) from exc
            if parsed.account_name != self.account:
                raise deposit_error(
                    "config",
                    f"the connection string is for account {parsed.account_name!r}, "
                    f"not {self.account!r} named in the URL",
                )
            endpoint = parsed.url.rstrip("/") if "BlobEndpoint=" in str(connection) else None
            return parsed.credential, endpoint
        key = self.settings.get("account_key")
        if not key:
            named = os.environ.get("AZURE_STORAGE_ACCOUNT")
            key = os.environ.get("AZURE_STORAGE_KEY")
            if key and named and named != self.account:
                raise deposit_error(
                    "config",
                    f"AZURE_STORAGE_KEY is for account {named!r} (AZURE_STORAGE_ACCOUNT), "
                    f"not {self.account!r} named in the URL",
                )
        if not key:
            raise deposit_error(
                "auth",
                "no Azure credentials found",
                hint="set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and "
                "AZURE_STORAGE_KEY, or account_key in the config",
            )
        return {"account_name": self.account, "account_key": str(key)}, None

    def blob(self, name: str) -> BlobClient:
        return self.service().get_blob_client(self.container, name)

    # --- deposit -----------------------------------------------------------------------------

    def deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        failures_mapped(_failure, lambda: self._deposit(bag, options, result))

    def _deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        base = objects_base(self.objects, self.prefix, bag, options)
        if base is not None:
            location = f"az://{self.account}/{self.container}/{base}/"
            deposit_tree(_AzureObjects(self), bag, options, result, base, location)
            return
        archive = archive_to_send(self.archives, bag, options, result, self.archive_format)
        blob_name = name_under(self.prefix, options.name or archive.name)
        md5, sha256 = result.checksums["archive-md5"], result.checksums["archive-sha256"]
        result.location = f"az://{self.account}/{self.container}/{blob_name}"
        result.identifiers["azure-blob"] = blob_name
        path, size = archive.files[0].path, archive.size
        blocks = self.plan(path, size)
        client = self.blob(blob_name)
        found = _properties(client)
        if found is not None:
            if not _matches(found, size, md5, sha256):
                raise deposit_error(
                    "conflict",
                    "a different blob already has this name",
                    path=result.location,
                    hint="deposit it under another name ({name}), or remove the old blob",
                )
            result.outcome, result.verified = ALREADY_PRESENT, True
            result.identifiers["etag"] = str(found.etag).strip('"')
            result.details.append("an identical blob is already there (verified, not sent)")
            return
        if options.dry_run:
            result.outcome = DRY_RUN
            result.details.append(
                f"would upload {size} bytes to {result.location} in {len(blocks)} block(s)"
            )
            return
        options.sent.start(size)
        kept = self.upload(client, path, blocks, md5, sha256, options.sent)
        if kept:
            result.details.append(f"resumed an interrupted upload: {kept} block(s) kept")
        after = _properties(client)
        if after is not None:
            result.identifiers["etag"] = str(after.etag).strip('"')
        if options.verify:
            if after is None or not _matches(after, size, md5, sha256, strict=True):
                raise deposit_error(
                    "checksum-mismatch",
                    "the stored blob does not have the size and checksums that were sent",
                    path=result.location,
                    hint="nothing was recorded as deposited; try again",
                )
            check_blocks(client, blocks, result.location)
        result.verified = options.verify
        result.outcome = DEPOSITED if options.verify else UNVERIFIED

    def plan(self, path: Path, size: int) -> list[Block]:
        """The blocks of the upload, with their MD5s (one read of the file)."""
        block_size = chunk_size(size, self.block_size, MAX_BLOCKS)
        blocks: list[Block] = []
        with open(path, "rb") as fh:
            for index, offset in enumerate(range(0, size, block_size), start=1):
                chunk = fh.read(block_size)
                blocks.append(Block(index, offset, len(chunk), hashlib.md5(chunk).digest()))
        return blocks

    def upload(
        self,
        client: BlobClient,
        path: Path,
        blocks: list[Block],
        md5: str,
        sha256: str,
        sent: Sent | None = None,
    ) -> int:
        """Stage the blocks not staged yet, then commit them; returns how many were kept."""
        from azure.core import MatchConditions
        from azure.storage.blob import BlobBlock, ContentSettings

        staged = _uncommitted(client)
        kept = 0
        with open(path, "rb") as fh:
            for block in blocks:
                if staged.get(block.id) == block.size:
                    kept += 1
                else:
                    fh.seek(block.offset)
                    self.stage(client, block, fh.read(block.size))
                if sent is not None:
                    sent.add(block.size)  # a block kept from before counts as sent
        client.commit_block_list(
            [BlobBlock(block_id=b.id) for b in blocks],
            content_settings=ContentSettings(
                content_md5=bytearray.fromhex(md5), content_type=_content_type(path.name)
            ),
            metadata={META_SHA256: sha256},
            match_condition=MatchConditions.IfMissing,
        )
        return kept

    def stage(self, client: BlobClient, block: Block, chunk: bytes) -> None:
        """Stage one block with the MD5 computed when the upload was planned: the service
        refuses it (Md5Mismatch) when the bytes sent are not the bytes hashed."""
        client.stage_block(
            block.id,
            chunk,
            length=len(chunk),
            transactional_content_md5=block.md5,
            validate_content=False,  # the SDK would hash what it sends, not what we planned
        )


def check_blocks(client: BlobClient, blocks: list[Block], where: str) -> None:
    """The committed block list must be ``blocks``: each one a block the service checked
    against its MD5 when it was staged (the id carries it)."""
    committed = [(b.id, b.size) for b in client.get_block_list("committed")[0]]
    if committed != [(b.id, b.size) for b in blocks]:
        raise deposit_error(
            "checksum-mismatch",
            "the stored blob is not made of the blocks that were sent",
            path=where,
            hint="nothing was recorded as deposited; try again",
        )


class _AzureObjects:
    """The Azure side of an object-tree deposit (:mod:`.tree`): a file up to ``block_size``
    is one Put Blob with its MD5 as ``Content-MD5`` (checked, and kept as the blob's MD5 by
    the service), a larger one a block upload as for an archive."""

    def __init__(self, target: AzureTarget) -> None:
        self.target = target

    def listing(self, prefix: str) -> dict[str, Stored]:
        container = self.target.service().get_container_client(self.target.container)
        out: dict[str, Stored] = {}
        for item in container.list_blobs(name_starts_with=prefix, include=["metadata"]):
            md5 = item.content_settings.content_md5
            out[str(item.name)[len(prefix) :]] = Stored(
                int(item.size),
                bytes(md5).hex() if md5 else None,
                (item.metadata or {}).get(META_SHA256),
            )
        return out

    def put(self, key: str, local: Local) -> None:
        from azure.storage.blob import ContentSettings

        f = local.file
        client = self.target.blob(key)
        if f.size > self.target.block_size:
            blocks = self.target.plan(f.path, f.size)
            self.target.upload(client, f.path, blocks, local.md5, local.sha256)
            check_blocks(client, blocks, key)
            return
        with open(f.path, "rb") as fh:
            data = fh.read(f.size + 1)  # at most block_size (+1 shows a file that grew)
        client.upload_blob(
            data,
            length=len(data),
            overwrite=False,
            transactional_content_md5=bytes.fromhex(local.md5),
            metadata={META_SHA256: local.sha256},
            content_settings=ContentSettings(content_type=_content_type(f.path.name)),
        )

    def expected_md5(self, local: Local) -> str:
        return local.md5


def _content_type(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".zip"):
        return "application/zip"
    if lower.endswith((".tgz", ".tar.gz")):
        return "application/gzip"
    if lower.endswith(".tar"):
        return "application/x-tar"
    return "application/octet-stream"


def _properties(client: BlobClient) -> Any:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return client.get_blob_properties()
    except ResourceNotFoundError as exc:
        if _code(exc) == "ContainerNotFound":
            raise
        return None


def _uncommitted(client: BlobClient) -> dict[str, int]:
    """Staged, uncommitted blocks of the blob (id → size): what an interrupted upload left."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        _committed, uncommitted = client.get_block_list("uncommitted")
    except ResourceNotFoundError as exc:
        if _code(exc) == "ContainerNotFound":
            raise
        return {}
    return {str(b.id): int(b.size) for b in uncommitted}


def _matches(props: Any, size: int, md5: str, sha256: str, *, strict: bool = False) -> bool:
    """Same size and MD5, and the same SHA-256 wherever the blob carries one (``strict``: it
    must carry it, as every blob bagsmith writes does)."""
    stored_md5 = props.content_settings.content_md5
    if props.size != size or stored_md5 is None or bytes(stored_md5).hex() != md5:
        return False
    recorded = (props.metadata or {}).get(META_SHA256)
    if recorded is None:
        return not strict
    return bool(recorded == sha256)


def _code(exc: BaseException) -> str:
    """The service's error code (``StorageErrorCode`` members are str enums: their value)."""
    code = getattr(exc, "error_code", None)
    return str(getattr(code, "value", code) or "")


def _failure(exc: Exception) -> Exception:
    """Map an azure-core / azure-storage-blob exception to a deposit error (or a transient one)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, HttpResponseError):
        code = _code(exc)
        status = int(exc.status_code or 0)
        message = str(getattr(exc, "reason", "") or "")
        text = f"{code or status}: {message}".strip(": ")
        if code in _CHECKSUM:
            return deposit_error(
                "checksum-mismatch",
                f"the Azure service received different bytes than were hashed ({text})",
                hint="the file changed while it was sent, or it was damaged on the way",
            )
        if code in _AUTH or (
            isinstance(exc, ClientAuthenticationError) and code not in _PERMISSION
        ):
            return deposit_error(
                "auth",
                f"the Azure service refused the credentials ({text})",
                hint="check the account key or connection string",
            )
        if code in _PERMISSION:
            return deposit_error("permission", f"no permission to write the blob ({text})")
        if code == "ContainerNotFound":
            return deposit_error(
                "config",
                f"the container does not exist ({text})",
                hint="create it first; bagsmith does not create containers",
            )
        if code in _CONFLICT or status in (409, 412):
            return deposit_error("conflict", f"something appeared under this name ({text})")
        if code in _TRANSIENT or status >= 500 or status == 0:
            return TransientError(f"Azure error {text}")
        if status == 403:
            return deposit_error("auth", f"access denied ({text})")
        return deposit_error("invalid", f"the Azure service refused the upload ({text})")
    if isinstance(exc, ServiceRequestError | ServiceResponseError | OSError):
        return TransientError(f"cannot reach the Azure service: {exc}")
    return exc


def from_settings(url: SplitResult, settings: dict[str, Any], display: str) -> AzureTarget:
    unknown = set(settings) - _SETTINGS
    if unknown:
        raise deposit_error("config", "unknown setting(s) for az://: " + ", ".join(sorted(unknown)))
    return AzureTarget(url, settings, display)
