"""Objects already in the bucket, put there by another tool (issue 11, item 11): the same bytes are
accepted however they were uploaded, other bytes are never overwritten, and a race is settled by S3."""

from __future__ import annotations

import base64
import hashlib
import logging

import pytest

from django_static_pipe.backends.cloudfront_upload import (
    Listing,
    LocalFile,
    Stored,
    UploadConflictError,
    Verdict,
    judge,
    upload_verified,
)
from tests.cdn.conftest import DOMAIN
from tests.conftest import T0

pytestmark = pytest.mark.moto

JS = f"/js/a.min.{T0}.js"
JS_KEY = f"assets/js/a.min.{T0}.js"
TEMPLATE = '{% slimfile "/js/a.js" %}'


def built(site, cdn, settings) -> bytes:
    """Build the file without uploading it, and return its bytes."""
    proxy = settings.DJANGO_STATIC_FILE_PROXY
    settings.DJANGO_STATIC_FILE_PROXY = None
    site.render(TEMPLATE)
    settings.DJANGO_STATIC_FILE_PROXY = proxy
    return site.output(JS).read_bytes()


def multipart(cdn, key: str, data: bytes, **checksum: str) -> str:
    """Upload ``data`` as another tool would for a large file: a multipart upload (of one part)."""
    upload = cdn.s3.create_multipart_upload(Bucket=cdn.bucket, Key=key, **checksum)
    part = cdn.s3.upload_part(
        Bucket=cdn.bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=data, **checksum
    )
    done = {"ETag": part["ETag"], "PartNumber": 1}
    if checksum:
        done["ChecksumSHA256"] = part["ChecksumSHA256"]
    cdn.s3.complete_multipart_upload(
        Bucket=cdn.bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": [done]}
    )
    etag = cdn.s3.head_object(Bucket=cdn.bucket, Key=key)["ETag"].strip('"')
    assert "-" in etag  # not an MD5 of the bytes
    return etag


def released_without_sending(site, cdn) -> tuple[str, list]:
    mark = cdn.mark()
    site.render(TEMPLATE)
    assert cdn.proxy.wait_idle(30)
    return site.render(TEMPLATE), cdn.requests(mark, "PUT")


def test_identical_single_part_object_without_our_metadata_is_accepted(site, cdn, settings):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(PROPAGATION_SECONDS=0)
    data = built(site, cdn, settings)
    cdn.s3.put_object(Bucket=cdn.bucket, Key=JS_KEY, Body=data)  # another tool: no sha256 metadata
    page, puts = released_without_sending(site, cdn)
    assert page == f"https://{DOMAIN}/{JS_KEY}"
    assert puts == []


@pytest.mark.parametrize("checksum", [{}, {"ChecksumAlgorithm": "SHA256"}], ids=["no-checksum", "sha256-parts"])
def test_identical_multipart_object_is_read_back_and_accepted(site, cdn, settings, checksum):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(PROPAGATION_SECONDS=0)
    data = built(site, cdn, settings)
    multipart(cdn, JS_KEY, data, **checksum)
    mark = cdn.mark()
    page, puts = released_without_sending(site, cdn)
    assert page == f"https://{DOMAIN}/{JS_KEY}"
    assert puts == []
    assert len([r for r in cdn.requests(mark, "GET") if r.target.startswith(f"/{cdn.bucket}/")]) == 1  # read once


@pytest.mark.parametrize("how", ["single-part", "multipart"])
def test_other_bytes_of_the_same_size_are_a_conflict_and_left_alone(site, cdn, settings, caplog, how):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(PROPAGATION_SECONDS=0)
    data = built(site, cdn, settings)
    other = bytes(reversed(data))
    if how == "single-part":
        cdn.s3.put_object(Bucket=cdn.bucket, Key=JS_KEY, Body=other)
    else:
        multipart(cdn, JS_KEY, other)
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        page, puts = released_without_sending(site, cdn)
    assert page == JS and puts == []
    assert "write-once" in caplog.text
    assert cdn.s3.get_object(Bucket=cdn.bucket, Key=JS_KEY)["Body"].read() == other


