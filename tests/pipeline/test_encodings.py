"""Files that are not valid UTF-8: never a crash, never a silent change (issue 13).

The inputs are like the fixtures peers test with (django-compressor's ``nonasc-latin1.js``, its
Latin-1 stylesheets, files with byte order marks), written here. rcssmin and rjsmin crash the whole
process (SIGSEGV) on a lone surrogate, which is what decoding these files with ``surrogateescape`` made.
"""

from __future__ import annotations

import pytest

from django_static_pipe.exceptions import MinifyWarning, SourceEncodingWarning
from tests.conftest import T0

# A script saved in Latin-1, as django-compressor's nonasc-latin1.js is.
LATIN1_JS = (
    b"// \xa9 2009 J\xfcrgen\n"
    b'var greeting = "Gr\xfc\xdf Gott, caf\xe9 cr\xe8me";\n'
    b"function f ( x ) {\n  return x ;\n}\n"
)
# A stylesheet saved in Latin-1 that does not say so (the example).
LATIN1_CSS = b'a:before { content : "\xdcberstr\xedng" ; }\n'


def test_a_latin1_script_is_minified_as_bytes_and_written_byte_exact(site):
    site.write("/js/latin.js", LATIN1_JS)
    url = site.render('{% slimfile "/js/latin.js" %}')
    assert site.output(url).read_bytes() == b'var greeting="Gr\xfc\xdf Gott, caf\xe9 cr\xe8me";function f(x){return x;}'


def test_a_latin1_script_is_passed_through_unchanged(site, settings):
    settings.DJANGO_STATIC_USE_SYMLINK = False
    site.write("/js/latin.js", LATIN1_JS)
    url = site.render('{% staticfile "/js/latin.js" %}')
    assert site.output(url).read_bytes() == LATIN1_JS


def test_a_bundle_keeps_each_members_own_bytes(site, settings):
    settings.DJANGO_STATIC_SOURCE_MAPS = False
    site.write("/js/latin.js", LATIN1_JS)
    site.write("/js/utf8.js", 'var euro = "€";\n'.encode())
    url = site.render('{% staticfile "/js/latin.js; /js/utf8.js" %}')
    assert site.output(url).read_bytes() == LATIN1_JS + b"\n;\n" + 'var euro = "€";\n'.encode()
    slim = site.render('{% slimfile "/js/latin.js; /js/utf8.js" %}')
    assert site.output(slim).read_bytes() == (
        b'var greeting="Gr\xfc\xdf Gott, caf\xe9 cr\xe8me";function f(x){return x;}'
        + b"\n;\n"
        + 'var euro="€";'.encode()
    )


def test_a_latin1_stylesheet_without_charset_is_kept_byte_exact_with_a_warning(site):
    site.write("/css/latin.css", LATIN1_CSS)
    with pytest.warns(SourceEncodingWarning, match=r"/css/latin\.css is not valid UTF-8 and declares no other"):
        url = site.render('{% slimfile "/css/latin.css" %}')
    # Before: 'a:before{content:"\ufffdberstr\ufffdng"}' under @charset "UTF-8", and no warning.
    assert site.output(url).read_bytes() == b'a:before{content:"\xdcberstr\xedng"}'


def test_a_latin1_stylesheet_still_gets_its_references_stamped(site):
    site.write("/css/latin.css", b".caf\xe9 { background: url(../img/bg.png) }")
    with pytest.warns(SourceEncodingWarning, match="latin.css"):
        url = site.render('{% staticfile "/css/latin.css" %}')
    assert site.output(url).read_bytes() == b".caf\xe9 { background: url(/img/bg." + str(T0).encode() + b".png) }"


def test_a_stylesheet_not_valid_in_its_own_charset_is_kept_byte_exact(site):
    data = b'@charset "utf-8";\n.x::after { content: "\xe9" }'
    site.write("/css/liar.css", data)
    with pytest.warns(SourceEncodingWarning, match=r"declares @charset 'utf-8' but is not valid in it"):
        url = site.render('{% staticfile "/css/liar.css" %}')
    assert site.output(url).read_bytes() == data


@pytest.mark.parametrize(
    ("label", "body"),
    [
        # Python knows these; browsers do not, and they turn bytes into lone surrogates or fail.
        ("unicode_escape", b'.x::after { content: "\\udcdc" }'),
        ("raw-unicode-escape", b'.x::after { content: "\\udcdc" }'),
        ("utf-7", b'.x::after { content: "+2Nw-" }'),
        ("x-no-such-encoding", b'.x::after { content: "ok" }'),
    ],
)
def test_a_charset_browsers_do_not_know_is_read_as_utf8(site, label, body):
    data = b'@charset "' + label.encode() + b'";\n' + body
    site.write("/css/odd.css", data)
    url = site.render('{% slimfile "/css/odd.css" %}')  # segfaulted (or raised LookupError) before
    assert site.output(url).read_bytes() == b".x::after{content:" + body.split(b"content: ")[1][:-2] + b"}"


