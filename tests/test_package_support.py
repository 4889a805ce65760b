"""Helpers for the `package` tests: example articles, Pillow images, oracles (no tests here)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import bagit
import bagit_profile
import jsonschema
import pytest
from PIL import Image

from bagsmith.bagit.tagfiles import parse_tags
from bagsmith.resources import json_schema, profiles_dir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SCRIPT = ROOT / "examples" / "make_example.py"
INFO = (("Source-Organization", "Example Community Archive"),)
CREATED = "2026-11-27T09:30:00Z"


def make_example(out: Path) -> Path:
    """Run examples/make_example.py into ``out`` (in this process); returns ``out``."""
    spec = importlib.util.spec_from_file_location("make_example", EXAMPLE_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(out)]) == 0
    return out


def draw(path: Path, number: int, *, exif: bool = False, size: tuple[int, int] = (64, 48)) -> Path:
    """A small JPEG with a colour of its own (so every file has its own digest)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, ((number * 37) % 256, (number * 91) % 256, (number * 53) % 256))
    if exif:
        data = Image.Exif()
        data[0x013B] = f"Photographer {number}"  # Artist
        data[0x8298] = "Example Archive"  # Copyright
        data.get_ifd(0x8769)[0x9003] = "1956:10:23 12:00:00"  # DateTimeOriginal
        img.save(path, "JPEG", quality=80, exif=data)
    else:
        img.save(path, "JPEG", quality=80)
    return path


def tree_state(root: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every entry under ``root`` (root included): mode, mtime and content."""
    out: dict[str, tuple[int, int, bytes | None]] = {}
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        out[str(path.relative_to(root))] = (st.st_mode, st.st_mtime_ns, data)
    return out


def leftovers(folder: Path) -> list[str]:
    """Staging folders and partial archives left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if ".bagsmith-" in p.name)


def record(bag: Path) -> dict[str, Any]:
    """The article record of a bag folder, checked against its JSON Schema."""
    data: dict[str, Any] = json.loads(
        (bag / "data" / "metadata" / "article.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft202012Validator(json_schema("article.schema.json")).validate(data)
    return data


def bag_info(bag: Path) -> dict[str, list[str]]:
    """bag-info.txt as bagsmith reads it (folded lines joined as RFC 8493 says)."""
    tags: dict[str, list[str]] = {}
    for tag in parse_tags((bag / "bag-info.txt").read_text(encoding="utf-8"))[0]:
        tags.setdefault(tag.label, []).append(tag.value)
    return tags


def bagit_python_validates(bag: Path) -> None:
    """bagit-python's own command line, as an independent oracle."""
    proc = subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(bag)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "is valid" in proc.stderr


def bagit_profile_validates(bag: Path, name: str = "bagsmith-article-v1") -> None:
    """The bagit-profile package against a bundled profile (it reads spec 1.3.0)."""
    doc = json.loads((profiles_dir() / f"{name}.json").read_text(encoding="utf-8"))
    url = doc["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    profile = bagit_profile.Profile(url, profile=doc)
    assert profile.validate(bagit.Bag(str(bag))), profile.report


def xmllint(cache: Path, *documents: Path) -> None:
    """xmllint with every embedded schema, through the schema cache's catalog, offline."""
    if shutil.which("xmllint") is None:
        pytest.skip("xmllint is not installed (Debian package libxml2-utils)")
    env = {**os.environ, "XML_CATALOG_FILES": str(cache / "catalog.xml")}
    proc = subprocess.run(
        ["xmllint", "--nonet", "--noout", "--schema", str(cache / "bagsmith" / "driver.xsd")]
        + [str(d) for d in documents],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for doc in documents:
        assert f"{doc} validates" in proc.stderr
