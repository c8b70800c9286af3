"""``manage.py static_pipe_nginx [--http | --full]``: the nginx configuration for the current settings."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import pipe_settings
from ...nginx_check import check_config, make_run_dir
from ...nginx_config import full_config, http_part, server_part
from ...nginx_site import options_from_settings


class Command(BaseCommand):
    help = (
        "Print the nginx location blocks for this project (stamped files, STATIC_ROOT, MEDIA_ROOT or the GridFS "
        "cache, the rest proxied to Django); --http prints what they need inside http { }; --full prints a whole "
        "nginx.conf that `nginx -t` accepts as printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        part = parser.add_mutually_exclusive_group()
        part.add_argument("--full", action="store_true", help="print a whole nginx.conf")
        part.add_argument("--http", action="store_true", help="print the part to include once inside http { }")
        parser.add_argument("--listen", help="with --full: what the server listens on (default 8080)")
        parser.add_argument("--upstream", help="Django's address, host:port or unix:/path (default 127.0.0.1:8000)")
        parser.add_argument("--root", help="the folder of stamped files (default DJANGO_STATIC_SAVE_PREFIX)")
        parser.add_argument(
            "--run-dir",
            help="folder for nginx's pid, logs, temporary files and the media cache; created if missing "
            "(default: relative paths, under the folder given to `nginx -p`)",
        )
        parser.add_argument("--mime-types", help="with --full: nginx's mime.types (default /etc/nginx/mime.types)")
        parser.add_argument("--media-cache-size", help="most disk the GridFS media cache may use (default 1g)")
        parser.add_argument(
            "--brotli",
            choices=["auto", "on", "off"],
            default="auto",
            help="brotli_static for files and brotli for Django's answers (default: each if its module is installed)",
        )
        parser.add_argument(
            "--check-with-nginx",
            action="store_true",
            help="before printing, run `nginx -t` on the whole configuration in a temporary folder",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not pipe_settings.name_prefix:
            raise CommandError(
                "DJANGO_STATIC_NAME_PREFIX is empty: nginx needs a URL prefix such as '/cache-forever' to know "
                "which requests are stamped files."
            )
        root = options["root"] or pipe_settings.save_prefix
        if not root:
            raise CommandError("DJANGO_STATIC_SAVE_PREFIX is empty: give the folder of stamped files with --root.")
        run_dir = os.path.abspath(options["run_dir"]) if options["run_dir"] else None
        overrides: dict[str, object] = {
            "save_folder": os.path.abspath(root),
            "listen": options["listen"],
            "upstream": options["upstream"],
            "run_dir": run_dir,
            "media_cache_size": options["media_cache_size"],
            "mime_types": options["mime_types"],
        }
        if options["brotli"] != "auto":
            overrides["brotli"] = options["brotli"] == "on"
        try:
            config = options_from_settings(**overrides)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        for note in config.notes:
            self.stderr.write(f"static_pipe_nginx: {note}")
        if run_dir and make_run_dir(run_dir):
            self.stderr.write(f"static_pipe_nginx: created the run-time folder {run_dir}")
        if options["check_with_nginx"]:
            self._check(full_config(config))
        if options["full"]:
            self.stdout.write(full_config(config), ending="")
        elif options["http"]:
            self.stdout.write(http_part(config), ending="")
        else:
            self.stdout.write(server_part(config), ending="")

    def _check(self, config: str) -> None:
        try:
            result = check_config(config)
        except FileNotFoundError as exc:
            raise CommandError(f"--check-with-nginx: {exc}.") from exc
        if not result.ok:
            raise CommandError(f"nginx -t refused the configuration:\n{result.output}")
        self.stderr.write(f"static_pipe_nginx: nginx -t accepts it ({result.output.splitlines()[-1]})")
