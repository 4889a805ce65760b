"""Read a collection: a CSV or JSON manifest, or a folder with one sub-folder per article.

The result is a list of :class:`ArticleSpec` in collection order (manifest rows; sub-folders
sorted by name), numbered from 1 — the ``n`` of each bag's ``Bag-Count: n of N``.

A manifest that cannot be used at all (not CSV/JSON, an unknown column, a bad tag label, two
rows giving the same bag name) raises :class:`InputError` naming the file, line and field, and
nothing is written. A row whose files are missing is only that article's problem: it is kept,
with its ``problems``, and reported as failed while the other articles are packaged.

CSV: a header row with ``article`` (required), ``name``, ``images``, ``metadata`` (or
``sidecar``) and ``info:LABEL`` columns (one bag-info tag each; empty cells are left out).
JSON: an array of objects with the same keys, ``info`` being an object whose values are a
string or a list of strings. Relative paths are read against the manifest's folder.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..bagit.tagfiles import check_label, check_value
from ..errors import BagsmithError, InputError

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")
SIDECAR_NAMES = ("metadata.yaml", "metadata.yml", "metadata.json")
_PATH_FIELDS = ("article", "images", "metadata")
_ALIASES = {"sidecar": "metadata"}
_NAME_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ArticleSpec:
    index: int  # 1-based position in the collection
    name: str  # the bag's name under the output folder
    article: Path | None
    images: Path | None = None
    metadata: Path | None = None
    info: tuple[tuple[str, str], ...] = ()
    source: str = ""  # where it was described: "manifest.csv:4", or the sub-folder
    problems: tuple[dict[str, Any], ...] = ()  # found while reading the collection
    source_bytes: int = 0
    url: str | None = None  # a live page to capture (``url`` column) instead of an article


@dataclass(frozen=True)
class Collection:
    path: Path
    kind: str  # csv | json | folder
    articles: tuple[ArticleSpec, ...]

    @property
    def name(self) -> str:
        return self.path.stem if self.kind != "folder" else self.path.name


def read_collection(path: Path) -> Collection:
    """The articles of a manifest (``.csv``, ``.json``) or of a collection folder."""
    path = Path(path)
    if path.is_dir():
        specs = list(_from_folder(path))
        _check_names(path, specs)
        return Collection(path, "folder", tuple(specs))
    if not path.is_file():
        raise InputError("the collection does not exist", path=path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(
            "a collection is a folder of article folders, or a .csv or .json manifest",
            path=path,
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"the manifest is not UTF-8 ({exc.reason})", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the manifest: {exc.strerror}", path=path) from None
    rows = _csv_rows(path, text) if suffix == ".csv" else _json_rows(path, text)
    specs = [_spec(path, index, line, row) for index, (line, row) in enumerate(rows, start=1)]
    _check_names(path, specs)
    return Collection(path, suffix[1:], tuple(specs))


# --- manifests -------------------------------------------------------------------------------


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError("the manifest is empty; it needs a header row", path=path, line=1)
        columns = [_column(path, name.strip()) for name in header]
        if "article" not in columns and "url" not in columns:
            raise InputError(
                "the header has no 'article' (or 'url') column", path=path, line=1, field="article"
            )
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            line = reader.line_num
            if len(cells) > len(columns):
                raise InputError(
                    f"the row has {len(cells)} cells, the header {len(columns)}",
                    path=path,
                    line=line,
                )
            row: dict[str, Any] = {"info": {}}
            for column, cell in zip(columns, cells, strict=False):
                value = cell.strip()
                if not value:
                    continue
                if column.startswith("info:"):
                    row["info"].setdefault(column[5:], []).append(value)
                else:
                    row[column] = value
            yield line, row
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", path=path, line=reader.line_num) from None


def _column(path: Path, name: str) -> str:
    name = _ALIASES.get(name, name)
    if name in ("name", "url", *_PATH_FIELDS):
        return name
    if name.startswith("info:"):
        _check_tag(path, 1, name, name[5:], "x")
        return name
    raise InputError(
        f"unknown column {name!r}: use name, article, url, images, metadata, or info:LABEL "
        "for a bag-info tag",
        path=path,
        line=1,
        field=name,
    )


def _json_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if not text.startswith("[", pos):
        raise InputError(
            "a JSON manifest is an array of objects, one per article",
            path=path,
            line=_line(text, pos),
        )
    pos = _skip_ws(text, pos + 1)
    index = 0
    while not text.startswith("]", pos):
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        line = _line(text, pos)
        field = f"[{index}]"
        if not isinstance(item, dict):
            raise InputError("each entry must be an object", path=path, line=line, field=field)
        yield line, _json_row(path, line, field, item)
        index += 1
        pos = _skip_ws(text, end)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
        elif not text.startswith("]", pos):
            raise InputError("expected ',' or ']'", path=path, line=_line(text, pos))
    if text[_skip_ws(text, pos + 1) :]:
        raise InputError("text after the array", path=path, line=_line(text, pos + 1))


def _json_row(path: Path, line: int, field: str, item: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"info": {}}
    for key, value in item.items():
        name = _ALIASES.get(key, key)
        where = f"{field}.{key}"
        if name == "info":
            if not isinstance(value, dict):
                raise InputError("'info' must be an object", path=path, line=line, field=where)
            for label, values in value.items():
                values = [values] if isinstance(values, str) else values
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise InputError(
                        "a tag's value must be a string or a list of strings",
                        path=path,
                        line=line,
                        field=f"{where}.{label}",
                    )
                row["info"][label] = [v.strip() for v in values if v.strip()]
        elif name in ("name", "url", *_PATH_FIELDS):
            if value is None:
                continue
            if not isinstance(value, str):
                raise InputError("must be a string", path=path, line=line, field=where)
            if value.strip():
                row[name] = value.strip()
        else:
            raise InputError(
                f"unknown key {key!r}: use name, article, url, images, metadata and info",
                path=path,
                line=line,
                field=where,
            )
    if "article" not in row and "url" not in row:
        raise InputError(
            "the entry has no 'article' (or 'url')",
            path=path,
            line=line,
            field=f"{field}.article",
        )
    return row


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _check_tag(path: Path, line: int, field: str, label: str, value: str) -> None:
    try:
        check_label(label)
        check_value(label, value)
    except BagsmithError as exc:
        raise InputError(exc.template, path=path, line=line, field=field) from None


def _url_name(url: str) -> str:
    """A bag name from a URL: its last path segment without extension, else its host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem = segment.rsplit(".", 1)[0] if "." in segment else segment
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem or parts.hostname or "page").strip("-.")
    return name or "page"


