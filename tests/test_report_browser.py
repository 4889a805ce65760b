"""The HTML report in a real headless browser (Debian chromium + chromium-driver, via selenium).

Proves what parsing cannot: the page loads with no request but itself and its data: images, logs
no console error, shows every figure, and an injected <script> is shown as text without running.
Screenshots are saved under tests/artifacts/ (gitignored) for people to look at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from bagsmith.pipeline.reporting import write_report
from tests.conftest import ROOT
from tests.report_helpers import HOSTILE_CAPTION, article_bag, hostile_article_bag, plain_bag

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent: apt-get install chromium chromium-driver (CI has it)",
)


@dataclass
class Loaded:
    requests: list[str]  # every URL the page asked for
    console: list[dict[str, object]]  # browser log entries of level SEVERE


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    os.environ["SE_OFFLINE"] = "1"  # selenium-manager must never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1600",
    ):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def load(driver: webdriver.Chrome, page: Path) -> Loaded:
    """Open ``page`` by file:// URL; the requests and console errors of this load only."""
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(page.as_uri())
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return Loaded(requests, severe)


def assert_offline_and_clean(loaded: Loaded, page: Path) -> None:
    assert page.as_uri() in loaded.requests, "the network log did not record the page itself"
    foreign = [u for u in loaded.requests if u != page.as_uri() and not u.startswith("data:")]
    assert foreign == []
    assert loaded.console == []


def all_images_decoded(driver: webdriver.Chrome) -> bool:
    return bool(
        driver.execute_script(
            "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )
    )


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def test_the_harness_sees_requests_and_scripts(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """Control: a page without the report's CSP that loads a URL and runs a script is caught."""
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><title>t</title><img src="http://127.0.0.1:9/x.png" alt="x">'
        "<script>document.title = 'ran'</script>",
        encoding="utf-8",
    )
    loaded = load(browser, page)
    assert "http://127.0.0.1:9/x.png" in loaded.requests
    assert browser.title == "ran"


def test_seed_article_report(browser: webdriver.Chrome, seed_article: Path, tmp_path: Path) -> None:
    bag = article_bag(tmp_path, seed_article, name="seed-bag")
    html = tmp_path / "seed-report.html"
    result = write_report(bag, html, deposits=False)
    loaded = load(browser, html)
    assert_offline_and_clean(loaded, html)
    record = json.loads((bag / "data/metadata/article.json").read_text(encoding="utf-8"))
    shown = browser.find_elements(By.CSS_SELECTOR, "figure.figure")
    assert len(shown) == len(record["figures"]) == result.figures == 69
    assert len(browser.find_elements(By.CSS_SELECTOR, "figure.figure img")) == 69
    assert all_images_decoded(browser)
    assert browser.title == "Bag report: seed-bag"
    screenshot(browser, "report-seed.png")


def test_injected_script_is_text_and_does_not_run(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    bag = hostile_article_bag(tmp_path)
    html = tmp_path / "hostile-report.html"
    write_report(bag, html, deposits=False)
    loaded = load(browser, html)
    assert_offline_and_clean(loaded, html)
    assert browser.title == "Bag report: hostile-bag"
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.find_elements(By.CSS_SELECTOR, "main script, main img:not([src^='data:'])") == []
    figure = browser.find_element(By.CSS_SELECTOR, "figure[data-number='2']")
    assert figure.find_element(By.TAG_NAME, "figcaption").text == HOSTILE_CAPTION
    assert figure.find_element(By.TAG_NAME, "img").get_attribute("alt") == HOSTILE_CAPTION
    assert len(browser.find_elements(By.CSS_SELECTOR, "figure.figure")) == 3
    browser.execute_script("arguments[0].scrollIntoView()", figure)
    screenshot(browser, "report-hostile-caption.png")


def test_plain_bag_report(browser: webdriver.Chrome, tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    html = tmp_path / "plain-report.html"
    write_report(bag, html, deposits=False)
    loaded = load(browser, html)
    assert_offline_and_clean(loaded, html)
    assert browser.find_elements(By.CSS_SELECTOR, "figure") == []
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.files img")) == 3
    assert all_images_decoded(browser)
    assert browser.find_element(By.CSS_SELECTOR, ".verdict").text.startswith("VALID")
    files = browser.find_element(By.ID, "files")
    browser.execute_script("arguments[0].scrollIntoView()", files)
    screenshot(browser, "report-plain-bag.png")
    nav = browser.find_element(By.TAG_NAME, "nav")
    assert nav.is_displayed()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not nav.is_displayed()  # the print stylesheet applies
        screenshot(browser, "report-plain-bag-print.png")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
