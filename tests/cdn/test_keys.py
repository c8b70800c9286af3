"""S3 keys are the decoded file names; CDN URLs encode them exactly once (issue 11, item 10).

Checked over HTTP: the object is fetched from moto by the path of the CDN URL the page gets, as
CloudFront would ask S3 for it.
"""

from __future__ import annotations

import html
import json
import urllib.request
from urllib.parse import unquote, urlsplit

import pytest

from django_static_pipe.backends.cloudfront import CloudFrontProxy
from tests.cdn.conftest import DOMAIN
from tests.conftest import T0

pytestmark = pytest.mark.moto

#: file name → the name part of its CDN URL
NAMES = {
    "my logo.png": "my%20logo",
    "café.png": "caf%C3%A9",
    "50%.png": "50%25",
    "a+b.png": "a%2Bb",
    "(1)!~*@$&=,'.png": "%281%29%21~%2A%40%24%26%3D%2C%27",
    "dir with space/ü.png": "dir%20with%20space/%C3%BC",
}


def public(cdn) -> None:
    """Let anyone read the bucket, as a CloudFront origin would."""
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{cdn.bucket}/*",
    }
    cdn.s3.put_bucket_policy(Bucket=cdn.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def fetch_like_the_cdn(cdn, cdn_url: str) -> bytes:
    """GET the object at the CDN URL's path from S3 itself (path style: /bucket/key)."""
    assert cdn_url.startswith(f"https://{DOMAIN}/assets/")
    with urllib.request.urlopen(f"{cdn.endpoint_url}/{cdn.bucket}{urlsplit(cdn_url).path}", timeout=10) as response:
        return bytes(response.read())


@pytest.fixture
def odd_names(site):
    image = (site.root / "img" / "bg.png").read_bytes()
    for name in NAMES:
        site.write(f"/img/{name}", image + name.encode())  # distinct bytes per name
    return site


def test_keys_are_decoded_and_cdn_urls_encoded_once(odd_names, cdn, settings):
    site = odd_names
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(PROPAGATION_SECONDS=0)
    public(cdn)
    template = "".join(f'{{% staticfile "/img/{name}" %}}\n' for name in NAMES)
    local = site.render(template).split("\n")[:-1]
    assert cdn.proxy.wait_idle(30)
    stems = {name: name.rsplit(".", 1)[0] for name in NAMES}
    assert cdn.keys() == sorted(f"assets/img/{stems[name]}.{T0}.png" for name in NAMES)
    released = site.render(template).split("\n")[:-1]
    for (name, encoded), local_url, cdn_url in zip(NAMES.items(), local, released, strict=True):
        assert cdn_url == f"https://{DOMAIN}/assets/img/{encoded}.{T0}.png"
        assert fetch_like_the_cdn(cdn, cdn_url) == site.output(f"/img/{stems[name]}.{T0}.png").read_bytes()
        assert local_url != cdn_url


def test_upload_all_uses_the_same_decoded_keys(odd_names, cdn, settings):
    site = odd_names
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(PROPAGATION_SECONDS=0, SLOWMAP="memory")
    settings.DJANGO_STATIC_FILE_PROXY = None  # only build: the deploy step below uploads
    template = "".join(f'{{% staticfile "/img/{name}" %}}\n' for name in NAMES)
    local = [html.unescape(url) for url in site.render(template).split("\n")[:-1]]  # the tag's output is escaped
    files = [(url, str(site.output(unquote(urlsplit(url).path)))) for url in local]
    deploy = CloudFrontProxy(clock=cdn.clock)
    report = deploy.upload_all(files)
    stems = {name: name.rsplit(".", 1)[0] for name in NAMES}
    expected = sorted(f"assets/img/{stems[name]}.{T0}.png" for name in NAMES)
    assert (sorted(report.uploaded), report.failed) == (expected, {})
    assert cdn.keys() == expected
    public(cdn)
    for (name, encoded), (local_url, filepath) in zip(NAMES.items(), files, strict=True):
        url = deploy(local_url, filepath=filepath)  # released at once: PROPAGATION_SECONDS = 0
        assert url == f"https://{DOMAIN}/assets/img/{encoded}.{T0}.png"
        assert fetch_like_the_cdn(cdn, url) == site.output(f"/img/{stems[name]}.{T0}.png").read_bytes()


@pytest.mark.parametrize(
    "path",
    ["/img/%0Aa.png", "/img/%2E%2E/a.png", "/img/a%5Cb.png", "/img/%FF.png", "/a/%2F/b.png", "/" + "%C3%A9" * 510],
)
def test_paths_that_decode_to_no_plain_key_are_refused(cdn, path):
    with pytest.raises(ValueError):
        cdn.proxy.config().object_key(path)
