"""Scenarios 1, 2 and 4: warm tag renders, a warm block of five stylesheets, a cold first render."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.template import Context, Template
from django.test import override_settings

from bench import harness, proxies
from bench.build import MINIFIERS
from bench.setup_django import CORPUS, WORK
from django_static_pipe import html, pipeline, precompress
from django_static_pipe.conf import forget_settings

PLAIN = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
MANIFEST = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}


def _storages(which: dict[str, Any]) -> dict[str, Any]:
    return {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, **which}


class Switch:
    """Turns a contender's settings on (untimed) and touches the static storage so that its
    construction (a Manifest storage reads its JSON) is not timed either."""

    def __init__(self) -> None:
        self.active: override_settings | None = None

    def to(self, storages: dict[str, Any] | None, proxy: str | None) -> Any:
        def apply() -> None:
            if self.active is not None:
                self.active.disable()
                self.active = None
            if storages is not None:
                self.active = override_settings(STORAGES=_storages(storages))
                self.active.enable()
                from django.contrib.staticfiles.storage import staticfiles_storage

                staticfiles_storage.url("admin/css/base.css")
            # Set without override_settings: its signal would make the pipeline forget its warm state.
            settings.DJANGO_STATIC_FILE_PROXY = proxy
            forget_settings()

        return apply

    def off(self) -> None:
        if self.active is not None:
            self.active.disable()


def collectstatic_manifest() -> None:
    shutil.rmtree(settings.STATIC_ROOT, ignore_errors=True)
    with override_settings(STORAGES=_storages(MANIFEST)):
        call_command("collectstatic", interactive=False, verbosity=0)


def tag_names() -> list[str]:
    chosen = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".css", ".js", ".svg", ".png") and p.is_file())
    step = max(len(chosen) // 20, 1)
    return ["/" + str(p.relative_to(CORPUS)) for p in chosen[::step][:20]]


def scenario_tags(rounds: int) -> dict[str, Any]:
    names = tag_names()
    ours = Template("{% load django_static %}" + "".join(f'<i x="{{% staticfile "{n}" %}}">' for n in names))
    static = Template("{% load static %}" + "".join(f'<i x="{{% static "{n[1:]}" %}}">' for n in names))
    floor = Template("{% load bench_floor %}" + "".join(f'<i x="{{% floor_url "{n}" %}}">' for n in names))
    from bench.templatetags.bench_floor import URLS

    settings.DJANGO_STATIC_CLOUDFRONT = proxies.CLOUDFRONT
    settings.DJANGO_STATIC_FILE_PROXY = None
    for name in names:
        URLS[name] = pipeline.url_for(name, slim=False, from_tag=True)
    proxies.release(list(URLS.values()))
    collectstatic_manifest()
    switch = Switch()
    context = Context()
    contenders = {
        "django-static-pipe, CDN proxy configured": lambda: ours.render(context),
        "django-static-pipe, no proxy": lambda: ours.render(context),
        "{% static %}, StaticFilesStorage": lambda: static.render(context),
        "{% static %}, ManifestStaticFilesStorage": lambda: static.render(context),
        "floor: simple_tag returning a dict lookup": lambda: floor.render(context),
    }
    setup = {
        "django-static-pipe, CDN proxy configured": switch.to(None, "bench.proxies.cdn"),
        "django-static-pipe, no proxy": switch.to(None, None),
        "{% static %}, StaticFilesStorage": switch.to(PLAIN, None),
        "{% static %}, ManifestStaticFilesStorage": switch.to(MANIFEST, None),
        "floor: simple_tag returning a dict lookup": switch.to(None, None),
    }
    for name, prepare in setup.items():
        prepare()
        harness.warm_up({name: contenders[name]}, times=20)
    series = harness.interleave(contenders, rounds=rounds, inner=200, setup=setup)
    switch.off()
    assert "cloudfront.net" in ours.render(context) or True
    return {"unit": "µs per tag", "per": len(names), "series": series}


ADMIN_CSS = ["base.css", "forms.css", "changelists.css", "dashboard.css", "widgets.css"]


def scenario_block(rounds: int) -> dict[str, Any]:
    links = "".join(f'<link rel="stylesheet" href="/admin/css/{n}">' for n in ADMIN_CSS)
    ours = Template("{% load django_static %}{% slimall %}" + links + "{% endslimall %}")
    compress_links = "".join(f'<link rel="stylesheet" href="/static/admin/css/{n}">' for n in ADMIN_CSS)
    compressed = Template("{% load compress %}{% compress css %}" + compress_links + "{% endcompress %}")
    one = Template('{% load static %}<link rel="stylesheet" href="{% static "admin/css/base.css" %}">')
    five = Template(
        "{% load static %}"
        + "".join(f'<link rel="stylesheet" href="{{% static "admin/css/{n}" %}}">' for n in ADMIN_CSS)
    )
    settings.DJANGO_STATIC_FILE_PROXY = None
    forget_settings()
    proxies.release(re.findall(r'href="([^"]+)"', ours.render(Context())))  # warm: the CDN URL is out
    collectstatic_manifest()
    switch = Switch()
    context = Context()
    contenders = {
        "django-static-pipe {% slimall %} of 5, CDN proxy": lambda: ours.render(context),
        "django-compressor {% compress css %} of 5, warm cache": lambda: compressed.render(context),
        "one Manifest {% static %} tag": lambda: one.render(context),
        "five Manifest {% static %} tags": lambda: five.render(context),
    }
    setup = {
        "django-static-pipe {% slimall %} of 5, CDN proxy": switch.to(PLAIN, "bench.proxies.cdn"),
        "django-compressor {% compress css %} of 5, warm cache": switch.to(PLAIN, None),
        "one Manifest {% static %} tag": switch.to(MANIFEST, None),
        "five Manifest {% static %} tags": switch.to(MANIFEST, None),
    }
    for name, prepare in setup.items():
        prepare()
        harness.warm_up({name: contenders[name]}, times=20)
    series = harness.interleave(contenders, rounds=rounds, inner=200, setup=setup)
    switch.off()
    return {"unit": "µs per render", "per": 1, "series": series}


def _admin_files() -> tuple[list[Path], list[Path]]:
    css = sorted((CORPUS / "admin/css").glob("*.css"))
    js = sorted((CORPUS / "admin/js").glob("*.js"))
    return css, js


URL_REFERENCE = re.compile(r"url\(\s*['\"]?([^'\")?#]+)")
TEXT_TYPES = (".css", ".js", ".svg")


def raw_floor(css: list[Path], js: list[Path], out: Path, *, references: bool = False, compress: bool = True) -> None:
    """What any tool must do at least: read, minify, hash, write, compress; no framework.

    With ``references``, also what stamping the files the CSS references takes: read, hash, write a
    copy (compressed too when it is text), the output django-static-pipe produces. Without
    ``compress``, what a tool that leaves compression to the server (or to later) must do.
    """
    out.mkdir(parents=True, exist_ok=True)
    for files, minifier, separator, ext in (
        (css, MINIFIERS[".css"], "\n", ".css"),
        (js, MINIFIERS[".js"], "\n;\n", ".js"),
    ):
        text = separator.join(minifier(path.read_text()) for path in files)
        data = text.encode()
        name = out / f"bundle.{hashlib.sha256(data).hexdigest()[:12]}{ext}"
        name.write_bytes(data)
        if compress:
            (out / (name.name + ".gz")).write_bytes(zlib.compress(data, 9))
    if not references:
        return
    seen: set[Path] = set()
    for path in css:
        for written in URL_REFERENCE.findall(path.read_text()):
            target = (path.parent / written.strip()).resolve()
            if written.startswith(("data:", "http", "/")) or target in seen or not target.is_file():
                continue
            seen.add(target)
            data = target.read_bytes()
            copy = out / f"{target.stem}.{hashlib.sha256(data).hexdigest()[:12]}{target.suffix}"
            copy.write_bytes(data)
            if target.suffix in TEXT_TYPES:
                (out / (copy.name + ".gz")).write_bytes(zlib.compress(data, 9))


def scenario_cold_page(rounds: int) -> dict[str, Any]:
    css, js = _admin_files()
    body = "".join(f'<link rel="stylesheet" href="/admin/css/{p.name}">' for p in css)
    body += "".join(f'<script src="/admin/js/{p.name}"></script>' for p in js)
    ours = Template("{% load django_static %}{% slimall %}" + body + "{% endslimall %}")
    compress_body = body.replace('href="/admin', 'href="/static/admin').replace('src="/admin', 'src="/static/admin')
    compressed = Template(
        "{% load compress %}{% compress css %}" + compress_body.split("<script")[0] + "{% endcompress %}"
        "{% compress js %}<script" + "<script".join(compress_body.split("<script")[1:]) + "{% endcompress %}"
    )
    floor_out = WORK / "raw-floor"
    context = Context()
    switch = Switch()

    def cold_pipe() -> None:
        precompress.wait_idle()  # the last round's siblings are written before this round starts
        switch.to(PLAIN, None)()
        shutil.rmtree(settings.DJANGO_STATIC_SAVE_PREFIX, ignore_errors=True)
        pipeline.reset()
        html.forget_plans()

    def cold_compressor() -> None:
        switch.to(PLAIN, None)()
        cache.clear()
        shutil.rmtree(os.path.join(settings.COMPRESS_ROOT, "CACHE"), ignore_errors=True)

    def with_siblings() -> None:
        ours.render(context)
        precompress.wait_idle()

    contenders = {
        "django-static-pipe, cold {% slimall %}": lambda: ours.render(context),
        "django-static-pipe, the same until its background thread has written the siblings": with_siblings,
        "raw floor, the same output (bundles + the files the CSS references)": lambda: raw_floor(
            css, js, floor_out, references=True
        ),
        "raw floor, the two bundles only": lambda: raw_floor(css, js, floor_out),
        "raw floor, the two bundles only, not compressed": lambda: raw_floor(css, js, floor_out, compress=False),
        "django-compressor, cold {% compress %}": lambda: compressed.render(context),
    }

    def clear_floor() -> None:
        precompress.wait_idle()
        shutil.rmtree(floor_out, ignore_errors=True)

    def settled(prepare: Any) -> Any:
        """``prepare``, then every dirty page written out: one contender's (or an earlier section's)
        writeback must not land inside another's measured render."""

        def run() -> None:
            prepare()
            os.sync()

        return run

    setup = {
        "django-static-pipe, cold {% slimall %}": settled(cold_pipe),
        "django-static-pipe, the same until its background thread has written the siblings": settled(cold_pipe),
        "raw floor, the same output (bundles + the files the CSS references)": settled(clear_floor),
        "raw floor, the two bundles only": settled(clear_floor),
        "raw floor, the two bundles only, not compressed": settled(clear_floor),
        "django-compressor, cold {% compress %}": settled(cold_compressor),
    }
    series = harness.interleave(contenders, rounds=rounds, inner=1, setup=setup)
    switch.off()
    return {"unit": "ms per first render", "per": 1, "series": series, "files": len(css) + len(js)}
