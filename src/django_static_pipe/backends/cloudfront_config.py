"""``DJANGO_STATIC_CLOUDFRONT``: the CDN proxy's settings, read and checked in one place.

Importing this module does not import boto3, so the system checks can use it on any install.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from django.core.exceptions import ImproperlyConfigured

#: Every key the block accepts, with its default (BUCKET has none: it is required).
DEFAULTS: dict[str, Any] = {
    "BUCKET": None,
    "DOMAIN": None,
    "DISTRIBUTION_ID": None,
    "CREATE_DISTRIBUTION": False,
    "REGION": None,
    "ENDPOINT_URL": None,
    "CLOUDFRONT_ENDPOINT_URL": None,
    "KEY_PREFIX": "",
    "EXTENSIONS": None,
    "PROPAGATION_SECONDS": 3600,
    # Ten years, as nginx's `expires max` sends, and immutable: a stamped name never changes content.
    "CACHE_CONTROL": "public, max-age=315360000, immutable",
    "CONNECT_TIMEOUT": 2,
    "READ_TIMEOUT": 10,
    "MAX_ATTEMPTS": 3,
    "SLOWMAP": "cache",
}
SLOWMAP_KINDS = ("cache", "memory")
MAX_KEY_BYTES = 1024  # S3 refuses longer keys; such a file stays on the local URL instead of failing forever


@dataclass(frozen=True)
class CloudFrontConfig:
    bucket: str
    domain: str | None
    distribution_id: str | None
    create_distribution: bool
    region: str | None
    endpoint_url: str | None
    cloudfront_endpoint_url: str | None
    key_prefix: str
    extensions: tuple[str, ...] | None
    propagation_seconds: float
    cache_control: str
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    slowmap: str

    def object_key(self, url_path: str) -> str:
        """``assets`` + ``/css/a.1.css`` → ``assets/css/a.1.css``; no prefix → ``css/a.1.css``.

        ``url_path`` is a URL's path, percent-encoded; the key is the decoded name, so the file
        ``my logo.png`` is stored as ``my logo.png`` (and served by :meth:`url` as ``my%20logo.png``).
        A path that is not UTF-8 once decoded, is too long for S3, or has empty, ``.`` or ``..`` segments,
        a backslash or a control character, raises ``ValueError``: S3 would store it literally, but a CDN in front may
        resolve it elsewhere.
        """
        try:
            path = unquote(url_path, errors="strict").lstrip("/")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{url_path!r} does not decode to UTF-8") from exc
        segments = path.split("/")
        if not path or any(s in ("", ".", "..") for s in segments) or re.search(r"[\x00-\x1f\x7f\\]", path):
            raise ValueError(f"{url_path!r} is not a plain path for an S3 key")
        prefix = self.key_prefix.strip("/")
        key = f"{prefix}/{path}" if prefix else path
        if len(key.encode()) > MAX_KEY_BYTES:
            raise ValueError(f"{url_path!r} makes an S3 key longer than {MAX_KEY_BYTES} bytes")
        return key

    @staticmethod
    def url(domain: str, key: str) -> str:
        """The CDN URL of ``key``: every character but letters, digits, ``-._~`` and ``/`` encoded
        once, so ``+``, ``%`` and quotes mean the same to S3, CloudFront and an HTML attribute."""
        return f"https://{domain}/{quote(key, safe='/')}"

    def wants(self, url_path: str) -> bool:
        return self.extensions is None or url_path.lower().endswith(self.extensions)


def _problem(raw: Mapping[str, Any]) -> str | None:
    """What is wrong with the block, in one sentence; None when nothing is."""
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        return f"unknown key(s) {', '.join(unknown)}; valid keys are {', '.join(sorted(DEFAULTS))}"
    if not isinstance(raw.get("BUCKET"), str) or not raw.get("BUCKET"):
        return "BUCKET is required: the name of the S3 bucket to upload to"
    extensions = raw.get("EXTENSIONS")
    if extensions is not None and (
        not isinstance(extensions, (list, tuple))
        or not all(isinstance(e, str) and e.startswith(".") for e in extensions)
    ):
        return f"EXTENSIONS = {extensions!r} must be a list of extensions such as ['.png', '.jpg']"
    if raw.get("SLOWMAP", "cache") not in SLOWMAP_KINDS:
        return f"SLOWMAP = {raw.get('SLOWMAP')!r} must be 'cache' or 'memory'"
    for name in ("PROPAGATION_SECONDS", "CONNECT_TIMEOUT", "READ_TIMEOUT", "MAX_ATTEMPTS"):
        value = raw.get(name, DEFAULTS[name])
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return f"{name} = {value!r} must be a number of at least 0"
    if not (raw.get("DOMAIN") or raw.get("DISTRIBUTION_ID") or raw.get("CREATE_DISTRIBUTION")):
        return "give DOMAIN (the distribution's host), DISTRIBUTION_ID, or CREATE_DISTRIBUTION = True"
    return None


def problem_with(raw: Any) -> str | None:
    if not isinstance(raw, Mapping):
        return f"it must be a dict, not {type(raw).__name__}"
    return _problem(raw)


def parse(raw: Any) -> CloudFrontConfig:
    """The validated config; :class:`ImproperlyConfigured` names what is wrong and the valid keys."""
    problem = problem_with(raw)
    if problem:
        raise ImproperlyConfigured(f"DJANGO_STATIC_CLOUDFRONT: {problem}.")
    values = {**DEFAULTS, **raw}
    extensions = values["EXTENSIONS"]
    return CloudFrontConfig(
        bucket=values["BUCKET"],
        domain=values["DOMAIN"] or None,
        distribution_id=values["DISTRIBUTION_ID"] or None,
        create_distribution=bool(values["CREATE_DISTRIBUTION"]),
        region=values["REGION"] or None,
        endpoint_url=values["ENDPOINT_URL"] or None,
        cloudfront_endpoint_url=values["CLOUDFRONT_ENDPOINT_URL"] or None,
        key_prefix=values["KEY_PREFIX"] or "",
        extensions=tuple(e.lower() for e in extensions) if extensions is not None else None,
        propagation_seconds=float(values["PROPAGATION_SECONDS"]),
        cache_control=str(values["CACHE_CONTROL"]),
        connect_timeout=float(values["CONNECT_TIMEOUT"]),
        read_timeout=float(values["READ_TIMEOUT"]),
        max_attempts=int(values["MAX_ATTEMPTS"]),
        slowmap=str(values["SLOWMAP"]),
    )
