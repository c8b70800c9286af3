"""Filling the CDN at deploy time (``static_pipe_build --upload``): every output, verified, at once.

A key the upload record (:mod:`.cloudfront_record`) vouches for is present without a request, after
a spot check of a few of them. For the others, one ListObjectsV2 pass over their common prefix tells
what is there already, so an unchanged deploy sends no bytes and asks no HEAD; it runs while the upload
threads read and hash the files. Only what is missing is put, by ``workers`` threads on one client
with a pooled connection for each.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Collection, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .cloudfront_config import CloudFrontConfig
from .cloudfront_record import SPOT_CHECKS, Signature, UploadRecord
from .cloudfront_upload import Listing, LocalFile, list_objects, object_holds

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


def upload_all(
    proxy: CloudFrontProxy, files: Iterable[tuple[str, str]], *, workers: int, recheck: bool = False
) -> UploadReport:
    """Upload every ``(uri, filepath)`` and wait for each to be verified.

    A key the upload record vouches for (its file unchanged since an earlier deploy verified it) is
    present without a request, unless ``recheck``. :class:`ImproperlyConfigured` when the settings
    block is wrong; a file that fails is in ``failed``.
    """
    config = proxy.config()
    report = UploadReport()
    record = UploadRecord.load(config)
    jobs: dict[str, str] = {}
    vouched: dict[str, str] = {}  # key -> filepath, for keys the record vouches for
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
        elif record is not None and not recheck and record.vouches(key, filepath):
            vouched.setdefault(key, filepath)
        else:
            jobs.setdefault(key, filepath)
    stale = bool(vouched) and not _spot_check(config, vouched, workers)
    if stale:
        jobs.update(vouched)
        vouched = {}
    if not jobs and not vouched:
        return report
    # Once, before the threads: a missing distribution fails here, not per file. The CDN URLs come from
    # it, never from the record: a distribution made again has another domain.
    domain = proxy.domain(config)
    verified: dict[str, Signature] = {}
    unsure: list[str] = []  # keys S3 could not confirm: the record stops vouching for them
    listing: Listing | None = None
    if jobs:
        # Keys the record vouches for that the listing covers are checked against it too: one it shows
        # gone or changed (expired by a lifecycle rule, deleted by hand) is checked and put again.
        results, listing = _upload(proxy, config, jobs, workers)
        recorded = record.entries if record is not None else {}  # every vouched key is in it
        gone = {key: vouched.pop(key) for key in sorted(vouched) if _not_listed(listing, key, recorded[key][0])}
        if gone:
            logger.warning(
                "django-static-pipe: %d objects the upload record vouched for are gone or changed in s3://%s "
                "(%s…); they are uploaded again.",
                len(gone),
                config.bucket,
                next(iter(gone)),
            )
            results += _upload(proxy, config, gone, workers, listing=listing)[0]
        for key, result, signature in sorted(results, key=lambda item: item[0]):
            if isinstance(result, BaseException):
                report.failed[key] = str(result)
                unsure.append(key)
                continue
            (report.uploaded if result else report.present).append(key)
            if signature is not None:
                verified[key] = signature
    for key in vouched:
        try:
            proxy.remember_verified(config, key, config.url(domain, key))
        except Exception as exc:  # a cache server down: reported with the key, the record still vouches
            report.failed[key] = f"its CDN URL could not be handed to the SlowMap: {exc}"
            continue
        report.present.append(key)
    if record is not None and (verified or unsure or stale or recheck):
        _keep(record, verified, forget=unsure, drop=stale or recheck)
    report.present.sort()
    return report


Outcome = tuple[str, "bool | BaseException", "Signature | None"]


def _upload(
    proxy: CloudFrontProxy,
    config: CloudFrontConfig,
    jobs: dict[str, str],
    workers: int,
    *,
    listing: Listing | None = None,
) -> tuple[list[Outcome], Listing | None]:
    """Upload ``jobs`` (key → file) with ``workers`` threads, one more listing their keys meanwhile
    (unless a ``listing`` is given); what happened to each key, and the listing."""
    todo = iter(list(jobs.items()))
    guard = threading.Lock()
    results: list[Outcome] = []

    def work() -> None:
        """One of ``workers`` threads: take the next file until none is left (no task per file)."""
        while True:
            with guard:
                job = next(todo, None)
            if job is None:
                return
            key, filepath = job
            signature = None
            try:
                local = LocalFile.read(filepath)
                signature = local.signature
                if not listed.done():
                    local.md5  # noqa: B018 - what a listed ETag is compared with, hashed while waiting anyway
                outcome: bool | BaseException = proxy.upload(
                    config, key, local, listing=listed.result(), threads=workers
                )
            except Exception as exc:
                outcome = exc
            with guard:
                results.append((key, outcome, signature))

    with ThreadPoolExecutor(max_workers=workers + 1) as pool:
        if listing is None:
            listed = pool.submit(_list, config, jobs, workers)  # one thread lists while the others hash
        else:
            listed = Future()
            listed.set_result(listing)
        threads = [pool.submit(work) for _ in range(workers)]
    for thread in threads:
        thread.result()  # a bug in work() surfaces here rather than as a file silently left out
    return results, listed.result()


def _not_listed(listing: Listing | None, key: str, size: int) -> bool:
    """True when a complete enough ``listing`` shows ``key`` missing, or of another ``size`` than its
    file (the record's: the file was just found unchanged)."""
    if listing is None:
        return False
    known, stored = listing.lookup(key)
    return known and (stored is None or stored.size != size)


def _spot_check(config: CloudFrontConfig, vouched: dict[str, str], workers: int) -> bool:
    """True when a few of the keys the record vouches for still hold their files' bytes in S3."""
    sample = random.sample(sorted(vouched), min(SPOT_CHECKS, len(vouched)))
    for key in sample:
        try:
            holds = object_holds(config, key, LocalFile.read(vouched[key]), threads=workers)
        except Exception as exc:  # S3 unreachable: the full check reports it key by key
            logger.warning("django-static-pipe: could not check s3://%s/%s (%s).", config.bucket, key, exc)
            return False
        if not holds:
            logger.warning(
                "django-static-pipe: s3://%s/%s is gone or changed since the upload record vouched for it; "
                "the record is dropped and every key checked.",
                config.bucket,
                key,
            )
            return False
    return True


def _keep(record: UploadRecord, verified: dict[str, Signature], *, forget: Iterable[str], drop: bool) -> None:
    """Write what this deploy verified into the record; a record that cannot be written only costs the
    next deploy a listing."""
    try:
        record.save(verified, forget=list(forget), drop=drop)
    except OSError as exc:
        logger.warning("django-static-pipe: could not write the upload record %s (%s).", record.path, exc)


def _list(config: CloudFrontConfig, keys: Collection[str], workers: int) -> Listing | None:
    """What is under the keys' prefix; None (a HEAD per key) when listing is not allowed or failed."""
    try:
        # A page of 1,000 costs about as much as ten HEADs: list while that is cheaper than a HEAD per key.
        return list_objects(config, keys, max_pages=max(1, len(keys) // 10), threads=workers)
    except Exception as exc:  # e.g. no s3:ListBucket permission, or a timeout: the HEADs may still work
        logger.warning("django-static-pipe: listing s3://%s failed (%s); checking each key.", config.bucket, exc)
        return None
