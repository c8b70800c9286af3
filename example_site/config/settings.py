"""Settings of the example site: every django-static-pipe feature on embedded defaults.

Everything that differs between machines comes from the environment (start.py sets it):
MONGODB_URI turns on GridFS for uploads; EXAMPLE_CLOUDFRONT_BUCKET and friends turn on the CDN proxy.
"""

import importlib.util
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EXAMPLE_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("EXAMPLE_SECRET_KEY", "example-site-only-not-secret")
DEBUG = os.environ.get("EXAMPLE_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_static_pipe",
    "gallery",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
    {  # one page in Jinja2 (/jinja2/): the same tags through the extension
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "OPTIONS": {
            "environment": "config.jinja2env.environment",
            "extensions": ["django_static_pipe.jinja2ext.StaticPipeExtension"],
        },
    },
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "example.sqlite3"}}
CACHES = {  # shared by every gunicorn worker, so the CDN proxy's SlowMap agrees across them
    "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
}
# Files of other apps (the admin's CSS and JS): start.py runs collectstatic into STATIC_ROOT, with the
# hashed names nginx caches forever (`manage.py static_pipe_nginx` serves STATIC_URL from there).
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

# --- django-static-pipe --------------------------------------------------------------------------
DJANGO_STATIC = True
DJANGO_STATIC_MEDIA_ROOTS = [BASE_DIR / "assets"]
DJANGO_STATIC_SAVE_PREFIX = str(VAR_DIR / "cache-forever")
DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
DJANGO_STATIC_STAMP = "content"  # the same names on every server
DJANGO_STATIC_USE_MANIFEST_FILE = True  # start.py builds at deploy time; renders only read the manifest
DJANGO_STATIC_SRI = True
DJANGO_STATIC_PRECOMPRESS = ("gzip", "br") if importlib.util.find_spec("brotli") else ("gzip",)

# Uploads: GridFS when a MongoDB is configured, else plain files (start.py says which it used).
MONGODB_URI = os.environ.get("MONGODB_URI", "")
if MONGODB_URI:
    STORAGES["default"] = {
        "BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
        "OPTIONS": {"uri": MONGODB_URI, "database": os.environ.get("EXAMPLE_MONGODB_DATABASE", "example_media")},
    }

# The CDN, only when a bucket is given (no AWS account is needed to run the example).
if os.environ.get("EXAMPLE_CLOUDFRONT_BUCKET"):
    DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
    DJANGO_STATIC_CLOUDFRONT = {
        "BUCKET": os.environ["EXAMPLE_CLOUDFRONT_BUCKET"],
        "DOMAIN": os.environ.get("EXAMPLE_CLOUDFRONT_DOMAIN") or None,
        "CREATE_DISTRIBUTION": not os.environ.get("EXAMPLE_CLOUDFRONT_DOMAIN"),
        "EXTENSIONS": [".png", ".svg", ".woff2", ".css", ".js"],
        # Only for S3-compatible stores and tests: both APIs at one endpoint (moto serves both).
        "ENDPOINT_URL": os.environ.get("EXAMPLE_CLOUDFRONT_ENDPOINT_URL") or None,
        "CLOUDFRONT_ENDPOINT_URL": os.environ.get("EXAMPLE_CLOUDFRONT_ENDPOINT_URL") or None,
        "REGION": os.environ.get("EXAMPLE_CLOUDFRONT_REGION") or None,
    }

# Without nginx in front (start.py --no-nginx), Django serves the stamped files itself.
EXAMPLE_SERVE_ASSETS = os.environ.get("EXAMPLE_SERVE_ASSETS", "") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_static_pipe": {"handlers": ["console"], "level": "INFO"}},
}
