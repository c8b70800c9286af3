"""The GridFS media cache is safe whatever the view sends: behind the printed configuration stands a
view that misbehaves on purpose (a real HTTP server on loopback), and nginx must store only complete
200s that say nothing against being stored."""

from __future__ import annotations

import http.server
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from devservers.nginx import Nginx
from devservers.ports import free_port
from tests.deploy.conftest import EXAMPLE, example_env, run_manage
from tests.deploy.nginx_sites import fetch, new_var

pytestmark = [pytest.mark.nginx]

BODY = bytes(range(256)) * 40
CHANGED = bytes(reversed(range(256))) * 40
#: name → (status, headers): every one says the answer may be kept for ten minutes, and must not be.
NEVER_STORED: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "503": (503, [("Cache-Control", "public, max-age=600"), ("Retry-After", "5")]),
    "503-x-accel-expires": (503, [("X-Accel-Expires", "600")]),
    "500": (500, [("Cache-Control", "public, max-age=600")]),
    "502": (502, [("Cache-Control", "public, max-age=600")]),
    "404": (404, [("Cache-Control", "public, max-age=600")]),
    "410": (410, [("Cache-Control", "public, max-age=600")]),
    "301": (301, [("Cache-Control", "public, max-age=600"), ("Location", "/elsewhere")]),
    "302": (302, [("Cache-Control", "public, max-age=600"), ("Location", "/elsewhere")]),
    "206-unasked": (206, [("Cache-Control", "public, max-age=600"), ("Content-Range", f"bytes 0-{len(BODY) - 1}/1")]),
    "private": (200, [("Cache-Control", "private, max-age=600")]),
    "no-store": (200, [("Cache-Control", "no-store")]),
    "no-cache": (200, [("Cache-Control", "public, no-cache, max-age=600")]),
    "private-in-a-second-header": (200, [("Cache-Control", "public, max-age=600"), ("Cache-Control", "private")]),
    "private-under-x-accel-expires": (200, [("X-Accel-Expires", "600"), ("Cache-Control", "private")]),
    "set-cookie": (200, [("Cache-Control", "public, max-age=600"), ("Set-Cookie", "sessionid=abc; HttpOnly")]),
    "vary-star": (200, [("Cache-Control", "public, max-age=600"), ("Vary", "*")]),
}  # fmt: skip
STORED = (200, [("Cache-Control", "public, max-age=600"), ("ETag", '"v1"')])


@dataclass
class HostileView:
    """Answers ``/media/<case>/<anything>`` as NEVER_STORED[case] says; counts and records requests."""

    port: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    server: Any = None

    def start(self) -> HostileView:
        view = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            cases: ClassVar = NEVER_STORED

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                view.hits[path] += 1
                view.seen_headers.append(dict(self.headers.items()))
                case = path.split("/")[2]
                status, headers = self.cases.get(case, STORED)
                if case.startswith("expiring"):
                    status, headers = view.expiring(case, view.hits[path], self.headers.get("If-None-Match"))
                body = b"" if status in (301, 302, 304) else BODY
                if case.endswith("then-changed") and view.hits[path] > 1:
                    body = CHANGED
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @staticmethod
    def expiring(case: str, hit: int, if_none_match: str | None) -> tuple[int, list[tuple[str, str]]]:
        """Fresh for one second; then a 304 for the right validator, or (``…-then-503``) MongoDB away."""
        fresh = [("Cache-Control", "public, max-age=1"), ("ETag", '"v1"')]
        if hit == 1:
            return 200, fresh
        if case.endswith("then-503"):
            return 503, [("Cache-Control", "no-store"), ("Retry-After", "5")]
        if case.endswith("then-changed"):
            return 200, [("Cache-Control", "public, max-age=600"), ("ETag", '"v2"')]
        return (304, fresh) if if_none_match == '"v1"' else (200, fresh)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Front:
    view: HostileView
    port: int

    def get(self, path: str, **headers: str):
        return fetch(self.port, path, **headers)


