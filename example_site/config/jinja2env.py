"""The Jinja2 environment of the example, as Django's documentation sets one up: ``static`` and ``url``.

The five tags come from the extension listed in settings.TEMPLATES; this only adds Django's helpers.
"""

from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment


def environment(**options: Any) -> Environment:
    env = Environment(**options)
    env.globals.update({"static": static, "url": reverse})
    return env
