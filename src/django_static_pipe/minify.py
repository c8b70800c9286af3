"""Minifying CSS, JS and HTML text, with the minifier for each extension pluggable.

``DJANGO_STATIC_MINIFIERS`` maps an extension to the dotted path of ``f(text) -> text``. A minifier that
raises does not break a page: the text is passed through unminified with a :class:`MinifyWarning`.

rcssmin and rjsmin are C extensions that crash the whole process (SIGSEGV) on a string holding a lone
surrogate, so no such string ever reaches a minifier: a file that is not valid in its encoding is
minified as bytes (which rcssmin and rjsmin accept), and text that holds one anyway (inline content
from a template) is passed through unminified. They are asked to keep ``/*! … */`` licence comments.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .conf import pipe_settings
from .exceptions import MinifyWarning
from .js_numbers import ends_of_joins_in_bytes, joined_number_ends, joined_numbers, with_zeros, without_zeros
from .js_prepare import Preparation, minify_prepared, minify_prepared_bytes, preparation
from .minify_guards import (
    NESTED_TEMPLATE_TRAP,
    NUMBER_JOINED_TRAP,
    RESCAN_BUDGET,
    js_trap,
    js_trap_bytes,
    nests_template_literals,
    repair_css,
    rescan_work,
)
from .minify_html import minify_html
from .regex_misreads import MISREAD_REGEX_TRAP, RegexMisreads
from .script_view import class_view
from .sourcemaps import without_map_comment

logger = logging.getLogger("django_static_pipe")

Minifier = Callable[..., Any]

#: Minifiers that take bytes as well as text, and a ``keep_bang_comments`` keyword.
BYTES_MINIFIERS = frozenset({"rcssmin.cssmin", "rjsmin.jsmin"})
_SURROGATE = re.compile("[\ud800-\udfff]")


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


def minify(extension: str, text: str, origin: str, *, raw: bool = False) -> str:
    """Minify ``text`` by its extension; on a minifier failure, warn and return it unchanged.

    ``raw`` text holds one character per byte of a file that is not valid in its encoding
    (:mod:`django_static_pipe.charsets`): it is minified as those bytes, and the result is raw too.
    A script rjsmin would misread (nested template literals, a regular expression after ``=>``, a
    number ending in ``.`` at a line end) is minified after :mod:`django_static_pipe.js_prepare` has
    changed what it misreads.

    The result never holds the source's map comment, minified or not: the map describes the source,
    not this text. rcssmin and rjsmin drop comments themselves (and leave a line inside a template
    literal that looks like one as it is); from any other result the comment is cut.
    """
    if text.startswith("#!") and extension.lower() in (".js", ".mjs"):
        # A hashbang line (a script also run by node) is kept as it is: rjsmin joins it to the next
        # line, which then becomes part of the comment it is to JavaScript.
        line_end = text.find("\n")
        if line_end < 0:
            return text
        return text[: line_end + 1] + minify(extension, text[line_end + 1 :], origin, raw=raw)
    try:
        return _minify(extension, text, origin, raw)
    except _NotMinified as refusal:
        # The traceback keeps _minify's frame, and with it the source's UTF-8 copy, alive; the
        # prepared attempt needs neither.
        refusal.__traceback__ = None
        if refusal.trap not in _PREPARED_AGAINST:
            return _unminified(text, refusal.why, extension)
        return _minify_prepared(extension, text, origin, raw, refusal)
    except _MinifierFailed as failure:
        return _unminified(text, str(failure), extension)


def minify_owned_script(extension: str, held: list[bytes], origin: str) -> bytes | None:
    """A script's UTF-8 bytes minified as :func:`minify` would minify its text, never decoded whole;
    None (the bytes put back into ``held``) when :func:`minify` must do it.

    ``held`` holds the only reference to the script, so that it can be let go while a changed copy is
    minified: a script is then held twice at most (read, or completed, and rjsmin's output buffer),
    three times when the lexer must read it (through :mod:`script_view`). Only rcssmin/rjsmin, which
    read bytes, are asked. A number joined to the next line is completed where
    :func:`js_numbers.ends_of_joins_in_bytes` finds it; the other traps are prepared by the lexer.
    Only a script minified so comes back: whatever this path cannot settle, or would serve
    unminified, the text path decides (its limits count characters, these bytes).
    """
    source = held.pop()
    if pipe_settings.minifiers.get(extension.lower()) not in BYTES_MINIFIERS or source.startswith(b"#!"):
        held.append(source)
        return None
    if not nests_template_literals(source):  # else rjsmin's output is not worth making first
        trap, result = _bytes_attempt(extension, source, origin, templates=False)
        if trap is None:
            return result
        if trap != NUMBER_JOINED_TRAP or result is None:
            del result
            held.append(source)
            return None if trap not in _PREPARED_AGAINST else _prepared_by_bytes(extension, held, origin)
        joins = joined_numbers(source, result)
        del result
        ends = ends_of_joins_in_bytes(source, joins) if joins else None
        if ends is None:
            held.append(source)
            return None  # the text path finds them, or has the lexer prepare the script
        prepared = with_zeros(source, ends)
        del source  # the completed script is all that is held while rjsmin reads it
        completed_trap, result = _bytes_attempt(extension, prepared, origin, templates=False)  # a "0" nests none
        if completed_trap is None:
            return result
        del result
        held.append(without_zeros(prepared, ends))
        return None
    held.append(source)
    del source
    return _prepared_by_bytes(extension, held, origin)


def _prepared_by_bytes(extension: str, held: list[bytes], origin: str) -> bytes | None:
    """What :func:`_minify_prepared` makes of the script in ``held`` (taken), the lexer reading it
    through :func:`script_view.class_view`; None (the bytes put back) unless it is minified so."""
    source = held.pop()
    view = class_view(source)
    try:
        first = None if view is None else _packed(pipe_settings.minifiers[extension.lower()], source, origin)
    except _MinifierFailed:  # minify() reports it, in the text path's words
        first = None
    if first is None or view is None:
        held.append(source)
        return None
    misreads = RegexMisreads(source, first)  # counted in the bytes rjsmin read
    del first
    found = preparation(view, misreads, script=source)
    del misreads, view
    prepared = None
    if found is not None:
        with contextlib.suppress(_NotMinified, _MinifierFailed):
            prepared = minify_prepared_bytes(
                source, found, lambda changed: _minify_encoded(extension, changed, origin, raw=False)
            )
    if prepared is None:
        held.append(source)
    return prepared


def _bytes_attempt(
    extension: str, script: bytes, origin: str, *, templates: bool = True
) -> tuple[str | None, bytes | None]:
    """(None, the minified bytes), or (the trap, rjsmin's output if any) when the guards refused it
    or the minifier failed ("failed", None)."""
    try:
        return None, _minify_encoded(extension, script, origin, raw=False, templates=templates)
    except _NotMinified as refusal:
        refusal.__traceback__ = None  # its frames hold the script and the output a second time
        found, refusal.result = refusal.result, None
        return refusal.trap or "refused", found
    except _MinifierFailed:
        return "failed", None


def _minify_prepared(extension: str, text: str, origin: str, raw: bool, refusal: _NotMinified) -> str:
    """``text`` minified after :mod:`js_prepare` changed what rjsmin misread (``refusal``), or
    served unminified with a warning when that cannot be done safely.

    When the only trap is a number joined to the next line's name, the numbers are first found
    without the lexer (:func:`js_numbers.joined_number_ends`); should that fall short, or the
    completed script hit another trap, the lexer prepares the script for every trap at once.
    """
    encoding = _encoding(raw)
    result = refusal.result or b""
    refusal.result = None
    minify_again = lambda changed: _minify_encoded(extension, changed, origin, raw)  # noqa: E731
    try:
        if refusal.trap == NUMBER_JOINED_TRAP:
            ends = joined_number_ends(text, text.encode(encoding, "surrogatepass"), result, encoding)
            if ends is not None:
                del result  # not held while the completed script is minified (made again if needed)
                with contextlib.suppress(_NotMinified):
                    done = minify_prepared(text, minify_again, encoding=encoding, found=Preparation(completed=ends))
                    if done is not None:
                        return done
                result = _first_result(extension, text, origin, raw)
        prepared = minify_prepared(text, minify_again, RegexMisreads(text, result, encoding), encoding)
    except _NotMinified as still:  # what the prepared text still hits is what to report
        return _unminified(text, still.why, extension)
    except _MinifierFailed as failure:
        return _unminified(text, str(failure), extension)
    return _unminified(text, refusal.why, extension) if prepared is None else prepared


def _first_result(extension: str, text: str, origin: str, raw: bool) -> bytes:
    """What the minifier makes of ``text`` as it is, trapped or not (what it changed shows what it
    misread)."""
    try:
        return _minify_encoded(extension, text.encode(_encoding(raw), "surrogatepass"), origin, raw)
    except _NotMinified as refusal:
        return refusal.result or b""


def _encoding(raw: bool) -> str:
    """How a script's text becomes the bytes rjsmin reads: a raw one holds a character per byte."""
    return "latin-1" if raw else "utf-8"


#: The traps :mod:`js_prepare` changes a script against.
_PREPARED_AGAINST = frozenset({NESTED_TEMPLATE_TRAP, MISREAD_REGEX_TRAP, NUMBER_JOINED_TRAP})


def _minify_encoded(extension: str, script: bytes, origin: str, raw: bool, *, templates: bool = True) -> bytes:
    """:func:`_minify` of an encoded script (UTF-8, or Latin-1 when ``raw``), with the same guards;
    rjsmin reads the bytes themselves, so a large script is never held as text here. ``templates``:
    whether to look for nested template literals (False when the caller already has)."""
    encoding = _encoding(raw)
    dotted_path = pipe_settings.minifiers.get(extension.lower())
    if dotted_path not in BYTES_MINIFIERS or raw:
        return _minify(extension, script.decode(encoding, "surrogatepass"), origin, raw).encode(
            encoding, "surrogatepass"
        )
    packed = _packed(dotted_path, script, origin)
    _refuse_if_trapped(origin, js_trap_bytes(script, packed, templates=templates), packed)
    return packed


def _packed(dotted_path: str, script: bytes, origin: str) -> bytes:
    """What the bytes minifier ``dotted_path`` makes of ``script``, unguarded."""
    try:
        packed = _load(dotted_path)(script, keep_bang_comments=pipe_settings.keep_license_comments)
    except Exception as exc:  # a third-party minifier may raise anything; the page must still render
        raise _MinifierFailed(f"minifying {origin} failed ({exc!r})") from exc
    if not isinstance(packed, bytes):
        raise _MinifierFailed(f"{dotted_path} returned {type(packed).__name__} for {origin}, not bytes")
    return packed


def _refuse_if_trapped(origin: str, trap: str | None, result: bytes) -> None:
    """Raise :class:`_NotMinified` when a guard found ``trap`` in the minifier's ``result``."""
    if trap:
        raise _NotMinified(f"{origin} is not minified: {trap}", trap, result)


class _NotMinified(Exception):
    """The minified text may not mean what the source means (``trap``), or cannot be made."""

    def __init__(self, why: str, trap: str | None = None, result: bytes | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.trap = trap
        self.result = result  # the minifier's output (UTF-8), which shows what it changed


class _MinifierFailed(Exception):
    """The configured minifier raised or returned something that is not text."""


def _minify(extension: str, text: str, origin: str, raw: bool) -> str:
    """``text`` minified, or :class:`_NotMinified` / :class:`_MinifierFailed` saying why not."""
    dotted_path = pipe_settings.minifiers.get(extension.lower())
    if not dotted_path:
        return _without_map_comment(text, extension)
    minifier = _load(dotted_path)
    known = dotted_path in BYTES_MINIFIERS
    options = {"keep_bang_comments": pipe_settings.keep_license_comments} if known else {}
    extension = extension.lower()
    trap_checked = False
    try:
        if raw:
            if not known:
                raise _NotMinified(f"{origin} is not valid UTF-8, and {dotted_path} cannot minify bytes")
            minified = minifier(text.encode("latin-1"), **options).decode("latin-1")
        elif known:
            # Given text, rcssmin and rjsmin encode it to UTF-8 and decode their result themselves;
            # doing it here costs the same, the encoding is the check for lone surrogates (a regex
            # over the text cost half as much again as minifying), and the JS guards read bytes.
            try:
                source = text.encode("utf-8")
            except UnicodeEncodeError:
                raise _NotMinified(f"{origin} holds a lone surrogate, which no encoding can write") from None
            packed = minifier(source, **options)
            if extension in (".js", ".mjs") and isinstance(packed, bytes):
                _refuse_if_trapped(origin, js_trap_bytes(source, packed), packed)
                trap_checked = True
            del source  # freed before the result is decoded: a large file's bytes are not held three times
            minified = packed.decode("utf-8") if isinstance(packed, bytes) else packed
        elif not text.isascii() and _SURROGATE.search(text):
            raise _NotMinified(f"{origin} holds a lone surrogate, which no encoding can write")
        else:
            minified = minifier(text, **options)
    except _NotMinified:
        raise
    except Exception as exc:  # a third-party minifier may raise anything; the page must still render
        raise _MinifierFailed(f"minifying {origin} failed ({exc!r})") from exc
    if not isinstance(minified, str):
        raise _MinifierFailed(f"{dotted_path} returned {type(minified).__name__} for {origin}, not text")
    if extension in (".js", ".mjs") and not trap_checked:
        trap = js_trap(text, minified)
        if trap:
            _refuse_if_trapped(origin, trap, minified.encode("utf-8", "surrogatepass"))
    elif extension == ".css":
        minified = repair_css(minified)
    # The map of the source does not describe the minified text: no comment may point at it. rcssmin
    # and rjsmin drop such comments themselves; another minifier may keep them.
    return minified if known else _without_map_comment(minified, extension)


def _unminified(text: str, why: str, extension: str) -> str:
    message = f"django-static-pipe: {why}; it is served unminified."
    logger.warning(message)
    warnings.warn(message, MinifyWarning, stacklevel=3)
    return _without_map_comment(text, extension)


def _without_map_comment(text: str, extension: str) -> str:
    """What minifying promises of any result (see :func:`minify`): no source map comment."""
    return without_map_comment(text, script=extension.lower() in (".js", ".mjs"))


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
    """Minify inline template content of ``kind`` (``css``, ``js`` or ``html``).

    Inline content can hold a template's variables, so it may be anybody's text: text that would keep
    rjsmin or rcssmin busy for minutes (tokens that never close) is passed through with a warning.
    Files are the site's own and are not checked, which would slow every build.
    """
    if kind == "html":
        return minify_html(text)
    work = rescan_work(text, script=kind == "js")
    if work > RESCAN_BUDGET:
        why = f"inline {kind} content has tokens that never close ({work} scan steps)"
        return _unminified(text, why, "." + kind).strip()
    return minify("." + kind, text, f"inline {kind} content").strip()
