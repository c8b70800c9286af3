"""A bundle ``{% staticall %}`` joins, in headless Chromium, resolved as devtools resolve it (issue 13).

The page runs the bundle through nginx (the generated config, which serves only stamped names), a
member throws, and the line Chromium reports is resolved through the bundle's index map with
Mozilla's ``source-map`` library (what devtools and error trackers use): it must lead back to the
member file and the line, and through a member's own map to the TypeScript it came from.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.template import Context, Template

from devservers.mongo import cache_dir
from devservers.nginx import Nginx
from devservers.ports import free_port
from django_static_pipe.nginx_config import NginxOptions, full_config
from tests.conftest import T0, copy_assets
from tests.deploy.test_browser import browser, responses, wait_for  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.nginx]

LOCK_FOLDER = Path(__file__).with_name("source_map_js")

FIRST_JS = "// first.js\nwindow.first = 1;\n"
SECOND_JS = (
    "// second.js\n"  # line 1
    "function second() {\n"  # line 2
    "  var here = 'second';\n"  # line 3
    "  throw new Error('thrown in ' + here);\n"  # line 4: the line a stack names
    "}\n"
)
# As tsc writes it: app.js with a map back to ../src/app.ts, where the throw is on line 10.
APP_JS = (
    "var App = (function () {\n"
    "    function App() {}\n"
    "    App.prototype.fail = function () {\n"
    "        throw new Error('thrown in app.ts');\n"
    "    };\n"
    "    return App;\n"
    "}());\n"
    "//# sourceMappingURL=app.js.map\n"
)
APP_MAP = (
    '{"version":3,"file":"app.js","sources":["../src/app.ts"],"names":[],'
    '"mappings":"AAAA;AACA;AACA;AAOA;AACA;AACA;AACA"}'  # its 4th line (the throw) is line 10 of app.ts
)


def source_map_library() -> Path:
    """``dist/source-map.js`` (the browser build) of the locked version, unpacked once into the cache."""
    digest = hashlib.sha256((LOCK_FOLDER / "package-lock.json").read_bytes()).hexdigest()[:12]
    folder = cache_dir() / f"npm-source-map-{digest}"
    done = folder / ".installed"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                npm = shutil.which("npm")
                assert npm, "scripts/test installs npm"
                for name in ("package.json", "package-lock.json"):
                    shutil.copy(LOCK_FOLDER / name, folder / name)
                subprocess.run(
                    [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=folder, check=True, stdout=subprocess.DEVNULL, timeout=300,
                )  # fmt: skip
                done.touch()
    return folder / "node_modules" / "source-map" / "dist" / "source-map.js"


@pytest.fixture
def served(settings):
    """The pipeline over a private asset root, its save folder served by nginx under /cache-forever."""
    base = Path(tempfile.mkdtemp(prefix="static-pipe-maps-"))
    base.chmod(0o755)  # nginx's workers (nobody) read from here
    root = copy_assets(base / "assets")
    files = {"js/first.js": FIRST_JS, "js/second.js": SECOND_JS, "js/app.js": APP_JS, "js/app.js.map": APP_MAP}
    for name, text in files.items():
        (root / name).write_text(text)
        os.utime(root / name, (T0, T0))
    out = base / "out"
    settings.DJANGO_STATIC = True
    settings.DJANGO_STATIC_MEDIA_ROOTS = [str(root)]
    settings.DJANGO_STATIC_SAVE_PREFIX = str(out)
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    port = free_port()
    (base / "nginx").mkdir()
    config = full_config(NginxOptions(save_folder=str(out), name_prefix="/cache-forever", media_url="/media/",
                                      brotli=False, listen=f"127.0.0.1:{port}", run_dir=str(base / "nginx"),
                                      upstream=f"127.0.0.1:{free_port()}"))  # fmt: skip
    started: list[Nginx] = []
    try:
        yield base, out, port, lambda: started.append(Nginx(config, port, run_dir=str(base / "nginx")).start())
    finally:
        for nginx in started:
            nginx.stop()
        shutil.rmtree(base, ignore_errors=True)


RESOLVE = """
const [bundleUrl, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  // As devtools do: the last sourceMappingURL comment of the script, resolved against its URL.
  const script = await (await fetch(bundleUrl)).text();
  const comments = [...script.matchAll(/^\\/\\/# sourceMappingURL=(\\S+)\\s*$/gm)];
  const mapUrl = new URL(comments[comments.length - 1][1], bundleUrl).href;
  const response = await fetch(mapUrl);
  const consumer = new sourceMap.SourceMapConsumer(await response.json());
  const where = (stack) => {
    const [, line, column] = stack.match(/:(\\d+):(\\d+)\\)?\\s*$/m);
    const found = consumer.originalPositionFor({line: +line, column: +column - 1});
    return [found.source, found.line, +line];
  };
  return {status: response.status, mapUrl, second: where(window.caught.second), app: where(window.caught.app)};
})().then(done, (error) => done({error: String(error)}));
"""


def test_devtools_resolve_a_bundle_line_to_its_member_and_line(served, browser):  # noqa: F811
    _base, out, port, start_nginx = served
    body = Template(
        "{% load django_static %}{% staticall %}"
        '<script src="/js/first.js"></script>\n<script src="/js/second.js"></script>\n'
        '<script src="/js/app.js"></script>{% endstaticall %}'
    ).render(Context())
    assert body.strip() == f'<script src="/cache-forever/js/first_second_app.{T0}.js"></script>'
    bundle = out / f"js/first_second_app.{T0}.js"
    assert bundle.read_text().endswith(f"\n//# sourceMappingURL=/cache-forever/js/first_second_app.js.{T0}.map")
    library = out / f"lib/source-map.{T0}.js"  # a stamped-looking name: the nginx config serves only those
    library.parent.mkdir()
    shutil.copy(source_map_library(), library)
    page = out / f"page.{T0}.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8>"
        f'<script src="/cache-forever/lib/source-map.{T0}.js"></script>{body}'
        "<script>window.caught = {};"
        "try { second(); } catch (e) { window.caught.second = e.stack.split('\\n')[1]; }"
        "try { new App().fail(); } catch (e) { window.caught.app = e.stack.split('\\n')[1]; }</script>"
    )
    start_nginx()
    bundle_url = f"http://127.0.0.1:{port}/cache-forever/js/first_second_app.{T0}.js"
    browser.get(f"http://127.0.0.1:{port}/cache-forever/page.{T0}.html")
    wait_for(browser, "return window.caught && window.caught.second && window.caught.app")
    result = browser.execute_async_script(RESOLVE, bundle_url)
    assert "error" not in result, result
    assert result["status"] == 200  # the stamped map is served by the generated nginx config
    assert result["mapUrl"] == f"http://127.0.0.1:{port}/cache-forever/js/first_second_app.js.{T0}.map"
    lines = bundle.read_text().split("\n")
    source, line, bundle_line = result["second"]
    assert lines[bundle_line - 1] == "  throw new Error('thrown in ' + here);"  # Chromium's own line number
    assert (source, line) == ("/js/second.js", 4)
    source, line, bundle_line = result["app"]
    assert lines[bundle_line - 1] == "        throw new Error('thrown in app.ts');"
    assert (source, line) == ("/src/app.ts", 10)
    seen = responses(browser)
    assert seen[bundle_url][0] == 200
