"""One HTTP exchange at a time, politely and within limits, kept exactly for the WARC.

Written on the standard library's ``http.client`` rather than a higher-level client so that
bagsmith controls everything a web archive must be able to say about an exchange: the request
headers it sent (no cookies, no credentials, ``Accept-Encoding: identity``), each redirect as its
own exchange (never followed silently), the response headers in their order, the remote
address, and a body read against a deadline and a size limit into a spooled temporary file
(bounded memory). Only ``http`` and ``https`` are fetched.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from ..errors import CaptureError

#: Spooled bodies stay in memory up to this size, then move to a temporary file.
SPOOL_BYTES = 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Politeness and limits of one capture (``docs/capture.md``)."""

    user_agent: str
    delay: float = 1.0  # seconds between two requests to the same host
    timeout: float = 30.0  # seconds for one resource: connect, each read, and the whole body
    max_resource_bytes: int = 32 * 1024 * 1024
    max_capture_bytes: int = 512 * 1024 * 1024
    max_redirects: int = 10
    honour_robots: bool = True


@dataclass
class Exchange:
    """One HTTP request and its response."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str  # "HTTP/1.1"
    headers: list[tuple[str, str]]
    body: IO[bytes]  # positioned at 0; close() when done
    length: int
    ip: str | None
    date: datetime  # when the response started to arrive (UTC)
    truncated: str | None = None  # why the body is incomplete ("length", "time"), else None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    @property
    def content_type(self) -> str:
        value = self.header("Content-Type") or ""
        return value.split(";", 1)[0].strip().lower()

    def read_body(self) -> bytes:
        self.body.seek(0)
        data = self.body.read()
        self.body.seek(0)
        return data

    def close(self) -> None:
        self.body.close()


def check_url(url: str) -> str:
    """``url`` if bagsmith may fetch it (http/https, a host, no user:password@), else
    CaptureError(reason="url")."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise CaptureError(f"not a valid URL: {url!r} ({exc})", reason="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise CaptureError(
            f"only http and https URLs are captured, not {url!r}",
            reason="url",
            hint="give the page's http:// or https:// address",
        )
    if not parts.hostname:
        raise CaptureError(f"the URL has no host: {url!r}", reason="url")
    if parts.username is not None or parts.password is not None:
        raise CaptureError(
            "the URL carries a user name or password; bagsmith sends no credentials",
            reason="url",
        )
    del port
    return urlunsplit(parts._replace(fragment=""))


