"""The block tags' work: join the scripts and stylesheets a body names and stamp every other local
asset URL in it (see :mod:`html_scan` for what is found and how it is treated).

Everything but the URLs (and the members folded into the first of a run) is kept byte for byte.
URLs are written into attributes escaped, so no URL can leave its attribute.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections import OrderedDict

from django.core.exceptions import SuspiciousFileOperation
from django.utils.html import escape

from . import pipeline, places
from .conf import pipe_settings
from .exceptions import MissingAssetError, MissingAssetWarning
from .html_scan import Element, Plan, Run, Slot, plan_of, srcset_candidates
from .html_tokens import Attribute, start_tag_attributes
from .references import splice
from .sources import locate, staticfiles_name

logger = logging.getLogger("django_static_pipe")


def at_place(place: places.PlaceLike) -> places.Place:
    """Name ``place`` (``template:LINE`` of the block, or a function that makes it) in every warning
    about what the block names."""
    return places.at(place)


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


def _warn(offset: int, body: str, what: str) -> None:
    with places.below(body, offset):
        message = f"django-static-pipe: {places.prefix()}{what}"
    logger.warning(message)
    warnings.warn(message, MissingAssetWarning, stacklevel=5)


# -- building what a body names -------------------------------------------------------------------------

Part = tuple[str, "str | None"]  # (URL, integrity)


def _part(outcome: pipeline.Outcome, suffix: str, sri: bool) -> Part:
    built = outcome.built
    integrity = pipeline.with_integrity(built) if sri and not built.notfound else None
    return pipeline.render(outcome) + suffix, integrity


def _run_parts(run: Run, slim: bool, sri: bool, body: str) -> list[tuple[list[int], list[Part]]]:
    """``[(member indexes, tags)]`` for a run: normally one entry for all members. A missing member
    splits the run around it and stays as it was (with a warning); scripts of different strictness
    become one tag per group, in order, where the run stood."""
    try:
        with places.below(body, run.members[0].start):
            outcome = pipeline.build(run.names, slim)
    except MissingAssetError:
        return _split_around_missing(run, slim, sri, body)
    if outcome.built.notfound:  # a run of one, missing (the build warned)
        return [([0], [(_as_written(run.members[0].slots[0]), None)])]
    parts = [pipeline.build(segment, slim) for segment in outcome.built.segments] or [outcome]
    return [(list(range(len(run.members))), [_part(part, run.suffix, sri) for part in parts])]


def _split_around_missing(run: Run, slim: bool, sri: bool, body: str) -> list[tuple[list[int], list[Part]]]:
    result: list[tuple[list[int], list[Part]]] = []
    chunk: list[int] = []

    def flush() -> None:
        if chunk:
            sub = Run(run.kind, [run.members[i] for i in chunk])
            for indexes, parts in _run_parts(sub, slim, sri, body):
                result.append(([chunk[i] for i in indexes], parts))
            chunk.clear()

    for index, member in enumerate(run.members):
        with places.below(body, member.start):
            missing = pipeline.build((member.slots[0].located.name,), slim).built.notfound
        if missing:  # the build warned; the member stands alone and the run goes on after it
            flush()
            result.append(([index], [(_as_written(member.slots[0]), None)]))
        else:
            chunk.append(index)
    flush()
    return result


def _as_written(slot: Slot) -> str:
    """A URL left unstamped (a missing file, or switched off) exactly as written (escapes, dots and query
    kept), with ``DJANGO_STATIC_MEDIA_URL`` before a local absolute path that is not under ``STATIC_URL``."""
    written = slot.written
    static_url = pipe_settings.static_url
    if static_url and written.startswith(static_url):
        return written
    path = written.strip()
    if path.startswith("/") and not path.startswith("//") and staticfiles_name(path) is None:
        return pipe_settings.media_url + path
    return pipeline.original_url(slot.located.name) + slot.located.suffix


def _slot_url(slot: Slot, slim: bool, body: str, offset: int) -> str | None:
    """The stamped URL for one URL of an element stamped in place; None to leave it as written."""
    with places.below(body, offset):
        outcome = pipeline.build((slot.located.name,), slim if slot.slim is None else slot.slim)
    if outcome.built.notfound:  # the build warned
        url = _as_written(slot)
        return None if url == slot.written else url
    if outcome.built.segments:  # pragma: no cover - one file has no segments
        return None
    return pipeline.render(outcome) + slot.located.suffix


Single = tuple[tuple[tuple[str, str], ...], "str | None"]
RunsResolved = tuple[tuple[tuple[tuple[int, ...], tuple[Part, ...]], ...], ...]
Resolved = tuple[RunsResolved, tuple[Single, ...], tuple["str | None", ...]]


def _single(element: Element, slim: bool, sri: bool, body: str) -> Single:
    """For an element stamped in place: ``((attribute, new value)…)`` and its new ``integrity``
    (None: leave it; "": remove it)."""
    urls: dict[str, str] = {}
    for slot in element.slots:
        url = _slot_url(slot, slim, body, element.start)
        if url is not None:
            urls[slot.written if slot.attribute == "srcset" else slot.attribute] = url
    values: list[tuple[str, str]] = [(name, urls[name]) for name in ("src", "href", "poster") if name in urls]
    if element.srcset is not None:
        rewritten = _rewrite_srcset(element.srcset, urls)
        if rewritten != element.srcset:
            values.append(("srcset", rewritten))
    integrity = _integrity_for(element, slim, sri) if values else None
    return tuple(values), integrity


def _rewrite_srcset(value: str, urls: dict[str, str]) -> str:
    edits = [(start, end, urls[url]) for start, end, url in srcset_candidates(value) if url in urls]
    return splice(value, edits)


_INTEGRITY_KINDS = frozenset({"script", "module", "stylesheet"})


def _integrity_for(element: Element, slim: bool, sri: bool) -> str | None:
    """A new ``integrity`` for an element stamped in place: recomputed with ``DJANGO_STATIC_SRI``, else
    the old one removed (it would no longer match the stamped bytes); "" means remove."""
    had = "integrity" in element.attributes
    if element.kind not in _INTEGRITY_KINDS or not (had or sri):
        return None
    slot = element.slots[0]
    outcome = pipeline.build((slot.located.name,), slim if slot.slim is None else slot.slim)
    if outcome.built.notfound:
        return None
    if sri:
        return pipeline.with_integrity(outcome.built) or ""
    logger.info(
        "django-static-pipe: %sremoved integrity from %r: its bytes are the stamped file's now; "
        "set DJANGO_STATIC_SRI = True to have it recomputed.",
        places.prefix(),
        slot.written,
    )
    return ""


def _importmap(element: Element, slim: bool, body: str) -> str | None:
    """The import map's JSON with its local module URLs stamped; None when nothing changes."""
    assert element.inline is not None
    text = body[element.inline[0] : element.inline[1]]
    try:
        document = json.loads(text)
    except ValueError:
        _warn(element.start, body, "an import map that is not valid JSON is kept as it is.")
        return None
    if not isinstance(document, dict):
        return None
    changed = False

    def stamp(mapping: object) -> None:
        nonlocal changed
        if not isinstance(mapping, dict):
            return
        for specifier, target in mapping.items():
            if not isinstance(target, str) or target.endswith("/"):
                continue  # a folder mapping cannot point at stamped names
            try:
                located = locate(target, decode=True)
            except SuspiciousFileOperation:
                continue
            if located is None:
                continue
            with places.below(body, element.start):
                outcome = pipeline.build((located.name,), slim)
            if outcome.built.notfound:  # the build warned
                continue
            mapping[specifier] = pipeline.render(outcome) + located.suffix
            changed = True

    stamp(document.get("imports"))
    for scope in (document.get("scopes") or {}).values():
        stamp(scope)
    if not changed:
        return None
    # No "<" inside a script element: "</script" would end it and "<!--<script" would hide its end.
    # JSON has "<" only in strings, where the escape means the same.
    return json.dumps(document, ensure_ascii=False).replace("<", "\\u003c")


