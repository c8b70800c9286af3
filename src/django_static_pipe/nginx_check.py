"""Running the real nginx on a generated configuration: ``nginx -t`` in a folder of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def nginx_binary() -> str | None:
    """nginx on PATH, else where Debian and the upstream packages install it."""
    return shutil.which("nginx") or next((path for path in NGINX_PATHS if os.access(path, os.X_OK)), None)


@dataclass
class CheckResult:
    ok: bool
    output: str
    folder: str


def check_config(config: str, binary: str | None = None, keep: bool = False) -> CheckResult:
    """Write ``config`` to a temporary folder and run ``nginx -t`` with that folder as nginx's prefix
    (where relative run-time paths go). The folder is removed afterwards unless ``keep``."""
    binary = binary or nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx-light)")
    folder = tempfile.mkdtemp(prefix="static-pipe-nginx-check-")
    try:
        path = os.path.join(folder, "nginx.conf")
        with open(path, "w") as handle:
            handle.write(config)
        completed = subprocess.run(
            [binary, "-t", "-p", folder + "/", "-c", path], capture_output=True, text=True, timeout=60
        )
        output = (completed.stdout + completed.stderr).replace(folder + "/", "").replace(folder, ".")
        return CheckResult(ok=completed.returncode == 0, output=output.strip(), folder=folder)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def make_run_dir(path: str) -> bool:
    """Create the run-time folder (and missing parents) if missing; True if it was created. Each
    folder made is mode 0755 whatever the umask: nginx's workers must enter it to reach the folders
    nginx makes inside for them."""
    if os.path.isdir(path):
        return False
    made = []
    folder = os.path.abspath(path)
    while not os.path.exists(folder):
        made.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(path)
    for folder in made:
        os.chmod(folder, 0o755)
    return True
