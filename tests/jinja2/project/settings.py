"""Jinja2 is the only template engine here: Django's own backend, set up as its documentation shows."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
OUT = Path(os.environ["PROJECT_OUT"])

SECRET_KEY = "jinja2-project-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "django_static_pipe"]
DATABASES = {}
USE_TZ = True
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "jinja2env.environment",
            "extensions": ["django_static_pipe.jinja2ext.StaticPipeExtension"],
        },
    }
]
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "assets"]

DJANGO_STATIC = True
DJANGO_STATIC_MEDIA_ROOTS = [BASE_DIR / "assets"]
DJANGO_STATIC_SAVE_PREFIX = str(OUT)
DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
DJANGO_STATIC_STAMP = "content"
DJANGO_STATIC_USE_MANIFEST_FILE = True
DJANGO_STATIC_SRI = True
