"""Capture of live web pages: fetching (politely, within limits), the WARC (warcio), the WACZ
(py-wacz) and renderings (headless Chromium). See docs/capture.md."""

from __future__ import annotations

from .fetch import Limits, check_url
from .session import Capture, Fetched, capture_page

__all__ = ["Capture", "Fetched", "Limits", "capture_page", "check_url"]
