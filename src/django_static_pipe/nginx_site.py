"""What the nginx configuration serves, read from the project: the stamped prefix, STATIC_URL from
STATIC_ROOT, MEDIA_URL from MEDIA_ROOT (FileSystemStorage) or through the cache (GridFS).

Storages are asked through Django's ``storages``, so their own options (``location``, ``base_url``)
count as they do for Django. Everything that reaches the configuration text is validated here:
a path or URL nginx would read differently is refused with the setting's name and the fix.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .conf import pipe_settings
from .nginx_config import UNSAFE_PATH_CHARACTERS, NginxOptions

MODULE_FOLDERS = ("/usr/lib/nginx/modules", "/usr/share/nginx/modules", "/usr/lib64/nginx/modules")
BROTLI_STATIC_MODULE = "ngx_http_brotli_static_module.so"
BROTLI_FILTER_MODULE = "ngx_http_brotli_filter_module.so"
#: A URL path nginx reads as written, unquoted, in a location and inside a regex.
SAFE_URL_PATH = re.compile(r"/(?:[A-Za-z0-9._~+@:-]+/)*")


def find_module(name: str) -> str | None:
    """The installed nginx module ``name`` (Debian's and Fedora's folders), or None."""
    return next((path for folder in MODULE_FOLDERS if os.path.exists(path := os.path.join(folder, name))), None)


def _local_url(url: str) -> str | None:
    """The path of a URL served by this host (``/static/``); None for another host (a CDN)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return path if path.startswith("/") else "/" + path


def _static_location() -> tuple[str, str, bool] | None:
    """(STATIC_URL, STATIC_ROOT, hashed names?) when the static files storage keeps files on this disk."""
    from django.contrib.staticfiles.storage import HashedFilesMixin
    from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages

    try:
        storage = storages["staticfiles"]
    except (InvalidStorageError, ImproperlyConfigured):  # no staticfiles storage; a Manifest one without STATIC_ROOT
        return None
    if not isinstance(storage, FileSystemStorage) or not storage.base_location:
        return None
    url = _local_url(str(storage.base_url or ""))
    if url is None:
        return None
    return url, os.path.abspath(storage.location), isinstance(storage, HashedFilesMixin)


def _media_files() -> tuple[str, str] | None:
    """(MEDIA_URL, MEDIA_ROOT) when the default storage is a FileSystemStorage with a folder of its own."""
    from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages

    try:
        default = storages["default"]
    except InvalidStorageError:
        return None
    # An unset MEDIA_ROOT would make it the working folder: the project's own code. Never served.
    if not isinstance(default, FileSystemStorage) or not default.base_location:
        return None
    url = _local_url(str(default.base_url or ""))
    return (url, os.path.abspath(default.location)) if url else None


def _gridfs_url() -> str | None:
    """The URL path of the storage the GridFS view serves, when there is one on this host."""
    from django.core.files.storage import InvalidStorageError, storages

    try:
        from .backends.gridfs import GridFSStorage
    except ImportError:  # pymongo is not installed: there is no GridFS storage to serve
        return None
    try:
        storage = storages[pipe_settings.gridfs_storage_alias]
    except InvalidStorageError:
        return None
    return _local_url(storage.base_url) if isinstance(storage, GridFSStorage) else None


