#!/usr/bin/env python
"""Start the example site the way a deploy would, then serve it.

1. MongoDB: with MONGODB_URI, wait for it (up to --mongo-wait seconds) or exit 2 with a clear message;
   without it, start a local FerretDB when one is built (the README's first command builds it);
   otherwise keep uploads in plain files. It says which it used.
2. Apply migrations; create an admin user only when none exists (password from EXAMPLE_ADMIN_PASSWORD,
   or generated and printed once).
3. Build every asset offline (manage.py static_pipe_build); gather other apps' static files (the
   admin's) into STATIC_ROOT (manage.py collectstatic).
4. Serve: gunicorn behind nginx with the generated config, or gunicorn alone with --no-nginx.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]


def say(message: str) -> None:
    print(f"[example] {message}", flush=True)


def wait_for_mongo(uri: str, deadline_seconds: float) -> None:
    import pymongo

    deadline = time.monotonic() + deadline_seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=1000)
        try:
            client.admin.command("ping")
            return
        except Exception as exc:
            last_error = exc
            time.sleep(0.5)
        finally:
            client.close()
    say(f"MongoDB at {uri} did not answer within {deadline_seconds:.0f}s: {last_error}")
    say("Start it, fix MONGODB_URI, or unset MONGODB_URI to keep uploads in local files.")
    sys.exit(2)


def choose_media(args: argparse.Namespace, keep: list[object]) -> None:
    uri = os.environ.get("MONGODB_URI")
    if uri:
        wait_for_mongo(uri, args.mongo_wait)
        say(f"Uploads: GridFS at {uri}")
        return
    try:
        from devservers.mongo import MongoServer, ferretdb_binary
    except ImportError:  # the site was copied out of the repository: no dev servers at hand
        say("Uploads: local files in var/media (no MongoDB configured; set MONGODB_URI to use GridFS)")
        return
    if not ferretdb_binary().exists() and not args.build_ferretdb:
        say("Uploads: local files in var/media (no MongoDB configured; set MONGODB_URI to use GridFS)")
        return
    server = MongoServer()
    server.data_dir = str(args.var / "ferretdb")
    os.makedirs(server.data_dir, exist_ok=True)
    from devservers.ports import free_port

    server.port = free_port()
    server.start()
    keep.append(server)
    os.environ["MONGODB_URI"] = server.uri
    say(f"Uploads: GridFS on {server.kind} at {server.uri} (started for you; data in {server.data_dir})")


def manage(*arguments: str) -> None:
    subprocess.run([sys.executable, str(HERE / "manage.py"), *arguments], check=True, env=os.environ)


def ensure_admin() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    users = get_user_model()
    if users.objects.filter(is_superuser=True).exists():
        say("Admin user: already there")
        return
    password = os.environ.get("EXAMPLE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    users.objects.create_superuser("admin", "admin@example.invalid", password)
    shown = "from EXAMPLE_ADMIN_PASSWORD" if os.environ.get("EXAMPLE_ADMIN_PASSWORD") else password
    say(f"Admin user: created 'admin' with password {shown} (printed this once)")


def serve(args: argparse.Namespace, keep: list[object]) -> list[subprocess.Popen[bytes]]:
    from devservers.nginx import Nginx, nginx_binary
    from devservers.ports import free_port, wait_for_port

    use_nginx = not args.no_nginx and nginx_binary() is not None
    app_port = free_port() if use_nginx else args.port
    if not use_nginx:
        os.environ["EXAMPLE_SERVE_ASSETS"] = "1"
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--chdir",
            str(HERE),
            "--bind",
            f"127.0.0.1:{app_port}",
            "--workers",
            str(args.workers),
            "--access-logfile",
            "-",
            "--timeout",
            "30",
        ],
        env=os.environ,
    )
    if not wait_for_port("127.0.0.1", app_port, timeout=60, process=gunicorn):
        raise SystemExit("gunicorn did not start")
    processes = [gunicorn]
    if use_nginx:
        run_dir = args.var / "nginx"
        run_dir.mkdir(parents=True, exist_ok=True)
        config = subprocess.run(
            [
                sys.executable,
                str(HERE / "manage.py"),
                "static_pipe_nginx",
                "--full",
                "--listen",
                f"127.0.0.1:{args.port}",
                "--upstream",
                f"127.0.0.1:{app_port}",
                "--run-dir",
                str(run_dir),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        ).stdout
        nginx = Nginx(config, args.port, run_dir=str(run_dir)).start()
        keep.append(nginx)
        say(f"nginx serves the stamped files and proxies the rest to gunicorn on :{app_port}")
    else:
        say("no nginx: gunicorn serves everything, the stamped files included (EXAMPLE_SERVE_ASSETS)")
    say(f"Ready: http://127.0.0.1:{args.port}/  (admin at /admin/)")
    return processes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-nginx", action="store_true", help="serve everything from gunicorn")
    parser.add_argument("--mongo-wait", type=float, default=30.0, help="seconds to wait for MONGODB_URI")
    parser.add_argument("--build-ferretdb", action="store_true", help="build FerretDB if it is not built yet")
    parser.add_argument("--var", type=Path, default=Path(os.environ.get("EXAMPLE_VAR_DIR", HERE / "var")))
    parser.add_argument("--prepare-only", action="store_true", help="do steps 1-3 and exit (a deploy hook)")
    args = parser.parse_args()
    args.var = args.var.resolve()
    args.var.mkdir(parents=True, exist_ok=True)
    os.environ["EXAMPLE_VAR_DIR"] = str(args.var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    keep: list[object] = []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        choose_media(args, keep)
        manage("migrate", "--noinput", "--verbosity", "0")
        ensure_admin()
        manage("static_pipe_build")
        manage("collectstatic", "--noinput", "--verbosity", "0")
        if args.prepare_only:
            return 0
        processes = serve(args, keep)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        for server in reversed(keep):
            server.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
