"""CDN fixtures: a fresh bucket on the harness's moto server and a proxy with a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devservers.moto import Request
from django_static_pipe import proxy as proxy_module
from django_static_pipe.backends.cloudfront import CloudFrontProxy
from tests import proxies

DOMAIN = "d111111abcdef8.cloudfront.test"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Cdn:
    proxy: CloudFrontProxy
    clock: FakeClock
    s3: Any
    bucket: str
    endpoint_url: str
    server: Any

    def settings_block(self, **overrides: Any) -> dict[str, Any]:
        block = {
            "BUCKET": self.bucket,
            "DOMAIN": DOMAIN,
            "REGION": "us-east-1",
            "ENDPOINT_URL": self.endpoint_url,
            "CLOUDFRONT_ENDPOINT_URL": self.endpoint_url,
            "KEY_PREFIX": "assets",
            "SLOWMAP": "memory",
            "CONNECT_TIMEOUT": 1,
            "READ_TIMEOUT": 2,
            "MAX_ATTEMPTS": 1,
        }
        block.update(overrides)
        return block

    def mark(self) -> int:
        """A point in moto's request log; :meth:`requests` counts what this test's bucket got after it."""
        return int(self.server.log_mark())

    def requests(self, since: int, method: str | None = None) -> list[Request]:
        found: list[Request] = self.server.requests(since, bucket=self.bucket)
        return [request for request in found if method is None or request.method == method]

    def keys(self) -> list[str]:
        return sorted(item["Key"] for item in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []))


@pytest.fixture
def cdn(site: Any, settings: Any, moto_server: Any) -> Iterator[Cdn]:
    bucket = "assets-" + uuid.uuid4().hex[:12]
    s3 = boto3.client("s3", endpoint_url=moto_server.endpoint_url, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    clock = FakeClock()
    proxy = CloudFrontProxy(clock=clock)
    proxies.cdn_proxy = proxy
    state = Cdn(
        proxy=proxy, clock=clock, s3=s3, bucket=bucket, endpoint_url=moto_server.endpoint_url, server=moto_server
    )
    proxy_module._configuration_errors_logged.clear()  # each test sees its own first configuration error
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.cdn_proxy"
    settings.DJANGO_STATIC_CLOUDFRONT = state.settings_block()
    yield state
    proxy.wait_idle(30)
    proxies.cdn_proxy = None
