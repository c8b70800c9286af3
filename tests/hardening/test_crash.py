"""A build killed with SIGKILL at random moments while a reader polls the stamped URLs through nginx.

Content stamps make every served body checkable: its name holds the first 12 hex of its SHA-256, so
a partial body can never pass for a whole one. The reader also checks that the manifest always
parses and that everything it names is served whole.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from devservers import corpus
from devservers.nginx import Nginx
from devservers.ports import free_port
from django_static_pipe import pipeline
from django_static_pipe.nginx_config import NginxOptions, full_config
from django_static_pipe.writer import TEMP_PREFIX
from tests.conftest import copy_assets
from tests.hardening.figures import record

pytestmark = [pytest.mark.slow, pytest.mark.nginx]

RUNS = 200
STAMPED = re.compile(r"\.([0-9a-f]{12})\.[A-Za-z0-9]+$")
TEMPLATE = """{% load django_static %}
{% slimall %}
<link rel="stylesheet" href="/css/imports.css">
<link rel="stylesheet" href="/css/layout.css">
<link rel="stylesheet" href="/css/bootstrap.css">
<script src="/js/jquery.js"></script>
<script src="/js/a.js"></script>
<script src="/js/b.js"></script>
<img src="/img/photo.png">
{% endslimall %}
{% slimfile "/css/unicode.css" %}{% staticfile "/js/vendor.min.js" %}
"""


@pytest.fixture
def crash_site(settings):
    base = Path(tempfile.mkdtemp(prefix="static-pipe-crash-"))
    base.chmod(0o755)  # nginx's workers (nobody) read from here
    root = copy_assets(base / "assets")
    roots = corpus.package_roots()
    shutil.copy(roots["jquery"] / "jquery.js", root / "js" / "jquery.js")
    shutil.copy(roots["bootstrap"] / "css" / "bootstrap.css", root / "css" / "bootstrap.css")
    templates = base / "templates"
    templates.mkdir()
    (templates / "page.html").write_text(TEMPLATE)
    settings.DJANGO_STATIC = True
    settings.DJANGO_STATIC_MEDIA_ROOTS = [str(root)]
    settings.DJANGO_STATIC_SAVE_PREFIX = str(base / "out")
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    settings.DJANGO_STATIC_STAMP = "content"
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(templates)]}]
    yield base, root
    shutil.rmtree(base, ignore_errors=True)


class Reader(threading.Thread):
    """Polls the manifest and every stamped file through nginx until stopped; records any breakage."""

    def __init__(self, port: int, out: Path) -> None:
        super().__init__(daemon=True)
        self.port, self.out = port, out
        self.stop = threading.Event()
        self.problems: list[str] = []
        self.checked_bodies = 0
        self.manifest_reads = 0

    def fetch(self, path: str, **headers: str) -> tuple[int, bytes, str | None]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Encoding")
        finally:
            connection.close()

    def check_stamped(self, url_path: str, *, must_exist: bool) -> None:
        match = STAMPED.search(url_path)
        if match is None:
            return
        for encoding in ("identity", "gzip"):
            status, body, content_encoding = self.fetch("/cache-forever" + url_path, **{"Accept-Encoding": encoding})
            if status == 404 and not must_exist:
                return
            if status != 200:
                self.problems.append(f"{url_path}: HTTP {status}")
                return
            if content_encoding == "gzip":
                body = gzip.decompress(body)
            if hashlib.sha256(body).hexdigest()[:12] != match.group(1):
                self.problems.append(f"{url_path} ({encoding}): a partial or wrong body of {len(body)} bytes")
            self.checked_bodies += 1

    def run(self) -> None:
        manifest = self.out / "static-pipe-manifest.json"
        while not self.stop.is_set():
            if manifest.exists():
                try:
                    entries = json.loads(manifest.read_text())["entries"]
                    self.manifest_reads += 1
                except (ValueError, KeyError) as exc:
                    self.problems.append(f"the manifest was not whole: {exc}")
                    continue
                for entry in entries.values():
                    if entry.get("path"):
                        self.check_stamped(entry["path"], must_exist=True)  # named, so it must be complete
            for path in list(self.out.rglob("*.*")) if self.out.exists() else []:
                if path.name.startswith(TEMP_PREFIX) or path.suffix in (".gz", ".br") or path.name.endswith(".json"):
                    continue
                self.check_stamped("/" + str(path.relative_to(self.out)), must_exist=False)


def _build_in_child() -> int:
    pid = os.fork()
    if pid == 0:  # the child: its own process group, so its pool workers die with it
        os.setsid()
        try:
            call_command("static_pipe_build", verbosity=0)
            os._exit(0)
        except BaseException:
            os._exit(1)
    return pid


def test_killed_builds_never_expose_partial_files(crash_site):
    base, root = crash_site
    out = base / "out"
    port = free_port()
    config = full_config(NginxOptions(save_folder=str(out), name_prefix="/cache-forever", media_url="/media/",
                                      brotli=False, listen=f"127.0.0.1:{port}", run_dir=str(base / "nginx"),
                                      upstream=f"127.0.0.1:{free_port()}"))  # fmt: skip
    (base / "nginx").mkdir()
    nginx = Nginx(config, port, run_dir=str(base / "nginx")).start()
    reader = Reader(port, out)
    randomness = random.Random(1234)
    killed = completed = leftovers_seen = 0
    durations: list[float] = []
    try:
        started = time.monotonic()
        pid = _build_in_child()  # one whole build first, to learn how long one takes
        os.waitpid(pid, 0)
        typical = time.monotonic() - started
        reader.start()
        for run in range(RUNS):
            for name in randomness.sample(
                ["js/a.js", "js/b.js", "css/layout.css", "css/print.css", "img/photo.png"], 2
            ):
                path = root / name
                path.write_bytes(path.read_bytes() + (f"\n/* run {run} */\n".encode() if name[-3:] != "png" else b"\0"))
            pipeline.reset()
            begun = time.monotonic()
            pid = _build_in_child()
            time.sleep(randomness.uniform(0, typical * 1.5))  # some runs finish, most are cut short
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished == 0:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:  # killed before it even made its process group
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                killed += 1
            else:
                completed += 1
                durations.append(time.monotonic() - begun)
            leftovers_seen += sum(1 for p in out.rglob(TEMP_PREFIX + "*"))
        pid = _build_in_child()  # the next start cleans up and finishes the job
        _finished, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        time.sleep(0.2)
    finally:
        reader.stop.set()
        reader.join(timeout=30)
        nginx.stop()
    assert reader.problems == []
    assert killed >= RUNS // 4, (killed, completed)  # many kills landed inside a build
    assert list(out.rglob(TEMP_PREFIX + "*")) == []
    entries = json.loads((out / "static-pipe-manifest.json").read_text())["entries"]
    for entry in entries.values():
        if entry.get("file"):
            data = (out / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest()[:12] == STAMPED.search(entry["path"]).group(1)
    record(
        "crash",
        runs=RUNS,
        killed=killed,
        completed=completed,
        typical_build_seconds=round(typical, 3),
        temporary_files_seen_after_kills=leftovers_seen,
        temporary_files_left_at_the_end=0,
        bodies_checked=reader.checked_bodies,
        manifest_reads=reader.manifest_reads,
        partial_bodies=0,
    )
