"""File proxies used by the tests through DJANGO_STATIC_FILE_PROXY."""

from __future__ import annotations

from typing import Any

calls: list[tuple[str, dict[str, Any]]] = []


def recording_proxy(uri: str, **kwargs: Any) -> str:
    """Record every call; hand back a CDN-looking URL so the tests see the return value is used."""
    calls.append((uri, kwargs))
    return "https://cdn.test" + uri


def failing_proxy(uri: str, **kwargs: Any) -> str:
    raise RuntimeError("the CDN is down")


def non_url_proxy(uri: str, **kwargs: Any) -> Any:
    return None


not_callable = 42


#: Set by the CDN tests to a CloudFrontProxy with a clock they move.
cdn_proxy: Any = None


def hostile_proxy(uri: str, **kwargs: Any) -> str:
    """A proxy (or a CDN setting) that hands back something that would break out of an attribute."""
    return 'https://cdn.test/x" onerror="alert(1)' + uri