def _url_spec(manifest: Path, index: int, line: int, row: dict[str, Any]) -> ArticleSpec:
    from ..capture import check_url  # the capture subsystem's rule: http(s), a host, no password

    if "article" in row:
        raise InputError(
            "give either an article or a url, not both", path=manifest, line=line, field="url"
        )
    if "images" in row:
        raise InputError(
            "a captured page brings its own images; 'images' does not apply to a url",
            path=manifest,
            line=line,
            field="images",
        )
    try:
        url = check_url(row["url"])
    except BagsmithError as exc:
        raise InputError(exc.template, path=manifest, line=line, field="url") from None
    metadata = (
        manifest.parent / os.path.expanduser(row["metadata"]) if row.get("metadata") else None
    )
    problems = []
    problem = _missing(metadata, "metadata")
    if problem:
        problems.append(InputError(problem, path=manifest, line=line, field="metadata").to_dict())
    info: list[tuple[str, str]] = []
    for label, values in row["info"].items():
        for value in values:
            _check_tag(manifest, line, f"info:{label}", label, value)
            info.append((label, value))
    name = row.get("name") or _url_name(url)
    reason = _name_problem(name)
    if reason:
        raise InputError(f"bag name {name!r} {reason}", path=manifest, line=line, field="name")
    return ArticleSpec(
        index=index,
        name=name,
        article=None,
        metadata=metadata,
        info=tuple(info),
        source=f"{manifest}:{line}",
        problems=tuple(problems),
        url=url,
    )


