"""One way to start headless Chromium (Debian's package) for the browser tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def chromium(window: tuple[int, int] = (1280, 1000)) -> Iterator[Any]:
    """A fresh headless Chromium with an empty profile (empty cache, no cookies), logging the console
    and the network, rendering the same way on every run (no scrollbars, sRGB, scale 1)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    assert os.path.exists(binary) and os.path.exists(driver_path), "scripts/test installs chromium and chromium-driver"
    profile = tempfile.mkdtemp(prefix="static-pipe-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={window[0]},{window[1]}", "--force-device-scale-factor=1",
                 "--hide-scrollbars", "--force-color-profile=srgb", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
