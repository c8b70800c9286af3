"""Scenario 7: cost as the site grows. The same measures on a corpus 1×, 4× and 16× the size of
section 3's: cold build, rebuild with nothing changed, peak memory of the build, manifest size, and the
warm cost of one tag with that manifest loaded; for static_pipe_build and for collectstatic with
ManifestStaticFilesStorage.

1× is section 3's corpus; 4× and 16× add real libraries from the npm registry at the versions of
``devservers/npm_corpus_growth/package-lock.json`` (see ``devservers/corpus.py``). Every build runs in
a new process (``bench/growth_run.py``): cold, and with its own peak memory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.template import Context, Template
from django.test import override_settings

from bench import harness
from bench.report import _row, _target
from bench.setup_django import CORPUS, WORK
from devservers import corpus as npm_corpus
from django_static_pipe import pipeline, precompress

SECTION = "7. cost as the site grows: 1×, 4× and 16× the corpus"
SIZES = (1, 4, 16)
REPO = Path(__file__).resolve().parent.parent
#: Names a template string and the pipeline take as they are (no quote, no ';' that splits names).
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._@+/-]+$")
TAGS = 20


def growth_corpus(size: int) -> Path:
    """Section 3's corpus, plus the libraries that join at ``size`` (made once, then reused)."""
    folder = WORK / f"growth-{size}x"
    done = folder / ".complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(CORPUS, folder)
    if size > 1:
        npm_corpus.copy_growth_packages(folder, size)
    done.touch()
    return folder


def named_files(folder: Path) -> list[Path]:
    """The CSS and JS a page would link (no minified copies), as section 3 names them."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix in (".css", ".js")
        and ".min." not in path.name
        and path.is_file()
        and _PLAIN_NAME.match(path.relative_to(folder).as_posix())
    )


def write_template(folder: Path, files: list[Path], templates: Path) -> None:
    shutil.rmtree(templates, ignore_errors=True)
    templates.mkdir(parents=True)
    lines = ["{% load django_static %}"] + [f'{{% slimfile "/{p.relative_to(folder).as_posix()}" %}}' for p in files]
    (templates / "growth.html").write_text("\n".join(lines) + "\n")


def _run(kind: str, folder: Path, output: Path, templates: Path) -> dict[str, Any]:
    """One build in a new process; its own report. The earlier runs' dirty pages are written out
    first, so that their writeback does not land inside this one's time."""
    os.sync()
    result = subprocess.run(
        [sys.executable, "-m", "bench.growth_run", kind, str(folder), str(output), str(templates)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.growth_run {kind} {folder} failed:\n{result.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    report["extra"] = max(report["peak_self"], report["peak_workers"]) - report["before"]
    return report


def _tag_template(folder: Path, files: list[Path], tag: str) -> Template:
    step = max(len(files) // TAGS, 1)
    names = [p.relative_to(folder).as_posix() for p in files[::step][:TAGS]]
    if tag == "static":
        return Template("{% load static %}" + "".join(f'<i x="{{% static "{n}" %}}">' for n in names))
    return Template("{% load django_static %}" + "".join(f'<i x="{{% slimfile "/{n}" %}}">' for n in names))


def _warm_tags(folder: Path, files: list[Path], ours_out: Path, static_out: Path, rounds: int) -> dict[str, float]:
    """µs per tag, the manifest of this size loaded: ours with its manifest, {% static %} with Manifest's."""
    context = Context()
    ours = _tag_template(folder, files, "ours")
    static = _tag_template(folder, files, "static")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "bench.storages.TolerantManifestStaticFilesStorage"},
    }
    with override_settings(
        DJANGO_STATIC_MEDIA_ROOTS=[str(folder)],
        DJANGO_STATIC_SAVE_PREFIX=str(ours_out),
        DJANGO_STATIC_USE_MANIFEST_FILE=True,
        DJANGO_STATIC_FILE_PROXY=None,
        STATIC_ROOT=str(static_out),
        STORAGES=storages,
        DEBUG=False,
    ):
        pipeline.reset()
        contenders = {"ours": lambda: ours.render(context), "static": lambda: static.render(context)}
        harness.warm_up(contenders, times=20)  # the first render reads the manifest: that is not the warm cost
        series = harness.interleave(contenders, rounds=rounds, inner=200)
        precompress.wait_idle()
    pipeline.reset()
    return {name: s.median * 1e6 / TAGS for name, s in series.items()}


def scenario_growth(rounds: int, tag_rounds: int) -> dict[str, Any]:
    measured: dict[int, dict[str, Any]] = {}
    for size in SIZES:
        folder = growth_corpus(size)
        files = named_files(folder)
        templates = WORK / f"growth-templates-{size}x"
        write_template(folder, files, templates)
        ours_out = WORK / f"growth-out-{size}x"
        static_out = WORK / f"growth-static-{size}x"
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], "ours again": [], "collectstatic": [], "again": []}
        for _round in range(rounds):
            shutil.rmtree(ours_out, ignore_errors=True)
            runs["ours"].append(_run("ours", folder, ours_out, templates))
            runs["ours again"].append(_run("ours", folder, ours_out, templates))
            shutil.rmtree(static_out, ignore_errors=True)
            runs["collectstatic"].append(_run("collectstatic", folder, static_out, templates))
            runs["again"].append(_run("collectstatic", folder, static_out, templates))
        sizes = [p.stat().st_size for p in files]
        measured[size] = {
            "files": len(files),
            "bytes": sum(sizes),
            "largest": max(sizes),
            "runs": runs,
            "manifest": (ours_out / "static-pipe-manifest.json").stat().st_size,
            "entries": len(json.loads((ours_out / "static-pipe-manifest.json").read_text())["entries"]),
            "static_manifest": (static_out / "staticfiles.json").stat().st_size,
            "tags": _warm_tags(folder, files, ours_out, static_out, tag_rounds),
        }
    return measured


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _spread(runs: list[dict[str, Any]], key: str) -> float:
    values = [run[key] for run in runs]
    middle = statistics.median(values)
    return round((max(values) - min(values)) / middle, 3) if middle else 0.0


