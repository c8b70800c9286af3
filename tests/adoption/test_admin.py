"""Django admin's own ``admin/base.html``, adopted: its head's stylesheets and scripts and its content
block (where the change form puts its scripts) wrapped in ``{% slimall %}``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adoption import checks
from tests.adoption.browser import Page, wait_for
from tests.adoption.edits import Adoption, Wrap
from tests.adoption.harness import Spec

pytestmark = [pytest.mark.browser]

# Django 6.1 adds {% csp_nonce_attr %} to each tag: the lines are found by what both versions hold.
FIRST_STYLESHEET = 'href="{% block stylesheet %}{% static "admin/css/base.css" %}{% endblock %}"'
LAST_STYLESHEET = '{% static "admin/css/responsive_rtl.css" %}'
ADMIN = Spec(
    name="admin",
    settings="tests.adoption.sites.admin_site",
    adoption=Adoption(
        package="django.contrib.admin",
        template="admin/base.html",
        wraps=(
            # The last asset tag sits in {% block responsive %}: the group ends after the block does.
            Wrap(first=FIRST_STYLESHEET, last=LAST_STYLESHEET, close_after=1),
            Wrap(first="{% block content %}", last="{{ content }}", close_after=1),
        ),
    ),
    data="""
from datetime import datetime, timezone
from django.contrib.auth.models import Group, Permission, User
User.objects.create_superuser("admin", "admin@example.com", "admin-password")
joined = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
for name in ("ada", "grace", "linus", "margaret"):
    User.objects.create_user(name, f"{name}@example.com", "pw", first_name=name.title(), date_joined=joined)
editors = Group.objects.create(name="Editors")
editors.permissions.set(Permission.objects.filter(codename__in=["add_user", "change_user", "view_group"]))
Group.objects.create(name="Reviewers")
""",
)


def log_in(driver: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/admin/login/")
    driver.find_element(By.ID, "id_username").send_keys("admin")
    driver.find_element(By.ID, "id_password").send_keys("admin-password")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(driver, "return location.pathname === '/admin/'")


#: SelectFilter2.js builds the two-list widget: the scripts ran, in order.
SELECT_FILTER = "return !!document.getElementById('id_permissions_to')"


def dark(driver: Any, base_url: str) -> None:
    """The visitor's system prefers dark: dark_mode.css's variables must still win over base.css's."""
    feature = {"name": "prefers-color-scheme", "value": "dark"}
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [feature]})


PAGES = [
    Page("login", "/admin/login/"),
    Page("index", "/admin/", setup=log_in),
    Page("changelist", "/admin/auth/user/"),
    Page("change-form", "/admin/auth/group/1/change/", ready=SELECT_FILTER),
    Page("changelist-dark", "/admin/auth/user/", setup=dark),
]
#: The admin's translation catalogue is a script a view writes, not a file.
DYNAMIC = frozenset({"/admin/jsi18n/"})


@pytest.mark.nginx
def test_the_adopted_admin_behind_nginx_looks_the_same_with_fewer_stamped_requests(prepared):
    project = prepared(ADMIN)
    failures = checks.before_and_after(project, PAGES, DYNAMIC)
    assert not failures, failures


def test_the_adopted_admin_under_runserver_loads_every_stylesheet(prepared):
    failures = checks.under_runserver(prepared(ADMIN), PAGES)
    assert not failures, failures
