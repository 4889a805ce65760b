"""The capture subsystem against a real local HTTP server, proved with the consumers: warcio
(check, index, its reader), py-wacz (validate) and pywb (replay)."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from bagsmith.capture import Capture, Limits, capture_page
from bagsmith.cli.flags import flag_name
from tests.capture_helpers import (
    ARTICLE,
    BIG,
    CSS,
    IMAGES,
    LAZY,
    LEAD,
    PICTURE,
    TEXT,
    Site,
    pywb,
    site,
)

__all__ = ["site"]  # the fixture

UA = "bagsmith-test/1.0 (+mailto:archive@example.org)"


def limits(**kw: object) -> Limits:
    values: dict[str, object] = {"user_agent": UA, "delay": 0.0, "timeout": 30.0, **kw}
    return Limits(**values)  # type: ignore[arg-type]


def run(site: Site, tmp_path: Path, path: str = "/harbour", **kw: object) -> Capture:
    folder = tmp_path / "work"
    folder.mkdir(parents=True)
    return capture_page(site.url(path), folder, limits(**kw), software="bagsmith test")


def records(warc: Path) -> list[dict[str, object]]:
    out = []
    with warc.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            out.append(
                {
                    "type": rec.rec_type,
                    "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                    "id": rec.rec_headers.get_header("WARC-Record-ID"),
                    "date": rec.rec_headers.get_header("WARC-Date"),
                    "concurrent": rec.rec_headers.get_header("WARC-Concurrent-To"),
                    "payload_digest": rec.rec_headers.get_header("WARC-Payload-Digest"),
                    "block_digest": rec.rec_headers.get_header("WARC-Block-Digest"),
                    "status": rec.http_headers.get_statuscode() if rec.http_headers else None,
                    "ua": rec.http_headers.get_header("User-Agent") if rec.http_headers else None,
                    "body": rec.content_stream().read(),
                    "version": rec.rec_headers.protocol,
                }
            )
    return out


def test_capture_writes_a_warc_that_warcio_checks_and_indexes(site: Site, tmp_path: Path) -> None:
    cap = run(site, tmp_path)
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(cap.warc)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    index = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "index", "-f", "warc-type,warc-target-uri,http:status",
         str(cap.warc)],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    assert lines[0] == {"warc-type": "warcinfo"}
    responses = [
        (x["warc-target-uri"], x["http:status"]) for x in lines if x["warc-type"] == "response"
    ]
    assert responses[:3] == [
        (site.url("/robots.txt"), "200"),
        (site.url("/harbour"), "301"),
        (site.url("/news/harbour"), "200"),
    ]
    assert (site.url("/img/broken.jpg"), "500") in responses
    assert sum(1 for x in lines if x["warc-type"] == "request") == len(responses)


def test_the_warc_records_every_exchange_with_dates_digests_and_the_settings(
    site: Site, tmp_path: Path
) -> None:
    cap = run(site, tmp_path)
    recs = records(cap.warc)
    assert all(r["version"] == "WARC/1.1" for r in recs)
    info = recs[0]
    assert info["type"] == "warcinfo" and info["id"] == cap.warcinfo_id
    text = info["body"].decode()  # type: ignore[union-attr]
    assert "software: bagsmith test" in text
    assert f"http-header-user-agent: {UA}" in text
    assert "robots: obey" in text and "bagsmith-max-resource-bytes: 33554432" in text
    by_id = {r["id"]: r for r in recs}
    for req in (r for r in recs if r["type"] == "request"):
        assert req["ua"] == UA
        assert by_id[req["concurrent"]]["type"] == "response"
    for resp in (r for r in recs if r["type"] == "response"):
        assert resp["date"] and resp["block_digest"] and resp["payload_digest"]
        sha1 = hashlib.sha1(resp["body"]).digest()  # type: ignore[arg-type]
        import base64

        assert resp["payload_digest"] == "sha1:" + base64.b32encode(sha1).decode()
    # the page's record is the one the capture names
    page = by_id[cap.page.record.response_id]  # type: ignore[union-attr]
    assert page["uri"] == site.url("/news/harbour") and TEXT.encode() in page["body"]  # type: ignore[operator]
    assert cap.final_url == site.url("/news/harbour") and cap.page.redirects == [
        site.url("/harbour")
    ]
    assert cap.status == 200 and cap.memento_datetime.endswith(" GMT")


def test_the_best_image_of_each_figure_is_captured_and_the_page_points_at_it(
    site: Site, tmp_path: Path
) -> None:
    cap = run(site, tmp_path)
    # srcset's largest, data-src's lazy image, <picture>'s source, the JSON-LD image
    assert [site.requested(p) for p in ("/img/big.jpg", "/img/lazy.jpg", "/img/picture.jpg")] == [
        1,
        1,
        1,
    ]
    assert site.requested("/img/lead.jpg") == 1
    assert site.requested("/img/small.jpg") == 0  # the smaller candidates are not fetched
    files = {r.url: r.file for r in cap.resources if r.file}
    expected = {"/img/big.jpg": BIG, "/img/lazy.jpg": LAZY, "/img/picture.jpg": PICTURE,
                "/img/lead.jpg": LEAD, "/static/site.css": CSS}  # fmt: skip
    for path, data in expected.items():
        assert (cap.folder / files[site.url(path)]).read_bytes() == data  # type: ignore[operator]
    html = cap.article.read_text(encoding="utf-8")
    for name in ("big.jpg", "lazy.jpg", "picture.jpg"):
        assert f'src="article_files/{name}"' in html
    assert 'href="article_files/site.css"' in html
    assert "srcset" not in html and "data-src" not in html and "<source" not in html
    assert f"saved from url=({len(cap.final_url):04d}){cap.final_url}" in html
    assert TEXT in html
    # the broken image is listed, keeps its (absolute) web address, and is still in the WARC
    [failed] = cap.failures
    assert failed.url == site.url("/img/broken.jpg") and failed.reason == "http-status"
    assert failed.status == 500 and failed.record is not None and "500" in (failed.error or "")
    assert f'src="{site.url("/img/broken.jpg")}"' in html


def test_the_wacz_is_valid_for_py_wacz_and_holds_the_warc_index_and_page(
    site: Site, tmp_path: Path
) -> None:
    cap = run(site, tmp_path)
    assert cap.wacz is not None
    done = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(cap.wacz)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "is valid" in done.stdout, done.stdout + done.stderr
    with zipfile.ZipFile(cap.wacz) as zf:
        names = set(zf.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl",
                "archive/capture.warc.gz"} <= names  # fmt: skip
        assert zf.read("archive/capture.warc.gz") == cap.warc.read_bytes()
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").splitlines()]
        assert pages[1]["url"] == cap.final_url
        assert any(n.startswith("indexes/") for n in names)


@pytest.mark.slow
def test_pywb_replays_the_article_and_its_images_from_the_warc(site: Site, tmp_path: Path) -> None:
    cap = run(site, tmp_path)
    with pywb(cap.warc, tmp_path / "pywb") as base:

        def get(url: str) -> bytes:
            with urllib.request.urlopen(url, timeout=30) as resp:
                data: bytes = resp.read()
                return data

        page = get(f"{base}/2030mp_/{cap.final_url}").decode("utf-8")
        assert TEXT in page and "The harbour in winter" in page
        for path in ("/img/big.jpg", "/img/lazy.jpg", "/img/picture.jpg"):
            assert get(f"{base}/2030id_/{site.url(path)}") == IMAGES[path]
        # the redirect replays too
        assert TEXT in get(f"{base}/2030mp_/{site.url('/harbour')}").decode("utf-8")


def test_requests_to_a_host_are_spaced_by_the_delay(site: Site, tmp_path: Path) -> None:
    run(site, tmp_path, delay=0.15)
    times = [t for *_, t, _ in site.log]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) >= 8 and min(gaps) >= 0.14


def test_requests_carry_the_user_agent_and_nothing_else_of_the_user(
    site: Site, tmp_path: Path
) -> None:
    run(site, tmp_path)
    for _path, ua, _t, headers in site.log:
        assert ua == UA
        assert not {"Cookie", "Authorization"} & set(headers)
        assert headers["Accept-Encoding"] == "identity"


def test_robots_txt_is_honoured_and_ignoring_it_is_recorded(site: Site, tmp_path: Path) -> None:
    site.add("/private/page", b"<html><body><p>secret</p></body></html>")
    from bagsmith.errors import CaptureError

    with pytest.raises(CaptureError) as caught:
        run(site, tmp_path, path="/private/page")
    assert caught.value.reason == "robots" and "ignore_robots=True" in str(caught.value)
    assert "capture it anyway with --ignore-robots" in caught.value.text(flag_name)  # the CLI
    assert site.requested("/private/page") == 0
    cap = run(site, tmp_path / "again", path="/private/page", honour_robots=False)
    assert cap.robots == "ignored" and cap.to_dict()["robots"] == "ignored"
    assert b"robots: ignore" in records(cap.warc)[0]["body"]  # type: ignore[operator]


def serve_chunked(handler: BaseHTTPRequestHandler) -> None:
    """The article in three chunks (Transfer-Encoding: chunked, no Content-Length)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    third = len(ARTICLE) // 3
    for part in (ARTICLE[:third], ARTICLE[third : 2 * third], ARTICLE[2 * third :], b""):
        handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")


def test_a_chunked_answer_is_stored_dechunked_and_checks(site: Site, tmp_path: Path) -> None:
    site.routes["/chunked"] = serve_chunked
    cap = run(site, tmp_path, path="/chunked")
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(cap.warc)], capture_output=True
    )
    assert check.returncode == 0
    [page] = [
        r for r in records(cap.warc) if r["type"] == "response" and r["uri"] == site.url("/chunked")
    ]
    assert page["body"] == ARTICLE and page["status"] == "200"
    with cap.warc.open("rb") as fh:  # the header went with the chunks
        assert b"Transfer-Encoding" not in b"".join(
            r.http_headers.to_bytes() for r in ArchiveIterator(fh) if r.http_headers
        )
    assert TEXT in cap.article.read_text(encoding="utf-8")
