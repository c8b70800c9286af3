"""DJANGO_STATIC_USE_MANIFEST_FILE: names shared by processes through a JSON manifest."""

from __future__ import annotations

import json
import os

import pytest

from django_static_pipe import pipeline
from tests.conftest import T0


@pytest.fixture
def manifest_site(site, settings):
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    return site


def read_manifest(site):
    return json.loads((site.out / "static-pipe-manifest.json").read_text())


def test_a_build_is_recorded_with_relative_paths(manifest_site):
    site = manifest_site
    url = site.render('{% slimfile "/js/a.js" %}')
    document = read_manifest(site)
    assert document["version"] == 1
    entry = document["entries"]["slim:/js/a.js"]
    assert entry["path"] == f"/js/a.min.{T0}.js" == url
    assert entry["file"] == f"js/a.min.{T0}.js"
    assert entry["sources"] == [["../assets/js/a.js", T0 * 10**9, (site.root / "js/a.js").stat().st_size]]
    assert entry["integrity"].startswith("sha384-")


def test_another_process_reads_the_manifest_and_not_the_sources(manifest_site):
    site = manifest_site
    url = site.render('{% slimfile "/js/a.js; /js/b.js" %}')
    pipeline.reset()  # what a fresh worker process knows
    os.unlink(site.root / "js/a.js")
    os.unlink(site.root / "js/b.js")
    assert site.render('{% slimfile "/js/a.js; /js/b.js" %}') == url


def test_an_entry_written_by_another_process_is_picked_up(manifest_site, settings):
    site = manifest_site
    site.render('{% slimfile "/js/a.js" %}')
    # Another process builds b.js and rewrites the manifest while this one keeps its cached copy.
    document = read_manifest(site)
    document["entries"]["slim:/js/b.js"] = dict(document["entries"]["slim:/js/a.js"], path="/js/b.min.99.js")
    (site.out / "static-pipe-manifest.json").write_text(json.dumps(document))
    assert site.render('{% slimfile "/js/b.js" %}') == "/js/b.min.99.js"


def test_debug_on_rebuilds_a_stale_entry_and_updates_the_manifest(manifest_site, settings):
    site = manifest_site
    site.render('{% slimfile "/js/a.js" %}')
    pipeline.reset()
    settings.DEBUG = True
    site.touch("/js/a.js", T0 + 3)
    assert site.render('{% slimfile "/js/a.js" %}') == f"/js/a.min.{T0 + 3}.js"
    assert read_manifest(site)["entries"]["slim:/js/a.js"]["path"] == f"/js/a.min.{T0 + 3}.js"


def test_manifest_path_setting(manifest_site, settings, tmp_path):
    settings.DJANGO_STATIC_MANIFEST_PATH = str(tmp_path / "elsewhere" / "names.json")
    manifest_site.render('{% staticfile "/img/bg.png" %}')
    entries = json.loads((tmp_path / "elsewhere" / "names.json").read_text())["entries"]
    assert entries["static:/img/bg.png"]["file"] == f"../out/img/bg.{T0}.png"


def test_a_corrupt_manifest_names_the_file(manifest_site):
    site = manifest_site
    site.out.mkdir()
    (site.out / "static-pipe-manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"static-pipe-manifest\.json cannot be read"):
        site.render('{% staticfile "/img/bg.png" %}')


def test_missing_files_are_not_recorded(manifest_site):
    site = manifest_site
    site.render('{% staticfile "/img/bg.png" %}')
    with pytest.warns(Warning):
        site.render('{% staticfile "/img/gone.png" %}')
    assert list(read_manifest(site)["entries"]) == ["static:/img/bg.png"]


def test_a_split_run_is_served_from_the_manifest_alone(manifest_site):
    site = manifest_site
    source = '{% slimall %}<script src="/js/a.js"></script><script src="/js/strict.js"></script>{% endslimall %}'
    first = site.render(source)
    assert first.count("<script") == 2
    pipeline.reset()
    os.unlink(site.root / "js/a.js")
    os.unlink(site.root / "js/strict.js")
    assert site.render(source) == first
