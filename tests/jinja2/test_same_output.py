"""The same page through Django's tags and through the Jinja2 extension: the same bytes, the same files.

Each source is valid in both languages (Django's needs only ``{% load django_static %}`` in front); every
case runs with DEBUG off and on, with content stamps, SRI and a media URL, through a file proxy, and
switched off, on both Jinja2 backends. Each language renders from a cold start, so each builds for itself.
"""

from __future__ import annotations

import warnings

import pytest

from django_static_pipe.exceptions import BundleError
from tests import proxies

SINGLE_FILES = {
    "image": '<img src="{% staticfile "/img/bg.png" %}">',
    "script minified": '<script src="{% slimfile "/js/a.js" %}"></script>',
    "css rewritten and imports followed": '<link rel="stylesheet" href="{% slimfile "/css/imports.css" %}">',
    "css stamped unminified": '{% staticfile "/css/layout.css" %}',
    "already minified": '{% slimfile "/js/vendor.min.js" %}',
    "relative name": '{% slimfile "css/layout.css" %}',
    "font": '{% staticfile "/fonts/fira.woff2" %}',
    "remote url": '{% slimfile "https://cdn.example.com/x.js" %}',
    "variable argument": "{% staticfile name %}",
    "empty and undefined": '[{% slimfile "" %}][{% staticfile nothing %}]',
    "as a variable": '{% slimfile "/js/b.js" as url %}<script src="{{ url }}"></script>',
}

BUNDLES = {
    "two scripts": '{% slimfile "/js/a.js; /js/b.js" %}',
    "stylesheets unminified, as a variable": '{% staticfile "/css/layout.css;/css/print.css" as both %}{{ both }}',
    "strict scripts": '{% slimfile "/js/strict.js; /js/strict2.js" %}',
    "bundle from a variable": "{% slimfile names %}",
}

BLOCKS = {
    "runs combined, everything else kept": """{% slimall %}
<link rel="icon" href="/img/logo.svg">
<link rel="stylesheet" href="/css/layout.css">
<link
    href="/css/print.css"
    rel="stylesheet">
<p>Hello</p>
<script src="/js/a.js"></script>
<script src="/js/b.js"></script>
{% endslimall %}""",
    "staticall combines without minifying": (
        '{% staticall %}<script src="/js/a.js"></script><script src="/js/b.js"></script>{% endstaticall %}'
    ),
    "media values form groups": """{% slimall %}<link rel="stylesheet" href="/css/layout.css" media="screen">
<link rel="stylesheet" media="screen" href="/css/vendor.min.css">
<link rel="stylesheet" href="/css/print.css" media="print">{% endslimall %}""",
    "defer and async group apart": """{% slimall %}<script src="/js/a.js"></script>
<script defer src="/js/defer.js"></script>
<script src="/js/defer.js" defer></script>
<script async src="/js/vendor.min.js"></script>
<script src="/js/b.js"></script>{% endslimall %}""",
    "inline and external scripts end a run": """{% slimall %}<script src="/js/a.js"></script>
<script>window.between = 1;</script>
<script src="/js/b.js"></script>
<script src="https://cdn.example.com/lib.js"></script>
<script src="/js/defer.js"></script>
<script src="/js/vendor.min.js" id="kept"></script>
<script src="/js/a.js"></script>{% endslimall %}""",
    "an inline style ends a stylesheet run, a script does not": """{% slimall %}
<link rel="stylesheet" href="/css/layout.css">
<script src="/js/a.js"></script>
<link rel="stylesheet" href="/css/print.css">
<style>.x{}</style>
<link rel="stylesheet" href="/css/vendor.min.css">{% endslimall %}""",
    "module scripts group apart": """{% slimall %}<script src="/js/a.js"></script>
<script type="module" src="/js/b.js"></script>
<script type="module" src="/js/defer.js"></script>{% endslimall %}""",
    "strict and sloppy scripts split in place": """{% slimall %}
    <script src="/js/a.js"></script>
    <script src="/js/strict.js"></script>
    <script src="/js/strict2.js"></script>
    <script src="/js/b.js"></script>
{% endslimall %}""",
    "images stamped in place": (
        '{% staticall %}<figure><img alt="bg" src="/img/bg.png"><img src=\'/img/photo.png\' />'
        '<img src="https://x.test/a.png"></figure>{% endstaticall %}'
    ),
    "a body with variables and a loop": (
        '{% slimall %}<link rel="stylesheet" href="{{ sheet }}">'
        '{% for name in scripts %}\n<script src="{{ name }}"></script>{% endfor %}\n{% endslimall %}'
    ),
    "escaped characters in the body": (
        '{% staticall %}<img src="/img/bg.png" alt="{{ alt }}"><p>{{ alt }}</p>{% endstaticall %}'
    ),
}

SLIMCONTENT = {
    "css": '<style>{% slimcontent "css" %}\nh1, h2 {\n  color : red ;\n}\n{% endslimcontent %}</style>',
    "js": "{% slimcontent 'js' %}\nvar  a = 1 ;\n// gone\nfunction f ( x ) { return x ; }\n{% endslimcontent %}",
    "html": """{% slimcontent "html" %}
<div>
    <p>Two   words {{ alt }}</p>   <!-- a comment -->
    <pre>  keep
   this  </pre>
    <textarea>  and   this </textarea>
    <script>var  s = "  spaced  ";</script>
    <b>bold</b> <i>italic</i>
</div>
{% endslimcontent %}""",
    "guessed html": "{% slimcontent %}<p>  a  </p>{% endslimcontent %}",
    "guessed js": "{% slimcontent %}var x = function () { return 1; };{% endslimcontent %}",
    "guessed css": "{% slimcontent %}a  { color : red }{% endslimcontent %}",
    "format from a variable": "{% slimcontent kind %}a { color : red }{% endslimcontent %}",
    "nested in a block": (
        '{% slimall %}<script src="/js/a.js"></script>'
        '<script>{% slimcontent "js" %}var  inline = 1 ;{% endslimcontent %}</script>{% endslimall %}'
    ),
}

