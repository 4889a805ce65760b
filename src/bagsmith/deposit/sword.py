"""``sword://host/collection/``: a SWORD v2 binary deposit of the serialised bag (httpx).

``sword://`` and ``sword+https://`` talk HTTPS; ``sword+http://`` plain HTTP (tests, intranets).
The collection is checked in the service document (``service_document`` setting) for the
media types and packaging it accepts: ``http://purl.org/net/sword/package/BagIt`` when offered,
else SimpleZip for a zip, else a plain binary deposit. ``Content-MD5`` is sent, so the server
refuses bytes that changed on the way (412). With the ``metadata_entry`` setting (an Atom
entry file) the binary goes first ``In-Progress: true`` and the entry completes the deposit;
otherwise the binary alone completes it. The deposit receipt is parsed and its Edit-IRI,
EM-IRI, SE-IRI and statement (State-IRI) are recorded; verification reads the statement back.
A bag already deposited to the same collection (same archive SHA-256 in the deposit record)
whose statement is still readable is reported as already present, not sent again.

Settings: ``username``, ``password`` (else ``$BAGSMITH_SWORD_USERNAME`` /
``$BAGSMITH_SWORD_PASSWORD``), ``service_document``, ``metadata_entry``, ``timeout``.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlunsplit

from ..errors import DepositError
from .base import (
    ALREADY_PRESENT,
    DEPOSITED,
    DRY_RUN,
    UNVERIFIED,
    DepositOptions,
    DepositResult,
    TransientError,
    deposit_error,
)
from .onefile import archive_to_send
from .source import DEFAULT_ARCHIVE_FORMAT, ArchiveCache, LocalBag, archive_format_setting

if TYPE_CHECKING:
    import httpx

ATOM = "{http://www.w3.org/2005/Atom}"
APP = "{http://www.w3.org/2007/app}"
SWORD = "{http://purl.org/net/sword/terms/}"
SD = "{https://www.softwareheritage.org/schema/2018/deposit}"
PKG_BAGIT = "http://purl.org/net/sword/package/BagIt"
PKG_SIMPLEZIP = "http://purl.org/net/sword/package/SimpleZip"
REL_ADD = "http://purl.org/net/sword/terms/add"
REL_STATEMENT = "http://purl.org/net/sword/terms/statement"
STATE_SCHEME = "http://purl.org/net/sword/terms/state"
FAILED_STATES = {"rejected", "failed", "invalid", "withdrawn"}
_SETTINGS = {
    "username",
    "password",
    "service_document",
    "metadata_entry",
    "timeout",
    "archive_format",
}


@dataclass
class Receipt:
    """What a SWORD deposit receipt (or statement) says."""

    edit_iri: str | None = None
    em_iri: str | None = None
    se_iri: str | None = None
    state_iri: str | None = None
    deposit_id: str | None = None
    status: str | None = None
    packaging: list[str] = field(default_factory=list)

    def identifiers(self) -> dict[str, str]:
        pairs = {
            "sword-deposit-id": self.deposit_id,
            "sword-edit-iri": self.edit_iri,
            "sword-em-iri": self.em_iri,
            "sword-se-iri": self.se_iri,
            "sword-state-iri": self.state_iri,
            "sword-status": self.status,
        }
        return {k: v for k, v in pairs.items() if v}


def parse_receipt(text: bytes, where: str) -> Receipt:
    """Parse an Atom entry receipt (or statement) into its IRIs and state."""
    root = _xml(text, where)
    receipt = Receipt()
    for link in root.iter(f"{ATOM}link"):
        rel, href = link.get("rel"), link.get("href")
        if rel == "edit":
            receipt.edit_iri = href
        elif rel == "edit-media":
            receipt.em_iri = href
        elif rel == REL_ADD:
            receipt.se_iri = href
        elif rel in (REL_STATEMENT, "alternate") and receipt.state_iri is None:
            receipt.state_iri = href
    for cat in root.iter(f"{ATOM}category"):
        if cat.get("scheme") == STATE_SCHEME and cat.get("term"):
            receipt.status = str(cat.get("term")).rsplit("/", 1)[-1]
    for tag in (f"{SD}deposit_status", "deposit_status", f"{ATOM}deposit_status"):
        node = root.find(tag)
        if node is not None and node.text:
            receipt.status = node.text.strip()
            break
    for tag in (f"{SD}deposit_id", f"{ATOM}deposit_id", f"{ATOM}id"):
        node = root.find(tag)
        if node is not None and node.text:
            receipt.deposit_id = node.text.strip()
            break
    receipt.packaging = [p.text.strip() for p in root.iter(f"{SWORD}packaging") if p.text]
    return receipt


@dataclass(frozen=True)
class Collection:
    href: str
    accept: list[str]
    packaging: list[str]


def parse_service_document(text: bytes, where: str) -> list[Collection]:
    root = _xml(text, where)
    out: list[Collection] = []
    for col in root.iter(f"{APP}collection"):
        out.append(
            Collection(
                col.get("href", ""),
                [a.text.strip() for a in col.iter(f"{APP}accept") if a.text],
                [p.text.strip() for p in col.iter(f"{SWORD}acceptPackaging") if p.text],
            )
        )
    return out


def _xml(text: bytes, where: str) -> ET.Element:
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise deposit_error(
            "invalid", f"the server sent XML that cannot be read: {exc}", path=where
        ) from exc


def _error_summary(response: httpx.Response) -> str:
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return response.text[:200].strip() or response.reason_phrase
    parts = [
        (node.text or "").strip()
        for tag in (f"{ATOM}summary", f"{SWORD}verboseDescription")
        for node in root.iter(tag)
    ]
    return "; ".join(p for p in parts if p) or response.reason_phrase


class SwordTarget:
    def __init__(self, url: SplitResult, settings: dict[str, Any], display: str) -> None:
        scheme = "http" if url.scheme == "sword+http" else "https"
        if not url.hostname:
            raise deposit_error("config", "the sword:// URL has no host")
        self.collection = urlunsplit((scheme, url.netloc, url.path or "/", url.query, ""))
        self.display = display
        self.settings = settings
        self.archive_format = archive_format_setting(
            settings.get("archive_format", DEFAULT_ARCHIVE_FORMAT)
        )
        self.archives = ArchiveCache()
        self._http: httpx.Client | None = None

    def close(self) -> None:
        self.archives.close()
        if self._http is not None:
            self._http.close()

    def http(self) -> httpx.Client:
        if self._http is None:
            import httpx

            user = self.settings.get("username") or os.environ.get("BAGSMITH_SWORD_USERNAME")
            password = self.settings.get("password") or os.environ.get("BAGSMITH_SWORD_PASSWORD")
            auth = httpx.BasicAuth(user, password or "") if user else None
            timeout = float(self.settings.get("timeout", 120))
            self._http = httpx.Client(auth=auth, timeout=timeout, follow_redirects=False)
        return self._http

    def deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        import httpx

        try:
            self._deposit(bag, options, result)
        except httpx.TransportError as exc:
            raise TransientError(f"cannot reach the SWORD server: {exc}") from exc

    def _deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        if options.objects:
            raise deposit_error("config", "a SWORD server takes one file: {objects} is not for it")
        archive = archive_to_send(self.archives, bag, options, result, self.archive_format)
        digests = archive.digests[archive.files[0].relpath]
        ctype, packaging = self.negotiate(archive)
        previous = self.previous(options, digests["sha256"])
        if previous is not None:
            result.outcome, result.verified = ALREADY_PRESENT, True
            result.identifiers.update(previous.identifiers())
            result.location = previous.edit_iri or previous.state_iri
            result.details.append("deposited before (deposit record); its statement still answers")
            return
        if options.dry_run:
            result.outcome = DRY_RUN
            result.details.append(
                f"would send {archive.size} bytes as {ctype}"
                + (f", packaging {packaging}" if packaging else "")
                + f" to {self.collection}"
            )
            return
        entry = self.settings.get("metadata_entry")
        slug = options.object_id or bag.external_identifier
        receipt = self.send_binary(archive, options, ctype, packaging, slug, entry is None)
        if entry is not None:
            receipt = self.complete(receipt, Path(str(entry)).expanduser())
        result.identifiers.update(receipt.identifiers())
        result.location = receipt.edit_iri or receipt.state_iri
        if options.verify:
            state = self.statement(receipt)
            result.identifiers.update(state.identifiers() | receipt.identifiers())
            if state.status:
                result.identifiers["sword-status"] = state.status
            if state.status in FAILED_STATES:
                raise deposit_error(
                    "invalid",
                    f"the server reports the deposit as {state.status}",
                    path=receipt.state_iri,
                )
        result.verified = options.verify
        result.outcome = DEPOSITED if options.verify else UNVERIFIED

    def negotiate(self, archive: LocalBag) -> tuple[str, str | None]:
        """Content type and packaging to send, as the service document allows."""
        fmt = archive.archive_format
        ctype = "application/zip" if fmt == "zip" else "application/x-tar"
        service = self.settings.get("service_document")
        if service is None:
            return ctype, PKG_SIMPLEZIP if fmt == "zip" else None
        response = self.request("GET", str(service))
        collections = parse_service_document(response.content, str(service))
        match = next(
            (c for c in collections if c.href.rstrip("/") == self.collection.rstrip("/")), None
        )
        if match is None:
            raise deposit_error(
                "config",
                f"the service document does not list the collection {self.collection}",
                path=str(service),
                hint="collections offered: " + ", ".join(c.href for c in collections),
            )
        if fmt == "tgz" and "application/gzip" in match.accept:
            ctype = "application/gzip"
        if match.accept and ctype not in match.accept and "*/*" not in match.accept:
            raise deposit_error(
                "config",
                f"the collection does not accept {ctype} (it accepts {', '.join(match.accept)})",
                hint="serialise the bag in a format the collection accepts",
            )
        if PKG_BAGIT in match.packaging:
            return ctype, PKG_BAGIT
        if fmt == "zip" and PKG_SIMPLEZIP in match.packaging:
            return ctype, PKG_SIMPLEZIP
        return ctype, None

    def send_binary(
        self,
        archive: LocalBag,
        options: DepositOptions,
        ctype: str,
        packaging: str | None,
        slug: str | None,
        final: bool,
    ) -> Receipt:
        md5 = archive.digests[archive.files[0].relpath]["md5"]
        headers = {
            "Content-Type": ctype,
            "Content-MD5": md5,
            "Content-Disposition": f'attachment; filename="{options.name or archive.name}"',
            "In-Progress": "false" if final else "true",
        }
        if packaging:
            headers["Packaging"] = packaging
        if slug:
            headers["Slug"] = slug
        path = archive.files[0].path

        def body() -> Iterator[bytes]:  # counted as the HTTP client takes each block
            options.sent.start(archive.size)
            with open(path, "rb") as fh:
                while block := fh.read(1024 * 1024):
                    yield block
                    options.sent.add(len(block))

        headers["Content-Length"] = str(archive.size)
        response = self.request("POST", self.collection, content=body(), headers=headers)
        return parse_receipt(response.content, self.collection)

    def complete(self, receipt: Receipt, entry: Path) -> Receipt:
        if not receipt.se_iri:
            raise deposit_error("invalid", "the deposit receipt has no SE-IRI to complete it")
        try:
            data = entry.read_bytes()
        except OSError as exc:
            raise deposit_error(
                "config", f"cannot read the metadata entry: {exc}", path=str(entry)
            ) from exc
        response = self.request(
            "POST",
            receipt.se_iri,
            content=data,
            headers={"Content-Type": "application/atom+xml;type=entry", "In-Progress": "false"},
        )
        done = parse_receipt(response.content, receipt.se_iri) if response.content else Receipt()
        for name in ("edit_iri", "em_iri", "se_iri", "state_iri", "deposit_id"):
            if getattr(done, name) is None:
                setattr(done, name, getattr(receipt, name))
        return done

    def statement(self, receipt: Receipt) -> Receipt:
        if not receipt.state_iri:
            raise deposit_error(
                "invalid", "the deposit receipt names no statement (State-IRI) to verify with"
            )
        response = self.request("GET", receipt.state_iri)
        return parse_receipt(response.content, receipt.state_iri)

    def previous(self, options: DepositOptions, sha256: str) -> Receipt | None:
        """A recorded earlier deposit of the same archive here whose statement still answers."""
        for entry in reversed(options.history):
            checksums = entry.get("checksums")
            ids = entry.get("identifiers")
            if not isinstance(checksums, dict) or not isinstance(ids, dict):
                continue
            if checksums.get("archive-sha256") != sha256 or not ids.get("sword-state-iri"):
                continue
            receipt = Receipt(
                edit_iri=ids.get("sword-edit-iri"),
                em_iri=ids.get("sword-em-iri"),
                se_iri=ids.get("sword-se-iri"),
                state_iri=ids.get("sword-state-iri"),
                deposit_id=ids.get("sword-deposit-id"),
            )
            try:
                state = self.statement(receipt)
            except DepositError:
                continue
            if state.status not in FAILED_STATES:
                receipt.status = state.status
                return receipt
        return None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.http().request(method, url, **kwargs)
        status = response.status_code
        if status < 300:
            return response
        summary = _error_summary(response)
        if status == 401:
            raise deposit_error(
                "auth",
                f"the SWORD server refused the credentials ({summary})",
                hint="check username/password in the config or $BAGSMITH_SWORD_USERNAME/PASSWORD",
            )
        if status == 403:
            raise deposit_error("permission", f"the SWORD server refused: {summary}", path=url)
        if status == 412:
            raise deposit_error(
                "checksum-mismatch",
                f"the SWORD server received different bytes than were sent ({summary})",
                path=url,
            )
        if status == 413:
            raise deposit_error("no-space", f"the SWORD server refused the size ({summary})")
        if status >= 500 or status in (408, 429):
            raise TransientError(f"SWORD server error {status}: {summary}", path=url)
        raise deposit_error("invalid", f"the SWORD server refused ({status}: {summary})", path=url)


def from_settings(url: SplitResult, settings: dict[str, Any], display: str) -> SwordTarget:
    unknown = set(settings) - _SETTINGS
    if unknown:
        raise deposit_error(
            "config", "unknown setting(s) for sword://: " + ", ".join(sorted(unknown))
        )
    return SwordTarget(url, settings, display)
