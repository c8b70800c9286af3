"""The Django app: registers the system checks and forgets cached builds when settings change."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed


def _on_setting_changed(*, setting: str, **_kwargs: Any) -> None:
    from .conf import forget_settings

    forget_settings()
    if setting.startswith("DJANGO_STATIC") or setting in (
        "DEBUG",
        "STATICFILES_DIRS",
        "STATICFILES_FINDERS",
        "STATIC_URL",
        "STATIC_ROOT",
        "STORAGES",
    ):
        from . import html, pipeline

        pipeline.reset()
        html.forget_plans()


class StaticPipeConfig(AppConfig):
    name = "django_static_pipe"
    verbose_name = "Static pipe"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import backend_checks, checks  # noqa: F401  (registers the checks)

        setting_changed.connect(_on_setting_changed, dispatch_uid="django_static_pipe.reset")
