"""The example site's Jinja2 page, deployed: the same asset tags as the Django page, served by nginx."""

from __future__ import annotations

import re

import pytest

from tests.deploy.test_nginx import CACHE_FOREVER, get

pytestmark = [pytest.mark.nginx, pytest.mark.mongo]


def head_assets(deployed, path: str) -> tuple[str, str]:
    status, _headers, body = get(deployed, path)
    assert status == 200
    html = body.decode()
    head = re.search(r'(<link rel="icon".*?)<style>', html, re.DOTALL)
    image = re.search(r'<img id="welcome" src="[^"]+"', html)
    assert head and image, html
    return head.group(1), image.group(0)


def test_the_jinja2_page_has_the_django_pages_asset_tags_byte_for_byte(deployed):
    django = head_assets(deployed, "/")
    jinja2 = head_assets(deployed, "/jinja2/")
    assert jinja2 == django
    urls = re.findall(r'(?:href|src)="(/cache-forever/[^"]+)"', "".join(jinja2))
    assert len(urls) == 6  # favicon, 2 stylesheets, 2 scripts, the image
    for url in urls:
        status, headers, _body = get(deployed, url)
        assert (status, headers.get_all("Cache-Control")) == (200, [CACHE_FOREVER]), url
