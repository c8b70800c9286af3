"""The Django site the serving benchmark runs under gunicorn: WhiteNoise, FileResponse, the GridFS view."""

import os

SECRET_KEY = "bench"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = ["django.contrib.staticfiles", "django_static_pipe"]
MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]
ROOT_URLCONF = "bench.serving.urls"
STATIC_URL = "/static/"
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
WHITENOISE_MAX_AGE = 315360000
DATABASES: dict[str, object] = {}
STORAGES = {
    "default": {
        "BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
        "OPTIONS": {"uri": os.environ["BENCH_MONGODB_URI"], "database": os.environ["BENCH_MONGODB_DATABASE"]},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
BENCH_DISK_FOLDER = os.environ["BENCH_DISK_FOLDER"]
LOGGING_CONFIG = None
