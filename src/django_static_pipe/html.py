"""The block tags' work: find the scripts, stylesheets and images in rendered HTML and combine them.

The body is parsed with :mod:`html.parser`, so tags may span lines and list attributes in any order.
Consecutive local ``<script src>`` (or ``<link rel="stylesheet">``) with equal grouping attributes form
a run; anything else of the same kind between them ends the run, so execution and cascade order never
change. Each run becomes one tag where its first member stood; everything else is kept byte for byte.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser

from django.utils.html import escape

from . import pipeline
from .conf import pipe_settings
from .sources import is_local

SCRIPT_ATTRIBUTES = frozenset({"src", "async", "defer", "type"})
STYLESHEET_ATTRIBUTES = frozenset({"rel", "href", "media", "type"})
CLASSIC_SCRIPT_TYPES = frozenset({None, "", "text/javascript", "application/javascript"})


@dataclass
class Element:
    """A tag found in the body: its span in the text, its raw start tag, and where its URL sits."""

    kind: str  # "script", "stylesheet" or "img"
    start: int
    end: int
    start_tag: str
    url_attribute: str
    url: str
    group: tuple[object, ...] | None  # None: not combinable (ends a run of its kind)


@dataclass
class Run:
    """Consecutive combinable elements of one kind with equal grouping attributes."""

    kind: str
    members: list[Element] = field(default_factory=list)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(strip_query(element.url) for element in self.members)


@dataclass
class Plan:
    runs: list[Run]
    images: list[Element]
    # The last output and the URLs it was made with: a warm render whose URLs are the same (the
    # usual case) returns it without editing the body again.
    last: tuple[object, str] | None = None


def strip_query(url: str) -> str:
    return re.split(r"[?#]", url, maxsplit=1)[0]


class _Collector(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.line_offsets = [0]
        for match in re.finditer("\n", text):
            self.line_offsets.append(match.end())
        self.elements: list[Element] = []
        self.barriers: list[tuple[str, int]] = []
        self.uncombined: list[Element] = []  # local URLs kept where they are
        self._open_script: tuple[int, str, dict[str, str | None]] | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_offsets[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        raw = self.get_starttag_text() or ""
        attributes = dict(attrs)
        if tag == "script":
            self._open_script = (start, raw, attributes)
        elif tag == "link" and (attributes.get("rel") or "").strip().lower() == "stylesheet":
            self._stylesheet(start, raw, attributes)
        elif tag == "style":
            self.barriers.append(("stylesheet", start))
        elif tag == "img" and attributes.get("src") and is_local(attributes["src"] or ""):
            self.elements.append(Element("img", start, start + len(raw), raw, "src", attributes["src"] or "", None))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":  # <script src=x /> is not self-closing in HTML; the parser says it is
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)
        else:
            self.handle_starttag(tag, attrs)

    def _stylesheet(self, start: int, raw: str, attributes: dict[str, str | None]) -> None:
        href = attributes.get("href") or ""
        combinable = (
            is_local(href)
            and set(attributes) <= STYLESHEET_ATTRIBUTES
            and ((attributes.get("type") or "text/css").lower() == "text/css")
        )
        group = ("stylesheet", attributes.get("media")) if combinable else None
        element = Element("stylesheet", start, start + len(raw), raw, "href", href, group)
        if combinable:
            self.elements.append(element)
        else:
            self.barriers.append(("stylesheet", start))
            if is_local(href):
                self.uncombined.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self._open_script is None:
            return
        start, raw, attributes = self._open_script
        self._open_script = None
        end = self.text.find(">", self._offset()) + 1 or len(self.text)
        src = attributes.get("src") or ""
        script_type = attributes.get("type")
        inline = self.text[start + len(raw) : self._offset()]
        combinable = (
            is_local(src)
            and not inline.strip()
            and set(attributes) <= SCRIPT_ATTRIBUTES
            and (script_type.lower() if script_type else script_type) in CLASSIC_SCRIPT_TYPES
        )
        group = ("script", "async" in attributes, "defer" in attributes, script_type) if combinable else None
        element = Element("script", start, end, raw, "src", src, group)
        if combinable:
            self.elements.append(element)
        else:
            self.barriers.append(("script", start))
            if is_local(src):
                self.uncombined.append(element)


def plan_of(body: str) -> Plan:
    collector = _Collector(body)
    collector.feed(body)
    collector.close()
    events: list[tuple[int, Element | str]] = [(element.start, element) for element in collector.elements]
    events += [(offset, kind) for kind, offset in collector.barriers]
    events.sort(key=lambda event: event[0])
    runs: list[Run] = []
    current: dict[str, Run | None] = {"script": None, "stylesheet": None}
    images: list[Element] = []
    for _offset, event in events:
        if isinstance(event, str):
            current[event] = None
            continue
        if event.kind == "img":
            images.append(event)
            continue
        run = current[event.kind]
        if run is None or run.members[0].group != event.group:
            run = Run(event.kind)
            runs.append(run)
            current[event.kind] = run
        run.members.append(event)
    return Plan(runs=runs, images=images)


_PLAN_CACHE_SIZE = 256
_plans: OrderedDict[str, Plan] = OrderedDict()


def plan_for(body: str) -> Plan:
    """The parse of ``body``, remembered (with ``DEBUG`` off) for the bodies rendered most often."""
    if pipe_settings.debug:
        return plan_of(body)
    plan = _plans.get(body)
    if plan is None:
        plan = plan_of(body)
        _plans[body] = plan
        if len(_plans) > _PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan


def forget_plans() -> None:
    _plans.clear()


_TAG_END = re.compile(r"\s*/?>$")


_ATTRIBUTE_VALUE = {
    name: re.compile(rf"(\s{name}\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s>\"']+)", re.IGNORECASE) for name in ("src", "href")
}


def _with_url(start_tag: str, attribute: str, url: str, extra: str = "") -> str:
    match = _ATTRIBUTE_VALUE[attribute].search(start_tag)
    if match is None:  # pragma: no cover - the parser found the attribute, so the pattern does too
        return start_tag
    value = match.group(2)
    quote = value[0] if value[:1] in ("'", '"') else '"'
    tag = start_tag[: match.start(2)] + quote + escape(url) + quote + start_tag[match.end(2) :]
    if extra:
        closing = _TAG_END.search(tag)
        at = closing.start() if closing else len(tag)
        tag = tag[:at] + extra + tag[at:]
    return tag


def _whole_line(body: str, start: int, end: int) -> tuple[int, int]:
    """Widen a removed element's span to its whole line when nothing else stands on that line."""
    line_start = body.rfind("\n", 0, start) + 1
    line_end = body.find("\n", end)
    line_end = len(body) if line_end < 0 else line_end
    if body[line_start:start].strip() or body[end:line_end].strip():
        return start, end
    return (line_start, line_end + 1) if line_end < len(body) else (max(line_start - 1, 0), line_end)


