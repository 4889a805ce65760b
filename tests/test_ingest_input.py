"""Input the article reader refuses or cleans: binary files, empty articles, a folder given as
the article, and characters XML cannot hold (in the article text and in the sidecar)."""

from __future__ import annotations

import io
import random
import unicodedata
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image

from bagsmith.cli import main
from bagsmith.cli.exits import error_exit
from bagsmith.cli.flags import flag_name
from bagsmith.errors import InputError, MetadataError
from bagsmith.ingest import read_article
from bagsmith.ingest.content import binary_reason, garbled_share, signature, xml_illegal
from bagsmith.pipeline.packaging import PackageOptions, package_article
from tests.test_package_support import CREATED, INFO, leftovers, tree_state

TAGS = (*INFO, ("External-Description", "Harbour portraits"))
ARTICLE = (
    "Portraits from the Harbour\n\nBy Tom Reed | May 1, 2020\n\n"
    "The harbour photographs below were taken by the port's own photographer between the wars.\n\n"
    "1. Dock workers at dawn. Hamburg, June 1928\n"
)


def _cli(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def _random_bytes(size: int, *, nul: bool = True) -> bytes:
    data = random.Random(1956).randbytes(size * 2)
    return (data if nul else data.replace(b"\x00", b""))[:size]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


# --- 1. binary data is not an article ---


@pytest.mark.parametrize("name", ["g.html", "g.txt", "g"])
@pytest.mark.parametrize("nul", [True, False])
def test_random_bytes_are_refused(tmp_path: Path, name: str, nul: bool) -> None:
    path = tmp_path / name
    path.write_bytes(_random_bytes(3000, nul=nul))
    with pytest.raises(InputError) as caught:
        read_article(path)
    error = caught.value
    assert error_exit(error) == 2 and error.path == str(path)
    assert error.message == "looks like binary data, not an article"
    assert error.hint is not None and ("NUL" in error.hint or "control codes" in error.hint)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (_jpeg(), "a JPEG image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n", "a PDF document"),
        (_zip(), "a ZIP archive or office document"),
    ],
    ids=["jpeg", "pdf", "zip"],
)
def test_known_formats_are_named(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=rf"looks like binary data \({kind}\?\), not an article"):
        read_article(path)
    assert signature(data) == kind


def test_cli_refuses_binary_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    article = tmp_path / "g.html"
    article.write_bytes(_random_bytes(3000))
    code, text = _cli(["parse", str(article)])
    assert code == 2 and f"{article}: looks like binary data" in text
    out = tmp_path / "out"
    code, text = _cli(["package", str(article), "-o", str(out), "-i", "Source-Organization=R"])
    assert code == 2 and "looks like binary data" in text and "Traceback" not in text
    assert not out.exists() and leftovers(tmp_path) == []


def test_legitimate_8bit_and_wide_text_is_not_binary(tmp_path: Path) -> None:
    accented = (
        "Été à Pécs\n\nÇa a déjà été là-bas: où, à côté du château, l'élève a dîné. " * 20 + "\n"
    )
    for encoding in ("cp1252", "latin-1"):
        path = tmp_path / f"{encoding}.txt"
        data = accented.encode(encoding)
        path.write_bytes(data)
        assert binary_reason(data) is None
        result = read_article(path)
        assert result.article.title == "Été à Pécs"
        assert "text-encoding-guessed" in result.report.codes()
    japanese = tmp_path / "sjis.txt"  # legacy multi-byte text is read (as mojibake), not refused
    japanese.write_bytes(
        ("港の肖像\n\n" + "港の写真は戦間期に港の写真家が撮影したものです。" * 30).encode(
            "shift_jis"
        )
    )
    assert read_article(japanese).article.sections
    wide = tmp_path / "wide.txt"
    wide.write_bytes(ARTICLE.encode("utf-16"))  # with its byte order mark
    assert read_article(wide).article.title == "Portraits from the Harbour"


def test_garbled_text_share() -> None:
    assert garbled_share("A normal line of text with a stray \x0b in it.\n" * 5) is None
    assert garbled_share("\ufffd\x01ab" * 20) is not None
    assert binary_reason(b"Title\n\nA paragraph\x0b with a vertical tab.\n") is None


# --- 2. an empty article ---


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("e.txt", b""),
        ("ws.txt", b" \n\t\r\n  \n"),
        ("bom.txt", b"\xef\xbb\xbf\n\n"),
        ("clutter.txt", b"\n\n-1 Points\n\nLeave a Reply\n\n4 Comments\n"),
        ("e.html", b""),
        ("blank.html", b"<html><body><nav>Home | About</nav><p> </p></body></html>"),
    ],
)
def test_empty_articles_are_refused(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match="the article is empty") as caught:
        read_article(path)
    assert caught.value.path == str(path) and error_exit(caught.value) == 2


def test_empty_article_is_not_packaged(tmp_path: Path) -> None:
    article = tmp_path / "e.txt"
    article.write_bytes(b"")
    out = tmp_path / "out"
    out.mkdir()
    options = PackageOptions(info=TAGS, created=CREATED)
    with pytest.raises(InputError, match="the article is empty"):
        package_article(article, out / "bag", options)
    assert list(out.iterdir()) == [] and leftovers(tmp_path) == []
    code, text = _cli(["package", str(article), "-o", str(out / "bag"), *_info_args()])
    assert code == 2 and f"{article}: the article is empty" in text
    assert "External-Description" not in text and not (out / "bag").exists()
    code, text = _cli(["parse", str(article)])
    assert code == 2 and "the article is empty" in text


def _info_args() -> list[str]:
    return [arg for label, value in TAGS for arg in ("-i", f"{label}={value}")]


# --- 3. a folder given as the article ---


