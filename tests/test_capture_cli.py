"""`bagsmith capture URL --output DIR` against a real local server: the package (validated by
bagsmith and by bagit-python), what it records, and every bad input with its exit code, its
message and nothing left at --output (nor in the temporary folder)."""

from __future__ import annotations

import json
import logging
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from bagsmith.cli import main
from tests.capture_helpers import BIG, CSS, LAZY, PICTURE, TEXT, Site, article_site, serve, site
from tests.test_capture_faults import faulty_site
from tests.test_package_support import leftovers, record

__all__ = ["site"]

UA = "Example Archive capture (+mailto:archive@example.org)"
INFO = ["--info", "Source-Organization=Example Archive", "--info", "Contact-Name=Ann Archivist",
        "--info", "Contact-Email=ann@example.org"]  # fmt: skip


@pytest.fixture
def tmp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temporary folder, to show that captures leave nothing behind in it."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["capture", *args])
    return result.exit_code, result.stdout, result.stderr


def capture(url: str, dest: Path, *extra: str) -> tuple[int, str, str]:
    return invoke(url, "--output", str(dest), "--delay", "0", "--timeout", "30",
                  "--user-agent", UA, "--processes", "1", *INFO, *extra)  # fmt: skip


def test_capture_packages_a_valid_bag_with_the_capture_in_it(
    site: Site, tmp_path: Path, schema_cache: Path, tmp_root: Path
) -> None:
    dest = tmp_path / "out" / "bag"
    code, out, err = capture(site.url("/harbour"), dest)
    assert code == 0, err
    assert f"Captured {site.url('/news/harbour')} (HTTP 200" in out
    assert f"redirected from {site.url('/harbour')}" in out
    assert "images captured: 4, failed: 1" in out and "validation: VALID" in out
    assert "warning[capture-image-failed]" in err and "broken.jpg" in err
    assert str(tmp_root) not in err  # messages name files as the bag does
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert [f for f in files if f.startswith("data/")] == [
        "data/article/article.html",
        "data/article/article_files/big.jpg",
        "data/article/article_files/lazy.jpg",
        "data/article/article_files/lead.jpg",
        "data/article/article_files/picture.jpg",
        "data/article/article_files/site.css",
        "data/capture/capture.json",
        "data/capture/capture.wacz",
        "data/capture/capture.warc.gz",
        "data/metadata/article.json",
        "data/metadata/dc.xml",
        "data/mets.xml",
    ]
    assert (dest / "data/article/article_files/site.css").read_bytes() == CSS
    assert list(tmp_root.iterdir()) == [] and leftovers(dest.parent) == []
    # the oracles: bagsmith's validator and bagit-python
    assert CliRunner().invoke(main, ["validate", str(dest)]).exit_code == 0
    import bagit

    logging.getLogger("bagit").setLevel(logging.ERROR)
    bagit.Bag(str(dest)).validate()


def test_figures_are_paired_with_the_captured_images_by_url(
    site: Site, tmp_path: Path, schema_cache: Path
) -> None:
    dest = tmp_path / "bag"
    assert capture(site.url("/harbour"), dest)[0] == 0
    rec = record(dest)
    assert rec["title"] == "The harbour in winter"
    assert any(TEXT in p for s in rec["sections"] for p in s["paragraphs"])
    images = {f["number"]: f["image"] and f["image"]["path"] for f in rec["figures"]}
    assert images == {
        1: "data/article/article_files/big.jpg",
        2: "data/article/article_files/lazy.jpg",
        3: "data/article/article_files/picture.jpg",
        4: None,  # the broken image
    }
    for number, data in ((1, BIG), (2, LAZY), (3, PICTURE)):
        assert (dest / images[number]).read_bytes() == data  # type: ignore[operator]
    assert rec["source_url"] == site.url("/news/harbour")
    assert rec["date_captured"].endswith("Z")


def test_the_capture_record_says_where_when_and_how(
    site: Site, tmp_path: Path, schema_cache: Path
) -> None:
    dest = tmp_path / "bag"
    code, out, _ = capture(site.url("/harbour"), dest, "--json")
    assert code == 0
    doc = json.loads(out)
    rec = json.loads((dest / "data/capture/capture.json").read_text(encoding="utf-8"))
    assert doc["capture"]["final_url"] == rec["final_url"] == site.url("/news/harbour")
    assert rec["url"] == site.url("/harbour") and rec["status"] == 200
    assert rec["user_agent"] == UA and rec["robots"] == "honoured"
    assert rec["memento_datetime"].endswith(" GMT") and rec["capture_time"]
    assert rec["warc"] == "data/capture/capture.warc.gz"
    assert rec["wacz"] == "data/capture/capture.wacz"
    assert rec["failures"] == [site.url("/img/broken.jpg")]
    by_url = {r["url"]: r for r in rec["resources"]}
    big = by_url[site.url("/img/big.jpg")]
    assert big["file"] == "data/article/article_files/big.jpg"
    assert big["warc_record_id"].startswith("<urn:uuid:")
    assert rec["page"]["redirects"] == [site.url("/harbour")]
    assert [w["code"] for w in doc["warnings"]].count("capture-image-failed") == 1