def planned(body: str, *, slim: bool) -> tuple[list[tuple[tuple[str, ...], bool]], list[str]]:
    """Every build a render of ``body`` asks for (for the offline build), in order, and the URLs a
    render would refuse (with why)."""
    plan = plan_of(body)
    uses: list[tuple[tuple[str, ...], bool]] = [(run.names, slim) for run in plan.runs]
    for element in plan.singles:
        uses += [((slot.located.name,), slim if slot.slim is None else slot.slim) for slot in element.slots]
    for element in plan.importmaps:
        assert element.inline is not None
        uses += [((name,), slim) for name in _importmap_names(body[element.inline[0] : element.inline[1]])]
    refused = [f"{item.url!r} cannot be used: {item.reason}" for item in plan.refused]
    return list(dict.fromkeys(uses)), refused


def _importmap_names(text: str) -> list[str]:
    try:
        document = json.loads(text)
    except ValueError:
        return []
    if not isinstance(document, dict):
        return []
    mappings = [document.get("imports"), *(document.get("scopes") or {}).values()]
    names = []
    for mapping in mappings:
        for target in (mapping or {}).values() if isinstance(mapping, dict) else ():
            if isinstance(target, str) and not target.endswith("/"):
                try:
                    located = locate(target, decode=True)
                except SuspiciousFileOperation:
                    continue
                if located is not None:
                    names.append(located.name)
    return names


