"""The S3 and CloudFront clients of the CDN proxy, the distribution, listing and pruning the bucket.

Everything here talks to AWS and may be slow or fail; none of it runs on a request thread.
"""

from __future__ import annotations

import mimetypes
import os
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ..exceptions import StaticPipeError
from .cloudfront_config import CloudFrontConfig

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError as ClientError  # re-exported for the upload module
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImproperlyConfigured("The CloudFront file proxy needs boto3: pip install django-static-pipe[s3]") from exc

STAMPED_KEY = re.compile(r"^(?P<asset>.+)\.(?P<stamp>\d{10}|[0-9a-f]{12})(?P<ext>\.[^./]+)$")
#: At least this many pooled connections per client (botocore's own default); more for more upload threads.
MIN_POOL = 10

_clients: dict[tuple[Any, ...], Any] = {}
_clients_pid = 0
_clients_lock = threading.Lock()


def _boto_config(config: CloudFrontConfig, pool: int) -> Config:
    return Config(
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        retries={"max_attempts": config.max_attempts, "mode": "standard"},
        max_pool_connections=pool,
    )


def client(config: CloudFrontConfig, service: str, *, threads: int = 1) -> Any:
    """A boto3 client shared by this process's threads, with a pooled connection for each of ``threads``.

    Clients are thread-safe (sessions are not: each client is made from a session of its own, under a
    lock); a forked child makes its own, as it must not share its parent's sockets.
    """
    global _clients_pid
    endpoint = config.endpoint_url if service == "s3" else config.cloudfront_endpoint_url
    pool = max(MIN_POOL, threads + 1)  # the upload threads and the one listing
    key = (service, config.region, endpoint, config.connect_timeout, config.read_timeout, config.max_attempts, pool)
    if _clients_pid == os.getpid():
        found = _clients.get(key)
        if found is not None:
            return found
    with _clients_lock:
        if _clients_pid != os.getpid():
            _clients.clear()
            _clients_pid = os.getpid()
        found = _clients.get(key)
        if found is None:
            session = boto3.session.Session()
            found = session.client(
                service, region_name=config.region, endpoint_url=endpoint, config=_boto_config(config, pool)
            )
            _clients[key] = found
        return found


def content_type(path: str) -> str:
    guessed, _encoding = mimetypes.guess_type(path, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return (
        f"{guessed}; charset=utf-8" if guessed in ("text/css", "text/javascript", "application/javascript") else guessed
    )


def _bucket_origins(bucket: str) -> tuple[str, ...]:
    return (f"{bucket}.s3.amazonaws.com", f"{bucket}.s3.")


def find_distribution(config: CloudFrontConfig) -> dict[str, Any] | None:
    """The distribution whose origin is the bucket, if there is one."""
    cloudfront = client(config, "cloudfront")
    marker = None
    while True:
        page = cloudfront.list_distributions(**({"Marker": marker} if marker else {}))["DistributionList"]
        for item in page.get("Items", []) or []:
            origins = item.get("Origins")
            if origins is None:  # some API versions (and moto) leave origins out of the summary
                origins = cloudfront.get_distribution(Id=item["Id"])["Distribution"]["DistributionConfig"]["Origins"]
            for origin in origins.get("Items", []):
                if origin.get("DomainName", "").startswith(_bucket_origins(config.bucket)):
                    return dict(item)
        if not page.get("IsTruncated"):
            return None
        marker = page.get("NextMarker")


def create_distribution(config: CloudFrontConfig) -> dict[str, Any]:
    """A distribution in front of the bucket, compressing what it serves."""
    origin_id = f"s3-{config.bucket}"
    response = client(config, "cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": f"django-static-pipe-{config.bucket}",
            "Comment": f"django-static-pipe assets from {config.bucket}",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": origin_id,
                        "DomainName": f"{config.bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": origin_id,
                "ViewerProtocolPolicy": "redirect-to-https",
                "Compress": True,
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )
    return dict(response["Distribution"])


def distribution_domain(config: CloudFrontConfig, *, claim: Any = None) -> str:
    """The CDN host: DOMAIN, or the domain of DISTRIBUTION_ID, or of the bucket's distribution
    (created once when CREATE_DISTRIBUTION is on; ``claim()`` says whether this process may create)."""
    if config.domain:
        return config.domain
    if config.distribution_id:
        found = client(config, "cloudfront").get_distribution(Id=config.distribution_id)
        return str(found["Distribution"]["DomainName"])
    existing = find_distribution(config)
    if existing is not None:
        return str(existing["DomainName"])
    if not config.create_distribution:
        raise ImproperlyConfigured(f"No CloudFront distribution serves the bucket {config.bucket!r}.")
    if claim is not None and not claim():
        for _attempt in range(20):  # another process is creating it: wait for it to appear
            time.sleep(0.25)
            existing = find_distribution(config)
            if existing is not None:
                return str(existing["DomainName"])
        raise StaticPipeError(f"Waited for another process to create the distribution of {config.bucket!r}.")
    return str(create_distribution(config)["DomainName"])


def list_keys(config: CloudFrontConfig) -> list[dict[str, Any]]:
    prefix = config.key_prefix.strip("/")
    paginator = client(config, "s3").get_paginator("list_objects_v2")
    objects: list[dict[str, Any]] = []
    for page in paginator.paginate(Bucket=config.bucket, Prefix=f"{prefix}/" if prefix else ""):
        objects.extend(page.get("Contents", []))
    return objects


def plan_prune(objects: Iterable[dict[str, Any]], keep: int, protected: set[str]) -> list[str]:
    """Keys of stamped objects beyond the ``keep`` newest of each asset, never a protected one."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in objects:
        match = STAMPED_KEY.match(item["Key"])
        if match:
            groups[match["asset"] + match["ext"]].append(item)
    doomed: list[str] = []
    for items in groups.values():
        others = [item for item in items if item["Key"] not in protected]
        others.sort(key=lambda item: (item["LastModified"], item["Key"]), reverse=True)
        doomed.extend(item["Key"] for item in others[keep:])
    return sorted(doomed)


def delete_keys(config: CloudFrontConfig, keys: list[str]) -> int:
    s3 = client(config, "s3")
    deleted = 0
    for start in range(0, len(keys), 1000):  # the most one DeleteObjects call takes
        batch = keys[start : start + 1000]
        response = s3.delete_objects(Bucket=config.bucket, Delete={"Objects": [{"Key": key} for key in batch]})
        deleted += len(response.get("Deleted", []))
    return deleted
