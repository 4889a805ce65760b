"""What a page needs to be read again: its images at the best resolution it offers, and its
stylesheets; and the page rewritten to point at the captured files, as a saved page does.

Image candidates, best first (the largest the page offers, as a browser on a large screen would
choose): the largest ``w`` (else ``x``) descriptor of ``srcset`` / ``data-srcset`` of the
``<img>`` and of the ``<source>`` elements of its ``<picture>``; then the lazy-loading
attributes (``data-src``, ``data-lazy-src``, ``data-original``), whose image the ``src``
placeholder stands in for; then ``src``. The page's JSON-LD ``image`` (a string, a list, or an
ImageObject's ``url`` / ``contentUrl``) is captured too. Relative URLs are resolved against the
page's final URL (or its ``<base href>``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

LAZY_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original")
SRCSET_ATTRIBUTES = ("srcset", "data-srcset", "data-lazy-srcset")
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.IGNORECASE)


@dataclass(frozen=True)
class ImageNeed:
    """One ``<img>`` of the page and the URL of its best image."""

    index: int  # the n-th <img> of the document (0-based), to find it again when rewriting
    url: str  # absolute
    line: int | None


def _parser() -> lxml.html.HTMLParser:
    return lxml.html.HTMLParser(recover=True, no_network=True, huge_tree=False)


_META_CHARSET = re.compile(rb"<meta[^>]+charset", re.IGNORECASE)


def parse(data: bytes, charset: str | None = None) -> lxml.html.HtmlElement:
    """The page's tree; ``charset`` (from the HTTP answer) is used when the page declares none."""
    source: str | bytes = data
    if charset and not _META_CHARSET.search(data[:65536]):
        try:
            source = data.decode(charset, errors="replace")
        except LookupError:
            source = data
    return lxml.html.document_fromstring(source, parser=_parser())


def base_url(doc: lxml.html.HtmlElement, page_url: str) -> str:
    for base in doc.iter("base"):
        href = str(base.get("href") or "").strip()
        if href:
            return urljoin(page_url, href)
    return page_url


def parse_srcset(value: str) -> list[tuple[str, float, str]]:
    """(url, size, unit) of each candidate of a ``srcset`` (unit ``w``, ``x``; no descriptor
    is ``1x``)."""
    out: list[tuple[str, float, str]] = []
    # candidates are separated by commas that follow a descriptor or a URL ending in whitespace
    for part in re.split(r",\s+|,(?=\s*[^\s,]+\s+\d)", value.strip()):
        bits = part.strip().split()
        if not bits:
            continue
        url = bits[0].rstrip(",")
        size, unit = 1.0, "x"
        if len(bits) > 1:
            match = _DESCRIPTOR.match(bits[1])
            if match:
                size, unit = float(match.group(1)), match.group(2).lower()
        out.append((url, size, unit))
    return out


def _usable(url: str) -> bool:
    url = url.strip()
    return bool(url) and not url.lower().startswith(("data:", "blob:", "javascript:", "about:"))


