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

import itertools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html

from .captions import split_credit
from .htmlmeta import image_key
from .text import clean_line

_CAPTION_CLASS = re.compile(r"caption|legend|bildunterschrift|legende", re.IGNORECASE)
_CREDIT_CLASS = re.compile(
    r"credit|copyright|attribution|photographer|fotograf|source|quelle|byline|author|cite|"
    r"licen[cs]e|lizenz",
    re.IGNORECASE,
)
_NOT_EDITORIAL = {"avatar", "avatars", "gravatar", "logo", "logos", "icon", "icons", "emoji",
                  "badge", "sprite", "teaser", "teasers", "promo", "promotion", "related",
                  "recommended", "recommendations", "outbrain", "taboola", "sponsor",
                  "sponsored", "advert", "advertisement", "ad", "ads", "banner", "share",
                  "sharing", "social", "widget", "sidebar", "nav", "navigation", "menu",
                  "author", "authors", "profile", "comment", "comments", "newsletter",
                  "subscribe", "rating", "video-thumbnail", "more", "popular", "trending",
                  "most", "footer", "cookie", "tracking", "pixel"}  # fmt: skip
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
    """The words of an element's class and id: whole names and their parts, without BEM
    modifiers (``TestReport__Section--Ads`` is a section, not an advertisement)."""
    names = " ".join(filter(None, [el.get("class"), el.get("id")])).lower()
    out: set[str] = set()
    for token in names.split():
        base = token.split("--", 1)[0]
        out.add(base)
        out.update(p for p in re.split(r"[-_]+", base) if p)
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


def _other_lazy(img: lxml.etree._Element, ending: str) -> list[str]:
    """Lazy-loading attributes of other scripts' own names (``data-dejavu-src``,
    ``data-td-src-property``…): any ``data-…src`` / ``data-…srcset`` attribute."""
    return [
        name
        for name in img.attrib
        if name.startswith("data-") and name.endswith(ending) and name not in _LAZY_ATTRS
    ]


def image_source(img: lxml.etree._Element) -> str:
    """The address an ``<img>`` really shows, with lazy loading undone."""
    src = (img.get("src") or "").strip()
    if _placeholder(src):
        for attr in (*_LAZY_ATTRS, *_other_lazy(img, "src")):
            value = (img.get(attr) or "").strip()
            if value and not value.startswith("data:"):
                return value
        for attr in ("data-srcset", "srcset", "data-lazy-srcset", *_other_lazy(img, "srcset")):
            value = _srcset_best(img.get(attr) or "")
            if value and not value.startswith("data:"):
                return value
        picture = next(
            (a for a in itertools.islice(img.iterancestors(), 3) if a.tag == "picture"), None
        )
        if picture is not None:
            for source in picture.iter("source"):
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


def _same_page(href: str, page: str | None) -> bool:
    if not page:
        return False
    there = urlsplit(absolute(href, page) or href).path.rstrip("/")
    return bool(there) and there == urlsplit(page).path.rstrip("/")


def _in_teaser_link(
    img: lxml.etree._Element, stop: lxml.etree._Element, page: str | None = None
) -> bool:
    """Inside a link to another page that comes with a headline (a teaser card): the link
    holds words, or a wrapper close around it (a list item, a card) holds a heading or text.
    A link to the page itself (a lead image linking to its article) is no teaser."""
    for anc in img.iterancestors():
        if anc is stop:
            return False
        if anc.tag != "a":
            continue
        href = (anc.get("href") or "").strip()
        if not href or href.startswith("#") or _IMAGE_FILE.search(href) or _same_page(href, page):
            return False
        words = len((anc.text_content() or "").split())
        if words >= 3:
            return True  # the link holds a headline too
        wrapper = anc
        for _level in range(3):
            wrapper = wrapper.getparent()
            if wrapper is None or wrapper is stop or wrapper.tag in ("p", "figure", "td"):
                return False
            if wrapper.find(".//h2") is not None or any(
                True for _ in wrapper.iter("h3", "h4", "h5", "h6")
            ):
                return True
            if len((wrapper.text_content() or "").split()) - words >= 3:
                return True
        return False
    return False


