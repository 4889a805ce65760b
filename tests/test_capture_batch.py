"""`bagsmith batch` with url rows: each page captured and packaged as `bagsmith capture` does,
a page that cannot be captured reported without stopping the others, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from tests.capture_helpers import ARTICLE, Site, article_site, serve


def batch(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["batch", *args, "--workers", "1", "--delay", "0", "--no-profile", "--json"]
    )
    return result.exit_code, result.stdout, result.stderr


def test_url_rows_are_captured_packaged_and_resumed(tmp_path: Path, schema_cache: Path) -> None:
    site = article_site(broken=False)
    with serve(site):
        manifest = tmp_path / "pages.csv"
        manifest.write_text(
            "url,name,info:External-Identifier\n"
            f"{site.url('/harbour')},,urn:example:harbour\n"
            f"{site.url('/news/later')},later,urn:example:later\n",
            encoding="utf-8",
        )
        out = tmp_path / "out"
        code, stdout, _ = batch(str(manifest), "--output", str(out))
        assert code == 1
        report = json.loads(stdout)
        by_name = {o["name"]: o for o in report["outcomes"]}
        assert by_name["harbour"]["status"] == "packaged" and by_name["harbour"]["valid"]
        assert by_name["harbour"]["source"] == site.url("/harbour")
        failed = by_name["later"]
        assert failed["status"] == "failed" and failed["source"] == site.url("/news/later")
        [problem] = failed["problems"]
        assert problem["code"] == "capture" and problem["reason"] == "http-status"
        assert "answered 404" in problem["message"]
        assert not (out / "later").exists()
        bag = out / "harbour"
        info = (bag / "bag-info.txt").read_text(encoding="utf-8")
        assert "Bag-Count: 1 of 2" in info and "External-Identifier: urn:example:harbour" in info
        rec = json.loads((bag / "data/capture/capture.json").read_text(encoding="utf-8"))
        assert rec["final_url"] == site.url("/news/harbour")
        assert CliRunner().invoke(main, ["validate", str(bag)]).exit_code == 0
        # the page is published later: resume captures it and keeps the finished bag
        site.add("/news/later", ARTICLE.replace(b"/img/broken.jpg", b"/img/small.jpg"))
        fetched = site.requested("/news/harbour")
        code, stdout, _ = batch(str(manifest), "--output", str(out), "--resume")
        assert code == 0
        statuses = {o["name"]: o["status"] for o in json.loads(stdout)["outcomes"]}
        assert statuses == {"harbour": "skipped", "later": "packaged"}
        assert site.requested("/news/harbour") == fetched  # not captured again
        assert "Bag-Count: 2 of 2" in (out / "later" / "bag-info.txt").read_text(encoding="utf-8")


def test_a_json_manifest_takes_urls_too(tmp_path: Path, schema_cache: Path) -> None:
    site: Site = article_site(broken=False)
    with serve(site):
        manifest = tmp_path / "pages.json"
        manifest.write_text(json.dumps([{"url": site.url("/news/harbour")}]), encoding="utf-8")
        code, stdout, _ = batch(str(manifest), "--output", str(tmp_path / "out"))
    assert code == 0, stdout
    [outcome] = json.loads(stdout)["outcomes"]
    assert outcome["name"] == "harbour" and outcome["status"] == "packaged"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("url,article\nhttp://127.0.0.1:9/a,a.txt\n", "pages.csv:2 (field url): give either"),
        ("url,images\nhttp://127.0.0.1:9/a,img\n", "pages.csv:2 (field images): a captured page"),
        ("url\nftp://127.0.0.1/a\n", "pages.csv:2 (field url): only http and https"),
        ("url\nhttp://ann:pw@127.0.0.1/a\n", "pages.csv:2 (field url): the URL carries"),
        ("name\nx\n", "pages.csv:1 (field article): the header has no 'article' (or 'url')"),
    ],
)
def test_a_bad_url_row_stops_the_batch_before_anything_is_written(
    tmp_path: Path, text: str, words: str
) -> None:
    manifest = tmp_path / "pages.csv"
    manifest.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["batch", str(manifest), "--output", str(tmp_path / "out"), "--workers", "1"]
    )
    assert result.exit_code == 2 and words in result.stderr
    assert not (tmp_path / "out").exists()
