"""A project on FileSystemStorage behind the printed configuration, unmodified, with relative run-time
paths (``nginx -p``): the admin's files from STATIC_ROOT, uploads from MEDIA_ROOT, Django's pages
compressed, and no caching header on anything but a success."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator

import pytest

from django_static_pipe.media_types import SANDBOX_POLICY
from django_static_pipe.nginx_site import BROTLI_FILTER_MODULE, find_module
from tests.deploy.nginx_sites import Served, serve_example

pytestmark = [pytest.mark.nginx]

FOREVER = "public, max-age=315360000, immutable"
FAR_FUTURE = "Thu, 31 Dec 2037 23:55:55 GMT"
SHORT = "public, max-age=60, must-revalidate"


@pytest.fixture(scope="module")
def site() -> Iterator[Served]:
    served = serve_example(None, run_dir=False)
    try:
        yield served
    finally:
        served.stop()


def admin_assets(site: Served) -> list[str]:
    page = site.get("/admin/login/")
    assert page.status == 200
    found = re.findall(r'(?:href|src)="(/static/admin/[^"]+)"', page.body.decode())
    assert any(url.endswith(".css") for url in found) and any(url.endswith(".js") for url in found), found
    return found


def test_the_printed_configuration_has_relative_run_time_paths(site):
    assert 'pid "nginx.pid";' in site.config and 'proxy_temp_path "proxy";' in site.config
    assert str(site.var / "nginx-prefix") not in site.config
    assert (site.var / "nginx-prefix" / "nginx.pid").exists()


def test_the_admin_files_come_from_static_root_with_hashed_names_cached_forever(site):
    for url in admin_assets(site):
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
        answer = site.get(url)
        assert answer.status == 200, url
        assert answer.body == (site.var / "static" / url.removeprefix("/static/")).read_bytes()
        assert answer.all("Cache-Control") == [FOREVER], url
        assert answer.all("Expires") == [FAR_FUTURE], url
        assert answer.header("X-Content-Type-Options") == "nosniff"


def test_static_files_without_a_gz_sibling_are_compressed_on_the_fly(site):
    css = next(url for url in admin_assets(site) if url.endswith(".css"))
    answer = site.get(css, Accept_Encoding="gzip")
    assert answer.header("Content-Encoding") == "gzip"
    assert gzip.decompress(answer.body) == (site.var / "static" / css.removeprefix("/static/")).read_bytes()
    assert "Accept-Encoding" in answer.all("Vary")


def test_names_without_a_hash_get_a_short_max_age_and_revalidate(site):
    first = site.get("/static/admin/css/base.css")
    assert first.status == 200 and first.all("Cache-Control") == [SHORT] and first.all("Expires") == []
    etag = first.header("ETag")
    assert etag
    again = site.get("/static/admin/css/base.css", If_None_Match=etag)
    assert again.status == 304 and again.all("Cache-Control") == [SHORT]


def test_uploads_come_from_media_root(site):
    png = bytes.fromhex("89504e470d0a1a0a") + b"not really a picture, but named like one" * 10
    url = site.store("photos/holiday.png", png)
    assert url == "/media/photos/holiday.png"
    answer = site.get(url)
    assert answer.status == 200 and answer.body == png
    assert answer.header("Content-Type") == "image/png" and answer.header("Content-Disposition") is None
    assert answer.all("Cache-Control") == [SHORT] and answer.header("X-Content-Type-Options") == "nosniff"
    assert answer.header("Content-Security-Policy") == SANDBOX_POLICY
    assert site.get(url, Range="bytes=0-7").body == png[:8]


def test_pdf_uploads_are_inline_and_not_sandboxed(site):
    # As from the GridFS view: Chromium refuses to show a PDF in a sandboxed document.
    answer = site.get(site.store("docs/report.pdf", b"%PDF-1.4\n%%EOF\n"))
    assert (answer.status, answer.header("Content-Type")) == (200, "application/pdf")
    assert answer.header("Content-Disposition") is None and answer.header("Content-Security-Policy") is None


@pytest.mark.parametrize("name", ["page.html", "drawing.svg", "script.js", "unknown.xyz", "no-extension"])
def test_uploads_a_browser_would_run_are_downloads(site, name):
    url = site.store(f"uploads/{name}", b"<script>alert(document.domain)</script>")
    answer = site.get(url)
    assert answer.status == 200
    assert answer.header("Content-Type") == "application/octet-stream"
    assert answer.header("Content-Disposition") == "attachment"
    assert answer.header("X-Content-Type-Options") == "nosniff"
    assert answer.header("Content-Security-Policy") == SANDBOX_POLICY


def test_dot_files_are_never_served(site):
    (site.var / "static" / ".env").write_text("SECRET=1")
    (site.var / "media").mkdir(exist_ok=True)
    (site.var / "media" / ".upload-tmp").write_text("half")
    for path in ["/static/.env", "/media/.upload-tmp", "/static/admin/.git/config"]:
        assert site.get(path).status == 404, path


@pytest.mark.parametrize(
    "path",
    [
        "/static/admin/css/missing.css",
        "/static/admin/css/base.0123456789ab.css",
        "/media/photos/not-uploaded-yet.png",
        "/cache-forever/css/site_layout.min.0123456789ab.css",
        "/cache-forever/static-pipe-manifest.json",
    ],
)
def test_a_404_carries_no_caching_header(site, path):
    answer = site.get(path)
    assert answer.status == 404
    assert answer.all("Cache-Control") == [] and answer.all("Expires") == []


def test_a_redirect_under_a_prefix_carries_no_caching_header(site):
    # A folder whose name looks stamped: nginx answers 301 to add the slash; no far-future headers on it.
    (site.var / "cache-forever" / "odd.0123456789ab.js").mkdir()
    answer = site.get("/cache-forever/odd.0123456789ab.js")
    assert answer.status == 301
    assert answer.all("Cache-Control") == [] and answer.all("Expires") == []


def test_django_pages_arrive_gzipped(site):
    plain = site.get("/")
    zipped = site.get("/", Accept_Encoding="gzip")
    assert zipped.status == 200 and zipped.header("Content-Encoding") == "gzip"
    assert b"/cache-forever/" in gzip.decompress(zipped.body)
    assert len(zipped.body) < len(plain.body) * 0.7
    assert plain.header("Content-Encoding") is None


def test_django_pages_arrive_in_brotli_where_the_module_is_installed(site):
    import brotli

    if not find_module(BROTLI_FILTER_MODULE):
        assert "brotli on;" not in site.config
        pytest.skip("Debian's libnginx-mod-http-brotli-filter is not installed")
    answer = site.get("/admin/login/", Accept_Encoding="br, gzip")
    assert answer.status == 200 and answer.header("Content-Encoding") == "br"
    assert b"csrfmiddlewaretoken" in brotli.decompress(answer.body)
