"""Source maps follow their files under stamped names; joined bundles get an index map (issue 13).

Before, a ``//# sourceMappingURL=app.js.map`` was left as it was, so under the prefix it named a file
that did not exist, and the last member's comment of a joined file claimed the whole bundle.
"""

from __future__ import annotations

import json

import pytest

from django_static_pipe import produce
from django_static_pipe.exceptions import MinifyWarning, MissingAssetWarning
from tests.conftest import T0

APP_JS = "var app = {};\nvar greet = function (name) {\n  return 'hi ' + name;\n};\n//# sourceMappingURL=app.js.map\n"
APP_MAP = {
    "version": 3,
    "file": "app.js",
    "sourceRoot": "../src/",
    "sources": ["app.ts", "webpack:///./lib.ts", "/abs/x.ts"],
    "names": [],
    "mappings": "AAAA;AACA,CAAC;AACA;AACA",
}
SITE_CSS = ".site {\n  color: red;\n}\n/*# sourceMappingURL=site.css.map */\n"
SITE_MAP = {"version": 3, "sources": ["../scss/site.scss"], "names": [], "mappings": "AAAA;AACA;AACA"}


def _base64_vlq(text: str) -> list[int]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    values, shift, value = [], 0, 0
    for char in text:
        digit = alphabet.index(char)
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift, value = 0, 0
    return values


def resolve_line(index_map: dict, line: int) -> tuple[str, int] | None:
    """Where column 0 of 0-based ``line`` of the generated file comes from, read as a browser reads
    an index map: the last section starting at or before it, then its own mappings."""
    section = [s for s in index_map["sections"] if s["offset"]["line"] <= line][-1]
    source_map = section["map"]
    source = original = 0
    found = None
    for number, segments in enumerate(source_map["mappings"].split(";")):
        for segment in filter(None, segments.split(",")):
            fields = _base64_vlq(segment)
            if len(fields) >= 4:
                source += fields[1]
                original += fields[2]
                if number == line - section["offset"]["line"] and found is None:
                    found = (source_map["sources"][source], original)
    return found


def test_a_scripts_map_is_stamped_beside_it_and_its_sources_still_resolve(site, settings):
    site.write("/js/app.js", APP_JS)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    url = site.render('{% staticfile "/js/app.js" %}')
    assert url == f"/js/app.{T0}.js"
    output = site.output(url)
    assert not site.links_to_source(url)  # it changed: a copy
    assert output.read_text() == APP_JS.replace("=app.js.map", f"=/js/app.js.{T0}.map")
    assert json.loads(site.output(f"/js/app.js.{T0}.map").read_text()) == {
        "version": 3,
        "file": "app.js",
        "sources": ["/src/app.ts", "webpack:///./lib.ts", "/abs/x.ts"],  # sourceRoot folded in
        "names": [],
        "mappings": "AAAA;AACA,CAAC;AACA;AACA",
    }


def test_under_a_prefix_and_media_url_the_comment_names_the_published_map(site, settings):
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.example.com"
    site.write("/js/app.js", APP_JS)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    url = site.render('{% staticfile "/js/app.js" %}')
    assert (
        site.output(f"/js/app.{T0}.js")
        .read_text()
        .endswith(f"//# sourceMappingURL=https://static.example.com/cache-forever/js/app.js.{T0}.map\n")
    )
    assert url == f"https://static.example.com/cache-forever/js/app.{T0}.js"
    published = json.loads(site.output(f"/js/app.js.{T0}.map").read_text())
    assert published["sources"][0] == "https://static.example.com/src/app.ts"


def test_a_stylesheets_map_is_stamped_and_named(site):
    site.write("/css/site.css", SITE_CSS)
    site.write("/css/site.css.map", json.dumps(SITE_MAP))
    url = site.render('{% staticfile "/css/site.css" %}')
    expected = f".site {{\n  color: red;\n}}\n/*# sourceMappingURL=/css/site.css.{T0}.map */"
    assert site.output(url).read_text() == expected
    assert json.loads(site.output(f"/css/site.css.{T0}.map").read_text())["sources"] == ["/scss/site.scss"]


