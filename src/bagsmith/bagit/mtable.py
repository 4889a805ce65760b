"""Manifests read into one compact table: path → listed-in mask + every digest as raw bytes.

Memory per listed file is the path string plus one ``bytes`` object (one mask byte and each
algorithm's digest as raw bytes, not hex), so a million entries with two algorithms stay well
under 300 MB. Manifests are read line by line, never whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

from .. import fixity
from ..problems import Report, Severity
from .manifest import LineProblem, decode_path, parse_line, unsafe_reason

_RAW_PATH = re.compile(r"^[0-9A-Za-z]+[ \t]+\*?(.*)$", re.DOTALL)


class ManifestTable:
    """Every path listed by a set of manifests (payload or tag), with the digests they give."""

    def __init__(
        self,
        manifests: Iterable[tuple[str, str]],
        *,
        payload: bool,
        duplicate_is_error: bool = False,
    ) -> None:
        """``manifests``: (algorithm, manifest file name) pairs, loaded in this order.

        ``duplicate_is_error``: a path listed twice with the same digest is an error (BagIt
        1.0, as bagit-python and the LoC conformance suite judge it), else a warning."""
        self.duplicate_severity = Severity.ERROR if duplicate_is_error else None
        pairs = list(manifests)
        self.algorithms: tuple[str, ...] = tuple(a for a, _ in pairs)
        self.manifest_names: list[str] = [n for _, n in pairs]
        self.payload = payload
        self.offsets: list[int] = []
        offset = 1
        for alg in self.algorithms:
            self.offsets.append(offset)
            offset += fixity.SUPPORTED[alg] // 2
        self.width = offset
        self.full_mask = (1 << len(self.algorithms)) - 1
        self.entries: dict[str, bytes] = {}
        #: undecoded path → decoded path, for paths with '%' (peers that do not encode '%')
        self.raw_names: dict[str, str] = {}

    def load(self, index: int, lines: Iterator[tuple[int, str]], report: Report) -> None:
        """Read the ``index``-th manifest from its numbered lines."""
        name = self.manifest_names[index]
        alg = self.algorithms[index]
        bit = 1 << index
        start = self.offsets[index]
        end = start + fixity.SUPPORTED[alg] // 2
        entries = self.entries
        blank = bytes(self.width)
        markers = 0
        first_marker = 0
        dotted = 0
        first_dotted = 0
        fast = re.compile(
            r"([0-9A-Fa-f]{" + str((end - start) * 2) + r"})[ \t]+([^ \t*./\\~%][^%\x00]*)"
        )
        need_data = self.payload
        head = bytes((bit,)) + blank[1:start]
        tail = blank[end:]
        fullmatch = fast.fullmatch
        fromhex = bytes.fromhex
        get = entries.get
        for number, text in lines:
            m = fullmatch(text)
            if m is not None:
                # the common case: a well-formed line, a plain safe path, nothing to decode
                hexdigest, path = m.groups()
                if (
                    ".." not in path
                    and path[1:2] != ":"
                    and (not need_data or path.startswith("data/"))
                ):
                    old = get(path)
                    if old is None:
                        entries[path] = head + fromhex(hexdigest) + tail
                        continue
                    if not old[0] & bit:
                        entries[path] = b"".join(
                            (bytes((old[0] | bit,)), old[1:start], fromhex(hexdigest), old[end:])
                        )
                        continue
            if not text:
                continue
            parsed = parse_line(text)
            if isinstance(parsed, LineProblem):
                report.add(parsed.code, parsed.message, name, number)
                continue
            if parsed.binary_marker:
                markers += 1
                first_marker = first_marker or number
            if parsed.dot_slash:
                dotted += 1
                first_dotted = first_dotted or number
            if not fixity.is_valid_digest(alg, parsed.digest):
                report.add(
                    "manifest-digest-malformed",
                    f"{parsed.digest!r} is not a {alg} digest",
                    name,
                    number,
                )
                continue
            path = parsed.path
            reason = unsafe_reason(path)
            if reason is not None:
                report.add("manifest-path-unsafe", f"{path!r}: {reason}", name, number)
                continue
            if self.payload and not path.startswith("data/"):
                report.add(
                    "manifest-path-outside-payload",
                    f"{path!r} is not under data/",
                    name,
                    number,
                )
                continue
            if "%" in text:
                raw = _raw_path(text)
                if raw is not None and raw != path:
                    self.raw_names[raw] = path
            digest = bytes.fromhex(parsed.digest)
            old = entries.get(path)
            if old is None:
                entries[path] = b"".join((bytes((bit,)), blank[1:start], digest, blank[end:]))
            elif old[0] & bit:
                if old[start:end] == digest:
                    report.add(
                        "manifest-duplicate-entry",
                        f"{path} is listed twice with the same digest"
                        + (" (an error in BagIt 1.0)" if self.duplicate_severity else ""),
                        name,
                        number,
                        severity=self.duplicate_severity,
                    )
                else:
                    report.add(
                        "manifest-conflicting-entry",
                        f"{path} is listed again with a different digest "
                        f"({old[start:end].hex()} before, {parsed.digest} here)",
                        name,
                        number,
                    )
            else:
                entries[path] = b"".join((bytes((old[0] | bit,)), old[1:start], digest, old[end:]))
        if markers:
            report.add(
                "manifest-binary-marker",
                f"{markers} line(s) use the md5sum '*' binary marker (read as part of the "
                "separator, not of the name)",
                name,
                first_marker,
            )
        if dotted:
            report.add(
                "manifest-path-dot-slash",
                f"{dotted} line(s) write the path as './…'; RFC 8493 paths are relative to the "
                "bag and start with the name itself (read without the './')",
                name,
                first_dotted,
            )

    def mismatches(self, value: bytes, computed: Sequence[bytes]) -> list[tuple[str, str, str]]:
        """(algorithm, expected hex, actual hex) for each listed digest that differs;
        ``computed``: the raw digests, in the order of :attr:`algorithms`."""
        out = []
        mask = value[0]
        for i, actual in enumerate(computed):
            if mask & (1 << i):
                start = self.offsets[i]
                expected = value[start : start + len(actual)]
                if expected != actual:
                    out.append((self.algorithms[i], expected.hex(), actual.hex()))
        return out

    def portable_twins(self) -> dict[str, list[tuple[str, bytes]]]:
        """Entries whose names differ only by Unicode normalization or by case: each such path
        → the other paths of its group with their values. Empty for almost every bag."""
        first: dict[str, str] = {}
        groups: dict[str, list[str]] = {}
        normalize = unicodedata.normalize
        for path in self.entries:
            key = path.lower() if path.isascii() else normalize("NFC", path).casefold()
            seen = first.setdefault(key, path)
            if seen is not path:
                groups.setdefault(key, [seen]).append(path)
        twins: dict[str, list[tuple[str, bytes]]] = {}
        for names in groups.values():
            for path in names:
                twins[path] = [(n, self.entries[n]) for n in names if n != path]
        return twins

    def same_digests(self, a: bytes, b: bytes) -> bool:
        """Whether two entries give the same digest for every algorithm both list."""
        for i, alg in enumerate(self.algorithms):
            if a[0] & b[0] & (1 << i):
                start = self.offsets[i]
                end = start + fixity.SUPPORTED[alg] // 2
                if a[start:end] != b[start:end]:
                    return False
        return True

    def disagreements(self) -> Iterator[tuple[str, list[str], list[str]]]:
        """(path, manifests listing it, manifests not listing it) for incomplete entries."""
        if len(self.algorithms) < 2:
            return
        full = self.full_mask
        for path, value in self.entries.items():
            mask = value[0]
            if mask != full:
                having = [n for i, n in enumerate(self.manifest_names) if mask & (1 << i)]
                missing = [n for i, n in enumerate(self.manifest_names) if not mask & (1 << i)]
                yield path, having, missing


def _raw_path(text: str) -> str | None:
    m = _RAW_PATH.match(text)
    if m is None:
        return None
    raw = m.group(1)
    while raw.startswith("./"):
        raw = raw[2:]
    return raw if decode_path(raw) != raw else None
