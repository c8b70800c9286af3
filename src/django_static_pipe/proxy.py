"""The ``DJANGO_STATIC_FILE_PROXY`` hook: every produced URL passes through it on every render."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .conf import pipe_settings

logger = logging.getLogger("django_static_pipe")
_configuration_errors_logged: set[str] = set()  # each names a settings mistake: a few at most


class FileProxy(Protocol):
    """What ``DJANGO_STATIC_FILE_PROXY`` must name. It returns the URL the page gets.

    :param uri: the local URL of the produced file (``DJANGO_STATIC_MEDIA_URL`` and the name prefix
        included), or the original name when the source is missing.
    :param new: the file was written in this call.
    :param changed: it replaced an earlier stamp of the same asset.
    :param checked: the sources were examined in this call (False on a warm render with DEBUG off).
    :param notfound: a source is missing.
    :param filepath: the absolute path of the produced file; None when not found or switched off.
    :param sources: the absolute paths of the sources (members first, then files they reference).
    :param disabled: True when called from the Python API while ``DJANGO_STATIC`` is off.
    :param extra: room for keywords added later; a proxy must accept and ignore what it does not know.
    """

    def __call__(
        self,
        uri: str,
        *,
        new: bool,
        changed: bool,
        checked: bool,
        notfound: bool,
        filepath: str | None,
        sources: Sequence[str],
        disabled: bool,
        **extra: Any,
    ) -> str: ...


@lru_cache(maxsize=8)
def load_proxy(dotted_path: str) -> FileProxy:
    """Import the proxy; :class:`ImproperlyConfigured` names the setting when that fails."""
    try:
        proxy = import_string(dotted_path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"DJANGO_STATIC_FILE_PROXY = {dotted_path!r} cannot be imported: {exc}") from exc
    if not callable(proxy):
        raise ImproperlyConfigured(f"DJANGO_STATIC_FILE_PROXY = {dotted_path!r} is not callable.")
    return proxy  # type: ignore[no-any-return]


def call_proxy(
    uri: str,
    *,
    new: bool = False,
    changed: bool = False,
    checked: bool = False,
    notfound: bool = False,
    filepath: str | None = None,
    sources: Sequence[str] = (),
    disabled: bool = False,
) -> str:
    """Pass ``uri`` through the configured proxy. A proxy that fails is logged and ``uri`` is used:
    a proxy never breaks a page."""
    dotted_path = pipe_settings.file_proxy
    if not dotted_path:
        return uri
    try:
        result = load_proxy(dotted_path)(
            uri,
            new=new,
            changed=changed,
            checked=checked,
            notfound=notfound,
            filepath=filepath,
            sources=sources,
            disabled=disabled,
        )
    except ImproperlyConfigured as exc:
        # The settings are wrong, not this file: say so once per message, not with a traceback per URL.
        if str(exc) not in _configuration_errors_logged:
            if len(_configuration_errors_logged) < 64:
                _configuration_errors_logged.add(str(exc))
            logger.error("django-static-pipe: %s Serving local URLs until it is fixed.", exc)
        return uri
    except Exception:
        logger.exception("django-static-pipe: the file proxy %s failed for %s; using the local URL.", dotted_path, uri)
        return uri
    if not isinstance(result, str) or not result:
        logger.error(
            "django-static-pipe: the file proxy %s returned %r for %s, not a URL; using the local URL.",
            dotted_path,
            result,
            uri,
        )
        return uri
    return result