def test_minified_output_keeps_no_map_comment(site):
    site.write("/js/app.js", APP_JS)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    site.write("/css/site.css", SITE_CSS)
    site.write("/css/site.css.map", json.dumps(SITE_MAP))
    js = site.render('{% slimfile "/js/app.js" %}')
    css = site.render('{% slimfile "/css/site.css" %}')
    assert site.output(js).read_text() == "var app={};var greet=function(name){return'hi '+name;};"
    assert site.output(css).read_text() == ".site{color:red}"
    assert not any(name.endswith(".map") for name in site.produced())


def test_a_minified_file_passed_through_keeps_its_map(site):
    site.write("/js/lib.min.js", "var lib={};\n//# sourceMappingURL=lib.min.js.map")
    site.write("/js/lib.min.js.map", json.dumps({"version": 3, "sources": ["lib.js"], "names": [], "mappings": "AAAA"}))
    url = site.render('{% slimfile "/js/lib.min.js" %}')
    assert site.output(url).read_text() == f"var lib={{}};\n//# sourceMappingURL=/js/lib.min.js.{T0}.map"
    assert json.loads(site.output(f"/js/lib.min.js.{T0}.map").read_text())["sources"] == ["/js/lib.js"]


def test_an_inline_map_gets_its_sources_made_absolute(site):
    inline = "data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbIi4uL3NyYy9hLnRzIl0sIm1hcHBpbmdzIjoiQUFBQSJ9"
    site.write("/js/inline.js", f"var a;\n//# sourceMappingURL={inline}\n")
    url = site.render('{% staticfile "/js/inline.js" %}')
    rewritten = "eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbIi9zcmMvYS50cyJdLCJtYXBwaW5ncyI6IkFBQUEifQ=="
    assert site.output(url).read_text() == (
        f"var a;\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,{rewritten}\n"
    )


def test_a_missing_map_is_named_absolute_with_a_warning(site):
    site.write("/js/app.js", APP_JS)
    with pytest.warns(MissingAssetWarning, match=r"/js/app\.js names the source map 'app\.js\.map', which does not"):
        url = site.render('{% staticfile "/js/app.js" %}')
    assert site.output(url).read_text().endswith("//# sourceMappingURL=/js/app.js.map\n")


def test_a_map_that_is_not_json_is_published_as_it_is(site):
    site.write("/js/app.js", APP_JS)
    hostile = b"[" * 100_000 + b"]" * 100_000  # no RecursionError, no crash: kept as it is
    site.write("/js/app.js.map", hostile)
    url = site.render('{% staticfile "/js/app.js" %}')
    assert site.output(f"/js/app.js.{T0}.map").read_bytes() == hostile
    assert site.output(url).read_text().endswith(f"=/js/app.js.{T0}.map\n")


A_JS = "// a.js\nvar a = 1;\nvar a2 = 2;\n"
B_JS = "// b.js\nfunction b() {\n  throw new Error('from b');\n}\n"


def test_a_joined_bundle_gets_an_index_map_line_for_line(site):
    site.write("/js/a1.js", A_JS)
    site.write("/js/b1.js", B_JS)
    url = site.render('{% staticfile "/js/a1.js; /js/b1.js" %}')
    bundle = site.output(url).read_text()
    assert bundle == A_JS + "\n;\n" + B_JS + f"\n//# sourceMappingURL=/js/a1_b1.js.{T0}.map"
    index = json.loads(site.output(f"/js/a1_b1.js.{T0}.map").read_text())
    assert index == {
        "version": 3,
        "sections": [
            {
                "offset": {"line": 0, "column": 0},
                "map": {
                    "version": 3,
                    "sources": ["/js/a1.js"],
                    "names": [],
                    "mappings": "AAAA;AACA;AACA;AACA",
                    "sourcesContent": [A_JS],
                },
            },
            {
                "offset": {"line": 5, "column": 0},
                "map": {
                    "version": 3,
                    "sources": ["/js/b1.js"],
                    "names": [],
                    "mappings": "AAAA;AACA;AACA;AACA;AACA",
                    "sourcesContent": [B_JS],
                },
            },
        ],
    }
    lines = bundle.split("\n")
    thrower = lines.index("  throw new Error('from b');")
    assert resolve_line(index, thrower) == ("/js/b1.js", 2)
    assert resolve_line(index, lines.index("var a2 = 2;")) == ("/js/a1.js", 2)