@pytest.fixture(scope="module")
def front() -> Iterator[Front]:
    view = HostileView().start()
    var = new_var()
    port = free_port()
    env = example_env(var, "mongodb://127.0.0.1:9/")  # GridFS settings; no database is ever asked
    config = run_manage(EXAMPLE, env, "static_pipe_nginx", "--full", "--listen", f"127.0.0.1:{port}",
                        "--upstream", f"127.0.0.1:{view.port}").stdout  # fmt: skip
    prefix = Path(var) / "prefix"
    prefix.mkdir(mode=0o755)
    nginx = Nginx(config, port, run_dir=str(prefix)).start()
    try:
        yield Front(view, port)
    finally:
        nginx.stop()
        view.stop()


def test_a_complete_200_that_allows_it_is_stored(front):
    url = "/media/stored/a.bin"
    assert [front.get(url).header("X-Cache-Status") for _ in range(3)] == ["MISS", "HIT", "HIT"]
    assert front.view.hits[url] == 1


@pytest.mark.parametrize("case", sorted(NEVER_STORED))
def test_never_stored(front, case):
    url = f"/media/{case}/a.bin"
    statuses = [front.get(url) for _ in range(3)]
    assert [answer.status for answer in statuses] == [NEVER_STORED[case][0]] * 3
    assert [answer.header("X-Cache-Status") for answer in statuses] == ["MISS"] * 3
    assert front.view.hits[url] == 3


def test_the_view_never_sees_range_validators_or_encodings_so_it_always_sends_the_whole_file(front):
    url = "/media/stored/ranged.bin"
    before = len(front.view.seen_headers)
    validators = {"If_None_Match": '"v0"', "If_Modified_Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
    answer = front.get(url, Range="bytes=10-19", Accept_Encoding="gzip, br", **validators)
    assert (answer.status, answer.body) == (206, BODY[10:20])
    sent = front.view.seen_headers[before:]
    assert len(sent) == 1
    lowered = {name.lower() for name in sent[0]}
    assert not lowered & {"range", "if-range", "if-none-match", "if-modified-since", "accept-encoding"}, sent


def wait_until_stale() -> None:
    """Past the one-second max-age of an entry stored just now (nginx counts whole seconds)."""
    time.sleep(2.2)


def test_an_expired_entry_is_revalidated_with_its_etag_not_fetched_again(front):
    url = "/media/expiring/revalidated.bin"
    assert front.get(url).header("X-Cache-Status") == "MISS"
    wait_until_stale()
    before = len(front.view.seen_headers)
    answers = [front.get(url) for _ in range(3)]
    assert all(answer.status == 200 and answer.body == BODY for answer in answers)
    asked = front.view.seen_headers[before:]
    assert [headers.get("If-None-Match") for headers in asked] == ['"v1"']  # one conditional request, a 304
    assert answers[0].header("X-Cache-Status") in ("REVALIDATED", "STALE", "UPDATING")
    assert answers[-1].header("X-Cache-Status") in ("HIT", "REVALIDATED")


def test_an_expired_entry_is_still_served_while_mongodb_is_away(front):
    url = "/media/expiring-then-503/kept.bin"
    assert front.get(url).header("X-Cache-Status") == "MISS"
    wait_until_stale()
    answers = [front.get(url) for _ in range(3)]
    assert all((answer.status, answer.body) == (200, BODY) for answer in answers)
    assert {answer.header("X-Cache-Status") for answer in answers} <= {"STALE", "UPDATING"}


def test_an_entry_written_anew_is_served_anew_not_from_a_file_kept_open(front):
    # Not what the storage does (a name never gets other bytes), but the cache must not hold on to an
    # old file when the view does send new bytes: the open file cache checks the entry's inode.
    url = "/media/expiring-then-changed/renewed.bin"
    assert front.get(url).body == BODY and front.get(url).header("X-Cache-Status") == "HIT"
    wait_until_stale()
    bodies = [front.get(url).body for _ in range(4)]
    assert set(bodies) <= {BODY, CHANGED} and bodies[-2:] == [CHANGED, CHANGED]
    assert front.get(url).header("X-Cache-Status") == "HIT"
