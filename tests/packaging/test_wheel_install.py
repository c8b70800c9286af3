"""The package stands on its own: built into a wheel and an sdist, installed with the newest pip into a
brand-new virtualenv far from this repository, it imports, passes ``manage.py check`` and renders."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "django_static_pipe"
REPO_ONLY = ("devservers", "bench", "tests", "example_site")

PROJECT_SETTINGS = """
SECRET_KEY = "wheel-check"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "django_static_pipe"]
DATABASES = {}
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE / "assets"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True}]
DJANGO_STATIC = True
DJANGO_STATIC_SAVE_PREFIX = str(BASE / "cache-forever")
DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
DJANGO_STATIC_STAMP = "content"
DJANGO_STATIC_PRECOMPRESS = ("gzip", "br")
DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
DJANGO_STATIC_CLOUDFRONT = {"BUCKET": "assets", "DOMAIN": "d1.cloudfront.net", "SLOWMAP": "memory"}
STORAGES = {
    "default": {
        "BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
        "OPTIONS": {"uri": "mongodb://127.0.0.1:9/media"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
"""

RENDER = """
import django, importlib, pkgutil, sys
django.setup()
import django_static_pipe
assert "/site-packages/" in django_static_pipe.__file__, django_static_pipe.__file__
for module in pkgutil.walk_packages(django_static_pipe.__path__, "django_static_pipe."):
    importlib.import_module(module.name)
from django.template import Template, Context
html = Template('{% load django_static %}{% slimfile "/css/site.css" %}').render(Context())
assert html.startswith("/cache-forever/css/site.min.") and html.endswith(".css"), html
print("rendered", html)
"""


def test_the_package_imports_nothing_from_the_repository():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO)}: {name}" for name in names if name.split(".")[0] in REPO_ONLY]
    assert offenders == []


def run(*args: str | Path, cwd: Path) -> str:
    # As a user's shell has it: nothing of this test run (settings module, paths) leaks in.
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PIP_CONSTRAINT")}
    result = subprocess.run([str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """A wheel and an sdist, built from the working tree with the pinned setuptools."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", out, REPO, cwd=REPO)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def test_the_wheel_ships_its_templates_and_type_marker_and_no_repository_code(built):
    names = zipfile.ZipFile(built["wheel"]).namelist()
    assert "django_static_pipe/py.typed" in names
    assert {"django_static_pipe/nginx/server.conf", "django_static_pipe/nginx/locations.conf"} <= set(names)
    assert not [name for name in names if name.split("/")[0] in REPO_ONLY]


@pytest.mark.slow
@pytest.mark.parametrize("artifact", ["wheel", "sdist"])
def test_installs_with_the_newest_pip_into_a_new_virtualenv_and_passes_check(built, artifact, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # Deliberately the newest pip, as a user on a new machine has it: this is the canary the pins avoid.
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", cwd=tmp_path)
    requirement = f"django-static-pipe[s3,gridfs,brotli,jinja2] @ {built[artifact].as_uri()}"
    run(python, "-m", "pip", "install", "--quiet", requirement, cwd=tmp_path)
    project = tmp_path / "project"
    (project / "assets" / "css").mkdir(parents=True)
    (project / "assets" / "css" / "site.css").write_text("body {  color : red ;  }\n")
    (project / "settings.py").write_text("from pathlib import Path\nBASE = Path(__file__).parent\n" + PROJECT_SETTINGS)
    (project / "manage.py").write_text(
        textwrap.dedent(
            """
            import os, sys
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
            from django.core.management import execute_from_command_line
            execute_from_command_line(sys.argv)
            """
        )
    )
    checked = run(python, "manage.py", "check", cwd=project)
    assert "System check identified no issues" in checked
    nginx = run(python, "manage.py", "static_pipe_nginx", "--full", cwd=project)
    assert "location ^~ /cache-forever/" in nginx
    (project / "render.py").write_text("import os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'settings'\n" + RENDER)
    rendered = run(python, "render.py", cwd=project)
    assert "rendered /cache-forever/css/site.min." in rendered
    assert (project / "cache-forever" / "css").is_dir()