def test_require_images_refuses_and_writes_nothing(
    site: Site, tmp_path: Path, schema_cache: Path, tmp_root: Path
) -> None:
    dest = tmp_path / "bag"
    code, _, err = capture(site.url("/harbour"), dest, "--require-images")
    assert code == 1
    assert "1 image(s) could not be captured" in err and "broken.jpg" in err
    assert "500" in err and "--require-images" in err
    assert not dest.exists() and list(tmp_root.iterdir()) == []


def test_ignore_robots_is_recorded(tmp_path: Path, schema_cache: Path) -> None:
    s = article_site(broken=False)
    s.add("/robots.txt", b"User-agent: *\nDisallow: /\n", "text/plain")
    with serve(s):
        dest = tmp_path / "refused"
        code, _, err = capture(s.url("/news/harbour"), dest)
        assert code == 1 and "robots.txt" in err and "--ignore-robots" in err
        assert not dest.exists() and s.requested("/news/harbour") == 0
        dest = tmp_path / "bag"
        code, _, err = capture(s.url("/news/harbour"), dest, "--ignore-robots")
    assert code == 0, err
    assert "info[capture-robots-ignored]" in err
    assert s.requested("/robots.txt") == 1  # only by the refused run
    rec = json.loads((dest / "data/capture/capture.json").read_text(encoding="utf-8"))
    assert rec["robots"] == "ignored" and rec["failures"] == []


@pytest.fixture
def bad() -> Iterator[Site]:
    with serve(faulty_site()) as running:
        yield running


FAULTS = [
    ("/missing", [], "the server answered 404"),
    ("/gone", [], "the server answered 410"),
    ("/error", [], "the server answered 500"),
    ("/loop-a", [], "redirect loop"),
    ("/report.pdf", [], "not an HTML page (application/pdf)"),
    ("/huge", [], "larger than the limit per resource"),
    ("/slow", ["--timeout", "1"], "did not finish within 1 s"),
    ("/news/harbour", ["--max-capture-size", "3kB"], "total limit"),
]


