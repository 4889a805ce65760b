"""A saved web page ("Save page as… complete": ``article.html`` + ``article_files/``).

Parsed with lxml's HTML parser, safely: no network, no DTD loading, no entity expansion beyond
HTML's own, the parser's depth and size limits left on (``huge_tree`` off: content nested
deeper than libxml2's limit is reported, not parsed), a size cap on the file, and an iterative
walk of the tree (no recursion). Scripts, styles, forms, navigation, asides, footers, comment
and share widgets are dropped; the article body is the largest ``<article>``, else ``<main>``,
else ``<body>``.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from .. import limits
from ..errors import InputError
from ..problems import Report, Severity
from .assemble import Assembled, ImageRef, Unit, assemble
from .bylines import parse_byline, split_names
from .captions import find_marker, split_credit
from .clutter import author_link
from .dates import to_edtf
from .decoding import decode_page
from .extraction import BR, Block, Extraction, PageText, article_element, extract, locate
from .htmlfigures import FigureFinder, FoundFigure, absolute, image_source, local_file
from .htmlmeta import PageMeta, decide, from_article, read_meta
from .text import clean_line

MAX_HTML_BYTES = 64 * 1024 * 1024
_BR = BR
_DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
              "math", "canvas", "form", "button", "input", "select", "textarea", "nav", "aside",
              "footer", "dialog", "link", "meta", "head", "title", "video", "audio", "map"}  # fmt: skip
_CLUTTER_PARTS = {"comment", "comments", "share", "sharing", "sharedaddy", "social", "related",
                  "sidebar", "widget", "newsletter", "subscribe", "advert", "advertisement",
                  "ads", "ad", "promo", "cookie", "cookies", "breadcrumb", "breadcrumbs", "nav",
                  "navbar", "navigation", "menu", "footer", "popup", "modal", "vote", "votes",
                  "voting", "rating", "reactions", "disqus", "jp-relatedposts"}  # fmt: skip
_CLUTTER_ROLES = {"navigation", "complementary", "contentinfo", "banner", "search", "dialog"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "li", "blockquote", "pre", "dt", "dd", "figcaption", "caption", "address",
           "td", "th", "summary"}  # fmt: skip
_STRUCTURE = _BLOCKS | _HEADINGS | {"div", "section", "article", "main", "header", "figure",
                                    "img", "ul", "ol", "dl", "table", "tbody", "thead", "tr",
                                    "picture", "details"}  # fmt: skip
_CREDIT_CLASS = re.compile(r"credit|byline|source|copyright|attribution", re.IGNORECASE)
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->")


@dataclass
class HtmlArticle:
    assembled: Assembled
    meta: PageMeta
    # per figure of ``assembled.figures``: the absolute address of its image, when known
    image_urls: list[str | None] = field(default_factory=list)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _xml_safe(text: str) -> str:
    """Text lxml accepts back (the parser lets control characters through; the API does not)."""
    return _CONTROL.sub(" ", text)


def _tag(el: lxml.etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _is_clutter(el: lxml.etree._Element) -> bool:
    tag = _tag(el)
    if tag in _DROP_TAGS:
        return True
    if (
        tag == "header"
        and el.find(".//h1") is None
        and next(el.iterancestors("article"), None) is None
    ):
        return True
    if (el.get("role") or "").lower() in _CLUTTER_ROLES or el.get("hidden") is not None:
        return True
    names = " ".join(filter(None, [el.get("class"), el.get("id")])).lower()
    for token in names.split():
        parts = set(re.split(r"[-_]", token))
        if parts & _CLUTTER_PARTS or token in _CLUTTER_PARTS:
            return True
        if "author" in parts and parts & {"box", "bio", "card", "about", "info"}:
            return True
    return False


def _text(el: lxml.etree._Element) -> list[str]:
    """Lines of an element's text (``<br>`` breaks lines), cleaned."""
    raw = el.text_content() if isinstance(el, lxml.html.HtmlElement) else "".join(el.itertext())
    return [t for t in (clean_line(part) for part in raw.split(_BR)) if t]


