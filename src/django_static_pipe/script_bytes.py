"""Minifying one script from the bytes read from disk, without ever decoding it whole.

A script's text costs one to four bytes per character (plotly.js, 10.8 MB of UTF-8 with a few
characters past U+00FF, is 21.6 MB as text), and the text path holds it beside its UTF-8 copy and
rjsmin's output: a 10 MB script took 60 MB. A script of its own that is minified, is valid UTF-8
without a byte order mark or a line end past ASCII, and names no local module needs nothing the text
path gives: rjsmin and the guards of :mod:`minify_guards` read bytes, and where a text-reading
helper must look (the quick look for modules, joined numbers, the lexer) it reads the bytes seen
one character per byte (:mod:`script_view`). Every other script, and every one the byte path cannot
settle, takes the text path; what the byte path makes is what the text path makes.
"""

from __future__ import annotations

import codecs
import re

from . import charsets, jsrefs
from .minify import minify_owned_script
from .script_view import class_view

# JavaScript's line terminators beyond ASCII: the quick look over bytes would not see their line ends.
_LINE_SEPARATOR = re.compile(b"\xe2\x80[\xa8\xa9]")
_CHECK_CHUNK = 1 << 20
#: From what size a script that may name a local module is lexed as bytes to find out: below it, the
#: text path's copies cost less than a megabyte or two, and a script that does name one is lexed once.
LEXED_AS_BYTES_FROM = 256 * 1024


def minified_script(extension: str, held: list[bytes], origin: str) -> bytes | None:
    """The minified bytes of the script in ``held`` (its only reference, taken); None, with the
    bytes put back, when the text path must make them."""
    if not _byte_path_fits(held[0]):
        return None
    return minify_owned_script(extension, held, origin)  # which drops the map comment with the others


def _byte_path_fits(source: bytes) -> bool:
    if charsets.has_bom(source):
        return False
    if not source.isascii() and (_LINE_SEPARATOR.search(source) or not _valid_utf8(source)):
        return False
    view = source.decode("latin-1")  # one character per byte, for the quick look only
    try:
        if not jsrefs.may_name_local_module(view, utf8_view=True):
            return True
    finally:
        del view
    # A large script the quick look cannot clear is lexed as it is (a small one's text costs little).
    if len(source) < LEXED_AS_BYTES_FROM:
        return False
    faithful = class_view(source)
    return faithful is not None and not jsrefs.local_specifiers(faithful)


def _valid_utf8(source: bytes) -> bool:
    """Whether ``source`` is UTF-8, checked a megabyte at a time (its text is never held whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(source)
    try:
        for start in range(0, len(source), _CHECK_CHUNK):
            decoder.decode(view[start : start + _CHECK_CHUNK], final=start + _CHECK_CHUNK >= len(source))
    except UnicodeDecodeError:
        return False
    finally:
        view.release()
    return True
