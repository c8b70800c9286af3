"""The offline build's uses share what they built: a module many others import is made once."""

from __future__ import annotations

import json
import os

from django.core.management import call_command

from django_static_pipe import produce

PAGE = """{% load django_static %}
{% slimfile "/js/mods/a.js" %}
{% slimfile "/js/mods/b.js" %}
{% slimfile "/js/mods/c.js" %}
{% slimfile "/js/mods/shared.js" %}
"""


def test_a_module_imported_by_several_uses_is_made_once(site, settings, tmp_path, monkeypatch):
    folder = site.root / "js" / "mods"
    folder.mkdir(parents=True)
    (folder / "shared.js").write_text("export const shared = 40 + 2;\n")
    for name in ("a", "b", "c"):
        (folder / f"{name}.js").write_text(f'import {{ shared }} from "./shared.js";\nexport const {name} = shared;\n')
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text(PAGE)
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(templates)]}]
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # every use in this process, where produce counts
    before = produce.outputs_produced
    call_command("static_pipe_build", verbosity=0)
    assert produce.outputs_produced - before == 4  # a, b, c and shared once (it was 3 more: once per importer)
    shared = next(site.out.rglob("shared.min.*.js")).name
    entries = json.loads((site.out / "static-pipe-manifest.json").read_text())["entries"]
    assert len([key for key in entries if "shared.js" in key]) == 1
    for name in ("a", "b", "c"):
        assert f"/js/mods/{shared}" in next(site.out.rglob(f"{name}.min.*.js")).read_text()