@pytest.mark.parametrize(("path", "extra", "words"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_page_that_cannot_be_captured_exits_1_and_writes_nothing(
    bad: Site,
    tmp_path: Path,
    schema_cache: Path,
    tmp_root: Path,
    path: str,
    extra: list[str],
    words: str,
) -> None:
    dest = tmp_path / "out" / "bag"
    dest.parent.mkdir()
    code, out, err = capture(bad.url(path), dest, *extra)
    assert code == 1, out + err
    assert "error[capture]" in err and words in err and "Traceback" not in err
    assert not dest.exists() and list(dest.parent.iterdir()) == []
    assert list(tmp_root.iterdir()) == []


def test_network_failures_exit_1_and_write_nothing(
    tmp_path: Path, schema_cache: Path, tmp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens
    code, _, err = capture(f"http://127.0.0.1:{port}/a", tmp_path / "a")
    assert code == 1 and f"cannot connect to 127.0.0.1:{port}" in err

    def no_dns(*args: object, **kw: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    code, _, err = capture("https://news.example.invalid/a", tmp_path / "b")
    assert code == 1 and "cannot resolve the host 'news.example.invalid'" in err
    assert list(tmp_path.iterdir()) == [tmp_root] and list(tmp_root.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "words"),
    [("ftp://127.0.0.1/a", "only http and https"), ("file:///etc/passwd", "only http and https"),
     ("http://ann:secret@127.0.0.1/", "bagsmith sends no credentials"), ("nonsense", "only http")],
)  # fmt: skip
def test_urls_bagsmith_does_not_fetch_are_usage_errors(
    tmp_path: Path, url: str, words: str
) -> None:
    code, _, err = capture(url, tmp_path / "bag")
    assert code == 2 and words in err
    assert not (tmp_path / "bag").exists()


def test_an_existing_output_is_refused_before_any_request(site: Site, tmp_path: Path) -> None:
    dest = tmp_path / "bag"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    code, _, err = capture(site.url("/harbour"), dest)
    assert code == 2 and str(dest) in err
    assert site.log == [] and (dest / "keep.txt").read_text() == "mine"


def test_images_option_does_not_apply(site: Site, tmp_path: Path) -> None:
    code, _, err = invoke(site.url("/harbour"), "--output", str(tmp_path / "b"), "--images", ".")
    assert code == 2 and "No such option '--images'" in err


@pytest.mark.slow
def test_render_keeps_a_full_page_png_and_a_pdf(tmp_path: Path, schema_cache: Path) -> None:
    from bagsmith.capture.render import find_browser

    if find_browser() is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    s = article_site(broken=False)
    tall = s.routes["/news/harbour"][2].replace(  # type: ignore[index]
        b"</article>", b'<div style="height:3000px">tall</div><p>The end.</p></article>'
    )
    s.add("/news/harbour", tall)
    with serve(s):
        dest = tmp_path / "bag"
        code, _, err = capture(s.url("/news/harbour"), dest, "--render")
    assert code == 0, err
    with Image.open(dest / "data/renderings/screenshot.png") as png:
        assert png.format == "PNG" and png.width >= 800 and png.height > 3000
    import pypdf

    pdf = pypdf.PdfReader(dest / "data/renderings/page.pdf")
    text = "".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.pages) >= 2 and "The harbour in winter" in text and "The end." in text
    rec = json.loads((dest / "data/capture/capture.json").read_text(encoding="utf-8"))
    assert [r["file"] for r in rec["renderings"]] == [
        "data/renderings/screenshot.png",
        "data/renderings/page.pdf",
    ]
    assert CliRunner().invoke(main, ["validate", str(dest)]).exit_code == 0


@pytest.mark.slow
def test_render_leaves_no_process_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chromium's profile, its own temporary files and every process it started are gone when
    the rendering returns (they were left in /tmp, one set per capture)."""
    import os
    import shutil
    import subprocess

    from bagsmith.capture import render

    if render.find_browser() is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    # a short temporary directory: Chromium's singleton socket goes in it (a unix socket path
    # is limited to 107 bytes, which pytest's own folders can exceed)
    scratch = Path(tempfile.mkdtemp(prefix="bagsmith-test-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    started: list[tuple[int, str]] = []

    class Recorded(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, args: list[str], **kwargs: object) -> None:
            super().__init__(args, **kwargs)  # type: ignore[call-overload]
            [profile] = [a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir=")]
            started.append((self.pid, profile))

    monkeypatch.setattr(render.subprocess, "Popen", Recorded)
    page = tmp_path / "page.html"
    page.write_text("<html><body><h1>Harbour</h1></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    try:
        files = render.render_page(page, out, timeout=30)
        left = list(scratch.iterdir())
    finally:
        shutil.rmtree(scratch)
    assert [path.name for path, _ in files] == ["screenshot.png", "page.pdf"]
    assert left == []
    [(browser, profile)] = started
    with pytest.raises(ProcessLookupError):
        os.killpg(browser, 0)
    assert _processes_naming(profile) == []


def _processes_naming(text: str) -> list[int]:
    """The processes whose command line contains ``text`` (Chromium's helpers name the
    profile)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in cmdline:
                found.append(int(entry.name))
    return found


def test_mets_links_every_captured_file_to_its_warc_record(
    site: Site, tmp_path: Path, schema_cache: Path
) -> None:
    """Read with metsrw (Archivematica's METS library): every image and stylesheet has a PREMIS
    capture event by bagsmith whose note names a WARC response record; that record, read with
    warcio, is for the URL named and its payload is the file's bytes."""
    metsrw = pytest.importorskip("metsrw")
    from warcio.archiveiterator import ArchiveIterator

    dest = tmp_path / "bag"
    # a fixed CREATEDATE: metsrw refuses one later than its own clock reading
    assert capture(site.url("/harbour"), dest, "--created", "2026-11-27T09:30:00Z")[0] == 0
    payloads: dict[str, tuple[str, bytes]] = {}
    with (dest / "data/capture/capture.warc.gz").open("rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                payloads[rec.rec_headers.get_header("WARC-Record-ID")] = (
                    rec.rec_headers.get_header("WARC-Target-URI"),
                    rec.content_stream().read(),
                )
    document = metsrw.METSDocument.fromfile(str(dest / "data" / "mets.xml"))
    linked = {}
    for entry in document.all_files():
        if entry.type != "Item" or "article_files/" not in (entry.path or ""):
            continue
        [event] = [e for e in entry.get_premis_events() if e.event_type == "capture"]
        assert "bagsmith" in {a.agent_name for a in entry.get_premis_agents()}
        note = event.findtext(
            "event_outcome_information/event_outcome_detail/event_outcome_detail_note"
        )
        fields = dict(part.split("=", 1) for part in note.split("; ") if "=" in part)
        uri, body = payloads[fields["WARC-Record-ID"]]
        assert uri == fields["WARC-Target-URI"]
        assert (dest / "data" / entry.path).read_bytes() == body
        linked[entry.path.rsplit("/", 1)[1]] = uri
    assert linked == {
        "big.jpg": site.url("/img/big.jpg"),
        "lazy.jpg": site.url("/img/lazy.jpg"),
        "lead.jpg": site.url("/img/lead.jpg"),
        "picture.jpg": site.url("/img/picture.jpg"),
        "site.css": site.url("/static/site.css"),
    }
    # the capture as a whole: the WARC's own capture event names the warcinfo record
    warc_entry = next(f for f in document.all_files() if f.path == "capture/capture.warc.gz")
    [event] = [e for e in warc_entry.get_premis_events() if e.event_type == "capture"]
    note = event.findtext(
        "event_outcome_information/event_outcome_detail/event_outcome_detail_note"
    )
    assert "warcinfo WARC-Record-ID=<urn:uuid:" in note and "broken.jpg" in note


def test_missing_schemas_are_found_before_any_request(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(tmp_path / "no-schemas"))
    code, _, err = capture(site.url("/harbour"), tmp_path / "bag")
    assert code == 1 and "error[schema-cache]" in err and "bagsmith schemas install" in err
    assert site.log == [] and not (tmp_path / "bag").exists()
