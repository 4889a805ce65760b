"""The package layout helpers: mapped payload scans, bag-info from the record, --info-file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bagsmith.bagit.payload import PayloadPolicy, scan_mapped
from bagsmith.errors import InputError, SourceConflictError, UsageError
from bagsmith.model import Article
from bagsmith.pipeline.layout import article_info, merge_info, mime_type, read_info_file


def test_scan_mapped_sorts_by_bag_path(tmp_path: Path) -> None:
    (tmp_path / "page_files").mkdir()
    (tmp_path / "page_files" / "b.css").write_text("b")
    (tmp_path / "page_files" / "a.jpg").write_bytes(b"a")
    (tmp_path / "page.html").write_text("<p>x</p>")
    (tmp_path / "z.yaml").write_text("title: x")
    plan = scan_mapped(
        [
            (tmp_path / "z.yaml", "data/metadata/z.yaml"),
            (tmp_path / "page_files", "data/article/page_files"),
            (tmp_path / "page.html", "data/article/page.html"),
        ],
        PayloadPolicy(),
    )
    assert [f.relpath for f in plan.files] == [
        "data/article/page.html",
        "data/article/page_files/a.jpg",
        "data/article/page_files/b.css",
        "data/metadata/z.yaml",
    ]
    assert [d.relpath for d in plan.dirs] == ["data/article/page_files"]
    assert plan.total_bytes == 1 + 1 + 8 + 8


def test_scan_mapped_refuses_clashes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        (folder / "01.jpg").write_bytes(b"x")
    with pytest.raises(SourceConflictError, match=r"both be data/images/01\.jpg"):
        scan_mapped(
            [(a / "01.jpg", "data/images/01.jpg"), (b / "01.jpg", "data/images/01.jpg")],
            PayloadPolicy(),
        )
    with pytest.raises(SourceConflictError, match="inside the folder source"):
        scan_mapped([(a, "data/x"), (b / "01.jpg", "data/x/01.jpg")], PayloadPolicy())
    with pytest.raises(SourceConflictError, match="Unicode normalization"):
        scan_mapped(
            [(a / "01.jpg", "data/caf\u00e9.jpg"), (b / "01.jpg", "data/cafe\u0301.jpg")],
            PayloadPolicy(),
        )
    with pytest.raises(InputError):
        scan_mapped([(a / "01.jpg", "data/../x")], PayloadPolicy())
    with pytest.raises(InputError):
        scan_mapped([(a / "missing.jpg", "data/m.jpg")], PayloadPolicy())


def test_article_info() -> None:
    article = Article(
        title="  A  title\n",
        creators=("Ann", "Bo", "Cy"),
        date_published="2020-05",
        source_url="https://example.org/a",
    )
    assert article_info(article) == [
        ("External-Description", "A title by Ann, Bo and Cy, published 2020-05"),
        ("External-Identifier", "https://example.org/a"),
    ]
    with_id = Article(title="T", identifiers=("urn:x:1", "urn:x:2"), source_url="https://x.org")
    assert article_info(with_id) == [
        ("External-Description", "T"),
        ("External-Identifier", "urn:x:1"),
    ]
    assert article_info(Article(title="")) == []


def test_merge_info_keeps_given_values_first() -> None:
    merged = merge_info(
        [("External-Identifier", "mine"), ("Source-Organization", "A")],
        [("External-Description", "d"), ("external-identifier", "derived")],
        ("group", 1, 3),
    )
    assert merged == [
        ("External-Identifier", "mine"),
        ("Source-Organization", "A"),
        ("External-Description", "d"),
        ("Bag-Group-Identifier", "group"),
        ("Bag-Count", "1 of 3"),
    ]
    with pytest.raises(UsageError):
        merge_info([], [], ("", 1, 1))


def test_read_info_file(tmp_path: Path) -> None:
    path = tmp_path / "info.txt"
    path.write_text(
        "# comment\nSource-Organization: Archive\nContact-Name: Ann\n  Archivist\n",
        encoding="utf-8",
    )
    assert read_info_file(path) == (
        ("Source-Organization", "Archive"),
        ("Contact-Name", "Ann Archivist"),
    )
    with pytest.raises(InputError):
        read_info_file(tmp_path / "missing.txt")
    path.write_bytes(b"Label: \xff\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_info_file(path)


def test_mime_types() -> None:
    assert mime_type("data/metadata/meta.yaml") == "application/yaml"
    assert mime_type("data/article/page.HTML") == "text/html"
    assert mime_type("data/images/01.jpg") == "image/jpeg"


def test_plan_layout_resolves_each_path_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning an article with 12 images asks the file system for the real path of each
    source and folder once (it used to be up to five times per image); an image of the images
    folder that is no link is that folder's real path and its name, and the bag paths of the
    record and the images reuse what the plan found: the plan and the bag paths are the same."""
    import os

    from PIL import Image

    from bagsmith.pipeline import layout
    from bagsmith.pipeline.parsing import parse_article

    images = tmp_path / "images"
    images.mkdir()
    text = ["Harbour", "", "Photographs of the harbour.", ""]
    for n in range(1, 13):
        Image.new("RGB", (8, 8)).save(images / f"{n:02d}.jpg")
        text += [f"#{n} Ship {n}", ""]
    article = tmp_path / "article.txt"
    article.write_text("\n".join(text), encoding="utf-8")
    parsed = parse_article(article, images=images, identify_formats=False)
    asked: list[str] = []
    real = os.path.realpath

    def counting(path: Any, *args: Any, **kwargs: Any) -> str:
        asked.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(layout.os.path, "realpath", counting)
    plan = layout.plan_layout(parsed, images, None)
    record = layout.bag_article(parsed.article, plan)
    by_bag_path = layout.bag_images(parsed.images, plan)
    assert sorted(asked) == sorted([str(article), str(images)])
    monkeypatch.setattr(layout.os.path, "realpath", real)
    again = layout.plan_layout(parsed, images, None)
    assert plan == again
    assert [rel for _, rel in plan.sources][1:] == [
        f"data/images/{n:02d}.jpg" for n in range(1, 13)
    ]
    assert [f.image.path for f in record.figures if f.image] == list(by_bag_path)
    assert list(by_bag_path) == [f"data/images/{n:02d}.jpg" for n in range(1, 13)]
    fresh = layout.Layout(again.sources, again.article_path, again.sidecar_path, again.folders)
    assert layout.bag_article(parsed.article, fresh) == record  # without what the plan found
    assert layout.bag_images(parsed.images, fresh) == by_bag_path


