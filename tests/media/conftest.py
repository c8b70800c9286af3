"""GridFS fixtures: a storage on this test's own database of the harness's MongoDB-wire server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from django_static_pipe.backends.gridfs import GridFSStorage


def gridfs_storages(**options: Any) -> dict[str, Any]:
    """A STORAGES setting with a GridFSStorage of these options as the default storage."""
    return {
        "default": {"BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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

    settings.STORAGES = gridfs_storages(uri=mongo_uri, database=gridfs_database, chunk_size_bytes=4)
    storage = storages["default"]
    assert isinstance(storage, GridFSStorage)
    return storage
