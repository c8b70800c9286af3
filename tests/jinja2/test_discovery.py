"""static_pipe_build's discovery in Jinja2 templates: Jinja2's parser, every Jinja2 engine, beside Django."""

from __future__ import annotations

import re

import pytest

from django_static_pipe import html
from django_static_pipe.discovery import find_uses
from tests.jinja2.conftest import DJANGO_ENGINE, jinja2_engine, write

SITE = """{# The uses a deploy builds ahead, and the places it cannot. #}
<link rel="icon" href="{% staticfile "/img/logo.svg" %}">
<script src="{{ slimfile('/js/a.js; /js/b.js') }}"></script>
{% slimfile "/js/vendor.min.js" as vendor %}
{%- slimall %}
<link rel="stylesheet" href="/css/layout.css">
<link rel="stylesheet" href="/css/print.css" media="print">
<script src="/js/a.js"></script>
<script defer src="/js/defer.js"></script>
<img src="/img/bg.png?v=2">
{% endslimall %}
{% staticfile name %}
{{ slimfile(names) }}
{% slimall %}{% for n in names %}<script src="{{ n }}"></script>{% endfor %}{% endslimall %}
{% staticall %}<img src="{{ "/img/" ~ "photo.png" }}">{% endstaticall %}
{% slimall %}<link rel="stylesheet" href="{{ static('css/base.css') }}">{% endslimall %}
<style>{% slimcontent "css" %}a { b : c }{% endslimcontent %}</style>
{% raw %}{% staticfile "/img/raw-is-text.png" %}{% endraw %}
{# {% staticfile "/img/commented-out.png" %} #}
{{ staticfile("/css/" ~ "imports.css") }} {{ staticfile(prefix ~ "x.css") }} {{ slimfile() }}
"""


@pytest.fixture
def project(tmp_path, settings, backend):
    """Django templates in templates/, Jinja2 templates in jinja2/, and an app with both kinds."""
    django_dir = tmp_path / "templates"
    jinja2_dir = tmp_path / "jinja2"
    write(django_dir / "page.html", '{% load django_static %}\n\n{% staticfile "/img/logo.svg" %}\n')
    write(jinja2_dir / "site.jinja", SITE)
    write(jinja2_dir / "plain.jinja", "{% extends 'base.jinja' %}{% block x %}nothing of ours{% endblock %}")
    write(jinja2_dir / "broken.jinja", "{% slimall %}\n{% if %}\n{% endslimall %}")
    write(jinja2_dir / "not-matched.html", '{% staticfile "/img/photo.png" %}')
    (jinja2_dir / "binary.jinja").write_bytes(b"\xff\xfe staticfile \x00")
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.jinja2.jinjaapp"]
    settings.TEMPLATES = [
        jinja2_engine(backend, dirs=[jinja2_dir], app_dirs=True, match_extension=".jinja")
        if backend.startswith("django_jinja")
        else jinja2_engine(backend, dirs=[jinja2_dir], app_dirs=True),
        {**DJANGO_ENGINE, "DIRS": [django_dir], "APP_DIRS": True},
    ]
    return tmp_path


def uses_by_place(found):
    return sorted(
        (str(place).rsplit("/", 1)[-1], use.names, use.slim) for use in found.uses.values() for place in use.places
    )


def test_jinja2_uses_are_found_beside_django_ones_with_their_lines(project, backend):
    found = find_uses()
    static_body = '<link rel="stylesheet" href="/static/css/base.css">'
    static_names = html.plan_of(static_body).runs[0].names  # whatever blocks make of a STATIC_URL
    expected = [
        ("page.html:3", ("/img/logo.svg",), False),
        ("legacy.html:2", ("/js/b.js",), True),
        ("site.jinja:2", ("/img/logo.svg",), False),
        ("site.jinja:3", ("/js/a.js", "/js/b.js"), True),
        ("site.jinja:4", ("/js/vendor.min.js",), True),
        ("site.jinja:5", ("/css/layout.css",), True),
        ("site.jinja:5", ("/css/print.css",), True),
        ("site.jinja:5", ("/js/a.js",), True),
        ("site.jinja:5", ("/js/defer.js",), True),
        ("site.jinja:5", ("/img/bg.png",), False),
        ("site.jinja:15", ("/img/photo.png",), False),
        ("site.jinja:16", static_names, True),
        ("site.jinja:20", ("/css/imports.css",), False),
    ]
    if backend.startswith("django_jinja"):  # apps' templates/ folders, .jinja names only
        expected.append(("card.jinja:2", ("/css/vendor.min.css",), True))
    else:  # Django's backend: apps' jinja2/ folders, every name
        expected += [
            ("widget.jinja:2", ("/fonts/fira.woff2",), False),
            ("not-matched.html:1", ("/img/photo.png",), False),
        ]
    assert uses_by_place(found) == sorted(expected)
    skipped = [f"{s.place.template.rsplit('/', 1)[-1]}:{s.place.line}: {s.reason}" for s in found.skipped]
    assert skipped == [  # in the order the folders are walked: sorted names
        "broken.jinja:2: Jinja2 cannot parse it: Expected an expression, got 'end of statement block'",
        "site.jinja:12: {% staticfile … %}: the argument is not a literal string",
        "site.jinja:13: slimfile(…): the argument is not a literal string",
        "site.jinja:14: {% slimall %}: its body holds variables or tags",
        "site.jinja:20: staticfile(…): the argument is not a literal string",
        "site.jinja:20: slimfile(…): the argument is not a literal string",
    ]
    # page.html and legacy.html (Django), site.jinja and the app's Jinja2 template.
    assert found.templates == 4 + (0 if backend.startswith("django_jinja") else 1)