_INTERNAL_SUBSET_TEXT = re.compile(r"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)


def _parse(text: str, path: Path, report: Report) -> lxml.html.HtmlElement:
    head = text[:65536]
    text = _INTERNAL_SUBSET_TEXT.sub("<!DOCTYPE html>", head, count=1) + text[65536:]
    parser = lxml.html.HTMLParser(
        recover=True,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
        collect_ids=False,
    )
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise InputError(f"not an HTML page: {exc}", path=path) from None
    for entry in parser.error_log:
        if entry.level_name == "FATAL" or "depth" in entry.message.lower():
            report.add(
                "html-parse-limit",
                f"the page could not be read completely ({entry.message.strip()}); what "
                "follows that point is missing from the record",
                str(path),
                entry.line,
            )
            break
    return doc


def _content_root(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    articles = [a for a in doc.iter("article") if not _is_clutter(a)]
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    for candidate in doc.iter("main"):
        return candidate
    for el in doc.iter():
        if (el.get("role") or "").lower() == "main" or el.get("itemprop") == "articleBody":
            return el
    body = doc.find("body")
    return body if body is not None else doc


def _clean(root: lxml.html.HtmlElement, keep: set[lxml.etree._Element]) -> None:
    total = max(1, len(root.text_content()))
    doomed = []
    for el in root.iter():
        if el is root or el in keep or not _is_clutter(el):
            continue
        if _tag(el) not in _DROP_TAGS and len(el.text_content()) > total / 2:
            continue
        doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            tail = el.tail
            parent.remove(el)
            if tail and tail.strip():
                prev = parent[-1] if len(parent) else None
                if prev is not None:
                    prev.tail = _xml_safe((prev.tail or "") + tail)
                else:
                    parent.text = _xml_safe((parent.text or "") + tail)


class _Walker:
    def __init__(self, html_path: Path, report: Report) -> None:
        self.dir = html_path.parent.resolve()
        self.path = str(html_path)
        self.report = report
        self.units: list[Unit] = []
        self.sections: dict[lxml.etree._Element, int] = {}

    def find_sections(self, root: lxml.etree._Element) -> None:
        """The ``<section>`` elements holding exactly one heading: what else they hold is in
        that heading's section (a wrapper around several headings says nothing)."""
        for el in root.iter("section"):
            if sum(1 for sub in el.iter() if _tag(sub) in _HEADINGS) == 1:
                self.sections[el] = len(self.sections)

    def container(self, el: lxml.etree._Element) -> int | None:
        for candidate in itertools.chain([el], el.iterancestors()):
            if candidate in self.sections:
                return self.sections[candidate]
        return None

    def image(self, img: lxml.etree._Element) -> ImageRef | None:
        src = image_source(img).strip()
        if not src or src.startswith("data:"):
            return None
        for attr in ("width", "height"):
            value = img.get(attr, "")
            if value.isdigit() and int(value) <= 32:
                return None
        alt = clean_line(img.get("alt") or img.get("title") or "")
        return self.ref(src, alt, img.sourceline)

    def ref(self, src: str, alt: str, line: int | None) -> ImageRef:
        """The image at ``src`` as saved with the page (problems reported when it is not)."""
        file, why = local_file(src, str(self.dir))
        if why == "not-saved":
            self.report.add(
                "html-image-not-saved",
                f"image {src} is on the web, not in the saved page's folder",
                self.path,
                line,
            )
        elif why == "outside":
            self.report.add(
                "html-image-outside",
                f"image {src} points outside the page's folder",
                self.path,
                line,
            )
        elif why == "missing":
            self.report.add(
                "html-image-missing",
                f"image {src} is not in the saved page's folder",
                self.path,
                line,
            )
        return ImageRef(src, file, alt, line)

    def images_in(self, el: lxml.etree._Element) -> list[ImageRef]:
        refs = [self.image(img) for img in el.iter("img")]
        return [r for r in refs if r is not None]

    def figure(self, el: lxml.etree._Element) -> None:
        images = self.images_in(el)
        credit: str | None = None
        caption_lines: list[str] = []
        for cap in el.iter("figcaption"):
            for sub in list(cap.iterdescendants()):
                if _tag(sub) == "cite" or _CREDIT_CLASS.search(sub.get("class") or ""):
                    found = " ".join(_text(sub))
                    if found and credit is None:
                        parsed = split_credit(found)[1]
                        credit = parsed.text if parsed else found
                    if isinstance(sub, lxml.html.HtmlElement):
                        sub.drop_tree()
            caption_lines.extend(_text(cap))
        caption = " ".join(caption_lines) or (images[0].alt if images else "")
        if not images and not caption:
            return
        self.units.append(
            Unit(caption, el.sourceline, "figure", tuple(images), credit, self.container(el))
        )

    def text(
        self, lines: list[str], line: int | None, kind: str = "text", container: int | None = None
    ) -> None:
        """One unit per block; a ``<br>`` starts a new one only before a figure number."""
        parts: list[str] = []
        for text in lines:
            if parts and find_marker(text):
                self.units.append(Unit(" ".join(parts), line, kind, container=container))
                parts = []
            parts.append(text)
        if parts:
            self.units.append(Unit(" ".join(parts), line, kind, container=container))

    def walk(self, root: lxml.etree._Element) -> list[Unit]:
        structured: set[lxml.etree._Element] = set()
        for el in root.iterdescendants():
            if _tag(el) in _STRUCTURE:
                for ancestor in el.iterancestors():
                    if ancestor in structured:
                        break
                    structured.add(ancestor)
        self.find_sections(root)
        stack: list[lxml.etree._Element | tuple[str, int | None]] = [root]
        while stack:
            item = stack.pop()
            if isinstance(item, tuple):
                self.text([t for t in (clean_line(x) for x in item[0].split(_BR)) if t], item[1])
                continue
            el, tag = item, _tag(item)
            if not tag:
                continue
            if tag == "figure":
                self.figure(el)
            elif tag == "img":
                ref = self.image(el)
                if ref is not None:
                    unit = Unit(ref.alt, el.sourceline, "image", (ref,), None, self.container(el))
                    self.units.append(unit)
            elif tag in _HEADINGS or el not in structured:
                box = self.container(el)
                images = self.images_in(el)
                if images:
                    self.units.append(
                        Unit(images[0].alt, el.sourceline, "image", tuple(images), None, box)
                    )
                kind = "heading" if tag in _HEADINGS else "text"
                self.text(_text(el), el.sourceline, kind, box)
            else:
                children: list[lxml.etree._Element | tuple[str, int | None]] = []
                if el.text and el.text.strip():
                    children.append((el.text, el.sourceline))
                for child in el:
                    children.append(child)
                    if child.tail and child.tail.strip():
                        children.append((child.tail, child.sourceline))
                stack.extend(reversed(children))
        return self.units


_BYLINE_PARTS = {"byline", "author", "authors", "writer", "byl"}
_BYLINE_WORDS = 12  # longer than this, an element classed "author" is more than a byline


def _is_byline(el: lxml.etree._Element) -> bool:
    """An element the page marks as the byline: ``class="byline"`` / ``"author"``,
    ``rel="author"``, ``itemprop="author"``."""
    if "author" in (el.get("rel") or "").lower().split():
        return True
    if "author" in (el.get("itemprop") or "").lower().split():
        return True
    return any(
        set(re.split(r"[-_]", token)) & _BYLINE_PARTS or token in _BYLINE_PARTS
        for token in (el.get("class") or "").lower().split()
    )


def _take_bylines(root: lxml.etree._Element, meta: PageMeta) -> None:
    """Names (and a date) from the page's byline elements to ``meta``; the elements leave the
    text, so that "By NAME" does not become a heading or a paragraph."""
    found = _byline_elements(root)
    meta.author_sources += [("byline", found.stated), ("author-element", found.named)]
    if found.date:
        meta.date_sources.append(("byline", found.date))


@dataclass
class _Bylines:
    stated: list[str] = field(default_factory=list)  # "By NAME" in a byline element
    named: list[str] = field(default_factory=list)  # a name alone in an author element
    date: str | None = None


def _byline_elements(root: lxml.etree._Element) -> _Bylines:
    """The page's byline elements, taken out of the text: the names they state."""
    out = _Bylines()
    found = [
        el
        for el in root.iter()
        if el is not root
        and _tag(el) not in ("figure", "figcaption", "a", "img")
        and next(el.iterancestors("figure"), None) is None
        and _is_byline(el)
    ]
    for el in found:
        if el.getparent() is None or any(a in found for a in el.iterancestors()):
            continue
        text = " ".join(_text(el))
        if not text or len(text.split()) > _BYLINE_WORDS:
            continue
        byline = parse_byline(text)
        names = split_names(text) if byline is None else None
        if not names and byline is None:
            continue
        target = out.stated if byline is not None else out.named
        target.extend(n for n in (byline.creators if byline else names or []) if n not in target)
        if byline is not None and byline.date and out.date is None:
            out.date = byline.date
        if isinstance(el, lxml.html.HtmlElement):
            el.drop_tree()
    return out


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_CLASS = {"sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text", "hidden",
                 "hide", "invisible", "offscreen", "element-invisible", "u-hidden",
                 "is-hidden", "a11y", "assistive-text", "screenreader"}  # fmt: skip


def _hidden(el: lxml.etree._Element) -> bool:
    """Whether the element (or a wrapper) is not shown to a reader."""
    for node in itertools.chain([el], el.iterancestors()):
        if node.get("hidden") is not None or (node.get("aria-hidden") or "") == "true":
            return True
        if _HIDDEN_STYLE.search(node.get("style") or ""):
            return True
        if set((node.get("class") or "").lower().split()) & _HIDDEN_CLASS:
            return True
    return False


_TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—·•»:/~-]{1,2})\s+|\s*[|·•»]\s*")


