"""What a web page says about itself: <meta> tags, Open Graph, schema.org JSON-LD, <html lang>."""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.etree

from .. import limits
from ..problems import Report
from .bylines import parse_byline, split_names
from .dates import to_edtf
from .text import clean_line

_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "report",
                  "scholarlyarticle", "techarticle", "analysisnewsarticle", "webpage"}  # fmt: skip
_DATE_METAS = ("article:published_time", "datepublished", "date", "pubdate", "publishdate",
               "dc.date", "dc.date.issued", "dcterms.created", "dcterms.issued",
               "citation_publication_date", "og:published_time")  # fmt: skip
MAX_JSON_LD = 1024 * 1024


@dataclass
class PageMeta:
    title: str | None = None
    creators: list[str] = field(default_factory=list)
    date_published: str | None = None
    source_url: str | None = None
    language: str | None = None
    publisher: str | None = None
    subjects: list[str] = field(default_factory=list)
    # what the page calls itself, as written: <title>, og:title, JSON-LD headline (html.py
    # weighs them against the page's headings)
    titles: dict[str, str] = field(default_factory=dict)
    # schema.org ImageObjects of the page by file name: (caption, credit)
    images: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a JSON-LD document, breadth first, without recursion."""
    queue = [data]
    seen = 0
    while queue and seen < 10000:
        item = queue.pop(0)
        seen += 1
        if isinstance(item, dict):
            yield item
            queue.extend(item.values())
        elif isinstance(item, list):
            queue.extend(item)


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {str(v).lower() for v in values}


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and clean_line(name) and not re.match(r"https?://", name):
            out.append(clean_line(name))
    return out


def _http(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    if isinstance(value, str) and re.match(r"^https?://\S+$", value.strip()):
        return value.strip()
    return None


def image_key(url: str) -> str:
    """An image's file name, the key that pairs a page's image with its JSON-LD description."""
    return url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()


def _image_object(obj: dict[str, Any], images: dict[str, tuple[str | None, str | None]]) -> None:
    """Caption and credit of a schema.org ImageObject (creditText, copyrightNotice, author,
    copyrightHolder), by the file name of its url/contentUrl."""
    caption = obj.get("caption") if isinstance(obj.get("caption"), str) else None
    credit = next(
        (
            name
            for key in ("creditText", "copyrightNotice", "author", "creator", "copyrightHolder")
            for name in ([obj[key]] if isinstance(obj.get(key), str) else _names(obj.get(key)))
            if name and name.strip()
        ),
        None,
    )
    if not caption and not credit:
        return
    for key in ("contentUrl", "url", "@id"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            images.setdefault(
                image_key(value.strip()),
                (clean_line(caption) if caption else None, clean_line(credit) if credit else None),
            )


def _json_ld(
    doc: lxml.etree._Element,
    path: str,
    report: Report,
    images: dict[str, tuple[str | None, str | None]] | None = None,
) -> dict[str, Any]:
    best: dict[str, Any] = {}
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text or ""
        try:
            if len(text) > MAX_JSON_LD:
                raise ValueError("larger than 1 MiB")
            data = limits.load_json(text)
        except (ValueError, RecursionError) as exc:
            report.add(
                "html-json-ld-invalid",
                f"a JSON-LD block is not valid JSON ({exc}); it was ignored",
                path,
                script.sourceline,
            )
            continue
        for obj in _objects(data):
            types = _types(obj)
            if "imageobject" in types and images is not None:
                _image_object(obj, images)
            if types & _ARTICLE_TYPES and (not best or "webpage" in _types(best)):
                best = obj
    return best


_STAMP = re.compile(
    r"^\s*(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)?\s*$"
)


def _instant(value: str) -> datetime.datetime | None:
    found = _STAMP.match(value)
    if found is None or found.group(7) is None:
        return None
    zone = found.group(7)
    try:
        if zone == "Z":
            offset = datetime.timedelta(0)
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        y, mo, d, h, mi = (int(found.group(i)) for i in range(1, 6))
        return datetime.datetime(
            y, mo, d, h, mi, int(found.group(6) or 0), tzinfo=datetime.timezone(offset)
        )
    except (ValueError, OverflowError):
        return None


def local_day(value: str, others: list[str]) -> str | None:
    """The publication day as the page's readers saw it, for a time stamp given in UTC: the
    day of another stamp of the page naming the same instant in local time (``<time
    datetime="…-04:00">``), or — for a stamp at 22:00 or 23:00 sharp UTC, a local midnight
    stored in UTC by sites east of Greenwich — the next day. None: nothing to correct."""
    moment = _instant(value)
    if moment is None or moment.utcoffset() != datetime.timedelta(0):
        return None
    for other in others:
        local = _instant(other)
        if local is not None and local.utcoffset() and abs(local - moment).total_seconds() < 120:
            return local.date().isoformat()
    if moment.hour in (22, 23) and moment.minute == 0 and moment.second == 0:
        return (moment + datetime.timedelta(hours=2)).date().isoformat()
    return None


def _without_lead(value: str) -> list[str]:
    """The names in a metadata author value, without a byline's lead ("Von NAME", "By
    NAME")."""
    byline = parse_byline(value)
    if byline is not None and byline.creators:
        return list(byline.creators)
    return split_names(value) or [value]