def test_places_name_the_template_file(project):
    found = find_uses()
    places = {str(place) for use in found.uses.values() for place in use.places}
    assert f"{project}/jinja2/site.jinja:2" in places  # outside the working folder: the whole path


def test_a_file_both_engines_see_is_read_as_a_django_template_when_it_loads_the_tags(tmp_path, settings, backend):
    shared = tmp_path / "shared"
    write(shared / "django.html", '{% load django_static %}\n{% staticfile "/img/logo.svg" %}\n')
    write(shared / "jinja.html", '\n{{ staticfile("/img/bg.png") }}\n')
    settings.TEMPLATES = [
        {**DJANGO_ENGINE, "DIRS": [shared]},
        jinja2_engine(backend, dirs=[shared]),
        jinja2_engine(backend, dirs=[shared]) | {"NAME": "again"},  # a second engine on the same folder
    ]
    found = find_uses()
    assert uses_by_place(found) == [
        ("django.html:2", ("/img/logo.svg",), False),
        ("jinja.html:2", ("/img/bg.png",), False),
    ]
    assert (found.templates, found.skipped) == (2, [])


def test_an_engine_without_the_extension_gets_the_fix_named(tmp_path, settings):
    folder = tmp_path / "jinja2"
    write(folder / "page.html", "<p>\n{% slimfile '/js/a.js' %}</p>")
    settings.TEMPLATES = [jinja2_engine("django.template.backends.jinja2.Jinja2", dirs=[folder], extensions=[])]
    found = find_uses()
    assert [(s.place.line, s.reason) for s in found.skipped] == [
        (
            2,
            "Jinja2 cannot parse it: Encountered unknown tag 'slimfile'. (add "
            "'django_static_pipe.jinja2ext.StaticPipeExtension' to the engine's OPTIONS['extensions'])",
        )
    ]
    assert found.uses == {}


def test_a_subclass_of_the_extension_is_understood(tmp_path, settings):
    folder = tmp_path / "jinja2"
    write(folder / "page.html", '{% slimfile "/js/a.js" %}')
    settings.TEMPLATES = [
        jinja2_engine(
            "django.template.backends.jinja2.Jinja2", dirs=[folder], extensions=["tests.jinja2.subclass.MyExtension"]
        )
    ]
    assert uses_by_place(find_uses()) == [("page.html:1", ("/js/a.js",), True)]


def test_without_jinja2_engines_only_django_templates_are_read(tmp_path, settings):
    folder = tmp_path / "templates"
    write(folder / "page.html", '{% load django_static %}{% slimfile "/js/a.js" %}{{ slimfile("/js/b.js") }}')
    settings.TEMPLATES = [{**DJANGO_ENGINE, "DIRS": [folder]}]
    assert uses_by_place(find_uses()) == [("page.html:1", ("/js/a.js",), True)]


HOSTILE_ARGUMENTS = [
    "/static/css/layout.css?v=2#top",  # STATIC_URL and a query: the render asks for /css/layout.css
    "/css/layout.css; /static/css/print.css",
    "/css/../../../etc/passwd",  # refused by a render: a problem with its place
    "/css/a.css?v=1; /css/b.css?v=2",  # members with different queries: refused too
    'x" onerror="alert(1)',
]


def test_jinja2_asset_tags_are_planned_under_the_names_a_render_asks_for(tmp_path, settings, backend):
    """The same literal arguments in a Django and a Jinja2 template give the same uses and problems."""
    write(tmp_path / "templates" / "page.html", "{% load django_static %}\n" + "\n".join(
        f"{{% slimfile {argument!r} %}}" for argument in HOSTILE_ARGUMENTS
    ))  # fmt: skip
    write(tmp_path / "jinja2" / "page.jinja", "\n" + "\n".join(
        f"{{{{ slimfile({argument!r}) }}}}" for argument in HOSTILE_ARGUMENTS
    ))  # fmt: skip
    settings.TEMPLATES = [
        jinja2_engine(backend, dirs=[tmp_path / "jinja2"], match_extension=".jinja")
        if backend.startswith("django_jinja")
        else jinja2_engine(backend, dirs=[tmp_path / "jinja2"]),
        {**DJANGO_ENGINE, "DIRS": [tmp_path / "templates"]},
    ]
    found = find_uses()
    by_template: dict[str, list] = {"page.html": [], "page.jinja": []}
    for use in found.uses.values():
        for place in use.places:
            by_template[str(place).rsplit("/", 1)[-1].split(":")[0]].append((place.line, use.names))
    assert (
        sorted(by_template["page.jinja"])
        == sorted(by_template["page.html"])
        == [
            (2, ("/css/layout.css",)),
            (3, ("/css/layout.css", "/css/print.css")),
            (6, ('x" onerror="alert(1)',)),
        ]
    )
    places = sorted(re.search(r"(page\.\w+):(\d+): ", problem).groups() for problem in found.problems)
    assert places == [("page.html", "4"), ("page.html", "5"), ("page.jinja", "4"), ("page.jinja", "5")]