def _links_to_image(img: lxml.etree._Element) -> bool:
    """The image is a link to an image file (its full size)."""
    for anc in itertools.islice(img.iterancestors(), 3):
        if anc.tag == "a":
            return bool(_IMAGE_FILE.search((anc.get("href") or "").strip()))
    return False


_THUMBNAIL = re.compile(r"(?:^|[_.-])(\d{2,3})x(\d{2,3})(?:[_.-]|$)")


def _thumbnail_name(src: str) -> bool:
    """A file name giving a small size (``…_165x110.jpg``): a teaser's thumbnail."""
    name = src.rsplit("/", 1)[-1]
    found = _THUMBNAIL.search(name)
    return found is not None and int(found.group(1)) <= 200 and int(found.group(2)) <= 200


_NOT_EDITORIAL_PARTS = ("author", "avatar", "logo", "teaser", "promo", "related", "sponsor",
                        "advert", "newsletter", "outbrain", "taboola")  # fmt: skip


def _marked(el: lxml.etree._Element) -> bool:
    tokens = _tokens(el)
    return bool(tokens & _NOT_EDITORIAL) or any(
        part in token for token in tokens for part in _NOT_EDITORIAL_PARTS
    )


def editorial(
    img: lxml.etree._Element,
    stop: lxml.etree._Element,
    holds_article: set[lxml.etree._Element],
    page: str | None = None,
) -> bool:
    """Whether an image inside ``stop`` (the article) is one of its pictures. Wrappers that
    hold most of the article's text are layout (``l-sidebar-fixed``), never clutter."""
    if _declared_small(img) or _marked(img):
        return False
    if _thumbnail_name(image_source(img)) and not _links_to_image(img):
        return False  # a small teaser picture (one linking to its full size is the article's)
    for anc in img.iterancestors():
        if anc is stop or anc in holds_article:
            break
        if _marked(anc) or anc.tag in ("aside", "nav", "footer"):
            return False
        if anc.get("hidden") is not None or (anc.get("aria-hidden") or "") == "true":
            return False
    return not _in_teaser_link(img, stop, page)


def _text(el: lxml.etree._Element) -> str:
    return clean_line(el.text_content() if isinstance(el, lxml.html.HtmlElement) else "")


