"""nginx configuration text from :class:`NginxOptions` and the templates shipped in ``nginx/``.

Three outputs: :func:`http_part` (maps, the upstream, the media cache: once inside ``http { }``),
:func:`locations` (the location blocks for a ``server { }``) and :func:`full_config` (a whole
``nginx.conf`` around both). :mod:`django_static_pipe.nginx_site` fills the options from the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .media_types import INLINE_TYPES, SANDBOX_POLICY

TEMPLATES = Path(__file__).with_name("nginx")
#: A stamped file name: ``name.<10 digits or 12 hex>.ext``; no dot-files, so temporaries never match.
STAMPED_PATH = r"(?:[^/.][^/]*/)*[^/.][^/]*\.(?:[0-9]{10}|[0-9a-f]{12})\.[A-Za-z0-9]+"
UPSTREAM_NAME = "django_static_pipe_upstream"
#: Non-hashed static and media files: seen again within a minute of a change (WhiteNoise's default too).
SHORT_MAX_AGE = 60
#: Types compressed on the fly (text/html always is): Django's pages, and static files without a .gz.
COMPRESSIBLE_TYPES = (
    "text/css text/plain text/javascript text/xml application/javascript application/json application/ld+json "
    "application/manifest+json application/xml application/rss+xml application/atom+xml image/svg+xml"
)
#: Uploads served inline from MEDIA_ROOT, by extension: the GridFS view's inline types (a test keeps
#: every one of them in :data:`~django_static_pipe.media_types.INLINE_TYPES`).
INLINE_MEDIA_TYPES = {
    "image/png": "png",
    "image/jpeg": "jpg jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/bmp": "bmp",
    "image/x-icon": "ico",
    "audio/mpeg": "mp3",
    "audio/ogg": "oga ogg opus",
    "audio/wav": "wav",
    "audio/webm": "weba",
    "audio/flac": "flac",
    "video/mp4": "mp4 m4v",
    "video/webm": "webm",
    "video/ogg": "ogv",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/csv": "csv",
    "font/woff": "woff",
    "font/woff2": "woff2",
    "font/ttf": "ttf",
    "font/otf": "otf",
}
PROXY_HEADERS = (
    "proxy_http_version 1.1;\n"
    'proxy_set_header Connection "";\n'
    "proxy_set_header Host $http_host;\n"
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    "proxy_set_header X-Forwarded-Proto $scheme;\n"
)


@dataclass
class NginxOptions:
    """Everything the configuration depends on. Paths are absolute; URL paths start and end with ``/``
    (``name_prefix`` has no trailing ``/``). An empty value leaves its location out."""

    save_folder: str
    name_prefix: str
    media_url: str = ""
    #: ``brotli_static`` for the stamped and static files (ngx_brotli's static module).
    brotli: bool = False
    upstream: str = "127.0.0.1:8000"
    listen: str = "8080"
    #: The folder of pid, logs, temporary files and the media cache; empty: relative to nginx's prefix
    #: (``nginx -p DIR``).
    run_dir: str = ""
    mime_types: str = "/etc/nginx/mime.types"
    static_url: str = ""
    static_root: str = ""
    #: The static storage writes hashed names (a Manifest storage): those are cached forever.
    static_hashed: bool = False
    #: FileSystemStorage: ``media_url`` is served from this folder. Empty: ``media_url`` is left to Django.
    media_root: str = ""
    #: GridFS: the URL path of the view, which nginx puts its cache in front of.
    gridfs_url: str = ""
    media_cache_size: str = "1g"
    #: ``brotli on`` for what Django sends (ngx_brotli's filter module).
    brotli_filter: bool = False
    #: ``load_module`` lines for a whole configuration (absolute paths of the modules used).
    modules: tuple[str, ...] = ()
    #: What the settings left out, and why (the command prints these to stderr).
    notes: tuple[str, ...] = ()


#: What no path or value written into the configuration may hold: quotes, backslashes and ``$`` (a
#: variable even inside quotes), and control characters.
UNSAFE_PATH_CHARACTERS = re.compile(r'["\\$\x00-\x1f\x7f]')


def quoted(value: str) -> str:
    """``value`` as one nginx token. The callers refuse ``"``, ``\\`` and ``$`` (nginx would read a
    variable even inside quotes), so double quotes are enough."""
    if UNSAFE_PATH_CHARACTERS.search(value):
        raise ValueError(f"{value!r} cannot be written into an nginx configuration")
    return f'"{value}"'


def regex_literal(path: str) -> str:
    """A URL path as a literal inside a PCRE in a double-quoted nginx string."""
    return re.sub(r"([.+*?()\[\]{}|^])", r"\\\1", path)


def _fill(template: str, values: dict[str, str]) -> str:
    """The template with every ``@NAME@`` replaced, in one pass (a value is never read as a placeholder)."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise KeyError(f"nginx/{template}: nothing to put in for @{match.group(1)}@")
        return values[match.group(1)]

    return re.sub(r"@([A-Z_]+)@", value, (TEMPLATES / template).read_text())


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _folder(path: str) -> str:
    return quoted(path.rstrip("/") + "/")


def _compress(options: NginxOptions) -> str:
    """On-the-fly compression of text (a precompressed .gz/.br sibling is sent instead where one exists)."""
    text = "gzip on; gzip_vary on; gzip_proxied any; gzip_comp_level 5; gzip_min_length 256;\n"
    text += f"gzip_types {COMPRESSIBLE_TYPES};\n"
    if options.brotli_filter:
        text += "brotli on; brotli_comp_level 5; brotli_min_length 256;\n"
        text += f"brotli_types {COMPRESSIBLE_TYPES};\n"
    return _indent(text, 4)


