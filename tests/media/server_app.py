"""The test project as a real server runs it: ``tests.media.server_app:wsgi`` (gunicorn) or ``:asgi`` (uvicorn).

GridFS is the default storage, on the database named by ``MEDIA_TEST_MONGODB_URI`` and
``MEDIA_TEST_DATABASE`` (set by :mod:`tests.media.servers`).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.media.server_settings")

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

wsgi = get_wsgi_application()
asgi = get_asgi_application()
