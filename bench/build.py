"""Scenario 3: the cold offline build of the corpus against the raw floor and collectstatic."""

from __future__ import annotations

import functools
import hashlib
import shutil
import time
import zlib
from pathlib import Path
from typing import Any

import rcssmin
import rjsmin
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from bench import harness
from bench.setup_django import CORPUS, TEMPLATES, WORK
from django_static_pipe import pipeline
from django_static_pipe.minify import minify

#: The minifiers as the pipeline runs them: licence comments kept (DJANGO_STATIC_KEEP_LICENSE_COMMENTS).
MINIFIERS = {
    ".css": functools.partial(rcssmin.cssmin, keep_bang_comments=True),
    ".js": functools.partial(rjsmin.jsmin, keep_bang_comments=True),
}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in MINIFIERS and p.is_file())


def write_build_template(files: list[Path]) -> None:
    lines = ["{% load django_static %}"] + [f'{{% slimfile "/{p.relative_to(CORPUS)}" %}}' for p in files]
    (TEMPLATES / "build.html").write_text("\n".join(lines) + "\n")


def raw_floor(files: list[Path], out: Path) -> None:
    """rcssmin/rjsmin + SHA-256 + write + zlib, one file at a time, in this process: no framework."""
    out.mkdir(parents=True, exist_ok=True)
    for path in files:
        data = MINIFIERS[path.suffix](path.read_text(encoding="utf-8")).encode("utf-8")
        target = out / f"{path.stem}.{hashlib.sha256(data).hexdigest()[:12]}{path.suffix}"
        target.write_bytes(data)
        (out / (target.name + ".gz")).write_bytes(zlib.compress(data, 9))


def _ours(precompress: tuple[str, ...]) -> Any:
    def build() -> None:
        with override_settings(DJANGO_STATIC_PRECOMPRESS=precompress, DJANGO_STATIC_FILE_PROXY=None):
            call_command("static_pipe_build", verbosity=0)

    return build


def _collectstatic(backend: str) -> Any:
    def collect() -> None:
        storages = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": backend},
        }
        with override_settings(
            STORAGES=storages, STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"]
        ):
            call_command("collectstatic", interactive=False, verbosity=0)

    return collect


def _clean_ours() -> None:
    shutil.rmtree(settings.DJANGO_STATIC_SAVE_PREFIX, ignore_errors=True)
    pipeline.reset()


def _clean_static_root() -> None:
    shutil.rmtree(settings.STATIC_ROOT, ignore_errors=True)


def scenario_build(rounds: int) -> dict[str, Any]:
    files = corpus_files()
    write_build_template(files)
    floor_out = WORK / "build-floor"
    contenders = {
        "static_pipe_build, gzip": _ours(("gzip",)),
        "raw floor: rcssmin/rjsmin + hash + write + zlib": lambda: raw_floor(files, floor_out),
        "collectstatic, ManifestStaticFilesStorage": _collectstatic(
            "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        ),
        "static_pipe_build, gzip + brotli": _ours(("gzip", "br")),
        "collectstatic, WhiteNoise CompressedManifestStaticFilesStorage (gzip + brotli)": _collectstatic(
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
        "static_pipe_build again, nothing changed": _ours(("gzip",)),
    }
    setup = {
        "static_pipe_build, gzip": _clean_ours,
        "raw floor: rcssmin/rjsmin + hash + write + zlib": lambda: shutil.rmtree(floor_out, ignore_errors=True),
        "collectstatic, ManifestStaticFilesStorage": _clean_static_root,
        "static_pipe_build, gzip + brotli": _clean_ours,
        "collectstatic, WhiteNoise CompressedManifestStaticFilesStorage (gzip + brotli)": _clean_static_root,
        "static_pipe_build again, nothing changed": lambda: (_clean_ours(), _ours(("gzip",))(), pipeline.reset()),
    }
    series = harness.interleave(contenders, rounds=rounds, inner=1, setup=setup)
    size = sum(p.stat().st_size for p in files)
    return {"unit": "s per build", "per": 1, "series": series, "files": len(files), "bytes": size}


def scenario_minify_throughput(rounds: int) -> dict[str, Any]:
    """MB/s of the minify step as the pipeline runs it (guards included) against bare rcssmin/rjsmin."""
    texts = [(p.suffix, p.read_text(encoding="utf-8"), str(p)) for p in corpus_files()]
    total = sum(len(text.encode()) for _suffix, text, _name in texts)

    def ours() -> None:
        for suffix, text, name in texts:
            minify(suffix, text, name)

    def bare() -> None:
        for suffix, text, _name in texts:
            MINIFIERS[suffix](text)

    series = harness.interleave(
        {"django-static-pipe minify step": ours, "bare rcssmin + rjsmin (C), licence comments kept": bare},
        rounds=rounds,
    )
    return {"unit": "MB/s", "per": 1, "series": series, "bytes": total}


def time_once(function: Any) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started