def options_from_settings(**overrides: object) -> NginxOptions:
    """The options for this project's settings; ``overrides`` that are not None win. Validated."""
    save = os.path.abspath(pipe_settings.save_prefix) if pipe_settings.save_prefix else ""
    options = NginxOptions(save_folder=save, name_prefix=pipe_settings.name_prefix)
    notes = []
    static = _static_location()
    if static and static[0] == "/":
        notes.append("STATIC_URL is '/': the static files are left to Django; give them a prefix such as '/static/'.")
    elif static:
        options.static_url, options.static_root, options.static_hashed = static
    files = _media_files()
    if files and files[0] == "/":
        notes.append("MEDIA_URL is '/' (or unset): uploads are left to Django; set it to a prefix such as '/media/'.")
    elif files:
        options.media_url, options.media_root = files
    gridfs = _gridfs_url()
    if gridfs == "/":
        notes.append(
            "MEDIA_URL is '/' (or unset) and the GridFS storage has no base_url: GridFS media go to Django without "
            "nginx's cache; set MEDIA_URL (or the storage's base_url) to a prefix such as '/media/'."
        )
    elif gridfs:
        options.gridfs_url = gridfs
    options.notes = tuple(notes)
    brotli = overrides.pop("brotli", None)
    options.brotli = bool(find_module(BROTLI_STATIC_MODULE)) if brotli is None else bool(brotli)
    options.brotli_filter = bool(find_module(BROTLI_FILTER_MODULE)) if brotli is None else bool(brotli)
    for name, value in overrides.items():
        if value is not None:
            setattr(options, name, value)
    modules = [(options.brotli, BROTLI_STATIC_MODULE), (options.brotli_filter, BROTLI_FILTER_MODULE)]
    options.modules = tuple(find_module(name) or f"{MODULE_FOLDERS[0]}/{name}" for used, name in modules if used)
    validate(options)
    return options


def validate(options: NginxOptions) -> None:
    """Refuse what nginx would read differently from what was meant, naming the setting to fix."""
    _check_url(options.name_prefix + "/", "DJANGO_STATIC_NAME_PREFIX", "'/cache-forever'")
    if options.static_url:
        _check_url(options.static_url, "STATIC_URL", "'/static/'")
    if options.media_url:
        _check_url(options.media_url, "MEDIA_URL", "'/media/'")
    if options.gridfs_url:
        _check_url(options.gridfs_url, "the GridFS storage's base_url (or MEDIA_URL)", "'/media/'")
    paths = {
        "DJANGO_STATIC_SAVE_PREFIX (or --root)": options.save_folder,
        "STATIC_ROOT": options.static_root,
        "MEDIA_ROOT": options.media_root,
        "--run-dir": options.run_dir,
        "--mime-types": options.mime_types,
        **{f"the module {module}": module for module in options.modules},
    }
    for setting, path in paths.items():
        if path and (not os.path.isabs(path) or UNSAFE_PATH_CHARACTERS.search(path)):
            raise ImproperlyConfigured(
                f"{setting} = {path!r} cannot go into an nginx configuration: it must be an absolute path "
                "without quotes, backslashes, '$' (nginx reads a variable there) or control characters."
            )
    for setting, value in {"--listen": options.listen, "--upstream": options.upstream}.items():
        if not re.fullmatch(r"[A-Za-z0-9.:\[\]_/-]+", value):
            raise ImproperlyConfigured(f"{setting} {value!r} is not an nginx address such as 127.0.0.1:8000.")
    if not re.fullmatch(r"[0-9]+[kKmMgG]?", options.media_cache_size):
        raise ImproperlyConfigured(f"--media-cache-size {options.media_cache_size!r} is not a size such as 1g.")
    seen: dict[str, str] = {}
    for setting, url in [
        ("DJANGO_STATIC_NAME_PREFIX", options.name_prefix + "/"),
        ("STATIC_URL", options.static_url),
        ("MEDIA_URL", options.media_url if options.media_root else ""),
        ("the GridFS storage's base_url (or MEDIA_URL)", options.gridfs_url),
    ]:
        if url and url in seen:
            raise ImproperlyConfigured(
                f"{seen[url]} and {setting} are both {url!r}: nginx needs a URL prefix of its own for each."
            )
        if url == "/":
            raise ImproperlyConfigured(f"{setting} is '/': give it a prefix of its own, such as '/static/'.")
        seen[url] = setting


def _check_url(url: str, setting: str, example: str) -> None:
    if not SAFE_URL_PATH.fullmatch(url):
        raise ImproperlyConfigured(
            f"{setting} = {url.rstrip('/')!r} cannot be an nginx location as it is: use a path of letters, "
            f"digits and ._~+@:- between slashes, such as {example}."
        )
