"""Headless Chromium (Debian's package) against the example site through nginx."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.chromium import chromium

pytestmark = [pytest.mark.browser, pytest.mark.nginx, pytest.mark.mongo]

OUTPUT = Path(os.environ.get("TEST_OUTPUT_DIR", Path(__file__).resolve().parents[2] / "test-output"))


@pytest.fixture
def browser():
    with chromium(window=(1200, 900)) as driver:
        yield driver


def responses(driver) -> dict[str, tuple[int, str]]:
    """URL → (status, resource type) for every response the page received."""
    seen: dict[str, tuple[int, str]] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived":
            params = message["params"]
            seen[params["response"]["url"]] = (params["response"]["status"], params["type"])
    return seen


def wait_for(driver, script: str, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def test_the_example_site_in_a_browser(deployed, browser, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    browser.get(deployed.base_url + "/")
    wait_for(browser, "return document.readyState === 'complete' && document.documentElement.dataset.deferred")
    wait_for(browser, "return document.fonts.status === 'loaded'")

    # The minified, combined scripts ran in order, the deferred one too, and the inline one.
    marks = browser.execute_script(
        "const d = document.documentElement.dataset; return [d.app, d.widgets, d.deferred, d.inline];"
    )
    assert marks == ["ran", "ran", "ran", "ran"]
    assert browser.find_element(By.ID, "status").text == "scripts ran: app, widgets"
    assert browser.execute_script("return window.vendorLib && window.vendorLib.ready") is True

    # The rewritten CSS references are applied: stamped image, stamped SVG, the web font.
    body_background = browser.execute_script("return getComputedStyle(document.body).backgroundImage")
    assert "/cache-forever/img/pattern." in body_background
    logo_background = browser.execute_script("return getComputedStyle(document.querySelector('.logo')).backgroundImage")
    assert "/cache-forever/img/logo." in logo_background
    assert browser.execute_script("return document.fonts.check('64px Pipe')") is True
    assert browser.execute_script("return document.getElementById('welcome').naturalWidth") == 320

    # An upload through the form lands in GridFS and comes back through nginx.
    upload = tmp_path / "browser-upload.png"
    Image.new("RGB", (64, 48), (20, 160, 90)).save(upload)
    browser.find_element(By.ID, "id_title").send_keys("From the browser")
    browser.find_element(By.ID, "id_image").send_keys(str(upload))
    browser.find_element(By.CSS_SELECTOR, ".upload button").click()
    wait_for(
        browser,
        "return document.querySelector('img.upload-image') && document.querySelector('img.upload-image').complete",
    )
    assert browser.execute_script("return document.querySelector('img.upload-image').naturalWidth") == 64

    seen = responses(browser)
    by_type: dict[str, list[int]] = {}
    for url, (status, kind) in seen.items():
        by_type.setdefault(kind, []).append(status)
        if kind in ("Stylesheet", "Script", "Image", "Font"):
            assert status == 200, (url, status)
    for kind in ("Stylesheet", "Script", "Image", "Font"):
        assert by_type.get(kind), f"no {kind} was loaded: {seen}"
    assert any("/media/photos/browser-upload" in url and status == 200 for url, (status, _k) in seen.items())

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "example-site.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
