"""Loading a project's pages in headless Chromium (Debian's package): what was requested, what came back,
what the console said, and a screenshot of the whole page; screenshots compared pixel by pixel."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

OUTPUT = Path(os.environ.get("TEST_OUTPUT_DIR", Path(__file__).resolve().parents[2] / "test-output")) / "adoption"
#: A page taller than this is compared over its first this-many pixels (a changelist can be long).
MAX_HEIGHT = 4000
#: Chromium asks for /favicon.ico on its own, when it likes: not counted as one of the page's requests.
FAVICON = "/favicon.ico"


@dataclass(frozen=True)
class Page:
    """A page to load; ``setup`` runs first (to log in, say), ``ready`` is JS true once the page settled."""

    name: str
    path: str
    setup: Callable[[Any, str], None] | None = None
    ready: str = ""


@dataclass
class Visit:
    """What one load of a page did."""

    page: Page
    url: str
    shot: Path
    requests: list[str] = field(default_factory=list)  # every http(s) request, in order (favicon aside)
    responses: dict[str, tuple[int, str]] = field(default_factory=dict)  # URL → (status, resource type)
    errors: list[str] = field(default_factory=list)  # console messages at level SEVERE
    unapplied: list[str] = field(default_factory=list)  # linked stylesheets the page has no sheet for

    def of_type(self, *kinds: str) -> dict[str, int]:
        return {url: status for url, (status, kind) in self.responses.items() if kind in kinds}


def wait_for(driver: Any, script: str, timeout: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


# Resolves once the fonts are in, every image is decoded, and two frames have been painted since.
SETTLE = """
const done = arguments[arguments.length - 1];
document.fonts.ready
  .then(() => Promise.all([...document.images].map((img) => img.decode().catch(() => null))))
  .then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));
"""

UNAPPLIED = "return [...document.querySelectorAll('link[rel~=stylesheet]')].filter((l) => !l.sheet).map((l) => l.href);"


def load(driver: Any, base_url: str, page: Page, shot: Path) -> Visit:
    """Run the page's setup, then load it with the logs drained first, so they hold this load only."""
    if page.setup is not None:
        page.setup(driver, base_url)
    driver.get_log("performance")
    driver.get_log("browser")
    url = base_url + page.path
    driver.get(url)
    wait_for(driver, "return document.readyState === 'complete'")
    if page.ready:
        from selenium.common.exceptions import TimeoutException

        try:
            wait_for(driver, page.ready)
        except TimeoutException:
            console = "\n".join(entry["message"] for entry in driver.get_log("browser"))
            raise AssertionError(f"{url}: never ready ({page.ready}); the console said:\n{console}") from None
    driver.execute_async_script(SETTLE)
    result = Visit(page=page, url=url, shot=shot)
    result.unapplied = driver.execute_script(UNAPPLIED)
    screenshot(driver, shot)
    _read_network(driver.get_log("performance"), result)
    result.errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return result


def _read_network(entries: list[dict[str, Any]], result: Visit) -> None:
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if urlsplit(url).scheme in ("http", "https") and urlsplit(url).path != FAVICON:
                result.requests.append(url)
        elif message["method"] == "Network.responseReceived":
            url = params["response"]["url"]
            if urlsplit(url).scheme in ("http", "https") and urlsplit(url).path != FAVICON:
                result.responses[url] = (params["response"]["status"], params["type"])


def screenshot(driver: Any, path: Path) -> None:
    """The whole page (up to MAX_HEIGHT), not only the window, as a PNG."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], MAX_HEIGHT), "scale": 1}
    options = {"format": "png", "captureBeyondViewport": True, "clip": clip}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", options)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def differing_pixels(before: Path, after: Path, diff: Path) -> tuple[int, int]:
    """``(differing, total)`` pixels over the larger of the two sizes (a pixel only one image has differs);
    the differing ones are painted red on a faded copy of ``after``, saved as ``diff``."""
    from PIL import Image, ImageChops

    first = Image.open(before).convert("RGB")
    second = Image.open(after).convert("RGB")
    width, height = max(first.width, second.width), max(first.height, second.height)
    canvas_first = Image.new("RGB", (width, height), (255, 0, 255))
    canvas_first.paste(first)
    canvas_second = Image.new("RGB", (width, height), (0, 255, 0))
    canvas_second.paste(second)
    red, green, blue = ImageChops.difference(canvas_first, canvas_second).split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)  # any channel off by any amount
    mask = largest.point(lambda value: 255 if value else 0)
    differing = mask.histogram()[255]
    faded = Image.blend(canvas_second, Image.new("RGB", (width, height), (255, 255, 255)), 0.7)
    faded.paste(Image.new("RGB", (width, height), (255, 0, 0)), mask=mask)
    faded.save(diff)
    return differing, width * height
