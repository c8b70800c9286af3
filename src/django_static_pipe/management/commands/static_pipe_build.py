"""``manage.py static_pipe_build``: build every asset the templates name, and write the manifest."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import offline
from ...conf import pipe_settings
from ...discovery import Use, find_uses
from ...manifest import get_manifest
from ...pipeline import local_url_for, to_entry
from ...writer import remove_stale_temporaries

BAR_WIDTH = 30


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


class Command(BaseCommand):
    help = "Build every asset named by the five tags in the project's templates and write the manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="build nothing; list missing files and references")
        parser.add_argument("--upload", action="store_true", help="then upload every output through the file proxy")
        parser.add_argument(
            "--upload-workers",
            type=int,
            default=None,
            metavar="N",
            help="with --upload: upload N files at a time (default: the proxy's own, 8 for CloudFront)",
        )
        parser.add_argument(
            "--recheck",
            action="store_true",
            help="with --upload: ask the CDN about every file, whatever earlier deploys recorded as uploaded",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        found = find_uses()
        for skipped in found.skipped:
            self._say(f"skipped {skipped.place}: {skipped.reason}", level=1)
        if options["check"]:
            self._check(found)
            return
        if options["upload_workers"] is not None and options["upload_workers"] < 1:
            raise CommandError("--upload-workers must be at least 1.")
        if options["recheck"] and not options["upload"]:
            raise CommandError("--recheck goes with --upload.")
        if not pipe_settings.enabled:
            raise CommandError("DJANGO_STATIC is False: set it to True in the settings you deploy with, then build.")
        manifest_path = pipe_settings.manifest_path
        if manifest_path is None:
            raise CommandError(
                "There is no place for the manifest: set DJANGO_STATIC_SAVE_PREFIX or DJANGO_STATIC_MANIFEST_PATH."
            )
        if pipe_settings.save_prefix and os.path.isdir(pipe_settings.save_prefix):
            leftovers = remove_stale_temporaries(pipe_settings.save_prefix)
            if leftovers:
                self._say(f"removed {len(leftovers)} temporary files left by an interrupted build", level=1)
        result = offline.build_all(found, progress=self._progress)
        if result.errors:
            raise CommandError("The build failed:\n  " + "\n  ".join(result.errors))
        manifest = get_manifest(manifest_path)
        result.manifest_written = manifest.replace({key: to_entry(b, manifest) for key, b in result.entries.items()})
        self._summary(found.templates, len(found.uses), result)
        if not pipe_settings.use_manifest_file:
            self._say("note: renders read this manifest only with DJANGO_STATIC_USE_MANIFEST_FILE = True.", level=1)
        if options["upload"]:
            self._upload(result, options["upload_workers"], recheck=options["recheck"])

    # -- output --------------------------------------------------------------------------------------

    def _say(self, line: str, level: int = 1) -> None:
        if self.verbosity >= level:
            self.stdout.write(line)

    def _progress(self, done: int, total: int, use: Use) -> None:
        if self.verbosity < 1:
            return
        label = "; ".join(use.names)
        if getattr(self.stdout, "isatty", lambda: False)():
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stdout.write(f"\r[{bar}] {done}/{total} {label[:60]:<60}", ending="")
            if done == total:
                self.stdout.write("")
        else:
            self.stdout.write(f"[{done}/{total}] {'slim' if use.slim else 'static'} {label}")

    def _summary(self, templates: int, uses: int, result: offline.BuildResult) -> None:
        if self.verbosity < 1:
            return
        sizes = offline.sizes(result.entries)
        compressed = f"gzip {_human(sizes.gzip)}" + (f", brotli {_human(sizes.brotli)}" if sizes.brotli else "")
        wrote = f"wrote {result.files_written} files" if result.files_written else "wrote nothing (all up to date)"
        self._say(
            f"Built {sizes.files} files for {uses} uses in {templates} templates in {result.seconds:.2f}s "
            f"({result.processes} processes): sources {_human(sizes.source)} -> output {_human(sizes.output)} "
            f"({compressed}); {wrote}; manifest {'written' if result.manifest_written else 'unchanged'}."
        )

    def _check(self, found: Any) -> None:
        problems = offline.check_all(found)
        if problems:
            raise CommandError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
        self._say(f"All {len(found.uses)} assets named in {found.templates} templates exist.")

    def _upload(self, result: offline.BuildResult, workers: int | None, *, recheck: bool) -> None:
        from ...proxy import load_proxy

        dotted_path = pipe_settings.file_proxy
        proxy = load_proxy(dotted_path) if dotted_path else None
        upload_all = getattr(proxy, "upload_all", None)
        if upload_all is None:
            raise CommandError(
                f"DJANGO_STATIC_FILE_PROXY = {dotted_path!r} cannot upload ahead of time (no upload_all)."
            )
        files = [(local_url_for(b.url_path), b.filepath) for b in result.entries.values() if b.filepath]
        # Only what was asked for is passed on: a proxy of the project's own may take neither keyword.
        options = {**({"workers": workers} if workers is not None else {}), **({"recheck": True} if recheck else {})}
        try:
            report = upload_all(files, **options)
        except ImproperlyConfigured as exc:
            raise CommandError(f"Nothing was uploaded: {exc}") from exc
        self._say(
            f"Uploaded {len(report.uploaded)}, already present {len(report.present)}, "
            f"not for the CDN {len(report.skipped)}, failed {len(report.failed)}."
        )
        if report.failed:
            lines = [f"{key}: {error}" for key, error in sorted(report.failed.items())]
            raise CommandError("Some uploads failed:\n  " + "\n  ".join(lines))
