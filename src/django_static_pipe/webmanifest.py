"""Web app manifests (``*.webmanifest``, named by ``<link rel="manifest">``): stamped like any asset,
so the URLs inside must keep meaning what they meant where the manifest was.

Image URLs (``icons``, ``screenshots``, the icons of ``shortcuts``) become the stamped URLs of their
files; navigation URLs (``start_url``, ``scope``, ``id``, the ``url`` of ``shortcuts``) are made
absolute against the manifest's original URL, since they name pages of the site, not files.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urljoin

from django.core.exceptions import SuspiciousFileOperation

from .conf import pipe_settings
from .products import Fingerprint, NestedBuilder
from .references import stamped_url
from .sources import Source, locate, static_path

logger = logging.getLogger("django_static_pipe")

EXTENSION = ".webmanifest"
_NAVIGATION = ("start_url", "scope", "id")


def _original_url(name: str) -> str:
    """Where the manifest was before it was stamped (as the page named it)."""
    if pipe_settings.media_roots is None and pipe_settings.static_url:
        return urljoin(pipe_settings.static_url, name.lstrip("/"))
    prefix = static_path()
    if prefix and name.startswith(prefix):
        return urljoin(pipe_settings.static_url, name[len(prefix) :])
    return name


def rewrite(text: str, source: Source, slim: bool, nested: NestedBuilder, fingerprints: list[Fingerprint]) -> str:
    """The manifest's JSON with its URLs made to work from the stamped name; as it was if not JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        logger.warning("django-static-pipe: %s is not valid JSON; its URLs are left as they are.", source.name)
        return text
    if not isinstance(document, dict):
        return text
    base = _original_url(source.name)

    def image(entry: Any) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("src"), str):
            return
        written = entry["src"]
        try:
            located = locate(written, base=source.name, decode=True)
        except SuspiciousFileOperation:
            return
        if located is None:
            return
        url = stamped_url(
            located, origin=source.name, written=written, slim=False, nested=nested, fingerprints=fingerprints
        )
        if url is not None:
            entry["src"] = url

    for key in ("icons", "screenshots"):
        for entry in document.get(key) or []:
            image(entry)
    for shortcut in document.get("shortcuts") or []:
        if isinstance(shortcut, dict):
            for entry in shortcut.get("icons") or []:
                image(entry)
            if isinstance(shortcut.get("url"), str):
                shortcut["url"] = urljoin(base, shortcut["url"])
    for key in _NAVIGATION:
        if isinstance(document.get(key), str):
            document[key] = urljoin(base, document[key])
    if "start_url" not in document:  # the default start URL is the manifest's own: keep it the page's
        document["start_url"] = urljoin(base, ".")
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
