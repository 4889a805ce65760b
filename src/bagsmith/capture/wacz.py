"""The WACZ of a capture, built by the ``wacz`` package (py-wacz, the Webrecorder reference
implementation): the WARC under ``archive/``, a CDXJ index, ``pages/pages.jsonl`` naming the
captured page, ``datapackage.json`` with every file's digest and ``datapackage-digest.json``.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from warcio.timeutils import datetime_to_iso_date, iso_date_to_timestamp

from ..errors import CaptureError

if TYPE_CHECKING:
    from .session import Capture


def build_wacz(capture: Capture, out: Path) -> Path:
    from wacz.main import main as wacz_main

    pages = out.with_name("pages.jsonl")
    ts = datetime_to_iso_date(capture.date)
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Pages"}
    entry = {"url": capture.final_url, "ts": ts, "title": capture.title or capture.final_url}
    pages.write_text(
        json.dumps(header) + "\n" + json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    args = ["create", "-o", str(out), str(capture.warc), "-p", str(pages)]
    args += ["--url", capture.final_url, "--ts", iso_date_to_timestamp(ts)]
    if capture.title:
        args += ["--title", capture.title]
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            code = wacz_main(args)
    except Exception as exc:  # the package's own failures: name them, keep nothing
        out.unlink(missing_ok=True)
        raise CaptureError(f"the WACZ could not be built: {exc!r}", reason="wacz") from None
    finally:
        pages.unlink(missing_ok=True)
    if code != 0:
        out.unlink(missing_ok=True)
        raise CaptureError(
            f"the WACZ could not be built: {said.getvalue().strip()[-500:]}", reason="wacz"
        )
    return out
