from tests.media.conftest import media, storage, storage_factory  # noqa: F401  (GridFS fixtures)
