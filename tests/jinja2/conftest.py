"""Two template languages over one pipeline: Django's engine beside a Jinja2 engine, either backend."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from django_jinja.builtins import DEFAULT_EXTENSIONS

from django_static_pipe import html, pipeline, precompress
from tests.conftest import Site

EXTENSION = "django_static_pipe.jinja2ext.StaticPipeExtension"

#: Django's own Jinja2 backend (set up as its documentation shows) and django-jinja's.
BACKENDS = ["django.template.backends.jinja2.Jinja2", "django_jinja.backend.Jinja2"]


def jinja2_engine(
    backend: str, dirs: list[Any] | None = None, app_dirs: bool = False, **options: Any
) -> dict[str, Any]:
    if backend == "django_jinja.backend.Jinja2":
        defaults: dict[str, Any] = {"extensions": [*DEFAULT_EXTENSIONS, EXTENSION], "match_extension": None}
    else:
        defaults = {"environment": "tests.jinja2.environment.environment", "extensions": [EXTENSION]}
    return {
        "BACKEND": backend,
        "NAME": "jinja2",
        "DIRS": dirs or [],
        "APP_DIRS": app_dirs,
        "OPTIONS": {**defaults, **options},
    }


DJANGO_ENGINE = {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False}


def backend_id(backend: str) -> str:
    return backend.split(".")[0]


@pytest.fixture(params=BACKENDS, ids=backend_id)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Files = dict[str, bytes | str]


@dataclass
class Twin:
    """The same page rendered by Django's engine and by a Jinja2 engine, each from a cold start."""

    site: Site

    def django(self, source: str, **context: Any) -> str:
        return str(engines["django"].from_string("{% load django_static %}" + source).render(context))

    def jinja2(self, source: str, **context: Any) -> str:
        return str(engines["jinja2"].from_string(source).render(context))

    def files(self) -> Files:
        """Every produced file: its bytes, or where it links to (compressed siblings written first)."""
        assert precompress.wait_idle()
        produced: Files = {}
        if self.site.out.exists():
            for path in sorted(self.site.out.rglob("*")):
                name = str(path.relative_to(self.site.out))
                if path.is_symlink():
                    produced[name] = "-> " + os.readlink(path)
                elif path.is_file():
                    produced[name] = path.read_bytes()
        return produced

    def cold(self, language: str, source: str, **context: Any) -> tuple[str, Files]:
        assert precompress.wait_idle()
        pipeline.reset()
        html.forget_plans()
        shutil.rmtree(self.site.out, ignore_errors=True)
        output = getattr(self, language)(source, **context)
        return output, self.files()


@pytest.fixture
def twin(site: Site, settings: Any, backend: str) -> Twin:
    settings.TEMPLATES = [DJANGO_ENGINE, jinja2_engine(backend)]
    return Twin(site)


@pytest.fixture
def jinja2_render(site: Site, settings: Any, backend: str) -> Any:
    """Render a Jinja2 source through the configured backend (autoescape on, as both backends set it)."""
    settings.TEMPLATES = [jinja2_engine(backend)]

    def render(source: str, **context: Any) -> str:
        return str(engines["jinja2"].from_string(source).render(context))

    return render


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
