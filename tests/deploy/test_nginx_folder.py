"""The repository's ``nginx/`` folder is what ``manage.py static_pipe_nginx`` prints for the example
site, regenerated here so it never goes stale, and accepted by ``nginx -t`` as committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from devservers.nginx import Nginx
from tests.deploy.conftest import EXAMPLE, REPO, example_env, run_manage

pytestmark = [pytest.mark.nginx]

FOLDER = REPO / "nginx"
#: The example site as deployed on a server: its var folder, a MongoDB for GridFS uploads (never
#: contacted to print), gunicorn on 8000, nginx on 80, no module beyond Debian's nginx-light.
VAR = Path("/srv/example-site/var")
ARGUMENTS = ["--listen", "80", "--upstream", "127.0.0.1:8000", "--brotli", "off"]
FILES = {
    "example-site.conf": ["--full"],
    "django-static-pipe-http.conf": ["--http"],
    "django-static-pipe-locations.conf": [],
}


def test_the_nginx_folder_is_what_the_command_prints_for_the_example_site():
    env = example_env(VAR, "mongodb://127.0.0.1:27017/")
    stale = []
    for name, arguments in FILES.items():
        printed = run_manage(EXAMPLE, env, "static_pipe_nginx", *arguments, *ARGUMENTS).stdout
        path = FOLDER / name
        if not path.exists() or path.read_text() != printed:
            path.write_text(printed)
            stale.append(name)
    assert not stale, f"nginx/{', nginx/'.join(stale)} did not match the command's output: regenerated, commit them"
    assert (FOLDER / "README.md").exists()


def test_the_committed_configuration_passes_nginx_t_as_it_is(tmp_path):
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    checked = Nginx((FOLDER / "example-site.conf").read_text(), 0, run_dir=str(prefix)).test_config()
    assert checked.returncode == 0, checked.stderr
