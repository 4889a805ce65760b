"""Where each file of an article package goes in the bag, and what bag-info.txt says about it.

The layout (documented in docs/tutorial.md and docs/bagging.md)::

    data/article/<article file>           the text file or saved page as given
    data/article/<name>_files/...         the saved page's folder (HTML), whole
    data/article/<other page images>      images the page shows from elsewhere in its folder
    data/images/<image files>             the image files of --images (and sidecar images)
    data/mets.xml                         METS (MODS, DC, PREMIS, MIX): hrefs relative to data/
    data/metadata/dc.xml                  Dublin Core (oai_dc)
    data/metadata/article.json            the article record, image paths bag-relative
    data/metadata/<sidecar file name>     the sidecar as given
"""

from __future__ import annotations

import dataclasses
import mimetypes
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..bagit.tagfiles import parse_tags
from ..errors import InputError, SourceConflictError, UsageError
from ..ingest.images import entry_is, is_image_name, listing
from ..model import Article, ImageInfo, evolve
from ..pipeline.parsing import ParseResult

ARTICLE_DIR = "data/article"
IMAGES_DIR = "data/images"
METADATA_DIR = "data/metadata"
DC_PATH = f"{METADATA_DIR}/dc.xml"
METS_PATH = "data/mets.xml"
#: where packages made by bagsmith before METS moved to data/ have it
OLDER_METS_PATH = f"{METADATA_DIR}/mets.xml"
RECORD_PATH = f"{METADATA_DIR}/article.json"
GENERATED = (DC_PATH, METS_PATH, RECORD_PATH)

_MIME = {
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".xml": "application/xml",
}


def mime_type(path: str) -> str | None:
    """The MIME type of a file by its name (a fixed table first, then the platform's)."""
    suffix = os.path.splitext(path)[1].lower()
    return _MIME.get(suffix) or mimetypes.guess_type(path, strict=False)[0]


@dataclass(frozen=True)
class Layout:
    """The sources of one package and where they go."""

    sources: tuple[tuple[Path, str], ...]  # (source file or folder, bag path)
    article_path: str  # bag path of the article file
    sidecar_path: str | None  # bag path of the sidecar
    folders: tuple[Path, ...]  # source folders that are read (the bag must not be inside)
    uses: tuple[tuple[str, str], ...] = ()  # (bag path or folder, METS USE) other than default
    #: real paths found while planning (path as given -> os.path.realpath), for bag_path_of
    real: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def use_of(self, relpath: str) -> str:
        """The METS fileGrp USE of a file: ``metadata`` for the sidecar, the USE given for
        extra sources (a capture's WARC …), else ``original``."""
        if relpath == self.sidecar_path:
            return "metadata"
        for where, use in self.uses:
            if relpath == where or relpath.startswith(where + "/"):
                return use
        return "original"

    def with_extra(self, extra: Sequence[tuple[Path, str, str]]) -> Layout:
        """This layout and ``extra`` sources (file or folder, bag path, METS USE)."""
        if not extra:
            return self
        taken = {rel for _, rel in self.sources}
        for src, rel, _ in extra:
            if rel in taken or any(rel.startswith(t + "/") for t in taken):
                raise SourceConflictError(f"two sources would go to {rel} in the bag", path=src)
        return dataclasses.replace(
            self,
            sources=self.sources + tuple((src, rel) for src, rel, _ in extra),
            folders=self.folders + tuple(src for src, _, _ in extra if src.is_dir()),
            uses=self.uses + tuple((rel, use) for _, rel, use in extra),
        )

    def _realpath(self, path: str | Path) -> str:
        key = os.fspath(path)
        found = self.real.get(key)
        return found if found is not None else os.path.realpath(key)

    @cached_property
    def _resolved(self) -> tuple[tuple[str, str, str | None], ...]:
        """(real path, bag path, the real path and "/" when it is a folder) of every source,
        resolved once: bag_path_of is asked for every image, and resolving all sources each
        time cost 2 system calls per path component per source (~10 % of `batch`'s time for
        20 images an article). Real paths are normalised, so comparing them as text is
        comparing them as paths."""
        out = []
        for src, rel in self.sources:
            real = self._realpath(src)
            below = (real if real.endswith("/") else real + "/") if src.is_dir() else None
            out.append((real, rel, below))
        return tuple(out)

    def bag_path_of(self, source: str | Path) -> str | None:
        """The bag path a source file ends up at, or None when it is not packaged."""
        real = self._realpath(source)
        for top, rel, below in self._resolved:
            if real == top:
                return rel
            if below is not None and real.startswith(below):
                return f"{rel}/{real[len(below) :]}"
        return None