def test_a_member_with_its_own_map_brings_it_and_drops_its_comment(site):
    site.write("/js/app.js", APP_JS)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    site.write("/js/a1.js", A_JS)
    url = site.render('{% staticfile "/js/a1.js; /js/app.js" %}')
    bundle = site.output(url).read_text()
    assert bundle == A_JS + "\n;\n" + APP_JS.replace("//# sourceMappingURL=app.js.map", "") + (
        f"\n//# sourceMappingURL=/js/a1_app.js.{T0}.map"
    )
    index = json.loads(site.output(f"/js/a1_app.js.{T0}.map").read_text())
    assert index["sections"][1] == {
        "offset": {"line": 5, "column": 0},
        "map": {
            "version": 3,
            "file": "app.js",
            "sources": ["/src/app.ts", "webpack:///./lib.ts", "/abs/x.ts"],
            "names": [],
            "mappings": "AAAA;AACA,CAAC;AACA;AACA",
        },
    }
    assert resolve_line(index, 6) == ("/src/app.ts", 1)


def test_a_joined_stylesheet_maps_inlined_imports_to_their_own_file(site):
    site.write("/css/host.css", '.h1 { color: red }\n@import "sub/part.css" print;\n.h2 {\n  color: blue }\n')
    site.write("/css/sub/part.css", ".p1 {}\n.p2 {\n  margin: 0 }\n")
    url = site.render('{% staticfile "/css/layout.css; /css/host.css" %}')
    text = site.output(url).read_text()
    assert text == (
        ".layout {\n    margin : 0 auto;\n    width : calc(100% - 2rem);\n}\n"
        ".h1 { color: red }\n@media print {\n.p1 {}\n.p2 {\n  margin: 0 }\n}\n.h2 {\n  color: blue }\n"
        f"/*# sourceMappingURL=/css/layout_host.css.{T0}.map */"
    )
    index = json.loads(site.output(f"/css/layout_host.css.{T0}.map").read_text())
    lines = text.split("\n")
    expected = {
        ".layout {": ("/css/layout.css", 0),
        ".h1 { color: red }": ("/css/host.css", 0),
        "@media print {": ("/css/host.css", 1),
        ".p1 {}": ("/css/sub/part.css", 0),
        "  margin: 0 }": ("/css/sub/part.css", 2),
        ".h2 {": ("/css/host.css", 2),
        "  color: blue }": ("/css/host.css", 3),
    }
    for line, origin in expected.items():
        assert resolve_line(index, lines.index(line)) == origin, line
    assert resolve_line(index, lines.index("  margin: 0 }") + 1) == ("/css/host.css", 1)  # the @media's end
    assert index["sections"][1]["map"]["sourcesContent"] == [
        '.h1 { color: red }\n@import "sub/part.css" print;\n.h2 {\n  color: blue }\n',
        ".p1 {}\n.p2 {\n  margin: 0 }\n",
    ]


def test_a_slim_bundle_gets_no_map_and_no_members_comment(site):
    site.write("/js/app.js", APP_JS)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    site.write("/js/lib.min.js", "var lib={};\n//# sourceMappingURL=lib.min.js.map")
    url = site.render('{% slimfile "/js/app.js; /js/lib.min.js" %}')
    # The last member's comment would have claimed the whole bundle for its map.
    assert site.output(url).read_text() == (
        "var app={};var greet=function(name){return'hi '+name;};" + "\n;\n" + "var lib={};\n"
    )
    assert not any(name.endswith(".map") for name in site.produced())


