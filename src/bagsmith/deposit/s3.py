"""``s3://bucket/prefix``: upload the serialised bag to S3-compatible storage (boto3).

A bag folder is serialised first (``archive_format``, default zip; by the serialiser the
pipeline passes in the deposit options, see :class:`.source.ArchiveCache`), or sent as one
object per file (``objects``, :mod:`.tree`); a .zip/.tar/.tgz bag is sent as it is.
Every request carries ``Content-MD5`` and ``x-amz-checksum-sha256``, so the
server rejects bytes that changed on the way; afterwards the object's ETag (the MD5, or for a
multipart upload the MD5 of the part MD5s and ``-N``), size and SHA-256 are checked. Large
archives go up in parts; an interrupted multipart upload of the same file is resumed (parts
whose MD5 and size match are kept).

Settings: ``endpoint_url``, ``region``, ``access_key_id``, ``secret_access_key``,
``session_token`` (else the usual AWS environment variables / shared credentials),
``multipart_threshold`` and ``part_size`` (bytes; parts are at least 5 MiB), ``timeout``,
``archive_format``, ``objects``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
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
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024
MIN_PART = 5 * MIB
MAX_PARTS = 10_000  # the S3 limit on parts in one upload
_SETTINGS = {
    "endpoint_url",
    "region",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "multipart_threshold",
    "part_size",
    "timeout",
    "archive_format",
    "objects",
}
META_SHA256 = "bagsmith-sha256"
_AUTH = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken"}
_CHECKSUM = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"}
_SPACE = {"QuotaExceeded", "EntityTooLarge", "InsufficientStorage", "StorageFull"}
_TRANSIENT = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"}


@dataclass(frozen=True)
class Part:
    number: int
    offset: int
    size: int
    md5: bytes
    sha256: bytes


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class S3Target:
    object_trees = True  # can hold a bag as one object per file (--objects)

    def __init__(self, url: SplitResult, settings: dict[str, Any], display: str) -> None:
        if not url.netloc:
            raise deposit_error("config", "the s3:// URL has no bucket")
        self.bucket = url.netloc
        self.prefix = unquote(url.path).strip("/")
        self.display = display
        self.settings = settings
        self.part_size = int(settings.get("part_size", 16 * MIB))
        self.threshold = int(settings.get("multipart_threshold", 64 * MIB))
        if self.part_size < MIN_PART:
            raise deposit_error("config", f"part_size must be at least {MIN_PART} bytes (5 MiB)")
        self.archive_format = archive_format_setting(
            settings.get("archive_format", DEFAULT_ARCHIVE_FORMAT)
        )
        self.objects = bool(settings.get("objects", False))
        self.archives = ArchiveCache()
        self._client: S3Client | None = None

    def close(self) -> None:
        self.archives.close()

    def client(self) -> S3Client:
        if self._client is None:
            import boto3
            from botocore.config import Config

            timeout = float(self.settings.get("timeout", 60))
            session = boto3.session.Session(
                aws_access_key_id=self.settings.get("access_key_id"),
                aws_secret_access_key=self.settings.get("secret_access_key"),
                aws_session_token=self.settings.get("session_token"),
                region_name=self.settings.get("region", "us-east-1"),
            )
            self._client = session.client(
                "s3",
                endpoint_url=self.settings.get("endpoint_url"),
                config=Config(
                    retries={"max_attempts": 1},  # bagsmith retries whole attempts itself
                    connect_timeout=timeout,
                    read_timeout=timeout,
                    s3={"addressing_style": "path"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        return self._client

    # --- deposit -------------------------------------------------------------------------

    def deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        failures_mapped(_failure, lambda: self._deposit(bag, options, result))

    def _deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        base = objects_base(self.objects, self.prefix, bag, options)
        if base is not None:
            store = _S3Objects(self)
            deposit_tree(store, bag, options, result, base, f"s3://{self.bucket}/{base}/")
            return
        archive = archive_to_send(self.archives, bag, options, result, self.archive_format)
        key = name_under(self.prefix, options.name or archive.name)
        digests = archive.digests[archive.files[0].relpath]
        sha256 = digests["sha256"]
        result.location = f"s3://{self.bucket}/{key}"
        result.identifiers["s3-key"] = key
        path, size = archive.files[0].path, archive.size
        parts = self.plan(path, size)
        expected_etag = _expected_etag(digests["md5"], parts)
        head = self._head(key)
        if head is not None:
            if not self._matches(head, size, expected_etag, sha256, parts):
                raise deposit_error(
                    "conflict",
                    "a different object already has this key",
                    path=result.location,
                    hint="deposit it under another name ({name}), or remove the old object",
                )
            result.outcome, result.verified = ALREADY_PRESENT, True
            result.identifiers["etag"] = expected_etag
            result.details.append("an identical object is already there (verified, not sent)")
            return
        if options.dry_run:
            kind = f"{len(parts)} parts" if parts else "one request"
            result.outcome = DRY_RUN
            result.details.append(f"would upload {size} bytes to {result.location} in {kind}")
            return
        options.sent.start(size)
        if parts:
            reused = self.upload_multipart(key, path, parts, sha256, options.sent)
            if reused:
                result.details.append(f"resumed an interrupted upload: {reused} part(s) kept")
        else:
            self.upload_single(key, path, digests["md5"], sha256, size)
            options.sent.add(size)
        result.identifiers["etag"] = expected_etag
        if options.verify:
            after = self._head(key)
            if after is None or not self._matches(after, size, expected_etag, sha256, parts):
                raise deposit_error(
                    "checksum-mismatch",
                    "the stored object does not have the size and checksums that were sent",
                    path=result.location,
                    hint="nothing was recorded as deposited; try again",
                )
        result.verified = options.verify
        result.outcome = DEPOSITED if options.verify else UNVERIFIED

    def plan(self, path: Path, size: int) -> list[Part]:
        """The parts of a multipart upload (with their digests), or [] for one PUT."""
        if size <= self.threshold:
            return []
        part_size = chunk_size(size, self.part_size, MAX_PARTS)
        parts: list[Part] = []
        with open(path, "rb") as fh:
            for number, offset in enumerate(range(0, size, part_size), start=1):
                chunk = fh.read(part_size)
                parts.append(
                    Part(
                        number,
                        offset,
                        len(chunk),
                        hashlib.md5(chunk).digest(),
                        hashlib.sha256(chunk).digest(),
                    )
                )
        return parts

    def upload_single(self, key: str, path: Path, md5: str, sha256: str, size: int) -> None:
        with open(path, "rb") as fh:
            response = self.client().put_object(
                Bucket=self.bucket,
                Key=key,
                Body=fh,
                ContentLength=size,
                ContentMD5=_b64(bytes.fromhex(md5)),
                ChecksumSHA256=_b64(bytes.fromhex(sha256)),
                Metadata={META_SHA256: sha256},
            )
        if response["ETag"].strip('"') != md5:
            raise deposit_error("checksum-mismatch", "the server's ETag is not the MD5 sent")

    def upload_multipart(
        self, key: str, path: Path, parts: list[Part], sha256: str, sent: Sent | None = None
    ) -> int:
        """Upload (or finish uploading) ``parts``; returns how many were already there."""
        s3 = self.client()
        upload_id, done = self._resumable(key, parts)
        if upload_id is None:
            upload_id = s3.create_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                ChecksumAlgorithm="SHA256",
                Metadata={META_SHA256: sha256},
            )["UploadId"]
        try:
            with open(path, "rb") as fh:
                for part in parts:
                    if part.number not in done:
                        fh.seek(part.offset)
                        self.put_part(key, upload_id, part, fh.read(part.size))
                    if sent is not None:
                        sent.add(part.size)  # a part kept from before counts as sent
        except Exception as exc:
            # keep the parts for a resume after a transient failure, not after a permanent one
            if not isinstance(exc, TransientError) and not isinstance(
                _failure(exc), TransientError
            ):
                s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {
                        "PartNumber": p.number,
                        "ETag": f'"{p.md5.hex()}"',
                        "ChecksumSHA256": _b64(p.sha256),
                    }
                    for p in parts
                ]
            },
        )
        return len(done)

    def put_part(self, key: str, upload_id: str, part: Part, chunk: bytes) -> None:
        response = self.client().upload_part(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=part.number,
            Body=chunk,
            ContentMD5=_b64(part.md5),
            ChecksumSHA256=_b64(part.sha256),
        )
        if response["ETag"].strip('"') != part.md5.hex():
            raise deposit_error("checksum-mismatch", f"part {part.number}: ETag is not its MD5")

    def _resumable(self, key: str, parts: list[Part]) -> tuple[str | None, set[int]]:
        """An unfinished upload to ``key`` whose parts all match ours, and its part numbers.

        Unfinished uploads to the key whose parts do not match are aborted (they could never
        be completed into this bag).
        """
        s3 = self.client()
        uploads = s3.list_multipart_uploads(Bucket=self.bucket, Prefix=key).get("Uploads", [])
        by_number = {p.number: p for p in parts}
        chosen: tuple[str | None, set[int]] = (None, set())
        for upload in sorted(uploads, key=lambda u: u["Initiated"], reverse=True):
            if upload["Key"] != key:
                continue
            upload_id = upload["UploadId"]
            listed = list(_list_parts(s3, self.bucket, key, upload_id))
            good = all(
                p["PartNumber"] in by_number
                and p["Size"] == by_number[p["PartNumber"]].size
                and p["ETag"].strip('"') == by_number[p["PartNumber"]].md5.hex()
                for p in listed
            )
            if good and chosen[0] is None:
                chosen = (upload_id, {p["PartNumber"] for p in listed})
            else:
                s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        return chosen

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            head: dict[str, Any] = dict(
                self.client().head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
            )
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise
        return head

    @staticmethod
    def _matches(
        head: dict[str, Any], size: int, etag: str, sha256: str, parts: list[Part]
    ) -> bool:
        """Same size and ETag, and the same SHA-256 wherever the object carries one (our
        metadata, the service's own checksum): then it is this archive."""
        if head.get("ContentLength") != size or str(head.get("ETag", "")).strip('"') != etag:
            return False
        recorded = head.get("Metadata", {}).get(META_SHA256)
        if recorded is not None and recorded != sha256:
            return False
        stored = head.get("ChecksumSHA256")
        return not stored or bool(stored == _expected_sha256(sha256, parts))


class _S3Objects:
    """The S3 side of an object-tree deposit (:mod:`.tree`)."""

    def __init__(self, target: S3Target) -> None:
        self.target = target
        self._parts: dict[Path, list[Part]] = {}

    def parts(self, local: Local) -> list[Part]:
        f = local.file
        if f.path not in self._parts:
            self._parts[f.path] = self.target.plan(f.path, f.size)
        return self._parts[f.path]

    def listing(self, prefix: str) -> dict[str, Stored]:
        out: dict[str, Stored] = {}
        pages = self.target.client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.target.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                out[key[len(prefix) :]] = Stored(int(item["Size"]), str(item["ETag"]).strip('"'))
        return out

    def put(self, key: str, local: Local) -> None:
        f = local.file
        parts = self.parts(local)
        if parts:
            self.target.upload_multipart(key, f.path, parts, local.sha256)
        else:
            self.target.upload_single(key, f.path, local.md5, local.sha256, f.size)

    def expected_md5(self, local: Local) -> str:
        return _expected_etag(local.md5, self.parts(local))


def _expected_etag(md5: str, parts: list[Part]) -> str:
    if not parts:
        return md5
    return hashlib.md5(b"".join(p.md5 for p in parts)).hexdigest() + f"-{len(parts)}"


def _expected_sha256(sha256: str, parts: list[Part]) -> str:
    if not parts:
        return _b64(bytes.fromhex(sha256))
    return _b64(hashlib.sha256(b"".join(p.sha256 for p in parts)).digest()) + f"-{len(parts)}"


def _list_parts(s3: S3Client, bucket: str, key: str, upload_id: str) -> Iterator[dict[str, Any]]:
    marker = 0
    while True:
        page = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker)
        for p in page.get("Parts", []):
            yield dict(p)
        if not page.get("IsTruncated"):
            return
        marker = int(page.get("NextPartNumberMarker", 0))


