"""Scenario 6: CDN deploy throughput. ``static_pipe_build --upload`` to moto in server mode over HTTP,
against a floor of bare boto3 ``put_object`` calls from as many threads, and the same command again
with nothing changed. PUTs are counted in moto's request log, not inferred from the time.

The corpus is a folder of asset files: ``./scripts/bench`` uploads section 7's 16× corpus (issue 15's
size); ``python -m bench --only cdn --cdn-corpus PATH`` measures another one. Every file whose name a
template string can hold is named by a ``{% staticfile %}`` in a template of its own; the build is run
once beforehand, so each timed command finds it up to date and the time is the deploy step: the
no-change rebuild, then the upload.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from django.core.management import call_command
from django.test import override_settings

from bench import harness
from bench.report import _row, _target
from bench.setup_django import WORK
from devservers.moto import MotoServer, isolate_aws_environment
from django_static_pipe import pipeline
from django_static_pipe.backends.cloudfront import UPLOAD_WORKERS, CloudFrontProxy, UploadReport
from django_static_pipe.backends.cloudfront_config import parse
from django_static_pipe.backends.cloudfront_record import record_path

DOMAIN = "d1bench.cloudfront.net"
PREFIX = "assets"
#: Names a template string and the pipeline take as they are (no quote, no ';' that splits names).
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._@+/-]+$")

#: The proxy ``DJANGO_STATIC_FILE_PROXY`` names while measuring: a new one per run, as in a new process.
proxy: Any = None


class Recorder:
    """A proxy that only notes what ``static_pipe_build --upload`` hands it: the floor sends the same."""

    def __init__(self) -> None:
        self.files: list[tuple[str, str]] = []

    def __call__(self, uri: str, **_kwargs: Any) -> str:
        return uri

    def upload_all(self, files: list[tuple[str, str]], *, workers: int = UPLOAD_WORKERS) -> UploadReport:
        self.files = list(files)
        return UploadReport(present=[uri for uri, _path in files])


def default_corpus() -> Path:
    """The npm packages and Django admin, copied fresh (as the other scenarios do)."""
    from devservers.corpus import copy_corpus

    target = WORK / "cdn-corpus"
    shutil.rmtree(target, ignore_errors=True)
    return copy_corpus(target)


def write_template(corpus: Path, folder: Path) -> int:
    names = sorted(
        "/" + path.relative_to(corpus).as_posix()
        for path in corpus.rglob("*")
        if path.is_file() and _PLAIN_NAME.match(path.relative_to(corpus).as_posix())
    )
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["{% load django_static %}"] + [f'{{% staticfile "{name}" %}}' for name in names]
    (folder / "cdn.html").write_text("\n".join(lines) + "\n")
    return len(names)


def _empty(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def _floor(endpoint: str, bucket: str, files: list[tuple[str, str]], workers: int) -> Callable[[], None]:
    """Read each file and put it, from ``workers`` threads on one client with as many connections."""
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", config=Config(max_pool_connections=workers)
    )

    def upload() -> None:
        def put(job: tuple[str, str]) -> None:
            with open(job[1], "rb") as handle:
                s3.put_object(Bucket=bucket, Key=job[0], Body=handle.read())

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(put, files))

    return upload


def _list_floor(endpoint: str, bucket: str) -> Callable[[], None]:
    """The least a deploy with nothing changed must ask: one ListObjectsV2 pass over the bucket."""
    s3 = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")

    def listing() -> None:
        for _page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{PREFIX}/"):
            pass

    return listing


def _command(workers: int, *extra: str) -> Callable[[], None]:
    def deploy() -> None:
        call_command("static_pipe_build", "--upload", "--upload-workers", str(workers), *extra, verbosity=0)

    return deploy


def _new_process() -> None:
    """What a new ``manage.py`` process starts with: no proxy state (no key known verified), no memo.

    Like the process start (interpreter, Django, imports), making the boto3 client (0.1 to 0.3 s of
    loading its JSON models) is left out of every contender, the floor's included: each keeps its client.
    """
    global proxy
    proxy = CloudFrontProxy()
    pipeline.reset()


def scenario_cdn_upload(rounds: int, corpus: Path | None = None, workers: int = UPLOAD_WORKERS) -> dict[str, Any]:
    isolate_aws_environment()
    folder = corpus or default_corpus()
    server = MotoServer().start()
    try:
        return _measure(server, folder, rounds, workers)
    finally:
        server.stop()


def _measure(server: MotoServer, folder: Path, rounds: int, workers: int) -> dict[str, Any]:
    global proxy
    s3 = boto3.client("s3", endpoint_url=server.endpoint_url, region_name="us-east-1")
    buckets = {name: f"bench-{name}-{uuid.uuid4().hex[:8]}" for name in ("first", "again", "floor")}
    for bucket in buckets.values():
        s3.create_bucket(Bucket=bucket)
    templates = WORK / "cdn-templates"
    named = write_template(folder, templates)
    out = WORK / "cdn-cache-forever"
    shutil.rmtree(out, ignore_errors=True)
    template_settings = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(templates)],
            "APP_DIRS": False,
            "OPTIONS": {"debug": False},
        }
    ]

    def block(bucket: str) -> dict[str, Any]:
        return {
            "BUCKET": bucket,
            "DOMAIN": DOMAIN,
            "REGION": "us-east-1",
            "ENDPOINT_URL": server.endpoint_url,
            "KEY_PREFIX": PREFIX,
            "SLOWMAP": "memory",  # a deploy process exits after the upload: nothing for it to release
        }

    common = {
        "TEMPLATES": template_settings,
        "DJANGO_STATIC_MEDIA_ROOTS": [str(folder)],
        "DJANGO_STATIC_SAVE_PREFIX": str(out),
        "DJANGO_STATIC_NAME_PREFIX": "/cache-forever",
        "DJANGO_STATIC_MANIFEST_PATH": None,
        "DJANGO_STATIC_FILE_PROXY": "bench.cdn.proxy",
    }
    recorder = Recorder()
    proxy = recorder
    pipeline.reset()
    with override_settings(**common, DJANGO_STATIC_CLOUDFRONT=block(buckets["first"])):
        call_command("static_pipe_build", "--upload", verbosity=0)  # the build, once; and what --upload sends
    keys = parse(block(buckets["floor"]))  # the same object keys the command uses
    files = [(keys.object_key(urlsplit(uri).path), path) for uri, path in recorder.files]
    size = sum(os.path.getsize(path) for _key, path in files)

    windows: dict[str, list[tuple[int, int]]] = {name: [] for name in ("first", "again", "recheck", "floor", "listed")}
    cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in windows}

    def counted(name: str, function: Callable[[], None]) -> Callable[[], None]:
        """Also note the requests moto logged, and the CPU both processes used (the machine may be busy)."""

        def run() -> None:
            start, ours, moto = server.log_mark(), time.process_time(), server.cpu_seconds()
            function()
            cpu[name].append((time.process_time() - ours, server.cpu_seconds() - moto))
            windows[name].append((start, server.log_mark()))

        return run

    def in_settings(bucket: str, function: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            with override_settings(**common, DJANGO_STATIC_CLOUDFRONT=block(bucket)):
                function()

        return run

    def fill_again() -> None:
        _new_process()
        if not s3.list_objects_v2(Bucket=buckets["again"], MaxKeys=1).get("KeyCount"):
            in_settings(buckets["again"], _command(workers))()
            _new_process()

    def first_deploy() -> None:
        """An empty bucket, and no upload record of it: a first deploy from a new machine."""
        _empty(s3, buckets["first"])
        with override_settings(**common), contextlib.suppress(FileNotFoundError):
            os.remove(record_path(parse(block(buckets["first"]))) or "")
        _new_process()

    first = f"static_pipe_build --upload, empty bucket, {workers} threads"
    floor = f"floor: bare boto3 put_object, {workers} threads"
    again = "static_pipe_build --upload again, nothing changed"
    recheck = "static_pipe_build --upload --recheck, nothing changed (the record not trusted)"
    listed = "floor for nothing changed: one ListObjectsV2 pass over the same bucket"
    contenders = {
        first: counted("first", in_settings(buckets["first"], _command(workers))),
        floor: counted("floor", _floor(server.endpoint_url, buckets["floor"], files, workers)),
        again: counted("again", in_settings(buckets["again"], _command(workers))),
        recheck: counted("recheck", in_settings(buckets["again"], _command(workers, "--recheck"))),
        listed: counted("listed", _list_floor(server.endpoint_url, buckets["again"])),
    }
    setup = {
        first: first_deploy,
        floor: lambda: _empty(s3, buckets["floor"]),
        again: fill_again,
        recheck: fill_again,
        listed: fill_again,
    }
    for name, contender in contenders.items():  # one untimed turn each: first-use costs are no contender's
        setup[name]()
        contender()
    for counts in (*windows.values(), *cpu.values()):
        counts.clear()
    series = harness.interleave(contenders, rounds=rounds, setup=setup)
    requests = {name: [_methods(server, start, end) for start, end in spans] for name, spans in windows.items()}
    return {
        "series": {name: series[name] for name in (first, floor, again, recheck, listed)},
        "names": {"first": first, "floor": floor, "again": again, "recheck": recheck, "listed": listed},
        "requests": requests,
        "cpu": cpu,
        "files": len(files),
        "named": named,
        "bytes": size,
        "folder": str(folder),
        "workers": workers,
    }


def _methods(server: MotoServer, start: int, end: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in server.requests(start, until=end):
        kind = "LIST" if request.method == "GET" and "list-type=2" in request.target else request.method
        counts[kind] = counts.get(kind, 0) + 1
    return counts


SECTION = "6. CDN deploy throughput: static_pipe_build --upload to moto over HTTP"


def report_section(quick: bool, corpus: Path | None = None) -> dict[str, Any]:
    """The section of bench/results/latest.md: rows, targets, and the requests counted in moto's log."""
    result = scenario_cdn_upload(rounds=5 if quick else 11, corpus=corpus)
    names, series, files = result["names"], result["series"], result["files"]
    first, floor, again, recheck, listed = (
        series[names[key]] for key in ("first", "floor", "again", "recheck", "listed")
    )
    speed = {key: files / series[names[key]].median for key in ("first", "floor")}
    ratio = speed["first"] / speed["floor"]
    second = again.median / first.median
    requests = result["requests"]
    puts_again = [counts.get("PUT", 0) for counts in requests["again"]]
    cpu_total = {key: statistics.median(sum(sample) for sample in result["cpu"][key]) for key in ("first", "floor")}
    cpu_ratio = cpu_total["first"] / cpu_total["floor"]
    rows = [
        _row(names["first"], speed["first"], "files/s", first.spread, speed["floor"]),
        _row(names["floor"], speed["floor"], "files/s", floor.spread, speed["floor"]),
        _row(names["first"] + ": time", first.median, "s", first.spread, None),
        _row(names["again"], again.median, "s", again.spread, first.median),
        _row(names["recheck"], recheck.median, "s", recheck.spread, first.median),
        _row(names["listed"], listed.median, "s", listed.spread, first.median),
    ]
    for key in ("first", "floor", "again", "recheck", "listed"):
        ours, moto = (statistics.median(sample[index] for sample in result["cpu"][key]) for index in (0, 1))
        rows.append(
            {
                "name": f"CPU per run (this process / moto), {names[key]}",
                "value": f"{ours:.3f} / {moto:.3f}",
                "unit": "s",
                "spread": 0,
                "ratio": None,
            }
        )
    for key in ("first", "floor", "again", "recheck", "listed"):
        seen = sorted({tuple(sorted(counts.items())) for counts in requests[key]})
        shown = " | ".join(", ".join(f"{method} {count}" for method, count in counts) or "none" for counts in seen)
        rows.append({"name": f"requests per run, {names[key]}", "value": shown, "unit": "", "spread": 0, "ratio": None})
    return {
        "corpus": f"{files} files, {result['bytes'] / 1e6:.1f} MB ({result['named']} named in the template) "
        f"from {result['folder']}; {result['workers']} threads for ours and the floor; moto in server mode over "
        "HTTP. In-process like section 3: the process start (interpreter, Django, imports, the boto3 client) is in "
        "no contender; each run of ours starts with a new proxy and no memo, as a new process would.",
        "rows": rows,
        "requests": requests,
        "targets": [
            _target("--upload at least 0.8× the floor's files/s", ratio >= 0.8, f"{ratio:.2f}×"),
            _target(
                "a second --upload with nothing changed at most 1/20 of the first",
                second <= 1 / 20,
                f"1/{1 / second:.0f} ({second:.3f}×)",
            ),
            _target(
                "no bytes re-sent by the second --upload (PUTs in moto's request log)",
                all(count == 0 for count in puts_again) and bool(puts_again),
                f"PUTs per run: {puts_again}",
            ),
            _target(
                "(the same, counted in CPU seconds of both processes: the machine may be busy)",
                cpu_ratio <= 1 / 0.8,
                f"{1 / cpu_ratio:.2f}× (CPU {cpu_total['first']:.2f} s against {cpu_total['floor']:.2f} s)",
            ),
            _target(
                "(--recheck, nothing changed: within 2× of one ListObjectsV2 pass, the least it must ask then)",
                recheck.median <= 2 * listed.median,
                f"{recheck.median / listed.median:.2f}×",
            ),
        ],
    }
