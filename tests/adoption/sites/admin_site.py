"""Django's admin, as any project enables it."""

from __future__ import annotations

from tests.adoption.sites.common import *  # noqa: F403
from tests.adoption.sites.common import AUTH_CONTEXT, BASE_APPS, templates

INSTALLED_APPS = ["django.contrib.admin", *BASE_APPS]
TEMPLATES = templates(AUTH_CONTEXT)
ROOT_URLCONF = "tests.adoption.sites.admin_urls"
