"""Scripts that nest template literals are minified with their literals kept verbatim, and scripts
rjsmin would break are served as they are.

d3, Vue, three.js, mermaid and video.js nest template literals (a literal inside another's ``${…}``);
rjsmin cuts such a literal short, so they used to be served unminified. rjsmin also joins a number
ending in "." to the name on the next line (plotly.js 2: ``dashLength = 1.`` then ``dashData = …``
became the syntax error ``1.dashData``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from devservers import corpus
from django_static_pipe.exceptions import MinifyWarning
from django_static_pipe.js_templates import minify_around_templates, outer_templates
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
    assert minify_around_templates(text, lambda swapped: swapped) is None


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
    def drops_placeholders(swapped: str) -> str:
        return swapped.replace("`", "")

    def repeats_them(swapped: str) -> str:
        return swapped + swapped

    assert minify_around_templates(NESTED, drops_placeholders) is None
    assert minify_around_templates(NESTED, repeats_them) is None


@pytest.mark.parametrize(
    "source",
    [
        "dashLength = 1.\ndashData = 2\n",
        "dashLength = 1. // one\ndashData = 2\n",
        "// step 3.a of the spec\ndashLength = 1.\ndashData = 2\n",  # a comment must not hide the join
    ],
)
def test_a_number_rjsmin_would_join_to_the_next_line_is_served_unminified(source):
    with pytest.warns(MinifyWarning, match=r"plot\.js is not minified: rjsmin joins a number ending in '\.'"):
        assert minify(".js", source, "plot.js") == source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("version = '1.x' ;\n", "version='1.x';"),  # inside a string: the same text in the source
        ("big = 1.e5 ;\n", "big=1.e5;"),
        ("x = h1.\nstyle ;\n", "x=h1.style;"),  # a name ending in a digit: member access
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
