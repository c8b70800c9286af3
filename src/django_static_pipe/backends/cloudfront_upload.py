"""Write-once uploads to S3: a key is put once, verified, and never overwritten.

Whether an object already holds our bytes is decided from what S3 says, each field trusted only as far
as it goes: a different size settles it; so do a full-object SHA-256 checksum, an ETag that is the MD5
of our bytes, and our own ``sha256`` metadata. A multipart ETag, or the ETag of a KMS-encrypted object,
is not an MD5 of the bytes: then the object is read back and hashed.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..exceptions import StaticPipeError
from . import cloudfront_aws as aws
from .cloudfront_aws import ClientError
from .cloudfront_config import CloudFrontConfig
from .cloudfront_record import Signature, signature_of

READ_BACK_CHUNK = 1 << 20
_MD5 = re.compile(r"[0-9a-f]{32}")
_ENCRYPTED_ETAG = ("aws:kms", "aws:kms:dsse")  # their ETags are not the MD5 of the bytes; SSE-S3's are


class UploadConflictError(StaticPipeError):
    """An object already holds different bytes under the key: keys are write-once."""


class UploadVerificationError(StaticPipeError):
    """What S3 says it stored is not what was sent."""


class Verdict(enum.Enum):
    SAME = "same"
    DIFFERENT = "different"
    UNKNOWN = "unknown"  # nothing S3 said settles it: read the object back


def plain_etag(answer: dict[str, Any]) -> str:
    """An ETag from S3's answer (a HEAD, a PUT or a listing's item) without its quotes, lower case."""
    return str(answer.get("ETag", "")).strip('"').lower()


@dataclass(frozen=True)
class LocalFile:
    """A file's bytes, read once, with the hashes S3 is compared by (each computed when first asked)."""

    path: str
    data: bytes
    signature: Signature | None = None  # of the file as it was read: what the upload record keeps

    @classmethod
    def read(cls, path: str) -> LocalFile:
        with open(path, "rb") as handle:
            return cls(path, handle.read(), signature_of(os.fstat(handle.fileno())))

    @cached_property
    def md5(self) -> str:
        return hashlib.md5(self.data, usedforsecurity=False).hexdigest()

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sha256_b64(self) -> str:
        return base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")


@dataclass(frozen=True)
class Stored:
    """What S3 said about an object: a HEAD tells everything below, a listing only size and ETag."""

    size: int | None
    etag: str
    full: bool  # from a HEAD: checksum, metadata and encryption are known
    sha256_metadata: str | None = None
    checksum_sha256: str | None = None
    checksum_type: str | None = None
    encrypted: bool = False

    @classmethod
    def from_head(cls, response: dict[str, Any]) -> Stored:
        return cls(
            size=response.get("ContentLength"),
            etag=plain_etag(response),
            full=True,
            sha256_metadata=(response.get("Metadata") or {}).get("sha256"),
            checksum_sha256=response.get("ChecksumSHA256"),
            checksum_type=response.get("ChecksumType"),
            encrypted=response.get("ServerSideEncryption") in _ENCRYPTED_ETAG or "SSECustomerAlgorithm" in response,
        )

    @classmethod
    def from_listing(cls, item: dict[str, Any]) -> Stored:
        return cls(size=item.get("Size"), etag=plain_etag(item), full=False)


def judge(stored: Stored, local: LocalFile) -> Verdict:
    """Does the object hold ``local``'s bytes, as far as S3's answer tells?"""
    if stored.size != len(local.data):
        return Verdict.DIFFERENT
    checksum, multipart = stored.checksum_sha256, "-" in stored.etag
    # A multipart upload's checksum is a checksum of part checksums unless S3 calls it FULL_OBJECT.
    if checksum and (stored.checksum_type == "FULL_OBJECT" or (stored.checksum_type is None and not multipart)):
        return Verdict.SAME if checksum == local.sha256_b64 else Verdict.DIFFERENT
    if stored.etag == local.md5:
        return Verdict.SAME  # whatever made this ETag, it is the MD5 of our bytes
    if stored.full and _MD5.fullmatch(stored.etag) and not stored.encrypted:
        return Verdict.DIFFERENT  # a single-part, plainly stored object: its ETag is the MD5 of its bytes
    if stored.sha256_metadata is not None:
        return Verdict.SAME if stored.sha256_metadata == local.sha256 else Verdict.DIFFERENT
    return Verdict.UNKNOWN


def head(s3: Any, bucket: str, key: str) -> Stored | None:
    try:
        response: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return Stored.from_head(response)