def test_content_stamped_maps_and_the_manifest_name_them(site, settings):
    settings.DJANGO_STATIC_STAMP = "content"
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    site.write("/js/a1.js", A_JS)
    site.write("/js/b1.js", B_JS)
    url = site.render('{% staticfile "/js/a1.js; /js/b1.js" %}')
    maps = [name for name in site.produced() if name.endswith(".map")]
    assert len(maps) == 1 and maps[0].startswith("js/a1_b1.js.") and len(maps[0]) == len("js/a1_b1.js..map") + 12
    assert site.output(url).read_text().endswith(f"//# sourceMappingURL=/{maps[0]}")
    entry = json.loads((site.out / "static-pipe-manifest.json").read_text())["entries"]["static:/js/a1.js;/js/b1.js"]
    assert entry["map"] == maps[0]


def test_pruning_keeps_the_map_the_manifest_names(site, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    site.write("/js/a1.js", A_JS)
    site.write("/js/b1.js", B_JS)
    current = f"js/a1_b1.js.{T0}.map"
    site.render('{% staticfile "/js/a1.js; /js/b1.js" %}')
    for old in (T0 - 20, T0 - 10):  # older generations no manifest names
        site.write(f"/../out/js/a1_b1.js.{old}.map", "{}", mtime=old)
    site.write(f"/../out/{current}", site.output(current).read_bytes(), mtime=T0 - 30)  # the oldest file
    call_command("static_pipe_prune", "--keep", "0", stdout=StringIO())
    assert [name for name in site.produced() if name.endswith(".map")] == [current]


def test_a_changed_member_replaces_the_old_map_in_debug(site, settings):
    settings.DEBUG = True
    site.write("/js/a1.js", A_JS)
    site.write("/js/b1.js", B_JS)
    site.render('{% staticfile "/js/a1.js; /js/b1.js" %}')
    site.write("/js/b1.js", B_JS + "b();\n", mtime=T0 + 60)
    url = site.render('{% staticfile "/js/a1.js; /js/b1.js" %}')
    assert url == f"/js/a1_b1.{T0 + 60}.js"
    assert [name for name in site.produced() if ".map" in name] == [
        f"js/a1_b1.js.{T0 + 60}.map",
        f"js/a1_b1.js.{T0 + 60}.map.gz",
    ]


def test_maps_switched_off(site, settings):
    settings.DJANGO_STATIC_SOURCE_MAPS = False
    site.write("/js/app.js", APP_JS)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    site.write("/css/site.css", SITE_CSS)
    site.write("/js/a1.js", A_JS)
    single = site.render('{% staticfile "/js/app.js" %}')
    assert site.links_to_source(single)  # untouched, as before
    css = site.render('{% staticfile "/css/site.css" %}')
    assert site.output(css).read_text() == ".site {\n  color: red;\n}"  # no comment naming a file not published
    bundle = site.render('{% staticfile "/js/a1.js; /js/app.js" %}')
    assert site.output(bundle).read_text() == A_JS + "\n;\n" + APP_JS.replace("//# sourceMappingURL=app.js.map", "")
    assert not any(name.endswith(".map") for name in site.produced())


def test_the_setting_must_be_a_boolean(settings):
    from django.core import checks

    settings.DJANGO_STATIC_SOURCE_MAPS = "yes"
    assert [m.id for m in checks.run_checks(tags=[checks.Tags.staticfiles]) if m.id] == ["django_static_pipe.E001"]


def test_the_comment_scanner_takes_the_last_comment_standing_on_its_line():
    from django_static_pipe.sourcemaps import find_map_comment, map_references

    text = (
        "var s = '//# sourceMappingURL=in-a-string.map';\n"
        "//# sourceMappingURL=first.map\n"
        "code(); //# sourceMappingURL=after-code.map\n"
        "  /*# sourceMappingURL=last.map */  \n"
    )
    comment = find_map_comment(text)
    assert comment is not None and comment.url == "last.map"
    assert text[comment.start : comment.end] == "  /*# sourceMappingURL=last.map */  "
    assert list(map_references(text)) == [((text.index("last.map"), text.index("last.map") + 8), "last.map")]
    assert find_map_comment("var s = 'x';\nfoo(); //# sourceMappingURL=a.map") is None
    assert find_map_comment("//@ sourceMappingURL=old.map").url == "old.map"


def test_the_index_map_is_built_once_per_bundle(site):
    site.write("/js/a1.js", A_JS)
    site.write("/js/b1.js", B_JS)
    before = produce.outputs_produced
    site.render('{% staticfile "/js/a1.js; /js/b1.js" %}')
    site.render('{% staticfile "/js/a1.js; /js/b1.js" %}')
    assert produce.outputs_produced - before == 1


def test_the_scanner_reads_a_line_full_of_markers_once():
    from django_static_pipe import sourcemaps

    hostile = "x = 1; " + "sourceMappingURL=" * 200_000 + "\n//# sourceMappingURL=real.map"
    assert sourcemaps.find_map_comment(hostile).url == "real.map"
    calls = []
    original = sourcemaps._COMMENT

    class Counting:
        def match(self, text, position):
            calls.append(position)
            return original.match(text, position)

    sourcemaps._COMMENT = Counting()  # type: ignore[assignment]
    try:
        assert sourcemaps.find_map_comment("sourceMappingURL=" * 200_000) is None
    finally:
        sourcemaps._COMMENT = original
    assert calls == [0]  # one try for the one line, not one per marker


# Code that writes a map comment for code it makes (a bundler, a code generator) holds one as text.
GENERATOR_JS = "var banner = `\n//# sourceMappingURL=gen.js.map\n`;\nemit( banner );\n"


def test_a_map_comment_inside_a_template_literal_is_text_and_stays(site):
    """Minified or passed on, the template literal keeps its line: it is what the script writes."""
    site.write("/js/gen.js", GENERATOR_JS)
    slim = site.render('{% slimfile "/js/gen.js" %}')
    assert site.output(slim).read_text() == "var banner=`\n//# sourceMappingURL=gen.js.map\n`;emit(banner);"
    url = site.render('{% staticfile "/js/gen.js" %}')
    assert site.output(url).read_bytes() == GENERATOR_JS.encode()  # no map to publish: nothing changed
    assert not any(name.endswith(".map") for name in site.produced())


def test_the_real_comment_before_such_a_template_is_the_one_that_counts(site):
    source = "var app = {};\n//# sourceMappingURL=app.js.map\n" + GENERATOR_JS
    site.write("/js/app.js", source)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    url = site.render('{% staticfile "/js/app.js" %}')
    assert site.output(url).read_text() == source.replace("=app.js.map", f"=/js/app.js.{T0}.map")
    assert site.output(f"/js/app.js.{T0}.map").exists()


def test_a_script_served_unminified_drops_its_map_comment(site):
    """rjsmin would write '<!--' here: the script is served as it is, but for the comment its map
    (which describes the file at its own place) would wrongly claim."""
    site.write("/js/trap.js", "x = a < !--b ;\n//# sourceMappingURL=trap.js.map\n")
    with pytest.warns(MinifyWarning, match="<!--"):
        url = site.render('{% slimfile "/js/trap.js" %}')
    assert site.output(url).read_text() == "x = a < !--b ;\n\n"


def test_the_script_scanner_passes_over_literals_and_lexes_only_when_it_must(monkeypatch):
    from django_static_pipe import sourcemaps

    def found(text: str) -> str | None:
        comment = sourcemaps.find_script_map_comment(text)
        return comment.url if comment is not None else None

    assert found(GENERATOR_JS) is None
    assert found("s = 'a\\\n//# sourceMappingURL=in-a-string.map\n';\nf(s);\n") is None  # a continued string
    in_code = "//# sourceMappingURL=real.map\nt = `${ f(\n//# sourceMappingURL=in-code.map\n) }`;\n"
    assert found(in_code) == "in-code.map"  # a comment in a substitution's code is one
    assert found("t = `\n//# sourceMappingURL=x.map\n` ;\n//# sourceMappingURL=real.map\n") == "real.map"
    lexed = []
    monkeypatch.setattr(sourcemaps, "_literals_across_lines", lambda *args: lexed.append(args) or [])
    assert found("t = `a`;\ncode();\n//# sourceMappingURL=end.map\n") == "end.map"  # nothing after it
    assert found("code();\n//# sourceMappingURL=mid.map\nmore();\n") == "mid.map"  # no backtick before it
    assert not lexed
    assert found("t = `a`;\n//# sourceMappingURL=mid.map\nmore();\n") == "mid.map"
    assert len(lexed) == 1


def test_many_template_literals_holding_comments_are_lexed_once(monkeypatch):
    from django_static_pipe import sourcemaps

    hostile = "t = `\n//# sourceMappingURL=x.map\n`;\n" * 20_000 + "f();\n"
    original, calls = sourcemaps._literals_across_lines, []
    monkeypatch.setattr(sourcemaps, "_literals_across_lines", lambda *args: calls.append(args) or original(*args))
    assert sourcemaps.find_script_map_comment(hostile) is None
    assert len(calls) == 1


@pytest.mark.parametrize(
    "confusing",
    [
        "var i = 0, n = 2;\nvar label = `${i++ / n}/${n}`;\n",  # a division the lexer reads as a regex
        "if (s) /`/.test(s);\n",  # a regular expression it reads as a division
        "export default /`/;\n",
    ],
)
def test_a_lexer_misread_leaves_the_last_candidate_standing(confusing):
    """An outside review's finds: a misread '/' turned the lexer's literals and code around, and the
    real comment was passed over for a line inside a template literal (whose text was then changed)."""
    from django_static_pipe import sourcemaps

    with_fake = confusing + "var gen = `\n//# sourceMappingURL=inner.map\n`;\n//# sourceMappingURL=a.js.map\nrun();\n"
    without = confusing + "//# sourceMappingURL=a.js.map\nrun();\n"
    assert sourcemaps.find_script_map_comment(with_fake).url == "a.js.map"
    assert sourcemaps.find_script_map_comment(without).url == "a.js.map"


def test_a_script_passed_on_byte_for_byte_is_lexed_as_the_utf8_it_is(site):
    """U+2028 ends a // comment; read one character per byte it did not, and the template literals
    after it were taken for code and code for them (the line in t for the comment, rewritten)."""
    source = "// a\u2028var t = `\n//# sourceMappingURL=inner.map\n`;\n// b\u2028var u = `\n`;\nf(t, u);\n"
    site.write("/js/gen.js", source)
    url = site.render('{% staticfile "/js/gen.js" %}')
    assert site.output(url).read_bytes() == source.encode()


def test_hostile_bytes_around_map_comments_are_kept_byte_for_byte(site):
    """Not UTF-8 (\\xff), NUL, CRLF and quotes or angle brackets in a fake comment's URL: the file is
    passed on as its bytes, but for the real comment's URL, which names the published map."""
    source = (
        b"var s = '\xff\x00';\r\nvar t = `\r\n//# sourceMappingURL=\"><script>x.map\r\n`;\r\n"
        b"//# sourceMappingURL=app.js.map\r\nrun(s, t);\r\n"
    )
    site.write("/js/app.js", source)
    site.write("/js/app.js.map", json.dumps(APP_MAP))
    url = site.render('{% staticfile "/js/app.js" %}')
    assert site.output(url).read_bytes() == source.replace(b"=app.js.map", f"=/js/app.js.{T0}.map".encode())
