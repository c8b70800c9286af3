"""Living with the rest of a project: sekizai blocks, runserver, the offline build's planning of
blocks written with {% static %}."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template import Template
from django.test import override_settings
from django.urls import clear_url_caches
from sekizai.context import SekizaiContext

from django_static_pipe.discovery import find_uses
from tests.conftest import T0

SLIMALL = "django_static_pipe.postprocessors.slimall"
SEKIZAI_PAGE = (
    """{% load sekizai_tags %}<head>{% render_block "css" postprocessor """
    + f'"{SLIMALL}"'
    + """ %}</head>
{% addtoblock "css" %}<link rel="stylesheet" href="/css/layout.css">{% endaddtoblock %}
{% addtoblock "css" %}<link rel="stylesheet" href="/css/print.css">{% endaddtoblock %}
{% addtoblock "css" %}<link rel="stylesheet" href="/css/layout.css">{% endaddtoblock %}"""
)


def test_sekizai_blocks_get_the_slimall_treatment(site):
    out = Template(SEKIZAI_PAGE).render(SekizaiContext())
    # sekizai drops the repeated addition; the rest is joined and stamped where the block is rendered.
    assert out.startswith(f'<head><link rel="stylesheet" href="/css/layout_print.min.{T0}.css">\n</head>')


def test_sekizai_staticall_joins_without_minifying(site):
    page = SEKIZAI_PAGE.replace("postprocessors.slimall", "postprocessors.staticall")
    out = Template(page).render(SekizaiContext())
    assert out.startswith(f'<head><link rel="stylesheet" href="/css/layout_print.{T0}.css">\n</head>')


def test_a_missing_file_in_a_sekizai_block_names_the_block(site):
    page = SEKIZAI_PAGE.replace("/css/print.css", "/css/nope.css")
    with pytest.warns(Warning, match="sekizai block 'css'.*'/css/nope.css' was not found"):
        Template(page).render(SekizaiContext())


# -- runserver ---------------------------------------------------------------------------------------


@pytest.fixture
def dev_urls(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = "tests.dev_urls"
    clear_url_caches()
    import sys

    sys.modules.pop("tests.dev_urls", None)
    yield
    clear_url_caches()
    sys.modules.pop("tests.dev_urls", None)


def test_runserver_serves_produced_files_under_the_prefix(site, settings, dev_urls, client):
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    url = Template('{% load django_static %}{% slimfile "/css/layout.css" %}').render(SekizaiContext())
    assert url == f"/cache-forever/css/layout.min.{T0}.css"
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == site.output(url.removeprefix("/cache-forever")).read_bytes()
    for hidden in ("/cache-forever/.static-pipe-locks/x", "/cache-forever/static-pipe-manifest.json"):
        assert client.get(hidden).status_code == 404


def test_runserver_serves_source_roots_when_switched_off(site, settings, dev_urls, client):
    settings.DJANGO_STATIC = False
    assert Template('{% load django_static %}{% staticfile "/js/a.js" %}').render(SekizaiContext()) == "/js/a.js"
    response = client.get("/js/a.js")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (site.root / "js/a.js").read_bytes()
    assert client.get("/js/../../etc/passwd").status_code == 404


def test_nothing_is_served_in_production(site, settings, dev_urls, client):
    settings.DEBUG = False
    from django_static_pipe.dev import static_pipe_urlpatterns

    assert static_pipe_urlpatterns() == []


# -- the offline build plans blocks written with {% static %} ------------------------------------------

TEMPLATE = """{% load static django_static %}
{% slimall %}
<link rel="stylesheet" href="{% static "css/layout.css" %}">
<link rel="stylesheet" href="{% static "css/print.css" %}">
<img src="{% static "img/bg.png" %}" srcset="{% static "img/photo.png" %} 2x">
{% endslimall %}
{% slimall %}
<script src="{{ script }}"></script>
{% endslimall %}
{% staticall %}<script src="/js/%5c..%5csecret.js"></script>{% endstaticall %}
"""


@pytest.fixture
def project(site, settings, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text(TEMPLATE)
    settings.STATICFILES_DIRS = [str(site.root)]
    del settings.DJANGO_STATIC_MEDIA_ROOTS
    settings.TEMPLATES = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(templates)], "APP_DIRS": False}
    ]
    return templates


def test_blocks_with_static_tags_are_planned_as_a_render_would(project):
    found = find_uses()
    assert {(use.names, use.slim) for use in found.uses.values()} == {
        (("/css/layout.css", "/css/print.css"), True),
        (("/img/bg.png",), False),
        (("/img/photo.png",), False),
    }
    page = str(project / "page.html")
    assert [(s.place.template.endswith("page.html"), s.place.line, s.reason) for s in found.skipped] == [
        (
            True,
            7,
            "{% slimall %}: its body holds the variable {{ script }} (line 8); it is built when a page renders it",
        )
    ]
    assert len(found.problems) == 1 and found.problems[0].startswith(f"{page}:10: '/js/%5c..%5csecret.js'")


def test_check_lists_what_a_render_would_refuse_with_its_place(project, capsys):
    with pytest.raises(CommandError, match=r"page\.html:10: '/js/%5c\.\.%5csecret\.js' cannot be used"):
        call_command("static_pipe_build", "--check")
    assert "skipped " in capsys.readouterr().out


def test_a_static_url_planned_offline_builds_what_the_render_uses(project, settings):
    with override_settings(DJANGO_STATIC_USE_MANIFEST_FILE=True):
        call_command("static_pipe_build", verbosity=0)
        from django_static_pipe import pipeline

        pipeline.reset()
        html = Template(
            TEMPLATE.replace("{% staticall %}", "{% comment %}").replace("{% endstaticall %}", "{% endcomment %}")
        ).render(SekizaiContext({"script": "/js/a.js"}))
    assert f'href="/css/layout_print.min.{T0}.css"' in html
    assert f'srcset="/img/photo.{T0}.png 2x"' in html