def process_block(body: str, *, slim: bool) -> str:
    """Join and stamp what ``body`` references, as ``{% staticall %}``/``{% slimall %}`` do."""
    if not pipe_settings.enabled:
        return _prefix_media_url(body) if pipe_settings.media_url_always else body
    plan = plan_for(body)
    sri = pipe_settings.sri
    for refused in plan.refused:
        _warn(refused.offset, body, f"{refused.url!r} cannot be used: {refused.reason}")
    runs: RunsResolved = tuple(
        tuple((tuple(i), tuple(p)) for i, p in _run_parts(run, slim, sri, body)) for run in plan.runs
    )
    singles = tuple(_single(element, slim, sri, body) for element in plan.singles)
    maps = tuple(_importmap(element, slim, body) for element in plan.importmaps)
    key: Resolved = (runs, singles, maps)
    last = plan.last
    if last is not None and last[0] == key:
        return last[1]
    output = _assemble(body, plan, key)
    plan.last = (key, output)
    return output


# -- editing the body -----------------------------------------------------------------------------------


def _attribute(start_tag: str, attribute: str) -> Attribute | None:
    """The attribute ``attribute`` of ``start_tag`` as a browser reads it (the first, if repeated)."""
    return next((found for found in start_tag_attributes(start_tag)[0] if found.name == attribute), None)


def _with_value(start_tag: str, attribute: str, value: str) -> str:
    """The start tag with ``attribute`` set to ``value`` (escaped); added after the last attribute if
    absent. The attribute is found as a browser finds it, so no value (whatever a template variable
    put in it, such as ``alt=" src=x onerror=…"``) is ever taken for the attribute it imitates."""
    attributes, insert_at = start_tag_attributes(start_tag)
    found = next((item for item in attributes if item.name == attribute), None)
    escaped = escape(value)
    if found is None:
        return f'{start_tag[:insert_at]} {attribute}="{escaped}"{start_tag[insert_at:]}'
    quote = found.quote or '"'
    name = start_tag[found.start : found.start + len(attribute)]
    return f"{start_tag[: found.start]}{name}={quote}{escaped}{quote}{start_tag[found.end :]}"


def _without(start_tag: str, attribute: str) -> str:
    """The start tag without any ``attribute``: every copy goes, or the next would take the first's place."""
    for found in reversed(start_tag_attributes(start_tag)[0]):
        if found.name == attribute:
            start = len(start_tag[: found.start].rstrip("\t\n\f\r "))
            start_tag = start_tag[:start] + start_tag[found.end :]
    return start_tag


