"""Minifying one script from the bytes read from disk, without ever decoding it whole.

A script's text costs one to four bytes per character (plotly.js, 10.8 MB of UTF-8 with a few
characters past U+00FF, is 21.6 MB as text), and the text path holds it beside its UTF-8 copy and
rjsmin's output: a 10 MB script took 60 MB. A script of its own that is minified, is valid UTF-8
without a byte order mark, and names no local module (the quick
look of :mod:`jsrefs`, over the bytes seen one character per byte) needs nothing the text path gives:
rjsmin reads the bytes, and the guards of :mod:`minify_guards` read bytes too. Every other script,
and every one the byte path cannot settle, takes the text path, which answers the same way.
"""

from __future__ import annotations

import codecs
import re

from . import charsets, jsrefs, sourcemaps
from .minify import minify_owned_script

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
    cut = _without_map_comment(held[0])
    if cut is None:
        return None
    if cut is not held[0]:
        held[0] = cut  # the held copy goes: the script is again held once
    del cut
    return minify_owned_script(extension, held, origin)


def _byte_path_fits(source: bytes) -> bool:
    if charsets.has_bom(source):
        return False
    if not source.isascii() and (_LINE_SEPARATOR.search(source) or not _valid_utf8(source)):
        return False
    view = source.decode("latin-1")  # one character per byte, non-ASCII ones all taken for a name's
    try:
        if not jsrefs.may_name_local_module(view):
            return True
        # A large script the quick look cannot clear is lexed as it is (a small one's text costs little).
        return (
            len(source) >= LEXED_AS_BYTES_FROM
            and not charsets.has_space_beyond_ascii(source)
            and not jsrefs.local_specifiers(view)
        )
    finally:
        del view


def _without_map_comment(source: bytes) -> bytes | None:
    """``source`` without the source map comment that counts, as the text path drops it before
    minifying (:func:`sourcemaps.find_map_comment`: it ends the script, so it is on the last line);
    None when that line is not ASCII (left to the text path)."""
    line_start = source.rfind(b"\n", 0, len(source) - 1) + 1
    if source.find(_MARKER, line_start) < 0:
        return source
    last_line = source[line_start:]
    if not last_line.isascii():
        return None
    comment = sourcemaps.find_map_comment(last_line.decode("ascii"))
    if comment is None:
        return source
    return source[: line_start + comment.start] + source[line_start + comment.end :]


_MARKER = sourcemaps.MARKER.encode("ascii")


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
