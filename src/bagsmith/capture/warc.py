"""The WARC file of a capture (ISO 28500, WARC/1.1), written with warcio.

One ``warcinfo`` record first (bagsmith, its version, the settings of the capture), then for
every exchange a ``request`` record and a ``response`` record that names it
(``WARC-Concurrent-To``), each with ``WARC-Date``, ``WARC-IP-Address`` and warcio's block and
payload digests (SHA-1, the convention of web archives and their replay tools). Redirects are
exchanges like any other. The body is stored as the client received it after removing the
chunked transfer coding, so a chunked answer loses its ``Transfer-Encoding`` header (the
replay tools expect this; Browsertrix Crawler does the same); content codings are not undone
(bagsmith asks for ``identity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from .fetch import Exchange

WARC_VERSION = "WARC/1.1"


@dataclass(frozen=True)
class Written:
    """Where one exchange went in the WARC."""

    request_id: str  # <urn:uuid:…>
    response_id: str
    offset: int  # of the response record in the (compressed) file
    length: int  # compressed length of the response record
    payload_digest: str  # sha1:BASE32


class WarcFile:
    """Appends records to one gzip-per-record WARC file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] = path.open("xb")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version=WARC_VERSION)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> WarcFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def warcinfo(self, fields: dict[str, str]) -> str:
        record = self._writer.create_warcinfo_record(self.path.name, fields)
        self._writer.write_record(record)
        return str(record.rec_headers.get_header("WARC-Record-ID"))

    def exchange(self, ex: Exchange) -> Written:
        date = datetime_to_iso_date(ex.date)
        parts = urlsplit(ex.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = StatusAndHeaders(
            f"{ex.method} {path} {ex.http_version}",
            list(ex.request_headers),
            protocol="",
            is_http_request=True,
        )
        common: dict[str, Any] = {"WARC-Date": date}
        if ex.ip:
            common["WARC-IP-Address"] = ex.ip
        response_headers = StatusAndHeaders(
            f"{ex.status} {ex.reason}".strip(),
            [(k, v) for k, v in ex.headers if k.lower() != "transfer-encoding"],
            protocol=ex.http_version,
        )
        ex.body.seek(0)
        extra = {"WARC-Truncated": ex.truncated} if ex.truncated else {}
        response = self._writer.create_warc_record(
            ex.url,
            "response",
            payload=ex.body,
            length=ex.length,
            warc_headers_dict={**common, **extra},
            http_headers=response_headers,
        )
        response_id = str(response.rec_headers.get_header("WARC-Record-ID"))
        request = self._writer.create_warc_record(
            ex.url,
            "request",
            warc_headers_dict={**common, "WARC-Concurrent-To": response_id},
            http_headers=request_headers,
        )
        self._fh.flush()
        offset = self._fh.tell()
        self._writer.write_record(response)
        self._fh.flush()
        length = self._fh.tell() - offset
        self._writer.write_record(request)
        ex.body.seek(0)
        return Written(
            request_id=str(request.rec_headers.get_header("WARC-Record-ID")),
            response_id=response_id,
            offset=offset,
            length=length,
            payload_digest=str(response.rec_headers.get_header("WARC-Payload-Digest")),
        )
