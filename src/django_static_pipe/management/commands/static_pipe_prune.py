"""``manage.py static_pipe_prune``: remove outputs the manifest no longer names (or, with ``--cdn``, S3 objects)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import prune
from ...conf import pipe_settings
from ...manifest import get_manifest
from ...pipeline import local_url_for


class Command(BaseCommand):
    help = (
        "Remove stamped outputs (and their .gz/.br siblings) that the manifest no longer names, keeping the "
        "newest --keep generations of each asset. With --cdn, plan the same for the S3 bucket: a dry run "
        "unless --delete is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep", type=int, default=2, help="older generations to keep per asset (default 2)")
        parser.add_argument("--dry-run", action="store_true", help="show what would be removed; remove nothing")
        parser.add_argument("--cdn", action="store_true", help="prune the S3 bucket of the CloudFront proxy instead")
        parser.add_argument("--delete", action="store_true", help="with --cdn: really delete (default: dry run)")

    def _named(self) -> tuple[set[str], list[str]]:
        path = pipe_settings.manifest_path
        if not path or not os.path.exists(path):
            raise CommandError(
                f"No manifest at {path!r}: run `manage.py static_pipe_build` first, so pruning knows what is in use."
            )
        manifest = get_manifest(path)
        entries = manifest.entries()
        files = {manifest.from_stored_path(entry["file"]) for entry in entries.values() if entry.get("file")}
        files |= {manifest.from_stored_path(entry["map"]) for entry in entries.values() if entry.get("map")}
        url_paths = [entry["path"] for entry in entries.values() if entry.get("path")]
        return files, url_paths

    def handle(self, *args: Any, **options: Any) -> None:
        if options["keep"] < 0:
            raise CommandError("--keep must not be negative.")
        files, url_paths = self._named()
        if options["cdn"]:
            self._prune_cdn(url_paths, options["keep"], apply=options["delete"])
            return
        if not pipe_settings.save_prefix:
            raise CommandError(
                "DJANGO_STATIC_SAVE_PREFIX is empty, so outputs sit among the sources; pruning there could take a "
                "source file whose name looks stamped. Set DJANGO_STATIC_SAVE_PREFIX to prune."
            )
        doomed = prune.plan([pipe_settings.save_prefix], {os.path.normpath(f) for f in files}, options["keep"])
        if options["dry_run"]:
            for path in doomed:
                self.stdout.write(f"would remove {path}")
            self.stdout.write(f"{len(doomed)} outputs would be removed (dry run).")
            return
        removed = prune.remove(doomed)
        if options["verbosity"] > 1:
            for path in removed:
                self.stdout.write(f"removed {path}")
        self.stdout.write(f"Removed {len(doomed)} outputs ({len(removed)} files with their siblings).")

    def _prune_cdn(self, url_paths: list[str], keep: int, *, apply: bool) -> None:
        from urllib.parse import urlsplit

        from ...backends import cloudfront_aws as aws
        from ...backends.cloudfront_config import parse
        from ...backends.cloudfront_record import forget_keys, record_path

        config = parse(pipe_settings.cloudfront)
        protected = {config.object_key(urlsplit(local_url_for(path)).path) for path in url_paths}
        doomed = aws.plan_prune(aws.list_keys(config), keep, protected)
        if not apply:
            for key in doomed:
                self.stdout.write(f"would delete s3://{config.bucket}/{key}")
            self.stdout.write(f"{len(doomed)} objects would be deleted (dry run; add --delete to delete them).")
            return
        try:  # first: a deletion cut short must not leave keys a later deploy takes as present
            forget_keys(config, doomed)
        except OSError as exc:
            raise CommandError(
                f"Nothing was deleted: the upload record {record_path(config)} could not be updated ({exc}), "
                "and a later --upload would take the deleted objects as present."
            ) from exc
        deleted = aws.delete_keys(config, doomed)
        self.stdout.write(f"Deleted {deleted} objects from s3://{config.bucket}.")
