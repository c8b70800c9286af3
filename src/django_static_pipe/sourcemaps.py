"""Source maps: the ``sourceMappingURL`` comment of a script or stylesheet, the map it names, and the
index map of a bundle joined without minifying.

The comment that counts is the last one that starts a line (``//# sourceMappingURL=…`` or
``/*# sourceMappingURL=… */``; ``@`` for ``#`` is the old form), as browsers and Django's Manifest
storage read it. A map's ``sources`` are relative to the map's own URL; once the map is published
under a stamped name elsewhere they are rewritten to absolute URLs, so they still lead where they did.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from . import linemap
from .js_lexer import Lexer

MARKER = "sourceMappingURL="
_COMMENT = re.compile(
    r"[ \t]*(?://[#@][ \t]*sourceMappingURL=(?P<line>[^\s'\"`]*)[ \t]*\r?$"
    r"|/\*[#@][ \t]*sourceMappingURL=(?P<block>[^\s*'\"`]*)[ \t]*\*/[ \t]*\r?$)",
    re.MULTILINE,
)
_DATA_JSON = re.compile(r"^data:application/json(?:;[^,;]*)*?(?P<base64>;base64)?,", re.IGNORECASE)
_XSSI_PREFIX = ")]}'"
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
#: Deepest JSON nesting a map may have: real maps are 3-4 levels deep, and a hostile one must not
#: exhaust the stack of the process that reads it.
MAX_MAP_DEPTH = 32


@dataclass(frozen=True)
class MapComment:
    """The ``sourceMappingURL`` comment that counts: its span in the text, and the URL's span."""

    start: int
    end: int
    url_start: int
    url_end: int
    url: str


def find_map_comment(text: str, before: int | None = None) -> MapComment | None:
    """The last ``sourceMappingURL`` comment that stands alone on its line (starting before
    ``before``); None when there is none."""
    search_end = len(text) if before is None else before
    while True:
        at = text.rfind(MARKER, 0, search_end)
        if at < 0:
            return None
        line_start = text.rfind("\n", 0, at) + 1
        comment = _comment_on_line(text, line_start)
        if comment is not None and comment.end > at:
            return comment
        search_end = line_start  # the comment must start its line: the rest of this one cannot hold it


def _comment_on_line(text: str, line_start: int) -> MapComment | None:
    match = _COMMENT.match(text, line_start)
    if match is None:
        return None
    group = "line" if match.group("line") is not None else "block"
    return MapComment(line_start, match.end(), match.start(group), match.end(group), match.group(group))


def find_script_map_comment(text: str) -> MapComment | None:
    """:func:`find_map_comment` for a script, passing over a line inside a string or template
    literal: code that writes such a comment for code it makes (a bundler, a code generator) holds
    text, not the comment, and changing it would change what the script does.

    The script is lexed only when it could matter: code follows the candidate, and a backtick or a
    line continued by a backslash comes before it. It is lexed once. A lexer can misread a ``/``
    (``if (s) /`/.test(s)``: JavaScript starts a regular expression where no token tells it), and
    from there take code for literals and literals for code: a candidate is passed over only when the
    lexer read the whole script to a clean end (no template left open); otherwise the last
    candidate stands, as it would without a lexer.
    """
    last = comment = find_map_comment(text)
    if comment is None or not _may_be_in_a_literal(text, comment):
        return comment
    lexer = Lexer(text)
    lexer.skim = True  # only strings and templates are wanted, and skimming yields every one of them
    spans = _literals_across_lines(lexer, comment.start)
    starts = [start for start, _end in spans]

    def in_a_literal(at: int) -> bool:
        index = bisect.bisect_right(starts, at) - 1
        return index >= 0 and spans[index][1] > at

    while comment is not None and in_a_literal(comment.start):
        comment = find_map_comment(text, comment.start)
    return comment if _read_to_a_clean_end(lexer) else last


