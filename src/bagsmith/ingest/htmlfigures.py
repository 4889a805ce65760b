"""The editorial photographs of a web article: what a reader sees as the article's pictures.

Only inside the article (the element :func:`~.extraction.article_element` chose from the main
text): a ``<figure>``, an element the page marks as a captioned image (``wp-caption``, Blogger's
``tr-caption-container``, any ``…caption…`` wrapper), or an image standing in the text. Never
page furniture: teaser and related-story cards (an image linking to another page next to a
headline), avatars, logos, icons, promos, sharing buttons, tracking pixels — recognised by the
classes of the image and its wrappers, its declared size, its file name and its link.

Lazy loading is undone: ``data-src``, ``data-lazy-src``, ``data-original``, ``srcset`` /
``data-srcset`` (the widest candidate), ``<picture><source>``, and the ``<noscript>`` copy of
the image that such pages carry. Credits come from anywhere in the figure (``<cite>``, a
``credit``/``copyright``/``source`` class) and from the page's schema.org ``ImageObject``
(``creditText``, ``copyrightNotice``, ``author``), which also gives a caption when the page
shows none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html

_CAPTION_CLASS = re.compile(r"caption|legend|bildunterschrift|legende", re.IGNORECASE)
_CREDIT_CLASS = re.compile(
    r"credit|copyright|attribution|photographer|fotograf|source|quelle|byline|author|cite",
    re.IGNORECASE,
)
_NOT_EDITORIAL = {"avatar", "avatars", "gravatar", "logo", "logos", "icon", "icons", "emoji",
                  "badge", "sprite", "teaser", "teasers", "promo", "promotion", "related",
                  "recommended", "recommendations", "outbrain", "taboola", "sponsor",
                  "sponsored", "advert", "advertisement", "ad", "ads", "banner", "share",
                  "sharing", "social", "widget", "sidebar", "nav", "navigation", "menu",
                  "author", "authors", "profile", "comment", "comments", "newsletter",
                  "subscribe", "rating", "video-thumbnail", "more", "popular", "trending",
                  "most", "footer", "header", "cookie", "tracking", "pixel"}  # fmt: skip
_BAD_FILE = re.compile(
    r"(?:^|[/_.-])(?:logo|avatar|gravatar|icon|favicon|sprite|spacer|blank|pixel|transparent|"
    r"placeholder|loader|loading|lazy|emoji|badge|button|1x1|dummy)(?:[/_.-]|\d|$)",
    re.IGNORECASE,
)
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|tiff?|avif|bmp)(?:$|[?#])", re.IGNORECASE)
_MIN_SIDE = 100  # declared width or height at most this: an icon, avatar or thumbnail button
_LAZY_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url",
               "data-full-src", "data-hi-res-src", "data-image", "data-img-src")  # fmt: skip


@dataclass(frozen=True)
class Picture:
    """An image element of the page, with where it points."""

    element: lxml.etree._Element
    src: str  # as written in the page (after undoing lazy loading)
    url: str | None  # absolute, when the page's address is known or the src is absolute
    alt: str


@dataclass
class FoundFigure:
    element: lxml.etree._Element  # the <figure> / caption wrapper / the lone image
    pictures: list[Picture]
    caption: str
    credit: str | None
    captioned: bool  # a visible caption (not only alt text)


def _tokens(el: lxml.etree._Element) -> set[str]:
    names = " ".join(filter(None, [el.get("class"), el.get("id")])).lower()
    out: set[str] = set()
    for token in names.split():
        out.add(token)
        out.update(p for p in re.split(r"[-_]+", token) if p)
    return out


def _srcset_best(value: str) -> str:
    best, best_width = "", -1.0
    for candidate in value.split(","):
        parts = candidate.strip().split()
        if not parts:
            continue
        width = 0.0
        if len(parts) > 1:
            try:
                width = float(parts[1].rstrip("wx"))
            except ValueError:
                width = 0.0
        if width > best_width:
            best, best_width = parts[0], width
    return best


def _placeholder(src: str) -> bool:
    return not src or src.startswith("data:") or bool(_BAD_FILE.search(src.rsplit("/", 1)[-1]))


def image_source(img: lxml.etree._Element) -> str:
    """The address an ``<img>`` really shows, with lazy loading undone."""
    src = (img.get("src") or "").strip()
    if _placeholder(src):
        for attr in _LAZY_ATTRS:
            value = (img.get(attr) or "").strip()
            if value and not value.startswith("data:"):
                return value
        for attr in ("data-srcset", "srcset", "data-lazy-srcset"):
            value = _srcset_best(img.get(attr) or "")
            if value and not value.startswith("data:"):
                return value
        parent = img.getparent()
        if parent is not None and parent.tag == "picture":
            for source in parent.iter("source"):
                value = _srcset_best(source.get("srcset") or source.get("data-srcset") or "")
                if value and not value.startswith("data:"):
                    return value
    return src


def absolute(src: str, base: str | None) -> str | None:
    parts = urlsplit(src)
    if parts.scheme in ("http", "https"):
        return src
    if src.startswith("//"):
        return "https:" + src
    if base and urlsplit(base).scheme in ("http", "https"):
        try:
            return urljoin(base, src)
        except ValueError:
            return None
    return None


def _declared_small(img: lxml.etree._Element) -> bool:
    for attr in ("width", "height"):
        value = (img.get(attr) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= _MIN_SIDE:
            return True
    return False


def _in_teaser_link(img: lxml.etree._Element, stop: lxml.etree._Element) -> bool:
    """Inside a link to another page that also carries a headline (a teaser card)."""
    for anc in img.iterancestors():
        if anc is stop:
            return False
        if anc.tag == "a":
            href = (anc.get("href") or "").strip()
            if not href or href.startswith("#") or _IMAGE_FILE.search(href):
                return False
            words = len((anc.text_content() or "").split())
            if words >= 3:
                return True  # the link holds a headline too
            parent = anc.getparent()
            if parent is None or parent.tag in ("p", "figure", "td"):
                return False
            return len((parent.text_content() or "").split()) - words >= 3
    return False


def editorial(img: lxml.etree._Element, stop: lxml.etree._Element) -> bool:
    """Whether an image inside ``stop`` (the article) is one of its pictures."""
    if _declared_small(img):
        return False
    if _tokens(img) & _NOT_EDITORIAL:
        return False
    for anc in img.iterancestors():
        if anc is stop:
            break
        if _tokens(anc) & _NOT_EDITORIAL or anc.tag in ("aside", "nav", "footer", "header"):
            return False
        if anc.get("hidden") is not None or (anc.get("aria-hidden") or "") == "true":
            return False
    return not _in_teaser_link(img, stop)


def _text(el: lxml.etree._Element) -> str:
    return " ".join((el.text_content() if isinstance(el, lxml.html.HtmlElement) else "").split())


class FigureFinder:
    def __init__(self, base_url: str | None, limit: int) -> None:
        self.base = base_url
        self.limit = limit
        self.seen: set[str] = set()
        self.over_limit = 0

    def pictures(self, el: lxml.etree._Element, stop: lxml.etree._Element) -> list[Picture]:
        out: list[Picture] = []
        for img in el.iter("img"):
            in_noscript = any(a.tag == "noscript" for a in img.iterancestors())
            src = image_source(img)
            if not src or src.startswith("data:") or _placeholder(src):
                continue
            if not editorial(img, stop):
                continue
            key = absolute(src, self.base) or src
            if key in self.seen or (in_noscript and out):
                continue
            self.seen.add(key)
            alt = " ".join((img.get("alt") or img.get("title") or "").split())
            out.append(Picture(img, src, absolute(src, self.base), alt))
        return out

    def caption_of(self, el: lxml.etree._Element) -> tuple[str, str | None, bool]:
        """Caption and credit of a figure element (credit elements anywhere inside it)."""
        credit: str | None = None
        credit_els = [
            sub
            for sub in el.iterdescendants()
            if isinstance(sub.tag, str)
            and (sub.tag == "cite" or _CREDIT_CLASS.search(sub.get("class") or ""))
            and sub.tag != "img"
        ]
        for sub in credit_els:
            found = _text(sub)
            if found and credit is None:
                credit = found
        captions = [c for c in el.iter("figcaption")]
        if not captions:
            captions = [
                sub
                for sub in el.iterdescendants()
                if isinstance(sub.tag, str)
                and sub.tag != "img"
                and _CAPTION_CLASS.search(sub.get("class") or "")
                and sub.find(".//img") is None
            ]
            captions = [c for c in captions if not any(a in captions for a in c.iterancestors())]
        parts: list[str] = []
        for cap in captions:
            text = _text(cap)
            for sub in credit_els:
                if any(a is cap for a in sub.iterancestors()):
                    text = text.replace(_text(sub), " ")
            if text.strip():
                parts.append(" ".join(text.split()))
        caption = " ".join(parts)
        return caption, credit, bool(caption)

    def find(self, article: lxml.etree._Element) -> list[FoundFigure]:
        """The article's figures in document order (at most ``limit``; ``over_limit`` counts
        the images left out beyond it)."""
        found: list[FoundFigure] = []
        claimed: set[lxml.etree._Element] = set()
        walker = article.iter()
        for el in walker:
            if not isinstance(el.tag, str):
                continue
            if el.tag != "figure" and el.tag != "img" and not (_tokens(el) & _WRAPPER_TOKENS):
                continue
            if any(a in claimed for a in el.iterancestors()):
                continue
            if len(found) >= self.limit:
                self.over_limit = 1 + sum(1 for _ in walker if _ is not None and _.tag == "img")
                break
            if el.tag != "img" and (el.tag == "figure" or _small_wrapper(el)):
                claimed.add(el)
                pictures = self.pictures(el, article)
                if not pictures:
                    continue
                caption, credit, captioned = self.caption_of(el)
                if not caption:
                    caption = pictures[0].alt
                found.append(FoundFigure(el, pictures, caption, credit, captioned))
            elif el.tag == "img":
                pictures = self.pictures(el, article)
                if pictures:
                    found.append(FoundFigure(el, pictures, pictures[0].alt, None, False))
        return found


_WRAPPER_TOKENS = {"wp-caption", "tr-caption-container", "image-caption", "caption", "captioned",
                   "figure", "photo", "image", "picture", "media", "img"}  # fmt: skip


def _small_wrapper(el: lxml.etree._Element) -> bool:
    """An element marked as a captioned image that holds one to three images."""
    count = 0
    for _img in el.iter("img"):
        count += 1
        if count > 3:
            return False
    return count > 0


def local_file(src: str, folder: str) -> tuple[str | None, str]:
    """The saved copy of an image in the page's folder: (path or None, why not)."""
    from pathlib import Path

    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return None, "not-saved"
    base = Path(folder)
    target = (base / unquote(parts.path)).resolve()
    if not target.is_relative_to(base):
        return None, "outside"
    if not target.is_file():
        return None, "missing"
    return str(target), ""
