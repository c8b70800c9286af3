"""Names that try to leave the asset roots are refused and never read."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import SuspiciousFileOperation

from django_static_pipe.exceptions import MissingAssetWarning
from django_static_pipe.sources import normalize
from tests.conftest import T0

SECRET = "TOP-SECRET-CONTENT"

REFUSED = [
    "../secret.js",
    "/../secret.js",
    "/js/../../secret.js",
    "js/../../../secret.js",
    "/js/\x00.js",
    "/js/a.js\x00.png",
    "..\\..\\secret.js",
    "/js/..\\..\\secret.js",
    "/",
    "/./",
    "..",
    "/js/\n.js",
]


@pytest.fixture
def secret(site):
    path = site.root.parent / "secret.js"
    path.write_text(f"var secret = '{SECRET}';\n")
    return path


@pytest.mark.parametrize("name", REFUSED)
def test_refused_names_raise_suspicious_file_operation(site, secret, name):
    with pytest.raises(SuspiciousFileOperation):
        site.render("{% slimfile name %}", name=name)
    assert not site.out.exists()


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "//etc/passwd/../x", "/js/%2e%2e/%2e%2e/secret.js", "/" + "a" * 4000 + ".js"]
)
def test_absolute_and_encoded_names_stay_inside_the_roots(site, secret, name):
    with pytest.warns(MissingAssetWarning) if not name.startswith("//") else _no_warning():
        out = site.render("{% slimfile name %}", name=name)
    assert out == name
    assert not site.out.exists()


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_symlink_in_a_root_pointing_outside_is_not_followed(site, secret):
    os.symlink(secret, site.root / "js" / "linked.js")
    with pytest.raises(SuspiciousFileOperation, match="outside the asset roots"):
        site.render('{% slimfile "/js/linked.js" %}')
    assert not site.out.exists()


def test_a_css_reference_to_a_symlink_outside_is_kept_and_not_read(site, secret):
    os.symlink(secret, site.root / "img" / "linked.png")
    site.write("/css/evil.css", ".e { background: url(../img/linked.png) } .f { background: url(../../secret.js) }")
    with pytest.warns(MissingAssetWarning, match="secret.js"):
        url = site.render('{% staticfile "/css/evil.css" %}')
    assert (
        site.output(url).read_text() == ".e { background: url(../img/linked.png) } .f { background: url(/secret.js) }"
    )
    produced = [p for p in site.out.rglob("*") if p.is_file()]
    assert all(SECRET not in p.read_text(errors="replace") for p in produced)


@pytest.mark.filterwarnings("ignore::django_static_pipe.exceptions.MissingAssetWarning")
def test_hostile_names_through_a_request_are_400_not_500(site, secret, client):
    for name in REFUSED:
        response = client.get("/render-asset/", {"name": name})
        assert response.status_code == 400, name
        assert SECRET.encode() not in response.content
    response = client.get("/render-asset/", {"name": "/js/%00.js"})
    assert (response.status_code, response.content) == (200, b"/js/%00.js")


def test_normalize_keeps_ordinary_names():
    assert normalize("/css/./a/../b.css") == "/css/b.css"
    assert normalize("css//b.css") == "css/b.css"
    assert normalize(f"/img/bg.{T0}.png") == f"/img/bg.{T0}.png"
