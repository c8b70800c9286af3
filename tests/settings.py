"""Settings for the test suite: the app with its defaults, SQLite in memory, no network."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "django_static_pipe",
    "sekizai",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"debug": False},
    }
]
ROOT_URLCONF = "tests.urls"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "assets"]
MEDIA_URL = "/media/"
LOGGING_CONFIG = None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
