"""Django REST framework's browsable API over Django's own Group model."""

from __future__ import annotations

from tests.adoption.sites.common import *  # noqa: F403
from tests.adoption.sites.common import AUTH_CONTEXT, BASE_APPS, templates

INSTALLED_APPS = [*BASE_APPS, "rest_framework"]
TEMPLATES = templates(AUTH_CONTEXT)
ROOT_URLCONF = "tests.adoption.sites.drf_urls"
REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]}
