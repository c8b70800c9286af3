"""What earlier deploys verified in S3, kept beside the manifest, so a deploy with nothing new asks S3
almost nothing.

``static_pipe_build --upload`` keeps one record per bucket (a dot-file, which the shipped nginx
config never serves): for each key it verified, the local file it verified it from (size, mtime,
inode). The next deploy takes a key whose file is still that file as present without asking S3; any
other key is looked up as before (one listing, which also checks the vouched keys it covers). Stamped
keys are write-once, so an object verified once holds the same bytes until someone deletes it: a few
keys the record vouches for are looked at each time (:data:`SPOT_CHECKS` HEADs), and when one is gone
or changed the whole record is dropped and every key checked. ``--recheck`` ignores the record. CDN
URLs are never taken from the record: a distribution made again has another domain.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from .. import locks, writer
from ..conf import pipe_settings
from .cloudfront_config import CloudFrontConfig

logger = logging.getLogger("django_static_pipe")

FORMAT_VERSION = 1
#: Keys the record vouches for that each deploy still asks S3 about: an emptied or replaced bucket is
#: noticed at once; one object deleted by hand among thousands may go unnoticed (``--recheck``).
SPOT_CHECKS = 3
#: (size, mtime in ns, inode) of the local file a key was verified from.
Signature = tuple[int, int, int]


def signature_of(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def record_path(config: CloudFrontConfig) -> str | None:
    """The record's file beside the manifest, one per S3 endpoint and bucket; None without a manifest."""
    manifest = pipe_settings.manifest_path
    if not manifest:
        return None
    target = "\0".join([config.endpoint_url or "", config.bucket])
    digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:16]
    return os.path.join(os.path.dirname(os.path.abspath(manifest)), f".static-pipe-uploaded-{digest}.json")


@dataclass
class UploadRecord:
    """The verified keys of one target: key → signature of the local file it was verified from."""

    path: str
    bucket: str
    entries: dict[str, Signature] = field(default_factory=dict)

    @classmethod
    def load(cls, config: CloudFrontConfig) -> UploadRecord | None:
        path = record_path(config)
        if path is None:
            return None
        return cls(path, config.bucket, _read(path, config.bucket))

    def vouches(self, key: str, filepath: str) -> bool:
        """True when ``key`` was verified from the file now at ``filepath``."""
        entry = self.entries.get(key)
        if entry is None:
            return False
        try:
            return signature_of(os.stat(filepath)) == entry
        except OSError:
            return False

    def save(self, verified: dict[str, Signature], *, forget: Collection[str] = (), drop: bool = False) -> None:
        """Merge ``verified`` into the file, remove ``forget`` (``drop``: everything else), under a lock, so
        two deploys at once keep each other's keys."""
        with locks.exclusive("upload-record:" + self.path):
            entries = {} if drop else _read(self.path, self.bucket)
            for key in forget:
                entries.pop(key, None)
            entries.update(verified)
            document = {
                "version": FORMAT_VERSION,
                "bucket": self.bucket,
                "keys": {key: list(signature) for key, signature in sorted(entries.items())},
            }
            data = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
            writer.write_atomic(self.path, data, durable=True)
            self.entries = entries


def _read(path: str, bucket: str) -> dict[str, Signature]:
    """The entries in ``path``; empty (with a warning) when it is missing, unreadable or not ours."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning("django-static-pipe: the upload record %s cannot be read (%s); every key is checked.", path, exc)
        return {}
    entries: dict[str, Signature] = {}
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        if document.get("version") == FORMAT_VERSION and document.get("bucket") == bucket:
            for key, signature in document["keys"].items():
                size, mtime_ns, inode = signature
                if not all(type(number) is int for number in signature):  # not 1e400, NaN, true or "3"
                    raise ValueError(f"{key!r}: {signature!r}")
                entries[key] = (size, mtime_ns, inode)
            return entries
    logger.warning("django-static-pipe: the upload record %s is not one this version wrote; all keys checked.", path)
    return {}


def forget_keys(config: CloudFrontConfig, keys: Iterable[str]) -> None:
    """Take deleted keys out of the record (``static_pipe_prune --cdn``), so no deploy trusts them."""
    record = UploadRecord.load(config)
    keys = list(keys)
    if record is not None and keys and os.path.exists(record.path):
        record.save({}, forget=keys)