def find_script_map_comment_in_bytes(data: bytes, view: str) -> MapComment | None:
    """:func:`find_script_map_comment` over a script's bytes, in ``view``, their Latin-1 decoding (one
    character per byte: positions and URL as a file passed on byte for byte is read). The lexer reads
    the UTF-8 the bytes are, so that a line end past ASCII (U+2028) ends a ``//`` comment for it as
    for browsers."""
    if data.isascii():
        return find_script_map_comment(view)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # not UTF-8: one character per byte is all there is to read
        return find_script_map_comment(view)
    comment = find_script_map_comment(text)
    if comment is None:
        return None
    return _comment_on_line(view, len(text[: comment.start].encode("utf-8")))


_CODE_AFTER = re.compile(r"\S")
_CONTINUED_LINE = re.compile(r"\\\r?\n")


def _may_be_in_a_literal(text: str, comment: MapComment) -> bool:
    if _CODE_AFTER.search(text, comment.end) is None:  # nothing after it: no literal can close there
        return False
    return text.find("`", 0, comment.start) >= 0 or _CONTINUED_LINE.search(text, 0, comment.start) is not None


def _literals_across_lines(lexer: Lexer, until: int) -> list[tuple[int, int]]:
    """The spans of the strings and template parts that hold a line end, up to ``until``, in order."""
    spans = []
    for token in lexer:
        if token.kind in ("string", "template") and ("\n" in token.text or "\r" in token.text):
            spans.append((token.start, token.end))
        if token.end > until:
            break
    return spans


def _read_to_a_clean_end(lexer: Lexer) -> bool:
    """Whether ``lexer`` reads on to the end of its script with every template literal closed."""
    for _token in lexer:
        pass
    return not lexer.unclosed_template and lexer.substitutions == 0


def map_references(text: str) -> Iterator[tuple[tuple[int, int], str]]:
    """The scanner's face for the shared reference loop: the span and text of the map URL, if any."""
    comment = find_map_comment(text)
    if comment is not None and comment.url:
        yield (comment.url_start, comment.url_end), comment.url


def without_map_comment(text: str, *, script: bool = False) -> str:
    """``text`` without the comment that counts (``script``: read as a script's, see
    :func:`find_script_map_comment`); its line stays (empty), so no line moves."""
    if MARKER not in text:
        return text
    comment = find_script_map_comment(text) if script else find_map_comment(text)
    return text if comment is None else text[: comment.start] + text[comment.end :]


def with_map_url(text: str, comment: MapComment, url: str) -> str:
    """``text`` with the comment's URL replaced by ``url``."""
    return text[: comment.url_start] + _comment_safe(url) + text[comment.url_end :]


def map_comment_for(extension: str, url: str) -> str:
    """The comment that names ``url`` as the map of a file of ``extension`` (to end that file)."""
    if extension.lower() == ".css":
        return f"/*# sourceMappingURL={_comment_safe(url)} */"
    return f"//# sourceMappingURL={_comment_safe(url)}"


def _comment_safe(url: str) -> str:
    # A URL from the file proxy must not end the comment or the line it stands on.
    return re.sub(r"[\s*'\"`]", lambda match: f"%{ord(match.group(0)):02X}", url)


def inline_map(url: str) -> bytes | None:
    """The JSON of a ``data:application/json`` map URL; None for any other URL or a broken one."""
    match = _DATA_JSON.match(url)
    if match is None:
        return None
    payload = url[match.end() :]
    if match.group("base64"):
        try:
            return base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            return None
    return unquote_to_bytes(payload)


def _depth_ok(data: bytes) -> bool:
    depth = 0
    for byte in data.translate(None, delete=_NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_MAP_DEPTH:
            return False
    return True


_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def load_map(data: bytes) -> dict[str, Any] | None:
    """A version 3 source map parsed from ``data``; None when it is not one (the caller keeps it as is)."""
    if data.startswith(_XSSI_PREFIX.encode()):
        data = data.partition(b"\n")[2]
    if not _depth_ok(data):
        return None
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict) or parsed.get("version") != 3:
        return None
    return parsed


