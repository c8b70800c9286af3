"""A real project adopts the tags by wrapping what it already has: ``{% static %}`` URLs, scripts and
stylesheets with more attributes, modules, icons, ``srcset``, queries (issue 12)."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from django.template import Context, Template

from django_static_pipe import pipeline
from django_static_pipe.exceptions import MissingAssetWarning
from tests.conftest import T0, copy_assets

P = "/cache-forever"


def render(source: str, **context: object) -> str:
    return Template("{% load static django_static %}" + source).render(Context(context))


@pytest.fixture
def static_site(tmp_path, settings):
    """A project as Django projects are: assets found by the staticfiles finders, STATIC_URL /static/."""
    root = copy_assets(tmp_path / "assets")
    settings.STATICFILES_DIRS = [str(root)]
    settings.STATIC_URL = "/static/"
    settings.DJANGO_STATIC = True
    del settings.DJANGO_STATIC_MEDIA_ROOTS
    settings.DJANGO_STATIC_SAVE_PREFIX = str(tmp_path / "out")
    settings.DJANGO_STATIC_NAME_PREFIX = P
    return root, tmp_path / "out"


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


# -- STATIC_URL ------------------------------------------------------------------------------------


def test_static_tags_inside_slimall_are_joined_like_plain_urls(static_site):
    out = render(
        """{% slimall %}
<link rel="stylesheet" href="{% static "css/layout.css" %}">
<link rel="stylesheet" href="{% static "css/print.css" %}">
<script src="{% static "js/a.js" %}"></script>
<script src="{% static "js/b.js" %}"></script>
<img src="{% static "img/bg.png" %}" alt="">
{% endslimall %}"""
    )
    assert out == (
        f'\n<link rel="stylesheet" href="{P}/css/layout_print.min.{T0}.css">\n'
        f'<script src="{P}/js/a_b.min.{T0}.js"></script>\n'
        f'<img src="{P}/img/bg.{T0}.png" alt="">\n'
    )
    # The name after STATIC_URL is the staticfiles name: "/static/css/a.css" and "/css/a.css" are one output.
    assert render('{% slimfile "/static/css/layout.css" %}') == f"{P}/css/layout.min.{T0}.css"
    assert render('{% slimfile "/css/layout.css" %}') == f"{P}/css/layout.min.{T0}.css"


def test_an_absolute_static_url_is_understood(static_site, settings):
    settings.STATIC_URL = "https://cdn.example.com/static/"
    body = '{% slimall %}<script src="{% static "js/a.js" %}"></script>{% endslimall %}'
    assert render(body) == f'<script src="{P}/js/a.min.{T0}.js"></script>'
    assert render('{% staticfile "https://cdn.example.com/static/img/bg.png" %}') == f"{P}/img/bg.{T0}.png"
    assert render('{% staticfile "https://elsewhere.example.com/static/img/bg.png" %}') == (
        "https://elsewhere.example.com/static/img/bg.png"
    )


def test_static_urls_with_roots_of_our_own_are_found_by_the_finders(static_site, settings, tmp_path):
    own = tmp_path / "own"
    (own / "js").mkdir(parents=True)
    (own / "js" / "a.js").write_text("window.fromOwnRoot = 1;\n")
    os.utime(own / "js" / "a.js", (T0, T0))
    settings.DJANGO_STATIC_MEDIA_ROOTS = [str(own)]
    out = render('{% staticfile "/js/a.js" %} {% staticfile "/static/js/a.js" %}')
    assert out == f"{P}/js/a.{T0}.js {P}/static/js/a.{T0}.js"
    _root, out_folder = static_site
    assert (out_folder / f"static/js/a.{T0}.js").read_text().startswith("// a.js")
    assert (out_folder / f"js/a.{T0}.js").read_text() == "window.fromOwnRoot = 1;\n"


def _collected_with_manifest(settings, tmp_path, files: dict[str, bytes]) -> Path:
    """``files`` in a project's static folder, collected into STATIC_ROOT with hashed names by a
    ManifestStaticFilesStorage; returns the project's static folder."""
    from django.core.management import call_command

    project = tmp_path / "project-static"
    for name, data in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_bytes(data)
    settings.STATICFILES_DIRS = [str(project)]
    settings.STATIC_ROOT = str(tmp_path / "collected")
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    return project


