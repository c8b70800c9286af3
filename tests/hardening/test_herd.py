"""A herd: 50 concurrent cold renders of one page across several processes."""

from __future__ import annotations

import collections
import hashlib
import json
import multiprocessing
import threading
import traceback

import pytest
from django.template import Context, Template

from django_static_pipe import pipeline, precompress, writer
from django_static_pipe.built import parse_key
from tests.hardening.figures import record

PROCESSES = 5
THREADS = 10
PAGE = """{% load django_static %}{% slimall %}
<link rel="stylesheet" href="/css/imports.css">
<link rel="stylesheet" href="/css/layout.css">
<link rel="stylesheet" href="/css/print.css" media="print">
<script src="/js/a.js"></script>
<script src="/js/b.js"></script>
<script src="/js/strict.js"></script>
<img src="/img/photo.png">
{% endslimall %}{% slimfile "/css/unicode.css" %}"""


def _worker(barrier, results) -> None:
    pipeline.reset()  # a cold worker: nothing remembered
    written_before = writer.files_written  # counts inherited at fork
    builds: collections.Counter[str] = collections.Counter()
    produce_now = pipeline.produce

    def counted(key, *args, **kwargs):  # which outputs this process built, and how often
        builds[key] += 1
        return produce_now(key, *args, **kwargs)

    pipeline.produce = counted
    pages: list[str] = []
    errors: list[str] = []
    ready = threading.Barrier(THREADS)

    def render() -> None:
        try:
            ready.wait()
            pages.append(Template(PAGE).render(Context()))
        except Exception:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=render) for _ in range(THREADS)]
    barrier.wait()  # every process starts its threads together
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(json.dumps({"pages": pages, "errors": errors, "builds": builds,
                            "written": writer.files_written - written_before}))  # fmt: skip


def digest_tree(folder) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "static-pipe-manifest.json"
    }


@pytest.mark.parametrize("stamp", ["content", "mtime"])
def test_fifty_cold_renders_build_each_output_once(site, settings, tmp_path, stamp):
    settings.DEBUG = False
    settings.DJANGO_STATIC_STAMP = stamp  # content: images are copied; mtime: hard-linked
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(barrier, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    reports = [json.loads(results.get(timeout=120)) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    errors = [error for report in reports for error in report["errors"]]
    pages = [page for report in reports for page in report["pages"]]
    assert errors == []
    assert len(pages) == PROCESSES * THREADS == 50
    assert len(set(pages)) == 1  # every render saw the same names
    manifest = json.loads((site.out / "static-pipe-manifest.json").read_text())["entries"]
    builds: collections.Counter[str] = collections.Counter()
    for report in reports:
        builds.update(report["builds"])
    assert set(builds) == set(manifest)
    # Exactly one build per output across the whole herd, but for a file linked to its source as it is
    # (mtime stamps: the page's image and one its CSS names): it takes no lock, so a few workers may
    # link it at once, to the same name and file.
    linked = {key for key in builds if pipeline.passes_through(*parse_key(key))}
    assert linked == ({"static:/img/photo.png", "static:/img/bg.png"} if stamp == "mtime" else set())
    assert {key: count for key, count in builds.items() if key not in linked} == dict.fromkeys(
        set(manifest) - linked, 1
    )
    assert all(1 <= builds[key] <= len(pages) for key in linked)
    # The herd's files are byte for byte what one quiet build makes.
    herd = digest_tree(site.out)
    settings.DJANGO_STATIC_SAVE_PREFIX = str(tmp_path / "quiet")
    pipeline.reset()
    assert Template(PAGE).render(Context()) == pages[0]
    assert precompress.wait_idle()  # the herd's processes wrote their siblings before they exited
    assert digest_tree(tmp_path / "quiet") == herd
    if stamp == "mtime":
        record("herd", renders=len(pages), processes=PROCESSES, errors=len(errors), outputs=len(manifest) - len(linked),
               builds=sum(builds[key] for key in set(manifest) - linked), linked_outputs=len(linked),
               linked_builds=sum(builds[key] for key in linked), distinct_pages=len(set(pages)))  # fmt: skip
