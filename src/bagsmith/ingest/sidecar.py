"""Sidecar metadata (YAML or JSON): the facts an archivist states or corrects.

Validated against ``schemas/sidecar.schema.json`` (JSON Schema 2020-12). Every error names the
field path and the line in the file: for YAML the node marks of ``yaml.compose``, for JSON the
positions found by a small scanner that walks the text beside ``json.loads``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import limits
from ..errors import InputError, MetadataError
from ..resources import canonical_rights_uri, json_schema
from .content import xml_illegal
from .dates import is_valid_edtf

if TYPE_CHECKING:
    import yaml

MAX_SIDECAR_BYTES = 1024 * 1024
MAX_DEPTH = 32
Path_ = tuple[str | int, ...]
ARTICLE_FIELDS = ("title", "creators", "source_url", "date_published", "date_captured",
                  "publisher", "language", "rights", "subjects", "identifiers",
                  "rights_uri", "copyright_holder", "copyright_year", "rights_note")  # fmt: skip
#: a figure's rights fields (each overrides the article's for that photograph)
RIGHTS_FIELDS = ("rights_uri", "copyright_holder", "copyright_year", "rights_note")


@dataclass(frozen=True)
class SidecarFigure:
    fields: dict[str, Any]  # only the keys the sidecar gives (a null clears a parsed value)
    line: int | None
    image_path: Path | None  # the resolved image file, when "image" is given


@dataclass(frozen=True)
class Sidecar:
    path: str
    fields: dict[str, Any]  # article-level keys the sidecar gives
    figures: tuple[SidecarFigure, ...]
    lines: dict[Path_, int]


def field_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """Safe YAML without implicit timestamps: dates stay the strings the archivist wrote.
    (PyYAML is imported here, when a YAML sidecar is read: ~10 ms of every `parse` else.)"""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {
        key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _Loader


def _no_aliases(text: str, where: str) -> None:
    """Aliases could multiply a small file into a huge structure: a sidecar has no need."""
    import yaml

    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.AliasEvent):
            raise MetadataError(
                "YAML aliases (*name) are not allowed in a sidecar",
                path=where,
                line=event.start_mark.line + 1 if event.start_mark else None,
            )


def _yaml(text: str, where: str) -> tuple[Any, dict[Path_, int]]:
    import yaml

    loader: yaml.SafeLoader | None = None
    try:
        # (inside the try: the reader refuses a NUL as the loader is made; found by fuzzing)
        loader = _loader()(text)
        _no_aliases(text, where)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[Path_, int] = {}
        stack: list[tuple[yaml.Node, Path_]] = [(node, ())]
        while stack:
            current, path = stack.pop()
            if len(path) > MAX_DEPTH:
                raise MetadataError("nested too deeply", path=where, field=field_path(path))
            lines[path] = current.start_mark.line + 1
            if isinstance(current, yaml.MappingNode):
                for key, value in current.value:
                    if not isinstance(key, yaml.ScalarNode) or key.tag != "tag:yaml.org,2002:str":
                        raise MetadataError(
                            f"field names must be text, not {key.value!r}",
                            path=where,
                            line=key.start_mark.line + 1,
                            field=field_path(path),
                        )
                    stack.append((value, (*path, key.value)))
            elif isinstance(current, yaml.SequenceNode):
                stack.extend((v, (*path, i)) for i, v in enumerate(current.value))
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise MetadataError(
            f"not valid YAML: {exc.problem or exc}",
            path=where,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise MetadataError(f"not valid YAML: {exc}", path=where) from None
    finally:
        if loader is not None:
            loader.dispose()


_WS = re.compile(r"[ \t\n\r]*")


def json_lines(text: str) -> dict[Path_, int]:
    """The line of every value in a JSON document (text already known to be valid JSON)."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    decoder = json.JSONDecoder()
    lines: dict[Path_, int] = {}

    def line_of(index: int) -> int:
        lo, hi = 0, len(starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if starts[mid] <= index else (lo, mid)
        return lo + 1

    def value(index: int, path: Path_) -> int:
        if len(path) > MAX_DEPTH:
            raise ValueError("nested too deeply")
        index = _WS.match(text, index).end()  # type: ignore[union-attr]
        lines[path] = line_of(index)
        opener = text[index]
        if opener not in "{[":
            return int(decoder.raw_decode(text, index)[1])
        closer, position = ("}" if opener == "{" else "]"), 0
        index = _WS.match(text, index + 1).end()  # type: ignore[union-attr]
        if text[index] == closer:
            return index + 1
        while True:
            if opener == "{":
                key, index = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
                index = _WS.match(text, index).end() + 1  # type: ignore[union-attr]  # the ':'
                index = value(index, (*path, key))
            else:
                index = value(index, (*path, position))
                position += 1
            index = _WS.match(text, index).end()  # type: ignore[union-attr]
            if text[index] == closer:
                return index + 1
            index = _WS.match(text, index + 1).end()  # type: ignore[union-attr]  # after ','

    value(0, ())
    return lines


def _json(text: str, where: str) -> tuple[Any, dict[Path_, int]]:
    try:
        data = limits.load_json(text)
        return data, json_lines(text)
    except json.JSONDecodeError as exc:
        raise MetadataError(f"not valid JSON: {exc.msg}", path=where, line=exc.lineno) from None
    except (RecursionError, ValueError) as exc:
        raise MetadataError(f"not usable JSON: {exc}", path=where) from None


def _line(lines: dict[Path_, int], path: Path_) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def _coerce_dates(data: dict[str, Any]) -> None:
    """``date: 1956`` in YAML is a number; the archivist meant the year."""
    for key in ("date_published", "date_captured"):
        if isinstance(data.get(key), int) and not isinstance(data[key], bool):
            data[key] = str(data[key])
    figures = data.get("figures")
    for fig in figures if isinstance(figures, list) else []:  # other shapes: the schema says why
        date = fig.get("date") if isinstance(fig, dict) else None
        if isinstance(date, int) and not isinstance(date, bool):
            fig["date"] = str(date)


def _unrepresentable(data: Any, lines: dict[Path_, int]) -> list[tuple[str, int | None, str]]:
    """Text values holding a character XML 1.0 cannot hold (a control character, U+FFFE …):
    the METS and DC files could not be written."""
    found: list[tuple[str, int | None, str]] = []
    stack: list[tuple[Any, Path_]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, str) and (char := xml_illegal(value)) is not None:
            found.append(
                (
                    field_path(path),
                    _line(lines, path),
                    f"the text holds a control character XML cannot represent ({char})",
                )
            )
    return found


def unknown_rights_uri(value: str) -> str:
    return (
        f"{value!r} is not a rightsstatements.org statement or a Creative Commons licence "
        "bagsmith knows (schemas/rights-statements.json), e.g. "
        "http://rightsstatements.org/vocab/InC/1.0/ or https://creativecommons.org/licenses/by/4.0/"
    )


def _validate(data: Any, lines: dict[Path_, int], where: str) -> None:
    from jsonschema import Draft202012Validator  # ~50 ms to import: only with a sidecar

    validator = Draft202012Validator(json_schema("sidecar.schema.json"))
    errors = sorted(
        validator.iter_errors(data), key=lambda e: _line(lines, tuple(e.absolute_path)) or 0
    )
    found: list[tuple[str, int | None, str]] = []
    for error in errors:
        path = tuple(error.absolute_path)
        message = error.message
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            extra = [k for k in error.instance if k not in known]
            if extra:
                path = (*path, extra[0])
                message = f"unknown field {extra[0]!r} (allowed: {', '.join(known)})"
        elif error.validator == "anyOf" and path and path[0] == "figures" and len(path) == 2:
            message = "a figure needs a 'number' or an 'image'"
        found.append((field_path(path), _line(lines, path), message))
    if isinstance(data, dict):
        dated: list[tuple[Path_, Any]] = [
            (("date_published",), data.get("date_published")),
            (("date_captured",), data.get("date_captured")),
        ]
        figures = data.get("figures")
        for i, fig in enumerate(figures if isinstance(figures, list) else []):
            if isinstance(fig, dict):
                dated.append((("figures", i, "date"), fig.get("date")))
        for path, value in dated:
            if isinstance(value, str) and not is_valid_edtf(value) and not found:
                found.append(
                    (field_path(path), _line(lines, path), f"{value!r} is not a valid EDTF date")
                )
        uris: list[tuple[Path_, Any]] = [(("rights_uri",), data.get("rights_uri"))]
        for i, fig in enumerate(figures if isinstance(figures, list) else []):
            if isinstance(fig, dict):
                uris.append((("figures", i, "rights_uri"), fig.get("rights_uri")))
        for path, value in uris:
            if isinstance(value, str) and canonical_rights_uri(value) is None and not found:
                found.append((field_path(path), _line(lines, path), unknown_rights_uri(value)))
    found.extend(_unrepresentable(data, lines))
    if found:
        field, line, message = found[0]
        also = "; ".join(f"line {ln} ({f}): {m}" for f, ln, m in found[1:6])
        raise MetadataError(
            message, path=where, line=line, field=field, hint=f"also: {also}" if also else None
        )


def load_sidecar(path: Path, images_dir: Path | None = None) -> Sidecar:
    """Read and validate a sidecar; image files resolve against ``images_dir`` (else the
    sidecar's folder) and must exist inside it."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the sidecar: {exc.strerror or exc}", path=path) from None
    if len(raw) > MAX_SIDECAR_BYTES:
        raise MetadataError(f"the sidecar is larger than {MAX_SIDECAR_BYTES} bytes", path=where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MetadataError("the sidecar is not UTF-8 text", path=where, line=line) from None
    is_json = path.suffix.lower() == ".json" or (
        path.suffix.lower() not in (".yaml", ".yml") and text.lstrip()[:1] in ("{", "[")
    )
    data, lines = _json(text, where) if is_json else _yaml(text, where)
    if data is None:
        data = {}
    if isinstance(data, dict):
        _coerce_dates(data)
    _validate(data, lines, where)
    base = (images_dir or path.parent).resolve()
    figures: list[SidecarFigure] = []
    for i, fig in enumerate(data.get("figures") or []):
        image_path = None
        if fig.get("image"):
            image_path = (base / fig["image"]).resolve()
            img_line = _line(lines, ("figures", i, "image"))
            fp = field_path(("figures", i, "image"))
            if not image_path.is_relative_to(base):
                raise MetadataError(
                    f"image {fig['image']!r} is outside {base}", path=where, line=img_line, field=fp
                )
            if not image_path.is_file():
                raise MetadataError(
                    f"image file {fig['image']!r} not found in {base}",
                    path=where,
                    line=img_line,
                    field=fp,
                )
        figures.append(SidecarFigure(dict(fig), _line(lines, ("figures", i)), image_path))
    fields = {k: data[k] for k in ARTICLE_FIELDS if k in data}
    if isinstance(fields.get("rights_uri"), str):
        fields["rights_uri"] = canonical_rights_uri(fields["rights_uri"])
    return Sidecar(where, fields, tuple(figures), lines)
