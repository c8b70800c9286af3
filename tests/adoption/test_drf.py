"""Django REST framework's browsable API (``rest_framework/base.html``), adopted: its stylesheets and its
scripts (Bootstrap, jQuery, prettify, its own) wrapped in ``{% slimall %}``."""

from __future__ import annotations

import pytest

from tests.adoption import checks
from tests.adoption.browser import Page
from tests.adoption.edits import Adoption, Wrap
from tests.adoption.harness import Spec

pytestmark = [pytest.mark.browser]

DRF = Spec(
    name="drf",
    settings="tests.adoption.sites.drf_site",
    adoption=Adoption(
        package="rest_framework",
        template="rest_framework/base.html",
        wraps=(
            # The first stylesheets sit in {% block bootstrap_theme %}: the group starts before the block.
            Wrap(
                first="{% block bootstrap_theme %}",
                last='<link rel="stylesheet" type="text/css" href="{% static "rest_framework/css/default.css" %}"/>',
            ),
            Wrap(
                first='<script src="{% static "rest_framework/js/jquery-3.7.1.min.js" %}"></script>',
                last='<script src="{% static "rest_framework/js/load-ajax-form.js" %}"></script>',
            ),
        ),
    ),
    data="""
from django.contrib.auth.models import Group
for name in ("Editors", "Reviewers", "Readers"):
    Group.objects.create(name=name)
""",
)

#: default.js runs prettify over the response: the scripts ran, in order.
PRETTIFIED = "return !!document.querySelector('pre.prettyprint span.pun')"
PAGES = [
    Page("api-root", "/api/", ready=PRETTIFIED),
    Page("list", "/api/groups/", ready=PRETTIFIED),
    Page("detail", "/api/groups/1/", ready=PRETTIFIED),
]


@pytest.mark.nginx
def test_the_adopted_browsable_api_behind_nginx_looks_the_same_with_fewer_stamped_requests(prepared):
    project = prepared(DRF)
    failures = checks.before_and_after(project, PAGES)
    assert not failures, failures


def test_the_adopted_browsable_api_under_runserver_loads_every_stylesheet(prepared):
    failures = checks.under_runserver(prepared(DRF), PAGES)
    assert not failures, failures
