"""The main text of a web page, decided by `trafilatura <https://trafilatura.readthedocs.io>`_.

trafilatura (Apache-2.0) is the extractor web archivists use and the best-measured one on its
own benchmark; bagsmith does not grow its own boilerplate heuristics next to it. What it gives
back is text without positions, so each block is located again in the page bagsmith parsed
(:func:`locate`): that tells which element of the page is the article (figures are looked for
there only) and where, between the paragraphs, each figure stands.

trafilatura and its date library htmldate are imported on first use (they take a few tenths of
a second to load): plain-text articles never load them.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import lxml.etree
import lxml.html

BR = "\u2028"  # a line break inside a block (see html.py)
_WS = re.compile(r"\s+")
_PROBE = 48  # characters of a block (spaces removed) looked for in the page


@dataclass
class Block:
    kind: str  # "heading" | "text"
    text: str
    element: lxml.etree._Element | None = None  # where it starts in the page, when found
    position: int = -1  # the element's index in document order


@dataclass
class Extraction:
    blocks: list[Block]
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def _block_text(el: lxml.etree._Element, skip: frozenset[str] = frozenset()) -> str:
    parts: list[str] = []
    stack: list[tuple[lxml.etree._Element, bool]] = [(el, False)]
    while stack:
        node, tail_only = stack.pop()
        if not tail_only:
            if node.tag == "lb":
                parts.append(BR)
            elif node is not el and node.tag in skip:
                if node.tail:
                    parts.append(node.tail)
                continue
            if node.text:
                parts.append(node.text)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node))
        elif node is not el and node.tail:
            parts.append(node.tail)
    return "".join(parts)


_CONTAINERS = ("list", "quote", "table", "div", "body")


def _blocks(body: lxml.etree._Element) -> list[Block]:
    """trafilatura's XML body as blocks: headings, paragraphs, list items, quotes, table rows
    (and text standing between them)."""
    out: list[Block] = []
    stack: list[lxml.etree._Element | str] = list(reversed(body))
    while stack:
        el = stack.pop()
        if isinstance(el, str):  # text after a container, once its children are done
            out.append(Block("text", el))
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        tail = el.tail if el.tail and el.tail.strip() else None
        if tag in _CONTAINERS and len(el):
            if tail:
                stack.append(tail)
            if el.text and el.text.strip():
                out.append(Block("text", el.text))
            stack.extend(reversed(el))
            continue
        if tag == "head":
            out.append(Block("heading", _block_text(el)))
        elif tag == "item":
            out.append(Block("text", _block_text(el, frozenset({"list"}))))
            if tail:
                stack.append(tail)
            stack.extend(reversed([c for c in el if c.tag == "list"]))
            continue
        elif tag == "row":
            cells = [_WS.sub(" ", _block_text(c)).strip() for c in el]
            out.append(Block("text", " | ".join(c for c in cells if c)))
        elif tag != "graphic":
            out.append(Block("text", _block_text(el)))
        if tail:
            out.append(Block("text", tail))
    return [b for b in out if b.text.strip()]


def extract(doc: lxml.html.HtmlElement, url: str | None) -> Extraction | None:
    """trafilatura's main text and metadata of ``doc`` (which it may change: give a copy)."""
    from trafilatura import bare_extraction  # slow to import: only when a page is read

    result = bare_extraction(
        doc,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        include_images=False,
        date_extraction_params={"extensive_search": True, "original_date": True, "url": url},
    )
    if result is None:
        return None
    body = getattr(result, "body", None)
    blocks = _blocks(body) if body is not None else []
    return Extraction(
        blocks,
        title=getattr(result, "title", None),
        author=getattr(result, "author", None),
        date=getattr(result, "date", None),
        sitename=getattr(result, "sitename", None),
    )


