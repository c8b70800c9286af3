"""Reading a block tag's rendered body: every element that names a local asset, and how to treat it.

The body is read by :mod:`html_tokens` as a browser reads it, so tags may span lines and list
attributes in any order, and a tag inside a comment, a ``<textarea>`` or a ``<title>`` is not one.
Three treatments:

- **runs**: consecutive classic ``<script src>`` (or ``<link rel="stylesheet">``) with nothing but the
  grouping attributes, equal ones, and the same query, are joined into one file where the first stood;
  anything else of the same kind between them ends the run, so execution and cascade order never change;
- **singles**: every other element with a local URL is stamped in place, one URL at a time, keeping
  every attribute: scripts and stylesheets with more attributes (``nonce``, ``id``, ``crossorigin``…),
  module scripts, icons and preloads, ``img``/``source`` ``src`` and ``srcset``, ``video poster``,
  ``video``/``audio``/``source``/``track`` ``src``;
- **import maps**: the local URLs in ``<script type="importmap">`` are stamped as modules.

Whether a URL is local is decided by :func:`sources.locate`, the one place that reads URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import SuspiciousFileOperation

from .html_tokens import Tag, attributes_at, tags
from .sources import Located, locate

SCRIPT_ATTRIBUTES = frozenset({"src", "async", "defer", "type"})
STYLESHEET_ATTRIBUTES = frozenset({"rel", "href", "media", "type"})
CLASSIC_SCRIPT_TYPES = frozenset({None, "", "text/javascript", "application/javascript", "text/ecmascript"})
MODULE_TYPE = "module"
#: ``<link rel>`` values whose ``href`` is an asset of this site, stamped in place.
ASSET_LINK_RELS = frozenset(
    {"icon", "shortcut icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon", "preload"}
    | {"modulepreload", "prefetch", "manifest"}
)
#: element → attributes holding one URL (``srcset`` is handled on its own).
ASSET_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "img": ("src",),
    "source": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
}
SRCSET_ELEMENTS = frozenset({"img", "source"})


@dataclass(frozen=True)
class Slot:
    """One local URL in a start tag: which attribute, where in the value, what it locates to."""

    attribute: str
    written: str  # the URL as the parser decoded it
    located: Located
    slim: bool | None  # None: built as the block builds (scripts, stylesheets); else this


@dataclass
class Element:
    """A tag found in the body: its span, its raw start tag, and the local URLs it holds."""

    kind: str  # "script", "stylesheet", "module", "asset" or "importmap"
    start: int
    end: int
    start_tag: str
    attributes: dict[str, str | None]
    slots: list[Slot] = field(default_factory=list)
    group: tuple[object, ...] | None = None  # set: joinable with equal neighbours
    srcset: str | None = None  # the value of a srcset attribute, when it has local candidates
    inline: tuple[int, int] | None = None  # span of an import map's JSON text

    @property
    def url(self) -> str:
        return self.slots[0].written if self.slots else ""


@dataclass
class Run:
    """Consecutive joinable elements of one kind with equal grouping attributes."""

    kind: str
    members: list[Element] = field(default_factory=list)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(member.slots[0].located.name for member in self.members)

    @property
    def suffix(self) -> str:
        return self.members[0].slots[0].located.suffix


@dataclass
class Refused:
    """A local-looking URL that cannot be handled, with why (for warnings and ``--check``)."""

    offset: int
    url: str
    reason: str


@dataclass
class Plan:
    runs: list[Run]
    singles: list[Element]
    importmaps: list[Element]
    refused: list[Refused]
    # The last output and the URLs it was made with: a warm render whose URLs are the same (the
    # usual case) returns it without editing the body again.
    last: tuple[object, str] | None = None


_ASCII_SPACE = frozenset("\t\n\f\r ")
_SRCSET_SKIPPED = _ASCII_SPACE | {","}


def srcset_candidates(value: str) -> list[tuple[int, int, str]]:
    """``(start, end, url)`` of every candidate in a ``srcset`` value, read as the HTML standard reads it
    (a URL ends at whitespace; trailing commas end it with no descriptors; descriptors run to the next
    comma outside parentheses). The descriptors stay as written."""
    found: list[tuple[int, int, str]] = []
    position, length = 0, len(value)
    while True:
        while position < length and value[position] in _SRCSET_SKIPPED:
            position += 1
        if position >= length:
            return found
        start = position
        while position < length and value[position] not in _ASCII_SPACE:  # "\xa0" is part of a URL
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while position < length:
                char = value[position]
                position += 1
                if char == "(":
                    depth += 1
                elif char == ")" and depth:
                    depth -= 1
                elif char == "," and not depth:
                    break
        if url:
            found.append((start, start + len(url), url))


#: Elements that no run may cross: what is inside them is used only without scripting (``noscript``)
#: or when a script clones it (``template``), so it cannot join what is outside.
RUN_BOUNDARIES = frozenset({"noscript", "template"})
#: Roots of foreign content: a ``<script>`` or ``<link>`` in them is an SVG or MathML element that
#: loads nothing (SVG scripts read ``href``), so joining it with HTML ones would run what never ran.
FOREIGN_ROOTS = frozenset({"svg", "math"})


class _Collector:
    """The elements of a body that name local assets, and where runs must stop (barriers)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.elements: list[Element] = []
        self.barriers: list[tuple[str, int]] = []
        self.refused: list[Refused] = []
        # How deep in <svg>/<math> (counted as written; a tag that ends foreign content early, such
        # as <p>, only makes us join less). Nothing in foreign content is joined.
        self.foreign = 0

    def collect(self) -> None:
        for tag in tags(self.text):
            if tag.name in RUN_BOUNDARIES or tag.name in FOREIGN_ROOTS:
                self.barriers += [("script", tag.start), ("stylesheet", tag.start)]
                if tag.name in FOREIGN_ROOTS and not tag.self_closing:
                    self.foreign = max(self.foreign - 1, 0) if tag.closing else self.foreign + 1
                continue
            if tag.closing:
                continue
            attributes: dict[str, str | None] = {}
            for attribute in tag.attributes:  # the first of a repeated attribute is the one browsers use
                attributes.setdefault(attribute.name, attribute.value)
            raw = self.text[tag.start : tag.end]
            if tag.name == "script":
                self._script(tag, raw, attributes)
            elif tag.name == "link":
                self._link(tag.start, raw, attributes)
            elif tag.name == "style":
                self.barriers.append(("stylesheet", tag.start))
            elif tag.name in ASSET_ATTRIBUTES:
                self._asset(tag.name, tag.start, raw, attributes)

    def _located(self, url: str, offset: int) -> Located | None:
        try:
            return locate(url, decode=True)
        except SuspiciousFileOperation as exc:
            self.refused.append(Refused(offset, url, str(exc)))
            return None

    def _slot(self, attribute: str, url: str | None, offset: int, slim: bool | None) -> Slot | None:
        if not url:
            return None
        located = self._located(url, offset)
        return Slot(attribute, url, located, slim) if located else None

    def _asset(self, tag: str, start: int, raw: str, attributes: dict[str, str | None]) -> None:
        if tag == "input" and (attributes.get("type") or "").lower() != "image":
            return
        slots = [
            slot
            for attribute in ASSET_ATTRIBUTES[tag]
            if (slot := self._slot(attribute, attributes.get(attribute), start, False)) is not None
        ]
        srcset = attributes.get("srcset") if tag in SRCSET_ELEMENTS else None
        if srcset is not None:
            for _begin, _end, url in srcset_candidates(srcset):
                slot = self._slot("srcset", url, start, False)
                if slot is not None:
                    slots.append(slot)
        if slots:
            element = Element("asset", start, start + len(raw), raw, attributes, slots, srcset=srcset)
            self.elements.append(element)

    def _link(self, start: int, raw: str, attributes: dict[str, str | None]) -> None:
        rel = " ".join((attributes.get("rel") or "").lower().split())
        if rel == "stylesheet" or rel.startswith("alternate stylesheet"):
            self._stylesheet(start, raw, attributes)
        elif rel in ASSET_LINK_RELS or rel.split()[-1:] == ["icon"]:
            # A preloaded script or stylesheet gets the URL the page will use for it when it stands
            # alone (joined files have names of their own); other preloads are plain files.
            slim = None if rel in ("preload", "modulepreload", "prefetch") else False
            slot = self._slot("href", attributes.get("href"), start, slim)
            if slot is not None and rel == "manifest" and not slot.located.name.endswith(".webmanifest"):
                # Its URLs would break once it moved under the prefix, and only *.webmanifest is read as one.
                self.refused.append(
                    Refused(start, slot.written, "a web app manifest is stamped only when named *.webmanifest")
                )
                return
            if slot is not None:
                self.elements.append(Element("asset", start, start + len(raw), raw, attributes, [slot]))

    def _stylesheet(self, start: int, raw: str, attributes: dict[str, str | None]) -> None:
        slot = self._slot("href", attributes.get("href"), start, None)
        joinable = (
            slot is not None
            and set(attributes) <= STYLESHEET_ATTRIBUTES
            and (attributes.get("rel") or "").strip().lower() == "stylesheet"
            and (attributes.get("type") or "text/css").lower() == "text/css"
        )
        if slot is None:
            self.barriers.append(("stylesheet", start))
            return
        element = Element("stylesheet", start, start + len(raw), raw, attributes, [slot])
        if joinable and not self.foreign:
            element.group = ("stylesheet", attributes.get("media"), slot.located.suffix)
        else:
            self.barriers.append(("stylesheet", start))
        self.elements.append(element)

    def _script(self, tag: Tag, raw: str, attributes: dict[str, str | None]) -> None:
        start = tag.start
        content_end = tag.content_end if tag.content_end is not None else len(self.text)
        closed = attributes_at(self.text, content_end + len("</script")) if content_end < len(self.text) else None
        if closed is None:  # never closed: the rest of the text is its content; nothing to join or move
            self.barriers.append(("script", start))
            return
        end = closed[1]
        inline = (tag.end, content_end)
        script_type = (attributes.get("type") or "").strip().lower() or None
        if script_type == "importmap":
            self.elements.append(Element("importmap", start, end, raw, attributes, inline=inline))
            return
        slot = self._slot("src", attributes.get("src"), start, None)
        if slot is None:
            self.barriers.append(("script", start))
            return
        if script_type == MODULE_TYPE:
            self.elements.append(Element("module", start, end, raw, attributes, [slot]))
            return
        if script_type not in CLASSIC_SCRIPT_TYPES:  # a template, JSON data…: not ours to touch
            self.barriers.append(("script", start))
            return
        element = Element("script", start, end, raw, attributes, [slot])
        body = self.text[inline[0] : inline[1]]
        if not body.strip() and set(attributes) <= SCRIPT_ATTRIBUTES and not self.foreign:
            group_type = attributes.get("type")
            element.group = ("script", "async" in attributes, "defer" in attributes, group_type, slot.located.suffix)
        else:
            self.barriers.append(("script", start))
        self.elements.append(element)


def plan_of(body: str) -> Plan:
    """Runs to join, elements to stamp in place, import maps, and what cannot be handled."""
    collector = _Collector(body)
    collector.collect()
    events: list[tuple[int, int, Element | str]] = [(element.start, 1, element) for element in collector.elements]
    events += [(offset, 0, kind) for kind, offset in collector.barriers]
    events.sort(key=lambda event: (event[0], event[1]))
    runs: list[Run] = []
    singles: list[Element] = []
    importmaps: list[Element] = []
    current: dict[str, Run | None] = {"script": None, "stylesheet": None}
    for _offset, _order, event in events:
        if isinstance(event, str):
            current[event] = None
            continue
        if event.kind == "importmap":
            importmaps.append(event)
            continue
        if event.group is None:
            singles.append(event)
            continue
        run = current[event.kind]
        # A file named twice in a row is loaded (and run) twice: joining it twice would double its
        # bytes in one file, so the second starts a run of its own.
        if run is None or run.members[0].group != event.group or event.slots[0].located.name in run.names:
            run = Run(event.kind)
            runs.append(run)
            current[event.kind] = run
        run.members.append(event)
    return Plan(runs=runs, singles=singles, importmaps=importmaps, refused=collector.refused)
