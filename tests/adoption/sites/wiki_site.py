"""django-wiki, set up as its documentation says, with its default plugins."""

from __future__ import annotations

from tests.adoption.sites.common import *  # noqa: F403
from tests.adoption.sites.common import AUTH_CONTEXT, BASE_APPS, templates

INSTALLED_APPS = [
    *BASE_APPS,
    "django.contrib.humanize.apps.HumanizeConfig",
    "django.contrib.sites.apps.SitesConfig",
    "django_nyt.apps.DjangoNytConfig",
    "mptt",
    "sekizai",
    "sorl.thumbnail",
    "wiki.apps.WikiConfig",
    "wiki.plugins.attachments.apps.AttachmentsConfig",
    "wiki.plugins.notifications.apps.NotificationsConfig",
    "wiki.plugins.images.apps.ImagesConfig",
    "wiki.plugins.macros.apps.MacrosConfig",
]
TEMPLATES = templates([*AUTH_CONTEXT, "sekizai.context_processors.sekizai"])
ROOT_URLCONF = "tests.adoption.sites.wiki_urls"
SITE_ID = 1
WIKI_ANONYMOUS_WRITE = True  # the edit page without logging in
