"""static_pipe_build on (a copy of) the example site: summary, --check, idempotence, manifest-only renders."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.deploy.conftest import example_env, run_manage


def snapshot(folder) -> dict[str, tuple[int, int]]:
    """Every output's inode and mtime (the build locks' folder changes with every lock taken)."""
    return {
        str(p.relative_to(folder)): (p.lstat().st_ino, p.lstat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if ".static-pipe-locks" not in p.parts
    }


@pytest.fixture
def env(tmp_path):
    return example_env(tmp_path / "var", None)


def test_build_prints_a_summary_and_writes_the_manifest(example_copy, env, tmp_path):
    result = run_manage(example_copy, env, "static_pipe_build")
    lines = result.stdout.splitlines()
    progress = [line for line in lines if line.startswith("[")]
    assert [line.split("]")[0] for line in progress] == [f"[{n}/7" for n in range(1, 8)]  # not a terminal: plain lines
    assert "[" not in "".join(line.split("] ", 1)[1] for line in progress)
    summary = next(line for line in lines if line.startswith("Built "))
    assert re.fullmatch(
        r"Built 10 files for 7 uses in 3 templates in [0-9.]+s \(\d processes\): sources [0-9.]+ KB -> output "
        r"[0-9.]+ KB \(gzip [0-9.]+ (KB|B), brotli [0-9.]+ (KB|B)\); wrote \d+ files; manifest written\.",
        summary,
    ), summary
    manifest = json.loads((tmp_path / "var/cache-forever/static-pipe-manifest.json").read_text())
    assert "slim:/js/vendor.min.js;/js/app.js;/js/widgets.js" in manifest["entries"]
    assert "static:/img/pattern.png" in manifest["entries"]  # referenced from CSS: recorded too


def test_second_run_writes_nothing(example_copy, env, tmp_path):
    run_manage(example_copy, env, "static_pipe_build")
    before = snapshot(tmp_path / "var/cache-forever")
    result = run_manage(example_copy, env, "static_pipe_build")
    assert "wrote nothing (all up to date); manifest unchanged." in result.stdout
    assert snapshot(tmp_path / "var/cache-forever") == before


def test_verbosity_0_prints_nothing(example_copy, env):
    result = run_manage(example_copy, env, "static_pipe_build", "--verbosity", "0")
    assert (result.stdout, result.stderr) == ("", "")


def test_a_render_after_the_build_touches_no_source(example_copy, env):
    run_manage(example_copy, env, "migrate", "--verbosity", "0")
    run_manage(example_copy, env, "static_pipe_build")
    render = "from django.test import Client; print(Client(HTTP_HOST='127.0.0.1').get('/').content.decode())"
    first = run_manage(example_copy, env, "shell", "-c", render).stdout
    os.rename(example_copy / "assets", example_copy / "assets-gone")  # no source can be read now
    second = run_manage(example_copy, env, "shell", "-c", "import warnings; warnings.simplefilter('error');" + render)
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(second.stdout) == strip(first)
    assert "/cache-forever/css/site_layout.min." in second.stdout and "warning" not in second.stderr.lower()


def test_check_passes_on_the_example(example_copy, env):
    assert (
        "All 7 assets named in 3 templates exist."
        in run_manage(example_copy, env, "static_pipe_build", "--check").stdout
    )


def test_check_fails_on_a_broken_template_with_places(example_copy, env):
    (example_copy / "templates" / "broken.html").write_text(
        '{% load django_static %}\n<p>\n{% staticfile "/img/nowhere.png" %}\n'
        '{% slimall %}<link rel="stylesheet" href="/css/broken.css">{% endslimall %}\n'
        "{% staticfile some_variable %}\n"
    )
    (example_copy / "assets/css/broken.css").write_text(
        '@import "missing-import.css";\n.x { background: url(../img/gone.png) }'
    )
    result = run_manage(example_copy, env, "static_pipe_build", "--check", check=False)
    assert result.returncode == 1
    assert (
        "skipped templates/broken.html:5: {% staticfile some_variable %}: the argument is not a literal string"
        in result.stdout
    )
    assert "3 problem(s):" in result.stderr
    assert "templates/broken.html:3: /img/nowhere.png does not exist in any asset root" in result.stderr
    assert (
        "templates/broken.html:4: /css/broken.css references 'missing-import.css', which does not exist"
        in result.stderr
    )
    assert (
        "templates/broken.html:4: /css/broken.css references '../img/gone.png', which does not exist" in result.stderr
    )
    assert not (example_copy.parent / "var" / "cache-forever").exists()


def test_build_fails_on_a_missing_bundle_member_naming_the_place(example_copy, env):
    (example_copy / "templates" / "broken.html").write_text(
        '{% load django_static %}{% slimfile "/js/app.js; /js/gone.js" %}\n'
    )
    result = run_manage(example_copy, env, "static_pipe_build", check=False)
    assert result.returncode == 1
    assert "templates/broken.html:1: django-static-pipe: /js/gone.js not found" in result.stderr


def test_deploy_hook_waits_for_mongodb_then_gives_up_clearly(example_copy, tmp_path):
    from devservers.ports import free_port

    env = example_env(tmp_path / "var", f"mongodb://127.0.0.1:{free_port()}/")
    result = subprocess.run(
        [sys.executable, str(example_copy / "start.py"), "--prepare-only", "--mongo-wait", "2"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "did not answer within 2s" in result.stdout and "unset MONGODB_URI" in result.stdout


def test_deploy_hook_creates_the_admin_once(example_copy, tmp_path):
    env = example_env(tmp_path / "var", None)
    env.pop("EXAMPLE_ADMIN_PASSWORD")
    first = subprocess.run([sys.executable, str(example_copy / "start.py"), "--prepare-only"], env=env,
                           capture_output=True, text=True, timeout=120, check=True).stdout  # fmt: skip
    password = re.search(r"created 'admin' with password (\S+) \(printed this once\)", first).group(1)
    second = subprocess.run([sys.executable, str(example_copy / "start.py"), "--prepare-only"], env=env,
                            capture_output=True, text=True, timeout=120, check=True).stdout  # fmt: skip
    assert "Admin user: already there" in second and password not in second
    login = run_manage(
        example_copy, env, "shell", "-c",
        f"from django.contrib.auth import authenticate; print(authenticate(username='admin', password='{password}'))",
    ).stdout  # fmt: skip
    assert login.strip().splitlines()[-1] == "admin"


def test_progress_bar_on_a_terminal(example_copy, env):
    import pty

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, str(example_copy / "manage.py"), "static_pipe_build"],
        env=env, cwd=example_copy, stdin=terminal, stdout=terminal, stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    text = output.decode()
    assert "\r[" + "#" * 30 + "] 7/7 " in text  # the bar redrawn in place, full at the end
    assert "\n[1/7]" not in text  # no plain lines on a terminal
    assert "Built 10 files" in text


def test_prune_keeps_the_manifest_and_the_newest_generations(example_copy, env, tmp_path):
    run_manage(example_copy, env, "static_pipe_build")
    save = tmp_path / "var" / "cache-forever" / "js"
    current = sorted(p.name for p in save.glob("app.min.*.js"))
    assert len(current) == 1
    for age, stamp in enumerate(["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"], start=1):
        old = save / f"app.min.{stamp}.js"
        old.write_text("// an older build")
        (save / f"app.min.{stamp}.js.gz").write_bytes(b"gz")
        os.utime(old, (1_700_000_000 - age * 100, 1_700_000_000 - age * 100))
    dry = run_manage(example_copy, env, "static_pipe_prune", "--keep", "1", "--dry-run").stdout
    assert dry.splitlines() == [
        f"would remove {save}/app.min.bbbbbbbbbbbb.js",
        f"would remove {save}/app.min.cccccccccccc.js",
        "2 outputs would be removed (dry run).",
    ]
    assert len(list(save.glob("app.min.*"))) == 9  # the current one has .gz and .br siblings
    result = run_manage(example_copy, env, "static_pipe_prune", "--keep", "1").stdout
    assert result.strip() == "Removed 2 outputs (4 files with their siblings)."
    left = sorted(p.name for p in save.glob("app.min.*.js"))
    assert left == sorted([*current, "app.min.aaaaaaaaaaaa.js"])
    assert not (save / "app.min.cccccccccccc.js.gz").exists()


def test_prune_needs_a_manifest(example_copy, env):
    result = run_manage(example_copy, env, "static_pipe_prune", check=False)
    assert result.returncode == 1 and "run `manage.py static_pipe_build` first" in result.stderr
