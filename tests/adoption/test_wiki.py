"""django-wiki (``wiki/base_site.html``), adopted: its stylesheet and its scripts wrapped in
``{% slimall %}``, and the sekizai blocks its pages fill given the postprocessor.

django-wiki supports Django < 6.1 only, so pyproject's test extra installs it for the Python 3.11 +
Django 5.2 pair alone; elsewhere conftest.py deselects this module.
"""

from __future__ import annotations

import pytest

from tests.adoption import checks
from tests.adoption.browser import Page
from tests.adoption.edits import Adoption, Wrap
from tests.adoption.harness import Spec

pytestmark = [pytest.mark.browser]

STYLESHEET = '<link href="{% static "wiki/bootstrap/css/wiki-bootstrap.min.css" %}" rel="stylesheet">'
WIKI = Spec(
    name="wiki",
    settings="tests.adoption.sites.wiki_site",
    adoption=Adoption(
        package="wiki",
        template="wiki/base_site.html",
        wraps=(
            Wrap(first=STYLESHEET, last=STYLESHEET),
            Wrap(
                first='<script src="{% static "wiki/js/jquery-3.6.0.min.js" %}"></script>',
                last='<script src="{% static "wiki/js/respond.min.js" %}"></script>',
            ),
        ),
        sekizai_blocks=("css", "js"),
    ),
    data="""
from datetime import datetime, timezone
from wiki.models import ArticleRevision, URLPath
content = '''# Adopting a pipeline

Real templates, real **CSS** and real *JavaScript*.

| project | templates |
|---------|-----------|
| admin   | base.html |
| wiki    | base_site.html |

    print("code blocks too")

[[Links]] and a [link](https://example.com/).
'''
URLPath.create_root(title="Adoption", content=content)
when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
ArticleRevision.objects.update(created=when, modified=when)
""",
)

PAGES = [
    Page("article", "/"),
    Page("edit", "/_edit/"),
    Page("history", "/_history/"),
]


@pytest.mark.nginx
def test_the_adopted_wiki_behind_nginx_looks_the_same_with_fewer_stamped_requests(prepared):
    failures = checks.before_and_after(prepared(WIKI), PAGES)
    assert not failures, failures


def test_the_adopted_wiki_under_runserver_loads_every_stylesheet(prepared):
    failures = checks.under_runserver(prepared(WIKI), PAGES)
    assert not failures, failures