def _with_url(start_tag: str, attribute: str, url: str, integrity: str | None = None) -> str:
    tag = _with_value(start_tag, attribute, url)
    if integrity:
        tag = _with_value(tag, "integrity", integrity)
        if _attribute(tag, "crossorigin") is None:
            tag = _with_value(tag, "crossorigin", "anonymous")
    return tag


def _whole_line(body: str, start: int, end: int) -> tuple[int, int]:
    """Widen a removed element's span to its whole line when nothing else stands on that line."""
    line_start = body.rfind("\n", 0, start) + 1
    line_end = body.find("\n", end)
    line_end = len(body) if line_end < 0 else line_end
    if body[line_start:start].strip() or body[end:line_end].strip():
        return start, end
    return (line_start, line_end + 1) if line_end < len(body) else (max(line_start - 1, 0), line_end)


def _assemble(body: str, plan: Plan, resolved: Resolved) -> str:
    runs, singles, maps = resolved
    edits: list[tuple[int, int, str]] = []
    for run, pieces in zip(plan.runs, runs, strict=True):
        for indexes, parts in pieces:
            if not parts:
                continue  # a missing member, kept as written
            members = [run.members[i] for i in indexes]
            edits += _run_edits(body, members, parts)
    for element, (values, integrity) in zip(plan.singles, singles, strict=True):
        tag = element.start_tag
        for attribute, value in values:
            tag = _with_value(tag, attribute, value)
        if integrity == "":
            tag = _without(tag, "integrity")
        elif integrity is not None:
            tag = _with_url(tag, "integrity", integrity)
            if _attribute(tag, "crossorigin") is None:
                tag = _with_value(tag, "crossorigin", "anonymous")
        if tag != element.start_tag:
            edits.append((element.start, element.start + len(element.start_tag), tag))
    for element, text in zip(plan.importmaps, maps, strict=True):
        if text is not None and element.inline is not None:
            edits.append((element.inline[0], element.inline[1], text))
    edits.sort()
    return splice(body, edits)


def _run_edits(body: str, members: list[Element], parts: tuple[Part, ...]) -> list[tuple[int, int, str]]:
    first = members[0]
    tags = [
        _with_url(first.start_tag, "src" if first.kind == "script" else "href", url, integrity)
        for url, integrity in parts
    ]
    edits: list[tuple[int, int, str]] = []
    if first.kind == "script":
        indent = body[body.rfind("\n", 0, first.start) + 1 : first.start]
        replacement = ("\n" + indent).join(tag + "</script>" for tag in tags)
        edits.append((first.start, first.end, replacement))
    else:
        edits.append((first.start, first.start + len(first.start_tag), tags[0]))
    for member in members[1:]:
        start, end = _whole_line(body, member.start, member.end)
        # A '<' left just before the gap would open a tag with what follows it ("<" + "script>…"):
        # a space keeps it text, as it was.
        edits.append((start, end, " " if body[start - 1 : start] == "<" else ""))
    return edits


def _prefix_media_url(body: str) -> str:
    """Switched off with ``DJANGO_STATIC_MEDIA_URL_ALWAYS``: put the media URL before each local URL;
    URLs under ``STATIC_URL`` stay exactly as ``{% static %}`` made them."""
    plan = plan_of(body)
    edits = []
    for element in [member for run in plan.runs for member in run.members] + plan.singles:
        tag = element.start_tag
        urls = {slot.written: _as_written(slot) for slot in element.slots if not is_static(slot.located.name)}
        for slot in element.slots:
            if slot.attribute != "srcset" and slot.written in urls:
                tag = _with_value(tag, slot.attribute, urls[slot.written])
        if element.srcset is not None:
            rewritten = _rewrite_srcset(element.srcset, urls)
            if rewritten != element.srcset:
                tag = _with_value(tag, "srcset", rewritten)
        if tag != element.start_tag:
            edits.append((element.start, element.start + len(element.start_tag), tag))
    edits.sort()
    return splice(body, edits)


def is_static(name: str) -> bool:
    return staticfiles_name(name) is not None
