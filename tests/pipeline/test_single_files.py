"""{% staticfile %} and {% slimfile %} on one file: names, stamps, outputs, DEBUG on and off."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from django.template import TemplateSyntaxError

import django_static_pipe
from django_static_pipe import writer
from django_static_pipe.exceptions import MissingAssetWarning
from tests.conftest import T0


def test_staticfile_stamps_an_image_and_hard_links_it(site):
    assert site.render('<img src="{% staticfile "/img/bg.png" %}">') == f'<img src="/img/bg.{T0}.png">'
    output = site.output(f"/img/bg.{T0}.png")
    assert not output.is_symlink()
    assert os.path.samefile(output, site.root / "img/bg.png")  # one file, two names
    assert site.produced() == [f"img/bg.{T0}.png"]  # an image gets no .gz sibling


def test_with_hard_links_off_the_output_is_a_symlink(site, settings):
    settings.DJANGO_STATIC_HARD_LINKS = False
    output = site.output(site.render('{% staticfile "/img/bg.png" %}'))
    assert output.is_symlink() and os.readlink(output) == str(site.root / "img/bg.png")


def test_a_hard_linked_output_keeps_its_bytes_when_the_source_is_replaced(site):
    url = site.render('{% staticfile "/img/bg.png" %}')
    before = site.output(url).read_bytes()
    replacement = site.root / "img/bg.png.new"
    replacement.write_bytes(b"a new picture")
    os.replace(replacement, site.root / "img/bg.png")  # how editors and deploys save a file
    assert site.output(url).read_bytes() == before


def test_across_filesystems_the_output_is_a_symlink(site, settings):
    shm = Path("/dev/shm")
    assert shm.is_dir() and shm.stat().st_dev != site.root.stat().st_dev  # a tmpfs: a hard link cannot reach it
    out = Path(tempfile.mkdtemp(dir=shm))
    try:
        settings.DJANGO_STATIC_SAVE_PREFIX = str(out)
        url = site.render('{% staticfile "/img/bg.png" %}')
        output = out / url.lstrip("/")
        assert output.is_symlink() and os.readlink(output) == str(site.root / "img/bg.png")
        assert sorted(p.name for p in output.parent.iterdir()) == [output.name]  # no temporary name left
    finally:
        shutil.rmtree(out)


def test_relinking_onto_the_same_file_leaves_no_temporary_name(site):
    url = site.render('{% staticfile "/img/bg.png" %}')
    output = site.output(url)
    writer.link_atomic(str(site.root / "img/bg.png"), str(output))  # rename(2) onto the same file is a no-op
    assert sorted(p.name for p in output.parent.iterdir()) == [output.name]
    assert os.path.samefile(output, site.root / "img/bg.png")


def test_staticfile_copies_instead_of_linking_when_symlinks_are_off(site, settings):
    settings.DJANGO_STATIC_USE_SYMLINK = False
    assert site.render('{% staticfile "/js/a.js" %}') == f"/js/a.{T0}.js"
    output = site.output(f"/js/a.{T0}.js")
    assert not site.links_to_source(f"/js/a.{T0}.js")
    assert output.read_bytes() == (site.root / "js/a.js").read_bytes()
    assert stat.S_IMODE(output.stat().st_mode) == 0o644


def test_slimfile_minifies_js_under_a_min_name(site):
    assert site.render('{% slimfile "/js/a.js" %}') == f"/js/a.min.{T0}.js"
    output = site.output(f"/js/a.min.{T0}.js")
    assert not site.links_to_source(f"/js/a.min.{T0}.js")
    assert output.read_text() == "var app=window.app||{};app.a=function(value){return value+1;}"


def test_slimfile_keeps_an_already_minified_name_and_content(site):
    assert site.render('{% slimfile "/js/vendor.min.js" %}') == f"/js/vendor.min.{T0}.js"
    assert site.output(f"/js/vendor.min.{T0}.js").read_bytes() == (site.root / "js/vendor.min.js").read_bytes()


def test_slim_and_plain_outputs_of_one_source_never_share_a_name(site, settings):
    settings.DJANGO_STATIC_USE_SYMLINK = True
    plain = site.render('{% staticfile "/js/a.js" %}')
    slim = site.render('{% slimfile "/js/a.js" %}')
    assert plain == f"/js/a.{T0}.js" and slim == f"/js/a.min.{T0}.js"
    source_before = (site.root / "js/a.js").read_text()
    assert "// a.js" in source_before  # the source was not overwritten through the link
    assert site.links_to_source(plain) and not site.links_to_source(slim)


def test_slimfile_of_css_is_minified_and_rewritten(site):
    url = site.render('{% slimfile "/css/layout.css" %}')
    assert url == f"/css/layout.min.{T0}.css"
    assert site.output(url).read_text() == ".layout{margin:0 auto;width:calc(100% - 2rem)}"


def test_as_stores_the_url_and_renders_nothing(site):
    out = site.render('{% staticfile "/img/bg.png" as bg %}[{{ bg }}]{% slimfile "/js/a.js" as js %}[{{ js }}]')
    assert out == f"[/img/bg.{T0}.png][/js/a.min.{T0}.js]"


def test_the_argument_may_be_a_variable(site):
    assert site.render("{% staticfile name %}", name="/img/bg.png") == f"/img/bg.{T0}.png"


def test_relative_name_gives_a_relative_result(site, settings):
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.test"
    assert site.render('{% staticfile "css/layout.css" %}') == f"css/layout.{T0}.css"
    assert site.output(f"css/layout.{T0}.css").is_file()


def test_stamp_is_the_newest_source_mtime(site):
    site.touch("/js/a.js", T0 + 5)
    site.touch("/js/b.js", T0 + 99)
    assert site.render('{% slimfile "/js/a.js; /js/b.js" %}') == f"/js/a_b.min.{T0 + 99}.js"


def test_content_stamp_is_12_hex_of_the_output_hash(site, settings):
    settings.DJANGO_STATIC_STAMP = "content"
    url = site.render('{% slimfile "/js/a.js" %}')
    match = re.fullmatch(r"/js/a\.min\.([0-9a-f]{12})\.js", url)
    assert match
    import hashlib

    assert hashlib.sha256(site.output(url).read_bytes()).hexdigest()[:12] == match.group(1)


def test_content_stamped_files_are_copies_so_the_name_keeps_its_promise(site, settings):
    settings.DJANGO_STATIC_STAMP = "content"
    url = site.render('{% staticfile "/img/bg.png" %}')
    assert not site.links_to_source(url)
    site.write("/img/bg.png", b"changed in place")
    assert site.output(url).read_bytes() != b"changed in place"


def test_content_stamp_does_not_depend_on_mtime(site, settings):
    settings.DJANGO_STATIC_STAMP = "content"
    settings.DEBUG = True
    first = site.render('{% slimfile "/js/a.js" %}')
    site.touch("/js/a.js", T0 + 1000)
    assert site.render('{% slimfile "/js/a.js" %}') == first


def test_gzip_siblings_are_deterministic(site, settings):
    url = site.render('{% slimfile "/js/a.js" %}')
    first = site.output(url + ".gz").read_bytes()
    assert gzip.decompress(first) == site.output(url).read_bytes()
    assert first[4:8] == b"\x00\x00\x00\x00"  # mtime 0 in the gzip header
    os.unlink(site.output(url))
    os.unlink(site.output(url + ".gz"))
    django_static_pipe.pipeline.reset()
    assert site.render('{% slimfile "/js/a.js" %}') == url
    assert site.output(url + ".gz").read_bytes() == first


def test_brotli_siblings_when_asked(site, settings):
    import brotli

    settings.DJANGO_STATIC_PRECOMPRESS = ("gzip", "br")
    url = site.render('{% slimfile "/css/layout.css" %}')
    assert brotli.decompress(site.output(url + ".br").read_bytes()) == site.output(url).read_bytes()
    assert site.output(url + ".gz").exists()


def test_no_siblings_when_precompress_is_empty(site, settings):
    settings.DJANGO_STATIC_PRECOMPRESS = ()
    site.render('{% slimfile "/js/a.js" %}')
    assert site.produced() == [f"js/a.min.{T0}.js"]


def test_a_linked_text_file_still_gets_a_gzip_sibling(site):
    url = site.render('{% staticfile "/js/a.js" %}')
    assert gzip.decompress(site.output(url + ".gz").read_bytes()) == (site.root / "js/a.js").read_bytes()


def test_no_temporary_files_are_left(site):
    site.render('{% slimfile "/js/a.js" %}{% staticfile "/css/imports.css" %}')
    leftovers = [name for name in site.produced() if ".static-pipe-tmp-" in name]
    assert leftovers == []


def test_debug_off_warm_render_touches_no_disk(site, settings):
    settings.DEBUG = False
    url = site.render('{% slimfile "/js/a.js" %}')
    os.unlink(site.root / "js/a.js")  # were the source looked at, this would warn and change the URL
    os.unlink(site.output(url))
    assert site.render('{% slimfile "/js/a.js" %}') == url


def test_debug_on_rechecks_and_replaces_a_changed_file(site, settings):
    settings.DEBUG = True
    old = site.render('{% slimfile "/js/a.js" %}')
    site.write("/js/a.js", "var changed = 1;\n", mtime=T0 + 60)
    new = site.render('{% slimfile "/js/a.js" %}')
    assert new == f"/js/a.min.{T0 + 60}.js"
    assert site.output(new).read_text() == "var changed=1;"
    assert not site.output(old).exists()
    assert not site.output(old + ".gz").exists()


def test_debug_on_rebuilds_an_output_someone_deleted(site, settings):
    settings.DEBUG = True
    url = site.render('{% slimfile "/js/a.js" %}')
    os.unlink(site.output(url))
    assert site.render('{% slimfile "/js/a.js" %}') == url
    assert site.output(url).is_file()


def test_an_existing_output_is_not_rewritten(site):
    url = site.render('{% slimfile "/js/a.js" %}')
    before = site.output(url).stat().st_ino
    django_static_pipe.pipeline.reset()  # a new process
    assert site.render('{% slimfile "/js/a.js" %}') == url
    assert site.output(url).stat().st_ino == before


def test_missing_single_file_warns_and_keeps_its_name(site, settings):
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.test"
    with pytest.warns(MissingAssetWarning, match="/js/nope.js"):
        assert site.render('{% staticfile "/js/nope.js" %}') == "https://static.test/js/nope.js"
    assert site.produced() == []


def test_the_python_api_matches_the_tags(site):
    assert django_static_pipe.staticfile("/img/bg.png") == f"/img/bg.{T0}.png"
    assert django_static_pipe.slimfile("/js/a.js; /js/b.js") == f"/js/a_b.min.{T0}.js"


@pytest.mark.parametrize(
    "source",
    [
        "{% staticfile %}",
        '{% staticfile "/a.js" "/b.js" %}',
        '{% slimfile "/a.js" into x %}',
        "{% staticall 1 %}{% endstaticall %}",
    ],
)
def test_tag_misuse_names_the_tag_and_its_forms(site, source):
    with pytest.raises(TemplateSyntaxError, match=r"'(staticfile|slimfile|staticall)'"):
        site.render(source)


def test_a_source_is_read_whole_however_its_size_was_guessed(tmp_path):
    from django_static_pipe.products import _read_all

    data = os.urandom(200_000)
    path = tmp_path / "grown.bin"
    path.write_bytes(data)
    for expected, most, wanted in [(10, 10**6, data), (200_001, 10**6, data), (10, 150_001, data[:150_001])]:
        fd = os.open(path, os.O_RDONLY)
        try:
            assert _read_all(fd, expected, most) == wanted  # a file that grew past its fstat is still read whole
        finally:
            os.close(fd)


def test_a_link_another_worker_made_first_in_a_folder_made_again_is_replaced_whole(tmp_path):
    folder = tmp_path / "out" / "img"
    path = folder / "bg.1.png"
    made: list[str] = []

    def make(name: str) -> None:  # a worker that meets both races
        made.append(name)
        if len(made) == 1:
            raise FileNotFoundError(name)  # the folder was removed (it does not exist)
        if len(made) == 2:
            Path(name).write_bytes(b"the other worker's")
            raise FileExistsError(name)  # another worker linked it first
        Path(name).write_bytes(b"ours")

    writer._place(make, str(path), ".lnk")
    assert path.read_bytes() == b"ours" and [p.name for p in folder.iterdir()] == [path.name]
    assert made[:2] == [str(path), str(path)] and made[2] != str(path)  # a temporary name, renamed over it
