"""What a web page says about itself: <meta> tags, Open Graph, schema.org JSON-LD, <html lang>."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.etree

from .. import limits
from ..problems import Report
from .bylines import split_names
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


def _json_ld(doc: lxml.etree._Element, path: str, report: Report) -> dict[str, Any]:
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
            if types & _ARTICLE_TYPES and (not best or "webpage" in _types(best)):
                best = obj
    return best


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
    ld = _json_ld(doc, path, report)
    meta = PageMeta()
    title_el = doc.find(".//title")
    page_title = clean_line(title_el.text_content()) if title_el is not None else ""
    meta.title = metas.get("og:title") or clean_line(str(ld.get("headline") or "")) or None
    site = metas.get("og:site_name") or next(iter(_names(ld.get("publisher"))), None)
    if meta.title is None and page_title:
        if site:
            page_title = re.sub(rf"\s*[|–—:-]\s*{re.escape(site)}\s*$", "", page_title)
        meta.title = page_title or None
    authors: list[str] = []
    for key in ("author", "article:author", "dc.creator", "citation_author"):
        value = metas.get(key)
        if value and not re.match(r"https?://", value):
            authors.extend(split_names(value) or [value])
    authors.extend(_names(ld.get("author")))
    meta.creators = list(dict.fromkeys(authors))
    for key in _DATE_METAS:
        if metas.get(key) and (date := to_edtf(metas[key])):
            meta.date_published = date
            break
    if meta.date_published is None and isinstance(ld.get("datePublished"), str):
        meta.date_published = to_edtf(ld["datePublished"])
    if meta.date_published is None:
        for time in doc.iter("time"):
            if time.get("itemprop") == "datePublished" or time.get("pubdate") is not None:
                meta.date_published = to_edtf(time.get("datetime") or time.text_content())
                break
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
