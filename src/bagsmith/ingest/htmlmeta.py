"""What a web page says about itself: <meta> tags, Open Graph, schema.org JSON-LD, <html lang>."""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import lxml.etree

from .. import limits
from ..problems import Report
from .bylines import clean_author, parse_byline, split_names
from .dates import to_edtf
from .text import clean_line

_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "report",
                  "scholarlyarticle", "techarticle", "analysisnewsarticle", "webpage"}  # fmt: skip
_DATE_METAS = ("article:published_time", "datepublished", "date", "pubdate", "publishdate",
               "dc.date", "dc.date.issued", "dcterms.created", "dcterms.issued",
               "citation_publication_date", "og:published_time")  # fmt: skip
# the day the page was last changed (never its publication; see choose_published)
_MODIFIED_METAS = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
                   "last-modified")  # fmt: skip
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
    # who wrote it and when, by source, strongest first: the page's metadata here, then what
    # html.py finds in the page (bylines, the extractor's reading, the text); decide() chooses
    author_sources: list[tuple[str, list[str]]] = field(default_factory=list)
    date_sources: list[tuple[str, str]] = field(default_factory=list)
    # the site's own names (og:site_name, the JSON-LD publisher, the host): never an author
    # when a person is named
    site_names: list[str] = field(default_factory=list)
    # the day the page's address names (/2020/02/24/), for stamps given in UTC
    url_day: str | None = None


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


def local_day(value: str, others: list[str], url_day: str | None = None) -> str | None:
    """The publication day as the page's readers saw it, for a time stamp given in UTC: the
    day of another stamp of the page naming the same instant in local time (``<time
    datetime="…-04:00">``), the day in the page's address when it is the day before or after
    (``/2020/02/24/`` for ``2020-02-25T02:25Z``: the publisher's path is in local time), or —
    for a stamp at 22:00 or 23:00 sharp UTC, a local midnight stored in UTC by sites east of
    Greenwich — the next day. None: nothing to correct."""
    moment = _instant(value)
    if moment is None or moment.utcoffset() != datetime.timedelta(0):
        return None
    for other in others:
        local = _instant(other)
        if local is not None and local.utcoffset() and abs(local - moment).total_seconds() < 120:
            return local.date().isoformat()
    if url_day is not None:
        try:
            gap = abs((datetime.date.fromisoformat(url_day) - moment.date()).days)
        except ValueError:
            gap = 0
        if gap == 1:
            return url_day
    if moment.hour in (22, 23) and moment.minute == 0 and moment.second == 0:
        return (moment + datetime.timedelta(hours=2)).date().isoformat()
    return None


# a whole day in an address's path, as publishers write them: /2020/02/24/, /2017/7/12/
_URL_DAY = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$)")


def url_day(url: str | None) -> str | None:
    """The day a page's address names in its path (``/2020/02/24/slug``), or None."""
    found = _URL_DAY.search(urlsplit(url or "").path)
    if found is None:
        return None
    try:
        return datetime.date(int(found[1]), int(found[2]), int(found[3])).isoformat()
    except ValueError:
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
            authors.append(value)
    ld_authors = ld.get("author")
    if isinstance(ld_authors, list) and any(
        isinstance(a, dict) and "person" in _types(a) for a in ld_authors
    ):  # people and their organisation: the people wrote it
        ld_authors = [
            a for a in ld_authors if not (isinstance(a, dict) and "organization" in _types(a))
        ]
    authors.extend(_names(ld_authors))
    meta.author_sources.append(("meta", authors))
    meta.creators = list(dict.fromkeys(n for name in authors for n in _without_lead(name)))
    meta.site_names = [
        n
        for n in [
            metas.get("og:site_name"),
            metas.get("application-name"),
            (metas.get("twitter:site") or "").lstrip("@"),
            *_names(ld.get("publisher")),
        ]
        if n
    ]
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
    meta.url_day = url_day(meta.source_url)
    stamps = [t.get("datetime") or "" for t in itertools.islice(doc.iter("time"), 200)]
    raws = [(key, metas[key]) for key in _DATE_METAS if metas.get(key)]
    if isinstance(ld.get("datePublished"), str):
        raws.append(("json-ld", ld["datePublished"]))
    for time in itertools.islice(doc.iter("time"), 200):
        if time.get("itemprop") == "datePublished" or time.get("pubdate") is not None:
            raws.append(("time-meta", time.get("datetime") or time.text_content()))
            break
    modified = [metas[key] for key in _MODIFIED_METAS if metas.get(key)]
    if isinstance(ld.get("dateModified"), str):
        modified.append(ld["dateModified"])
    raws.extend(("modified", raw) for raw in modified)
    for key, raw in raws:
        day = local_day(raw, stamps, meta.url_day) or to_edtf(raw)
        if day:
            meta.date_sources.append((key, day))
    meta.date_published = next((d for key, d in meta.date_sources if key != "modified"), None)
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