def dump_map(source_map: dict[str, Any]) -> bytes:
    return json.dumps(source_map, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


#: Turns a source's URL as written in a map (made absolute against the map's location) into the URL
#: it gets in the rewritten map; None keeps it as written.
SourceUrl = Callable[[str], str | None]


def _joined(root: str, source: str) -> str:
    if not root or _SCHEME.match(source) or source.startswith("/"):
        return source
    return root if not source else root.rstrip("/") + "/" + source


def rewrite_sources(source_map: dict[str, Any], source_url: SourceUrl) -> dict[str, Any]:
    """A copy of ``source_map`` whose ``sources`` (``sourceRoot`` folded in) went through ``source_url``.

    Index maps have their sections rewritten the same way.
    """
    rewritten = dict(source_map)
    sections = source_map.get("sections")
    if isinstance(sections, list):
        rewritten["sections"] = [
            {**section, "map": rewrite_sources(section["map"], source_url)}
            for section in sections
            if isinstance(section, dict) and isinstance(section.get("map"), dict)
        ]
        return rewritten
    root = source_map.get("sourceRoot")
    root = root if isinstance(root, str) else ""
    sources = source_map.get("sources")
    if isinstance(sources, list):
        new_sources: list[Any] = []
        for source in sources:
            if not isinstance(source, str):
                new_sources.append(source)
                continue
            written = _joined(root, source)
            new_sources.append(source_url(written) or written)
        rewritten["sources"] = new_sources
    rewritten.pop("sourceRoot", None)
    return rewritten


@dataclass
class Section:
    """One member of a joined file: the line it starts on, and its map (its own, or one line for line)."""

    line: int
    source_map: dict[str, Any]


def identity_map(origins: Sequence[linemap.Origin | None], contents: dict[str, str] | None = None) -> dict[str, Any]:
    """A map sending each line to ``origins[line]`` (a source URL and a 0-based line), column 0."""
    sources = list(dict.fromkeys(origin[0] for origin in origins if origin is not None))
    result: dict[str, Any] = {
        "version": 3,
        "sources": sources,
        "names": [],
        "mappings": linemap.encode_mappings(origins, {source: index for index, source in enumerate(sources)}),
    }
    if contents is not None:
        result["sourcesContent"] = [contents.get(source) for source in sources]
    return result


def index_map(sections: Sequence[Section]) -> dict[str, Any]:
    """An index map (``sections``) for a joined file; a member's own index map is flattened into it.

    Sections must start in order, each after the one before: a member's own sections that would not
    (a broken map, or one longer than the member) are left out rather than make browsers refuse all.
    """
    flat: list[dict[str, Any]] = []
    for index, section in enumerate(sections):
        end = sections[index + 1].line if index + 1 < len(sections) else None
        inner = section.source_map.get("sections")
        if not isinstance(inner, list):
            flat.append({"offset": {"line": section.line, "column": 0}, "map": section.source_map})
            continue
        for part in inner:
            offset = part.get("offset") if isinstance(part, dict) else None
            line = offset.get("line") if isinstance(offset, dict) else None
            column = offset.get("column", 0) if isinstance(offset, dict) else None
            if not (isinstance(line, int) and isinstance(column, int) and isinstance(part.get("map"), dict)):
                continue
            if line >= 0 and column >= 0 and (end is None or section.line + line < end):
                flat.append({"offset": {"line": section.line + line, "column": column}, "map": part["map"]})
    ordered: list[dict[str, Any]] = []
    for item in flat:
        start = (item["offset"]["line"], item["offset"]["column"])
        if not ordered or start > (ordered[-1]["offset"]["line"], ordered[-1]["offset"]["column"]):
            ordered.append(item)
    return {"version": 3, "sections": ordered}
