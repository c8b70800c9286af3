"""{% staticall %} and {% slimall %}: runs, groups, images, SRI, exact HTML out."""

from __future__ import annotations

import base64
import hashlib

import pytest

from django_static_pipe.exceptions import MissingAssetWarning
from tests.conftest import T0


def test_slimall_combines_runs_and_keeps_everything_else(site):
    source = """{% slimall %}
<link rel="icon" href="/img/logo.svg">
<link rel="stylesheet" href="/css/layout.css">
<link
    href="/css/print.css"
    rel="stylesheet">
<p>Hello</p>
<script src="/js/a.js"></script>
<script src="/js/b.js"></script>
{% endslimall %}"""
    assert (
        site.render(source)
        == f"""
<link rel="icon" href="/img/logo.{T0}.svg">
<link rel="stylesheet" href="/css/layout_print.min.{T0}.css">
<p>Hello</p>
<script src="/js/a_b.min.{T0}.js"></script>
"""
    )
    assert site.output(f"/css/layout_print.min.{T0}.css").read_text() == (
        ".layout{margin:0 auto;width:calc(100% - 2rem)}\n.noprint{display:none}"
    )


def test_staticall_combines_without_minifying(site):
    out = site.render(
        '{% staticall %}<script src="/js/a.js"></script><script src="/js/b.js"></script>{% endstaticall %}'
    )
    assert out == f'<script src="/js/a_b.{T0}.js"></script>'
    assert "// a.js" in site.output(f"/js/a_b.{T0}.js").read_text()


def test_media_values_form_separate_groups(site):
    source = """{% slimall %}<link rel="stylesheet" href="/css/layout.css" media="screen">
<link rel="stylesheet" media="screen" href="/css/vendor.min.css">
<link rel="stylesheet" href="/css/print.css" media="print">{% endslimall %}"""
    assert site.render(source) == (
        f'<link rel="stylesheet" href="/css/layout_vendor.min.{T0}.css" media="screen">\n'
        f'<link rel="stylesheet" href="/css/print.min.{T0}.css" media="print">'
    )


def test_defer_and_async_scripts_are_grouped_apart(site):
    source = """{% slimall %}<script src="/js/a.js"></script>
<script defer src="/js/defer.js"></script>
<script src="/js/defer.js" defer></script>
<script async src="/js/vendor.min.js"></script>
<script src="/js/b.js"></script>{% endslimall %}"""
    # A file named twice runs twice: the second copy starts a run of its own rather than doubling a file.
    assert site.render(source) == (
        f'<script src="/js/a.min.{T0}.js"></script>\n'
        f'<script defer src="/js/defer.min.{T0}.js"></script>\n'
        f'<script src="/js/defer.min.{T0}.js" defer></script>\n'
        f'<script async src="/js/vendor.min.{T0}.js"></script>\n'
        f'<script src="/js/b.min.{T0}.js"></script>'
    )


def test_inline_and_external_scripts_end_a_run(site):
    source = """{% slimall %}<script src="/js/a.js"></script>
<script>window.between = 1;</script>
<script src="/js/b.js"></script>
<script src="https://cdn.example.com/lib.js"></script>
<script src="/js/defer.js"></script>
<script src="/js/vendor.min.js" id="kept"></script>
<script src="/js/a.js"></script>{% endslimall %}"""
    assert site.render(source) == (
        f'<script src="/js/a.min.{T0}.js"></script>\n'
        "<script>window.between = 1;</script>\n"
        f'<script src="/js/b.min.{T0}.js"></script>\n'
        '<script src="https://cdn.example.com/lib.js"></script>\n'
        f'<script src="/js/defer.min.{T0}.js"></script>\n'
        f'<script src="/js/vendor.min.{T0}.js" id="kept"></script>\n'
        f'<script src="/js/a.min.{T0}.js"></script>'
    )


def test_an_inline_style_ends_a_stylesheet_run_but_a_script_does_not(site):
    source = """{% slimall %}<link rel="stylesheet" href="/css/layout.css">
<script src="/js/a.js"></script>
<link rel="stylesheet" href="/css/print.css">
<style>.x{}</style>
<link rel="stylesheet" href="/css/vendor.min.css">{% endslimall %}"""
    assert site.render(source) == (
        f'<link rel="stylesheet" href="/css/layout_print.min.{T0}.css">\n'
        f'<script src="/js/a.min.{T0}.js"></script>\n'
        "<style>.x{}</style>\n"
        f'<link rel="stylesheet" href="/css/vendor.min.{T0}.css">'
    )


def test_images_are_stamped_in_place(site):
    source = (
        '{% staticall %}<figure><img alt="bg" src="/img/bg.png"><img src=\'/img/photo.png\' />'
        '<img src="https://x.test/a.png"></figure>{% endstaticall %}'
    )
    assert site.render(source) == (
        f'<figure><img alt="bg" src="/img/bg.{T0}.png"><img src=\'/img/photo.{T0}.png\' />'
        '<img src="https://x.test/a.png"></figure>'
    )


def test_sri_adds_integrity_to_emitted_tags(site, settings):
    settings.DJANGO_STATIC_SRI = True
    out = site.render(
        '{% slimall %}<script src="/js/a.js"></script><link rel="stylesheet" href="/css/layout.css" />{% endslimall %}'
    )
    js = site.output(f"/js/a.min.{T0}.js").read_bytes()
    css = site.output(f"/css/layout.min.{T0}.css").read_bytes()

    def sri(data: bytes) -> str:
        return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()

    assert out == (
        f'<script src="/js/a.min.{T0}.js" integrity="{sri(js)}" crossorigin="anonymous"></script>'
        f'<link rel="stylesheet" href="/css/layout.min.{T0}.css" integrity="{sri(css)}" crossorigin="anonymous" />'
    )