def _target(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def host_key(url: str) -> str:
    scheme, host, port, _ = _target(url)
    return f"{scheme}://{host}:{port}"


@dataclass
class Fetcher:
    """Fetches one URL at a time, waiting ``limits.delay`` between the end of one exchange
    with a host and the start of the next (so the host sees at least that gap whatever the
    network's jitter), and counting every body byte against ``limits.max_capture_bytes``."""

    limits: Limits
    sleep: Callable[[float], None] = time.sleep
    total_bytes: int = 0
    _last: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _wait_turn(self, url: str) -> None:
        key = host_key(url)
        last = self._last.get(key)
        if last is not None:
            wait = self.limits.delay - (time.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last[key] = time.monotonic()

    def fetch(self, url: str, *, accept: str = "*/*") -> Exchange:
        """GET ``url`` (no redirects followed). Network failures raise CaptureError with a
        ``reason``: ``dns``, ``unreachable``, ``timeout``, ``tls``, ``protocol``,
        ``too-large`` (this resource), ``capture-too-large`` (the capture's total), ``url``."""
        check_url(url)
        scheme, host, port, path = _target(url)
        self._wait_turn(url)
        default_port = 443 if scheme == "https" else 80
        host_header = host if port == default_port else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
        headers = [
            ("Host", host_header),
            ("User-Agent", self.limits.user_agent),
            ("Accept", accept),
            ("Accept-Encoding", "identity"),
            ("Connection", "close"),
        ]
        timeout = self.limits.timeout
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        started = time.monotonic()
        try:
            try:
                conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                conn.endheaders()
                response = conn.getresponse()
            except socket.gaierror as exc:
                raise CaptureError(
                    f"cannot resolve the host {host!r}: {exc.strerror or exc}",
                    reason="dns",
                    path=url,
                ) from None
            except ssl.SSLError as exc:
                raise CaptureError(f"TLS failed: {exc}", reason="tls", path=url) from None
            except TimeoutError:
                raise CaptureError(
                    f"no answer within {timeout:g} s", reason="timeout", path=url
                ) from None
            except (ConnectionError, OSError) as exc:
                raise CaptureError(
                    f"cannot connect to {host}:{port}: {getattr(exc, 'strerror', None) or exc}",
                    reason="unreachable",
                    path=url,
                ) from None
            except http.client.HTTPException as exc:
                raise CaptureError(
                    f"not a valid HTTP answer: {exc!r}", reason="protocol", path=url
                ) from None
            date = datetime.now(UTC)
            ip = None
            try:
                sock = conn.sock
                if sock is not None:
                    ip = str(sock.getpeername()[0])
            except OSError:
                ip = None
            return self._read(url, headers, response, date, ip, started)
        finally:
            conn.close()
            self._last[host_key(url)] = time.monotonic()

    def _read(
        self,
        url: str,
        request_headers: list[tuple[str, str]],
        response: http.client.HTTPResponse,
        date: datetime,
        ip: str | None,
        started: float,
    ) -> Exchange:
        limits = self.limits
        headers = [(k, v) for k, v in response.getheaders()]
        declared = response.getheader("Content-Length")
        body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        length = 0
        truncated: str | None = None
        try:
            if declared is not None and declared.strip().isdigit():
                size = int(declared.strip())
                if size > limits.max_resource_bytes:
                    raise CaptureError(
                        f"the server announces {size} bytes; the limit per resource is "
                        f"{limits.max_resource_bytes}",
                        reason="too-large",
                        path=url,
                        hint="raise it with {max_resource_bytes}",
                    )
            while True:
                if time.monotonic() - started > limits.timeout:
                    raise CaptureError(
                        f"the answer did not finish within {limits.timeout:g} s",
                        reason="timeout",
                        path=url,
                    )
                try:
                    chunk = response.read1(CHUNK)
                except TimeoutError:
                    raise CaptureError(
                        f"the answer stalled for {limits.timeout:g} s", reason="timeout", path=url
                    ) from None
                except http.client.IncompleteRead as exc:
                    body.write(exc.partial)
                    length += len(exc.partial)
                    truncated = "length"
                    break
                except (OSError, http.client.HTTPException) as exc:
                    raise CaptureError(
                        f"the connection failed while reading: {exc!r}",
                        reason="unreachable",
                        path=url,
                    ) from None
                if not chunk:
                    break
                length += len(chunk)
                if length > limits.max_resource_bytes:
                    raise CaptureError(
                        f"the answer is larger than the limit per resource "
                        f"({limits.max_resource_bytes} bytes)",
                        reason="too-large",
                        path=url,
                        hint="raise it with {max_resource_bytes}",
                    )
                if self.total_bytes + length > limits.max_capture_bytes:
                    raise CaptureError(
                        f"the capture would exceed its total limit "
                        f"({limits.max_capture_bytes} bytes)",
                        reason="capture-too-large",
                        path=url,
                        hint="raise it with {max_capture_bytes}",
                    )
                body.write(chunk)
        except BaseException:
            body.close()
            raise
        self.total_bytes += length
        body.seek(0)
        version = "HTTP/1.0" if response.version == 10 else "HTTP/1.1"
        return Exchange(
            url=url,
            method="GET",
            request_headers=request_headers,
            status=response.status,
            reason=response.reason or "",
            http_version=version,
            headers=headers,
            body=body,
            length=length,
            ip=ip,
            date=date,
            truncated=truncated,
        )
