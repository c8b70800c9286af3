"""ManifestStaticFilesStorage that keeps a reference to a missing file as it is written, as our pipeline
does (with a warning), instead of failing the whole collectstatic: real libraries reference files
they do not ship (tachyons 4.12.0 has a commented-out ``@import './_debug'``, which Django reads)."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class TolerantManifestStaticFilesStorage(ManifestStaticFilesStorage):
    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:  # "The file ... could not be found": the reference stays as written
            return name
