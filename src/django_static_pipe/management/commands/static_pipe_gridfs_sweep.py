"""``manage.py static_pipe_gridfs_sweep --older-than HOURS [--dry-run]``: remove what failed uploads left.

``--older-than`` must be at least the longest possible upload (the storage's ``max_upload_seconds``
plus its socket timeout): a shorter age would take the chunks of an upload still running.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import pipe_settings


class Command(BaseCommand):
    help = (
        "Remove GridFS chunks that no file owns and uploads that never finished (left by interrupted uploads), "
        "older than --older-than hours."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=24.0,
            metavar="HOURS",
            help="only uploads older than this many hours (default 24; at least the storage's max_upload_seconds)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would be removed; remove nothing")
        parser.add_argument(
            "--storage", default=None, help="the STORAGES alias (default: DJANGO_STATIC_GRIDFS_STORAGE)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from ...backends import gridfs_sweep
        from ...backends.gridfs import GridFSStorage

        if options["older_than"] < 0:
            raise CommandError("--older-than must not be negative.")
        alias = options["storage"] or pipe_settings.gridfs_storage_alias
        storage = storages[alias]
        if not isinstance(storage, GridFSStorage):
            raise CommandError(f"The storage {alias!r} is a {type(storage).__name__}, not a GridFSStorage.")
        try:
            planned = gridfs_sweep.plan(storage, timedelta(hours=options["older_than"]))
        except gridfs_sweep.SweepTooEarlyError as exc:
            raise CommandError(str(exc)) from exc
        if options["dry_run"]:
            self.stdout.write(
                f"Would remove {planned.chunks} orphaned chunks of {planned.uploads} interrupted uploads (dry run)."
            )
            return
        documents, removed = gridfs_sweep.carry_out(storage, planned)
        extra = f" ({documents} unfinished file documents removed first)" if documents else ""
        self.stdout.write(f"Removed {removed} orphaned chunks of {planned.uploads} interrupted uploads{extra}.")