def test_the_images_folder_is_listed_with_file_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest and the layout take each name's file type from the folder's listing: no
    Path.stat or Path.lstat of an image by name (it was four a photograph); the figures,
    the skipped names and the plan are the same as asking the file system name by name."""
    import pathlib

    from PIL import Image

    from bagsmith.ingest import article as ingest_article
    from bagsmith.pipeline import layout
    from bagsmith.pipeline.parsing import parse_article

    images = tmp_path / "images"
    images.mkdir()
    text = ["Harbour", "", "Photographs of the harbour.", ""]
    for n in range(1, 7):
        Image.new("RGB", (8, 8)).save(images / f"{n:02d}.jpg")
        text += [f"#{n} Ship {n}", ""]
    (images / "notes.txt").write_text("not an image", encoding="utf-8")
    (images / "sub.jpg").mkdir()  # a folder with an image's name
    (images / "07.jpg").symlink_to("07.jpg")  # a link to itself
    article = tmp_path / "article.txt"
    article.write_text("\n".join(text), encoding="utf-8")
    asked: list[str] = []
    real_stat = pathlib.Path.stat

    def stat(self: pathlib.Path, *args: Any, **kwargs: Any) -> Any:
        if self.parent == images:
            asked.append(self.name)
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "stat", stat)
    parsed = parse_article(article, images=images, identify_formats=False)
    plan = layout.plan_layout(parsed, images, None)
    assert asked == ["07.jpg"]  # only the link's kind, to name it in the note
    with pytest.raises(SourceConflictError, match="symbolic link"):  # package refuses the link
        scan_mapped(list(plan.sources), PayloadPolicy())

    def by_name(folder: Path) -> list[tuple[Path, Any]]:  # what Path asks, name by name
        class Entry:
            def __init__(self, path: Path) -> None:
                self.is_dir, self.is_file, self.is_symlink = (
                    path.is_dir,
                    path.is_file,
                    path.is_symlink,
                )

        return [(p, Entry(p)) for p in sorted(folder.iterdir())]

    monkeypatch.setattr(pathlib.Path, "stat", real_stat)
    monkeypatch.setattr(ingest_article, "listing", by_name)
    monkeypatch.setattr(layout, "listing", by_name)
    again = parse_article(article, images=images, identify_formats=False)
    assert again.article == parsed.article and again.report.codes() == parsed.report.codes()
    assert [str(p) for p in again.report] == [str(p) for p in parsed.report]
    assert layout.plan_layout(again, images, None) == plan
    skipped = sorted(
        Path(p.path or "").name for p in parsed.report if p.code == "image-file-skipped"
    )
    assert skipped == ["07.jpg", "notes.txt"]


def test_scan_mapped_asks_each_source_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The payload plan of mapped sources lstats each source once (it was three system calls
    a file: exists, is it a folder, what is it) and plans the same files and folders; a link
    is still asked what it points to."""
    import os

    from bagsmith.bagit import payload

    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "1.jpg").write_bytes(b"x")
    (tmp_path / "link.txt").symlink_to("a.txt")
    sources = [
        (tmp_path / "a.txt", "data/article/a.txt"),
        (tmp_path / "pics", "data/images"),
        (tmp_path / "link.txt", "data/b.txt"),
    ]
    asked: list[str] = []
    real_lstat, real_stat = os.lstat, os.stat

    def lstat(path: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(f"lstat {Path(path).name}")
        return real_lstat(path, *args, **kwargs)

    def stat_(path: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(f"stat {Path(path).name}")
        return real_stat(path, *args, **kwargs)

    policy = PayloadPolicy(symlinks=payload.Symlinks.FOLLOW)
    monkeypatch.setattr(payload.os, "lstat", lstat)
    monkeypatch.setattr(payload.os, "stat", stat_)
    plan = scan_mapped(sources, policy)
    tops = [a for a in asked if a.split()[1] in ("a.txt", "pics", "link.txt")]
    # the link: is what it points to a folder, and (followed) what is it
    assert sorted(tops) == sorted(
        ["lstat a.txt", "lstat pics", "lstat link.txt", "stat link.txt", "stat link.txt"]
    )
    monkeypatch.undo()
    assert [f.relpath for f in plan.files] == [
        "data/article/a.txt",
        "data/b.txt",
        "data/images/1.jpg",
    ]
    assert [d.relpath for d in plan.dirs] == ["data/images"]
    assert plan == scan_mapped(sources, policy)
    with pytest.raises(InputError, match="no such file"):
        scan_mapped([*sources, (tmp_path / "gone.txt", "data/gone.txt")], policy)
