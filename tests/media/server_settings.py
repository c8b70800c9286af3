"""Settings of the test project under a real server: the suite's own, with GridFS as the default storage."""

import os

from tests.settings import *  # noqa: F403

STORAGES = {
    "default": {
        "BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
        "OPTIONS": {"uri": os.environ["MEDIA_TEST_MONGODB_URI"], "database": os.environ["MEDIA_TEST_DATABASE"]},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Errors go to the server's log, which the tests print when something fails.
LOGGING_CONFIG = "logging.config.dictConfig"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
