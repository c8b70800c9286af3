"""Turning a CSS or JS file's bytes into text without ever changing them silently.

A file is decoded as a browser would: by its byte order mark, then (CSS only) by its ``@charset``
rule, then as UTF-8. Bytes that are not valid in that encoding are not "repaired": they are kept one
character per byte (Latin-1, which maps every byte to one character and back), marked ``raw``, and
written back byte for byte. Only encodings browsers know are used (a ``@charset "unicode_escape"``
must not reach Python's codec of that name, which makes lone surrogates that crash C minifiers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

#: WHATWG encoding labels a stylesheet may name, mapped to the Python codec that decodes them as a
#: browser does for valid input. A label not here is one browsers ignore, so the file is read as UTF-8.
_CODEC_LABELS: tuple[tuple[str, str], ...] = (
    ("utf-8", "utf-8 utf8 unicode-1-1-utf-8 unicode11utf8 unicode20utf8 x-unicode20utf8"),
    # CSS Syntax: a @charset naming UTF-16 means UTF-8 (a real UTF-16 file starts with a BOM).
    ("utf-8", "utf-16 utf-16le utf-16be unicode unicodefffe csunicode iso-10646-ucs-2 ucs-2"),
    (
        "cp1252",
        (
            "windows-1252 cp1252 x-cp1252 iso-8859-1 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 latin1 l1 "
            "ascii us-ascii ansi_x3.4-1968 cp819 ibm819 csisolatin1 iso-ir-100"
        ),
    ),
    ("iso8859-2", "iso-8859-2 iso8859-2 iso88592 iso_8859-2 latin2 l2 csisolatin2"),
    ("iso8859-3", "iso-8859-3 iso8859-3 latin3 l3"),
    ("iso8859-4", "iso-8859-4 iso8859-4 latin4 l4"),
    ("iso8859-5", "iso-8859-5 iso8859-5 cyrillic csisolatincyrillic"),
    ("iso8859-6", "iso-8859-6 iso8859-6 arabic"),
    ("iso8859-7", "iso-8859-7 iso8859-7 greek greek8"),
    ("iso8859-8", "iso-8859-8 iso8859-8 hebrew visual"),
    ("iso8859-10", "iso-8859-10 iso8859-10 latin6 l6"),
    ("iso8859-13", "iso-8859-13 iso8859-13"),
    ("iso8859-14", "iso-8859-14 iso8859-14"),
    ("iso8859-15", "iso-8859-15 iso8859-15 latin9 l9"),
    ("iso8859-16", "iso-8859-16"),
    ("koi8-r", "koi8-r koi8_r koi8 koi cskoi8r"),
    ("koi8-u", "koi8-u koi8-ru"),
    ("mac-roman", "macintosh mac x-mac-roman csmacintosh"),
    ("cp874", "windows-874 dos-874 iso-8859-11 tis-620"),
    ("cp1250", "windows-1250 cp1250 x-cp1250"),
    ("cp1251", "windows-1251 cp1251 x-cp1251"),
    ("cp1253", "windows-1253 cp1253 x-cp1253"),
    ("cp1254", "windows-1254 cp1254 x-cp1254 iso-8859-9 iso8859-9 latin5 l5"),
    ("cp1255", "windows-1255 cp1255 x-cp1255"),
    ("cp1256", "windows-1256 cp1256 x-cp1256"),
    ("cp1257", "windows-1257 cp1257 x-cp1257"),
    ("cp1258", "windows-1258 cp1258 x-cp1258"),
    ("gbk", "gbk gb2312 chinese csgb2312 x-gbk"),
    ("gb18030", "gb18030"),
    ("big5", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    ("euc-jp", "euc-jp cseucpkdfmtjapanese x-euc-jp"),
    ("iso2022-jp", "iso-2022-jp csiso2022jp"),
    ("shift_jis", "shift_jis shift-jis sjis ms_kanji csshiftjis windows-31j x-sjis"),
    ("euc-kr", "euc-kr cseuckr korean ks_c_5601-1987 windows-949"),
)
_LABELS = {label: codec for codec, labels in _CODEC_LABELS for label in labels.split()}

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))
# Only the rule's first 1024 bytes count (CSS Syntax); this is as lenient as css.split_charset.
_CHARSET_RULE = re.compile(rb'^\s*@charset\s+["\']([^"\'\s;]{1,40})["\']\s*;', re.IGNORECASE)


@dataclass(frozen=True)
class SourceText:
    """A source's text, and how it was obtained.

    ``raw`` means the bytes are not valid in the encoding they declare (or UTF-8): ``text`` then
    holds one character per byte and :func:`encode` gives the same bytes back.
    """

    text: str
    raw: bool
    encoding: str  # the Python codec that decoded it (or failed to)
    declared_by: str  # "bom", "@charset" or "default"
    label: str | None = None  # what a @charset rule said, when it said something

    @property
    def transcoded(self) -> bool:
        """True when the text came from an encoding other than UTF-8 (and is written as UTF-8)."""
        return not self.raw and self.encoding != "utf-8"


def _bom(data: bytes) -> tuple[str, int] | None:
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return codec, len(mark)
    return None


def has_bom(data: bytes) -> bool:
    """Whether ``data`` starts with a byte order mark (UTF-8 or UTF-16)."""
    return _bom(data) is not None


#: The UTF-8 of the characters JavaScript takes for spaces or line ends beyond ASCII: U+00A0, U+1680,
#: U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF (rjsmin takes their bytes for a
#: name's).
JS_SPACES_PAST_ASCII: tuple[bytes, ...] = tuple(
    char.encode("utf-8")
    for char in "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# Those and U+0085 (a space to Python's \s).
_SPACE_BEYOND_ASCII = re.compile(b"|".join(map(re.escape, (*JS_SPACES_PAST_ASCII, "\x85".encode()))))


def space_beyond_ascii_ends_at(data: bytes, at: int) -> bool:
    """Whether the UTF-8 character that ends at offset ``at`` of ``data`` is a space or line end past
    ASCII."""
    return any(_SPACE_BEYOND_ASCII.fullmatch(data, max(0, at - width), at) for width in (2, 3))


def charset_label(data: bytes) -> str | None:
    """The label of a leading ``@charset`` rule, lower-cased; None when there is none."""
    match = _CHARSET_RULE.match(data[:1024])
    return match.group(1).decode("latin-1").lower() if match else None


def _decode(data: bytes, codec: str, declared_by: str, label: str | None = None, skip: int = 0) -> SourceText:
    try:
        return SourceText(data[skip:].decode(codec), False, codec, declared_by, label)
    except UnicodeDecodeError:
        # Every byte kept, a byte order mark included, so the file is written back exactly as it was.
        return SourceText(data.decode("latin-1"), True, codec, declared_by, label)


def decode_script(data: bytes) -> SourceText:
    """A script's text: by its BOM, else UTF-8; bytes valid in neither are kept raw."""
    bom = _bom(data)
    if bom is not None:
        return _decode(data, bom[0], "bom", skip=bom[1])
    return _decode(data, "utf-8", "default")


