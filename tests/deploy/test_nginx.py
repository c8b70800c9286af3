"""nginx with the generated configuration in front of the example site under gunicorn."""

from __future__ import annotations

import gzip
import http.client
import re
import subprocess
import sys

import brotli
import pytest

from devservers.nginx import Nginx, nginx_binary
from devservers.ports import free_port
from tests.deploy.conftest import EXAMPLE, example_env, run_manage

pytestmark = [pytest.mark.nginx, pytest.mark.mongo]

FAR_FUTURE = "Thu, 31 Dec 2037 23:55:55 GMT"
CACHE_FOREVER = "public, max-age=315360000, immutable"


def get(deployed, path: str, **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", deployed.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


def page_assets(deployed) -> dict[str, str]:
    status, _headers, body = get(deployed, "/")
    assert status == 200
    html = body.decode()
    return {
        "css": re.search(r'href="(/cache-forever/css/site_layout\.min\.[0-9a-f]{12}\.css)"', html).group(1),
        "js": re.search(r'src="(/cache-forever/js/vendor_app_widgets\.min\.[0-9a-f]{12}\.js)"', html).group(1),
        "png": re.search(r'src="(/cache-forever/img/welcome\.[0-9a-f]{12}\.png)"', html).group(1),
    }


def test_stamped_files_have_far_future_headers_in_one_cache_control(deployed):
    for path in page_assets(deployed).values():
        status, headers, body = get(deployed, path)
        assert status == 200, path
        assert headers.get_all("Cache-Control") == [CACHE_FOREVER], path
        assert headers.get_all("Expires") == [FAR_FUTURE], path
        assert body == (deployed.save_folder / path.removeprefix("/cache-forever/")).read_bytes()


def test_gzip_sibling_for_clients_that_accept_it(deployed):
    css = page_assets(deployed)["css"]
    on_disk = deployed.save_folder / css.removeprefix("/cache-forever/")
    status, headers, body = get(deployed, css, **{"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert body == on_disk.with_name(on_disk.name + ".gz").read_bytes()
    assert gzip.decompress(body) == on_disk.read_bytes()
    status, headers, body = get(deployed, css)
    assert status == 200 and headers["Content-Encoding"] is None and body == on_disk.read_bytes()


def test_brotli_sibling_for_clients_that_accept_it(deployed):
    js = page_assets(deployed)["js"]
    status, headers, body = get(deployed, js, **{"Accept-Encoding": "br"})
    assert (status, headers["Content-Encoding"]) == (200, "br")
    assert brotli.decompress(body) == (deployed.save_folder / js.removeprefix("/cache-forever/")).read_bytes()


def test_temporary_names_missing_stamps_and_the_manifest_are_404_and_never_cached(deployed):
    (deployed.save_folder / "css" / ".static-pipe-tmp-abc123.tmp").write_text("half a file")
    for path in [
        "/cache-forever/css/.static-pipe-tmp-abc123.tmp",
        "/cache-forever/css/site_layout.min.000000000000.css",
        "/cache-forever/static-pipe-manifest.json",
        "/cache-forever/css/site.css",
        "/cache-forever/../config/settings.py",
    ]:
        status, headers, _body = get(deployed, path)
        assert status in (400, 404), path
        # A name this server has not built yet must not stay broken in browsers and CDNs for ten years.
        assert headers.get_all("Cache-Control") is None and headers.get_all("Expires") is None, path


def test_a_page_and_a_gridfs_image_are_proxied_through(deployed):
    status, headers, body = get(deployed, "/")
    assert status == 200 and b"/cache-forever/" in body
    upload = run_manage(
        EXAMPLE,
        deployed.env,
        "shell",
        "-c",
        "from django.core.files.base import ContentFile; from gallery.models import Photo;"
        "p = Photo(title='Through nginx');"
        "p.image.save('through.png', ContentFile(open('" + str(EXAMPLE / "assets/img/welcome.png") + "','rb').read()));"
        "print(p.image.url)",
    )
    url = upload.stdout.strip().splitlines()[-1]
    assert url.startswith("/media/photos/through")
    status, headers, body = get(deployed, url)
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert body == (EXAMPLE / "assets/img/welcome.png").read_bytes()
    assert headers["ETag"] and headers["X-Content-Type-Options"] == "nosniff"
    status, headers, part = get(deployed, url, Range="bytes=0-7")
    assert (status, part) == (206, body[:8])
    status, _headers, _body = get(deployed, url, **{"If-None-Match": headers["ETag"]})
    assert status == 304


def test_nginx_t_accepts_the_full_config_as_printed_on_a_fresh_machine(tmp_path):
    # Nothing made beforehand but an empty folder for nginx's prefix: no run-time folder, no cache folder.
    env = example_env(tmp_path / "var", None)
    config = run_manage(EXAMPLE, env, "static_pipe_nginx", "--full", "--listen", f"127.0.0.1:{free_port()}").stdout
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    checked = Nginx(config, 0, run_dir=str(prefix)).test_config()
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr


def test_nginx_t_accepts_the_full_config_with_a_run_dir_it_makes(tmp_path):
    env = example_env(tmp_path / "var", None)
    run = tmp_path / "not" / "there" / "yet"
    printed = run_manage(EXAMPLE, env, "static_pipe_nginx", "--full", "--listen", f"127.0.0.1:{free_port()}",
                         "--run-dir", str(run))  # fmt: skip
    assert run.is_dir() and f"created the run-time folder {run}" in printed.stderr
    binary = nginx_binary()
    assert binary
    (tmp_path / "nginx.conf").write_text(printed.stdout)
    checked = subprocess.run([binary, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_location_blocks_alone(tmp_path):
    env = example_env(tmp_path, None)
    blocks = run_manage(EXAMPLE, env, "static_pipe_nginx").stdout
    assert blocks.startswith("# django-static-pipe: location blocks for your server { }")
    assert f'alias "{tmp_path}/cache-forever/";' in blocks
    assert "location ^~ /cache-forever/ {" in blocks and "location ^~ /static/ {" in blocks
    assert "location ^~ /media/ {" in blocks and "location / {" in blocks
    assert "expires max" not in blocks.replace("`expires max`", "")


def test_nginx_command_needs_a_name_prefix(tmp_path):
    env = example_env(tmp_path, None, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "shell", "-c",
         "from django.test import override_settings; from django.core.management import call_command\n"
         "with override_settings(DJANGO_STATIC_NAME_PREFIX=''):\n    call_command('static_pipe_nginx')"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "DJANGO_STATIC_NAME_PREFIX is empty" in result.stderr
