"""One manifest-line writer and one reader, for every command that writes a bag (issue 14).

`bag`, `update` and `package` all write their manifest lines through
``bagsmith.bagit.manifest.format_line`` and read them back through ``parse_line``. The bytes of
the manifests are checked here, not only that the bag validates: the validator reads a name
with an unencoded '%' as the literal name (``manifest-percent-unencoded``, for bagit-python's
bags), so a writer that forgot to encode would still make a "valid" bag.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from click.testing import CliRunner

from bagsmith.bagit import manifest
from bagsmith.cli import main
from tests.test_package_support import make_example

ODD = {"100% off.txt": b"percent", "cr\rname.txt": b"carriage return", "lf\nname.txt": b"newline"}
ENCODED = {
    "100% off.txt": "100%25 off.txt",
    "cr\rname.txt": "cr%0Dname.txt",
    "lf\nname.txt": "lf%0Aname.txt",
}


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stderr


def lines_of(bag: Path, alg: str = "sha256") -> list[bytes]:
    return (bag / f"manifest-{alg}.txt").read_bytes().split(b"\n")


def expected_line(data: bytes, encoded_path: str, alg: str = "sha256") -> bytes:
    return f"{hashlib.new(alg, data).hexdigest()}  {encoded_path}".encode()


def test_bag_and_update_encode_percent_cr_and_lf(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name, data in ODD.items():
        (src / name).write_bytes(data)
    bag = tmp_path / "bag"
    run("bag", str(src), "--output", str(bag), "--processes", "1")
    for alg in ("sha256", "sha512"):
        lines = lines_of(bag, alg)
        for name, data in ODD.items():
            assert expected_line(data, f"data/{ENCODED[name]}", alg) in lines
        assert len(lines) == len(ODD) + 1 and lines[-1] == b""  # one line each, LF-terminated
    # update: new files with the same kinds of names, and the old lines rewritten alike
    (bag / "data" / "new 50%.txt").write_bytes(b"new")
    (bag / "data" / "new\rcr.txt").write_bytes(b"cr2")
    run("update", str(bag), "--processes", "1")
    lines = lines_of(bag)
    assert expected_line(b"new", "data/new 50%25.txt") in lines
    assert expected_line(b"cr2", "data/new%0Dcr.txt") in lines
    for name, data in ODD.items():
        assert expected_line(data, f"data/{ENCODED[name]}") in lines
    assert not [line for line in lines if b"\r" in line]


def test_package_encodes_percent_cr_and_lf(tmp_path: Path, schema_cache: Path) -> None:
    example = make_example(tmp_path / "src")
    images = example / "article"
    photo = (images / "01.jpg").read_bytes()
    for name in ("extra 100%.jpg", "cr\rimage.jpg", "lf\nimage.jpg"):
        shutil.copy(images / "01.jpg", images / name)
    bag = tmp_path / "bag"
    run(
        "package",
        str(images / "article.txt"),
        "--images",
        str(images),
        "--metadata",
        str(example / "metadata.yaml"),
        "--output",
        str(bag),
        "--info",
        "Source-Organization=Archive",
        "--processes",
        "1",
    )
    for alg in ("sha256", "sha512"):
        lines = lines_of(bag, alg)
        for encoded in ("extra 100%25.jpg", "cr%0Dimage.jpg", "lf%0Aimage.jpg"):
            assert expected_line(photo, f"data/images/{encoded}", alg) in lines
    mets = (bag / "data" / "mets.xml").read_text(encoding="utf-8")
    assert 'xlink:href="images/extra%20100%25.jpg"' in mets  # a URI relative to the METS


def test_one_writer_one_reader() -> None:
    for name, encoded in ENCODED.items():
        line = manifest.format_line("ab" * 32, f"data/{name}")
        assert line == f"{'ab' * 32}  data/{encoded}\n"
        parsed = manifest.parse_line(line.rstrip("\n"))
        assert isinstance(parsed, manifest.ManifestLine) and parsed.path == f"data/{name}"