def plan_layout(parsed: ParseResult, images: Path | None, metadata: Path | None) -> Layout:
    """Decide the bag path of the article, its page folder, every image and the sidecar."""
    article = parsed.article
    if article.source_path is None:
        raise InputError("the article record does not say which file it came from")
    resolved: dict[str, str] = {}

    def realpath(path: Path | str) -> str:
        """os.path.realpath, once per path while planning (each costs a system call per path
        component, and the same images and folders are asked about several times)."""
        key = os.fspath(path)
        found = resolved.get(key)
        if found is None:
            found = resolved[key] = os.path.realpath(key)
        return found

    def _inside(path: Path, folder: Path) -> bool:
        return within(realpath(path), realpath(folder))

    source = Path(article.source_path)
    sources: list[tuple[Path, str]] = [(source, f"{ARTICLE_DIR}/{source.name}")]
    folders: list[Path] = []
    page_dir = source.parent
    if article.source_format == "html":
        saved = page_dir / f"{source.stem}_files"
        if saved.is_dir() and not saved.is_symlink():
            sources.append((saved, f"{ARTICLE_DIR}/{saved.name}"))
            folders.append(saved)
    covered = list(folders)  # folder sources: their files are in the bag already
    seen = {realpath(src) for src, _ in sources}

    def add(path: Path, rel: str) -> None:
        real = realpath(path)
        if real in seen or any(_inside(path, f) for f in covered):
            return
        seen.add(real)
        sources.append((path, rel))

    characterised = [Path(info.path) for info in parsed.images]
    if article.source_format == "html":  # the page's own images stay beside the page
        for path in characterised:
            if _inside(path, page_dir) and not (images is not None and _inside(path, images)):
                beside = relative(realpath(path), realpath(page_dir))
                add(path, f"{ARTICLE_DIR}/{beside}")
    if images is not None:
        folders.append(images)
        for path, entry in listing(images):  # file types from the listing
            if path.name.startswith(".") or not is_image_name(path):
                continue
            link = entry_is(entry, "symlink")
            if link or entry_is(entry, "file"):
                if not link:  # a file of the folder: the folder's real path and its name
                    resolved.setdefault(os.fspath(path), os.path.join(realpath(images), path.name))
                add(path, f"{IMAGES_DIR}/{path.name}")
    for path in characterised:  # sidecar images outside --images
        if images is not None and _inside(path, images):
            rel = relative(realpath(path), realpath(images))
            add(path, f"{IMAGES_DIR}/{rel}")
        else:
            add(path, f"{IMAGES_DIR}/{path.name}")
    sidecar_path = None
    if metadata is not None:
        sidecar_path = f"{METADATA_DIR}/{metadata.name}"
        if sidecar_path in GENERATED:
            raise UsageError(
                f"the sidecar cannot be called {metadata.name}: bagsmith writes "
                f"{sidecar_path} itself",
                path=metadata,
                hint="rename the sidecar file",
            )
        sources.append((metadata, sidecar_path))
    return Layout(tuple(sources), sources[0][1], sidecar_path, tuple(folders), real=resolved)


def within(real: str, folder: str) -> bool:
    """``Path(real).is_relative_to(folder)`` for two real paths (``os.path.realpath``:
    absolute, normalised, no trailing "/" but the root's), compared as text: each comparison
    as paths parsed both into parts, a third of the layout's time."""
    return real == folder or real.startswith(_as_folder(folder))


