"""The CloudFront proxy in its warm, released state, for the render benchmarks (no network)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django_static_pipe.backends.cloudfront import CloudFrontProxy

CLOUDFRONT = {
    "BUCKET": "bench-assets",
    "DOMAIN": "d1bench.cloudfront.net",
    "KEY_PREFIX": "assets",
    "SLOWMAP": "memory",
    "PROPAGATION_SECONDS": 0,
}

cdn = CloudFrontProxy()


def release(urls: list[str]) -> None:
    """Put each URL's CDN address in the SlowMap as if its upload had been verified long ago."""
    config = cdn.config()
    slowmap = cdn.slowmap(config)
    for url in urls:
        key = config.object_key(urlsplit(url).path)
        slowmap[key] = f"https://{config.domain}/{key}"