def read_meta(doc: lxml.etree._Element, path: str, report: Report) -> PageMeta:
    metas: dict[str, str] = {}
    keywords: list[str] = []
    for m in doc.iter("meta"):
        key = m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv")
        key = (key or "").strip().lower()
        content = clean_line(m.get("content") or "")
        if not key or not content:
            continue
        if key in ("keywords", "article:tag", "news_keywords"):
            keywords.extend(k.strip() for k in content.split(","))
        metas.setdefault(key, content)
    images: dict[str, tuple[str | None, str | None]] = {}
    ld = _json_ld(doc, path, report, images)
    meta = PageMeta()
    meta.images = images
    title_el = doc.find(".//title")
    page_title = clean_line(title_el.text_content()) if title_el is not None else ""
    meta.title = metas.get("og:title") or clean_line(str(ld.get("headline") or "")) or None
    site = metas.get("og:site_name") or next(iter(_names(ld.get("publisher"))), None)
    meta.titles = {
        key: value
        for key, value in (
            ("og", metas.get("og:title") or metas.get("twitter:title") or ""),
            ("headline", clean_line(str(ld.get("headline") or ""))),
            ("page", page_title),
            ("site", site or ""),
        )
        if value
    }
    if meta.title is None and page_title:
        if site:
            page_title = re.sub(rf"\s*[|–—:-]\s*{re.escape(site)}\s*$", "", page_title)
        meta.title = page_title or None
    authors: list[str] = []
    for key in ("author", "article:author", "dc.creator", "citation_author"):
        value = metas.get(key)
        if value and not re.match(r"https?://", value):
            authors.extend(_without_lead(value))
    ld_authors = ld.get("author")
    if isinstance(ld_authors, list) and any(
        isinstance(a, dict) and "person" in _types(a) for a in ld_authors
    ):  # people and their organisation: the people wrote it
        ld_authors = [
            a for a in ld_authors if not (isinstance(a, dict) and "organization" in _types(a))
        ]
    authors.extend(n for name in _names(ld_authors) for n in _without_lead(name))
    meta.creators = list(dict.fromkeys(authors))
    raw: str | None = None
    for key in _DATE_METAS:
        if metas.get(key) and to_edtf(metas[key]):
            raw = metas[key]
            break
    if raw is None and isinstance(ld.get("datePublished"), str) and to_edtf(ld["datePublished"]):
        raw = ld["datePublished"]
    stamps = [t.get("datetime") or "" for t in itertools.islice(doc.iter("time"), 200)]
    if raw is None:
        for time in doc.iter("time"):
            if time.get("itemprop") == "datePublished" or time.get("pubdate") is not None:
                raw = time.get("datetime") or time.text_content()
                break
    if raw is not None:
        meta.date_published = local_day(raw, stamps) or to_edtf(raw)
    canonical = next(
        (
            link.get("href")
            for link in doc.iter("link")
            if "canonical" in (link.get("rel") or "").lower().split()
        ),
        None,
    )
    meta.source_url = (
        _http(canonical) or _http(metas.get("og:url")) or _http(ld.get("url"))
        or _http(ld.get("mainEntityOfPage"))
    )  # fmt: skip
    lang = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    lang = lang or metas.get("content-language") or ld.get("inLanguage")
    if isinstance(lang, str) and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*", lang):
        meta.language = lang.replace("_", "-")
    meta.publisher = site
    ld_keywords = ld.get("keywords")
    if isinstance(ld_keywords, str):
        keywords.extend(k.strip() for k in ld_keywords.split(","))
    elif isinstance(ld_keywords, list):
        keywords.extend(str(k).strip() for k in ld_keywords)
    meta.subjects = list(dict.fromkeys(k for k in keywords if k))
    return meta
