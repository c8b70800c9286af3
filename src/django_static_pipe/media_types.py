"""Which media types the GridFS view sends, and how: one strict parser for stored and declared types.

A stored ``contentType`` may come from an upload's own header (the client chose it) or from another
GridFS writer, so it is never sent as it is. It is parsed by RFC 9110's grammar (``type/subtype``
then ``; name=value`` parameters); anything else, a comma included, makes it unknown. Only the
``charset`` parameter of ``text/*`` types survives, and only with a charset from a short list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNKNOWN_TYPE = "application/octet-stream"
MAX_TYPE_LENGTH = 200  # real media types are far shorter; a longer one is not worth parsing

#: Served inline: types a browser displays but does not run.
INLINE_TYPES = frozenset(
    {
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon",
        "image/vnd.microsoft.icon", "audio/mpeg", "audio/ogg", "audio/wav", "audio/webm", "audio/flac",
        "video/mp4", "video/webm", "video/ogg", "application/pdf", "text/plain", "text/csv",
        "font/woff", "font/woff2", "font/ttf", "font/otf",
    }
)  # fmt: skip
#: Sent with their own type, always as a download: a browser would run or render these with the site's
#: privileges. Every other type is sent as ``application/octet-stream``, also as a download.
ATTACHMENT_TYPES = frozenset(
    {
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
        "text/javascript", "application/javascript", "application/json", "text/css", "application/zip",
        "application/gzip", "application/x-tar", UNKNOWN_TYPE,
    }
)  # fmt: skip
#: Charsets a ``text/*`` type may name (others are dropped: UTF-7 has been used to smuggle markup).
CHARSETS = frozenset({"utf-8", "us-ascii", "iso-8859-1", "windows-1252", "utf-16", "utf-16le", "utf-16be"})
#: Types whose document may not be sandboxed: Chromium refuses to show a PDF in a sandboxed document.
UNSANDBOXED_TYPES = frozenset({"application/pdf"})
#: Sent with every other media response: even a type that slipped through could run no script.
SANDBOX_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})[ \t]*", re.ASCII)
_PARAMETER = re.compile(rf';[ \t]*({_TOKEN})=({_TOKEN}|"[^"\\\x00-\x1f\x7f]*")[ \t]*', re.ASCII)


@dataclass(frozen=True)
class ServedType:
    """The ``Content-Type`` to send, whether the browser may show it inline, and its CSP (or None)."""

    content_type: str
    inline: bool
    policy: str | None


def normalise(value: object) -> str:
    """``value`` as a clean media type (lower-case base, allowed parameters only), or the unknown type."""
    if not isinstance(value, str) or not value or len(value) > MAX_TYPE_LENGTH or not value.isascii():
        return UNKNOWN_TYPE
    value = value.strip(" \t")
    match = _TYPE.match(value)
    if match is None:
        return UNKNOWN_TYPE
    base = f"{match.group(1)}/{match.group(2)}".lower()
    charset = None
    position = match.end()
    while position < len(value):
        parameter = _PARAMETER.match(value, position)
        if parameter is None:
            return UNKNOWN_TYPE  # a comma, a stray quote, a second type: not a media type at all
        name, raw = parameter.group(1).lower(), parameter.group(2).strip('"').lower()
        if name == "charset" and base.startswith("text/") and raw in CHARSETS:
            charset = raw
        position = parameter.end()
    return f"{base}; charset={charset}" if charset else base


def served(stored: object) -> ServedType:
    """How to send a file stored with type ``stored``: inline only for :data:`INLINE_TYPES`."""
    content_type = normalise(stored)
    base = content_type.split(";", 1)[0]
    inline = base in INLINE_TYPES
    if not inline:
        content_type = base if base in ATTACHMENT_TYPES else UNKNOWN_TYPE
    return ServedType(
        content_type=content_type,
        inline=inline,
        policy=None if base in UNSANDBOXED_TYPES else SANDBOX_POLICY,
    )