class FigureFinder:
    def __init__(
        self,
        base_url: str | None,
        limit: int,
        described: dict[str, tuple[str | None, str | None]] | None = None,
    ) -> None:
        self.base = base_url
        self.described = described or {}
        self.limit = limit
        self.seen: set[str] = set()
        self.over_limit = 0
        self.holds_article: set[lxml.etree._Element] = set()

    def pictures(self, el: lxml.etree._Element, stop: lxml.etree._Element) -> list[Picture]:
        out: list[Picture] = []
        for img in el.iter("img"):
            in_noscript = any(a.tag == "noscript" for a in img.iterancestors())
            src = image_source(img)
            if not src or src.startswith("data:") or _placeholder(src) or src.endswith("/"):
                continue
            if not editorial(img, stop, self.holds_article, self.base):
                continue
            key = absolute(src, self.base) or src
            if key in self.seen or (in_noscript and out):
                continue
            self.seen.add(key)
            alt = " ".join((img.get("alt") or img.get("title") or "").split())
            out.append(Picture(img, src, absolute(src, self.base), alt))
        return out

    def ld(self, pictures: list[Picture]) -> tuple[str | None, str | None]:
        """What the page's JSON-LD says of the picture (caption, credit)."""
        for picture in pictures:
            found = self.described.get(image_key(picture.url or picture.src))
            if found:
                return found
        return None, None

    def caption_of(self, el: lxml.etree._Element) -> tuple[str, str | None, bool]:
        """Caption and credit of a figure element (credit elements anywhere inside it)."""
        credit: str | None = None
        credit_rest = ""  # the caption a credit element holds before its credit
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
                rest, parsed = split_credit(found)  # "Crédits : Getty" → "Getty"
                credit = parsed.text if parsed is not None else found
                if parsed is not None and rest.strip(" .,;:|"):
                    credit_rest = rest
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
            # a caption element that is the credit ("caption caption--source") is the credit
            captions = [c for c in captions if c not in credit_els]
        parts: list[str] = []
        for cap in captions:
            text = _text(cap)
            for sub in credit_els:
                if (gone := _text(sub)) and any(a is cap for a in sub.iterancestors()):
                    text = text.replace(gone, " ")
            text = _SEPARATORS.sub("", " ".join(text.split()))
            if text and text not in parts:  # a gallery's title repeated under its picture
                parts.append(text)
        caption = " ".join(parts) or credit_rest
        rest, parsed = split_credit(caption)
        if parsed is not None and not rest.strip(" .,;:|"):  # a caption that is only a credit
            credit, caption = credit or parsed.text, ""
        return caption, credit, bool(caption)

    def lone(self, img: lxml.etree._Element, pictures: list[Picture]) -> FoundFigure:
        """An image outside any figure element: its caption and credit from the element the
        page marks as a caption right after it, else from the page's JSON-LD, else its alt
        text (not a visible caption)."""
        caption, captioned = pictures[0].alt, False
        credit = _credit_line(img)
        beside = _caption_after(img)
        if beside is not None:
            rest, parsed = split_credit(beside)
            if parsed is not None:
                credit = credit or parsed.text
            if rest.strip(" .,;:|"):
                caption, captioned = rest, True
        ld_caption, ld_credit = self.ld(pictures)
        if not captioned and ld_caption and clean_line(ld_caption):
            caption, captioned = clean_line(ld_caption), True
        return FoundFigure(img, pictures, caption, credit or ld_credit, captioned)

    def find(self, article: lxml.etree._Element) -> list[FoundFigure]:
        """The article's figures in document order (at most ``limit``; ``over_limit`` counts
        the images left out beyond it)."""
        found: list[FoundFigure] = []
        claimed: set[lxml.etree._Element] = set()
        self.holds_article = _text_holders(article)
        walker = article.iter()
        for el in walker:
            if not isinstance(el.tag, str):
                continue
            if el.tag not in ("figure", "img") and not (
                _tokens(el) & _WRAPPER_TOKENS or _captioned_child(el)
            ):
                continue
            if any(a in claimed for a in el.iterancestors()):
                continue
            if len(found) >= self.limit:
                self.over_limit = 1 + sum(1 for _ in walker if _ is not None and _.tag == "img")
                break
            if el.tag != "img" and _small_wrapper(el):
                claimed.add(el)
                pictures = self.pictures(el, article)
                if not pictures:
                    continue
                caption, credit, captioned = self.caption_of(el)
                if _ADVERT_LABEL.match(caption or pictures[0].alt) or _teaser_card(el, self.base):
                    continue
                ld_caption, ld_credit = self.ld(pictures)
                if not caption and ld_caption:
                    caption, captioned = ld_caption, True
                if not caption:
                    caption = pictures[0].alt
                found.append(FoundFigure(el, pictures, caption, credit or ld_credit, captioned))
            elif el.tag == "img":
                pictures = self.pictures(el, article)
                if pictures:
                    found.append(self.lone(el, pictures))
        return found


# what stays of "CAPTION • Credit: NAME" once the credit is out
_SEPARATORS = re.compile(r"(?:\s*[•·|/–—-])+\s*$")


# a picture captioned only "Advertisement": an advertisement
_ADVERT_LABEL = re.compile(
    r"^\W*(?:advertisement|advert|ad|sponsored|anzeige|werbung|reklama|publicidad|publicité"
    r"|pubblicità|annonce|advertentie|mainos)\W*$",
    re.IGNORECASE,
)


def _teaser_card(el: lxml.etree._Element, page: str | None) -> bool:
    """A figure whose picture links to another page and whose caption is a link to that same
    page, or whose caption holds a link to another page around a headline or ending in "Read
    more": a card announcing another story."""
    targets = set()
    for img in el.iter("img"):
        link = next((a for a in itertools.islice(img.iterancestors(), 4) if a.tag == "a"), None)
        href = (link.get("href") or "").strip() if link is not None else ""
        if (
            href
            and not href.startswith("#")
            and not _IMAGE_FILE.search(href)
            and not _same_page(href, page)
        ):
            targets.add(absolute(href, page) or href)
    for cap in el.iter("figcaption", "h2", "h3", "h4"):
        for a in cap.iter("a"):
            href = (a.get("href") or "").strip()
            if (absolute(href, page) or href) in targets:
                return True
            elsewhere = bool(href) and not href.startswith("#") and not _same_page(href, page)
            if elsewhere and (
                _READ_MORE.search(_text(a))  # "… Read more"
                or any(True for _ in a.iter("h2", "h3", "h4", "h5", "h6"))  # a headline link
            ):
                return True
    return False