def process_block(body: str, *, slim: bool) -> str:
    """Combine and stamp what ``body`` references, as ``{% staticall %}``/``{% slimall %}`` do."""
    if not pipe_settings.enabled:
        return _prefix_media_url(body) if pipe_settings.media_url_always else body
    plan = plan_for(body)
    sri = pipe_settings.sri
    run_parts: list[tuple[tuple[str, str | None], ...]] = []
    for run in plan.runs:
        outcome = pipeline.build(run.names, slim)
        # Scripts of different strictness become one tag per group, in order, where the run stood.
        parts = [pipeline.build(segment, slim) for segment in outcome.built.segments] or [outcome]
        run_parts.append(tuple(_url_and_integrity(part, sri) for part in parts))
    image_urls = tuple(pipeline.url_for(strip_query(image.url), slim=False, from_tag=True) for image in plan.images)
    key = (tuple(run_parts), image_urls)
    last = plan.last
    if last is not None and last[0] == key:
        return last[1]
    output = _assemble(body, plan, key)
    plan.last = (key, output)
    return output


def _url_and_integrity(outcome: pipeline.Outcome, sri: bool) -> tuple[str, str | None]:
    integrity = pipeline.with_integrity(outcome.built) if sri and not outcome.built.notfound else None
    return pipeline.render(outcome), integrity


Resolved = tuple[tuple[tuple[tuple[str, str | None], ...], ...], tuple[str, ...]]


def _assemble(body: str, plan: Plan, resolved: Resolved) -> str:
    run_parts, image_urls = resolved
    edits: list[tuple[int, int, str]] = []
    for run, parts in zip(plan.runs, run_parts, strict=True):
        first = run.members[0]
        tags = [_with_url(first.start_tag, first.url_attribute, url, _sri(integrity)) for url, integrity in parts]
        if first.kind == "script":
            indent = body[body.rfind("\n", 0, first.start) + 1 : first.start]
            replacement = ("\n" + indent).join(tag + "</script>" for tag in tags)
            edits.append((first.start, first.end, replacement))
        else:
            edits.append((first.start, first.start + len(first.start_tag), tags[0]))
        for member in run.members[1:]:
            start, end = _whole_line(body, member.start, member.end)
            edits.append((start, end, ""))
    for image, url in zip(plan.images, image_urls, strict=True):
        edits.append((image.start, image.end, _with_url(image.start_tag, "src", url)))
    return _apply(body, edits)


def _sri(integrity: str | None) -> str:
    return f' integrity="{integrity}" crossorigin="anonymous"' if integrity else ""


def _apply(body: str, edits: list[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        parts.append(body[position:start])
        parts.append(replacement)
        position = max(position, end)
    parts.append(body[position:])
    return "".join(parts)


def _prefix_media_url(body: str) -> str:
    """Switched off with ``DJANGO_STATIC_MEDIA_URL_ALWAYS``: put the media URL before each local URL."""
    collector = _Collector(body)
    collector.feed(body)
    collector.close()
    edits = []
    for element in collector.elements + collector.uncombined:
        url = pipeline.original_url(element.url)
        edits.append(
            (
                element.start,
                element.start + len(element.start_tag),
                _with_url(element.start_tag, element.url_attribute, url),
            )
        )
    return _apply(body, edits)
