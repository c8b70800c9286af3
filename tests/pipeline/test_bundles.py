"""Combining several files into one: names, separators, errors, roots and prefixes."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import SuspiciousFileOperation

from django_static_pipe.exceptions import BundleError, MissingAssetError
from django_static_pipe.naming import default_combine_filenames_generator
from tests.conftest import T0, copy_assets


def test_js_members_are_joined_so_comments_and_parentheses_stay_apart(site):
    url = site.render('{% staticfile "/js/a.js; /js/b.js" %}')
    assert url == f"/js/a_b.{T0}.js"
    a = (site.root / "js/a.js").read_text()
    b = (site.root / "js/b.js").read_text()
    # Joined without minifying, the bundle names its index source map (tests/pipeline/test_sourcemaps.py).
    assert site.output(url).read_text() == a + "\n;\n" + b + f"\n//# sourceMappingURL=/js/a_b.js.{T0}.map"


def test_slim_bundle_minifies_each_member_but_passes_min_files_through(site):
    url = site.render('{% slimfile "/js/vendor.min.js; /js/a.js" %}')
    assert url == f"/js/vendor_a.min.{T0}.js"
    assert site.output(url).read_text() == (
        "var vendor={version:1};\n" + "\n;\n" + "var app=window.app||{};app.a=function(value){return value+1;}"
    )


def test_css_bundle_members_are_rewritten_from_their_own_folders(site):
    url = site.render('{% slimfile "/css/sub/imported.css; /css/layout.css" %}')
    assert url == f"/css/imported_layout.min.{T0}.css"  # placed in the shortest member folder
    assert site.output(url).read_text() == (
        f".imported{{background:url(/img/bg.{T0}.png)}}\n.layout{{margin:0 auto;width:calc(100% - 2rem)}}"
    )


def test_mixed_extensions_raise_bundle_error(site):
    with pytest.raises(BundleError, match=r"\.css, \.js"):
        site.render('{% staticfile "/js/a.js; /css/layout.css" %}')
    assert issubclass(BundleError, ValueError)


def test_missing_member_raises_naming_member_and_bundle(site):
    with pytest.raises(MissingAssetError, match=r"/js/gone\.js not found; the bundle is /js/a\.js; /js/gone\.js"):
        site.render('{% staticfile "/js/a.js; /js/gone.js" %}')
    assert issubclass(MissingAssetError, OSError)


def test_images_cannot_be_combined(site):
    with pytest.raises(BundleError, match="only CSS and JS"):
        site.render('{% staticfile "/img/bg.png; /img/photo.png" %}')


def test_combined_name_is_cut_with_a_digest_when_too_long():
    members = [f"/js/module-number-{i}.js" for i in range(6)]
    name = default_combine_filenames_generator(members, 40)
    base = name[len("/js/") : -len(".js")]
    assert len(base) == 40
    assert base.startswith("module-number-0_module-number-1_")
    assert base[-9] == "_"
    other = default_combine_filenames_generator([*members[:5], "/js/module-number-9.js"], 40)
    assert other != name


def test_combined_name_strips_stamps_and_min():
    assert (
        default_combine_filenames_generator(["/js/jquery.min.1243892792.js", "/js/app.js"], 40) == "/js/jquery_app.js"
    )


def test_a_bundle_name_that_fits_is_not_cut():
    assert default_combine_filenames_generator(["/a/x.css", "/a/y.css"], 12) == "/a/x_y.css"


def test_custom_generators_are_used(site, settings):
    settings.DJANGO_STATIC_FILENAME_GENERATOR = "tests.pipeline.generators.dashed"
    settings.DJANGO_STATIC_COMBINE_FILENAMES_GENERATOR = "tests.pipeline.generators.bundle_name"
    assert site.render('{% staticfile "/js/a.js; /js/b.js" %}') == f"/js/bundle-{T0}.js"


def test_roots_are_searched_in_order(site, settings, tmp_path):
    second = copy_assets(tmp_path / "second")
    (second / "js/only-here.js").write_text("var second = 2;\n")
    os.utime(second / "js/only-here.js", (T0, T0))
    (second / "js/a.js").write_text("var shadowed = true;\n")
    settings.DJANGO_STATIC_MEDIA_ROOTS = [str(site.root), str(second)]
    url = site.render('{% staticfile "/js/a.js; /js/only-here.js" %}')
    text = site.output(url).read_text()
    assert "shadowed" not in text and "var second = 2;" in text


@pytest.mark.parametrize("save_prefix", [True, False])
@pytest.mark.parametrize("name_prefix", ["", "/cache-forever"])
@pytest.mark.parametrize("media_url", [None, "https://static.test", "//cdn.test/"])
def test_every_prefix_combination(site, settings, save_prefix, name_prefix, media_url):
    if not save_prefix:
        settings.DJANGO_STATIC_SAVE_PREFIX = ""
    settings.DJANGO_STATIC_NAME_PREFIX = name_prefix
    settings.DJANGO_STATIC_MEDIA_URL = media_url
    url = site.render('{% slimfile "/js/a.js" %}')
    assert url == (media_url or "").rstrip("/") + name_prefix + f"/js/a.min.{T0}.js"
    folder = site.out if save_prefix else site.root
    assert (folder / f"js/a.min.{T0}.js").is_file()
    assert save_prefix or not site.out.exists()


def test_a_save_folder_symlink_leading_out_is_refused(site, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    site.out.mkdir()
    (site.out / "js").symlink_to(outside)
    with pytest.raises(SuspiciousFileOperation, match="outside"):
        site.render('{% slimfile "/js/a.js" %}')
    assert list(outside.iterdir()) == []


def test_without_media_roots_the_staticfiles_finders_are_used(site, settings):
    del settings.DJANGO_STATIC_MEDIA_ROOTS
    settings.STATICFILES_DIRS = [str(site.root)]
    assert site.render('{% slimfile "/js/a.js" %}') == f"/js/a.min.{T0}.js"
    assert site.output(f"/js/a.min.{T0}.js").is_file()


def test_finders_refuse_a_symlink_out_of_their_roots(site, settings, tmp_path):
    del settings.DJANGO_STATIC_MEDIA_ROOTS
    settings.STATICFILES_DIRS = [str(site.root)]
    (tmp_path / "outside.js").write_text("var outside = 1;")
    os.symlink(tmp_path / "outside.js", site.root / "js" / "out.js")
    with pytest.raises(SuspiciousFileOperation):
        site.render('{% slimfile "/js/out.js" %}')
