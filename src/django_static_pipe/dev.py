"""Serving produced files under ``manage.py runserver`` (``DEBUG = True`` only), the way
``django.contrib.staticfiles`` serves static files there::

    from django_static_pipe.dev import static_pipe_urlpatterns

    urlpatterns += static_pipe_urlpatterns()

With ``DJANGO_STATIC`` on, the stamped files are served under ``DJANGO_STATIC_NAME_PREFIX`` from the
save folder. Switched off with ``DJANGO_STATIC_MEDIA_ROOTS`` set, the source files are served at their
names (with the staticfiles finders, ``runserver`` already serves them under ``STATIC_URL``). In
production (``DEBUG = False``) this adds nothing, and the view answers 404: nginx serves these files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import URLPattern, re_path
from django.views.static import serve

from .conf import MANIFEST_BASENAME, pipe_settings


def static_pipe_urlpatterns() -> list[URLPattern]:
    if not settings.DEBUG:
        return []
    prefix = pipe_settings.name_prefix.lstrip("/")
    if pipe_settings.enabled:
        pattern = rf"^{re.escape(prefix)}/(?P<path>.+)$" if prefix else r"^(?P<path>.+)$"
        return [re_path(pattern, serve_produced, name="static-pipe-produced")]
    if pipe_settings.media_roots is not None:
        return [re_path(r"^(?P<path>.+)$", serve_source, name="static-pipe-source")]
    return []


def _refuse_hidden(path: str) -> None:
    parts = path.split("/")
    if not settings.DEBUG or any(part.startswith(".") for part in parts) or parts[-1] == MANIFEST_BASENAME:
        raise Http404("Not a produced file.")


def _folders() -> Sequence[str]:
    if pipe_settings.save_prefix:
        return [pipe_settings.save_prefix]
    return pipe_settings.media_roots or ()


def _serve_from(request: HttpRequest, path: str, folders: Sequence[str]) -> HttpResponseBase:
    for folder in folders:
        if os.path.isfile(os.path.join(folder, path)):
            return serve(request, path, document_root=folder)
    raise Http404("No such file.")


def serve_produced(request: HttpRequest, path: str) -> HttpResponseBase:
    """A produced file from the save folder (or, without one, from beside its sources)."""
    _refuse_hidden(path)
    return _serve_from(request, path, _folders())


def serve_source(request: HttpRequest, path: str) -> HttpResponseBase:
    """A source file at its name, for a switched-off site whose templates name files in the roots."""
    _refuse_hidden(path)
    return _serve_from(request, path, pipe_settings.media_roots or ())