def read_back(s3: Any, bucket: str, key: str, local: LocalFile) -> Verdict:
    """Hash the stored object, reading no more than our own file's size (plus one byte to see a longer one)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    seen = 0
    try:
        while seen <= len(local.data):
            chunk = body.read(min(READ_BACK_CHUNK, len(local.data) + 1 - seen))
            if not chunk:
                break
            seen += len(chunk)
            digest.update(chunk)
    finally:
        body.close()
    return Verdict.SAME if seen == len(local.data) and digest.hexdigest() == local.sha256 else Verdict.DIFFERENT


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass
class Listing:
    """One ListObjectsV2 pass over the keys' common prefix: what is there, without a HEAD per key.

    A listing cut short at ``max_pages`` knows the keys up to ``through`` (S3 lists in UTF-8 byte order);
    a key after it, or outside ``prefix``, is looked up with a HEAD.
    """

    objects: dict[str, Stored] = field(default_factory=dict)
    through: bytes | None = None
    prefix: str = ""

    def lookup(self, key: str) -> tuple[bool, Stored | None]:
        """``(known, stored)``: known is False when the listing cannot say."""
        stored = self.objects.get(key)
        if stored is not None:
            return True, stored
        if not key.startswith(self.prefix):
            return False, None
        return self.through is None or key.encode() <= self.through, None


def list_objects(config: CloudFrontConfig, keys: Collection[str], *, max_pages: int, threads: int = 1) -> Listing:
    """List the objects under the keys' common prefix, at most ``max_pages`` pages of 1,000."""
    first, last = min(keys), max(keys)
    common = next((n for n, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    prefix = first[:common]
    paginator = aws.client(config, "s3", threads=threads).get_paginator("list_objects_v2")
    listing = Listing(prefix=prefix)
    for number, page in enumerate(paginator.paginate(Bucket=config.bucket, Prefix=prefix), start=1):
        for item in page.get("Contents", []):
            listing.objects[item["Key"]] = Stored.from_listing(item)
        if page.get("IsTruncated") and number >= max_pages:
            listing.through = max((key.encode() for key in listing.objects), default=b"")
            break
    return listing


def _holds(s3: Any, config: CloudFrontConfig, key: str, stored: Stored | None, local: LocalFile) -> bool:
    """Does the object (``stored``: S3's answer about it; None: there is none) hold ``local``'s bytes?
    Read back when the answer cannot tell."""
    verdict = judge(stored, local) if stored is not None else Verdict.DIFFERENT
    if verdict is Verdict.UNKNOWN:
        verdict = read_back(s3, config.bucket, key, local)
    return verdict is Verdict.SAME


def object_holds(config: CloudFrontConfig, key: str, local: LocalFile, *, threads: int = 1) -> bool:
    """Does ``key`` exist and hold ``local``'s bytes? (A HEAD; the object is read back if that cannot tell.)"""
    s3 = aws.client(config, "s3", threads=threads)
    return _holds(s3, config, key, head(s3, config.bucket, key), local)


def _settle(s3: Any, config: CloudFrontConfig, key: str, stored: Stored, local: LocalFile) -> None:
    """Return when the object holds ``local``'s bytes; raise :class:`UploadConflictError` when not."""
    if not _holds(s3, config, key, stored, local):
        raise UploadConflictError(
            f"s3://{config.bucket}/{key} already holds other bytes than {local.path}; stamped keys are "
            "write-once, so it was left as it is. Delete the object if it is wrong, or change the name."
        )


def upload_verified(
    config: CloudFrontConfig,
    key: str,
    source: str | LocalFile,
    *,
    listing: Listing | None = None,
    threads: int = 1,
) -> bool:
    """Put the file ``source`` at ``key`` unless the same bytes are already there, and verify what S3 stored.

    True when it uploaded, False when the same bytes were there already. :class:`UploadConflictError`
    when other bytes hold the key; :class:`UploadVerificationError` when S3 stored something else.
    """
    local = LocalFile.read(source) if isinstance(source, str) else source
    filepath = local.path
    s3 = aws.client(config, "s3", threads=threads)
    known, stored = listing.lookup(key) if listing is not None else (False, None)
    if stored is not None and not stored.full and judge(stored, local) is not Verdict.SAME:
        stored = head(s3, config.bucket, key)  # a listing has no checksum, metadata or encryption: ask for them
    elif not known:
        stored = head(s3, config.bucket, key)
    if stored is not None:
        _settle(s3, config, key, stored, local)
        return False
    try:
        response = s3.put_object(
            Bucket=config.bucket,
            Key=key,
            Body=local.data,
            ContentType=aws.content_type(filepath),
            CacheControl=config.cache_control,
            Metadata={"sha256": local.sha256},
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=local.sha256_b64,  # S3 refuses a body damaged on the way, and keeps the checksum
            IfNoneMatch="*",  # never overwrite: another process may have put the key since we looked
        )
    except ClientError as exc:
        if _code(exc) not in ("PreconditionFailed", "412"):
            raise
        # Written meanwhile, by another process or by this very request before its answer was lost.
        stored = head(s3, config.bucket, key)
        if stored is None:
            raise
        _settle(s3, config, key, stored, local)
        return False
    # S3 echoes the checksum it verified; a store that does not has at least an ETag to compare.
    etag = plain_etag(response)
    if response.get("ChecksumSHA256") == local.sha256_b64 or etag == local.md5:
        return True
    # The answer vouches for neither: look at what is there.
    if not _holds(s3, config, key, head(s3, config.bucket, key), local):
        raise UploadVerificationError(f"s3://{config.bucket}/{key} does not match {filepath} after the upload.")
    return True