def _failure(exc: Exception) -> Exception:
    """Map a boto3/botocore exception to a deposit error (or a transient one)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        text = f"{code}: {err.get('Message', '')}".strip()
        if code in _AUTH:
            return deposit_error("auth", f"the S3 service refused the credentials ({text})")
        if code in _CHECKSUM:
            return deposit_error(
                "checksum-mismatch",
                f"the S3 service received different bytes than were hashed ({text})",
                hint="the file changed while it was sent, or it was damaged on the way",
            )
        if code in _SPACE:
            return deposit_error("no-space", f"the S3 service refused the size ({text})")
        if code == "NoSuchBucket":
            return deposit_error("config", f"the bucket does not exist ({text})")
        if code == "AccessDenied" or status == 403:
            return deposit_error(
                "auth" if code != "AccessDenied" else "permission",
                f"access denied ({text}): wrong credentials, or no permission on the bucket",
            )
        if code in _TRANSIENT or status >= 500 or status == 0:
            return TransientError(f"S3 error {text or status}")
        return deposit_error("invalid", f"the S3 service refused the upload ({text})")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return deposit_error(
            "auth",
            "no S3 credentials found",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put them in the config",
        )
    if isinstance(exc, BotoConnectionError | OSError):
        return TransientError(f"cannot reach the S3 service: {exc}")
    if isinstance(exc, BotoCoreError):
        return TransientError(f"S3 request failed: {exc}")
    return exc


def from_settings(url: SplitResult, settings: dict[str, Any], display: str) -> S3Target:
    unknown = set(settings) - _SETTINGS
    if unknown:
        raise deposit_error("config", "unknown setting(s) for s3://: " + ", ".join(sorted(unknown)))
    return S3Target(url, settings, display)
