"""GridFS fixtures: a storage on this test's own database of the harness's MongoDB-wire server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from django_static_pipe.backends.gridfs import GridFSStorage


@pytest.fixture
def storage_factory(mongo_uri: str, gridfs_database: str) -> Callable[..., GridFSStorage]:
    def make(**options: Any) -> GridFSStorage:
        return GridFSStorage(uri=mongo_uri, database=gridfs_database, **options)

    return make


@pytest.fixture
def storage(storage_factory: Callable[..., GridFSStorage]) -> GridFSStorage:
    return storage_factory()


@pytest.fixture
def media(settings: Any, mongo_uri: str, gridfs_database: str) -> GridFSStorage:
    """GridFS as the default storage, served by the view at /media/."""
    from django.core.files.storage import storages

    settings.STORAGES = {
        "default": {
            "BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
            "OPTIONS": {"uri": mongo_uri, "database": gridfs_database, "chunk_size_bytes": 4},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    storage = storages["default"]
    assert isinstance(storage, GridFSStorage)
    return storage
