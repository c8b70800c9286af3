"""moto in server mode, started by the harness on a loopback port; boto3 reaches it over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from devservers.ports import free_port, terminate, wait_for_port

#: Credentials for moto only. The user's own AWS configuration is kept out of the test run.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def isolate_aws_environment() -> None:
    """Point boto3 at fake credentials and away from ~/.aws, for this process and its children."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(FAKE_AWS_ENV)


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_dir = tempfile.mkdtemp(prefix="static-pipe-moto-")

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        command = shutil.which("moto_server")
        args = [command] if command else [sys.executable, "-m", "moto.server"]
        log = open(os.path.join(self.log_dir, "moto.log"), "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [*args, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAKE_AWS_ENV},
        )
        log.close()
        if not wait_for_port("127.0.0.1", self.port, timeout=60, process=self.process):
            raise RuntimeError(f"moto_server did not start; see {self.log_dir}/moto.log")
        return self

    def stop(self) -> None:
        terminate(self.process, timeout=10)
        self.process = None
        shutil.rmtree(self.log_dir, ignore_errors=True)
