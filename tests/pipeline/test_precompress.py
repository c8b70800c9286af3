"""Compressed siblings: a render leaves them to a background thread, the offline build writes them at once."""

from __future__ import annotations

import gzip
import multiprocessing
import os
import threading
from pathlib import Path

import pytest
from django.core.management import call_command

from django_static_pipe import pipeline, precompress
from tests.conftest import T0

PAGE = '{% load django_static %}{% slimfile "/js/a.js" %}{% slimfile "/css/layout.css" %}'


@pytest.fixture
def held(monkeypatch):
    """The background thread held inside its first compression until the test lets it go."""
    release = threading.Event()
    entered = threading.Event()
    compress = precompress.compressed_siblings
    parent = os.getpid()

    def waiting(data, kinds):
        if os.getpid() == parent:  # a forked child compresses at once
            entered.set()
            release.wait(timeout=20)
        return compress(data, kinds)

    monkeypatch.setattr(precompress, "compressed_siblings", waiting)
    yield entered, release
    release.set()
    assert precompress.wait_idle()


def test_a_render_does_not_wait_for_its_siblings(site, held):
    entered, release = held
    url = site.render('{% slimfile "/js/a.js" %}')
    assert entered.wait(timeout=20)  # the thread has the job: the render returned while it compresses
    output = site.out / url.lstrip("/")
    assert output.read_text() == "var app=window.app||{};app.a=function(value){return value+1;}"
    assert not Path(str(output) + ".gz").exists()
    release.set()
    assert precompress.wait_idle()
    assert gzip.decompress(Path(str(output) + ".gz").read_bytes()) == output.read_bytes()


def test_no_sibling_is_written_for_an_output_replaced_meanwhile(site, settings, held):
    entered, release = held
    settings.DEBUG = True
    settings.DJANGO_STATIC_PRECOMPRESS = ("gzip", "br")
    old = site.render('{% slimfile "/js/a.js" %}')
    assert entered.wait(timeout=20)
    site.write("/js/a.js", "var changed = 1;\n", mtime=T0 + 60)
    new = site.render('{% slimfile "/js/a.js" %}')  # removes the old output while its siblings wait
    release.set()
    assert precompress.wait_idle()
    assert sorted(name for name in site.produced() if name.startswith("js/")) == [
        new.lstrip("/"),
        new.lstrip("/") + ".br",
        new.lstrip("/") + ".gz",
    ]
    assert old != new


def _render_in_child(queue) -> None:
    pipeline.reset()
    url = pipeline.url_for("/css/layout.css", slim=True, from_tag=True)
    idle = precompress.wait_idle(timeout=10)
    queue.put((url, idle))


def test_a_child_forked_while_the_thread_works_writes_its_own_siblings(site, held):
    entered, _release = held
    site.render('{% slimfile "/js/a.js" %}')
    assert entered.wait(timeout=20)  # forked while the parent's thread holds its lock's state
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_render_in_child, args=(queue,))
    child.start()
    url, idle = queue.get(timeout=60)
    child.join(timeout=30)
    assert (child.exitcode, idle) == (0, True)
    output = site.out / url.lstrip("/")
    assert gzip.decompress(Path(str(output) + ".gz").read_bytes()) == output.read_bytes()


def _render_and_exit(queue) -> None:
    pipeline.reset()
    queue.put(pipeline.url_for("/css/layout.css", slim=True, from_tag=True))  # and exit at once


def test_a_process_that_exits_right_after_a_render_still_writes_its_siblings(site):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_render_and_exit, args=(queue,))
    child.start()
    url = queue.get(timeout=60)
    child.join(timeout=30)
    assert child.exitcode == 0
    output = site.out / url.lstrip("/")
    assert gzip.decompress(Path(str(output) + ".gz").read_bytes()) == output.read_bytes()


@pytest.fixture
def offline_site(site, settings, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text(PAGE)
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(templates)]}]
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    settings.DJANGO_STATIC_PRECOMPRESS = ("gzip", "br")
    return site


def _outputs(site) -> list[Path]:
    return sorted(p for p in site.out.rglob("*.min.*") if p.suffix in (".js", ".css"))


def test_the_offline_build_writes_every_sibling_before_it_returns(offline_site, monkeypatch):
    monkeypatch.setattr(precompress._Worker, "submit", lambda self, job: pytest.fail("queued offline"))
    call_command("static_pipe_build", verbosity=0)
    outputs = _outputs(offline_site)
    assert len(outputs) == 2
    for output in outputs:
        assert gzip.decompress(Path(str(output) + ".gz").read_bytes()) == output.read_bytes()
        assert Path(str(output) + ".br").exists()


def test_a_rebuild_with_nothing_changed_writes_missing_siblings(offline_site):
    call_command("static_pipe_build", verbosity=0)
    output = _outputs(offline_site)[0]
    os.unlink(str(output) + ".gz")  # as if a render's process was killed before its thread wrote it
    before = output.lstat().st_ino
    call_command("static_pipe_build", verbosity=0)
    assert gzip.decompress(Path(str(output) + ".gz").read_bytes()) == output.read_bytes()
    assert output.lstat().st_ino == before  # the output itself was up to date and left alone
