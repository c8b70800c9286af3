"""The ``environment`` callable of Django's documentation for its Jinja2 backend: ``static`` and ``url``."""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment


def environment(**options: Any) -> Environment:
    env = Environment(**options)
    env.globals.update({"static": static, "url": reverse})
    return env