def test_hashed_names_after_collectstatic_are_read_from_static_root(static_site, settings, tmp_path):
    _root, out_folder = static_site
    project = _collected_with_manifest(settings, tmp_path, {"js/app.js": b"window.app = 1;\n"})
    (project / "js" / "app.js").unlink()  # a deploy may ship STATIC_ROOT without the sources
    os.utime(next((tmp_path / "collected" / "js").glob("app.*.js")), (T0, T0))
    pipeline.reset()
    hashed = render('{% static "js/app.js" %}')
    assert hashed.startswith("/static/js/app.") and hashed != "/static/js/app.js"
    out = render('{% slimall %}<script src="{% static "js/app.js" %}"></script>{% endslimall %}')
    hashed_name = hashed.removeprefix("/static/").removesuffix(".js")
    assert out == f'<script src="{P}/{hashed_name}.min.{T0}.js"></script>'
    assert (out_folder / f"{hashed_name}.min.{T0}.js").read_text() == "window.app=1;"


def test_a_minified_file_under_a_hashed_name_is_passed_through(static_site, settings, tmp_path):
    # Found adopting DRF and django-wiki: {% static "x.min.js" %} under a Manifest storage gives
    # x.min.<hash>.js, which was minified again (and named x.min.<hash>.min.<stamp>.js).
    root, out_folder = static_site
    vendor = (root / "js" / "vendor.min.js").read_bytes()
    project = _collected_with_manifest(settings, tmp_path, {"js/vendor.min.js": vendor})
    for path in [project / "js" / "vendor.min.js", *(tmp_path / "collected" / "js").glob("vendor.min.*.js")]:
        os.utime(path, (T0, T0))
    pipeline.reset()
    hashed = render('{% static "js/vendor.min.js" %}').removeprefix("/static/").removesuffix(".js")
    assert hashed.startswith("js/vendor.min.") and hashed != "js/vendor.min"
    out = render('{% slimall %}<script src="{% static "js/vendor.min.js" %}"></script>{% endslimall %}')
    assert out == f'<script src="{P}/{hashed}.{T0}.js"></script>'
    assert (out_folder / f"{hashed}.{T0}.js").read_bytes() == vendor


def test_switched_off_static_urls_stay_exactly_as_static_made_them(static_site, settings):
    settings.DJANGO_STATIC = False
    body = '{% slimall %}<link rel="stylesheet" href="{% static "css/layout.css" %}">{% endslimall %}'
    assert render(body) == '<link rel="stylesheet" href="/static/css/layout.css">'
    # A name found by the finders gets the URL {% static %} gives it, so runserver serves it.
    assert render('{% staticfile "css/layout.css" %}') == "/static/css/layout.css"
    assert render('{% staticfile "/css/layout.css?v=1" %}') == "/static/css/layout.css?v=1"


def test_a_missing_static_url_is_left_as_it_is(static_site):
    with pytest.warns(MissingAssetWarning):
        assert render('{% staticfile "/static/css/nope.css" %}') == "/static/css/nope.css"


# -- every attribute ---------------------------------------------------------------------------------


def test_scripts_and_stylesheets_with_more_attributes_are_stamped_one_by_one(site):
    out = site.render(
        """{% slimall %}
<script src="/js/a.js" nonce="abc"></script>
<script src="/js/b.js" crossorigin="anonymous" referrerpolicy="no-referrer"></script>
<link rel="stylesheet" href="/css/layout.css" id="theme" data-x="1">
<link rel="stylesheet" href="/css/print.css" title="print view" media="print">
{% endslimall %}"""
    )
    assert out == (
        f'\n<script src="/js/a.min.{T0}.js" nonce="abc"></script>\n'
        f'<script src="/js/b.min.{T0}.js" crossorigin="anonymous" referrerpolicy="no-referrer"></script>\n'
        f'<link rel="stylesheet" href="/css/layout.min.{T0}.css" id="theme" data-x="1">\n'
        f'<link rel="stylesheet" href="/css/print.min.{T0}.css" title="print view" media="print">\n'
    )


