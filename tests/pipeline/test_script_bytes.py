"""A script of its own is minified from its bytes (never decoded whole) into exactly what the text
path makes of it, and holds memory for at most twice its size; anything the byte path cannot settle
goes the text path's way."""

from __future__ import annotations

import shutil
import subprocess
import tracemalloc
import warnings
from pathlib import Path

import pytest

from devservers import corpus
from django_static_pipe import charsets, js_prepare, jsrefs, script_bytes
from django_static_pipe.exceptions import MinifyWarning
from django_static_pipe.minify import minify
from django_static_pipe.regex_misreads import RegexMisreads


def text_path(data: bytes, name: str) -> bytes:
    """What assemble_text makes of one minified script that names no local module, by its text."""
    decoded = charsets.decode_script(data)  # minify drops the map comment (and only a real one)
    return charsets.encode(minify(".js", decoded.text, name, raw=decoded.raw), decoded.raw)


def byte_path(data: bytes, name: str) -> bytes | None:
    held = [data]
    del data
    made = script_bytes.minified_script(".js", held, name)
    assert (made is None) == bool(held), "the bytes go back exactly when the text path must decide"
    return made


@pytest.mark.parametrize(
    "script",
    [
        "var  a = 1 ;\nfunction  f ( x ) { return  x + a ; }\n",
        "var café = 'crème brûlée' ; // ünïcödé comment\nlet 名前 = café + 'x' ;\n",
        "dashLength = 1.\ndashData = 2 ;\n",  # rjsmin's join, completed
        "s = 'ünï' ;\nx = 3.\nfoo ( ) ;\n",  # the same after text past ASCII: offsets are the bytes'
        "f = items => `<b>${ items.map( i => `<i>${ i }</i>` ) }</b>` ;\nvar  y = 2 ;\n",  # nested literals
        "g = t => /^image\\//.test( t ) ;  var  z = 'ü' ;\n",  # a regular expression after an arrow
        "h = x => /é  ü/.test( x ) ; var  w = 1 ;\n",  # ... holding text past ASCII
        "var  q = 1 ;\n//# sourceMappingURL=q.js.map\n",  # the comment that counts is dropped
        "var  q = 1 ;\n/*# sourceMappingURL=q.js.map */",
        "var  a = 1 ;\n/* sourceMappingURL=not-one */ var  b = 2 ;\n",
        "a = `x ${ `y` }  z  ;\nb = 1.\nc = 2\n",  # never closes: served as it is, with the warning
        "var  s = '\u00a0' ;  var  t = '\ufeff' ;\n",  # spaces past ASCII in strings only
        "f = x => `a ${ `b` }`;\u00a0var  y = 2 ;\n",  # ... and between tokens, for the lexer
        # An outside review's finds: what a character past ASCII is must be read from all its bytes.
        "var \u00e91 = {foo: 2};\nx = \u00e91.\nfoo;\ny = a => `a${`b`}`;\n",  # a name, not a number
        "var \u00e91={foo:2}, foo=3;\nq = 1.\nfoo;\nx = \u00e91.\nfoo;\n",
        "a = 1.\n\u00a0b;\nc =\u00a02.\nd;\n",  # a number after U+00A0 is one
        "c =\u00a02.\nd;\n",
        "f = \u00e9 => /^a\\//.test(\u00e9);\nvar  z = 1;\n",  # an arrow after a name past ASCII
        "f = a\u3000=> /^a\\//.test(a);\nvar  z = 1;\n",  # ... and after a space past ASCII
        "x\u205f=\u20030.//c\n\u2003b;\n",
        "var s = `\n//# sourceMappingURL=foo.map\n`;\nvar  b = 2;\n",  # text in a template, kept
        "var \U0001d465in = 4;\nz = \U0001d465in /'/; g = t => /a b/.test(t) ; //';\n",  # a name past U+FFFF
    ],
)
def test_the_byte_path_makes_what_the_text_path_makes(script):
    data = script.encode("utf-8")
    with warnings.catch_warnings(record=True) as by_text:
        warnings.simplefilter("always")
        expected = text_path(data, "s.js")
    with warnings.catch_warnings(record=True) as by_bytes:
        warnings.simplefilter("always")
        made = byte_path(data, "s.js")
    if made is None:  # left to the text path: only what the byte path would not minify
        assert by_text or expected == data or script in LEFT_TO_THE_TEXT, "a script the byte path should settle"
        return
    assert made == expected
    assert [str(w.message) for w in by_bytes] == [str(w.message) for w in by_text]
    assert not by_bytes, "what the byte path makes is minified"


