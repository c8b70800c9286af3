"""The S3 + CloudFront file proxy: ``DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"``.

A render never waits for AWS. The first render of a produced file queues its upload and gets the
local URL; a background thread uploads it, verifies what S3 stored, and only then puts its CDN URL
in a :class:`~django_static_pipe.slowmap.SlowMap`, which releases it once the CDN has had
``PROPAGATION_SECONDS`` to propagate. Until then, and whenever anything failed, the local URL is used.
A key verified once is remembered in-process and never sent to S3 again.

A bad ``DJANGO_STATIC_CLOUDFRONT`` raises :class:`ImproperlyConfigured` wherever the proxy is called or
configured (the system check reports it first); on the render path ``call_proxy`` logs it and the page
gets the local URL, so a misconfigured CDN never breaks a page.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..conf import pipe_settings
from ..slowmap import CacheSlowMap, Clock, SlowMap
from . import cloudfront_aws as aws
from . import cloudfront_deploy as deploy
from .cloudfront_config import CloudFrontConfig, parse
from .cloudfront_deploy import UploadReport as UploadReport
from .cloudfront_upload import Listing, LocalFile, UploadConflictError, upload_verified

logger = logging.getLogger("django_static_pipe")

QUEUE_SIZE = 1024  # uploads waiting; past this a render just skips queueing and a later one retries
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 600.0
UPLOAD_WORKERS = 8  # threads of upload_all; S3 answers each PUT in tens of milliseconds, so more than cores
VERIFIED_LIMIT = 100_000  # keys remembered as verified; the oldest is forgotten past this (it costs a HEAD)


@dataclass
class _Job:
    config: CloudFrontConfig
    key: str
    filepath: str


class CloudFrontProxy:
    """The file proxy. ``file_proxy`` below is the instance settings name; tests make their own
    with an injected ``clock``."""

    def __init__(self, *, clock: Clock = time.time, queue_size: int = QUEUE_SIZE) -> None:
        self.clock = clock
        self.queue_size = queue_size
        self._config: tuple[Any, CloudFrontConfig] | None = None
        self._released: dict[str, str] = {}
        self._maps: dict[tuple[Any, ...], SlowMap | CacheSlowMap] = {}
        self._domains: dict[CloudFrontConfig, str] = {}
        self._pending: set[str] = set()
        self._retry_at: dict[str, tuple[int, float]] = {}
        self._guard = threading.Condition()
        self._queue: queue.Queue[_Job] | None = None
        self._worker_pid = 0
        self._verified: dict[tuple[CloudFrontConfig, str], str] = {}
        self._lost_logged = False

    # -- configuration ---------------------------------------------------------------------------------

    def config(self) -> CloudFrontConfig:
        """The parsed ``DJANGO_STATIC_CLOUDFRONT``, parsed again only when the setting changes.

        :class:`ImproperlyConfigured` names what is wrong (an unknown key, and every valid one).
        """
        raw = pipe_settings.cloudfront
        cached = self._config
        if cached is not None and cached[0] is raw:
            return cached[1]
        config = parse(raw)
        self._config = (raw, config)
        self._released = {}
        return config

    def slowmap(self, config: CloudFrontConfig) -> SlowMap | CacheSlowMap:
        identity = (config.slowmap, config.propagation_seconds, config.bucket, config.key_prefix)
        found = self._maps.get(identity)
        if found is None:
            if config.slowmap == "memory":
                found = SlowMap(config.propagation_seconds, clock=self.clock)
            else:
                prefix = f"django-static-pipe:cdn:{config.bucket}:{config.key_prefix}:"
                found = CacheSlowMap(config.propagation_seconds, prefix=prefix, clock=self.clock)
            found = self._maps.setdefault(identity, found)
        return found

    # -- the render path -------------------------------------------------------------------------------

    def __call__(
        self,
        uri: str,
        *,
        new: bool = False,
        changed: bool = False,
        checked: bool = False,
        notfound: bool = False,
        filepath: str | None = None,
        sources: Sequence[str] = (),
        disabled: bool = False,
        **extra: Any,
    ) -> str:
        cached = self._config
        # A bad block raises in config(), for every caller; call_proxy logs it once for a render.
        config = cached[1] if cached is not None and cached[0] is pipe_settings.cloudfront else self.config()
        if disabled or notfound or not filepath:
            return uri
        # A released CDN URL never changes for this block of settings: the warm path is one lookup.
        released = self._released.get(uri)
        if released is not None:
            return released
        try:
            key = config.object_key(urlsplit(uri).path)
        except ValueError:
            logger.warning("django-static-pipe: %r cannot be a CDN key; using the local URL.", uri)
            return uri
        if not config.wants(key):
            return uri
        try:
            slowmap = self.slowmap(config)
            cdn_url = slowmap.get(key)
            if cdn_url is not None:
                self._released[uri] = str(cdn_url)
                return str(cdn_url)
            verified = self._verified.get((config, key))
            if verified is None:
                self._schedule(_Job(config, key, filepath), slowmap)
            elif not slowmap.is_set(key):  # the shared cache lost it: put it back, without asking S3 again
                slowmap[key] = verified
        except Exception:  # a cache server down must not break the page either
            logger.exception("django-static-pipe: the CDN proxy failed for %s; using the local URL.", uri)
        return uri

    def _schedule(self, job: _Job, slowmap: SlowMap | CacheSlowMap) -> None:
        with self._guard:
            if job.key in self._pending:
                return
            retry = self._retry_at.get(job.key)
            if retry is not None and time.monotonic() < retry[1]:
                return
        if slowmap.is_set(job.key):  # uploaded already, by this process or another: waiting for release
            return
        jobs = self._ensure_worker()
        with self._guard:
            self._pending.add(job.key)
        try:
            jobs.put_nowait(job)
        except queue.Full:
            with self._guard:
                self._pending.discard(job.key)
                self._guard.notify_all()

    # -- the background worker -------------------------------------------------------------------------

    def _ensure_worker(self) -> queue.Queue[_Job]:
        with self._guard:
            if self._queue is None or self._worker_pid != os.getpid():  # none yet, or we are a forked child
                self._queue = queue.Queue(self.queue_size)
                self._worker_pid = os.getpid()
                self._pending.clear()  # a forked child inherits the parent's set, not its thread
                thread = threading.Thread(target=self._work, args=(self._queue,), name="static-pipe-cdn", daemon=True)
                thread.start()
            return self._queue

    def _work(self, jobs: queue.Queue[_Job]) -> None:
        while True:
            job = jobs.get()
            try:
                self.upload(job.config, job.key, job.filepath)
            except Exception as exc:
                self._note_failure(job.key, exc)
            finally:
                with self._guard:
                    self._pending.discard(job.key)
                    self._guard.notify_all()
                jobs.task_done()

    def _note_failure(self, key: str, exc: BaseException) -> None:
        with self._guard:
            attempts = self._retry_at.get(key, (0, 0.0))[0] + 1
            delay = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
            self._retry_at[key] = (attempts, time.monotonic() + delay)
        level = logging.ERROR if isinstance(exc, UploadConflictError) else logging.WARNING
        logger.log(level, "django-static-pipe: uploading %s failed (%s); retrying after %.0fs.", key, exc, delay)

    def domain(self, config: CloudFrontConfig) -> str:
        found = self._domains.get(config)
        if found is None:
            found = aws.distribution_domain(config, claim=lambda: _claim_creation(config))
            self._domains[config] = found
        return found

    def upload(
        self,
        config: CloudFrontConfig,
        key: str,
        source: str | LocalFile,
        *,
        listing: Listing | None = None,
        threads: int = 1,
    ) -> bool:
        """Upload and verify one file (a path, or a file read already), then hand its CDN URL to the
        SlowMap. True if bytes were sent."""
        sent = upload_verified(config, key, source, listing=listing, threads=threads)
        self.remember_verified(config, key, config.url(self.domain(config), key))
        with self._guard:
            self._retry_at.pop(key, None)
        return sent

    def remember_verified(self, config: CloudFrontConfig, key: str, url: str) -> None:
        """``key`` holds our bytes (S3 said so, or the upload record did): its CDN URL goes to the SlowMap."""
        with self._guard:
            if len(self._verified) >= VERIFIED_LIMIT:
                del self._verified[next(iter(self._verified))]
            self._verified[(config, key)] = url
        slowmap = self.slowmap(config)
        slowmap[key] = url
        if not self._lost_logged and not slowmap.is_set(key):
            self._lost_logged = True
            logger.error(
                "django-static-pipe: SLOWMAP = 'cache' but the default cache keeps nothing (a DummyCache?), so "
                "CDN URLs are never released. Use a cache shared by every process, or SLOWMAP = 'memory'."
            )

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no upload is queued or running; False on timeout (for tests and deploy scripts)."""
        deadline = time.monotonic() + timeout
        with self._guard:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._guard.wait(remaining)
        return True

    def forget_failures(self) -> None:
        """Let failed uploads be tried again at the next render instead of after their backoff."""
        with self._guard:
            self._retry_at.clear()

    # -- the offline build -----------------------------------------------------------------------------

    def upload_all(
        self, files: Iterable[tuple[str, str]], *, workers: int = UPLOAD_WORKERS, recheck: bool = False
    ) -> UploadReport:
        """Upload every ``(uri, filepath)`` now and wait for each to be verified, so a deploy can fill
        the CDN before traffic arrives (see :mod:`.cloudfront_deploy`); ``recheck`` asks S3 about every
        key, whatever the upload record says."""
        return deploy.upload_all(self, files, workers=workers, recheck=recheck)

    def is_verified(self, config: CloudFrontConfig, key: str) -> bool:
        """True when this process has verified ``key`` already (it is never sent to S3 again)."""
        return (config, key) in self._verified


def _claim_creation(config: CloudFrontConfig) -> bool:
    """One process in the whole deployment may create the distribution: the one that adds this key."""
    from django.core.cache import cache

    return bool(cache.add(f"django-static-pipe:cdn-create:{config.bucket}", os.getpid(), timeout=300))


#: The proxy instance to name in ``DJANGO_STATIC_FILE_PROXY``.
file_proxy = CloudFrontProxy()