def test_with_sri_a_passed_through_file_is_copied_not_linked(site, settings):
    settings.DJANGO_STATIC_SRI = True
    out = site.render('{% staticall %}<script src="/js/a.js"></script>{% endstaticall %}')
    digest = base64.b64encode(hashlib.sha384((site.root / "js/a.js").read_bytes()).digest()).decode()
    assert f'integrity="sha384-{digest}"' in out
    # A symlink would follow later edits of the source and break the integrity hash on the page.
    assert not site.links_to_source(f"/js/a.{T0}.js")


def test_a_missing_run_of_one_warns_and_keeps_the_name(site, settings):
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.test"
    with pytest.warns(MissingAssetWarning, match="nope.js"):
        out = site.render('{% slimall %}<script src="/js/nope.js"></script>{% endslimall %}')
    assert out == '<script src="https://static.test/js/nope.js"></script>'


def test_a_missing_member_of_a_run_is_kept_and_splits_the_run(site):
    source = """{% slimall %}<script src="/js/a.js"></script>
<script src="/js/nope.js"></script>
<script src="/js/b.js"></script>
<script src="/js/defer.js"></script>{% endslimall %}"""
    with pytest.warns(MissingAssetWarning) as caught:
        out = site.render(source)
    assert out == (
        f'<script src="/js/a.min.{T0}.js"></script>\n'
        '<script src="/js/nope.js"></script>\n'
        f'<script src="/js/b_defer.min.{T0}.js"></script>'
    )
    # The template and line are named (a template from a string has no name: "<unknown source>").
    assert any(
        "<unknown source>:2: '/js/nope.js' was not found in any asset root; it is used as it is" in str(w.message)
        for w in caught
    )


def test_query_strings_and_fragments_are_kept_on_the_stamped_url(site):
    out = site.render('{% slimall %}<script src="/js/a.js?v=3"></script><img src="/img/bg.png#x">{% endslimall %}')
    assert out == f'<script src="/js/a.min.{T0}.js?v=3"></script><img src="/img/bg.{T0}.png#x">'


def test_members_join_only_with_members_of_the_same_query(site):
    source = (
        '{% slimall %}<script src="/js/a.js?v=3"></script><script src="/js/b.js?v=3"></script>'
        '<script src="/js/defer.js"></script>{% endslimall %}'
    )
    assert site.render(source) == (
        f'<script src="/js/a_b.min.{T0}.js?v=3"></script><script src="/js/defer.min.{T0}.js"></script>'
    )


def test_module_scripts_are_stamped_one_by_one(site):
    source = (
        '{% slimall %}<script type="module" src="/js/a.js"></script>'
        '<script type="module" src="/js/b.js"></script>{% endslimall %}'
    )
    assert site.render(source) == (
        f'<script type="module" src="/js/a.min.{T0}.js"></script>'
        f'<script type="module" src="/js/b.min.{T0}.js"></script>'
    )


def test_typed_classic_scripts_group_by_type(site):
    source = (
        '{% slimall %}<script type="text/javascript" src="/js/a.js"></script>'
        '<script type="text/javascript" src="/js/b.js"></script><script src="/js/defer.js"></script>{% endslimall %}'
    )
    assert site.render(source) == (
        f'<script type="text/javascript" src="/js/a_b.min.{T0}.js"></script>'
        f'<script src="/js/defer.min.{T0}.js"></script>'
    )


def test_block_body_with_variables_renders_each_time(site):
    source = '{% slimall %}<script src="{{ js }}"></script>{% endslimall %}'
    assert site.render(source, js="/js/a.js") == f'<script src="/js/a.min.{T0}.js"></script>'
    assert site.render(source, js="/js/b.js") == f'<script src="/js/b.min.{T0}.js"></script>'


def test_attribute_values_are_escaped(site, settings):
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.test/?a=1&b="
    out = site.render('{% slimall %}<script src="/js/a.js"></script>{% endslimall %}')
    assert out == f'<script src="https://static.test/?a=1&amp;b=/js/a.min.{T0}.js"></script>'


def test_scripts_of_different_strictness_get_one_tag_per_group(site):
    source = """{% slimall %}
    <script src="/js/a.js"></script>
    <script src="/js/strict.js"></script>
    <script src="/js/strict2.js"></script>
    <script src="/js/b.js"></script>
{% endslimall %}"""
    assert (
        site.render(source)
        == f"""
    <script src="/js/a.min.{T0}.js"></script>
    <script src="/js/strict_strict2.min.{T0}.js"></script>
    <script src="/js/b.min.{T0}.js"></script>
"""
    )


def test_an_explicit_bundle_of_mixed_strictness_is_refused(site):
    from django_static_pipe.exceptions import BundleError

    with pytest.raises(BundleError, match=r"'use strict'.*/js/a\.js \| /js/strict\.js; /js/strict2\.js"):
        site.render('{% slimfile "/js/a.js; /js/strict.js; /js/strict2.js" %}')
    assert site.render('{% slimfile "/js/strict.js; /js/strict2.js" %}') == f"/js/strict_strict2.min.{T0}.js"
