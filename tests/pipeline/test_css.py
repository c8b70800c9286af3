"""CSS output: url() and @import references resolved against each member's own location."""

from __future__ import annotations

import shutil

import pytest

from django_static_pipe import css, pipeline
from django_static_pipe.exceptions import ImportCycleWarning, MissingAssetWarning
from tests.conftest import T0

BASE_CSS_EXPECTED = f"""/* Base styles. This comment mentions url(commented.png), which must stay as it is. */
body {{
    background: url(/cdn-missing/img/bg.{T0}.png) no-repeat;
    font-family: "Fira", sans-serif;
}}
@font-face {{
    font-family: "Fira";
    src: url("/cdn-missing/fonts/fira.{T0}.woff2?v=4#iefix") format("woff2");
}}
.logo {{ background-image: url('/cdn-missing/img/logo.{T0}.svg'); }}
.inline {{ background: url("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'></svg>"); }}
.remote {{ background: url(https://example.com/x.png); }}
.proto {{ background: url(//example.com/y.png); }}
.frag {{ filter: url(#blur); }}
.gone {{ background: url(/cdn-missing/img/missing.png); }}
.quote::before {{ content: "url(not-a-reference.png)"; }}"""


def test_every_kind_of_reference(site, settings):
    settings.DJANGO_STATIC_MEDIA_URL = "/cdn-missing"
    with pytest.warns(MissingAssetWarning, match=r"missing\.png"):
        url = site.render('{% staticfile "/css/base.css" %}')
    assert url == f"/cdn-missing/css/base.{T0}.css"
    output = site.output(f"/css/base.{T0}.css")
    assert not site.links_to_source(f"/css/base.{T0}.css")  # CSS is always a file of its own
    assert output.read_text() == BASE_CSS_EXPECTED
    assert site.links_to_source(f"/img/bg.{T0}.png")
    assert site.output(f"/fonts/fira.{T0}.woff2").exists()


def test_missing_reference_is_made_absolute(site):
    site.write("/css/deep/x.css", ".x { background: url(../../img/nowhere.png) }")
    with pytest.warns(MissingAssetWarning, match="nowhere.png"):
        url = site.render('{% staticfile "/css/deep/x.css" %}')
    assert site.output(url).read_text() == ".x { background: url(/img/nowhere.png) }"


def test_imports_are_processed_recursively_and_keep_media(site):
    url = site.render('{% staticfile "/css/imports.css" %}')
    assert site.output(url).read_text() == (
        f'@import url("/css/sub/imported.{T0}.css");\n'
        f'@import url("/css/print.{T0}.css") print;\n'
        ".after { color: red; }"
    )
    assert (
        site.output(f"/css/sub/imported.{T0}.css").read_text() == f".imported {{ background: url(/img/bg.{T0}.png); }}"
    )


def test_slim_imports_are_slim_too(site):
    url = site.render('{% slimfile "/css/imports.css" %}')
    assert site.output(url).read_text() == (
        f'@import url("/css/sub/imported.min.{T0}.css");'
        f'@import url("/css/print.min.{T0}.css") print;.after{{color:red}}'
    )


def test_later_members_imports_are_inlined_in_place(site):
    url = site.render('{% staticfile "/css/layout.css; /css/imports.css" %}')
    text = site.output(url).read_text()
    assert text == (
        ".layout {\n    margin : 0 auto;\n    width : calc(100% - 2rem);\n}\n"
        f".imported {{ background: url(/img/bg.{T0}.png); }}\n"
        "@media print {\n.noprint { display: none; }\n}\n"
        ".after { color: red; }\n"
        f"/*# sourceMappingURL=/css/layout_imports.css.{T0}.map */"  # tests/pipeline/test_sourcemaps.py
    )


def test_an_import_cycle_warns_and_each_file_names_the_others_stamped_url(site):
    with pytest.warns(ImportCycleWarning, match=r"/css/cycle-a\.css → /css/cycle-b\.css → /css/cycle-a\.css"):
        url = site.render('{% staticfile "/css/cycle-a.css" %}')
    assert url == f"/css/cycle-a.{T0}.css"
    assert site.output(url).read_text() == f'@import url("/css/cycle-b.{T0}.css");\n.a {{ color: blue; }}'
    assert site.output(f"/css/cycle-b.{T0}.css").read_text() == (
        f'@import url("/css/cycle-a.{T0}.css");\n.b {{ color: green; }}'
    )


def test_a_cycle_with_content_stamps_gets_one_stamp_whoever_is_asked_first(site, settings):
    settings.DJANGO_STATIC_STAMP = "content"
    with pytest.warns(ImportCycleWarning):
        from_a = site.render('{% staticfile "/css/cycle-a.css" %}')
    first = {path: site.out.joinpath(path).read_bytes() for path in site.produced()}
    shutil.rmtree(site.out)
    pipeline.reset()
    with pytest.warns(ImportCycleWarning):
        from_b = site.render('{% staticfile "/css/cycle-b.css" %}')
    second = {path: site.out.joinpath(path).read_bytes() for path in site.produced()}
    assert first == second
    stamp = from_a.split(".")[-2]
    assert from_b == f"/css/cycle-b.{stamp}.css"
    assert f"/css/cycle-a.{stamp}.css".encode() in second[f"css/cycle-b.{stamp}.css"]