def test_folder_is_refused_with_a_hint(tmp_path: Path) -> None:
    folder = tmp_path / "harbour"
    (folder / "images").mkdir(parents=True)
    (folder / "harbour.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "metadata.yaml").write_text("rights: CC BY 4.0\n", encoding="utf-8")
    before = tree_state(folder)
    with pytest.raises(InputError, match="this is a folder; give the article file") as caught:
        read_article(folder)
    hint = caught.value.hint or ""
    assert str(folder / "harbour.txt") in hint
    assert f'images="{folder / "images"}"' in hint  # the library names its parameters
    assert f'metadata="{folder / "metadata.yaml"}"' in hint
    out = tmp_path / "out"
    code, text = _cli(["package", str(folder), "-o", str(out), *_info_args()])
    assert code == 2 and "give the article file" in text and not out.exists()
    assert f"--images {folder / 'images'}" in text  # the command line, its options
    assert f"--metadata {folder / 'metadata.yaml'}" in text
    assert tree_state(folder) == before


def test_folder_hint_without_a_single_article(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_article(tmp_path)
    assert "one of a.txt, b.html" in (caught.value.hint or "")
    assert "give an images folder with --images DIR" in caught.value.text(flag_name)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError) as caught:
        read_article(empty)
    assert "no .txt or .html file" in (caught.value.hint or "")


# --- 4. characters XML cannot hold ---


@pytest.mark.parametrize(
    ("name", "text", "field", "line"),
    [
        ("s.yaml", 'rights: CC BY 4.0\ntitle: "Bad \\x01"\n', "title", 2),
        (
            "s.json",
            '{\n  "creators": ["Ann Lee",\n    "B\\u000bob"]\n}\n',
            "creators[1]",
            3,
        ),
        (
            "f.yaml",
            'figures:\n  - number: 1\n    caption: "Docks \\uFFFE at dawn"\n',
            "figures[0].caption",
            3,
        ),
    ],
)
def test_sidecar_control_characters_name_file_line_and_field(
    tmp_path: Path, name: str, text: str, field: str, line: int
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    sidecar = tmp_path / name
    sidecar.write_text(text, encoding="utf-8")
    with pytest.raises(MetadataError, match="control character XML cannot represent") as caught:
        read_article(article, metadata=sidecar)
    error = caught.value
    assert (error.path, error.line, error.field) == (str(sidecar), line, field)
    code, output = _cli(["parse", str(article), "--metadata", str(sidecar)])
    assert code == 1 and f"{sidecar}:{line} (field {field})" in output


def test_xml_illegal_names_the_character() -> None:
    assert xml_illegal("fine\ttext\n") is None
    assert xml_illegal("bad \x1f") == "U+001F"
    assert xml_illegal("bad \uffff") == "U+FFFF"


def test_article_control_characters_are_replaced_with_line_warnings(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(
        "Portraits from the\x0bHarbour\n\nBy Tom Reed\n\n"
        "The harbour photographs \x01below were taken by the port's photographer.\n\n"
        "#1 Dock workers \ufffeat dawn. Hamburg, June 1928\n",
        encoding="utf-8",
    )
    result = read_article(article)
    a = result.article
    assert a.title == "Portraits from the Harbour"
    assert a.sections[0].paragraphs[0].startswith("The harbour photographs below")
    assert a.figures[0].caption.startswith("Dock workers at dawn")
    found = [(p.line, p.message) for p in result.report if p.code == "text-control-character"]
    assert [line for line, _ in found] == [1, 5, 7]
    assert "U+000B" in found[0][1] and "U+0001" in found[1][1] and "U+FFFE" in found[2][1]
    assert not any(xml_illegal(w) for w in a.warnings)


def test_html_control_characters_are_replaced(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(
        b"<html><head><title>T\x0bitle</title></head><body>\n"
        b"<p>Para \xef\xbf\xbf with &#xFFFE; odd\x01 text in it.</p></body></html>"
    )
    result = read_article(page)
    assert xml_illegal(result.article.title) is None
    paragraph = result.article.sections[0].paragraphs[0]
    assert xml_illegal(paragraph) is None and "odd text" in paragraph
    codes = [(p.code, p.line) for p in result.report if p.code == "text-control-character"]
    assert ("text-control-character", 1) in codes and ("text-control-character", 2) in codes


def test_article_with_control_characters_packages(tmp_path: Path, schema_cache: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    article = src / "a.txt"
    article.write_text(ARTICLE.replace("below", "\x0bbelow\x0c\ufffe"), encoding="utf-8")
    before = tree_state(src)
    dest = tmp_path / "out" / "bag"
    result = package_article(article, dest, PackageOptions(info=TAGS, created=CREATED))
    assert result.validation is not None and result.validation.valid
    assert "text-control-character" in [w.code for w in result.warnings]
    mets = etree.parse(str(dest / "data" / "mets.xml"))
    assert mets.getroot() is not None
    assert tree_state(src) == before


def test_clean_line_is_its_definition_on_every_code_point() -> None:
    """clean_line (one translate) against its definition: NFC, the invisible characters out,
    every space separator (Zs) and control character (Cc) a space, white space squeezed."""
    from bagsmith.ingest.text import _INVISIBLE, clean_line

    def definition(line: str) -> str:
        line = unicodedata.normalize("NFC", line).translate(_INVISIBLE)
        line = "".join(" " if unicodedata.category(c) in ("Zs", "Cc") else c for c in line)
        return " ".join(line.split())

    every = "".join(chr(c) + "a" for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert clean_line(every) == definition(every)
    for line in ("\u00a0 x\u3000y\x85z\u200b ", "e\u0301\x00\x7f\u2028", ""):
        assert clean_line(line) == definition(line)
