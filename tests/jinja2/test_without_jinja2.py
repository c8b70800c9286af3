"""Jinja2 is optional: without it the package, the Django tags and the offline build work as before."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    sys.modules["jinja2"] = None  # as if it were not installed: importing it raises ImportError
    sys.modules["markupsafe"] = None
    import django
    django.setup()
    import django_static_pipe
    from django.core.exceptions import ImproperlyConfigured
    for module in pkgutil.walk_packages(django_static_pipe.__path__, "django_static_pipe."):
        if module.name.startswith("django_static_pipe.backends."):
            continue  # their own optional dependencies
        try:
            importlib.import_module(module.name)
        except (ImproperlyConfigured, ImportError) as exc:
            print(module.name, "->", type(exc).__name__, exc)
    from django_static_pipe.discovery import find_uses
    print("templates", find_uses().templates)
    print("loaded", "jinja2" in sys.modules and sys.modules["jinja2"] is not None)
    """
)


def test_the_package_imports_and_discovers_without_jinja2():
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'src'}")
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        # Only the two Jinja2 modules need it; the public one says how to install it.
        "django_static_pipe.discovery_jinja2 -> ModuleNotFoundError import of jinja2 halted; None in sys.modules",
        "django_static_pipe.jinja2ext -> ImproperlyConfigured django_static_pipe.jinja2ext needs Jinja2: "
        "pip install 'django-static-pipe[jinja2]'.",
        "templates 0",
        "loaded False",
    ]
