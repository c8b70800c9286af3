"""The Jinja2 face itself: escaping as Jinja2 users expect, its errors, plain and async environments."""

from __future__ import annotations

import asyncio
import warnings

import jinja2
import pytest
from markupsafe import Markup

from django_static_pipe import jinja2ext
from django_static_pipe.jinja2ext import StaticPipeExtension
from tests.conftest import T0


def environment(**options) -> jinja2.Environment:
    return jinja2.Environment(extensions=[StaticPipeExtension], **options)


# -- escaping ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    ["{% staticfile name %}", "{{ staticfile(name) }}", "{% staticfile name as url %}{{ url }}"],
)
def test_a_url_is_escaped_by_autoescape(jinja2_render, settings, source):
    settings.DJANGO_STATIC = False  # the name comes back as it is, so it can hold an ampersand
    assert jinja2_render(source, name="/css/a&b.css") == "/css/a&amp;b.css"


def test_a_url_is_not_escaped_without_autoescape_or_when_marked_safe(site, settings):
    settings.DJANGO_STATIC = False
    env = environment(autoescape=False)
    assert env.from_string("{% staticfile name %}").render(name="/a&b.css") == "/a&b.css"
    escaped = environment(autoescape=True)
    assert escaped.from_string("{% slimfile name as u %}{{ u|safe }}").render(name="/a&b.css") == "/a&b.css"


def test_the_url_functions_return_plain_strings_and_blocks_return_markup(site):
    url = jinja2ext.staticfile("/img/bg.png")
    assert type(url) is str and url == f"/img/bg.{T0}.png"
    env = environment(autoescape=True)
    # A block's output is HTML: kept as it is when stored and printed again, never escaped twice.
    out = env.from_string(
        '{% set head %}{% staticall %}<img src="/img/bg.png" alt="{{ alt }}">{% endstaticall %}{% endset %}{{ head }}'
    ).render(alt="a & b")
    assert out == f'<img src="/img/bg.{T0}.png" alt="a &amp; b">'


def test_the_block_tags_hand_jinja2_markup(site):
    extension = environment().extensions[StaticPipeExtension.identifier]
    for method in ("_staticall", "_slimall", "_slimcontent"):
        assert type(getattr(extension, method)(caller=lambda: "<p>  x  </p>")) is Markup


def test_slimcontent_output_is_markup_and_not_escaped_again(site):
    env = environment(autoescape=True)
    out = env.from_string('{% slimcontent "js" %}var  a = "<b>" ;{% endslimcontent %}').render()
    assert out == 'var a="<b>";'


def test_escaping_matches_django(twin, settings):
    settings.DJANGO_STATIC = False
    django = twin.cold("django", "{% staticfile name %}", name="/css/a&b.css")
    jinja2_out = twin.cold("jinja2", "{% staticfile name %}", name="/css/a&b.css")
    assert jinja2_out == django


# -- {{ static() }} inside a block, as Django's Jinja2 set-up provides it -------------------------------

STATIC_IN_BLOCK = """{% slimall %}
<link rel="stylesheet" href="STATIC_CALL">
<script src="/js/a.js"></script>
{% endslimall %}"""


def test_a_static_url_inside_a_block_renders_as_django_static_does(twin):
    results = []
    for language, call in (("django", "{% static 'css/layout.css' %}"), ("jinja2", "{{ static('css/layout.css') }}")):
        prefix = "{% load static %}" if language == "django" else ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            output = twin.cold(language, prefix + STATIC_IN_BLOCK.replace("STATIC_CALL", call))
        results.append((output, [str(warning.message) for warning in caught]))
    assert results[1] == results[0]
    assert f'<script src="/js/a.min.{T0}.js"></script>' in results[0][0][0]


