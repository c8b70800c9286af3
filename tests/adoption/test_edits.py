"""The adoption edits themselves: only inserted lines (and sekizai's postprocessor), nothing else."""

from __future__ import annotations

import pytest

from tests.adoption.edits import Adoption, Wrap, adopt, unadopt

BASE = """{% load static sekizai_tags %}<!DOCTYPE html>
<head>
  {% block style %}
    <link rel="stylesheet" href="{% static "a.css" %}">
  {% endblock %}
  {% render_block "css" %}
</head>
<body>
  <script src="{% static "a.js" %}"></script>
  <script>var inline = 1;</script>
  <script src="{% static "b.js" %}"></script>
  {% render_block "js" %}
</body>
"""
ADOPTION = Adoption(
    package="unused",
    template="base.html",
    wraps=(
        Wrap(first="{% block style %}", last='"a.css"', close_after=1),
        Wrap(first='"a.js"', last='"b.js"'),
    ),
    sekizai_blocks=("css", "js"),
)


def test_adoption_inserts_lines_and_postprocessors_only():
    adopted = adopt(BASE, ADOPTION)
    assert (
        adopted
        == """{% load static sekizai_tags %}<!DOCTYPE html>
{% load django_static %}
<head>
  {% slimall %}
  {% block style %}
    <link rel="stylesheet" href="{% static "a.css" %}">
  {% endblock %}
  {% endslimall %}
  {% render_block "css" postprocessor "django_static_pipe.postprocessors.slimall" %}
</head>
<body>
  {% slimall %}
  <script src="{% static "a.js" %}"></script>
  <script>var inline = 1;</script>
  <script src="{% static "b.js" %}"></script>
  {% endslimall %}
  {% render_block "js" postprocessor "django_static_pipe.postprocessors.slimall" %}
</body>
"""
    )
    assert unadopt(adopted) == BASE


def test_an_anchor_that_is_not_there_or_not_unique_fails():
    with pytest.raises(AssertionError, match="no line holds"):
        adopt(BASE, Adoption("unused", "base.html", (Wrap(first='"c.css"', last='"b.js"'),)))
    with pytest.raises(AssertionError, match="more than one line"):
        adopt(BASE, Adoption("unused", "base.html", (Wrap(first="<script", last='"b.js"'),)))
    with pytest.raises(AssertionError, match="already uses"):
        adopt(adopt(BASE, ADOPTION), ADOPTION)
