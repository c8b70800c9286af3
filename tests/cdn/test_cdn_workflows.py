"""CDN workflows: the distribution, several workers, whole pages, pruning the bucket."""

from __future__ import annotations

import re
from io import StringIO

import boto3
import pytest
from django.core.management import CommandError, call_command

from django_static_pipe.backends.cloudfront import CloudFrontProxy
from django_static_pipe.backends.cloudfront_record import SPOT_CHECKS
from tests import proxies
from tests.cdn.conftest import DOMAIN
from tests.conftest import T0

pytestmark = pytest.mark.moto


def distributions(cdn) -> list[dict]:
    """The distributions whose origin is this test's bucket, with their full configuration."""
    client = boto3.client("cloudfront", endpoint_url=cdn.endpoint_url, region_name="us-east-1")
    found = []
    for item in client.list_distributions()["DistributionList"].get("Items", []):
        distribution = client.get_distribution(Id=item["Id"])["Distribution"]
        origin = distribution["DistributionConfig"]["Origins"]["Items"][0]["DomainName"]
        if origin.startswith(cdn.bucket + "."):
            found.append(distribution)
    return found


def test_a_distribution_is_created_once_and_then_found(site, cdn, settings):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(DOMAIN=None, CREATE_DISTRIBUTION=True, PROPAGATION_SECONDS=0)
    site.render('{% slimfile "/js/a.js" %}')
    assert cdn.proxy.wait_idle(30)
    created = distributions(cdn)
    assert len(created) == 1
    assert created[0]["DistributionConfig"]["DefaultCacheBehavior"]["Compress"] is True
    domain = created[0]["DomainName"]
    assert site.render('{% slimfile "/js/a.js" %}') == f"https://{domain}/assets/js/a.min.{T0}.js"
    other = CloudFrontProxy(clock=cdn.clock)  # another process finds it instead of creating a second one
    assert other.domain(other.config()) == domain
    assert len(distributions(cdn)) == 1


def test_distribution_id_is_looked_up(site, cdn, settings):
    client = boto3.client("cloudfront", endpoint_url=cdn.endpoint_url, region_name="us-east-1")
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(DOMAIN=None, CREATE_DISTRIBUTION=True)
    made = CloudFrontProxy().domain(cdn.proxy.config())
    distribution_id = next(item["Id"] for item in distributions(cdn) if item["DomainName"] == made)
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(DOMAIN=None, DISTRIBUTION_ID=distribution_id)
    assert client.get_distribution(Id=distribution_id)["Distribution"]["DomainName"] == made
    assert CloudFrontProxy().domain(cdn.proxy.config()) == made


