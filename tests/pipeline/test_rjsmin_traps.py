"""Scripts rjsmin would misread are minified after the lexer has changed what it misreads, and
served as they are when that cannot be done safely.

d3, Vue, three.js, mermaid and video.js nest template literals (a literal inside another's ``${…}``),
which rjsmin cuts short: they used to be served unminified. rjsmin reads a regular expression after
``=>`` as a division (TinyMCE 7's ``file => /^image\\//.test(…)`` lost the rest of its line as a
comment) and joins a number ending in "." to the name on the next line (plotly.js 2's ``dashLength =
1.`` then ``dashData = …`` became the syntax error ``1.dashData``): both were written broken.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
import rjsmin

from devservers import corpus
from django_static_pipe import js_prepare
from django_static_pipe import minify as minify_module
from django_static_pipe.exceptions import MinifyWarning
from django_static_pipe.js_numbers import joined_number_ends
from django_static_pipe.js_prepare import minify_prepared, outer_templates
from django_static_pipe.minify import minify

PROBE_JS = Path(__file__).with_name("node_probe.js")

NESTED = (
    "function  render( items ) {\n"
    '  return `<ul>${ items.map( item => `<li class="${ item.kind }">  ${ item.name }  </li>` ).join( "" ) }</ul>`;\n'
    "}\n"
    "var  total = 1 + 2 ;   // a comment\n"
)


def test_a_nested_template_literal_is_kept_verbatim_and_the_code_around_it_minified(recwarn):
    assert minify(".js", NESTED, "render.js") == (
        'function render(items){return`<ul>${ items.map( item => `<li class="${ item.kind }">  ${ item.name }  '
        '</li>` ).join( "" ) }</ul>`;}\nvar total=1+2;'
    )
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


def test_the_outermost_literals_are_found_through_strings_comments_and_regular_expressions():
    text = "a = '`'; /* ` */ b = /`/g; c = `x ${ `y ${ {z: 1}.z }` } w`; d = `e`"
    spans = outer_templates(text)
    assert [text[start:end] for start, end in spans] == ["`x ${ `y ${ {z: 1}.z }` } w`", "`e`"]


@pytest.mark.parametrize(
    "text",
    [
        "a = `x ${ `y` } z",  # never closes
        "a = `x ${ `y` ",  # a substitution never closes
        "a = `x \\`",  # an escaped backtick at the end
        "a = `x \\",  # a backslash at the end
    ],
)
def test_a_literal_that_never_closes_is_not_taken_apart(text):
    assert outer_templates(text) is None
    assert minify_prepared(text, lambda prepared: prepared) is None


def test_an_unclosed_nested_literal_is_served_unminified_with_a_warning_naming_the_file():
    source = "var  a = `x ${ `y` }  z  ;\n"
    with pytest.warns(MinifyWarning, match=r"broken\.js is not minified: it nests a template literal"):
        assert minify(".js", source, "broken.js") == source


def test_placeholder_like_text_in_the_script_changes_nothing(recwarn):
    source = "var marker = 'static_pipe_template_';\nvar  a = `x ${ `y` }  z`  ;\nvar  b = `plain  text` ;\n"
    assert (
        minify(".js", source, "m.js") == "var marker='static_pipe_template_';var a=`x ${ `y` }  z`;var b=`plain  text`;"
    )
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


def test_a_placeholder_the_minifier_lost_or_repeated_gives_up():
    def drops_placeholders(prepared: bytes) -> bytes:
        return prepared.replace(b"`", b"")

    def repeats_them(prepared: bytes) -> bytes:
        return prepared + prepared

    assert minify_prepared(NESTED, drops_placeholders) is None
    assert minify_prepared(NESTED, repeats_them) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("dashLength = 1.\ndashData = 2\n", "dashLength=1.0\ndashData=2"),
        ("dashLength = 1. // one\ndashData = 2\n", "dashLength=1.0\ndashData=2"),
        ("// step 3.a of the spec\ndashLength = 1.\ndashData = 2\n", "dashLength=1.0\ndashData=2"),
        # only code changes: not the string (a line continuation), the literal or the comment
        ("s = 'x 1.\\\nq'; a = 1.\nb()", "s='x 1.\\\nq';a=1.0\nb()"),
        ("a = `t ${ 1.\n} u`\nb = 2.\nc = 3", "a=`t ${ 1.\n} u`\nb=2.0\nc=3"),
        ("/* 1.\n */ x = 5.\ny", "x=5.0\ny"),
        ("x = 1_000.\nfoo = 2", "x=1_000.0\nfoo=2"),  # a numeric separator
        ("x = 1.\n_foo = 2", "x=1.0\n_foo=2"),  # a name starting with "_"
    ],
)
def test_a_number_rjsmin_would_join_to_the_next_line_gets_its_zero(source, expected, recwarn):
    assert minify(".js", source, "plot.js") == expected
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("f = x => /^image\\//.test( x.type ) ;\ng = 1\n", "f=x=>(/^image\\//).test(x.type);g=1"),
        ("f = x => / +/g.test( x ) ;\n", "f=x=>(/ +/g).test(x);"),
        (
            "f = (a, b) => a > /'/.exec( b ).index ;\n",
            "f=(a,b)=>a>/'/.exec(b).index;",
        ),  # rjsmin got this one right: left as it is
        # "> /…/" in a comment or a string is no regular expression: nothing is wrapped
        ("// x -> / a b /\nvar  y = '> / c d /' ;\n", "var y='> / c d /';"),
    ],
)
def test_a_regular_expression_rjsmin_would_read_as_code_is_wrapped_in_parentheses(source, expected, recwarn):
    assert minify(".js", source, "editor.js") == expected
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


def _lexer_forbidden(text, misread=None):
    raise AssertionError("the lexer was asked to prepare a script whose only trap is a joined number")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("dashLength = 1.\ndashData = 2\n", "dashLength=1.0\ndashData=2"),
        ("a = `t ${ 1.\n} u`\nb = 2. /* two */\nc = 3", "a=`t ${ 1.\n} u`\nb=2.0\nc=3"),
        ("v = '1.x'\nw = 1.\nx = 2", "v='1.x'\nw=1.0\nx=2"),  # the join's text in a string too
    ],
)
def test_a_joined_number_alone_is_completed_without_the_lexer(source, expected, monkeypatch, recwarn):
    monkeypatch.setattr(js_prepare, "preparation", _lexer_forbidden)
    assert minify(".js", source, "plot.js") == expected
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # the same "1." + "x" in a template literal, which rjsmin copies, and in code, which it joins
        ("t = `1.\nx`\nv = 1.\nx = 2\n", "t=`1.\nx`\nv=1.0\nx=2"),
        # and in a licence comment, which it keeps
        ("/*! keep 1.\nx */\nv = 1.\nx = 2\n", "/*! keep 1.\nx */v=1.0\nx=2"),
    ],
)
def test_a_joined_number_whose_text_is_also_elsewhere_is_left_to_the_lexer(source, expected, recwarn):
    source_bytes = source.encode()
    packed = rjsmin.jsmin(source_bytes, keep_bang_comments=True)
    assert joined_number_ends(source, source_bytes, packed, "utf-8") is None
    assert minify(".js", source, "plot.js") == expected
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


def test_when_the_quick_completion_falls_short_the_lexer_prepares_the_script(monkeypatch, recwarn):
    # The first result is let go during the quick attempt; the lexer's way makes it again.
    monkeypatch.setattr(minify_module, "joined_number_ends", lambda *args: [])
    assert minify(".js", "a = `t ${ 1.\n} u`\nb = 2.\nc = 3", "plot.js") == "a=`t ${ 1.\n} u`\nb=2.0\nc=3"
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


def test_plotlys_joined_numbers_are_the_ones_the_lexer_finds():
    text = (corpus.ensure_installed() / "plotly.js-dist/plotly.js").read_text(encoding="utf-8")
    source = text.encode()
    quick = joined_number_ends(text, source, rjsmin.jsmin(source, keep_bang_comments=True), "utf-8")
    assert quick  # plotly.js 2 has them
    assert quick == js_prepare.preparation(text).completed


def test_a_number_join_the_lexer_cannot_reach_is_still_refused():
    source = "a = `x ${ `y` }  z  ;\nb = 1.\nc = 2\n"  # the literal never closes: nothing is changed
    with pytest.warns(MinifyWarning, match=r"plot\.js is not minified"):
        assert minify(".js", source, "plot.js") == source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("version = '1.x' ;\n", "version='1.x';"),  # inside a string: the same text in the source
        ("big = 1.e5 ;\n", "big=1.e5;"),
        ("x = h1.\nstyle ;\n", "x=h1.style;"),  # a name ending in a digit: member access
        ("x = 0x1.\nfoo ;\n", "x=0x1.foo;"),  # a hex number's "." is member access too
    ],
)
def test_a_number_before_a_name_the_source_already_has_is_no_trap(source, expected, recwarn):
    assert minify(".js", source, "ok.js") == expected
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


def _node() -> str:
    found = shutil.which("node") or shutil.which("nodejs")
    assert found, "node is needed (scripts/test installs Debian's nodejs when it is missing)"
    return found


def _probe(kind: str, script: Path) -> list:
    output = subprocess.run(
        [_node(), str(PROBE_JS), kind, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(output.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("kind", "package_file", "at_most"),
    [("d3", "d3/dist/d3.js", 0.75), ("vue", "vue/dist/vue.global.js", 0.75)],
)
def test_real_libraries_that_nest_literals_are_minified_and_do_the_same(kind, package_file, at_most, tmp_path, recwarn):
    source = corpus.ensure_installed() / package_file
    text = source.read_text(encoding="utf-8")
    assert outer_templates(text), "the library no longer has template literals: pick another"
    minified = minify(".js", text, package_file)
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]
    assert len(minified) <= at_most * len(text)
    output = tmp_path / Path(package_file).name
    output.write_text(minified, encoding="utf-8")
    subprocess.run([_node(), "--check", str(output)], check=True, capture_output=True)
    before = _probe(kind, source)
    assert before and all(value not in (None, "") for value in before)
    assert _probe(kind, output) == before


def test_plotly_which_rjsmin_broke_is_minified_and_parses(tmp_path, recwarn):
    package_file = "plotly.js-dist/plotly.js"
    text = (corpus.ensure_installed() / package_file).read_text(encoding="utf-8")
    minified = minify(".js", text, package_file)
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]
    assert len(minified) <= 0.75 * len(text)
    _assert_parses(minified, tmp_path / "plotly.js")


@pytest.mark.parametrize("package_file", ["tinymce/tinymce.js", "tinymce/themes/silver/theme.js"])
def test_tinymce_which_rjsmin_broke_is_never_written_broken(package_file, tmp_path):
    """TinyMCE nests template literals and has a backtick in a string, which still fools the guard
    after the literals are swapped out: it is served as it is, with a warning naming it."""
    text = (corpus.ensure_installed() / package_file).read_text(encoding="utf-8")
    with pytest.warns(MinifyWarning, match=re.escape(package_file) + " is not minified"):
        minified = minify(".js", text, package_file)
    assert minified == text
    _assert_parses(minified, tmp_path / Path(package_file).name)


def _assert_parses(script: str, path: Path) -> None:
    path.write_text(script, encoding="utf-8")
    checked = subprocess.run([_node(), "--check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr[-2000:]


def _globals_after(script: str) -> dict:
    """What running ``script`` in node leaves in its global object (or the error it throws)."""
    program = (
        "const vm = require('vm'); const box = {};"
        "try { vm.runInNewContext(require('fs').readFileSync(0, 'utf8'), box); }"
        "catch (e) { box.__error = e.constructor.name; }"
        "console.log(JSON.stringify(box));"
    )
    output = subprocess.run([_node(), "-e", program], input=script, capture_output=True, text=True, timeout=60)
    return json.loads(output.stdout)


# Found by an outside review of this change, each with node before and after.
REVIEWED = [
    # a property named like a keyword divides; it must not be taken for "in" before a regex
    "var a = {in: 8};\nvar x = a.in / 2 / 4;\nvar y = 3 > /a  b/.test('a  b');\n",
    "var a = {delete: 8, case: 2};\nvar x = a.delete / 2 / a?.case;\nvar t = `p ${ `q  r` } s`;\n",
    # a regular expression after "if (x)" (the lexer reads a division there) holding "a>"
    "var x = 1; if (x) /a>/.test('a>') || /b/.test('b');\nvar T = `a ${ `b` } c`;\n",
    "var r = 0; if (1) /'/.test(''); var g = 4 > /a  b/.source.length;\n",
    "var x = 1; if (x) /`/.test('`'); var t = `${ `a  b` }`;\n",
    # strings continued over CRLF line ends
    "var s = 'a\\\r\n'; var t = `${ `x  y` }`;\n",
    "var s = 'a\\\r\n'; var g = 4 > /a  b/.source.length;\n",
    'var s = "a\\\r\n1.// b"; var t = `${ `c  d` }`;\n',
    "var s = ' x > /y  z/ '; var t = `${ `c  d` }`;\n",
    # a legacy octal number ending in "." is no place for a 0
    "var x = 07.\ny = 2\n",
    # found by a second review
    "var s = 'a=>b', r = 0; if (s) /=>/.test(s) && (r = 1, 4 / 2);\nvar t = `${ `x` }`;\n",
    "var \\u{61}1 = {foo: 5}; var x = \\u{61}1.\nfoo;\n",
    "var a\u200c1 = {foo: 5}; var x = a\u200c1.\nfoo;\nvar t = `${ `x` }`;\n",
    "var f = x => /a  b/, s = '/a  b/', t = `${`x`}`;\nvar r = f().source;\n",
    "var f = x => /^image\\//.test(x);\nvar g = 'image/png'.match(/^image\\//)[0];\n",
    'var n = `${`x  y`}`;\nif (1) /`/.test("x"); var t = `a  ${1}  b  `; var u = `${`q`}`; var w = "`";\n',
    'var n = `${`x  y`}`;\nvar t = `${/}`/.source} a  b`; var w = "`";\n',
    "var f = x =>\n/a  b/.test(x);\nvar r = f('a  b');\n",
    # found by a third review: a regular expression after "~", "<", "%", "^" or a keyword, which rjsmin
    # reads as a division (here "//]" became a comment that joined "1." to the next line)
    "var r = ~/[1.//]/.source.length\nvar foo = 2;\n",
    "var r = typeof /[1.//]/\nvar foo = 2;\n",
    "var a = 3, r = a < /[1.//]/.source.length\nvar foo = 2;\n",
    "var r = 5 % /[1.//]/.lastIndex\nvar foo = 2;\n",
    "var r = 5 ^ /[1.//]/.lastIndex\nvar foo = 2;\n",
    "var r = void /[1.//]/\nvar foo = 2;\n",
    "var r = ''; switch (1) { case /a  b/.source.length: r = 'five'; }\n",
    "var o = {x: 1}, r = delete /a  b/.x, s = 'x' in /a  b/, t = ~/a  b/.source.length;\n",
    "var r = 0; if (0) r = 1; else /a  b/.test('a  b') && (r = 2);\n",
    "function* g() { yield /a  b/; }\nvar r = g().next().value.source;\n",
    # numbers with separators, and names spelled with an escape, joined to the next line
    "var foo = 1; var x = 1_000.\nfoo = 2;\n",
    "var foo = 1; var x = 1.\n\\u0066oo = 2;\n",
    "var _1 = {a: 2}; var x = _1.\na;\n",
    # found by a fourth review: a comment or a space rjsmin keeps between the token and the regular
    # expression, a regular expression earlier on the line that ends in "(" or ",", a quote rjsmin
    # then pairs with a later one, a line end before "<", a keyword starting the file, "..." and
    # "default", a regular expression too long to read whole, a division after "++", a hashbang
    "var r = ~ /* c */ /a  b/.source.length;\n",
    "var r = [typeof /**/ /[//]/, 1];\n",
    "var r = ~\u00a0/a  b/.source.length;\n",
    "var s = 'x(y'.split(/\\(/), t = ~/a  b/.source.length;\n",
    "var y = typeof /'/; var s = 'a  b';\n",
    "var a = 3, r = a\n< /a  b/.source.length;\n",
    "var a = 3, r = a < /a>  b/.source.length;\n",
    "typeof /[//]/ === 'object' && (globalThis.r = 1);\n",
    "var r = [.../[//]/.source];\n",
    "var f = x => /" + "a" * 300 + "  b/.test(x); var r = [f('x'), f('" + "a" * 300 + "  b')];\n",
    'var i = 4, x = i++ / 2 + "a/  b";\n',
    # and what must still be minified as a division: a property, a name ending in a keyword, HTML
    "var a = {in: 8}, xin = 6, r = a.in / 2 / 4, s = xin / 3 / 1, h = '</b> </i >' + '<a></a>';\n",
]


@pytest.mark.parametrize("source", REVIEWED)
def test_reviewed_scripts_mean_the_same_minified_or_are_served_as_they_are(source):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        minified = minify(".js", source, "reviewed.js")
    if minified == source:
        assert [w for w in caught if issubclass(w.category, MinifyWarning)], "unminified without a warning"
    assert _globals_after(minified) == _globals_after(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("r = a.in / 2 / 4 ;", "r=a.in/2/4;"),  # a property named like a keyword
        ("r = xin / 3 / 1 ; s = typeof_ / 2 / 3 ;", "r=xin/3/1;s=typeof_/2/3;"),  # names ending in one
        ("h = '</b> </i >' + '<a></a>' ;\nif (a < b / 2 / c) f( ) ;", "h='</b> </i >'+'<a></a>';if(a<b/2/c)f();"),
        ("// a comment: see </a bogus> or <>{[...]}</>\nx = 1 ;", "x=1;"),  # HTML in comments
    ],
)
def test_divisions_and_html_near_the_misread_operators_are_still_minified(source, expected, recwarn):
    assert minify(".js", source, "ok.js") == expected
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # URLs in strings hold "/new/", "/in/", "/delete/", "~/": no keyword or operator there
        ("var url = '/items/new/' + id + '/edit/' ;", "var url='/items/new/'+id+'/edit/';"),
        ("u = 'https://www.linkedin.com/in/' + h + '/' ;", "u='https://www.linkedin.com/in/'+h+'/';"),
        ("a = ['/api/posts/delete/' + pk + '/', {}] ;", "a=['/api/posts/delete/'+pk+'/',{}];"),
        ("t = '~/' + d + '/' ;", "t='~/'+d+'/';"),
        ("h = 'Total</' + t + '><a href=\"/items/\">' ;", "h='Total</'+t+'><a href=\"/items/\">';"),
        ("// in /tmp or /var\nx = 'in/' ;", "x='in/';"),
        ("#!/usr/bin/env node\n'use strict' ;\nb = 2 ;", "#!/usr/bin/env node\n'use strict';b=2;"),
    ],
)
def test_urls_in_strings_and_a_hashbang_are_minified(source, expected, recwarn):
    assert minify(".js", source, "ok.js") == expected
    assert not [w for w in recwarn if issubclass(w.category, MinifyWarning)]


def test_code_after_a_line_separator_in_a_line_comment_is_never_dropped(recwarn):
    """An outside review's find: U+2028 ends a // comment in JavaScript, not for rjsmin, which dropped
    'var b = 2;' with the comment. In a string it is kept, and such a script is minified."""
    source = "var a = 1; // note\u2028var b = 2;\nvar  c = 3;\n"
    with pytest.warns(MinifyWarning, match=r"s\.js is not minified: rjsmin takes the code after a U\+2028"):
        assert minify(".js", source, "s.js") == source
    assert minify(".js", "var s = 'a\u2028b';  var  c = 1;\n", "t.js") == "var s='a\u2028b';var c=1;"
    assert not [w for w in recwarn if "t.js" in str(w.message)]
