"""A real project in a folder of its own: prepared as a deploy would prepare it, then served by gunicorn
behind nginx started with exactly what ``static_pipe_nginx --full`` printed, or by ``runserver``.

The project's settings and URLconf live in :mod:`tests.adoption.sites`; everything that changes per run
(database, ``STATIC_ROOT``, the save folder, the adopted template) lives in the project folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from devservers.nginx import Nginx, nginx_binary
from devservers.ports import free_port, terminate, wait_for_port
from tests.adoption.edits import Adoption, adopt, unadopt

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Spec:
    """One project: its settings module, how its base template is adopted, and the data its pages show."""

    name: str
    settings: str
    adoption: Adoption
    data: str = ""  # Python run by `manage.py shell -c` after migrating: fixed data, so pages never change


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGS`` (Django's own ``python -m django``) in the project's environment."""
    result = subprocess.run(
        [sys.executable, "-m", "django", *args], env=env, capture_output=True, text=True, timeout=300, cwd=REPO
    )
    if result.returncode != 0:
        command = " ".join(args)
        raise AssertionError(f"manage.py {command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Project:
    """A prepared project folder: migrated, its data in, ``collectstatic`` and ``static_pipe_build`` run."""

    spec: Spec
    var: Path
    original: str = ""
    adopted: str = ""
    build_output: str = ""
    check_output: str = ""

    def env(self, mode: str, *, debug: bool = False) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "ADOPTION_"))}
        env.update(
            DJANGO_SETTINGS_MODULE=self.spec.settings,
            ADOPTION_VAR=str(self.var),
            ADOPTION_MODE=mode,
            ADOPTION_DEBUG="1" if debug else "",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run_django(self.env(mode), *args)


def prepare(spec: Spec) -> Project:
    """Adopt the base template into the project folder, then migrate, add the data, collect and build."""
    # nginx's workers run as 'nobody' when started by root: the folder must be readable by others.
    var = Path(tempfile.mkdtemp(prefix=f"static-pipe-adopt-{spec.name}-"))
    var.chmod(0o755)
    project = Project(spec=spec, var=var)
    try:
        project.original = spec.adoption.source().read_text(encoding="utf-8")
        project.adopted = adopt(project.original, spec.adoption)
        assert unadopt(project.adopted) == project.original, "adoption changed more than the allowed lines"
        target = var / "templates" / spec.adoption.template
        target.parent.mkdir(parents=True)
        target.write_text(project.adopted, encoding="utf-8")
        project.manage("before", "migrate", "--noinput", "--verbosity", "0")
        if spec.data:
            project.manage("before", "shell", "-c", spec.data)
        project.manage("before", "collectstatic", "--noinput", "--verbosity", "0")
        project.check_output = project.manage("after", "static_pipe_build", "--check").stdout
        project.build_output = project.manage("after", "static_pipe_build").stdout
        return project
    except BaseException:
        shutil.rmtree(var, ignore_errors=True)
        raise


def remove(project: Project) -> None:
    shutil.rmtree(project.var, ignore_errors=True)


@dataclass
class Server:
    """The project served in one mode: ``base_url`` is what the browser loads."""

    project: Project
    mode: str
    base_url: str = ""
    port: int = 0
    config: str = ""
    logs: list[Path] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    nginx: Nginx | None = None

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for log in self.logs:
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"--- {log.name}\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for process in self.processes:
            terminate(process, timeout=20)


def _start(server: Server, command: list[str], env: dict[str, str], log_name: str, port: int) -> None:
    log = server.project.var / log_name
    server.logs.append(log)
    with open(log, "ab") as output:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
    server.processes.append(process)
    if not wait_for_port("127.0.0.1", port, timeout=60, process=process):
        server.stop()
        raise AssertionError(f"{log_name} did not start:\n{server.log_tail()}")


def serve_behind_nginx(project: Project, mode: str, port: int) -> Server:
    """gunicorn, and nginx on ``port`` with the configuration ``static_pipe_nginx --full`` prints, unmodified."""
    assert nginx_binary(), "nginx is not installed: scripts/test installs Debian's nginx-light"
    server = Server(project=project, mode=mode)
    env = project.env(mode)
    app_port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "tests.adoption.sites.wsgi", "--bind", f"127.0.0.1:{app_port}",
                "--workers", "2", "--timeout", "60", "--log-level", "warning"]  # fmt: skip
    _start(server, gunicorn, env, f"gunicorn-{mode}.log", app_port)
    try:
        server.port = port
        listen, upstream = f"127.0.0.1:{server.port}", f"127.0.0.1:{app_port}"
        printed = run_django(env, "static_pipe_nginx", "--full", "--listen", listen, "--upstream", upstream)
        server.config = printed.stdout
        run_dir = project.var / f"nginx-{mode}"
        run_dir.mkdir(mode=0o755)
        server.nginx = Nginx(server.config, server.port, run_dir=str(run_dir))
        server.logs.append(run_dir / "error.log")
        checked = server.nginx.test_config()
        assert checked.returncode == 0, checked.stderr
        server.nginx.start()
    except BaseException:
        server.stop()
        raise
    server.base_url = f"http://127.0.0.1:{server.port}"
    return server


def serve_with_runserver(project: Project) -> Server:
    """The adopted project under ``manage.py runserver`` with ``DEBUG = True`` (a real subprocess)."""
    server = Server(project=project, mode="runserver")
    server.port = free_port()
    command = [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{server.port}"]
    _start(server, command, project.env("after", debug=True), "runserver.log", server.port)
    server.base_url = f"http://127.0.0.1:{server.port}"
    return server