CONTEXT = {
    "name": "/img/photo.png",
    "names": "/js/b.js;/js/a.js",
    "sheet": "/css/layout.css",
    "scripts": ["/js/a.js", "/js/b.js", "/js/defer.js"],
    "alt": "Tom & Jerry <3",  # the languages escape quotes differently (&quot; and &#34;), these alike
    "kind": "css",
}

CASES = [
    pytest.param(source, id=f"{group}: {name}")
    for group, cases in (("single", SINGLE_FILES), ("bundle", BUNDLES), ("block", BLOCKS), ("slim", SLIMCONTENT))
    for name, source in cases.items()
]

MODES = {
    "debug off": {},
    "debug on": {"DEBUG": True},
    "content stamps, SRI, media URL": {
        "DJANGO_STATIC_STAMP": "content",
        "DJANGO_STATIC_SRI": True,
        "DJANGO_STATIC_MEDIA_URL": "https://static.test",
        "DJANGO_STATIC_NAME_PREFIX": "/cache-forever",
        "DJANGO_STATIC_USE_SYMLINK": False,
    },
    "file proxy, debug on": {"DJANGO_STATIC_FILE_PROXY": "tests.proxies.recording_proxy", "DEBUG": True},
    "switched off": {"DJANGO_STATIC": False},
    "switched off, file proxy": {"DJANGO_STATIC": False, "DJANGO_STATIC_FILE_PROXY": "tests.proxies.recording_proxy"},
    "switched off, media URL always": {
        "DJANGO_STATIC": False,
        "DJANGO_STATIC_MEDIA_URL": "https://static.test",
        "DJANGO_STATIC_MEDIA_URL_ALWAYS": True,
    },
}


@pytest.fixture(params=list(MODES), ids=list(MODES))
def mode(request, settings):
    for name, value in MODES[request.param].items():
        setattr(settings, name, value)
    proxies.calls.clear()
    yield request.param
    proxies.calls.clear()


def render_both(twin, source):
    """Each language's output, produced files and file-proxy calls, from a cold start."""
    results = []
    for language in ("django", "jinja2"):
        proxies.calls.clear()
        output, files = twin.cold(language, source, **CONTEXT)
        results.append((output, files, list(proxies.calls)))
    return results


@pytest.mark.parametrize("source", CASES)
def test_same_bytes_same_files_same_proxy_calls(twin, mode, source, settings):
    django, jinja2 = render_both(twin, source)
    assert jinja2[0] == django[0]
    assert jinja2[1] == django[1]
    assert jinja2[2] == django[2]
    # Not equal by doing nothing: switched on, every case but the remote URL and the empty values builds.
    builds = settings.DJANGO_STATIC and "cdn.example.com/x.js" not in source and "nothing" not in source
    if builds and "slimcontent" not in source:
        assert django[1], "nothing was built"
    if "file proxy" in mode and builds and "slimcontent" not in source:
        assert django[2] and "https://cdn.test" in django[0]


FUNCTIONS = [
    pytest.param('{% staticfile "/img/bg.png" %}', '{{ staticfile("/img/bg.png") }}', id="staticfile"),
    pytest.param('{% slimfile "/js/a.js; /js/b.js" %}', '{{ slimfile("/js/a.js; /js/b.js") }}', id="slimfile bundle"),
    pytest.param("{% slimfile names as u %}[{{ u }}]", "{% set u = slimfile(names) %}[{{ u }}]", id="set"),
    pytest.param("{% staticfile nothing %}", "{{ staticfile(nothing) }}", id="undefined"),
]


@pytest.mark.parametrize(("django_source", "jinja2_source"), FUNCTIONS)
def test_the_global_functions_give_what_the_tags_give(twin, mode, django_source, jinja2_source):
    django = twin.cold("django", django_source, **CONTEXT)
    jinja2 = twin.cold("jinja2", jinja2_source, **CONTEXT)
    assert jinja2 == django


def test_a_missing_file_warns_the_same_and_keeps_the_name(twin, settings):
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.test"
    seen = []
    for language in ("django", "jinja2"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            output = twin.cold(language, '{% slimall %}<script src="/js/nope.js"></script>{% endslimall %}')[0]
        seen.append((output, [(w.category, str(w.message)) for w in caught]))
    assert seen[0] == seen[1]
    assert seen[0][0] == '<script src="https://static.test/js/nope.js"></script>'
    assert "nope.js" in seen[0][1][0][1]


@pytest.mark.parametrize(
    "source",
    [
        '{% slimfile "/js/a.js; /js/strict.js" %}',
        '{% slimcontent "x" ~ kind %}a{% endslimcontent %}',
    ],
    ids=["mixed strictness bundle", "unknown format at render time"],
)
def test_the_same_errors(twin, source):
    django_source = source.replace('"x" ~ kind', "bad")
    errors = []
    for language, text in (("django", django_source), ("jinja2", source)):
        with pytest.raises(Exception) as caught:
            twin.cold(language, text, bad="xcss", kind="css")
        errors.append(caught.value)
    if isinstance(errors[0], BundleError) or "nope" in source:
        assert type(errors[1]) is type(errors[0])
    assert str(errors[1]) == str(errors[0])