def _tag(el: lxml.etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _sources(img: lxml.etree._Element) -> list[lxml.etree._Element]:
    """The ``<source>`` elements of the ``<picture>`` an ``<img>`` is in (libxml2's HTML parser
    does not know ``<source>`` is empty, so the ``<img>`` may sit inside one)."""
    for ancestor in itertools.islice(img.iterancestors(), 4):
        if _tag(ancestor) == "picture":
            return [el for el in ancestor.iter() if _tag(el) == "source"]
    return []


def best_image(img: lxml.etree._Element) -> str | None:
    """The URL (as written in the page) of the best image an ``<img>`` offers."""
    candidates: list[tuple[str, float, str]] = []
    for el in [img, *_sources(img)]:
        for attr in SRCSET_ATTRIBUTES:
            value = el.get(attr)
            if value:
                candidates += [c for c in parse_srcset(value) if _usable(c[0])]
    widths = [c for c in candidates if c[2] == "w"]
    if widths:
        return max(widths, key=lambda c: c[1])[0]
    for attr in LAZY_ATTRIBUTES:
        value = (img.get(attr) or "").strip()
        if _usable(value):
            return value
    densities = [c for c in candidates if c[2] == "x"]
    if densities:
        return max(densities, key=lambda c: c[1])[0]
    src = (img.get("src") or "").strip()
    return src if _usable(src) else None


def images(doc: lxml.html.HtmlElement, base: str) -> list[ImageNeed]:
    out = []
    for index, img in enumerate(doc.iter("img")):
        best = best_image(img)
        if best is not None:
            out.append(ImageNeed(index, urljoin(base, best), img.sourceline))
    return out


def stylesheets(doc: lxml.html.HtmlElement, base: str) -> list[str]:
    out = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "stylesheet" in rel and _usable(href):
            out.append(urljoin(base, href))
    return out


def _json_ld_images(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_ld_images(item)
    elif isinstance(value, dict):
        for key in ("contentUrl", "url"):
            if isinstance(value.get(key), str):
                yield value[key]
                return


def _json_ld_nodes(value: object) -> Iterator[dict[str, object]]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            graph = item.get("@graph")
            if graph is not None:
                stack.append(graph)


def json_ld_images(doc: lxml.html.HtmlElement, base: str) -> list[str]:
    """Absolute URLs of the ``image`` of every JSON-LD node of the page (invalid blocks are
    skipped: the article's parse reports them)."""
    out: list[str] = []
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for node in _json_ld_nodes(data):
            for url in _json_ld_images(node.get("image")):
                if _usable(url):
                    out.append(urljoin(base, url.strip()))
    return out


def http_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def rewrite(
    data: bytes,
    local: dict[int, str],
    tried: dict[int, str],
    styles: dict[str, str],
    base: str,
    *,
    charset: str | None,
    source_url: str,
) -> bytes:
    """The page with each captured ``<img>`` (by index) pointing at its local file (``src``
    set, the other candidates removed, ``<source>`` siblings dropped) and each captured
    stylesheet at its local copy; everything else as parsed. An image that was not captured
    gets the absolute address that failed as its ``src``. The result is UTF-8 (its ``<meta charset>`` says so) and starts with
    the ``<!-- saved from url=(N)URL -->`` comment browsers write into saved pages."""
    doc = parse(data, charset)
    for meta in list(doc.iter("meta")):
        equiv = (meta.get("http-equiv") or "").lower()
        if meta.get("charset") is not None or equiv == "content-type":
            meta.drop_tree()
    head = doc.find("head")
    if head is None:
        head = lxml.html.Element("head")
        doc.insert(0, head)
    charset_el = lxml.html.Element("meta")
    charset_el.set("charset", "utf-8")
    head.insert(0, charset_el)
    for index, img in enumerate(list(doc.iter("img"))):
        path = local.get(index)
        if path is None:
            wanted = tried.get(index)
            if wanted is not None:  # not captured: the address that failed, whole
                img.set("src", wanted)
            continue
        img.set("src", path)
        for attr in (*SRCSET_ATTRIBUTES, *LAZY_ATTRIBUTES, "sizes"):
            if attr in img.attrib:
                del img.attrib[attr]
        for source in _sources(img):
            source.drop_tag()  # its children (the <img> itself, perhaps) stay
    for link in doc.iter("link"):
        href = (link.get("href") or "").strip()
        if href and "stylesheet" in (link.get("rel") or "").lower().split():
            target = styles.get(urljoin(base, href))
            if target is not None:
                link.set("href", target)
    for el in list(doc.iter("base")):
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    out: bytes = lxml.html.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>")
    if re.search(r"[\s<>]", source_url) or len(source_url) > 9999:
        return out
    saved = f"<!-- saved from url=({len(source_url):04d}){source_url} -->\n".encode()
    return saved + out
