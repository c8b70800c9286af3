from tests.cdn.conftest import cdn  # noqa: F401  (S3 fixtures)
from tests.media.conftest import media, storage, storage_factory  # noqa: F401  (GridFS fixtures)
