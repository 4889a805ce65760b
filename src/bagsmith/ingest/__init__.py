"""Article ingest: plain text and saved HTML pages, captions (dates as EDTF, places, credits),
sidecar metadata and image characterisation. :func:`read_article` is the entry point."""

from .article import ParseResult, read_article

__all__ = ["ParseResult", "read_article"]
