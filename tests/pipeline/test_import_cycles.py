"""Stylesheets that import each other: the files are stamped and the page renders (issue 13).

Files of their own in a cycle are stamped together by :mod:`django_static_pipe.cycles` (the two-file
case and content stamps are in test_css.py). Here: longer cycles, a file importing itself, slim
builds, a file outside the cycle, the block tag, the offline build, and a cycle inside a combined
file, which raised a ``BundleError`` during the render: there the repeated import is left out, as
browsers leave it out.
"""

from __future__ import annotations

import pytest

from django_static_pipe import pipeline, produce
from django_static_pipe.exceptions import ImportCycleWarning, MissingAssetWarning
from tests.conftest import T0

CYCLE = r"/css/cycle-a\.css → /css/cycle-b\.css → /css/cycle-a\.css"


def test_the_other_file_asked_for_later_is_the_same_build(site):
    with pytest.warns(ImportCycleWarning):
        site.render('{% staticfile "/css/cycle-a.css" %}')
    before = produce.outputs_produced
    assert site.render('{% staticfile "/css/cycle-b.css" %}') == f"/css/cycle-b.{T0}.css"
    assert produce.outputs_produced == before  # built with the cycle, not again
    assert issubclass(ImportCycleWarning, MissingAssetWarning)


def test_slim_members_are_minified_and_name_the_minified_files(site):
    with pytest.warns(ImportCycleWarning):
        url = site.render('{% slimfile "/css/cycle-b.css" %}')
    assert site.output(url).read_text() == f'@import url("/css/cycle-a.min.{T0}.css");.b{{color:green}}'
    other = site.output(f"/css/cycle-a.min.{T0}.css").read_text()
    assert other == f'@import url("/css/cycle-b.min.{T0}.css");.a{{color:blue}}'


def test_a_change_to_either_file_renames_both(site, settings):
    settings.DJANGO_STATIC_STAMP = "content"
    settings.DEBUG = True
    with pytest.warns(ImportCycleWarning):
        first = site.render('{% staticfile "/css/cycle-a.css" %}')
    site.write("/css/cycle-b.css", '@import "cycle-a.css";\n.b { color: red; }\n')
    with pytest.warns(ImportCycleWarning):
        second = site.render('{% staticfile "/css/cycle-a.css" %}')
    assert second != first
    stamp = second.split(".")[-2]
    assert site.output(f"/css/cycle-b.{stamp}.css").read_text() == (
        f'@import url("/css/cycle-a.{stamp}.css");\n.b {{ color: red; }}'
    )


def test_three_files_and_a_file_importing_itself(site):
    site.write("/css/x.css", '@import "deep/y.css";\n.x {}')
    site.write("/css/deep/y.css", '@import "../z.css";\n.y {}')
    site.write("/css/z.css", '@import "x.css";\n@import url(../img/bg.png);\n.z {}')
    site.write("/css/self.css", '@import "self.css";\n.s {}')
    with pytest.warns(ImportCycleWarning, match=r"/css/x\.css → /css/deep/y\.css → /css/z\.css → /css/x\.css"):
        site.render('{% staticfile "/css/x.css" %}')
    assert site.output(f"/css/x.{T0}.css").read_text() == f'@import url("/css/deep/y.{T0}.css");\n.x {{}}'
    assert site.output(f"/css/deep/y.{T0}.css").read_text() == f'@import url("/css/z.{T0}.css");\n.y {{}}'
    assert site.output(f"/css/z.{T0}.css").read_text() == (
        f'@import url("/css/x.{T0}.css");\n@import url("/img/bg.{T0}.png");\n.z {{}}'
    )
    with pytest.warns(ImportCycleWarning, match=r"/css/self\.css → /css/self\.css"):
        url = site.render('{% staticfile "/css/self.css" %}')
    assert site.output(url).read_text() == f'@import url("/css/self.{T0}.css");\n.s {{}}'


def test_a_file_outside_the_cycle_gets_its_own_stamp(site):
    site.write("/css/top.css", '@import "cycle-a.css";\n.top {}')
    site.touch("/css/cycle-a.css", T0 - 100)
    site.touch("/css/cycle-b.css", T0 - 50)
    site.touch("/css/top.css", T0 + 10)
    with pytest.warns(ImportCycleWarning, match=CYCLE):
        url = site.render('{% staticfile "/css/top.css" %}')
    assert url == f"/css/top.{T0 + 10}.css"  # not a member: its own stamp (its newest source)
    assert site.output(url).read_text() == f'@import url("/css/cycle-a.{T0 - 50}.css");\n.top {{}}'
    assert site.output(f"/css/cycle-a.{T0 - 50}.css").read_text() == (
        f'@import url("/css/cycle-b.{T0 - 50}.css");\n.a {{ color: blue; }}'
    )


def test_in_a_combined_file_the_repeated_import_is_left_out(site):
    with pytest.warns(ImportCycleWarning, match=r"cycle-a\.css → cycle-b\.css → /css/cycle-a\.css.*left out"):
        url = site.render('{% staticfile "/css/layout.css; /css/cycle-a.css" %}')
    text = site.output(url).read_text()
    assert text.split("\n/*# sourceMappingURL")[0] == (
        ".layout {\n    margin : 0 auto;\n    width : calc(100% - 2rem);\n}\n"
        ".b { color: green; }\n.a { color: blue; }"  # b's rules, then a's: what a browser applies
    )


def test_in_a_combined_file_a_file_importing_itself_is_written_once(site):
    site.write("/css/self.css", '@import "self.css";\n.s {}')
    with pytest.warns(ImportCycleWarning, match="self.css"):
        url = site.render('{% slimfile "/css/layout.css; /css/self.css" %}')
    assert site.output(url).read_text() == ".layout{margin:0 auto;width:calc(100% - 2rem)}\n.s{}"


def test_the_page_renders_through_the_block_tag(site):
    with pytest.warns(ImportCycleWarning):
        html = site.render('{% slimall %}<link rel="stylesheet" href="/css/cycle-b.css">{% endslimall %}')
    assert html == f'<link rel="stylesheet" href="/css/cycle-b.min.{T0}.css">'


def test_the_offline_build_records_every_member(site):
    with pipeline.offline_session() as collected, pytest.warns(ImportCycleWarning):
        pipeline.build(("/css/cycle-a.css",), False)
    assert sorted(built.url_path for built in collected.values()) == [
        f"/css/cycle-a.{T0}.css",
        f"/css/cycle-b.{T0}.css",
    ]
