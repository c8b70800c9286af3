"""System checks for the CDN proxy and the GridFS storage, without importing boto3 or pymongo."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

CLOUDFRONT_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
GRIDFS_BACKEND = "django_static_pipe.backends.gridfs.GridFSStorage"


@register(Tags.staticfiles)
def check_cloudfront(**_kwargs: Any) -> list[CheckMessage]:
    from .backends.cloudfront_config import problem_with

    raw = getattr(settings, "DJANGO_STATIC_CLOUDFRONT", None)
    proxy = getattr(settings, "DJANGO_STATIC_FILE_PROXY", None)
    uses_proxy = isinstance(proxy, str) and proxy.startswith("django_static_pipe.backends.cloudfront")
    messages: list[CheckMessage] = []
    if raw is None and not uses_proxy:
        return messages
    problem = problem_with(raw)
    if problem:
        messages.append(
            Error(
                f"DJANGO_STATIC_CLOUDFRONT: {problem}.",
                hint="See the README's CDN section for a complete settings block.",
                id="django_static_pipe.E020",
            )
        )
    if uses_proxy and importlib.util.find_spec("boto3") is None:
        messages.append(
            Error(
                "DJANGO_STATIC_FILE_PROXY names the CloudFront proxy but boto3 is not installed.",
                hint="pip install django-static-pipe[s3]",
                id="django_static_pipe.E021",
            )
        )
    return messages


def _cache_control_problem(value: object) -> str | None:
    """Why ``value`` cannot be the media view's Cache-Control, or None."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string"
    if not value.isascii() or not value.isprintable():
        return "holds characters a header cannot carry"
    directives = {part.strip().split("=", 1)[0].lower() for part in value.split(",")}
    if "public" in directives and directives & {"private", "no-store"}:
        return "says public and private (or no-store) at once"
    return None


def _gridfs_option_problems(alias: str, options: dict[str, Any], block: dict[str, Any]) -> list[CheckMessage]:
    """Checks of the option values a GridFSStorage entry would use (its OPTIONS, else the block)."""
    messages: list[CheckMessage] = []
    cache_control = options.get("cache_control", block.get("CACHE_CONTROL"))
    problem = None if cache_control is None else _cache_control_problem(cache_control)
    if problem:
        messages.append(
            Error(
                f"GridFSStorage {alias!r}: cache_control = {cache_control!r} {problem}.",
                hint='Use e.g. "public, max-age=86400", or "private, max-age=60" for media that is not public.',
                id="django_static_pipe.E034",
            )
        )
    max_upload = options.get("max_upload_seconds", block.get("MAX_UPLOAD_SECONDS"))
    if max_upload is not None and (
        isinstance(max_upload, bool) or not isinstance(max_upload, int | float) or not max_upload > 0
    ):
        messages.append(
            Error(
                f"GridFSStorage {alias!r}: max_upload_seconds = {max_upload!r} is not a positive number of seconds.",
                hint="Give the longest an upload may take, e.g. 21600 (six hours, the default).",
                id="django_static_pipe.E035",
            )
        )
    return messages


def _gridfs_entries() -> dict[str, dict[str, Any]]:
    storages = getattr(settings, "STORAGES", {}) or {}
    return {alias: entry for alias, entry in storages.items() if entry.get("BACKEND") == GRIDFS_BACKEND}


@register(Tags.staticfiles)
def check_gridfs(**_kwargs: Any) -> list[CheckMessage]:
    from .backends.gridfs_options import OPTIONS, SETTING_KEYS

    messages: list[CheckMessage] = []
    entries = _gridfs_entries()
    block = getattr(settings, "DJANGO_STATIC_GRIDFS", None)
    if isinstance(block, dict) and set(block) - SETTING_KEYS:
        messages.append(
            Error(
                f"DJANGO_STATIC_GRIDFS has unknown key(s) {', '.join(sorted(set(block) - SETTING_KEYS))}.",
                hint=f"Valid keys are {', '.join(sorted(SETTING_KEYS))}.",
                id="django_static_pipe.E031",
            )
        )
    for alias, entry in entries.items():
        messages += _gridfs_option_problems(alias, entry.get("OPTIONS", {}), block if isinstance(block, dict) else {})
        unknown = set(entry.get("OPTIONS", {})) - set(OPTIONS)
        if unknown:
            messages.append(
                Error(
                    f"STORAGES[{alias!r}] gives GridFSStorage unknown option(s) {', '.join(sorted(unknown))}.",
                    hint=f"Valid options are {', '.join(sorted(OPTIONS))}.",
                    id="django_static_pipe.E033",
                )
            )
    if entries and importlib.util.find_spec("pymongo") is None:
        messages.append(
            Error(
                "STORAGES uses GridFSStorage but pymongo is not installed.",
                hint="pip install django-static-pipe[gridfs]",
                id="django_static_pipe.E032",
            )
        )
    configured_alias = getattr(settings, "DJANGO_STATIC_GRIDFS_STORAGE", None)
    wants_view = configured_alias is not None or block is not None
    alias = str(configured_alias or "default")
    if wants_view and alias not in entries:
        messages.append(
            Error(
                f"DJANGO_STATIC_GRIDFS_STORAGE = {alias!r} is not a GridFSStorage in STORAGES, "
                "so the GridFS media view cannot serve from it.",
                hint=f'Set STORAGES[{alias!r}]["BACKEND"] = "{GRIDFS_BACKEND}", or name another alias.',
                id="django_static_pipe.E030",
            )
        )
    return messages
