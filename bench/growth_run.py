"""One build of the growth benchmark in a process of its own (``python -m bench.growth_run``), so that
it starts cold and its peak memory is its own: prints JSON with the time of the command alone, the
resident memory before it, and the peak of this process and of the workers it forked.

    python -m bench.growth_run ours|collectstatic CORPUS OUTPUT TEMPLATES
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _resident_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


def _peak_resident_bytes() -> int:
    """This process's own peak (VmHWM), not ru_maxrss: Linux carries ru_maxrss across exec, so a process
    started from the benchmark (200+ MB resident) would report the benchmark's size as its own peak."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(argv: list[str]) -> int:
    kind, corpus, output, templates = argv
    from django.conf import settings

    from bench.setup_django import configure

    configure()
    settings.DJANGO_STATIC_MEDIA_ROOTS = [corpus]
    settings.DJANGO_STATIC_SAVE_PREFIX = output
    settings.DJANGO_STATIC_FILE_PROXY = None
    settings.STATIC_ROOT = output
    settings.STATICFILES_DIRS = [corpus]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "bench.storages.TolerantManifestStaticFilesStorage"},
    }
    settings.TEMPLATES = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [templates], "APP_DIRS": False}
    ]
    from django.core.management import call_command

    from django_static_pipe import conf

    conf.forget_settings()
    # Imported before the baseline is taken: the command's code is not the build's memory.
    import django.contrib.staticfiles.management.commands.collectstatic  # noqa: F401

    import django_static_pipe.management.commands.static_pipe_build  # noqa: F401

    before = _resident_bytes()
    started = time.perf_counter()
    if kind == "ours":
        call_command("static_pipe_build", verbosity=0)
    else:
        call_command("collectstatic", interactive=False, verbosity=0)
    seconds = time.perf_counter() - started
    peak_self = _peak_resident_bytes()
    # The workers are forked from this process after its exec, so their ru_maxrss is their own.
    peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "before": before, "peak_self": peak_self, "peak_workers": peak_workers}))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main(sys.argv[1:]))
