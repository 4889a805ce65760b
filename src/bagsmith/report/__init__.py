"""The HTML report of a bag: one self-contained page rendered from plain data.

:mod:`.model` holds what the page shows (gathered by ``pipeline.reporting``); :mod:`.html`
renders it with Jinja2 (autoescaping everything that comes from the bag). Nothing here reads a
bag, decodes an image or touches the network.
"""

from .html import render_html
from .model import DepositRow, FileRow, ReportInput, Thumb

__all__ = ["DepositRow", "FileRow", "ReportInput", "Thumb", "render_html"]
