"""One Django configuration for every benchmark; each scenario switches what it needs with
``override_settings``. The corpus is copied into ``bench/work/`` (not committed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import django
from django.conf import settings

WORK = Path(__file__).resolve().parent / "work"
CORPUS = WORK / "corpus"
TEMPLATES = WORK / "templates"


def prepare_corpus() -> Path:
    """CSS and JS from Django admin, jQuery, Bootstrap and Font Awesome (the unminified copies),
    plus the images and fonts their CSS references."""
    from devservers import corpus

    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    full = corpus.copy_corpus(WORK / "full", source_maps=True)  # Manifest storage insists on them
    for path in full.rglob("*"):
        generated_icon_scripts = "fontawesome/js" in path.as_posix()  # 6 MB of generated icon data
        if path.is_file() and ".min." not in path.name and not generated_icon_scripts:
            target = CORPUS / path.relative_to(full)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    shutil.rmtree(full)
    return CORPUS


def configure() -> None:
    if settings.configured:
        return
    WORK.mkdir(exist_ok=True)
    TEMPLATES.mkdir(exist_ok=True)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.staticfiles", "django_static_pipe", "compressor", "bench"],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(TEMPLATES)],
                "APP_DIRS": True,
                "OPTIONS": {"debug": False},
            }
        ],
        DATABASES={},
        STATIC_URL="/static/",
        STATIC_ROOT=str(WORK / "static-root"),
        STATICFILES_DIRS=[str(CORPUS)],
        STATICFILES_FINDERS=[
            "django.contrib.staticfiles.finders.FileSystemFinder",
            "compressor.finders.CompressorFinder",
        ],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        COMPRESS_ENABLED=True,
        COMPRESS_OFFLINE=False,
        COMPRESS_ROOT=str(WORK / "static-root"),
        COMPRESS_URL="/static/",
        DJANGO_STATIC=True,
        DJANGO_STATIC_MEDIA_ROOTS=[str(CORPUS)],
        DJANGO_STATIC_SAVE_PREFIX=str(WORK / "cache-forever"),
        DJANGO_STATIC_NAME_PREFIX="/cache-forever",
        DJANGO_STATIC_USE_MANIFEST_FILE=True,
        ROOT_URLCONF="bench.urls",
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()