def test_a_key_written_between_the_look_and_the_put_is_never_overwritten(site, cdn, settings):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block()
    data = built(site, cdn, settings)
    config = cdn.proxy.config()
    cdn.s3.put_object(Bucket=cdn.bucket, Key=JS_KEY, Body=b"x" * len(data))
    absent = Listing()  # a listing taken before the other writer: "nothing there"
    with pytest.raises(UploadConflictError):
        upload_verified(config, JS_KEY, str(site.output(JS)), listing=absent)
    assert cdn.s3.get_object(Bucket=cdn.bucket, Key=JS_KEY)["Body"].read() == b"x" * len(data)
    cdn.s3.delete_object(Bucket=cdn.bucket, Key=JS_KEY)
    cdn.s3.put_object(Bucket=cdn.bucket, Key=JS_KEY, Body=data)  # the same bytes: the lost race is fine
    assert upload_verified(config, JS_KEY, str(site.output(JS)), listing=absent) is False


# What each field of S3's answer is worth, for answers moto does not give (KMS, full-object checksums).
LOCAL = LocalFile("a.js", b"var a = 1;")
SHA = base64.b64encode(hashlib.sha256(LOCAL.data).digest()).decode()
OTHER_SHA = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
SIZE = len(LOCAL.data)


@pytest.mark.parametrize(
    ("stored", "verdict"),
    [
        (Stored(SIZE + 1, LOCAL.md5, full=True), Verdict.DIFFERENT),
        (Stored(SIZE, LOCAL.md5, full=False), Verdict.SAME),
        (Stored(SIZE, "0" * 32, full=False), Verdict.UNKNOWN),  # a listing cannot say whether it is encrypted
        (Stored(SIZE, "0" * 32, full=True), Verdict.DIFFERENT),
        (Stored(SIZE, "0" * 32, full=True, encrypted=True), Verdict.UNKNOWN),  # SSE-KMS: the ETag is no MD5
        (Stored(SIZE, "0" * 32, full=True, encrypted=True, checksum_sha256=SHA), Verdict.SAME),
        (Stored(SIZE, "0" * 32 + "-3", full=True), Verdict.UNKNOWN),
        (Stored(SIZE, "0" * 32 + "-3", full=True, checksum_sha256=SHA, checksum_type="COMPOSITE"), Verdict.UNKNOWN),
        (Stored(SIZE, "0" * 32 + "-3", full=True, checksum_sha256=SHA, checksum_type="FULL_OBJECT"), Verdict.SAME),
        (
            Stored(SIZE, "0" * 32 + "-3", full=True, checksum_sha256=OTHER_SHA, checksum_type="FULL_OBJECT"),
            Verdict.DIFFERENT,
        ),
        (Stored(SIZE, LOCAL.md5, full=True, checksum_sha256=OTHER_SHA), Verdict.DIFFERENT),
        (Stored(SIZE, "0" * 32 + "-3", full=True, sha256_metadata=LOCAL.sha256), Verdict.SAME),
        (Stored(SIZE, "0" * 32 + "-3", full=True, sha256_metadata="0" * 64), Verdict.DIFFERENT),
    ],
)
def test_judge_trusts_each_field_only_as_far_as_it_goes(stored, verdict):
    assert judge(stored, LOCAL) is verdict


def test_a_listing_cut_short_knows_only_the_keys_it_reached():
    listing = Listing({"a/b": Stored(1, "0" * 32, full=False)}, through=b"a/m")
    assert listing.lookup("a/b")[0] and listing.lookup("a/b")[1] is not None
    assert listing.lookup("a/c") == (True, None)  # before the cut and not listed: absent
    assert listing.lookup("a/z") == (False, None)  # after the cut: ask S3
    assert listing.lookup("a/é") == (False, None)  # UTF-8 byte order, as S3 lists
    assert Listing().lookup("anything") == (True, None)