def relative(real: str, folder: str) -> str:
    """``Path(real).relative_to(folder).as_posix()`` for two real paths, ``real`` inside
    ``folder`` (see :func:`within`)."""
    if real == folder:
        return "."
    return real[len(_as_folder(folder)) :]


def _as_folder(real: str) -> str:
    return real if real.endswith("/") else real + "/"


def check_output_outside(layout: Layout, bag_dir: Path) -> None:
    """The bag may not be written inside a folder it reads from (it would read itself)."""
    real = Path(os.path.realpath(bag_dir))
    for folder in layout.folders:
        if real.is_relative_to(os.path.realpath(folder)):
            raise SourceConflictError(
                "the output is inside a folder the package reads from",
                path=bag_dir,
                hint=f"write the package outside {folder}",
            )


def bag_article(article: Article, layout: Layout) -> Article:
    """The article record as the bag holds it: file paths relative to the bag."""
    figures = []
    for fig in article.figures:
        if fig.image is not None:
            where = layout.bag_path_of(fig.image.path)
            if where is None:
                raise InputError("the figure's image is not part of the package", path=where)
            fig = evolve(fig, image=evolve(fig.image, path=where))
        figures.append(fig)
    return evolve(article, figures=tuple(figures), source_path=layout.article_path)


def bag_images(infos: Iterable[ImageInfo], layout: Layout) -> dict[str, ImageInfo]:
    """Characterised images by bag path (their ``path`` rewritten to it)."""
    out: dict[str, ImageInfo] = {}
    for info in infos:
        where = layout.bag_path_of(info.path)
        if where is not None:
            out[where] = evolve(info, path=where)
    return out


# --- bag-info.txt ---------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def article_info(article: Article) -> list[tuple[str, str]]:
    """Tags bag-info.txt gets from the article record: External-Description (title, creators,
    date) and External-Identifier (the first identifier, else the source URL)."""
    tags: list[tuple[str, str]] = []
    title = _one_line(article.title)
    if title:
        text = title
        creators = [_one_line(c) for c in article.creators if _one_line(c)]
        if creators:
            text += " by " + (
                ", ".join(creators[:-1]) + " and " + creators[-1]
                if len(creators) > 1
                else creators[0]
            )
        if article.date_published:
            text += f", published {article.date_published}"
        tags.append(("External-Description", text))
    identifier = next((_one_line(i) for i in article.identifiers if _one_line(i)), None)
    identifier = identifier or (_one_line(article.source_url) if article.source_url else None)
    if identifier:
        tags.append(("External-Identifier", identifier))
    return tags


def merge_info(
    given: Sequence[tuple[str, str]],
    derived: Sequence[tuple[str, str]],
    bag_group: tuple[str, int, int] | None,
) -> list[tuple[str, str]]:
    """``--info`` tags in the order given, then derived tags whose label was not given."""
    labels = {label.lower() for label, _ in given}
    tags = list(given)
    extra = list(derived)
    if bag_group is not None:
        group, number, total = bag_group
        if not group or number < 1 or total < number:
            raise UsageError(
                f"bag group ({group!r}, {number}, {total}) needs an identifier and 1 <= n <= N"
            )
        extra += [("Bag-Group-Identifier", group), ("Bag-Count", f"{number} of {total}")]
    tags += [(label, value) for label, value in extra if label.lower() not in labels]
    return tags


def read_info_file(path: Path) -> tuple[tuple[str, str], ...]:
    """Tags from a file in bag-info.txt form (``Label: value`` lines, ``#`` comments): an
    archive's standing Source-Organization, Contact-Name, Contact-Email … kept in one place."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", path=path) from None
    # '#' lines are comments; they are blanked so that line numbers stay right.
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    tags, errors = parse_tags("\n".join(lines))
    if errors:
        raise UsageError(
            f"not a 'Label: value' line: {errors[0].text!r}", path=path, line=errors[0].line
        )
    return tuple((t.label, t.value) for t in tags)