def test_non_ascii_css_gets_a_charset_rule(site):
    url = site.render('{% slimfile "/css/unicode.css" %}')
    data = site.output(url).read_bytes()
    assert (
        data.decode("utf-8")
        == f'@charset "UTF-8";\n.price::after{{content:"→ 5 €"}}.café{{background:url("/img/bg.{T0}.png")}}'
    )


def test_a_latin1_file_that_says_so_is_read_as_latin1(site):
    site.write("/css/latin.css", '@charset "ISO-8859-1";\n.x::after { content: "caf\xe9"; }'.encode("latin-1"))
    url = site.render('{% staticfile "/css/latin.css" %}')
    assert site.output(url).read_bytes().decode("utf-8") == '@charset "UTF-8";\n.x::after { content: "café"; }'


def test_references_get_the_proxy_url_and_prefixes(site, settings):
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.recording_proxy"
    url = site.render('{% staticfile "/css/sub/imported.css" %}')
    assert url == f"https://cdn.test/cache-forever/css/sub/imported.{T0}.css"
    expected = f".imported {{ background: url(https://cdn.test/cache-forever/img/bg.{T0}.png); }}"
    assert site.output(f"/css/sub/imported.{T0}.css").read_text() == expected


def test_quoting_of_rewritten_urls_with_spaces(site):
    site.write("/img/two words.png", b"png")
    site.write(
        "/css/spaces.css",
        '.s { background: url("../img/two words.png") } .t { background: url(../img/two%20words.png) }',
    )
    url = site.render('{% staticfile "/css/spaces.css" %}')
    assert site.output(url).read_text() == (
        f'.s {{ background: url("/img/two%20words.{T0}.png") }} .t {{ background: url(/img/two%20words.{T0}.png) }}'
    )


def test_image_change_gives_the_css_a_new_stamp_in_debug(site, settings):
    settings.DEBUG = True
    first = site.render('{% staticfile "/css/sub/imported.css" %}')
    site.touch("/img/bg.png", T0 + 30)
    second = site.render('{% staticfile "/css/sub/imported.css" %}')
    assert second == f"/css/sub/imported.{T0 + 30}.css"
    assert site.output(second).read_text() == f".imported {{ background: url(/img/bg.{T0 + 30}.png); }}"
    assert not site.output(first).exists()


def test_references_are_resolved_afresh_when_the_settings_change(settings):
    """References are remembered per stylesheet folder; a settings change must not serve an old answer."""
    settings.DJANGO_STATIC_MEDIA_ROOTS = None
    settings.STATIC_URL = "/static/"
    written = "https://cdn.example.com/static/img/x.png"
    assert css.resolve_reference(written, "/css/a.css") is None  # another host's file
    settings.STATIC_URL = "https://cdn.example.com/static/"
    ref = css.resolve_reference(written, "/css/a.css")
    assert ref is not None and (ref.path, ref.suffix) == ("/img/x.png", "")


def test_only_short_references_are_remembered():
    """A data: URI (a megabyte, in real stylesheets) is resolved every time, never kept."""
    css.forget_references()
    css.resolve_reference("data:image/png;base64," + "A" * 5000, "/css/a.css")
    assert css._remembered_in.cache_info().currsize == 0
    first = css.resolve_reference(" ../img/x.png?v=1 ", "/css/a.css")
    again = css.resolve_reference("../img/x.png?v=1", "/css/b.css")  # same folder, same reference
    assert first == again and first is not None and (first.path, first.suffix) == ("/img/x.png", "?v=1")
    assert css._remembered_in.cache_info().currsize == 1
    elsewhere = css.resolve_reference("../img/x.png?v=1", "/css/deep/c.css")
    assert elsewhere is not None and elsewhere.path == "/css/img/x.png"


def test_a_reference_is_never_answered_under_other_settings(monkeypatch):
    """A script that sets settings and calls forget_settings (no signal, no reset) gets fresh answers."""
    from django_static_pipe import conf

    written = "https://cdn.example.com/static/img/x.png"
    monkeypatch.setitem(conf._values, "DJANGO_STATIC_MEDIA_ROOTS", None)
    monkeypatch.setitem(conf._values, "derived:media_roots", None)
    monkeypatch.setitem(conf._values, "STATIC_URL", "/static/")
    assert css.resolve_reference(written, "/css/a.css") is None
    monkeypatch.setitem(conf._values, "STATIC_URL", "https://cdn.example.com/static/")
    ref = css.resolve_reference(written, "/css/a.css")
    assert ref is not None and ref.path == "/img/x.png"


def test_a_stylesheet_named_with_a_trailing_dot_segment_is_still_processed(site):
    """'/css/base.css/.' is the stylesheet: processed as one, never linked to its source as it is."""
    with pytest.warns(MissingAssetWarning):
        outcome = pipeline.build(("/css/base.css/.",), False)
    assert outcome.built.url_path == f"/css/base.{T0}.css"
    assert not site.links_to_source(outcome.built.url_path)
    assert f"url(/img/bg.{T0}.png)" in site.output(outcome.built.url_path).read_text()