def _spec(manifest: Path, index: int, line: int, row: dict[str, Any]) -> ArticleSpec:
    if "url" in row:
        return _url_spec(manifest, index, line, row)
    if "article" not in row:
        raise InputError("the row has no article", path=manifest, line=line, field="article")
    base = manifest.parent
    paths: dict[str, Path | None] = {}
    problems: list[dict[str, Any]] = []
    for key in _PATH_FIELDS:
        value = row.get(key)
        paths[key] = base / os.path.expanduser(value) if value else None
        problem = _missing(paths[key], key)
        if problem:
            problems.append(InputError(problem, path=manifest, line=line, field=key).to_dict())
    info: list[tuple[str, str]] = []
    for label, values in row["info"].items():
        for value in values:
            _check_tag(manifest, line, f"info:{label}", label, value)
            info.append((label, value))
    article = paths["article"]
    assert article is not None
    name = row.get("name") or (article.stem if article.suffix else article.name)
    reason = _name_problem(name)
    if reason:
        raise InputError(f"bag name {name!r} {reason}", path=manifest, line=line, field="name")
    return ArticleSpec(
        index=index,
        name=name,
        article=article,
        images=paths["images"],
        metadata=paths["metadata"],
        info=tuple(info),
        source=f"{manifest}:{line}",
        problems=tuple(problems),
        source_bytes=_size(article, paths["images"], paths["metadata"]),
    )


def _missing(path: Path | None, key: str) -> str | None:
    if path is None:
        return None
    if key == "images":
        return None if path.is_dir() else f"the images folder {path} does not exist"
    if key == "article":
        return None if path.exists() else f"the article {path} does not exist"
    return None if path.is_file() else f"the sidecar {path} does not exist"


def _name_problem(name: str) -> str | None:
    if name in (".", "..") or name.startswith("."):
        return "would be a hidden folder"
    if _NAME_UNSAFE.search(name):
        return "has a slash or a control character"
    return None


def _check_names(manifest: Path, specs: list[ArticleSpec]) -> None:
    seen: dict[str, ArticleSpec] = {}
    for spec in specs:
        key = spec.name.casefold()
        if key in seen and manifest.is_dir():
            raise InputError(
                f"the article folders {seen[key].name!r} and {spec.name!r} differ only by case; "
                "their bags would collide on some file systems",
                path=manifest / spec.name,
            )
        if key in seen:
            raise InputError(
                f"bag name {spec.name!r} is also given at {seen[key].source}; "
                "give each article its own 'name'",
                path=manifest,
                line=int(spec.source.rsplit(":", 1)[1]),
                field="name",
            )
        seen[key] = spec


# --- collection folders ----------------------------------------------------------------------


def _from_folder(root: Path) -> Iterator[ArticleSpec]:
    try:
        subs = [e for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")]
    except OSError as exc:
        raise InputError(f"cannot read the folder: {exc.strerror}", path=root) from None
    if not subs:
        raise InputError(
            "the collection folder has no article folders (one sub-folder per article)",
            path=root,
        )
    for index, entry in enumerate(sorted(subs, key=lambda e: e.name), start=1):
        yield _folder_spec(index, Path(entry.path))


def _folder_spec(index: int, folder: Path) -> ArticleSpec:
    names = sorted(e.name for e in os.scandir(folder) if e.is_file() and not e.name.startswith("."))
    candidates = [n for n in names if n.lower().endswith(ARTICLE_SUFFIXES)]
    sidecars = [n for n in names if n.lower() in SIDECAR_NAMES]
    problems: list[dict[str, Any]] = []
    article = folder / candidates[0] if len(candidates) == 1 else None
    if not candidates:
        problems.append(
            InputError("no article file (.txt, .md or .html) in the folder", path=folder).to_dict()
        )
    elif len(candidates) > 1:
        problems.append(
            InputError(
                "more than one article file in the folder: " + ", ".join(candidates),
                path=folder,
            ).to_dict()
        )
    if len(sidecars) > 1:
        problems.append(
            InputError(
                "more than one sidecar in the folder: " + ", ".join(sidecars), path=folder
            ).to_dict()
        )
    images = folder / "images" if (folder / "images").is_dir() else None
    metadata = folder / sidecars[0] if len(sidecars) == 1 else None
    reason = _name_problem(folder.name)
    if reason:
        problems.append(InputError(f"the folder name {reason}", path=folder).to_dict())
    return ArticleSpec(
        index=index,
        name=folder.name,
        article=article,
        images=images,
        metadata=metadata,
        source=str(folder),
        problems=tuple(problems),
        source_bytes=_size(folder),
    )


def _size(*paths: Path | None) -> int:
    """Bytes under these files and folders (the progress bar's total; a cheap estimate)."""
    total = 0
    for path in paths:
        if path is None:
            continue
        try:
            if path.is_file():
                total += path.stat().st_size
                continue
            for dirpath, _dirs, files in os.walk(path):
                for name in files:
                    with contextlib.suppress(OSError):
                        total += os.stat(os.path.join(dirpath, name)).st_size
        except OSError:
            continue
    return total