def test_a_static_url_inside_a_block_is_stamped(twin, site, settings):
    settings.STATICFILES_DIRS = [str(site.root)]  # the finders see the test's own copy (files at T0)
    output, _files = twin.cold("jinja2", STATIC_IN_BLOCK.replace("STATIC_CALL", "{{ static('css/layout.css') }}"))
    # Under STATIC_URL, with roots of its own, the name keeps its /static/ path below the save folder.
    assert f'href="/static/css/layout.min.{T0}.css"' in output


# -- where the tags may stand ------------------------------------------------------------------------


def test_blocks_inside_loops_macros_and_inherited_blocks(site):
    env = environment(
        autoescape=True,
        loader=jinja2.DictLoader(
            {
                "base.html": "<head>{% block head %}{% endblock %}</head>",
                "page.html": """{% extends "base.html" %}{% macro icon(n) %}{% staticall %}<img src="{{ n }}">\
{% endstaticall %}{% endmacro %}{% block head %}{% for group in groups %}{% slimall %}\
{% for name in group %}<script src="{{ name }}"></script>{% endfor %}{% endslimall %}{% endfor %}\
{{ icon("/img/bg.png") }}{% endblock %}""",
            }
        ),
    )
    out = env.get_template("page.html").render(groups=[["/js/a.js", "/js/b.js"], ["/js/defer.js"]])
    assert out == (
        f'<head><script src="/js/a_b.min.{T0}.js"></script><script src="/js/defer.min.{T0}.js"></script>'
        f'<img src="/img/bg.{T0}.png"></head>'
    )


def test_an_async_environment_gives_the_same_output(site):
    source = (
        '{% slimall %}<script src="/js/a.js"></script><script src="/js/b.js"></script>{% endslimall %}'
        '{{ slimfile("/js/a.js") }}{% slimcontent %}a  { color : red }{% endslimcontent %}'
    )
    sync = environment(autoescape=True).from_string(source).render()
    asynchronous = asyncio.run(environment(autoescape=True, enable_async=True).from_string(source).render_async())
    assert asynchronous == sync == f'<script src="/js/a_b.min.{T0}.js"></script>/js/a.min.{T0}.jsa{{color:red}}'


def test_the_globals_work_without_the_tags_being_used(site):
    env = environment()
    assert env.globals["staticfile"] is jinja2ext.staticfile and env.globals["slimfile"] is jinja2ext.slimfile
    assert env.from_string('{{ slimfile("/js/a.js") }}').render() == f"/js/a.min.{T0}.js"


# -- misuse ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{% staticfile %}",
            r"'staticfile' takes one file name .* or \{\{ staticfile\(\"/css/site.css\"\) \}\}; got no",
        ),
        ('{% slimfile "a" b %}', r"'slimfile' takes one file name .*; got 'b' after the file name"),
        ('{% slimfile "a" as %}', r"'as' needs a variable name after it"),
        ('{% slimfile "a" as none %}', r"'as' needs a variable name after it"),
        ('{% slimfile "a" as b c %}', r"got 'c' after the file name"),
        ("{% slimall x %}{% endslimall %}", r"'slimall' takes no arguments: \{% slimall %\}…\{% endslimall %\}"),
        ("{% staticall %}", r"endstaticall"),
        ('{% slimcontent "xml" %}x{% endslimcontent %}', r"does not know the format 'xml'.*\"css\", \"js\", \"html\""),
        ('{% slimcontent "css" js %}{% endslimcontent %}', r"'slimcontent' takes at most one argument"),
    ],
)
def test_misuse_is_a_syntax_error_naming_the_valid_forms_and_the_line(source, message):
    with pytest.raises(jinja2.TemplateSyntaxError, match=message) as caught:
        environment().from_string("\n\n" + source)
    assert caught.value.lineno == 3


def test_an_unknown_format_from_a_variable_fails_at_render_time(site):
    template = environment().from_string("{% slimcontent kind %}a{% endslimcontent %}")
    with pytest.raises(jinja2.TemplateRuntimeError, match="does not know the format 'xml'"):
        template.render(kind="xml")