def report_section(quick: bool) -> dict[str, Any]:
    measured = scenario_growth(rounds=1 if quick else 5, tag_rounds=5 if quick else 15)
    rows: list[dict[str, Any]] = []
    for size, data in measured.items():
        mb = data["bytes"] / 1e6
        runs = data["runs"]
        for kind, label in (("ours", "static_pipe_build"), ("collectstatic", "collectstatic, Manifest")):
            again = "ours again" if kind == "ours" else "again"
            cold = _median(runs[kind], "seconds")
            rows += [
                _row(f"{size}×: {label}, cold build", cold, "s", _spread(runs[kind], "seconds"), None),
                _row(f"{size}×: {label}, cold build per MB", cold / mb, "s/MB", _spread(runs[kind], "seconds"), None),
                _row(
                    f"{size}×: {label}, nothing changed",
                    _median(runs[again], "seconds"),
                    "s",
                    _spread(runs[again], "seconds"),
                    None,
                ),
                _row(
                    f"{size}×: {label}, peak memory over the process's start",
                    _median(runs[kind], "extra") / 1e6,
                    "MB",
                    _spread(runs[kind], "extra"),
                    None,
                ),
            ]
        rows += [
            _row(
                f"{size}×: static_pipe_build manifest ({data['entries']} entries)",
                data["manifest"] / 1e6,
                "MB",
                0,
                None,
            ),
            _row(f"{size}×: collectstatic staticfiles.json", data["static_manifest"] / 1e6, "MB", 0, None),
            _row(f"{size}×: warm {{% slimfile %}}, that manifest loaded", data["tags"]["ours"], "µs per tag", 0, None),
            _row(f"{size}×: warm {{% static %}}, Manifest storage", data["tags"]["static"], "µs per tag", 0, None),
        ]
    first, last = measured[SIZES[0]], measured[SIZES[-1]]

    def per_mb(data: dict[str, Any], kind: str) -> float:
        return _median(data["runs"][kind], "seconds") / (data["bytes"] / 1e6)

    build_growth = max(per_mb(measured[size], "ours") for size in SIZES[1:]) / per_mb(first, "ours")
    static_growth = per_mb(last, "collectstatic") / per_mb(first, "collectstatic")
    files_growth = last["files"] / first["files"]
    rebuild_growth = _median(last["runs"]["ours again"], "seconds") / _median(first["runs"]["ours again"], "seconds")
    static_rebuild = _median(last["runs"]["again"], "seconds") / _median(first["runs"]["again"], "seconds")
    memory_bound = 2 * last["largest"] + _median(first["runs"]["ours"], "extra")
    memory = _median(last["runs"]["ours"], "extra")
    tag_growth = last["tags"]["ours"] / first["tags"]["ours"]
    static_tag_growth = last["tags"]["static"] / first["tags"]["static"]
    corpus_text = "; ".join(
        f"{size}×: {data['files']} CSS/JS files, {data['bytes'] / 1e6:.1f} MB, largest {data['largest'] / 1e6:.1f} MB"
        for size, data in measured.items()
    )
    return {
        "corpus": corpus_text + ". Each build in a new process; memory is the peak resident size of the build's "
        "processes (the command's own and its forked workers') over the resident size before the command.",
        "rows": rows,
        "targets": [
            _target(
                "cold build time per MB flat within 1.2× from 1× to 16×",
                build_growth <= 1.2,
                f"{build_growth:.2f}× (collectstatic: {static_growth:.2f}×)",
            ),
            _target(
                "rebuild with nothing changed sub-linear in files unchanged",
                rebuild_growth < files_growth,
                f"{rebuild_growth:.1f}× the time for {files_growth:.1f}× the files "
                f"(collectstatic: {static_rebuild:.1f}×)",
            ),
            _target(
                "build peak memory under 2× the largest file plus a constant (the 1× build's)",
                memory <= memory_bound,
                f"{memory / 1e6:.1f} MB ≤ {memory_bound / 1e6:.1f} MB",
            ),
            _target(
                "warm tag cost flat within 1.2× from 1× to 16×",
                tag_growth <= 1.2,
                f"{tag_growth:.2f}× ({{% static %}} with Manifest: {static_tag_growth:.2f}×)",
            ),
        ],
    }
