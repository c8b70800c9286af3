"""``manage.py static_pipe_nginx`` read from the settings: which locations, which refusals, and that
every variant it prints is accepted by ``nginx -t`` as printed, whole or included in a user's own
``http { }`` and ``server { }``."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from devservers.nginx import nginx_binary
from django_static_pipe.media_types import INLINE_TYPES
from django_static_pipe.nginx_check import check_config
from django_static_pipe.nginx_config import INLINE_MEDIA_TYPES
from tests.media.conftest import gridfs_storages

pytestmark = [pytest.mark.nginx]

MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def printed(*arguments: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("static_pipe_nginx", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def project(settings: Any, tmp_path: Path) -> Any:
    """A project with a save folder, STATIC_ROOT behind a Manifest storage and MEDIA_ROOT on disk."""
    settings.DJANGO_STATIC_SAVE_PREFIX = str(tmp_path / "cache-forever")
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = MANIFEST
    return settings


def test_static_url_from_static_root_with_hashed_names_for_a_manifest_storage(project, tmp_path):
    locations, _ = printed()
    assert "location ^~ /static/ {" in locations and f'alias "{tmp_path}/static/";' in locations
    assert r'location ~ "^/static/(?:[^/]+/)*[^/]+\.[0-9a-f]{12}(?:\.[A-Za-z0-9]+)?$" {' in locations
    project.STORAGES = {**MANIFEST, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    plain, _ = printed()
    assert "location ^~ /static/ {" in plain and "[0-9a-f]{12}(?:" not in plain


@pytest.mark.parametrize(
    "change", [{"STATIC_ROOT": None}, {"STATIC_URL": "https://cdn.example.com/static/"}], ids=["no-root", "cdn"]
)
def test_no_static_location_when_the_files_are_not_on_this_disk(project, change):
    for name, value in change.items():
        setattr(project, name, value)
    locations, _ = printed()
    assert "location ^~ /static/" not in locations and "location / {" in locations


def test_media_url_from_media_root_for_a_file_system_storage(project, tmp_path):
    locations, _ = printed()
    assert "location ^~ /media/ {" in locations and f'alias "{tmp_path}/media/";' in locations
    assert "proxy_cache " not in locations and "default_type application/octet-stream;" in locations


def test_nginx_serves_inline_only_what_the_gridfs_view_serves_inline():
    assert set(INLINE_MEDIA_TYPES) <= INLINE_TYPES
    extensions = [extension for listed in INLINE_MEDIA_TYPES.values() for extension in listed.split()]
    assert len(extensions) == len(set(extensions))
    assert not {"html", "htm", "svg", "js", "mjs", "xml", "xhtml", "css", "json"} & set(extensions)


def test_an_unset_media_root_is_never_served(project):
    # FileSystemStorage would use the working folder: the project's own code.
    project.MEDIA_ROOT = ""
    locations, _ = printed()
    assert "location ^~ /media/" not in locations and f'alias "{os.getcwd()}/";' not in locations


def test_gridfs_media_goes_through_the_cache(project):
    project.STORAGES = {
        **gridfs_storages(uri="mongodb://127.0.0.1:9/", database="x"),
        "staticfiles": MANIFEST["staticfiles"],
    }
    locations, _ = printed()
    media = locations.split("location ^~ /media/ {")[1].split("\n}\n")[0]
    assert (
        "proxy_pass http://django_static_pipe_upstream;" in media and "proxy_cache django_static_pipe_media;" in media
    )
    assert "alias" not in media
    http, _ = printed("--http")
    assert 'proxy_cache_path "media-cache" levels=1:2 keys_zone=django_static_pipe_media:10m max_size=1g' in http


def test_an_unset_media_url_leaves_gridfs_media_to_django_and_says_so(project):
    project.STORAGES = {**gridfs_storages(uri="mongodb://127.0.0.1:9/"), "staticfiles": MANIFEST["staticfiles"]}
    project.MEDIA_URL = ""  # Django reads it as '/'
    config, said = printed("--full")
    assert "proxy_cache " not in config and "location / {" in config
    assert "GridFS media go to Django without nginx's cache; set MEDIA_URL" in said
    assert check_config(config).ok


def test_gridfs_under_another_alias_and_base_url(project):
    project.STORAGES = {
        **MANIFEST,
        "uploads": {
            "BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
            "OPTIONS": {"uri": "mongodb://127.0.0.1:9/", "base_url": "/uploads/"},
        },
    }
    project.DJANGO_STATIC_GRIDFS_STORAGE = "uploads"
    locations, _ = printed()
    assert "location ^~ /media/ {" in locations  # the default FileSystemStorage
    assert "location ^~ /uploads/ {" in locations and "proxy_cache django_static_pipe_media;" in locations


def test_another_storage_leaves_media_to_django(project):
    project.STORAGES = {**MANIFEST, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    locations, _ = printed()
    assert "location ^~ /media/" not in locations and "location / {" in locations


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("STATIC_ROOT", "/srv/$host/static", "STATIC_ROOT"),
        ("MEDIA_ROOT", '/srv/"media', "MEDIA_ROOT"),
        ("DJANGO_STATIC_SAVE_PREFIX", "/srv/cache\nforever", "DJANGO_STATIC_SAVE_PREFIX"),
        ("STATIC_URL", "/sta tic/", "STATIC_URL"),
        ("MEDIA_URL", "/media/{x}/", "MEDIA_URL"),
        ("DJANGO_STATIC_NAME_PREFIX", "/cache;forever", "DJANGO_STATIC_NAME_PREFIX"),
        ("DJANGO_STATIC_NAME_PREFIX", "/static", "STATIC_URL"),
    ],
)
def test_what_nginx_would_read_differently_is_refused_naming_the_setting(project, setting, value, named):
    setattr(project, setting, value)
    with pytest.raises(CommandError, match=named):
        printed("--full")


@pytest.mark.parametrize(
    "arguments",
    [["--upstream", "127.0.0.1:8000; include /etc/passwd"], ["--listen", "80 default_server; x"],
     ["--media-cache-size", "1g inactive=1s"], ["--run-dir", "/srv/$x"]],
)  # fmt: skip
def test_hostile_arguments_are_refused(project, arguments):
    with pytest.raises(CommandError):
        printed("--full", *arguments)


def test_the_run_dir_is_created_and_said_so(project, tmp_path):
    run = tmp_path / "deep" / "run"
    umask = os.umask(0o077)  # a careful admin's umask: nginx's workers must still get in
    try:
        config, said = printed("--full", "--run-dir", str(run))
    finally:
        os.umask(umask)
    assert run.is_dir() and [oct(path.stat().st_mode & 0o777) for path in (run.parent, run)] == ["0o755"] * 2
    assert f"created the run-time folder {run}" in said
    assert f'pid "{run}/nginx.pid";' in config and f'client_body_temp_path "{run}/client_body";' in config
    _again, said_again = printed("--full", "--run-dir", str(run))
    assert said_again == ""


def test_check_with_nginx_accepts_then_prints(project):
    config, said = printed("--full", "--check-with-nginx")
    assert "nginx -t accepts it" in said and config.startswith("# A whole nginx configuration")


def test_check_with_nginx_refuses_what_nginx_refuses_and_prints_nothing(project):
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"nginx -t refused the configuration:\n.*invalid port"):
        call_command("static_pipe_nginx", "--full", "--listen", "127.0.0.1:99999", "--check-with-nginx", stdout=out)
    assert out.getvalue() == ""


@pytest.mark.parametrize("media", ["files", "gridfs", "none"])
@pytest.mark.parametrize("run_dir", [False, True])
@pytest.mark.parametrize("brotli", ["on", "off"])
def test_every_variant_passes_nginx_t_as_printed(project, tmp_path, media, run_dir, brotli):
    if media == "gridfs":
        project.STORAGES = {**gridfs_storages(uri="mongodb://127.0.0.1:9/"), "staticfiles": MANIFEST["staticfiles"]}
    elif media == "none":
        project.MEDIA_ROOT = ""
    arguments = ["--full", "--brotli", brotli] + (["--run-dir", str(tmp_path / "run")] if run_dir else [])
    config, _ = printed(*arguments)
    result = check_config(config)
    assert result.ok, result.output


@pytest.mark.parametrize("media", ["files", "gridfs"])
def test_the_parts_included_in_a_users_own_configuration_pass_nginx_t(project, tmp_path, media):
    if media == "gridfs":
        project.STORAGES = {**gridfs_storages(uri="mongodb://127.0.0.1:9/"), "staticfiles": MANIFEST["staticfiles"]}
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "static-pipe-http.conf").write_text(printed("--http", "--run-dir", str(tmp_path / "run"))[0])
    (folder / "static-pipe-locations.conf").write_text(printed("--brotli", "off")[0])
    (folder / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    include {folder}/static-pipe-http.conf;\n"
        "    server {\n        listen 127.0.0.1:8081;\n        server_name www.example.com;\n"
        f"        include {folder}/static-pipe-locations.conf;\n    }}\n}}\n"
    )
    binary = nginx_binary()
    assert binary
    result = subprocess.run(
        [binary, "-t", "-p", f"{tmp_path}/", "-c", str(folder / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert os.path.isdir(tmp_path / "run")
