"""Run Debian's nginx with a configuration from ``manage.py static_pipe_nginx --full``, on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from devservers.ports import terminate, wait_for_port


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


class Nginx:
    """An nginx master process with its own run folder (pid, logs, temporary files), which is also
    nginx's prefix (``-p``): a configuration with relative run-time paths runs as printed."""

    def __init__(self, config_text: str, port: int, run_dir: str | None = None) -> None:
        self.port = port
        if run_dir is None:
            run_dir = tempfile.mkdtemp(prefix="static-pipe-nginx-")
            os.chmod(run_dir, 0o755)  # started by root, the workers (nobody) write the temporary files here
        self.run_dir = run_dir
        self.config_path = os.path.join(self.run_dir, "nginx.conf")
        with open(self.config_path, "w") as handle:
            handle.write(config_text)
        self.process: subprocess.Popen[bytes] | None = None

    def test_config(self) -> subprocess.CompletedProcess[str]:
        binary = nginx_binary()
        assert binary, "nginx is not installed (apt-get install nginx-light)"
        return subprocess.run(
            [binary, "-t", "-p", self.run_dir + "/", "-c", self.config_path], capture_output=True, text=True
        )

    def start(self) -> Nginx:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError(
                "nginx is not installed: apt-get install nginx-light libnginx-mod-http-brotli-static "
                "libnginx-mod-http-brotli-filter"
            )
        with open(os.path.join(self.run_dir, "stderr.log"), "ab") as stderr:
            self.process = subprocess.Popen(
                [binary, "-p", self.run_dir + "/", "-c", self.config_path, "-g", "daemon off; master_process on;"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        if not wait_for_port("127.0.0.1", self.port, timeout=20, process=self.process):
            raise RuntimeError(f"nginx did not start; see {self.run_dir}/error.log and stderr.log")
        return self

    def stop(self) -> None:
        terminate(self.process, timeout=10)
        self.process = None