def test_workers_agree_through_the_shared_cache(site, cdn, settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(SLOWMAP="cache")
    first, second = cdn.proxy, CloudFrontProxy(clock=cdn.clock)
    template = '{% slimfile "/js/a.js" %}'
    assert site.render(template) == f"/js/a.min.{T0}.js"
    assert first.wait_idle(30)
    proxies.cdn_proxy = second  # the next render is served by another worker
    from django_static_pipe.proxy import load_proxy

    load_proxy.cache_clear()
    assert site.render(template) == f"/js/a.min.{T0}.js"
    assert second.wait_idle(30) and second._queue is None  # it saw the upload was done and queued nothing
    cdn.clock.advance(3600)
    assert site.render(template) == f"https://{DOMAIN}/assets/js/a.min.{T0}.js"
    proxies.cdn_proxy = first
    load_proxy.cache_clear()
    assert site.render(template) == f"https://{DOMAIN}/assets/js/a.min.{T0}.js"


PAGE = """{% slimall %}
<link rel="stylesheet" href="/css/sub/imported.css">
<link rel="stylesheet" href="/css/layout.css">
<script src="/js/a.js"></script>
<img src="/img/photo.png">
{% endslimall %}"""


def test_a_real_page_never_shows_a_cdn_url_before_release(site, cdn, settings):
    settings.DEBUG = True  # every render re-checks, re-stamps and calls the proxy again
    for _ in range(3):
        page = site.render(PAGE)
        assert "cloudfront" not in page
        cdn.proxy.wait_idle(30)
    css_url = re.search(r'href="([^"]+)"', page).group(1)
    assert "cloudfront" not in site.output(css_url).read_text()  # nor inside the rewritten CSS
    assert f"url(/img/bg.{T0}.png)" in site.output(css_url).read_text()
    assert set(cdn.keys()) == {
        f"assets/css/imported_layout.min.{T0}.css",
        f"assets/img/bg.{T0}.png",
        f"assets/img/photo.{T0}.png",
        f"assets/js/a.min.{T0}.js",
    }
    cdn.clock.advance(3600)
    page = site.render(PAGE)
    assert f'href="https://{DOMAIN}/assets/css/imported_layout.min.{T0}.css"' in page
    assert f'src="https://{DOMAIN}/assets/js/a.min.{T0}.js"' in page
    assert f'src="https://{DOMAIN}/assets/img/photo.{T0}.png"' in page


def test_prune_the_bucket_keeps_named_and_newest(site, cdn, settings):
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    site.render('{% slimfile "/js/a.js" %}')  # the manifest names a.min.T0.js
    cdn.proxy.wait_idle(30)
    for stamp in (T0 - 30, T0 - 20, T0 - 10):
        cdn.s3.put_object(Bucket=cdn.bucket, Key=f"assets/js/a.min.{stamp}.js", Body=b"old")
    cdn.s3.put_object(Bucket=cdn.bucket, Key="assets/readme.txt", Body=b"not stamped")
    out = StringIO()
    call_command("static_pipe_prune", "--cdn", "--keep", "1", stdout=out)
    listed = cdn.s3.list_objects_v2(Bucket=cdn.bucket)["Contents"]
    old = [
        item for item in listed if item["Key"].startswith("assets/js/") and item["Key"] != f"assets/js/a.min.{T0}.js"
    ]
    newest_old = max(old, key=lambda item: (item["LastModified"], item["Key"]))["Key"]
    doomed = sorted({f"assets/js/a.min.{s}.js" for s in (T0 - 30, T0 - 20, T0 - 10)} - {newest_old})
    assert out.getvalue() == "".join(f"would delete s3://{cdn.bucket}/{key}\n" for key in doomed) + (
        "2 objects would be deleted (dry run; add --delete to delete them).\n"
    )
    assert len(cdn.keys()) == 5
    call_command("static_pipe_prune", "--cdn", "--keep", "1", "--delete", stdout=StringIO())
    assert cdn.keys() == sorted(["assets/readme.txt", f"assets/js/a.min.{T0}.js", newest_old])


def test_build_upload_fills_the_cdn(moto_server, tmp_path):
    from tests.deploy.conftest import EXAMPLE, example_env, run_manage

    bucket = "build-" + __import__("uuid").uuid4().hex[:12]
    boto3.client("s3", endpoint_url=moto_server.endpoint_url, region_name="us-east-1").create_bucket(Bucket=bucket)
    env = example_env(
        tmp_path / "var",
        None,
        EXAMPLE_CLOUDFRONT_BUCKET=bucket,
        EXAMPLE_CLOUDFRONT_DOMAIN="d3example.cloudfront.test",
        EXAMPLE_CLOUDFRONT_ENDPOINT_URL=moto_server.endpoint_url,
        EXAMPLE_CLOUDFRONT_REGION="us-east-1",
    )
    result = run_manage(EXAMPLE, env, "static_pipe_build", "--upload")
    assert "Uploaded 10, already present 0, not for the CDN 0, failed 0." in result.stdout
    s3 = boto3.client("s3", endpoint_url=moto_server.endpoint_url, region_name="us-east-1")
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert len(keys) == 10 and all(key.startswith("cache-forever/") for key in keys)
    mark = moto_server.log_mark()
    again = run_manage(EXAMPLE, env, "static_pipe_build", "--upload", "--upload-workers", "3")
    assert "Uploaded 0, already present 10" in again.stdout
    sent = [r.method for r in moto_server.requests(mark, bucket=bucket)]
    assert sent == ["HEAD"] * SPOT_CHECKS  # the upload record vouches for every key: a spot check, no listing
    mark = moto_server.log_mark()
    rechecked = run_manage(EXAMPLE, env, "static_pipe_build", "--upload", "--recheck")
    assert "Uploaded 0, already present 10" in rechecked.stdout
    sent = [(r.method, r.target) for r in moto_server.requests(mark, bucket=bucket)]
    assert [method for method, _target in sent] == ["GET"] and "list-type=2" in sent[0][1]  # one listing, no PUT


def test_upload_workers_must_be_at_least_one():
    with pytest.raises(CommandError, match="--upload-workers must be at least 1"):
        call_command("static_pipe_build", "--upload", "--upload-workers", "0", stdout=StringIO())


def test_recheck_goes_with_upload():
    with pytest.raises(CommandError, match="--recheck goes with --upload"):
        call_command("static_pipe_build", "--recheck", stdout=StringIO())
