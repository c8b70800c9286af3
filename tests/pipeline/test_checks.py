"""System checks: one case per id, and `manage.py check` reporting them."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def ids() -> list[str]:
    return sorted(message.id for message in run_checks() if message.id and message.id.startswith("django_static_pipe"))


def test_defaults_pass(settings):
    assert ids() == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_STATIC", "yes"),
        ("DJANGO_STATIC_SAVE_PREFIX", 3),
        ("DJANGO_STATIC_NAME_MAX_LENGTH", "40"),
        ("DJANGO_STATIC_MEDIA_ROOTS", "/srv/assets"),
        ("DJANGO_STATIC_PRECOMPRESS", "gzip"),
        ("DJANGO_STATIC_MINIFIERS", [".css"]),
        ("DJANGO_STATIC_SRI", 1),
        ("DJANGO_STATIC_HARD_LINKS", "no"),
    ],
)
def test_e001_bad_type(settings, name, value):
    setattr(settings, name, value)
    messages = [m for m in run_checks() if m.id == "django_static_pipe.E001"]
    assert len(messages) == 1
    assert name in messages[0].msg and repr(value) in messages[0].msg
    assert messages[0].hint


def test_e002_missing_root(settings, tmp_path):
    settings.DJANGO_STATIC_MEDIA_ROOTS = [str(tmp_path), str(tmp_path / "nope")]
    assert ids() == ["django_static_pipe.E002"]


def test_e003_unimportable_proxy(settings):
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.nothing_here"
    assert ids() == ["django_static_pipe.E003"]


def test_e003_proxy_that_is_not_callable(settings):
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.not_callable"
    assert ids() == ["django_static_pipe.E003"]


def test_e004_save_folder_under_a_file(settings, tmp_path):
    (tmp_path / "file").write_text("x")
    settings.DJANGO_STATIC_SAVE_PREFIX = str(tmp_path / "file" / "out")
    assert ids() == ["django_static_pipe.E004"]


def test_e005_unimportable_generator(settings):
    settings.DJANGO_STATIC_FILENAME_GENERATOR = "nowhere.generator"
    settings.DJANGO_STATIC_COMBINE_FILENAMES_GENERATOR = "tests.pipeline.generators.bundle_name"
    assert ids() == ["django_static_pipe.E005"]


@pytest.mark.parametrize("minifiers", [{"css": "rcssmin.cssmin"}, {".css": "rcssmin.nothing"}, {".js": 5}])
def test_e006_bad_minifiers(settings, minifiers):
    settings.DJANGO_STATIC_MINIFIERS = minifiers
    assert ids() == ["django_static_pipe.E006"]


def test_e007_unknown_stamp(settings):
    settings.DJANGO_STATIC_STAMP = "md5"
    assert ids() == ["django_static_pipe.E007"]


def test_e008_unknown_precompress(settings):
    settings.DJANGO_STATIC_PRECOMPRESS = ("gzip", "zstd")
    assert ids() == ["django_static_pipe.E008"]


def test_e009_brotli_needs_its_package(settings, tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "brotli" else real_find_spec(name, *a)
    )
    settings.DJANGO_STATIC_PRECOMPRESS = ("gzip", "br")
    assert ids() == ["django_static_pipe.E009"]


def test_e010_name_prefix_must_be_a_path(settings):
    settings.DJANGO_STATIC_NAME_PREFIX = "cache-forever"
    assert ids() == ["django_static_pipe.E010"]


def test_e011_name_max_length_too_short(settings):
    settings.DJANGO_STATIC_NAME_MAX_LENGTH = 5
    assert ids() == ["django_static_pipe.E011"]


def test_w001_on_without_save_prefix(settings):
    settings.DJANGO_STATIC = True
    settings.DJANGO_STATIC_SAVE_PREFIX = ""
    assert ids() == ["django_static_pipe.W001"]


def test_w002_manifest_without_a_place(settings):
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    settings.STATICFILES_FINDERS = []
    assert ids() == ["django_static_pipe.W002"]


def test_manage_py_check_reports_errors(settings):
    settings.DJANGO_STATIC_STAMP = "md5"
    with pytest.raises(SystemCheckError, match=r"(?s)django_static_pipe\.E007.*HINT: Use 'mtime'"):
        call_command("check")


def test_manage_py_check_passes_with_a_good_configuration(settings, tmp_path, capsys):
    settings.DJANGO_STATIC = True
    settings.DJANGO_STATIC_SAVE_PREFIX = str(tmp_path / "out")
    call_command("check")
    assert "no issues" in capsys.readouterr().out