def _brotli_static(options: NginxOptions) -> str:
    return "    brotli_static on;\n" if options.brotli else ""


def run_path(options: NginxOptions, name: str) -> str:
    """A run-time file or folder: under ``run_dir``, or relative (to nginx's ``-p`` prefix)."""
    return quoted(f"{options.run_dir.rstrip('/')}/{name}" if options.run_dir else name)


def _stamped(options: NginxOptions) -> str:
    return _fill(
        "locations.conf",
        {
            "NAME_PREFIX": options.name_prefix,
            "NAME_PREFIX_RE": regex_literal(options.name_prefix),
            "STAMPED_PATH": STAMPED_PATH,
            "SAVE_FOLDER": _folder(options.save_folder),
            "BROTLI_STATIC": _brotli_static(options),
            "COMPRESS": _compress(options),
        },
    )


def _static(options: NginxOptions) -> str:
    hashed = _fill("static_hashed.conf", {"STATIC_URL_RE": regex_literal(options.static_url)})
    return _fill(
        "static.conf",
        {
            "STATIC_URL": options.static_url,
            "STATIC_URL_RE": regex_literal(options.static_url),
            "STATIC_ROOT": _folder(options.static_root),
            "BROTLI_STATIC": _brotli_static(options),
            "COMPRESS": _compress(options),
            "HASHED": hashed if options.static_hashed else "",
        },
    )


def _media_files(options: NginxOptions) -> str:
    inline = {kind: extensions for kind, extensions in INLINE_MEDIA_TYPES.items() if kind in INLINE_TYPES}
    types = "".join(f"        {kind} {extensions};\n" for kind, extensions in inline.items())
    return _fill(
        "media_files.conf",
        {
            "MEDIA_URL": options.media_url,
            "MEDIA_URL_RE": regex_literal(options.media_url),
            "MEDIA_ROOT": _folder(options.media_root),
            "INLINE_TYPES": types,
        },
    )


def _media_gridfs(options: NginxOptions) -> str:
    return _fill(
        "media_gridfs.conf",
        {"MEDIA_URL": options.gridfs_url, "UPSTREAM_NAME": UPSTREAM_NAME, "PROXY_HEADERS": _indent(PROXY_HEADERS, 4)},
    )


def locations(options: NginxOptions) -> str:
    """The location blocks for a ``server { }``: the stamped prefix, STATIC_URL, MEDIA_URL from disk or
    through the cache, and everything else proxied to Django. They need :func:`http_part`."""
    parts = [_stamped(options)]
    if options.static_url and options.static_root:
        parts.append(_static(options))
    if options.media_url and options.media_root:
        parts.append(_media_files(options))
    if options.gridfs_url:
        parts.append(_media_gridfs(options))
    parts.append(_fill("proxy.conf", {"UPSTREAM_NAME": UPSTREAM_NAME, "PROXY_HEADERS": _indent(PROXY_HEADERS, 4),
                                      "COMPRESS": _compress(options)}))  # fmt: skip
    return "".join(part for part in parts if part)


def server_part(options: NginxOptions) -> str:
    """:func:`locations` with a header saying where they go: what ``manage.py static_pipe_nginx`` prints."""
    return (
        "# django-static-pipe: location blocks for your server { }, in place of your own for this Django site.\n"
        "# They need what `manage.py static_pipe_nginx --http` prints, included once inside http { }.\n"
        + locations(options)
    )


def http_part(options: NginxOptions) -> str:
    """What :func:`locations` needs at the ``http { }`` level: status maps, the upstream, the media cache."""
    media = ""
    if options.media_url and options.media_root:
        media += _fill("http_media_files.conf", {"SANDBOX_POLICY": SANDBOX_POLICY})
    if options.gridfs_url:
        media += _fill(
            "http_media_gridfs.conf",
            {"CACHE_PATH": run_path(options, "media-cache"), "CACHE_SIZE": options.media_cache_size},
        )
    return _fill(
        "http.conf",
        {
            "SHORT_MAX_AGE": str(SHORT_MAX_AGE),
            "MEDIA_HTTP": media,
            "UPSTREAM_NAME": UPSTREAM_NAME,
            "UPSTREAM": options.upstream,
        },
    )


def _how_to_run(options: NginxOptions) -> str:
    if options.run_dir:
        return (
            f"# Run-time files (pid, logs, temporary files, the media cache) go to {options.run_dir}.\n"
            "# Check it with `nginx -t -c <this file>`, start it with `nginx -c <this file>`.\n"
        )
    return (
        "# Run-time files (pid, logs, temporary files, the media cache) go to nginx's prefix folder: give it one\n"
        "# of its own that exists, e.g. `nginx -p /srv/site/nginx -t -c <this file>` to check it, the same\n"
        "# without -t to start it.\n"
    )


def full_config(options: NginxOptions) -> str:
    """A whole ``nginx.conf`` around :func:`http_part` and :func:`locations`."""
    values = {
        "HOW_TO_RUN": _how_to_run(options),
        "LOAD_MODULES": "".join(f"load_module {quoted(module)};\n" for module in options.modules),
        "MIME_TYPES": quoted(options.mime_types),
        "LISTEN": options.listen,
        "HTTP": _indent(http_part(options), 4),
        "LOCATIONS": _indent(locations(options), 8).rstrip("\n"),
    }
    for name in ("nginx.pid", "error.log", "access.log", "client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        values["RUN_" + re.sub(r"\W", "_", name).upper()] = run_path(options, name)
    return _fill("server.conf", values)
