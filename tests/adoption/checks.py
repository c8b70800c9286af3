"""What adoption must keep and what it must gain, checked on the pages loaded before and after.

Kept: every page looks the same (at most 0.1 % of its pixels differ) and logs no console error.
Gained: every stylesheet and script comes from the stamped prefix, each with one ``Cache-Control``
that says ``immutable``, and the first page makes fewer requests.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from devservers.ports import free_port
from tests.adoption.browser import OUTPUT, Page, Visit, differing_pixels, load
from tests.adoption.harness import Project, Server, serve_behind_nginx, serve_with_runserver
from tests.chromium import chromium
from tests.deploy.nginx_sites import fetch

PREFIX = "/cache-forever/"
ASSETS = ("Stylesheet", "Script")
#: At most this share of a page's pixels may differ between before and after.
TOLERANCE = 0.001


def load_pages(server: Server, pages: Sequence[Page]) -> list[Visit]:
    """Every page in order, in one fresh browser (so the first page meets an empty cache)."""
    folder = OUTPUT / server.project.spec.name
    with chromium() as driver:
        return [load(driver, server.base_url, page, folder / f"{page.name}-{server.mode}.png") for page in pages]


def before_and_after(project: Project, pages: Sequence[Page], dynamic: frozenset[str] = frozenset()) -> str:
    """Serve the project as it ships, load its pages; then adopted, on the same port (pages that show
    their own URL, like the browsable API's, are then the same), load them again and compare. Returns
    what is wrong, with the servers' logs, or "" when nothing is."""
    port = free_port()
    before = serve_behind_nginx(project, "before", port)
    try:
        old = load_pages(before, pages)
    finally:
        before.stop()
    after = serve_behind_nginx(project, "after", port)
    try:
        new = load_pages(after, pages)
        differing = pixels_differing(old, new)
        problems = as_shipped(old) + looks_the_same(differing)
        problems += no_console_errors(old, "before") + no_console_errors(new, "after")
        problems += nothing_failed(old, "before") + nothing_failed(new, "after")
        problems += served_stamped(new, after, dynamic) + fewer_requests(old[0], new[0])
    finally:
        after.stop()
    summarize(project, old, new, differing)
    for server in (before, after):
        for log in server.logs:
            if log.exists():
                shutil.copyfile(log, OUTPUT / project.spec.name / f"{server.mode}-{log.name}")
    return report(problems, before, after) if problems else ""


def under_runserver(project: Project, pages: Sequence[Page]) -> str:
    """The adopted pages under ``runserver`` with ``DEBUG = True``: every stylesheet applied, no console
    error. Returns what is wrong, with the server's log, or ""."""
    server = serve_with_runserver(project)
    try:
        visits = load_pages(server, pages)
    finally:
        server.stop()
    problems = stylesheets_loaded(visits) + no_console_errors(visits, "runserver")
    return report(problems, server) if problems else ""


def summarize(
    project: Project, old: Sequence[Visit], new: Sequence[Visit], differing: dict[str, tuple[int, int, Path]]
) -> None:
    """Requests, stylesheets and scripts per page, before and after, and the pixels that differ, for
    humans (beside the screenshots)."""
    summary = {
        shipped.page.name: {
            "differing_pixels": differing[shipped.page.name][:2],
            "requests": [len(shipped.requests), len(adopted.requests)],
            "stylesheets_and_scripts": [len(shipped.of_type(*ASSETS)), len(adopted.of_type(*ASSETS))],
        }
        for shipped, adopted in zip(old, new, strict=True)
    }
    folder = OUTPUT / project.spec.name
    (folder / "summary.json").write_text(json.dumps({"before_after": summary}, indent=2) + "\n")
    (folder / "static_pipe_build.txt").write_text(project.check_output + "\n" + project.build_output)


def pixels_differing(before: Sequence[Visit], after: Sequence[Visit]) -> dict[str, tuple[int, int, Path]]:
    """Page name → (differing pixels, all pixels, the picture of where they differ)."""
    measured = {}
    for old, new in zip(before, after, strict=True):
        diff = new.shot.with_name(f"{new.page.name}-diff.png")
        measured[new.page.name] = (*differing_pixels(old.shot, new.shot, diff), diff)
    return measured


def looks_the_same(differing: dict[str, tuple[int, int, Path]]) -> list[str]:
    return [
        f"{name}: {count} of {total} pixels ({count / total:.3%}) differ; see {diff}"
        for name, (count, total, diff) in differing.items()
        if count > total * TOLERANCE
    ]


def no_console_errors(visits: Sequence[Visit], label: str) -> list[str]:
    return [f"{label} {visit.page.name}: console error {error}" for visit in visits for error in visit.errors]


def nothing_failed(visits: Sequence[Visit], label: str) -> list[str]:
    return [
        f"{label} {visit.page.name}: {url} answered {status}"
        for visit in visits
        for url, (status, _kind) in visit.responses.items()
        if status >= 400
    ]


def served_stamped(visits: Sequence[Visit], server: Server, dynamic: frozenset[str] = frozenset()) -> list[str]:
    """Every stylesheet and script from the prefix, with one immutable ``Cache-Control``; ``dynamic`` are
    paths of scripts a view writes on each request (not files, so nothing can stamp them)."""
    problems = []
    checked: set[str] = set()
    for visit in visits:
        assets = visit.of_type(*ASSETS)
        if not any(urlsplit(url).path.startswith(PREFIX) for url in assets):
            problems.append(f"after {visit.page.name}: no stylesheet or script came from {PREFIX}: {assets}")
        for url, status in assets.items():
            path = urlsplit(url).path
            if path in dynamic:
                continue
            if not path.startswith(PREFIX) or status != 200:
                problems.append(f"after {visit.page.name}: {url} ({status}) is not a stamped file")
                continue
            if path in checked:
                continue
            checked.add(path)
            cache_control = fetch(server.port, path, Accept_Encoding="gzip").all("Cache-Control")
            if len(cache_control) != 1 or "immutable" not in cache_control[0]:
                problems.append(f"{path}: Cache-Control headers {cache_control}, not one that says immutable")
    return problems


def fewer_requests(before: Visit, after: Visit) -> list[str]:
    if len(after.requests) < len(before.requests):
        return []
    return [
        f"{after.page.name}: {len(after.requests)} requests after adoption, {len(before.requests)} before:\n"
        + "\n".join(after.requests)
    ]


def as_shipped(visits: Sequence[Visit]) -> list[str]:
    """The 'before' side really is the project as it ships: its stylesheets from STATIC_URL."""
    return [
        f"before {visit.page.name}: {url} does not come from /static/"
        for visit in visits
        for url in visit.of_type("Stylesheet")
        if not urlsplit(url).path.startswith("/static/")
    ] + [f"before {visit.page.name}: no stylesheet loaded" for visit in visits if not visit.of_type("Stylesheet")]


def stylesheets_loaded(visits: Sequence[Visit]) -> list[str]:
    """Under runserver: every stylesheet the page links to is applied, and came from the prefix with
    200 (or 304: Django's static view revalidates what the browser has from an earlier page)."""
    problems = []
    for visit in visits:
        sheets = visit.of_type("Stylesheet")
        if not sheets:
            problems.append(f"runserver {visit.page.name}: no stylesheet loaded")
        problems += [f"runserver {visit.page.name}: {url} was not applied" for url in visit.unapplied]
        problems += [
            f"runserver {visit.page.name}: {url} answered {status}"
            for url, status in sheets.items()
            if status not in (200, 304) or not urlsplit(url).path.startswith(PREFIX)
        ]
    return problems


def report(problems: list[str], *servers: Server) -> str:
    logs = "\n".join(server.log_tail() for server in servers)
    return "\n".join(problems) + f"\n(screenshots in {OUTPUT})\n{logs}"