class PageText:
    """The page's text nodes in document order, without white space, to find blocks in."""

    def __init__(self, root: lxml.etree._Element) -> None:
        self.root = root
        self.order: dict[lxml.etree._Element, int] = {}
        chunks: list[str] = []
        self.starts: list[int] = []
        self.owners: list[lxml.etree._Element] = []
        size = 0
        for index, el in enumerate(root.iter()):
            self.order[el] = index
        stack: list[tuple[lxml.etree._Element, bool]] = [(root, False)]
        while stack:
            node, closing = stack.pop()
            if closing:
                parent = node.getparent()
                if node.tail and parent is not None and node is not root:
                    size = self._add(chunks, node.tail, parent, size)
                continue
            stack.append((node, True))
            if isinstance(node.tag, str) and node.text:
                size = self._add(chunks, node.text, node, size)
            stack.extend((child, False) for child in reversed(node))
        self.text = "".join(chunks)

    def _add(self, chunks: list[str], text: str, owner: lxml.etree._Element, size: int) -> int:
        squeezed = _WS.sub("", text)
        if not squeezed:
            return size
        self.starts.append(size)
        self.owners.append(owner)
        chunks.append(squeezed)
        return size + len(squeezed)

    def holds(self, el: lxml.etree._Element) -> bool:
        """Whether ``el`` is still in the page (not taken out since)."""
        return el is self.root or any(a is self.root for a in el.iterancestors())

    def owner(self, offset: int) -> lxml.etree._Element:
        return self.owners[bisect.bisect_right(self.starts, offset) - 1]

    def find(self, text: str, start: int) -> int:
        """Where ``text`` starts in the page: the first place from ``start`` (else from the
        top) where it begins a text node — a block's start, not words quoted inside another —
        else the first place at all."""
        probe = _WS.sub("", text.replace(BR, ""))[:_PROBE]
        if not probe:
            return -1
        for origin in (start, 0):
            first = -1
            found = self.text.find(probe, origin)
            tries = 0
            while found >= 0 and tries < 8:
                if first < 0:
                    first = found
                index = bisect.bisect_right(self.starts, found) - 1
                if self.starts[index] == found:
                    return found
                found = self.text.find(probe, found + 1)
                tries += 1
            if first >= 0:
                return first
        return -1


def locate(page: PageText, blocks: list[Block]) -> None:
    """Each block's element and document position in the page (left unset when not found)."""
    cursor = 0
    for block in blocks:
        found = page.find(block.text, cursor)
        if found < 0:
            continue
        owner = page.owner(found)
        block.element = owner
        block.position = page.order.get(owner, -1)
        cursor = found + 1


def _length(el: lxml.etree._Element) -> int:
    return len(_WS.sub("", el.text_content() if isinstance(el, lxml.html.HtmlElement) else ""))


def article_element(
    blocks: list[Block], page: PageText, share: float = 0.8
) -> lxml.etree._Element | None:
    """The innermost element holding ``share`` of the located text (by length): the article.
    Stray blocks found elsewhere in the page (a repeated sentence) do not widen it to the
    whole page."""
    weights: dict[lxml.etree._Element, int] = {}
    total = 0
    for block in blocks:
        if block.element is None:
            continue
        weight = len(block.text)
        total += weight
        for ancestor in itertools.chain([block.element], block.element.iterancestors()):
            weights[ancestor] = weights.get(ancestor, 0) + weight
            if ancestor is page.root:
                break
    if not total:
        return None
    best: lxml.etree._Element | None = None
    for el, weight in weights.items():
        if weight >= total * share and (best is None or page.order[el] > page.order[best]):
            best = el
    if best is None:
        return None
    # up through wrappers that add little text: the article's pictures often stand beside its
    # text block, in the element around it
    size = _length(best)
    while best is not page.root:
        parent = best.getparent()
        if parent is None or parent is page.root or _length(parent) > size * 1.2 + 200:
            break
        best = parent
    for ancestor in best.iterancestors():
        if ancestor is page.root:
            break
        if ancestor.tag == "article":
            return ancestor
    return best
