"""What every adoption project's settings share. The test harness runs each project in a folder of its
own (``ADOPTION_VAR``) and in one of two modes (``ADOPTION_MODE``):

- ``before``: the project as it ships: its own templates, ``DJANGO_STATIC`` off, everything under
  ``STATIC_URL`` gathered by ``collectstatic``;
- ``after``: the adopted templates (written by the harness into ``ADOPTION_VAR/templates``, first in
  ``DIRS``), the pipeline on with a name prefix, content stamps and the manifest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

VAR = Path(os.environ["ADOPTION_VAR"])
MODE = os.environ.get("ADOPTION_MODE", "before")
if MODE not in ("before", "after"):
    raise ValueError(f"ADOPTION_MODE must be 'before' or 'after', not {MODE!r}")
ADOPTED = MODE == "after"

SECRET_KEY = "adoption-tests-only-not-secret"
DEBUG = os.environ.get("ADOPTION_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR / "db.sqlite3"}}
STATIC_URL = "/static/"
STATIC_ROOT = VAR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # What a production site uses: hashed names under STATIC_URL, which the blocks read from STATIC_ROOT.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

DJANGO_STATIC = ADOPTED
DJANGO_STATIC_SAVE_PREFIX = str(VAR / "cache-forever")
DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
DJANGO_STATIC_STAMP = "content"
DJANGO_STATIC_USE_MANIFEST_FILE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_static_pipe": {"handlers": ["console"], "level": "INFO"}},
}


def templates(context_processors: list[str], **options: Any) -> list[dict[str, Any]]:
    """One Django engine: the adopted templates first when adopted, then every app's own."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [VAR / "templates"] if ADOPTED else [],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": context_processors, **options},
        }
    ]


AUTH_CONTEXT = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
BASE_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_static_pipe",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
