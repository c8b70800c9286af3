"""``manage.py static_pipe_gridfs_sweep --older-than HOURS [--dry-run]``: remove orphaned GridFS chunks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import pipe_settings


class Command(BaseCommand):
    help = "Remove GridFS chunks that no file owns (left by interrupted uploads), older than --older-than hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=24.0,
            metavar="HOURS",
            help="only chunks whose newest piece is older than this many hours (default 24)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be removed; remove nothing")
        parser.add_argument(
            "--storage", default=None, help="the STORAGES alias (default: DJANGO_STATIC_GRIDFS_STORAGE)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from ...backends.gridfs import GridFSStorage
        from ...backends.gridfs_sweep import find_orphans, remove_orphans

        if options["older_than"] < 0:
            raise CommandError("--older-than must not be negative.")
        alias = options["storage"] or pipe_settings.gridfs_storage_alias
        storage = storages[alias]
        if not isinstance(storage, GridFSStorage):
            raise CommandError(f"The storage {alias!r} is a {type(storage).__name__}, not a GridFSStorage.")
        orphans = find_orphans(storage, timedelta(hours=options["older_than"]))
        chunks = sum(orphan.chunks for orphan in orphans)
        if options["dry_run"]:
            self.stdout.write(f"Would remove {chunks} orphaned chunks of {len(orphans)} interrupted uploads (dry run).")
            return
        removed = remove_orphans(storage, orphans)
        self.stdout.write(f"Removed {removed} orphaned chunks of {len(orphans)} interrupted uploads.")
