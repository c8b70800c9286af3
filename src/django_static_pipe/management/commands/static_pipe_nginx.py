"""``manage.py static_pipe_nginx [--full]``: the nginx configuration for the current settings."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import pipe_settings
from ...nginx_config import full_config, locations, options_from_settings


class Command(BaseCommand):
    help = (
        "Print nginx location blocks that serve the stamped files with far-future headers and proxy the rest "
        "to Django; with --full, a whole nginx configuration that `nginx -t` accepts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="print a whole nginx.conf, not only the locations")
        parser.add_argument("--listen", help="with --full: what the server listens on (default 8080)")
        parser.add_argument(
            "--upstream", help="with --full: Django's address, host:port or unix:/path (default 127.0.0.1:8000)"
        )
        parser.add_argument("--root", help="the folder of stamped files (default DJANGO_STATIC_SAVE_PREFIX)")
        parser.add_argument("--run-dir", help="with --full: folder for nginx's pid, logs and temporary files")
        parser.add_argument(
            "--brotli", choices=["auto", "on", "off"], default="auto", help="brotli_static (default: if installed)"
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
        overrides: dict[str, object] = {
            "save_folder": os.path.abspath(root),
            "listen": options["listen"],
            "upstream": options["upstream"],
            "run_dir": options["run_dir"],
        }
        if options["brotli"] != "auto":
            overrides["brotli"] = options["brotli"] == "on"
        config = options_from_settings(**overrides)
        self.stdout.write(full_config(config) if options["full"] else locations(config), ending="")
