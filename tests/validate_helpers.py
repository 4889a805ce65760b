"""Test helpers for validation: write bags by hand (no dependency on bagsmith's writer).

``write_bag`` writes exactly what it is told, so tests can make subtly broken bags.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from bagsmith.bagit.manifest import encode_path


def manifest_text(
    files: Mapping[str, bytes], algorithm: str, *, prefix: str = "", sep: str = "  "
) -> str:
    return "".join(
        f"{hashlib.new(algorithm, data).hexdigest()}{sep}{prefix}{encode_path(rel)}\n"
        for rel, data in sorted(files.items())
    )


def write_bag(
    root: Path,
    payload: Mapping[str, bytes],
    *,
    algorithms: Iterable[str] = ("sha256",),
    version: str = "1.0",
    encoding: str = "UTF-8",
    info: list[tuple[str, str]] | None = None,
    oxum: bool = True,
    tag_manifests: bool = True,
    extra_tags: Mapping[str, bytes] | None = None,
    bag_info_name: str = "bag-info.txt",
) -> Path:
    """Write a complete, valid bag. ``payload`` keys are relative to data/."""
    root.mkdir(parents=True, exist_ok=True)
    files = {f"data/{k}": v for k, v in payload.items()}
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "data").mkdir(exist_ok=True)
    (root / "bagit.txt").write_bytes(
        f"BagIt-Version: {version}\nTag-File-Character-Encoding: {encoding}\n".encode()
    )
    tags = list(info or [("Source-Organization", "Test Archive")])
    if oxum:
        tags.append(("Payload-Oxum", f"{sum(len(v) for v in files.values())}.{len(files)}"))
    if bag_info_name:
        text = "".join(f"{k}: {v}\n" for k, v in tags)
        (root / bag_info_name).write_bytes(text.encode(encoding))
    for alg in algorithms:
        (root / f"manifest-{alg}.txt").write_bytes(manifest_text(files, alg).encode(encoding))
    for rel, data in (extra_tags or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    if tag_manifests:
        for alg in algorithms:
            retag(root, alg, encoding)
    return root


def retag(root: Path, algorithm: str = "sha256", encoding: str = "UTF-8") -> None:
    """(Re)write tagmanifest-ALG.txt over every tag file (after a test edited one)."""
    tags = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith("data/") and not rel.startswith("tagmanifest-"):
            tags[rel] = path.read_bytes()
    (root / f"tagmanifest-{algorithm}.txt").write_bytes(
        manifest_text(tags, algorithm).encode(encoding)
    )


def tree_fingerprint(root: Path) -> str:
    """Digest of every name, type, size, mode, content and mtime (ns) under root, root included."""
    h = hashlib.sha256()
    paths = [root, *sorted(root.rglob("*"))]
    for path in paths:
        st = path.lstat()
        h.update(
            f"{path.relative_to(root)}|{st.st_mode}|{st.st_size}|{st.st_mtime_ns}\n".encode(
                "utf-8", "surrogateescape"
            )
        )
        if path.is_file() and not path.is_symlink():
            h.update(path.read_bytes())
    return h.hexdigest()


def zip_tree(root: Path, dest: Path, *, top: str | None = None) -> Path:
    """Zip a folder; members under ``top/`` (default: the folder's name), '' for the root."""
    top = root.name if top is None else top
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            name = f"{top}/{rel}" if top else rel
            if path.is_dir():
                zf.writestr(name + "/", b"")
            else:
                zf.write(path, name)
    return dest


def tar_tree(
    root: Path,
    dest: Path,
    *,
    mode: str = "w",
    top: str | None = None,
    order: Iterable[str] | None = None,
) -> Path:
    """Tar a folder. ``order``: bag-relative paths to write first (e.g. manifests)."""
    top = root.name if top is None else top
    paths = sorted(root.rglob("*"))
    if order is not None:
        first = [root / p for p in order]
        paths = first + [p for p in paths if p not in first]
    with tarfile.open(dest, mode) as tf:  # type: ignore[call-overload]
        for path in paths:
            rel = path.relative_to(root).as_posix()
            tf.add(path, f"{top}/{rel}" if top else rel, recursive=False)
    return dest


def add_tar_member(
    tf: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.linkname = link
    tf.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def codes(result: object) -> list[str]:
    report = result.report  # type: ignore[attr-defined]
    return [p.code for p in report]


def errors(result: object) -> list[str]:
    report = result.report  # type: ignore[attr-defined]
    return [p.code for p in report.errors]


def make_fifo(path: Path) -> None:
    os.mkfifo(path)