# Scripts the byte path leaves to the text path although the text path minifies them: the count of
# joined numbers does not add up over the bytes (a name after U+00A0 in the output), and the text's
# lexer then decides.
LEFT_TO_THE_TEXT = {"a = 1.\n\u00a0b;\nc =\u00a02.\nd;\n", "x\u205f=\u20030.//c\n\u2003b;\n"}


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\xef\xbb\xbfvar  a = 1 ;", "a byte order mark"),
        (b"var  a = '\xe9t\xe9' ;", "not UTF-8"),
        (b"#!/usr/bin/env node\nvar  a = 1 ;", "a hashbang line"),
        ("var  a = 1 ;\u2028var  b = 2 ;".encode(), "a line end past ASCII"),
        (b"import  x  from './x.js' ;\n", "a local module"),
        (b"x = a < !--b ;\n", "a trap no preparation cures"),
    ],
)
def test_what_the_byte_path_cannot_settle_goes_back_whole(data, why):
    assert byte_path(data, "s.js") is None, why


def test_a_no_break_space_after_import_sends_a_script_to_the_text_path():
    view = "import\u00a0'./x.js'".encode().decode("latin-1")  # the quick look over bytes
    assert jsrefs.may_name_local_module(view, utf8_view=True)
    assert not jsrefs.may_name_local_module("import \u201cthe data\u201d".encode().decode("latin-1"), utf8_view=True)
    assert jsrefs.may_name_local_module("\u00e9import('./x.js')".encode().decode("latin-1"), utf8_view=True)
    assert not jsrefs.may_name_local_module("\u00e9import('./x.js')"), "a name, as the text reads it"


def test_regular_expressions_are_counted_in_the_bytes_rjsmin_read():
    view = "f = x => /é  ü/".encode().decode("latin-1")
    misreads = RegexMisreads(view, "f=x=>/é ü/".encode(), "latin-1")
    assert misreads(view[9:]) is True  # a Latin-1 count of UTF-8 text would find nothing to compare


def _corpus_scripts() -> list[Path]:
    root = corpus.ensure_installed()
    return sorted(
        path for path in root.rglob("*.js") if path.is_file() and not path.is_symlink() and ".min." not in path.name
    )


def test_every_corpus_script_the_byte_path_takes_comes_out_as_by_text():
    taken = 0
    for path in _corpus_scripts():
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MinifyWarning)
            made = byte_path(data, path.name)
            if made is None:
                continue
            assert not jsrefs.local_specifiers(charsets.decode_script(data).text), path
            assert made == text_path(data, path.name), path
        taken += 1
    assert taken >= 300  # most of the corpus: the byte path is the usual one


@pytest.mark.parametrize(
    ("package_file", "copies"),
    [
        ("plotly.js-dist/plotly.js", 2),  # joined numbers completed: the bytes, then the completed copy
        ("d3/dist/d3.js", 3),  # nested literals prepared by the lexer: its text too
    ],
)
def test_a_large_script_is_held_a_few_times_at_most(package_file, copies):
    """The read bytes, rjsmin's output buffer (the size of what it reads), the text the lexer reads
    when it must, and a megabyte or two; the text path held plotly.js's text (twice its bytes) beside
    its bytes and the minified text, about six times the file."""
    path = corpus.ensure_installed() / package_file
    tracemalloc.start()
    try:
        held = [path.read_bytes()]
        size = len(held[0])
        made = script_bytes.minified_script(".js", held, package_file)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert made is not None and len(made) < size
    assert peak <= copies * size + 2_000_000, f"{peak / size:.2f} × the file"