def test_icons_preloads_srcset_poster_and_media_are_stamped(site):
    site.write("/img/b.png", b"png2")
    site.write("/media/clip.mp4", b"mp4")
    site.write("/media/subs.vtt", "WEBVTT\n")
    with pytest.warns(
        MissingAssetWarning, match=r"<unknown source>:10: '/media/nope.mp3' was not found in any asset root"
    ):
        out = site.render(
            """{% staticall %}
<link rel="icon" href="/img/logo.svg" type="image/svg+xml">
<link rel="apple-touch-icon" href="/img/photo.png">
<link rel="preload" href="/js/a.js" as="script">
<link rel="modulepreload" href="/js/b.js">
<link rel="prefetch" href="/img/bg.png">
<img src="/img/bg.png" srcset="/img/bg.png 1x, /img/b.png 2x, https://x.test/c.png 3x" alt="">
<picture><source srcset="/img/b.png?v=1 480w,/img/photo.png 800w" sizes="50vw"><img src="/img/photo.png"></picture>
<video poster="/img/photo.png" src="/media/clip.mp4"><track src="/media/subs.vtt" kind="captions"></video>
<audio src="/media/nope.mp3"></audio>
<a href="/img/bg.png">not an asset reference</a>
{% endstaticall %}"""
        )
    assert out == (
        f'\n<link rel="icon" href="/img/logo.{T0}.svg" type="image/svg+xml">\n'
        f'<link rel="apple-touch-icon" href="/img/photo.{T0}.png">\n'
        f'<link rel="preload" href="/js/a.{T0}.js" as="script">\n'
        f'<link rel="modulepreload" href="/js/b.{T0}.js">\n'
        f'<link rel="prefetch" href="/img/bg.{T0}.png">\n'
        f'<img src="/img/bg.{T0}.png" srcset="/img/bg.{T0}.png 1x, /img/b.{T0}.png 2x, '
        'https://x.test/c.png 3x" alt="">\n'
        f'<picture><source srcset="/img/b.{T0}.png?v=1 480w,/img/photo.{T0}.png 800w" sizes="50vw">'
        f'<img src="/img/photo.{T0}.png"></picture>\n'
        f'<video poster="/img/photo.{T0}.png" src="/media/clip.{T0}.mp4">'
        f'<track src="/media/subs.{T0}.vtt" kind="captions"></video>\n'
        '<audio src="/media/nope.mp3"></audio>\n'
        '<a href="/img/bg.png">not an asset reference</a>\n'
    )


def test_an_old_integrity_is_recomputed_with_sri_and_removed_without(site, settings):
    body = (
        '{% slimall %}<script src="/js/a.js" integrity="sha384-old" crossorigin="anonymous"></script>{% endslimall %}'
    )
    assert site.render(body) == f'<script src="/js/a.min.{T0}.js" crossorigin="anonymous"></script>'
    settings.DJANGO_STATIC_SRI = True
    minified = site.output(f"/js/a.min.{T0}.js").read_bytes()
    assert site.render(body) == (
        f'<script src="/js/a.min.{T0}.js" integrity="{sri(minified)}" crossorigin="anonymous"></script>'
    )


def test_urls_never_leave_their_attribute(site):
    site.write("/img/q'uote\"s <b>.png", b"png")
    out = site.render("{% staticall %}<img src='/img/q&#39;uote&quot;s%20&lt;b&gt;.png'>{% endstaticall %}")
    assert out == f"<img src='/img/q%27uote%22s%20%3Cb%3E.{T0}.png'>"


# -- queries and fragments: one rule -----------------------------------------------------------------


def test_a_tag_argument_keeps_its_query_and_reads_the_file(site):
    assert site.render('{% staticfile "/css/layout.css?v=2#top" %}') == f"/css/layout.{T0}.css?v=2#top"
    assert site.render('{% slimfile "/js/a.js?v=2; /js/b.js?v=2" %}') == f"/js/a_b.min.{T0}.js?v=2"


# -- modules -----------------------------------------------------------------------------------------

MODULE_A = """import { b } from "./b.js";
export const a = () => "a" + b();
export async function later() {
  const { c } = await import("./lib/c.js");
  return c;
}
"""
MODULE_B = """import { a } from './a.js';
import * as c from "./lib/c.js";
export function b() { return "b" + c.c; }
export { a };
"""
MODULE_C = """export const c = "c";
export { b } from "../b.js";
"""