def _squeeze(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class _Titles:
    """What the page calls itself (``<title>``, ``og:title``, JSON-LD ``headline``) and its
    site's names (``og:site_name``, the publisher, the host name), to choose among headings."""

    def __init__(self, meta: PageMeta, url: str | None) -> None:
        self.given = [meta.titles[k] for k in ("og", "headline", "page") if k in meta.titles]
        self.sites = {_squeeze(meta.titles.get("site", ""))} - {""}
        host = urlsplit(url or "").hostname or ""
        labels = [p for p in host.split(".") if p not in ("www", "m", "blog", "de", "com", "org",
                                                           "net", "info", "eu", "it", "fr")]  # fmt: skip
        self.sites.update(_squeeze(p) for p in labels if len(p) > 3)

    def site_like(self, text: str) -> bool:
        key = _squeeze(text)
        return bool(key) and any(key == s or (len(s) > 3 and s in key and len(text.split()) <= 4)
                                 or (len(key) > 3 and key in s) for s in self.sites)  # fmt: skip

    def confirms(self, heading: str) -> int:
        """How much of the page's title the heading is (0: none, or it is the site's name):
        the heading's length when it is inside a given title, a little less than the title's
        when the title is inside it (a heading with a subtitle)."""
        key = _squeeze(heading)
        if len(key) < 3 or self.site_like(heading):
            return 0
        best = 0
        for title in map(_squeeze, self.given):
            if key in title:
                best = max(best, len(key) * 2)
            elif len(title) >= 8 and title in key:
                best = max(best, len(title) * 2 - 1)
        return best

    def stripped(self) -> str | None:
        """The best given title without the site's name before or after it."""
        for title in self.given:
            parts = [p for p in _TITLE_SEPARATOR.split(title) if p.strip()]
            if len(parts) < 2:
                return title
            keep = [p for p in parts if not self.site_like(p)]
            if not keep:
                continue
            # no part names the site: a trailing short part is the site's name
            if len(keep) == len(parts) and 4 >= len(parts[-1].split()) < len(parts[0].split()):
                keep = parts[:-1]
            start = title.find(keep[0])
            end = title.rfind(keep[-1]) + len(keep[-1])
            return title[start:end].strip() if 0 <= start < end else keep[0]
        return None


def _choose_title(
    root: lxml.etree._Element, doc: lxml.etree._Element, titles: _Titles
) -> tuple[str | None, lxml.etree._Element | None]:
    """The article's title: a visible ``<h1>`` the page's own titles confirm, else an
    article heading they confirm (blogs put the site's name in the ``<h1>`` and the post's
    title in an ``<h2>``), else the given title without the site's name, else the ``<h1>``."""
    h1s = [
        (text, h)
        for h in itertools.chain(
            root.iter("h1"),
            (h for h in doc.iter("h1") if not any(map(_is_clutter, h.iterancestors()))),
        )
        if (text := " ".join(_text(h))) and not _hidden(h)
    ][:6]
    headings = [
        (text, h)
        for h in root.iter("h2", "h3")
        if (text := " ".join(_text(h))) and not _hidden(h) and len(text.split()) >= 2
    ][:6]
    scored = [(titles.confirms(text), -i, text, h) for i, (text, h) in enumerate(h1s + headings)]
    best = max(scored, key=lambda item: item[:2], default=None)
    if best is not None and best[0]:  # the heading that is the most of the page's title
        return best[2], best[3]
    inside = [(text, h) for text, h in h1s if h in set(root.iter("h1"))]
    if inside and not titles.site_like(inside[0][0]):
        return inside[0]
    stripped = titles.stripped()
    if stripped:
        return stripped, (h1s[0][1] if h1s else None)
    return (h1s[0][0], h1s[0][1]) if h1s else (None, None)


def _creators_from_links(root: lxml.etree._Element, meta: PageMeta) -> None:
    names: list[str] = []
    for link in root.iter("a"):
        if "author" in (link.get("rel") or "").lower().split():
            name = " ".join(_text(link))
            byline = parse_byline(name)
            names.extend(list(byline.creators) if byline else (split_names(name) or []))
    meta.author_sources.append(("rel-author", names))


def _base_href(doc: lxml.etree._Element) -> str | None:
    for base in doc.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return href
    return None


def parse_html(data: bytes, path: Path, report: Report, base_url: str | None = None) -> HtmlArticle:
    """The article in a saved HTML page, with its images resolved in the page's folder and —
    given the page's address ``base_url`` (or a ``<base href>``) — to absolute URLs."""
    if len(data) > MAX_HTML_BYTES:
        raise InputError(
            f"the page is {len(data)} bytes; bagsmith reads pages up to {MAX_HTML_BYTES}",
            path=path,
        )
    saved_from = _SAVED_FROM.search(data[:4096])
    text = _cap_images(decode_page(data, report, str(path)), path, report)
    doc = _parse(text, path, report)
    meta = read_meta(doc, str(path), report)
    if meta.source_url is None and saved_from:
        meta.source_url = saved_from.group(1).decode("ascii", "replace")
    base = base_url or _base_href(doc)
    if base_url and base and base_url != base:
        base = absolute(base, base_url) or base_url
    extraction = _main_text(doc, base or meta.source_url, path, report)
    if extraction is not None:
        extracted_meta(extraction, meta)
    for br in doc.iter("br"):
        br.tail = _BR + _xml_safe(br.tail or "")
    if extraction is not None and extraction.blocks:
        body = doc.find("body")
        page = PageText(body if body is not None else doc)
        locate(page, extraction.blocks)
        if not _one_run(extraction.blocks):
            return _parse_with_extraction(doc, meta, page, path, report, base, extraction)
    # nothing, or one run of text (trafilatura's last-resort reading of a page it could not
    # structure, such as a tiny page): the page's own structure says more
    return _parse_by_structure(doc, meta, path, report, base)


_BLOCK_TAGS = _BLOCKS | _HEADINGS | {"div", "section", "article", "main", "body", "table"}


def extracted_meta(extraction: Extraction, meta: PageMeta) -> None:
    """The extractor's reading of author, date and site name, as sources for ``decide``."""
    if extraction.author:
        names = [n for n in (clean_line(a) for a in extraction.author.split(";")) if n]
        meta.author_sources.append(("extractor", names))
    if extraction.date and to_edtf(extraction.date):
        meta.date_sources.append(("extractor", to_edtf(extraction.date) or ""))
    if extraction.sitename:
        meta.site_names.append(extraction.sitename)


def _one_run(blocks: list[Block]) -> bool:
    """A single block holding the text of several of the page's blocks, or only text from the
    page's furniture."""
    if len(blocks) != 1:
        return False
    el = blocks[0].element
    if el is None or any(_is_clutter(a) for a in itertools.chain([el], el.iterancestors())):
        return True  # (or text only from the page's furniture)
    while el is not None and _tag(el) not in _BLOCK_TAGS:
        el = el.getparent()
    own = len("".join(el.text_content().split())) if el is not None else 0
    return own < len("".join(blocks[0].text.split())) * 0.6


_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


def _cap_images(text: str, path: Path, report: Report) -> str:
    """The page with at most the ``figures`` limit of ``<img>`` tags (the first ones): the
    time and memory a page takes stay bounded whatever number of images it holds."""
    most = limits.get("figures")
    tags = _IMG_TAG.finditer(text)
    cut = next(itertools.islice(tags, most, None), None)
    if cut is None:
        return text
    head, tail = text[: cut.start()], text[cut.start() :]
    tail, removed = _IMG_TAG.subn("", tail)
    report.add(
        "figures-too-many",
        f"the page holds more than {most} images; the first {most} were read and {removed} "
        "left out (the 'figures' limit can be raised)",
        str(path),
        severity=Severity.WARNING,
    )
    return head + tail


def _main_text(
    doc: lxml.html.HtmlElement, url: str | None, path: Path, report: Report
) -> Extraction | None:
    """trafilatura's reading of the page (on a copy: it changes the tree), or None when it
    finds no main text or fails (the structural reading is used then)."""
    try:
        return extract(copy.deepcopy(doc), url)
    except Exception as exc:  # a third-party extractor: any failure falls back, named
        report.add(
            "html-extractor-failed",
            f"the main-text extractor failed ({type(exc).__name__}); the page was read by its "
            "structure instead",
            str(path),
        )
        return None


def _finish(units: list[Unit], meta: PageMeta, path: Path, report: Report, html: bool) -> Assembled:
    assembled = assemble(units, report, str(path), title=meta.title, extracted=html)
    meta.author_sources.append(("text", list(assembled.creators)))
    if assembled.date_published and to_edtf(assembled.date_published):
        meta.date_sources.append(("text", to_edtf(assembled.date_published) or ""))
    decide(meta)
    return assembled


def _image_urls(assembled: Assembled, urls: dict[int, str | None]) -> list[str | None]:
    return [
        next((urls.get(id(ref)) for ref in fig.images if urls.get(id(ref))), None)
        for fig in assembled.figures
    ]


def _parse_by_structure(
    doc: lxml.html.HtmlElement, meta: PageMeta, path: Path, report: Report, base: str | None
) -> HtmlArticle:
    """The page read by its structure alone: the largest ``<article>``, else ``<main>``,
    else ``<body>``, without the elements marked as clutter."""
    root = _content_root(doc)
    title, h1 = _choose_title(root, doc, _Titles(meta, base or meta.source_url))
    if title:
        meta.title = title
    h1s = {h for h in root.iter("h1")}
    _clean(root, set(root.iterancestors()) | h1s)
    from_article(meta, root, doc, h1)
    _take_bylines(root, meta)
    _creators_from_links(root, meta)
    walker = _Walker(path, report)
    units = walker.walk(root)
    assembled = _finish(units, meta, path, report, html=False)
    urls = {id(ref): absolute(ref.src, base) for u in units for ref in u.images}
    return HtmlArticle(assembled, meta, _image_urls(assembled, urls))


def _parse_with_extraction(
    doc: lxml.html.HtmlElement,
    meta: PageMeta,
    page: PageText,
    path: Path,
    report: Report,
    base: str | None,
    extraction: Extraction,
) -> HtmlArticle:
    """The page read through trafilatura's main text: its blocks located in the page, the
    article element they sit in, and the editorial figures of that element between them."""
    blocks = extraction.blocks
    root = article_element(blocks, page)
    if root is None:
        root = page.root
    title, h1 = _choose_title(root, doc, _Titles(meta, base or meta.source_url))
    if title:
        meta.title = title
    elif meta.title is None and extraction.title:
        meta.title = clean_line(extraction.title)
    from_article(meta, root, doc, h1)
    _take_bylines(root, meta)
    _creators_from_links(root, meta)
    most = limits.get("figures")
    finder = FigureFinder(base, most, meta.images)
    located = [b.position for b in blocks if b.element is not None]
    start = min(located, default=-1)
    if h1 is not None and 0 <= page.order.get(h1, -1) < start:
        start = page.order[h1]
    end = max(located, default=-1)
    # a figure element, or a picture with its caption, anywhere in the article element; an
    # image standing alone (even with a caption after it) only between the title and the
    # last block of text: below that, a page may go on with the next story
    figures = [
        fig
        for fig in finder.find(root)
        if (fig.element.tag != "img" and (fig.captioned or fig.element.tag == "figure"))
        or start <= page.order.get(fig.element, -1) <= end
    ]  # fmt: skip
    if finder.over_limit:
        report.add(
            "figures-too-many",
            f"the article shows more than {most} images; the first {most} were kept and "
            f"{finder.over_limit} left out (the 'figures' limit can be raised)",
            str(path),
            severity=Severity.WARNING,
        )
    walker = _Walker(path, report)
    walker.find_sections(root)
    blocks = _with_headings(blocks, root, page)
    units = _merge(blocks, figures, walker, page)
    assembled = _finish(units, meta, path, report, html=True)
    urls = {id(ref): url for u in units for ref, url in zip(u.images, u.urls, strict=False)}
    return HtmlArticle(assembled, meta, _image_urls(assembled, urls))


def _with_headings(blocks: list[Block], root: lxml.etree._Element, page: PageText) -> list[Block]:
    """The article's visible numbered headings that the extractor left out (it drops short
    ones, such as the numbered captions of a list of photographs), between the first and the
    last of its blocks, and the links that close an author box ("View all posts")."""
    located = [b.position for b in blocks if b.element is not None]
    if not located:
        return blocks
    first, last = min(located), max(located)
    have = {b.element for b in blocks if b.element is not None}
    have.update(a for b in blocks if b.element is not None for a in b.element.iterancestors())
    added: list[Block] = []
    for h in root.iter(*_HEADINGS, "p", "a", "li"):
        position = page.order.get(h, -1)
        heading = h.tag in _HEADINGS
        if (
            heading
            and not first <= position <= last + 1
            and not (h.tag != "h1" and position > first)
        ):
            continue
        if not heading and not first < position <= last + 1:
            continue
        if h in have:
            continue  # it holds text the extractor kept
        text = " ".join(_text(h))
        if not text or not (
            (heading and find_marker(text))
            or (not heading and len(text) < 80 and author_link(text))
        ):
            continue
        if _hidden(h) or any(_is_clutter(a) for a in h.iterancestors()):
            continue
        if heading:
            added.append(Block("heading", text, h, position))
        else:  # a link the extractor left out that ends an author box ("View all posts")
            added.append(Block("break", text, h, position))
            have.update(h.iterdescendants())
    if not added:
        return blocks
    merged: list[Block] = []
    i = 0
    running = -1
    for block in blocks:
        if block.element is not None:
            running = max(running, block.position)
        while i < len(added) and added[i].position < running:
            merged.append(added[i])
            i += 1
        merged.append(block)
    merged.extend(added[i:])
    return merged


def _merge(
    blocks: list[Block], figures: list[FoundFigure], walker: _Walker, page: PageText
) -> list[Unit]:
    """Text blocks and figures in the order of the page."""
    inside: set[lxml.etree._Element] = set()
    captions: set[str] = set()
    for fig in figures:
        inside.add(fig.element)
        inside.update(fig.element.iterdescendants())
        if fig.captioned:
            captions.add(" ".join(fig.caption.split()))
    text: list[tuple[int, Unit]] = []
    position = -1
    for block in blocks:
        el = block.element
        if el is not None:
            if el in inside:
                continue
            if not page.holds(el):
                continue  # a byline element taken out of the text
            position = max(position, block.position)
        lines = [t for t in (clean_line(x) for x in block.text.split(_BR)) if t]
        if not lines or " ".join(" ".join(lines).split()) in captions:
            continue
        line = el.sourceline if el is not None else None
        box = walker.container(el) if el is not None else None
        kind = block.kind
        if kind == "break":
            text.append((position, Unit(" ".join(lines), line, kind, container=box)))
            continue
        parts: list[str] = []
        for item in lines:
            if parts and find_marker(item):
                text.append((position, Unit(" ".join(parts), line, kind, container=box)))
                parts = []
            parts.append(item)
        if parts:
            text.append((position, Unit(" ".join(parts), line, kind, container=box)))
    pictures: list[tuple[int, Unit]] = []
    for fig in figures:
        refs = [walker.ref(p.src, clean_line(p.alt), p.element.sourceline) for p in fig.pictures]
        kind = "figure" if fig.captioned or fig.credit or fig.element.tag == "figure" else "image"
        unit = Unit(
            clean_line(fig.caption),
            fig.element.sourceline,
            kind,
            tuple(refs),
            fig.credit,
            walker.container(fig.element),
            tuple(p.url for p in fig.pictures),
        )
        pictures.append((page.order.get(fig.element, -1), unit))
    merged: list[Unit] = []
    i = 0
    for position, unit in text:
        while i < len(pictures) and pictures[i][0] < position:
            merged.append(pictures[i][1])
            i += 1
        merged.append(unit)
    merged.extend(unit for _, unit in pictures[i:])
    return merged
