"""examples/make_example.py writes the README's example article; it bags and validates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bagit
from PIL import Image

from bagsmith.pipeline.bagging import BagOptions, create_bag

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "make_example.py"


def run_example(out: Path) -> Path:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return out / "article"


def test_example_article_and_images(tmp_path: Path) -> None:
    article = run_example(tmp_path / "example")
    first = {p.name: p.read_bytes() for p in article.iterdir()}
    article = run_example(tmp_path / "example")  # idempotent: same files again
    assert {p.name: p.read_bytes() for p in article.iterdir()} == first
    assert sorted(first) == ["01.jpg", "02.jpg", "03.jpg", "04.jpg", "article.txt"]
    text = (article / "article.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "The Ferry That Held a Town Together"
    assert lines[2].startswith("By ") and " | " in lines[2]
    for marker in ("#1 ", "\n2. ", "\n3) ", "\n4.\n"):
        assert marker in text
    for name in ("01.jpg", "02.jpg", "03.jpg", "04.jpg"):
        assert len(first[name]) < 200_000
        with Image.open(article / name) as img:
            img.load()
            assert img.format == "JPEG" and img.size == (480, 320)
    with Image.open(article / "01.jpg") as img:
        exif = img.getexif()
        assert exif[0x013B] == "Albert Shaw" and exif[0x8298] == "Eastmoor History Group"
        assert exif.get_ifd(0x8769)[0x9003] == "1912:08:15 10:30:00"


def test_example_bags_and_validates(tmp_path: Path) -> None:
    article = run_example(tmp_path / "example")
    dest = tmp_path / "example-bag"
    options = BagOptions(info=(("Source-Organization", "Example Community Archive"),))
    result = create_bag([article], dest, options)
    assert result.files == 5
    bagit.Bag(str(dest)).validate()
    assert "Source-Organization: Example Community Archive\n" in (dest / "bag-info.txt").read_text(
        encoding="utf-8"
    )


def test_example_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage" in proc.stderr
