"""System checks of GridFSStorage's option values (E034, E035)."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from tests.media.conftest import gridfs_storages


def ids() -> list[str]:
    return sorted(m.id for m in run_checks() if m.id and m.id.startswith("django_static_pipe"))


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("public, private, max-age=60", "says public and private"),
        ("public, no-store", "says public and private"),
        ("public,\r\nSet-Cookie: a=b", "characters a header cannot carry"),
        ("", "non-empty string"),
        (86400, "non-empty string"),
    ],
)
def test_e034_bad_cache_control(settings, value, fragment):
    settings.STORAGES = gridfs_storages(uri="mongodb://x", database="d", cache_control=value)
    messages = [m for m in run_checks() if m.id == "django_static_pipe.E034"]
    assert len(messages) == 1 and fragment in messages[0].msg


def test_e034_from_the_settings_block(settings):
    settings.STORAGES = gridfs_storages(uri="mongodb://x", database="d")
    settings.DJANGO_STATIC_GRIDFS = {"CACHE_CONTROL": "public, private"}
    assert ids() == ["django_static_pipe.E034"]


@pytest.mark.parametrize("value", [0, -1, "3600", True, None])
def test_e035_bad_max_upload_seconds(settings, value):
    settings.STORAGES = gridfs_storages(uri="mongodb://x", database="d")
    settings.DJANGO_STATIC_GRIDFS = {"MAX_UPLOAD_SECONDS": value}
    assert ids() == ([] if value is None else ["django_static_pipe.E035"])


def test_good_values_pass(settings):
    settings.STORAGES = gridfs_storages(uri="mongodb://x", database="d", cache_control="private, max-age=60",
                                        max_upload_seconds=600.5)  # fmt: skip
    assert ids() == []