def decide(meta: PageMeta) -> None:
    """The page's creators and publication date from its sources (``meta.author_sources``,
    ``meta.date_sources``, strongest first)."""
    meta.creators = choose_creators(meta.author_sources, site_keys(meta))
    meta.date_published = choose_published(meta.date_sources)


def site_keys(meta: PageMeta) -> set[str]:
    """The site's names, squeezed (letters and digits, case folded): og:site_name, the
    publisher, the extractor's site name, and the host name without ``www.`` and its
    suffix."""
    keys = {squeeze(name) for name in meta.site_names}
    host = (urlsplit(meta.source_url or "").hostname or "").removeprefix("www.")
    if host:
        keys.add(squeeze(host))
        keys.add(squeeze(host.rsplit(".", 1)[0]))
    return {k for k in keys if len(k) > 2}


def squeeze(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_ORGANISATION = re.compile(
    r"\b(?:GmbH|AG|e\.\s?V\.?|Inc|Ltd|LLC|S\.A|Verlag|Media|Média|Medien|Zeitung|Online|News"
    r"|Magazin|Magazine|Redaktion|Redacción|Rédaction|Editorial|Team|University|Universität"
    r"|Stiftung|Foundation|Agentur|Agency|Press|Presse)\b",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.IGNORECASE)
_PARTS = re.compile(r"\s+[|–—-]\s+")


def _site_like(name: str, sites: set[str]) -> bool:
    """The site's own name (or its domain), not a person's."""
    key = squeeze(name)
    if _DOMAIN.match(name):
        return True
    return any(
        key == s or (len(s) >= 5 and s in key) or (len(key) >= 5 and key in s) for s in sites
    )


def _without_site(name: str, sites: set[str]) -> str:
    """A name without the site's name beside it: "unocero - Alberto Ávila", "Adam Aaronson
    PhillyVoice"."""
    parts = _PARTS.split(name)
    if len(parts) == 2:
        kept = [p for p in parts if not _site_like(p, sites)]
        if len(kept) == 1:
            return kept[0]
    words = name.split()
    kept = [w for w in words if squeeze(w) not in sites]
    return " ".join(kept) if len(kept) >= 2 and len(kept) < len(words) else name


ORDER = ("meta", "byline", "page-byline", "extractor", "author-element", "rel-author", "text")


def choose_creators(sources: list[tuple[str, list[str]]], sites: set[str]) -> list[str]:
    """The people the first source names (by ``ORDER``); organisations it names beside them
    are left out. The site's own name only when no source names anyone else."""
    rank = {name: i for i, name in enumerate(ORDER)}
    fallback: list[str] = []
    for _source, raw in sorted(sources, key=lambda s: rank.get(s[0], len(rank))):
        names = clean_names(raw, sites)
        people = [n for n in names if not _site_like(n, sites)]
        persons = [n for n in people if not _ORGANISATION.search(n)]
        if persons:
            return persons
        if people:
            return people
        fallback = fallback or names
    return fallback


def clean_names(raw: list[str], sites: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Names as a source gives them, cleaned (:func:`clean_author`), once each (``Michael
    Andrusio`` and ``michael.andrusio`` are one name: the one written with a space is kept)."""
    out: dict[str, str] = {}
    for value in raw:
        for name in clean_author(value):
            name = _without_site(name, sites)
            key = squeeze(name)
            if key and (key not in out or (" " in name and " " not in out[key])):
                out[key] = name
    return list(out.values())


# the sources of a publication day, strongest first: a day the article shows as its last
# change ("Updated …": the version a capture keeps), the page's specific metadata, what the
# article shows as its date, htmldate's reading (through the extractor), then the generic
# "date" metas (often the day a CMS generated the page) and what the text states
DATE_ORDER = (
    "updated", "article:published_time", "og:published_time", "datepublished", "json-ld",
    "time-meta", "itemprop", "publishdate", "pubdate", "dc.date.issued", "dcterms.issued",
    "dcterms.created", "citation_publication_date", "header", "labelled", "byline-date", "time",
    "extractor", "date", "dc.date", "date-class", "byline", "text",
)  # fmt: skip


_PAGE_KINDS = {
    "updated", "header", "labelled", "byline-date", "time", "extractor", "date-class", "byline",
    "text",
}  # fmt: skip


def _swapped(day: str) -> str:
    """The day with its day and month exchanged (``2021-01-11`` → ``2021-11-01``)."""
    return f"{day[:4]}-{day[8:10]}-{day[5:7]}"


_SHOWN = {"header", "labelled", "byline-date", "time", "date-class"}


def _shown_updates(sources: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The sources, and — when the article shows, unlabelled, the day its metadata gives as
    its last change (``dateModified``, ``article:modified_time``) and not as its
    publication — that day as an "updated" day: the page shows its readers the day it was
    changed (the version archived). ``modified`` days decide nothing by themselves."""
    if any(key == "updated" for key, _ in sources):
        return sources
    changed = {day for key, day in sources if key == "modified"}
    published = {day for key, day in sources if key not in _PAGE_KINDS and key != "modified"}
    for key, day in sources:
        if key in _SHOWN and day in changed and day not in published:
            return [*sources, ("updated", day)]
    return sources


def choose_published(sources: list[tuple[str, str]]) -> str | None:
    """The day of the strongest source (by ``DATE_ORDER``) that states a whole day, unless
    another day is stated by more kinds of source (the page's metadata counting as one kind,
    each kind of date the page shows as one, htmldate as one); a year or a month only when
    no source states a day. A day the page shows whose day and month, exchanged, give the
    day of the page's metadata is read that way ("11/01/2021" is 1 November when the
    metadata says 2021-11-01: numbers alone do not say which comes first)."""
    sources = _shown_updates(sources)
    rank = {name: i for i, name in enumerate(DATE_ORDER)}
    ordered = sorted(
        (rank.get(key, len(rank)), i, day, key)
        for i, (key, day) in enumerate(sources)
        if day and key != "modified"
    )
    days = [(day, key) for _, _, day, key in ordered if re.fullmatch(r"\d{4}-\d\d-\d\d", day)]
    if not days:
        return ordered[0][2] if ordered else None
    stated = {day for day, key in days if key not in _PAGE_KINDS}
    days = [
        (_swapped(day) if key in _PAGE_KINDS and _swapped(day) in stated else day, key)
        for day, key in days
    ]
    kinds: dict[str, set[str]] = {}
    for day, key in days:
        kinds.setdefault(day, set()).add(key if key in _PAGE_KINDS else "metadata")
    first = days[0][0]
    best = max(kinds, key=lambda day: len(kinds[day]))  # ties: the stronger (dicts keep order)
    return best if len(kinds[best]) > len(kinds[first]) else first


# a date's label that says it is the publication's ("Veröffentlicht am 16.08.2019",
# "Published: 2023-11-07", "Publié le 30 septembre 2018"); not "Updated", "Letzte Änderung"
_PUBLISHED_WORDS = (
    r"(?:^|[\s|·•(])(?:published|posted|written|first\s+published|dated?|veröffentlicht"
    r"|erschienen|erstellt|publiziert|datum|publié|publicado|pubblicato|gepubliceerd"
    r"|opublikowano)"
)
_PUBLISHED_WORD = re.compile(_PUBLISHED_WORDS, re.IGNORECASE)
_PUBLISHED_LABEL = re.compile(
    _PUBLISHED_WORDS + r"(?:\s+(?:on|am|le|el|il|op|den))?\s*:?\s*(?P<date>\S.{5,38})",
    re.IGNORECASE,
)
_DATE_CLASS = re.compile(
    r"(?:^|[-_\s])(?:date|datum|time|published|pubdate|post-date|entry-date|fecha|data)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)
_BYLINE_CLASS = re.compile(
    r"byline|dateline|(?:^|[-_\s])(?:meta|info|details|submitted|author|autor)(?:$|[-_\s])",
    re.IGNORECASE,
)
_NOT_PUBLISHED_CLASS = re.compile(r"updated|modified|comment|reply|changed", re.IGNORECASE)
_PUBLISHED_CLASS = re.compile(r"published|entry-date|post-date", re.IGNORECASE)


_SPACED_DAY = re.compile(r"\b(\d{1,2})\.\s(\d{1,2})\.\s?(\d{4})\b")


def page_date(text: str) -> str | None:
    """A whole day stated in a page's metadata or text, in any of the forms and languages
    htmldate reads ("01.11.2023", "31. Oktober 2023", "30 septembre 2018", "2023-11-07
    15:03"), or None. A day, month and year written with spaces after the dots ("4. 2. 2022",
    as Czech, Polish and some German pages write them) is read as day.month.year."""
    text = " ".join(text.split())
    if not text or len(text) > 80:
        return None
    text = _SPACED_DAY.sub(r"\1.\2.\3", text)
    iso = to_edtf(text)
    if iso and len(iso) == 10:
        return iso
    try:
        from htmldate.extractors import try_date_expr  # htmldate's multilingual parser
        from htmldate.settings import MIN_DATE

        found = try_date_expr(text, "%Y-%m-%d", True, MIN_DATE, datetime.datetime.now())
    except (ImportError, ValueError, TypeError, OverflowError):
        found = None
    return found if isinstance(found, str) and to_edtf(found) == found else None


def _short_text(el: lxml.etree._Element, limit: int) -> str | None:
    """The element's text when it is shorter than ``limit`` characters, else None (read
    lazily: a large element costs no more than a small one)."""
    parts: list[str] = []
    size = 0
    for text in el.itertext():
        size += len(text)
        if size >= limit:
            return None
        parts.append(text)
    return "".join(parts)


def _labelled(el: lxml.etree._Element) -> str | None:
    """The day of a labelled date in the element's own text or tail ("Veröffentlicht am
    16.08.2019"), or in its (or its parent's) whole text when the date stands in another
    element (``<p>Published: <time>…</time></p>``, ``<p><b>Published:</b> …</p>``)."""
    for text, own in ((el.text, True), (el.tail, False)):
        if not text or len(text) > 200 or not _PUBLISHED_WORD.search(text):
            continue
        label = _PUBLISHED_LABEL.search(text)
        # the label alone, its date in a child or after it: the element's or the parent's text
        around = [el, el.getparent()] if own else [el.getparent()]
        for node in around if label is None else []:
            whole = _short_text(node, 80) if node is not None else None
            label = _PUBLISHED_LABEL.search(whole) if whole else None
            if label:
                break
        day = page_date(label.group("date")) if label else None
        if day:
            return day
    return None


def _article_span(
    root: lxml.etree._Element, doc: lxml.etree._Element, title: lxml.etree._Element | None
) -> Iterator[lxml.etree._Element]:
    """The page's elements from the article's title (or its first element) to its end."""
    last = root
    while len(last):
        last = last[-1]
    started = False
    for el in itertools.islice(doc.iter(), 200000):
        started = started or el is title or el is root
        if started and isinstance(el.tag, str):
            yield el
        if el is last:
            return


def from_article(
    meta: PageMeta,
    root: lxml.etree._Element,
    doc: lxml.etree._Element,
    title: lxml.etree._Element | None = None,
) -> None:
    """What the article shows about its authors and date, as sources for :func:`decide`."""
    meta.date_sources += article_dates(root, doc, title, meta.url_day)
    meta.author_sources.append(("page-byline", article_byline(root, doc, title)))


_LONG_TEXT = 40  # words: a paragraph of the article's text, after which no byline is looked for


def article_byline(
    root: lxml.etree._Element, doc: lxml.etree._Element, title: lxml.etree._Element | None
) -> list[str]:
    """The names of a byline line ("By NAME", "von NAME", "Autor: NAME") standing, unmarked,
    between the article's title and its first paragraphs."""
    paragraphs = 0
    for el in _article_span(root, doc, title):
        if el.tag in ("script", "style", "figcaption", "figure"):
            continue
        for text in (el.text, el.tail):
            words = (text or "").split()
            if len(words) > _LONG_TEXT:
                paragraphs += 1
            elif 2 <= len(words) <= 12:
                byline = parse_byline(" ".join(words))
                if byline is not None and byline.creators:
                    return list(byline.creators)
        if paragraphs >= 2:
            break
    return []


def _modified(el: lxml.etree._Element) -> bool:
    """An element that holds the day the page was changed, not published: marked
    ``itemprop="dateModified"``, or classed as such (``updated``, ``modified``) without
    also being classed as the publication's (``entry-date published updated``, the hAtom
    classes many themes put on the one date they show)."""
    if "datemodified" in (el.get("itemprop") or "").lower():
        return True
    names = " ".join(filter(None, [el.get("class"), el.get("id")]))
    return bool(_NOT_PUBLISHED_CLASS.search(names)) and not _PUBLISHED_CLASS.search(names)


def _time_day(el: lxml.etree._Element, stamps: list[str], url: str | None) -> str | None:
    """The day of a ``<time>``: its ``datetime`` (a UTC stamp read as the local day, see
    :func:`local_day`) or its text."""
    stamp = el.get("datetime") or ""
    return (
        (local_day(stamp, stamps, url) if stamp else None)
        or page_date(stamp)
        or page_date(_short_text(el, 80) or "")
    )


# a date the page shows as the day it was last changed: "Updated Mar 12, 2020", "Last updated
# on 20 Feb, 2020", "Aktualisiert: 11.04.2020", "Stand: 28.04.2020 18:00 Uhr", "Mis à jour le …"
_UPDATED_LABEL = re.compile(
    r"(?:^|[|·•(–—])\s*(?:last\s+updated|updated|(?:zuletzt\s+)?aktualisiert|stand|mis\s+à\s+jour"
    r"|actualizado|aggiornato|bijgewerkt)(?:\s+(?:on|am|le|el|il|op))?\s*:?\s*(?P<date>\S.{5,38})",
    re.IGNORECASE,
)


def _updated(el: lxml.etree._Element) -> str | None:
    """The day of an "Updated …" date line in the element's own text or tail: the label first
    or after a separator (``NAME · Updated …``); a sentence that mentions an update is no
    date line."""
    for text in (el.text, el.tail):
        if text and len(text) < 120:
            label = _UPDATED_LABEL.search(text)
            day = page_date(label.group("date")) if label else None
            if day:
                return day
    return None


def _header(title: lxml.etree._Element) -> lxml.etree._Element | None:
    """The article's header: the largest of the title's nearest containers (up to four
    levels) that holds little more than the title, its kicker, byline and date (under 800
    characters)."""
    header = None
    node = title
    for _ in range(4):
        node = node.getparent()
        if node is None or node.tag in ("body", "html") or _short_text(node, 800) is None:
            break
        header = node
    return header


def header_date(
    title: lxml.etree._Element | None, stamps: list[str], url: str | None = None
) -> str | None:
    """The first day the article's header shows (:func:`_header`): before the title (a date
    line above it), else after it (under it, beside the byline); a ``<time>`` or an element
    whose own text is a date; never a day marked as the page's change."""
    header = _header(title) if title is not None else None
    if header is None or title is None:
        return None
    before: str | None = None
    after: str | None = None
    seen = False
    for el in header.iter():
        if el is title:
            seen = True
            continue
        if not isinstance(el.tag, str) or el.tag in ("script", "style") or _modified(el):
            continue
        if seen and title in el.iterancestors():
            continue
        if el.tag == "time":
            day = _time_day(el, stamps, url)
        elif len(el) == 0:
            day = page_date(el.text or "") or page_date(el.tail or "")
        else:
            day = page_date(el.text or "")
        if day and not seen:
            before = day
            break
        if day and seen and after is None:
            after = day
    return before or after


def article_dates(
    root: lxml.etree._Element,
    doc: lxml.etree._Element,
    title: lxml.etree._Element | None = None,
    url: str | None = None,
) -> list[tuple[str, str]]:
    """Days the page shows for its article: an element marked ``itemprop="datePublished"``,
    the first day the article's header shows (:func:`header_date`), and — from the article's
    title to its end — a labelled date ("Veröffentlicht am …", "Published: …"), an "Updated
    …" date, the first ``<time>`` and the first element classed as a date ("date", "datum",
    "entry-date" …). ``url``: the day the page's address names (for UTC stamps)."""
    out: list[tuple[str, str]] = []
    for el in itertools.islice(doc.iter(), 20000):
        if not isinstance(el.tag, str) or el.tag in ("meta", "time"):
            continue
        if "datepublished" in (el.get("itemprop") or "").lower():
            day = page_date(el.get("content") or el.get("datetime") or _short_text(el, 80) or "")
            if day:
                out.append(("itemprop", day))
                break
    stamps = [t.get("datetime") or "" for t in itertools.islice(doc.iter("time"), 200)]
    header = header_date(title, stamps, url)
    if header:
        out.append(("header", header))
    found: dict[str, str] = {}
    for el in _article_span(root, doc, title):
        if "updated" not in found and (day := _updated(el)):
            found["updated"] = day
        names = " ".join(filter(None, [el.get("class"), el.get("id")]))
        if el.tag == "time":
            if "time" not in found and not _modified(el) and (day := _time_day(el, stamps, url)):
                found["time"] = day
        elif _NOT_PUBLISHED_CLASS.search(names):
            pass
        elif "date-class" not in found and _DATE_CLASS.search(names):
            day = page_date(_short_text(el, 80) or "")
            if day:
                found["date-class"] = day
        elif "byline-date" not in found and _BYLINE_CLASS.search(names):
            day = page_date(_short_text(el, 120) or "")
            if day:
                found["byline-date"] = day
        skip = _NOT_PUBLISHED_CLASS.search(names)
        if "labelled" not in found and not skip and (day := _labelled(el)):
            found["labelled"] = day
        if len(found) == 5:
            break
    out.extend(found.items())
    return out
