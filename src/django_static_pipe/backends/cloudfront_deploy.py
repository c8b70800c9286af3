"""Filling the CDN at deploy time (``static_pipe_build --upload``): every output, verified, at once.

One ListObjectsV2 pass over the keys' common prefix tells what is there already, so an unchanged
deploy sends no bytes and asks no HEAD; it runs while the upload threads read and hash the files. Only
what is missing is put, by ``workers`` threads on one client with a pooled connection for each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .cloudfront_config import CloudFrontConfig
from .cloudfront_upload import Listing, LocalFile, list_objects

if TYPE_CHECKING:
    from .cloudfront import CloudFrontProxy

logger = logging.getLogger("django_static_pipe")


@dataclass
class UploadReport:
    """What :func:`upload_all` did."""

    uploaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def upload_all(proxy: CloudFrontProxy, files: Iterable[tuple[str, str]], *, workers: int) -> UploadReport:
    """Upload every ``(uri, filepath)`` and wait for each to be verified.

    :class:`ImproperlyConfigured` when the settings block is wrong; a file that fails is in ``failed``.
    """
    config = proxy.config()
    report = UploadReport()
    jobs: dict[str, str] = {}
    for uri, filepath in files:
        try:
            key = config.object_key(urlsplit(uri).path)
        except ValueError as exc:
            report.failed[uri] = str(exc)
            continue
        if not config.wants(key):
            report.skipped.append(key)
        elif proxy.is_verified(config, key):
            report.present.append(key)
        else:
            jobs.setdefault(key, filepath)
    if not jobs:
        return report
    proxy.domain(config)  # once, before the threads: a missing distribution fails here, not per file
    todo = iter(list(jobs.items()))
    guard = threading.Lock()
    results: list[tuple[str, bool | BaseException]] = []

    def work() -> None:
        """One of ``workers`` threads: take the next file until none is left (no task per file)."""
        while True:
            with guard:
                job = next(todo, None)
            if job is None:
                return
            key, filepath = job
            try:
                local = LocalFile.read(filepath)
                if not listed.done():
                    local.md5  # noqa: B018 - what a listed ETag is compared with, hashed while waiting anyway
                outcome: bool | BaseException = proxy.upload(
                    config, key, local, listing=listed.result(), threads=workers
                )
            except Exception as exc:
                outcome = exc
            with guard:
                results.append((key, outcome))

    with ThreadPoolExecutor(max_workers=workers + 1) as pool:
        listed = pool.submit(_list, config, jobs, workers)  # one thread lists while the others hash
        threads = [pool.submit(work) for _ in range(workers)]
    for thread in threads:
        thread.result()  # a bug in work() surfaces here rather than as a file silently left out
    for key, result in sorted(results, key=lambda item: item[0]):
        if isinstance(result, BaseException):
            report.failed[key] = str(result)
        else:
            (report.uploaded if result else report.present).append(key)
    return report


def _list(config: CloudFrontConfig, keys: dict[str, str], workers: int) -> Listing | None:
    """What is under the keys' prefix; None (a HEAD per key) when listing is not allowed or failed."""
    try:
        # A page of 1,000 costs about as much as ten HEADs: list while that is cheaper than a HEAD per key.
        return list_objects(config, keys, max_pages=max(1, len(keys) // 10), threads=workers)
    except Exception as exc:  # e.g. no s3:ListBucket permission, or a timeout: the HEADs may still work
        logger.warning("django-static-pipe: listing s3://%s failed (%s); checking each key.", config.bucket, exc)
        return None
