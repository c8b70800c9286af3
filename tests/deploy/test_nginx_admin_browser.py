"""The admin in headless Chromium through the generated configuration: styled, every file 200, no
console error (with DEBUG off, STATIC_URL is nginx's to serve, from what collectstatic gathered)."""

from __future__ import annotations

import pytest

from tests.deploy.test_browser import browser, responses, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.nginx, pytest.mark.mongo]

__all__ = ["browser"]


def test_the_admin_is_styled_and_loads_every_file(deployed, browser):
    browser.get(deployed.base_url + "/admin/login/")
    wait_for(browser, "return document.readyState === 'complete'")
    header = browser.execute_script("return getComputedStyle(document.getElementById('header')).backgroundColor")
    assert header not in ("", "rgba(0, 0, 0, 0)", "transparent"), header
    seen = responses(browser)
    files = {url: status for url, (status, kind) in seen.items() if kind in ("Stylesheet", "Script", "Image", "Font")}
    assert any("/static/admin/css/" in url for url in files) and any("/static/admin/js/" in url for url in files)
    assert all(status == 200 for status in files.values()), files
    # The admin names no icon, so Chromium may ask for /favicon.ico, which the example site has not.
    logged = browser.get_log("browser")
    errors = [entry for entry in logged if entry["level"] == "SEVERE" and "/favicon.ico " not in entry["message"]]
    assert errors == []
