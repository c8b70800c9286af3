"""nginx configuration for the current settings, from the templates shipped in ``nginx/``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .conf import pipe_settings

TEMPLATES = Path(__file__).with_name("nginx")
#: A stamped file name: ``name.<10 digits or 12 hex>.ext``; no dot-files, so temporaries never match.
STAMPED_PATH = r"(?:[^/.][^/]*/)*[^/.][^/]*\.(?:[0-9]{10}|[0-9a-f]{12})\.[A-Za-z0-9]+"
BROTLI_MODULE_PATHS = (
    "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so",
    "/usr/share/nginx/modules/ngx_http_brotli_static_module.so",
)
UPSTREAM_NAME = "django_static_pipe_upstream"


def brotli_module() -> str | None:
    return next((path for path in BROTLI_MODULE_PATHS if os.path.exists(path)), None)


def _fill(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    leftover = re.search(r"@[A-Z_]+@", text)
    assert leftover is None, f"{template}: {leftover.group(0)} was not filled"
    return text


@dataclass
class NginxOptions:
    save_folder: str
    name_prefix: str
    media_url: str
    brotli: bool
    upstream: str = "127.0.0.1:8000"
    listen: str = "8080"
    run_dir: str = "/tmp/django-static-pipe-nginx"
    mime_types: str = "/etc/nginx/mime.types"


def options_from_settings(**overrides: object) -> NginxOptions:
    from django.conf import settings

    prefix = pipe_settings.name_prefix
    save = os.path.abspath(pipe_settings.save_prefix) if pipe_settings.save_prefix else ""
    media_url = str(getattr(settings, "MEDIA_URL", "/media/") or "/media/")
    options = NginxOptions(
        save_folder=save, name_prefix=prefix, media_url=media_url, brotli=brotli_module() is not None
    )
    for name, value in overrides.items():
        if value is not None:
            setattr(options, name, value)
    return options


def locations(options: NginxOptions) -> str:
    """The location blocks: stamped files from disk, media and everything else proxied to Django."""
    brotli = "    brotli_static on;\n" if options.brotli else ""
    stamped = _fill(
        "locations.conf",
        {
            "NAME_PREFIX": options.name_prefix,
            "STAMPED_PATH": STAMPED_PATH,
            "SAVE_FOLDER": options.save_folder.rstrip("/"),
            "BROTLI": brotli,
        },
    )
    media = "/" + options.media_url.strip("/") + "/" if options.media_url.startswith("/") else "/media/"
    proxy = _fill("proxy.conf", {"MEDIA_URL": media, "UPSTREAM_NAME": UPSTREAM_NAME})
    return stamped + proxy


def full_config(options: NginxOptions) -> str:
    """A whole ``nginx.conf`` around :func:`locations`."""
    module = brotli_module()
    indented = "".join(f"        {line}" if line.strip() else line for line in locations(options).splitlines(True))
    return _fill(
        "server.conf",
        {
            "LOAD_BROTLI": f"load_module {module};\n" if options.brotli and module else "",
            "RUN_DIR": options.run_dir.rstrip("/"),
            "MIME_TYPES": options.mime_types,
            "UPSTREAM_NAME": UPSTREAM_NAME,
            "UPSTREAM": options.upstream,
            "LISTEN": options.listen,
            "LOCATIONS": indented.rstrip("\n"),
        },
    )
