"""A module graph stamped by {% staticall %} (three files, a cycle, a dynamic import) runs in headless
Chromium from under the cache-forever prefix: the modules find each other by their stamped URLs."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

import pytest
from django.template import Context, Template
from django.urls import clear_url_caches

from tests.deploy.test_browser import browser, responses, wait_for  # noqa: F401  (the fixture)
from tests.pipeline.test_dropin import MODULE_A, MODULE_B, MODULE_C

pytestmark = [pytest.mark.browser]

MAIN = """import { a, later } from "./a.js";
const c = await later();
document.body.dataset.result = a() + ":" + c;
"""


@dataclass
class Served:
    url: str


@pytest.fixture
def served(site, settings):
    """The project under Django's own threaded development server (the runserver helper's URLs)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    settings.DEBUG = True
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    settings.ROOT_URLCONF = "tests.dev_urls"
    sys.modules.pop("tests.dev_urls", None)
    clear_url_caches()

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        sys.modules.pop("tests.dev_urls", None)
        clear_url_caches()


@pytest.mark.parametrize("tag", ["staticall", "slimall"])
def test_the_stamped_module_graph_runs_in_chromium(site, served, browser, tag):  # noqa: F811
    site.write("/js/mod/a.js", MODULE_A)
    site.write("/js/mod/b.js", MODULE_B)
    site.write("/js/mod/lib/c.js", MODULE_C)
    site.write("/js/mod/main.js", MAIN)
    body = Template(
        "{% load django_static %}{% "
        + tag
        + ' %}<script type="module" src="/js/mod/main.js"></script>{% end'
        + tag
        + " %}"
    ).render(Context())
    (site.out / "page.html").write_text(f"<!doctype html><html><head>{body}</head><body></body></html>")
    browser.get(served.url + "/cache-forever/page.html")
    assert wait_for(browser, "return document.body.dataset.result") == "abc:c"
    scripts = {
        url: status
        for url, (status, kind) in responses(browser).items()
        if kind == "Script" and url.startswith(served.url)
    }
    assert len(scripts) == 4 and set(scripts.values()) == {200}
    assert all("/cache-forever/js/mod/" in url for url in scripts)
    # Chromium asks for /favicon.ico on its own whatever the page links; nothing else may fail.
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "/favicon.ico " not in e["message"]]
    assert severe == []