def test_a_module_graph_with_a_cycle_and_a_dynamic_import_is_stamped(site):
    site.write("/js/mod/a.js", MODULE_A)
    site.write("/js/mod/b.js", MODULE_B)
    site.write("/js/mod/lib/c.js", MODULE_C)
    out = site.render('{% staticall %}<script type="module" src="/js/mod/a.js"></script>{% endstaticall %}')
    assert out == f'<script type="module" src="/js/mod/a.{T0}.js"></script>'
    a = site.output(f"/js/mod/a.{T0}.js").read_text()
    b = site.output(f"/js/mod/b.{T0}.js").read_text()
    c = site.output(f"/js/mod/lib/c.{T0}.js").read_text()
    assert a == MODULE_A.replace('"./b.js"', f'"/js/mod/b.{T0}.js"').replace('"./lib/c.js"', f'"/js/mod/lib/c.{T0}.js"')
    assert b == MODULE_B.replace("'./a.js'", f"'/js/mod/a.{T0}.js'").replace('"./lib/c.js"', f'"/js/mod/lib/c.{T0}.js"')
    assert c == MODULE_C.replace('"../b.js"', f'"/js/mod/b.{T0}.js"')


def test_import_maps_name_stamped_modules(site):
    site.write("/js/mod/dep.js", "export default 1;\n")
    body = """{% slimall %}<script type="importmap">{"imports": {"dep": "/js/mod/dep.js", "lib/": "/js/lib/",
 "remote": "https://x.test/r.js"}}</script>{% endslimall %}"""
    assert site.render(body) == (
        '<script type="importmap">{"imports": {"dep": "/js/mod/dep.min.'
        f'{T0}.js", "lib/": "/js/lib/", "remote": "https://x.test/r.js"}}}}</script>'
    )


def test_a_web_manifest_is_stamped_with_its_urls_kept_working(site):
    site.write(
        "/app/site.webmanifest",
        '{"name": "App", "start_url": "../", "scope": "/app/", "icons": [{"src": "../img/photo.png", "sizes": "1x1"}],'
        ' "shortcuts": [{"name": "s", "url": "news/", "icons": [{"src": "/img/bg.png"}]}]}',
    )
    out = site.render('{% staticall %}<link rel="manifest" href="/app/site.webmanifest">{% endstaticall %}')
    assert out == f'<link rel="manifest" href="/app/site.{T0}.webmanifest">'
    import json

    assert json.loads(site.output(f"/app/site.{T0}.webmanifest").read_text()) == {
        "name": "App",
        "start_url": "/",
        "scope": "/app/",
        "icons": [{"src": f"/img/photo.{T0}.png", "sizes": "1x1"}],
        "shortcuts": [{"name": "s", "url": "/app/news/", "icons": [{"src": f"/img/bg.{T0}.png"}]}],
    }


def test_a_manifest_not_named_webmanifest_is_left_with_a_warning(site):
    site.write("/app/manifest.json", "{}")
    with pytest.warns(MissingAssetWarning, match="only when named \\*.webmanifest"):
        out = site.render('{% staticall %}<link rel="manifest" href="/app/manifest.json">{% endstaticall %}')
    assert out == '<link rel="manifest" href="/app/manifest.json">'


# -- adoption on real templates (tests/adoption) -------------------------------------------------------


def test_a_url_ending_in_a_slash_names_a_view_and_is_left_alone(static_site):
    # The admin writes <script src="{% url 'admin:jsi18n' %}"> between its form media: a view, not a file.
    out = render(
        """{% slimall %}
<script src="{% static "js/a.js" %}"></script>
<script src="/admin/jsi18n/"></script>
<script src="{% static "js/b.js" %}"></script>
<script src="/admin/jsi18n/?language=fr"></script>
{% endslimall %}"""
    )
    assert out == (
        f'\n<script src="{P}/js/a.min.{T0}.js"></script>\n'
        '<script src="/admin/jsi18n/"></script>\n'
        f'<script src="{P}/js/b.min.{T0}.js"></script>\n'
        '<script src="/admin/jsi18n/?language=fr"></script>\n'
    )


def test_a_missing_file_keeps_its_url_exactly_as_written(site, settings):
    body = '{% slimall %}<img src="/img/./no%20such.png?v=1"><script src="/js/../js/nope.js"></script>{% endslimall %}'
    with pytest.warns(MissingAssetWarning):
        assert site.render(body) == '<img src="/img/./no%20such.png?v=1"><script src="/js/../js/nope.js"></script>'
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.test"
    pipeline.reset()
    with pytest.warns(MissingAssetWarning):
        assert site.render(body) == (
            '<img src="https://static.test/img/./no%20such.png?v=1"><script src="https://static.test/js/../js/nope.js"></script>'
        )
