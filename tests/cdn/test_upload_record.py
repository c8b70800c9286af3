"""The upload record: a deploy with nothing new asks S3 only a spot check, and never trusts a record
that the bucket, the files or a prune have made untrue."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devservers.faultproxy import FaultProxy
from django_static_pipe import locks
from django_static_pipe.backends import cloudfront_record
from django_static_pipe.backends.cloudfront import CloudFrontProxy
from django_static_pipe.backends.cloudfront_config import parse
from django_static_pipe.backends.cloudfront_record import SPOT_CHECKS, record_path
from tests.cdn.conftest import DOMAIN
from tests.cdn.test_requests import NAMES, build, methods
from tests.conftest import T0

pytestmark = pytest.mark.moto

KEYS = sorted("assets/" + (name.rsplit(".", 1)[0] + f".{T0}." + name.rsplit(".", 1)[1]).lstrip("/") for name in NAMES)


def key_of(item: tuple[str, str]) -> str:
    return "assets" + item[0]


def deploy(cdn, files, **options):
    """One deploy in a new process: a new proxy, nothing remembered but what is on disk."""
    mark = cdn.mark()
    report = CloudFrontProxy(clock=cdn.clock).upload_all(files, **options)
    return report, methods(cdn.requests(mark))


def stored_record(settings, cdn) -> dict:
    path = record_path(parse(settings.DJANGO_STATIC_CLOUDFRONT))
    assert path is not None and os.path.basename(path).startswith(".")  # a dot-file: never served
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_a_deploy_with_nothing_new_asks_only_the_spot_checks(site, cdn, settings):
    files = build(site, settings)
    first, asked = deploy(cdn, files)
    assert (sorted(first.uploaded), asked) == (KEYS, {"LIST": 1, "PUT": len(KEYS)})
    record = stored_record(settings, cdn)
    assert record["bucket"] == cdn.bucket and sorted(record["keys"]) == KEYS
    signatures = {(os.stat(path).st_size, os.stat(path).st_mtime_ns, os.stat(path).st_ino) for _uri, path in files}
    assert {tuple(entry) for entry in record["keys"].values()} == signatures  # no URL: the domain may change
    again, asked = deploy(cdn, files)
    assert (again.uploaded, sorted(again.present), again.failed) == ([], KEYS, {})
    assert asked == {"HEAD": SPOT_CHECKS}


def test_the_record_hands_the_cdn_urls_to_the_slowmap(site, cdn, settings):
    files = build(site, settings)
    deploy(cdn, files)
    proxy = CloudFrontProxy(clock=cdn.clock)
    proxy.upload_all(files)
    config = proxy.config()
    slowmap = proxy.slowmap(config)
    assert all(slowmap.is_set(key) for key in KEYS)
    cdn.clock.advance(config.propagation_seconds)
    assert slowmap.get(KEYS[0]) == f"https://{DOMAIN}/{KEYS[0]}"


def test_a_file_that_is_not_the_one_verified_is_looked_up_again(site, cdn, settings):
    files = build(site, settings)
    deploy(cdn, files)
    rebuilt = files[0][1]  # the same bytes and mtime written again (a new inode): the record cannot vouch for it
    shutil.copy2(rebuilt, rebuilt + ".new")
    os.replace(rebuilt + ".new", rebuilt)
    report, asked = deploy(cdn, files)
    assert (report.uploaded, len(report.present), report.failed) == ([], len(KEYS), {})
    assert asked == {"HEAD": SPOT_CHECKS, "LIST": 1}  # the listing says it is there: nothing sent


def test_an_emptied_bucket_is_noticed_and_filled_again(site, cdn, settings, caplog):
    files = build(site, settings)
    deploy(cdn, files)
    stored = cdn.keys()  # (a method of the fixture, not a dict)
    cdn.s3.delete_objects(Bucket=cdn.bucket, Delete={"Objects": [{"Key": key} for key in stored]})
    with caplog.at_level(logging.WARNING, logger="django_static_pipe"):
        report, asked = deploy(cdn, files)
    assert sorted(report.uploaded) == KEYS and cdn.keys() == KEYS
    assert asked == {"HEAD": 1, "LIST": 1, "PUT": len(KEYS)}  # the first spot check failed: the rest is as new
    assert "is gone or changed since the upload record vouched for it" in caplog.text


def test_other_bytes_under_a_vouched_key_are_noticed(site, cdn, settings, caplog):
    files = build(site, settings)
    deploy(cdn, files)
    for key in KEYS:  # every object replaced behind our back (a bucket restored from elsewhere)
        cdn.s3.put_object(Bucket=cdn.bucket, Key=key, Body=b"not ours")
    with caplog.at_level(logging.WARNING, logger="django_static_pipe"):
        report, _asked = deploy(cdn, files)
    assert sorted(report.failed) == KEYS and "already holds other bytes" in report.failed[KEYS[0]]
    assert "is gone or changed" in caplog.text
    assert stored_record(settings, cdn)["keys"] == {}  # dropped, and nothing in it vouched for again


def test_a_listing_made_for_new_files_also_checks_the_vouched_keys(site, cdn, settings, caplog):
    files = build(site, settings)
    new = [files[0], files[4]]  # a script and an image: the listing covers the whole prefix
    deploy(cdn, [item for item in files if item not in new])
    expired = key_of(files[3])  # e.g. removed by a lifecycle rule
    cdn.s3.delete_object(Bucket=cdn.bucket, Key=expired)
    vouched = sorted(key_of(item) for item in files if item not in new)
    # A seed whose spot check misses it: here the listing made for the new files is what notices.
    seed = next(s for s in range(1000) if expired not in random.Random(s).sample(vouched, SPOT_CHECKS))
    state = random.getstate()
    random.seed(seed)
    try:
        with caplog.at_level(logging.WARNING, logger="django_static_pipe"):
            report, asked = deploy(cdn, files)
    finally:
        random.setstate(state)
    assert sorted(report.uploaded) == sorted([key_of(files[0]), key_of(files[4]), expired]) and report.failed == {}
    assert asked == {"HEAD": SPOT_CHECKS, "LIST": 1, "PUT": 3}
    assert "1 objects the upload record vouched for are gone or changed" in caplog.text
    assert cdn.keys() == KEYS


def test_recheck_asks_about_every_key_and_rewrites_the_record(site, cdn, settings):
    files = build(site, settings)
    deploy(cdn, files)
    report, asked = deploy(cdn, files, recheck=True)
    assert (report.uploaded, len(report.present)) == ([], len(KEYS))
    assert asked == {"LIST": 1}
    assert sorted(stored_record(settings, cdn)["keys"]) == KEYS


def test_keys_deleted_by_prune_are_forgotten(site, cdn, settings):
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    files = build(site, settings)  # the manifest names these: prune keeps them
    deploy(cdn, files)
    old = [f"assets/js/a.{stamp}.js" for stamp in (T0 - 20, T0 - 10)]
    for key in old:  # earlier deploys' objects, once vouched for
        cdn.s3.put_object(Bucket=cdn.bucket, Key=key, Body=b"old")
    cloudfront_record.UploadRecord.load(parse(settings.DJANGO_STATIC_CLOUDFRONT)).save(dict.fromkeys(old, (3, T0, 1)))
    call_command("static_pipe_prune", "--cdn", "--keep", "0", "--delete", stdout=StringIO())
    assert cdn.keys() == KEYS
    assert sorted(stored_record(settings, cdn)["keys"]) == KEYS  # the deleted keys are no longer vouched for


def test_prune_deletes_nothing_when_the_record_cannot_be_updated(site, cdn, settings):
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    files = build(site, settings)
    deploy(cdn, files)
    cdn.s3.put_object(Bucket=cdn.bucket, Key=f"assets/js/a.{T0 - 10}.js", Body=b"old")
    locks_folder = site.out / locks.LOCK_FOLDER_NAME
    os.chmod(locks_folder, 0o777)  # unsafe: the record's lock is refused (LockFolderError)
    locks._checked_folders.clear()
    try:
        with pytest.raises(CommandError, match=r"Nothing was deleted: the upload record .* could not be updated"):
            call_command("static_pipe_prune", "--cdn", "--keep", "0", "--delete", stdout=StringIO())
    finally:
        os.chmod(locks_folder, 0o700)
        locks._checked_folders.clear()
    assert f"assets/js/a.{T0 - 10}.js" in cdn.keys()  # noqa: SIM118 - a method of the fixture


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"\xff\xfe{\x00",  # not UTF-8
        b'{"version": 1, "bucket": "another", "keys": {}}',
        b'{"version": 1, "keys": {"a": 3}}',
        b'{"version": 1, "bucket": "BUCKET", "keys": {"k": [1e400, 1, 1]}}',  # a number too large for an int
        b'{"version": 1, "bucket": "BUCKET", "keys": {"k": [NaN, 1, 1]}}',
        b'{"version": 1, "bucket": "BUCKET", "keys": {"k": [1, 2]}}',
        b'{"version": 1, "bucket": "BUCKET", "keys": ["k"]}',
    ],
)
def test_a_damaged_or_foreign_record_is_ignored_and_replaced(site, cdn, settings, caplog, damage):
    files = build(site, settings)
    deploy(cdn, files)
    path = record_path(parse(settings.DJANGO_STATIC_CLOUDFRONT))
    assert path is not None
    with open(path, "wb") as handle:
        handle.write(damage.replace(b"BUCKET", cdn.bucket.encode()))
    with caplog.at_level(logging.WARNING, logger="django_static_pipe"):
        report, asked = deploy(cdn, files)
    assert (report.uploaded, len(report.present), asked) == ([], len(KEYS), {"LIST": 1})
    assert "upload record" in caplog.text
    assert sorted(stored_record(settings, cdn)["keys"]) == KEYS


def test_hostile_keys_in_the_record_vouch_for_nothing_of_ours(site, cdn, settings):
    files = build(site, settings)
    deploy(cdn, files)
    path = record_path(parse(settings.DJANGO_STATIC_CLOUDFRONT))
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    signature = document["keys"].pop(KEYS[0])  # our file's entry, moved to keys that only look like it
    for hostile in (KEYS[0] + "\r\n", KEYS[0] + "\x00", KEYS[0].upper(), "../" + KEYS[0], KEYS[0] + "\u202e"):
        document["keys"][hostile] = signature
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    report, asked = deploy(cdn, files)
    assert (report.uploaded, len(report.present), report.failed) == ([], len(KEYS), {})
    assert asked["LIST"] == 1  # the key it no longer vouches for is looked up: nothing taken on trust


def test_another_bucket_has_a_record_of_its_own_and_urls_follow_the_domain(site, cdn, settings):
    block = settings.DJANGO_STATIC_CLOUDFRONT
    assert record_path(parse(block)) == record_path(parse({**block, "DOMAIN": "other.cloudfront.test"}))
    assert record_path(parse(block)) != record_path(parse({**block, "BUCKET": "another-bucket"}))
    assert record_path(parse(block)) != record_path(parse({**block, "ENDPOINT_URL": "http://127.0.0.1:1"}))
    files = build(site, settings)
    deploy(cdn, files)
    settings.DJANGO_STATIC_CLOUDFRONT = {**block, "DOMAIN": "dnew.cloudfront.test"}  # a new distribution
    proxy = CloudFrontProxy(clock=cdn.clock)
    report = proxy.upload_all(files)
    assert (report.uploaded, len(report.present)) == ([], len(KEYS))
    cdn.clock.advance(proxy.config().propagation_seconds)
    assert proxy.slowmap(proxy.config()).get(KEYS[0]) == f"https://dnew.cloudfront.test/{KEYS[0]}"


def test_s3_down_at_the_spot_check_fails_the_keys_and_keeps_nothing_it_cannot_vouch_for(site, cdn, settings, caplog):
    fault = FaultProxy("127.0.0.1", int(cdn.endpoint_url.rsplit(":", 1)[1])).start()
    try:
        settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(ENDPOINT_URL=f"http://{fault.endpoint}")
        files = build(site, settings)
        deploy(cdn, files)
        fault.set_mode("down")
        with caplog.at_level(logging.WARNING, logger="django_static_pipe"):
            report = CloudFrontProxy(clock=cdn.clock).upload_all(files)
        assert (report.uploaded, report.present, sorted(report.failed)) == ([], [], KEYS)  # said, key by key
        assert "could not check s3://" in caplog.text
        assert stored_record(settings, cdn)["keys"] == {}  # dropped: S3 could not confirm any of it
        fault.set_mode("pass")
        again = CloudFrontProxy(clock=cdn.clock).upload_all(files)
        assert (again.uploaded, len(again.present), again.failed) == ([], len(KEYS), {})  # all there after all
    finally:
        fault.stop()


def test_a_slowmap_cache_that_fails_is_reported_per_vouched_key(site, cdn, settings, tmp_path):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(SLOWMAP="cache")
    files = build(site, settings)
    deploy(cdn, files)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache wants a folder")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(blocker / "c")}
    }
    report = CloudFrontProxy(clock=cdn.clock).upload_all(files)
    assert sorted(report.failed) == KEYS and report.present == []
    assert all("could not be handed to the SlowMap" in why for why in report.failed.values())
    assert sorted(stored_record(settings, cdn)["keys"]) == KEYS  # the objects are fine: still vouched for
