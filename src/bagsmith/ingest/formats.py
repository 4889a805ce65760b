"""Format identification against PRONOM with fido (opf-fido, the identifier Archivematica uses).

fido matches PRONOM's byte signatures (and container signatures for ZIP/OLE2 formats) against
the start and end of each file, offline, from the signature files shipped in its package. Its
version and the signature release are recorded with every result, so the PREMIS agent of the
identification names exactly what was used.

When no signature matches, fido falls back to the file name's extension. An extension alone is
weak evidence: bagsmith accepts such a match only for a format PRONOM gives no byte signature
(text, JSON: a file could not have matched one) and, of several, the one whose MIME type is the
file's; otherwise the file is recorded as not identified. A file whose signature identifies a
format whose PRONOM extensions do not include the file's extension is reported
(``format-extension-mismatch``).
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Agent, FormatId
from ..problems import Problem


@dataclass(frozen=True)
class _Match:
    puid: str
    name: str
    version: str | None
    mime: str | None
    extensions: tuple[str, ...]
    signatures: int


class FormatIdentifier:
    """One loaded fido (loading its signatures takes about a second; reuse it)."""

    def __init__(self) -> None:
        import fido
        from fido.fido import Fido
        from fido.versions import get_local_versions

        versions = get_local_versions(fido.CONFIG_DIR)
        self.version = str(fido.__version__)
        self.pronom = str(versions.pronom_version)
        self.signature_files = (
            str(versions.pronom_signature),
            str(versions.pronom_container_signature),
        )
        self._found: list[tuple[list[Any], str]] = []
        with contextlib.redirect_stderr(io.StringIO()):
            self._fido = Fido(
                quiet=True,
                format_files=[versions.pronom_signature, versions.fido_extension_signature],
                handle_matches=self._collect,
            )
        # fido's constructor ignores its containersignature_file argument
        self._fido.containersignature_file = versions.pronom_container_signature
        self._lock = threading.Lock()

    @property
    def tool(self) -> str:
        return f"fido {self.version}"

    @property
    def signatures(self) -> str:
        return f"PRONOM v{self.pronom} ({', '.join(self.signature_files)})"

    def agent(self) -> Agent:
        """The PREMIS agent of the identification: fido, its version and signature release."""
        return Agent(
            name="fido",
            role="format identification",
            kind="software",
            version=f"{self.version} (signatures PRONOM v{self.pronom})",
            identifier=f"fido-{self.version}/pronom-v{self.pronom}",
        )

    def _collect(self, filename: str, matches: list[Any], delta: float, kind: str = "") -> None:
        self._found.append((matches, kind))

    @staticmethod
    def _describe(element: Any) -> _Match:
        version = (element.findtext("version") or "").strip() or None
        return _Match(
            puid=element.findtext("puid"),
            name=element.findtext("name") or element.findtext("puid"),
            version=version,
            mime=(element.findtext("mime") or "").strip() or None,
            extensions=tuple(e.text.lower() for e in element.findall("extension") if e.text),
            signatures=len(element.findall("signature")),
        )

    def identify(self, path: Path | str, mime_type: str | None = None) -> FormatId:
        """The PRONOM format of one file (``mime_type``: the MIME type its name suggests, used
        to choose among formats known only by extension)."""
        with self._lock:
            self._found = []
            with contextlib.redirect_stderr(io.StringIO()):
                self._fido.identify_file(os.fspath(path), extension=False)
            found = self._found
        return self._choose(found, os.fspath(path), mime_type)

    def identify_bytes(self, data: bytes, name: str, mime_type: str | None = None) -> FormatId:
        """The PRONOM format of a document in memory (``name``: its file name). fido's
        signatures are matched against the same start and end buffers ``identify_file`` reads
        (fido's own ``identify_stream`` never returns at the end of a short stream)."""
        size = int(self._fido.bufsize)
        with self._lock, contextlib.redirect_stderr(io.StringIO()):
            matches = self._fido.match_formats(data[:size], data[-size:]) if data else []
        return self._choose([(matches, "signature")] if matches else [], name, mime_type)

    def _choose(
        self, found: list[tuple[list[Any], str]], path: str, mime_type: str | None
    ) -> FormatId:
        matches, kind = found[0] if found else ([], "fail")
        described = [self._describe(element) for element, _ in matches]
        if kind in {"signature", "container"} and described:
            return self._result(described[0], kind)
        extension = Path(path).suffix.lower().lstrip(".")
        candidates = [
            self._describe(element)
            for element in self._fido.formats
            if extension
            and not element.findall("signature")
            and extension in {(e.text or "").lower() for e in element.findall("extension")}
        ]
        agreeing = [c for c in candidates if mime_type and c.mime == mime_type]
        chosen = agreeing[:1] or (candidates if len(candidates) == 1 else [])
        if chosen:
            return self._result(chosen[0], "extension")
        return FormatId(
            puid=None,
            name="unknown",
            mime_type=None,
            basis="none",
            tool=self.tool,
            signatures=self.signatures,
        )

    def _result(self, match: _Match, basis: str) -> FormatId:
        return FormatId(
            puid=match.puid,
            name=match.name,
            version=match.version,
            mime_type=match.mime,
            basis=basis,
            tool=self.tool,
            signatures=self.signatures,
            extensions=match.extensions,
        )


_SHARED: FormatIdentifier | None = None
_SHARED_LOCK = threading.Lock()


def identifier() -> FormatIdentifier:
    """The process's fido, loaded on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = FormatIdentifier()
        return _SHARED


def extension_problem(display: str, fmt: FormatId) -> Problem | None:
    """``format-extension-mismatch`` when a file's signature says a format whose PRONOM
    extensions do not include the file's own."""
    if fmt.basis not in {"signature", "container"} or not fmt.extensions:
        return None
    extension = Path(display).suffix.lower().lstrip(".")
    if extension in fmt.extensions:
        return None
    listed = ", ".join(f".{e}" for e in fmt.extensions)
    return Problem(
        "format-extension-mismatch",
        f"the file is {fmt.name} ({fmt.puid}) by its contents, but its name ends in "
        f"{'.' + extension if extension else 'no extension'}; PRONOM gives {listed} for that "
        "format",
        display,
    )


def identify_all(
    files: Iterable[tuple[str, Path, str | None]],
) -> tuple[dict[str, FormatId], list[Problem]]:
    """Identify ``(display path, file on disk, MIME type)`` items; their results by display
    path, and the extension problems."""
    tool = identifier()
    out: dict[str, FormatId] = {}
    problems: list[Problem] = []
    for display, path, mime in files:
        fmt = tool.identify(path, mime)
        out[display] = fmt
        problem = extension_problem(display, fmt)
        if problem is not None:
            problems.append(problem)
    return out, problems