def decode_stylesheet(data: bytes) -> SourceText:
    """A stylesheet's text: by its BOM, its ``@charset`` (a label browsers know), else UTF-8."""
    bom = _bom(data)
    if bom is not None:
        return _decode(data, bom[0], "bom", skip=bom[1])
    label = charset_label(data)
    if label is None:
        return _decode(data, "utf-8", "default")
    codec = _LABELS.get(label)
    if codec is None:  # browsers ignore a label they do not know and read UTF-8; so do we
        return _decode(data, "utf-8", "default", label)
    return _decode(data, codec, "@charset", label)


_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")


def encode(text: str, raw: bool) -> bytes:
    """Bytes for text from :func:`decode_script`/:func:`decode_stylesheet`: UTF-8, or the raw bytes.

    Raw text holds one character per byte; anything beyond Latin-1 in it was put there by us (a
    stamped URL from the file proxy), and is written percent-encoded, as a URL may always be.
    """
    if not raw:
        return text.encode("utf-8")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return _BEYOND_LATIN1.sub(lambda match: quote(match.group(0)), text).encode("latin-1")


def as_raw(text: str, raw: bool) -> str:
    """Text in the raw form (one character per byte): decoded text becomes its UTF-8 bytes."""
    return text if raw else text.encode("utf-8").decode("latin-1")


def why_raw(name: str, decoded: SourceText) -> str:
    """The warning for a file kept as raw bytes: what it is not valid in, and how to fix it."""
    if decoded.declared_by == "bom":
        said = f"starts with a {decoded.encoding} byte order mark but is not valid {decoded.encoding}"
    elif decoded.declared_by == "@charset":
        said = f"declares @charset {decoded.label!r} but is not valid in it"
    elif decoded.label is not None:
        said = f"declares @charset {decoded.label!r}, which browsers do not know, and is not valid UTF-8"
    else:
        said = "is not valid UTF-8 and declares no other encoding"
    return (
        f"{name} {said}; its bytes are kept exactly as they are. Save it as UTF-8, "
        'or start it with the @charset rule of its real encoding (such as @charset "ISO-8859-1";).'
    )
