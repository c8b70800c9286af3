"""Minifying CSS, JS and HTML text, with the minifier for each extension pluggable.

``DJANGO_STATIC_MINIFIERS`` maps an extension to the dotted path of ``f(text) -> text``. A minifier that
raises does not break a page: the text is passed through unminified with a :class:`MinifyWarning`.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .conf import pipe_settings
from .exceptions import MinifyWarning
from .minify_guards import js_trap, repair_css
from .minify_html import minify_html

logger = logging.getLogger("django_static_pipe")

Minifier = Callable[[str], str]


@lru_cache(maxsize=32)
def _load(dotted_path: str) -> Minifier:
    try:
        return import_string(dotted_path)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"DJANGO_STATIC_MINIFIERS names {dotted_path!r}, which cannot be imported: {exc}"
        ) from exc


def minifier_for(extension: str) -> Minifier | None:
    """The configured minifier for ``.css``/``.js``…, or None when that extension has none."""
    dotted_path = pipe_settings.minifiers.get(extension.lower())
    return _load(dotted_path) if dotted_path else None


def minify(extension: str, text: str, origin: str) -> str:
    """Minify ``text`` by its extension; on a minifier failure, warn and return it unchanged."""
    minifier = minifier_for(extension)
    if minifier is None:
        return text
    try:
        minified = minifier(text)
    except Exception as exc:  # a third-party minifier may raise anything; the page must still render
        return _unminified(text, f"minifying {origin} failed ({exc!r})")
    extension = extension.lower()
    if extension in (".js", ".mjs"):
        trap = js_trap(text, minified)
        if trap:
            return _unminified(text, f"{origin} is not minified: {trap}")
    elif extension == ".css":
        minified = repair_css(minified)
    return minified


def _unminified(text: str, why: str) -> str:
    message = f"django-static-pipe: {why}; it is served unminified."
    logger.warning(message)
    warnings.warn(message, MinifyWarning, stacklevel=3)
    return text


_JS_HINT = re.compile(r"\b(?:function|var|let|const|return|document|window|=>)\b|=>|\);")
_CSS_HINT = re.compile(r"[^{}]+\{[^{}]*:[^{}]*\}")


def guess_format(text: str) -> str:
    """Guess ``"html"``, ``"js"`` or ``"css"`` for slimcontent without an argument."""
    stripped = text.strip()
    if stripped.startswith("<"):
        return "html"
    if _JS_HINT.search(stripped):
        return "js"
    if _CSS_HINT.search(stripped):
        return "css"
    return "html"


def minify_content(kind: str, text: str) -> str:
    """Minify inline template content of ``kind`` (``css``, ``js`` or ``html``)."""
    if kind == "html":
        return minify_html(text)
    return minify("." + kind, text, f"inline {kind} content").strip()
