"""Reading the tags of an HTML text as a browser's tokenizer reads them, in linear time.

Block bodies are HTML that a template (and whatever its variables hold) produced, so the tags found
here must be the tags a browser finds: the same attribute boundaries (an attribute value that holds
`` src=x`` is one value, not a second attribute), the same comments, and raw text where browsers
have it (``<script>``, ``<style>``, ``<textarea>``, ``<title>``…: a tag written inside them is text),
and a script's end where browsers find it (``<!--<script>`` hides the next ``</script>``).
Every search moves forward and a construct that never closes ends the scan, so no input costs more
than one pass (Python's :mod:`html.parser` takes quadratic time on some texts and raises on others).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.entities import html5

#: Elements whose content is text up to their end tag (HTML's raw text and escapable raw text).
RAW_TEXT_ELEMENTS = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})

_TAG_NAME = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_BEFORE_ATTRIBUTE = re.compile(r"[\t\n\f\r /]*")
_ATTRIBUTE = re.compile(
    r"(?P<name>[^\t\n\f\r />][^\t\n\f\r />=]*)"  # a name may start with '=' (a browser reads it so)
    r"(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?P<value>\"[^\"]*\"?|'[^']*'?|[^\t\n\f\r >]*))?"
)
_COMMENT_END = re.compile(r"--!?>")
_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_RAW_TEXT_ENDS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in RAW_TEXT_ELEMENTS
}
# What moves a script's content between HTML's script data states: "<!" before "--" (its dashes are
# left to be read again, as "<!-->" also ends the escape), "-->", "<script" and "</script".
_SCRIPT_DATA = re.compile(r"<!(?=--)|-->|<(/?)script(?=[\t\n\f\r />])", re.IGNORECASE)


@dataclass(frozen=True)
class Attribute:
    """One attribute of a start tag: its span (name to the end of its value), name and decoded value."""

    name: str  # ASCII lower-cased, as browsers compare names
    start: int
    end: int
    value: str | None  # None: written without a value
    quote: str  # '"', "'" or "" (unquoted or no value)


@dataclass(frozen=True)
class Tag:
    """A start or end tag: its span and, for a start tag, its attributes (spans in the same text)."""

    name: str
    start: int
    end: int
    closing: bool
    attributes: tuple[Attribute, ...] = ()
    #: For raw text elements: where their content ends (the start of their end tag, or the text's end).
    content_end: int | None = None
    #: Written ``<svg/>``: in SVG and MathML the element then has no content (HTML ignores the slash).
    self_closing: bool = False


def decode_value(value: str) -> str:
    """An attribute value with its character references decoded as browsers decode them in attributes
    (a named reference without ``;`` before ``=`` or a letter stays as written: ``?a=1&copy=2``)."""
    if "&" not in value:
        return value

    def one(match: re.Match[str]) -> str:
        reference = match.group(0)
        if reference.startswith("&#") or reference.endswith(";"):
            if reference.startswith("&#") or reference[1:] in html5:
                return unescape(reference)
            return reference
        following = value[match.end() : match.end() + 1]
        if reference[1:] in html5 and following != "=":  # a legacy name, such as &amp or &copy
            return unescape(reference)
        return reference

    return _CHARACTER_REFERENCE.sub(one, value)


def _lower(name: str) -> str:
    return name.translate(_ASCII_LOWER)


def attributes_at(text: str, position: int) -> tuple[list[Attribute], int] | None:
    """The attributes of a tag whose name ends at ``position`` and where the tag ends (after ``>``);
    None when the text ends inside the tag (browsers drop it)."""
    attributes: list[Attribute] = []
    length = len(text)
    while True:
        position = _BEFORE_ATTRIBUTE.match(text, position).end()  # type: ignore[union-attr]
        if position >= length:
            return None
        if text[position] == ">":
            return attributes, position + 1
        match = _ATTRIBUTE.match(text, position)
        assert match is not None  # any character but space, '/' and '>' starts a name
        raw = match.group("value")
        value: str | None = None
        quote = ""
        if raw is not None:
            quote = raw[:1] if raw[:1] in ('"', "'") else ""
            if quote and (len(raw) < 2 or raw[-1] != quote):
                return None  # a quote that never closes: the tag runs to the end of the text
            value = decode_value(raw[1:-1] if quote else raw)
        attributes.append(Attribute(_lower(match.group("name")), match.start(), match.end(), value, quote))
        position = match.end()


def start_tag_attributes(start_tag: str) -> tuple[list[Attribute], int]:
    """The attributes of one start tag (``<img …>``) and the offset where a new one may be added
    (after the last attribute, or the tag name)."""
    name = _TAG_NAME.match(start_tag, 1)
    name_end = name.end() if name else 1
    parsed = attributes_at(start_tag, name_end)
    attributes = parsed[0] if parsed else []
    return attributes, attributes[-1].end if attributes else name_end


def tags(text: str) -> Iterator[Tag]:
    """Every start and end tag of ``text`` outside comments and raw text, in order."""
    length = len(text)
    position = 0
    while True:
        position = text.find("<", position)
        if position < 0 or position + 1 >= length:
            return
        following = text[position + 1]
        if following == "!":
            if text.startswith("<!--", position):
                end = _comment_end(text, position + 4)
            else:  # a doctype, <![CDATA[ in HTML, or a bogus comment: to the next '>'
                end = text.find(">", position + 2) + 1
            if end <= 0:
                return
            position = end
            continue
        if following == "?":
            end = text.find(">", position + 2) + 1
            if end <= 0:
                return
            position = end
            continue
        closing = following == "/"
        name = _TAG_NAME.match(text, position + 2 if closing else position + 1)
        if name is None:
            if closing:  # '</>' is dropped, '</ x>' is a bogus comment: either way, to the next '>'
                end = text.find(">", position + 2) + 1
                if end <= 0:
                    return
                position = end
            else:
                position += 1  # a '<' that starts no tag is text
            continue
        parsed = attributes_at(text, name.end())
        if parsed is None:
            return
        attributes, end = parsed
        tag_name = _lower(name.group())
        if closing:
            yield Tag(tag_name, position, end, closing=True)
            position = end
            continue
        content_end = None
        if tag_name == "script":
            content_end = _script_content_end(text, end)
        elif tag_name in RAW_TEXT_ELEMENTS:
            found = _RAW_TEXT_ENDS[tag_name].search(text, end)
            content_end = found.start() if found else length
        # The slash before '>' counts only when no attribute took it (``<svg a=b/>``: "b/" is the value).
        self_closing = text[end - 2] == "/" and (not attributes or attributes[-1].end < end - 1)
        yield Tag(tag_name, position, end, False, tuple(attributes), content_end, self_closing)
        if tag_name == "plaintext":
            return  # everything after it is text
        position = end if content_end is None else content_end


def _comment_end(text: str, after_open: int) -> int:
    """The end of a comment whose ``<!--`` ends at ``after_open``: ``<!-->`` and ``<!--->`` are whole
    comments, others end at ``-->`` or ``--!>``; 0 when it never ends."""
    if text.startswith(">", after_open):
        return after_open + 1
    if text.startswith("->", after_open):
        return after_open + 2
    found = _COMMENT_END.search(text, after_open)
    return found.end() if found else 0


def _script_content_end(text: str, start: int) -> int:
    """Where the content of a script that starts at ``start`` ends: at the first ``</script`` unless an
    escape (``<!--``) holds a ``<script``, whose ``</script`` then ends nothing until ``-->``
    (HTML's script data escaped and double escaped states); the text's end if it never ends."""
    escaped = double_escaped = False
    position = start
    while (found := _SCRIPT_DATA.search(text, position)) is not None:
        position = found.end()
        token = found.group(0)
        if token == "<!":
            escaped = escaped or not double_escaped
        elif token == "-->":
            escaped = double_escaped = False
        elif found.group(1):  # </script
            if not double_escaped:
                return found.start()
            double_escaped = False
        elif escaped and not double_escaped:  # <script inside an escape
            double_escaped = True
    return len(text)
