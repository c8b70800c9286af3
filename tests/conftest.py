"""Shared fixtures: a fresh copy of the fixture assets per test, with known modification times."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template

from devservers.moto import isolate_aws_environment
from django_static_pipe import html, locks, pipeline, precompress

# boto3 in this process (and any child) sees fake credentials and never the user's own AWS config.
isolate_aws_environment()

ASSETS = Path(__file__).parent / "assets"
#: Every fixture file gets this mtime, so an mtime stamp is predictable.
T0 = 1_700_000_000


@dataclass
class Site:
    """A test's own asset root and save folder, with helpers to render and inspect."""

    root: Path
    out: Path

    def render(self, source: str, **context: Any) -> str:
        return Template("{% load django_static %}" + source).render(Context(context))

    def touch(self, name: str, mtime: int) -> None:
        os.utime(self.root / name.lstrip("/"), (mtime, mtime))

    def write(self, name: str, text: str | bytes, mtime: int = T0) -> Path:
        path = self.root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str):
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(text)
        os.utime(path, (mtime, mtime))
        return path

    def output(self, url_path: str) -> Path:
        assert precompress.wait_idle()  # what a render queued for the background is on disk too
        return self.out / url_path.lstrip("/")

    def links_to_source(self, url_path: str) -> bool:
        """True when the output is its source under another name (a hard link or a symlink), not a copy."""
        output = self.output(url_path)
        return output.is_symlink() or output.stat().st_nlink > 1

    def produced(self) -> list[str]:
        """Every file under the save folder, as sorted relative paths (the lock folder's aside)."""
        assert precompress.wait_idle()
        return sorted(
            str(p.relative_to(self.out))
            for p in self.out.rglob("*")
            if (p.is_file() or p.is_symlink()) and locks.LOCK_FOLDER_NAME not in p.parts
        )


def copy_assets(target: Path, mtime: int = T0) -> Path:
    shutil.copytree(ASSETS, target)
    for path in target.rglob("*"):
        os.utime(path, (mtime, mtime))
    return target


@pytest.fixture(autouse=True)
def _forget_builds() -> Iterator[None]:
    pipeline.reset()
    html.forget_plans()
    yield
    precompress.wait_idle()  # no sibling of this test's outputs is still being written by the next one
    pipeline.reset()
    html.forget_plans()


@pytest.fixture
def site(tmp_path: Path, settings: Any) -> Site:
    """The pipeline switched on over a private copy of ``tests/assets``, output in its own folder."""
    root = copy_assets(tmp_path / "assets")
    out = tmp_path / "out"
    settings.DJANGO_STATIC = True
    settings.DJANGO_STATIC_MEDIA_ROOTS = [str(root)]
    settings.DJANGO_STATIC_SAVE_PREFIX = str(out)
    return Site(root=root, out=out)


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[Any]:
    """The MongoDB-wire server of this test session (see devservers.mongo.py)."""
    from devservers.mongo import MongoServer

    server = MongoServer().start()
    yield server
    server.close()


@pytest.fixture
def mongo_uri(mongo_server: Any) -> str:
    return str(mongo_server.uri)


@pytest.fixture
def gridfs_database(mongo_uri: str) -> Iterator[str]:
    """A database of this test's own, dropped afterwards."""
    import uuid

    import pymongo

    name = "t" + uuid.uuid4().hex[:16]
    yield name
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture(scope="session", autouse=True)
def _close_mongo_clients() -> Iterator[None]:
    yield
    import sys

    if "django_static_pipe.backends.mongo" in sys.modules:
        sys.modules["django_static_pipe.backends.mongo"].close_clients()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Any]:
    """moto in server mode on a loopback port (see devservers/moto.py)."""
    from devservers.moto import MotoServer

    server = MotoServer().start()
    yield server
    server.stop()


@dataclass
class ServedSite:
    url: str


@pytest.fixture
def wsgi_server() -> Iterator[ServedSite]:
    """This test's Django under Django's own threaded development server, on a loopback port.

    Used instead of pytest-django's ``live_server``, whose database handling leaves the test database
    blocked for later tests in the same worker; nothing served here needs a database.
    """
    import threading

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ServedSite(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