_READ_MORE = re.compile(
    r"(?:^|\s)(?:read\s+more|continue\s+reading|leer\s+más|leia\s+mais|lire\s+la\s+suite"
    r"|weiterlesen|mehr\s+lesen|czytaj\s+więcej|leggi\s+(?:di\s+più|tutto))\W*$",
    re.IGNORECASE,
)


def _text_holders(article: lxml.etree._Element) -> set[lxml.etree._Element]:
    """The elements holding more than half of the article's text (a chain from the article
    down to where its text divides)."""
    total = len(_text(article))
    out = {article}
    node = article
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        big = next((c for c in children if len(_text(c)) * 2 > total), None)
        if big is None:
            return out
        out.add(big)
        node = big


_BLOCK = {"p", "div", "section", "figure", "td", "li", "article", "main", "body"}


def _credit_line(img: lxml.etree._Element) -> str | None:
    """The credit a paragraph holding only an image states after it ("(Credit: X)")."""
    holder = img.getparent()
    while holder is not None and holder.tag not in _BLOCK:
        holder = holder.getparent()
    if holder is None or holder.tag not in ("p", "div") or len(holder.xpath(".//img")) != 1:
        return None
    text = _text(holder)
    if not text or len(text.split()) > 16:
        return None
    rest, credit = split_credit(text)
    return credit.text if credit is not None and not rest.strip(" .()") else None


_NOT_SHOWN = {"noscript", "meta", "script", "link", "source", "template", "style"}


def _caption_after(img: lxml.etree._Element) -> str | None:
    """The text of an element marked as a caption or credit (by its class) that follows the
    image, or the element wrapping only the image, as its next sibling."""
    node = img
    for _level in range(3):
        sibling = node.getnext()
        while sibling is not None and (
            not isinstance(sibling.tag, str) or sibling.tag in _NOT_SHOWN
        ):
            sibling = sibling.getnext()
        if sibling is not None:
            classes = sibling.get("class") or ""
            if (
                (_tokens(sibling) & _CAPTION_TOKENS or _CREDIT_CLASS.search(classes))
                and sibling.find(".//img") is None
                and 0 < len((text := _text(sibling)).split()) <= _MAX_CAPTION_WORDS // 2
            ):
                return text
            return None
        parent = node.getparent()
        if parent is None:
            return None
        shown = (i for i in parent.iter("img") if i.getparent().tag != "noscript")
        if next(itertools.islice(shown, 1, None), None) is not None:
            return None
        node = parent
    return None


_CAPTION_TOKENS = {"caption", "figcaption", "copyright", "credit", "credits", "image-caption",
                   "img-caption", "photo-caption", "bildunterschrift", "legende", "legend"}  # fmt: skip


_MAX_BESIDE_WORDS = 15  # text of a captioned image's wrapper besides its caption


def _captioned_child(el: lxml.etree._Element) -> bool:
    """An element with a child the page marks as a caption or credit, beside an image — and
    little else: a child that holds the image is the figure itself (found on its own), and an
    element with paragraphs besides the caption is a part of the article, not a figure."""
    captions = [
        child
        for child in el
        if isinstance(child.tag, str)
        and _tokens(child) & _CAPTION_TOKENS
        and child.find(".//img") is None
    ]
    if not captions or el.find(".//img") is None:
        return False
    beside = len(_text(el).split()) - sum(len(_text(c).split()) for c in captions)
    return beside <= _MAX_BESIDE_WORDS


_WRAPPER_TOKENS = {"wp-caption", "tr-caption-container", "image-caption", "caption", "captioned",
                   "photo-caption", "figure"}  # fmt: skip


_MAX_CAPTION_WORDS = 120  # a wrapper with more text is not one picture with its caption


def _small_wrapper(el: lxml.etree._Element) -> bool:
    """An element marked as a captioned image that holds one to three images and no more text
    than a caption."""
    if len(_text(el).split()) > _MAX_CAPTION_WORDS:
        return False
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
