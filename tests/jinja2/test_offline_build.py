"""The offline build of a project that renders only with Jinja2, run as a deploy runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_assets

PROJECT = Path(__file__).resolve().parent / "project"
REPO = PROJECT.parents[2]

RENDER = """
import warnings
warnings.simplefilter("error")
from django.template.loader import render_to_string
print(render_to_string("page.jinja", {"title": "Tom & Jerry"}))
"""


@pytest.fixture
def project(tmp_path) -> Path:
    site = tmp_path / "project"
    shutil.copytree(PROJECT, site, ignore=shutil.ignore_patterns("__pycache__"))
    copy_assets(site / "assets")
    return site


def manage(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHONPATH"))}
    env.update(PROJECT_OUT=str(project.parent / "out"), PYTHONPATH=str(REPO / "src"))
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def test_check_then_build_then_render_from_the_manifest_alone(project):
    checked = manage(project, "static_pipe_build", "--check")
    assert checked.stdout.splitlines() == ["All 8 assets named in 2 templates exist."]

    built = manage(project, "static_pipe_build")
    assert re.search(r"^Built \d+ files for 8 uses in 2 templates in ", built.stdout, re.MULTILINE), built.stdout
    manifest = json.loads((project.parent / "out" / "static-pipe-manifest.json").read_text())
    keys = set(manifest["entries"])
    assert {
        "static:/img/logo.svg",
        "slim:/css/layout.css;/css/imports.css",
        "slim:/css/print.css",
        "slim:/js/a.js;/js/b.js",
        "slim:/js/defer.js",
        "static:/img/photo.png",
        "slim:/js/vendor.min.js;/js/b.js",
        "slim:/css/unicode.css",
        "static:/img/bg.png",  # referenced from unicode.css: built and recorded too
    } <= keys

    # With the sources gone, every render is answered by the manifest: the build left nothing out.
    first = manage(project, "shell", "-c", RENDER).stdout
    os.rename(project / "assets", project / "assets-gone")
    second = manage(project, "shell", "-c", RENDER)
    assert second.stdout == first and second.stderr == ""
    assert re.search(r'<link rel="stylesheet" href="/cache-forever/css/layout_imports\.min\.[0-9a-f]{12}\.css" '
                     r'integrity="sha384-[^"]+" crossorigin="anonymous">', first), first  # fmt: skip
    assert re.search(r'<img src="/cache-forever/img/photo\.[0-9a-f]{12}\.png" alt="">', first), first
    assert re.search(r'<script src="/cache-forever/js/vendor_b\.min\.[0-9a-f]{12}\.js"></script>', first), first
    assert "<style>h1{color:red}</style>" in first and "<p>Tom &amp; Jerry</p>" in first


def test_check_lists_missing_files_and_skipped_uses_with_their_places(project):
    (project / "jinja2" / "broken.jinja").write_text(
        "<p>\n{{ staticfile('/img/nowhere.png') }}\n"
        '{% slimall %}<script src="/js/a.js"></script><script src="/js/gone.js"></script>{% endslimall %}\n'
        "{% slimfile some_variable %}\n"
    )
    result = manage(project, "static_pipe_build", "--check", check=False)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "skipped jinja2/broken.jinja:4: {% slimfile … %}: the argument is not a literal string"
    ]
    assert result.stderr.splitlines()[-3:] == [
        "CommandError: 2 problem(s):",
        "  jinja2/broken.jinja:2: /img/nowhere.png does not exist in any asset root",
        "  jinja2/broken.jinja:3: /js/gone.js does not exist in any asset root",
    ]
    assert not (project.parent / "out").exists()
