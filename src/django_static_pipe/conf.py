"""The one place that reads ``django.conf.settings``.

Every setting is a property read at access time, so ``override_settings`` just works.
Values are returned as given; :mod:`django_static_pipe.checks` says what is wrong with them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

DEFAULT_MINIFIERS: dict[str, str] = {".css": "rcssmin.cssmin", ".js": "rjsmin.jsmin"}
DEFAULT_FILENAME_GENERATOR = "django_static_pipe.naming.default_filename_generator"
DEFAULT_COMBINE_FILENAMES_GENERATOR = "django_static_pipe.naming.default_combine_filenames_generator"
MANIFEST_BASENAME = "static-pipe-manifest.json"
STAMP_KINDS = ("mtime", "content")
PRECOMPRESS_KINDS = ("gzip", "br")

#: Every setting this app reads, with its default.
DEFAULTS: dict[str, Any] = {
    "DJANGO_STATIC": False,
    "DJANGO_STATIC_SAVE_PREFIX": "",
    "DJANGO_STATIC_NAME_PREFIX": "",
    "DJANGO_STATIC_NAME_MAX_LENGTH": 40,
    "DJANGO_STATIC_MEDIA_URL": None,
    "DJANGO_STATIC_MEDIA_URL_ALWAYS": False,
    "DJANGO_STATIC_MEDIA_ROOTS": None,
    "DJANGO_STATIC_USE_SYMLINK": True,
    "DJANGO_STATIC_HARD_LINKS": True,
    "DJANGO_STATIC_USE_MANIFEST_FILE": False,
    "DJANGO_STATIC_FILE_PROXY": None,
    "DJANGO_STATIC_FILENAME_GENERATOR": DEFAULT_FILENAME_GENERATOR,
    "DJANGO_STATIC_COMBINE_FILENAMES_GENERATOR": DEFAULT_COMBINE_FILENAMES_GENERATOR,
    "DJANGO_STATIC_STAMP": "mtime",
    "DJANGO_STATIC_PRECOMPRESS": ("gzip",),
    "DJANGO_STATIC_SRI": False,
    "DJANGO_STATIC_MINIFIERS": DEFAULT_MINIFIERS,
    "DJANGO_STATIC_MANIFEST_PATH": None,
    "DJANGO_STATIC_MAX_SOURCE_BYTES": 20 * 1024 * 1024,
    "DJANGO_STATIC_KEEP_LICENSE_COMMENTS": True,
    "DJANGO_STATIC_SOURCE_MAPS": True,
    "DJANGO_STATIC_CLOUDFRONT": None,
    "DJANGO_STATIC_GRIDFS": None,
    "DJANGO_STATIC_GRIDFS_STORAGE": "default",
    "DEBUG": False,
    "STATIC_URL": None,
    "STATIC_ROOT": None,
}


_values: dict[str, Any] = {}


def _get(name: str) -> Any:
    # Read once and remembered until a setting changes (apps.py clears this on setting_changed):
    # a warm render asks for several settings per tag, and Django's lazy settings are not free.
    try:
        return _values[name]
    except KeyError:
        value = _values[name] = getattr(settings, name, DEFAULTS.get(name))
        return value


def _derived(name: str, compute: Callable[[], Any]) -> Any:
    """A value made from settings (a list of roots, a path), remembered with them and forgotten with
    them: a cold page asks for some of these hundreds of times."""
    key = "derived:" + name
    try:
        return _values[key]
    except KeyError:
        value = _values[key] = compute()
        return value


def forget_settings() -> None:
    """Read every setting afresh on next use (``override_settings`` does this through its signal)."""
    _values.clear()


class StaticPipeSettings:
    """Typed, lazy access to the ``DJANGO_STATIC*`` settings."""

    @property
    def enabled(self) -> bool:
        return bool(_get("DJANGO_STATIC"))

    @property
    def debug(self) -> bool:
        return bool(_get("DEBUG"))

    @property
    def save_prefix(self) -> str:
        return _get("DJANGO_STATIC_SAVE_PREFIX") or ""

    @property
    def name_prefix(self) -> str:
        return (_get("DJANGO_STATIC_NAME_PREFIX") or "").rstrip("/")

    @property
    def name_max_length(self) -> int:
        return int(_get("DJANGO_STATIC_NAME_MAX_LENGTH"))

    @property
    def media_url(self) -> str:
        return (_get("DJANGO_STATIC_MEDIA_URL") or "").rstrip("/")

    @property
    def media_url_always(self) -> bool:
        return bool(_get("DJANGO_STATIC_MEDIA_URL_ALWAYS"))

    @property
    def media_roots(self) -> tuple[str, ...] | None:
        return _derived("media_roots", _media_roots)  # type: ignore[no-any-return]

    @property
    def use_symlink(self) -> bool:
        return bool(_get("DJANGO_STATIC_USE_SYMLINK"))

    @property
    def hard_links(self) -> bool:
        """Link a file passed through as it is with a hard link where one can be made (else a symlink)."""
        return bool(_get("DJANGO_STATIC_HARD_LINKS"))

    @property
    def use_manifest_file(self) -> bool:
        return bool(_get("DJANGO_STATIC_USE_MANIFEST_FILE"))

    @property
    def file_proxy(self) -> str | None:
        value = _get("DJANGO_STATIC_FILE_PROXY")
        return str(value) if value else None

    @property
    def filename_generator(self) -> str:
        return _get("DJANGO_STATIC_FILENAME_GENERATOR") or DEFAULT_FILENAME_GENERATOR

    @property
    def combine_filenames_generator(self) -> str:
        value = _get("DJANGO_STATIC_COMBINE_FILENAMES_GENERATOR")
        return value or DEFAULT_COMBINE_FILENAMES_GENERATOR

    @property
    def stamp(self) -> str:
        return str(_get("DJANGO_STATIC_STAMP"))

    @property
    def precompress(self) -> tuple[str, ...]:
        return _derived("precompress", _precompress)  # type: ignore[no-any-return]

    @property
    def sri(self) -> bool:
        return bool(_get("DJANGO_STATIC_SRI"))

    @property
    def minifiers(self) -> Mapping[str, str]:
        value = _get("DJANGO_STATIC_MINIFIERS")
        return DEFAULT_MINIFIERS if value is None else value

    @property
    def max_source_bytes(self) -> int:
        return int(_get("DJANGO_STATIC_MAX_SOURCE_BYTES"))

    @property
    def keep_license_comments(self) -> bool:
        """Keep ``/*! … */`` comments when minifying: the licences of most libraries ask for it."""
        return bool(_get("DJANGO_STATIC_KEEP_LICENSE_COMMENTS"))

    @property
    def source_maps(self) -> bool:
        """Publish the maps files name, and index maps for bundles joined without minifying."""
        return bool(_get("DJANGO_STATIC_SOURCE_MAPS"))

    @property
    def manifest_path(self) -> str | None:
        """The manifest's path; None when it cannot be known (no save folder, no root)."""
        return _derived("manifest_path", _manifest_path)  # type: ignore[no-any-return]

    @property
    def static_url(self) -> str:
        """Django's ``STATIC_URL`` as the page gets it (``/static/`` or ``https://cdn.example.com/static/``)."""
        return str(_get("STATIC_URL") or "")

    @property
    def static_root(self) -> str | None:
        value = _get("STATIC_ROOT")
        return os.fspath(value) if value else None

    @property
    def cloudfront(self) -> Mapping[str, Any] | None:
        value: Mapping[str, Any] | None = _get("DJANGO_STATIC_CLOUDFRONT")
        return value

    @property
    def gridfs(self) -> Mapping[str, Any]:
        return _get("DJANGO_STATIC_GRIDFS") or {}

    @property
    def gridfs_storage_alias(self) -> str:
        return str(_get("DJANGO_STATIC_GRIDFS_STORAGE"))


pipe_settings = StaticPipeSettings()


def _media_roots() -> tuple[str, ...] | None:
    roots = _get("DJANGO_STATIC_MEDIA_ROOTS")
    if roots is None:
        return None
    if isinstance(roots, (str, os.PathLike)):
        roots = [roots]
    return tuple(os.fspath(root) for root in roots)


def _precompress() -> tuple[str, ...]:
    value = _get("DJANGO_STATIC_PRECOMPRESS") or ()
    return (value,) if isinstance(value, str) else tuple(value)


def _manifest_path() -> str | None:
    explicit = _get("DJANGO_STATIC_MANIFEST_PATH")
    if explicit:
        return str(os.fspath(explicit))
    if pipe_settings.save_prefix:
        return os.path.join(pipe_settings.save_prefix, MANIFEST_BASENAME)
    roots = pipe_settings.media_roots
    if roots:
        return os.path.join(roots[0], MANIFEST_BASENAME)
    from .sources import finder_roots

    found = finder_roots()
    return os.path.join(found[0], MANIFEST_BASENAME) if found else None
