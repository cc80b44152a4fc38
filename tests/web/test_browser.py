"""scraper serve in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) through Selenium. The pages render, filters and search work, nothing
archived runs, and the README's screenshots are taken (docs/screenshots/).

Skipped, with the reason, when Chromium or its driver is missing (``apt-get install chromium
chromium-driver``); with ``SCRAPER_REQUIRE_BROWSER=1`` (set by .ci/run) a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import Served, start_server, stop_server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             "/usr/bin/chromium") if p and Path(p).exists()), None)
DRIVER = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver")
               if p and Path(p).exists()), None)
MISSING = ("Chromium is not installed" if CHROMIUM is None else
           "chromedriver is not installed" if DRIVER is None else None)

if MISSING and os.environ.get("SCRAPER_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"{MISSING}, and SCRAPER_REQUIRE_BROWSER=1: install chromium chromium-driver")
pytestmark = pytest.mark.skipif(
    MISSING is not None,
    reason=f"browser tests skipped: {MISSING} (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--hide-scrollbars", "--lang=en-US",
                "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``make demo``'s archive (the fixture web polled once), served."""
    import contextlib
    import io

    from scraper.demo import main as demo_main

    root = tmp_path_factory.mktemp("demo")
    db = root / "archive" / "demo.duckdb"  # shown as make demo's archive/demo.duckdb
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert demo_main(["--db", str(db)]) == 0
    assert "scraper serve --db" in out.getvalue()
    server = start_server(db, cwd=root)
    try:
        yield server
    finally:
        stop_server(server)


def _navigates(driver, action) -> None:  # type: ignore[no-untyped-def]
    """Run ``action`` (a click, a submit) and wait for the next page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    action()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(page))


def _no_side_effects(driver) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import NoAlertPresentException

    assert driver.execute_script("return window.__pwned === undefined")
    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        pytest.fail(f"an archived script opened a dialog: {text!r}")
    except NoAlertPresentException:
        pass
    logs = [e["message"] for e in driver.get_log("browser")]
    # CSP would stop inline script too; a report here would mean archived markup was rendered
    assert not [m for m in logs if "Content Security Policy" in m or "pwned" in m], logs


def test_pages_render_and_screenshots(browser, demo: Served) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.get(demo.url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sources"
    rows = browser.find_elements(By.CSS_SELECTOR, "table.sources tbody tr")
    assert {r.find_element(By.TAG_NAME, "a").text for r in rows} == {"developpez", "dailyledger"}
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    browser.save_screenshot(str(SCREENSHOTS / "sources.png"))

    browser.get(demo.url + "articles")
    titles = browser.find_elements(By.CSS_SELECTOR, "table.articles a.title")
    assert len(titles) == 5
    assert browser.find_elements(By.CSS_SELECTOR, "span.badge.truncated")
    browser.save_screenshot(str(SCREENSHOTS / "articles.png"))

    shadow = next(t for t in titles if "shadow AI" in t.text)
    _navigates(browser, shadow.click)
    assert "shadow AI" in browser.find_element(By.TAG_NAME, "h1").text
    evidence = browser.find_elements(By.CSS_SELECTOR, "table.evidence tbody tr")
    assert any("rules:notice" in r.text for r in evidence)
    assert browser.find_element(By.CSS_SELECTOR, "blockquote.notice").text.startswith("La fin de cet article")
    assert "<html" in browser.find_element(By.CSS_SELECTOR, "pre.source").get_attribute("textContent").lower()
    browser.save_screenshot(str(SCREENSHOTS / "article.png"))
    _no_side_effects(browser)


def test_search_box_and_filters(browser, demo: Served) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(demo.url)
    box = browser.find_element(By.CSS_SELECTOR, "header form.quick input[name=q]")
    box.send_keys('"shadow AI"')
    _navigates(browser, box.submit)
    assert "/articles?q=" in browser.current_url
    titles = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "table.articles a.title")]
    assert len(titles) == 1 and "shadow AI" in titles[0]
    marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".snippet mark")]
    assert marks[:2] == ["shadow", "AI"]

    browser.get(demo.url + "articles")
    Select(browser.find_element(By.NAME, "source")).select_by_visible_text("dailyledger")
    Select(browser.find_element(By.NAME, "access")).select_by_visible_text("truncated")
    _navigates(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.articles tbody tr")
    assert len(rows) == 1 and "dailyledger" in rows[0].text and "truncated" in rows[0].text
    assert "source=dailyledger" in browser.current_url and "access=truncated" in browser.current_url
    # the form keeps its choices, and reset clears them
    assert Select(browser.find_element(By.NAME, "source")).first_selected_option.text == "dailyledger"
    _navigates(browser, browser.find_element(By.LINK_TEXT, "reset").click)
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.articles tbody tr")) == 5


def test_hostile_article_runs_nothing(browser, served: Served) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    hostile = next(r["id"] for r in served.get("/api/articles?source=hostile").json()["articles"])
    browser.get_log("browser")  # start from an empty console
    for path in ("", "articles", "articles?source=hostile", "articles?q=hostile",
                 f"articles/{hostile}", f"articles/{hostile}/raw"):
        browser.get(served.url + path)
        _no_side_effects(browser)
        assert browser.execute_script("return document.scripts.length") == 0
        hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]
        assert not [h for h in hrefs if h.lower().startswith("javascript:")], path
    browser.get(served.url + f"articles/{hostile}")
    title = browser.find_element(By.TAG_NAME, "h1").text
    assert title.startswith("<script>window.__pwned") and "Hostile headline" in title
    assert not browser.find_elements(By.CSS_SELECTOR, "main img, main iframe, main svg, main style")
    text = browser.find_element(By.CSS_SELECTOR, "section.text").text
    assert '<a href="javascript:window.__pwned' in text
    # clicking everything the page offers still runs nothing
    for link in browser.find_elements(By.CSS_SELECTOR, "main a"):
        href = link.get_attribute("href") or ""
        assert href.startswith(served.url), href
    _no_side_effects(browser)