@pytest.mark.parametrize(
    "script",
    [
        "c =\u00a02.\nd;\n",  # rjsmin joined "2." to "d": the guard took the digits for a name's
        "a = 1.\n\u00a0b;\nc =\u3000 2.\nd;\n",
        "var \u00e91={foo:2}, foo=3;\nq = 1.\nfoo;\nx = \u00e91.\nfoo;\n",
        "f = a\u3000=> /^a\\//.test(a);\nvar  z = 1;\n",
    ],
)
def test_what_both_paths_make_of_spaces_and_names_past_ascii_parses(script, tmp_path):
    data = script.encode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MinifyWarning)
        made = text_path(data, "s.js")
    assert byte_path(data, "s.js") in (None, made)
    output = tmp_path / "s.js"
    output.write_bytes(made)
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is needed (scripts/test installs Debian's nodejs when it is missing)"
    checked = subprocess.run([node, "--check", str(output)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_a_name_past_u_ffff_is_one_name_to_the_lexer():
    text = "var \U0001d465in = 4;\nz = \U0001d465in /'/; import(\"./a.js\"); //';\n"
    assert jsrefs.local_specifiers(text) == []  # "in" was read as the keyword, "/'/" as a regex


@pytest.mark.parametrize(
    "script",
    [
        # A second review's finds. The byte path's limits count bytes where the text's count characters:
        # what it cannot settle within them is the text path's to decide.
        "var z = `${`q`}`;\nvar s = 1, foo = 2;\nif" + "\u3000" * 5 + '(s) /`/.test("x");\nvar m = `a 1.\nfoo`;\n',
        'var z = `${`q`}`;\nvar foo = 2, q = "x" in\u00a0/`/;\nvar m = `a 1.\nfoo`;\nvar e = "`";\n',
        "var a = 1.\n;\nvar foo=function(){}; var b = 2.\n/*" + "x" * 5000 + "*/\nfoo();\n",
        "x=1.\na\u00a0\nif(x)/`/.y",
        "o.\u00a0delete / `///${'\u00e9'\ufeff}` / 2;\u3000\"\ufe0f\u00a0/\";var zz = `${`q`}`;\n",
    ],
)
def test_what_the_byte_path_minifies_is_what_the_text_path_makes(script):
    data = script.encode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MinifyWarning)
        made = byte_path(data, "s.js")
        assert made is None or made == text_path(data, "s.js")


@pytest.mark.parametrize(
    "script",
    [
        "//\u00a01.foo\nvar foo = 1, x = 1.\nfoo;\n",  # a comment with the join's text hid it
        "// step 1.foo\nvar foo = 1, x = 1.\nfoo;\n",
        "f(x =>\u2003/^a\\//g.test(y));\n",  # rjsmin takes U+2003 for a name's: '//' became a comment
        "typeof\u3000/^a\\//g;\nz = 1;\n",
        "//\r{(1 in/\\//)}($)\n{{(1)}}\n",  # a lone CR ends the comment
        "d\r/(''in/\\//)",  # ... but is no place where a regular expression starts
        "a=>/\\//.t();void/\\//",  # a "//" in a regular expression earlier on the line opens no comment
        "a\u3000=>/\\//.t();void/\\//",
        "if" + " " * 15 + "(s) /`/.test('x');\nvar m = `a 1.\nfoo`;\n",
    ],
)
def test_the_text_path_keeps_what_the_reviews_broke(script, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MinifyWarning)
        made = text_path(script.encode("utf-8"), "s.js")
    output = tmp_path / "s.js"
    output.write_bytes(made)
    node = shutil.which("node") or shutil.which("nodejs")
    assert node
    checked = subprocess.run([node, "--check", str(output)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    if "`a 1." in script:
        assert b"`a 1.\nfoo`" in made, "a template literal's text is kept"


def test_long_strings_cost_no_memory_per_character():
    text = "s = '" + "QUJD" * 250_000 + "';\nt = `a ${`b`}`;\n"
    tracemalloc.start()
    try:
        assert jsrefs.specifiers(text) == [] and js_prepare.preparation(text) is not None
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(text), f"{peak / len(text):.0f} bytes a character"  # 120 before
