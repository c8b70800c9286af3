"""The example site prepared as a deploy would (migrate, build, collectstatic), under gunicorn, behind
nginx started with exactly what ``manage.py static_pipe_nginx --full`` printed."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from devservers.nginx import Nginx
from devservers.ports import free_port, terminate, wait_for_port
from tests.deploy.conftest import EXAMPLE, example_env, run_manage


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


def fetch(port: int, path: str, method: str = "GET", **headers: str) -> Answer:
    """One request on a fresh connection; header names use ``_`` for ``-`` (``If_None_Match``)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, headers={name.replace("_", "-"): value for name, value in headers.items()})
        response = connection.getresponse()
        return Answer(response.status, response.msg, response.read())
    finally:
        connection.close()


@dataclass
class Served:
    """One example site: its var folder, gunicorn, and nginx on ``port`` with the printed configuration."""

    var: Path
    env: dict[str, str]
    port: int = 0
    config: str = ""
    command_stderr: str = ""
    nginx: Nginx | None = None
    gunicorn: subprocess.Popen[bytes] | None = None
    extra_stop: list[object] = field(default_factory=list)

    def get(self, path: str, method: str = "GET", **headers: str) -> Answer:
        return fetch(self.port, path, method, **headers)

    def store(self, name: str, data: bytes) -> str:
        """Save ``data`` through the site's default storage (as an upload would); return its URL."""
        source = Path(tempfile.mkdtemp(prefix="static-pipe-upload-")) / "data"
        source.write_bytes(data)
        code = (
            "from django.core.files.base import ContentFile; from django.core.files.storage import storages\n"
            f"storage = storages['default']\n"
            f"name = storage.save({name!r}, ContentFile(open({str(source)!r}, 'rb').read()))\n"
            "print('URL=' + storage.url(name))"
        )
        try:
            output = run_manage(EXAMPLE, self.env, "shell", "-c", code).stdout
        finally:
            shutil.rmtree(source.parent, ignore_errors=True)
        return next(line[4:] for line in output.splitlines() if line.startswith("URL="))

    def delete(self, name: str) -> None:
        code = f"from django.core.files.storage import storages\nstorages['default'].delete({name!r})"
        run_manage(EXAMPLE, self.env, "shell", "-c", code)

    def stop(self) -> None:
        if self.nginx:
            self.nginx.stop()
        terminate(self.gunicorn, timeout=20)
        shutil.rmtree(self.var, ignore_errors=True)


def new_var() -> Path:
    # Started by root, nginx's workers run as 'nobody': every folder on the way must be open to others,
    # which pytest's own temporary folders (mode 0700) are not.
    var = Path(tempfile.mkdtemp(prefix="static-pipe-nginx-site-"))
    var.chmod(0o755)
    return var


def serve_example(mongo_uri: str | None, *, run_dir: bool) -> Served:
    """Prepare and serve the example site: GridFS media when ``mongo_uri``, else FileSystemStorage.

    ``run_dir``: pass ``--run-dir`` (absolute run-time paths, the folder made by the command); without it
    the configuration has relative paths and nginx runs with ``-p`` on a folder of its own.
    """
    var = new_var()
    served = Served(var=var, env=example_env(var, mongo_uri))
    try:
        for command in (["migrate", "--noinput"], ["static_pipe_build"], ["collectstatic", "--noinput"]):
            run_manage(EXAMPLE, served.env, *command, "--verbosity", "0")
        app_port = free_port()
        served.gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--chdir", str(EXAMPLE),
             "--bind", f"127.0.0.1:{app_port}", "--workers", "2", "--timeout", "30", "--log-level", "warning"],
            env=served.env,
        )  # fmt: skip
        if not wait_for_port("127.0.0.1", app_port, timeout=60, process=served.gunicorn):
            raise RuntimeError("gunicorn did not start")
        served.port = free_port()
        arguments = ["--full", "--listen", f"127.0.0.1:{served.port}", "--upstream", f"127.0.0.1:{app_port}"]
        if run_dir:
            arguments += ["--run-dir", str(var / "nginx-run")]
        printed = run_manage(EXAMPLE, served.env, "static_pipe_nginx", *arguments)
        served.config, served.command_stderr = printed.stdout, printed.stderr
        prefix = var / "nginx-prefix"
        prefix.mkdir(mode=0o755)
        served.nginx = Nginx(served.config, served.port, run_dir=str(prefix))
        checked = served.nginx.test_config()
        assert checked.returncode == 0, checked.stderr
        served.nginx.start()
        return served
    except BaseException:
        served.stop()
        raise