def test_a_charset_browsers_know_is_transcoded_to_utf8(site):
    site.write("/css/koi.css", '@charset "KOI8-R";\n.ru::after { content: "Привет" }'.encode("koi8-r"))
    url = site.render('{% staticfile "/css/koi.css" %}')
    assert site.output(url).read_bytes() == '@charset "UTF-8";\n.ru::after { content: "Привет" }'.encode()


def test_utf16_stylesheet_with_a_byte_order_mark_is_transcoded(site):
    site.write("/css/wide.css", '\ufeff.w::after { content: "ß" }'.encode("utf-16-le"))
    url = site.render('{% slimfile "/css/wide.css" %}')
    assert site.output(url).read_bytes() == '@charset "UTF-8";\n.w::after{content:"ß"}'.encode()


def test_a_utf8_byte_order_mark_still_makes_the_joined_script_utf8(site, settings):
    settings.DJANGO_STATIC_SOURCE_MAPS = False
    site.write("/js/marked.js", b'\xef\xbb\xbfvar s = "\xc3\xa9";\n')
    url = site.render('{% slimfile "/js/a.js; /js/marked.js" %}')
    assert site.output(url).read_bytes() == (
        b"\xef\xbb\xbfvar app=window.app||{};app.a=function(value){return value+1;}\n;\n" + b'var s="\xc3\xa9";'
    )


def test_an_ascii_bundle_needs_no_byte_order_mark(site):
    site.write("/js/marked.js", b"\xef\xbb\xbfvar s = 1;\n")
    url = site.render('{% slimfile "/js/marked.js" %}')
    assert site.output(url).read_bytes() == b"var s=1;"


def test_a_raw_stylesheet_written_in_place_keeps_its_bytes_beside_utf8(site):
    site.write("/css/latin.css", LATIN1_CSS)
    site.write("/css/host.css", '@import "latin.css";\n.euro::after { content: "€" }'.encode())
    with pytest.warns(SourceEncodingWarning, match="latin.css"):
        url = site.render('{% staticfile "/css/layout.css; /css/host.css" %}')
    data = site.output(url).read_bytes()
    expected = (
        b".layout {\n    margin : 0 auto;\n    width : calc(100% - 2rem);\n}\n"
        + LATIN1_CSS.rstrip(b"\n")
        + '\n.euro::after { content: "€" }'.encode()
    )
    assert data.split(b"\n/*# sourceMappingURL=")[0] == expected  # no @charset: it would be untrue of Latin-1


def test_inline_content_with_a_lone_surrogate_is_passed_through_with_a_warning(site):
    # A template variable can hold one (json.loads('"\\udcdc"') gives it); rjsmin segfaulted on it.
    with pytest.warns(MinifyWarning, match="lone surrogate"):
        out = site.render('{% slimcontent "js" %}var s = "{{ value }}";{% endslimcontent %}', value="\udcdc")
    assert out == 'var s = "\udcdc";'


def test_a_minifier_that_cannot_take_bytes_leaves_raw_text_unminified(site, settings):
    settings.DJANGO_STATIC_MINIFIERS = {".js": "tests.pipeline.generators.shout", ".css": "rcssmin.cssmin"}
    site.write("/js/latin.js", LATIN1_JS)
    with pytest.warns(MinifyWarning, match=r"/js/latin\.js is not valid UTF-8, and .*shout cannot minify bytes"):
        url = site.render('{% slimfile "/js/latin.js" %}')
    assert site.output(url).read_bytes() == LATIN1_JS


def test_the_offline_check_reads_an_unknown_charset_without_failing(site):
    from django_static_pipe import offline
    from django_static_pipe.discovery import Found, Place, Use

    site.write("/css/odd.css", b'@charset "x-no-such-encoding";\n.x { background: url(../img/gone.png) }')
    use = Use(names=("/css/odd.css",), slim=False, places=[Place("t.html", 1)])
    found = Found(uses={(use.names, use.slim): use})
    problems = offline.check_all(found)  # raised LookupError before
    assert problems == ["t.html:1: /css/odd.css references '../img/gone.png', which does not exist"]


@pytest.mark.parametrize("unit", ['"\\', "`\\", "/[", "/*!"])
def test_inline_content_that_would_keep_the_minifier_busy_for_minutes_is_passed_through(site, unit):
    # rjsmin rescans a token that never closes from every later start: 150 KB of '"\' took it ~25 s.
    text = unit * (150_000 // len(unit))
    with pytest.warns(MinifyWarning, match="tokens that never close"):
        out = site.render('{% slimcontent "js" %}{{ value|safe }}{% endslimcontent %}', value=text)
    assert out == text


def test_the_rescan_estimate_of_valid_code_is_small():
    from django_static_pipe.minify_guards import RESCAN_BUDGET, rescan_work

    valid = 'var s = "a\\"b", t = `x${y}`, r = /[/"]+/g; /* c */ // d\n' * 5000
    assert rescan_work(valid, script=True) < RESCAN_BUDGET / 1000
    assert rescan_work('"\\' * 20_000, script=True) > RESCAN_BUDGET
    assert rescan_work("/*!" * 20_000, script=False) > RESCAN_BUDGET
