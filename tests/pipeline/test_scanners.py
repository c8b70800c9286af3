"""The reference scanners find the same things whatever the case and wherever a keyword hides."""

from __future__ import annotations

import pytest

from devservers import corpus
from django_static_pipe import css, js_lexer, jsrefs


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ('a{background:URL(a.png)} b{background:Url("b.png")} c{background:uRl( c.png )}', ["a.png", "b.png", "c.png"]),
        ('@IMPORT "x.css";@Import url(y.css) print;', ["x.css", "y.css"]),
        ("/* url(no.png) */ d{content:'url(no.png)'} e{background:url(yes.png)} auto;u;U;@media", ["yes.png"]),
    ],
)
def test_css_references_are_found_in_any_case(text, urls):
    assert [token.url for token in css.tokens(text)] == urls


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('import "./a.js";', ["./a.js"]),
        ('var importance = 1; exports.x = 2; myimport("./no.js");\nexport * from "./b.js";', ["./b.js"]),
        ('const important = "import"; reexport = 1; export {x} from "./c.js"', ["./c.js"]),
        ("module.exports = importantThing; // no module syntax", []),
    ],
)
def test_module_specifiers_are_found_past_words_that_contain_the_keywords(text, found):
    assert [specifier.value for specifier in jsrefs.specifiers(text)] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('import(/* webpackChunkName: "x" */ "./y.js")', ["./y.js"]),
        ('import x from // the next line\n  "../x.js"; import "lodash"', ["../x.js"]),
        ("export*from'/z.js';import('https://cdn.example/m.js')", ["/z.js", "https://cdn.example/m.js"]),
        ('import {\n  a,\n  b\n} from\n"./ab.js"', ["./ab.js"]),
        # webpack and plotly.js: the words in comments and strings, no local specifier
        ("/* harmony import */ var a = __webpack_require__(1); x = ['from', upper];", []),
        ("reject('Unexpected error while fetching from ' + url); var s = \"import './no.js'\";", []),
        ('import a from "lodash"; import "./lit.js" + b;', ["./lit.js"]),
        # the other quote inside a string does not end it
        ('import "a\'b://c"; import x from \'say "hi" https://x/a.js\'', ["a'b://c", 'say "hi" https://x/a.js']),
    ],
)
def test_local_specifiers_are_found_past_comments_and_bare_ones_left_out(text, found):
    assert [specifier.value for specifier in jsrefs.local_specifiers(text)] == found
    reference = [s.value for s in jsrefs.specifiers(text) if jsrefs.is_local_specifier(s.value)]
    assert reference == found


@pytest.mark.parametrize(
    ("text", "found", "lexed"),
    [
        # JSDoc lines (plotly.js, video.js): no specifier, and no lexer needed to tell
        ("/** @type {import('./eval')} */\nmodule.exports = 1;", [], False),
        ("/**\n * @import Player from './player'\n * import x from './y.js'\n */\nvar a = 1;", [], False),
        # code on such lines is still read: after the comment closes, or a generator method
        ('/** doc */ import "./x.js";', ["./x.js"], True),
        ("class A {\n  *gen() { return import('./x.js') }\n}", ["./x.js"], True),
    ],
)
def test_keywords_on_documentation_comment_lines_are_passed_by(text, found, lexed):
    assert [specifier.value for specifier in jsrefs.local_specifiers(text)] == found
    assert [s.value for s in jsrefs.specifiers(text) if jsrefs.is_local_specifier(s.value)] == found
    assert jsrefs.may_name_local_module(text) is lexed


def test_the_quick_look_never_hides_a_local_specifier_in_real_scripts():
    """Over every script of the npm corpus (d3's modules, Vue, plotly.js…): the quick look before
    the lexer drops no specifier the lexer finds, and spares the lexer most scripts."""
    root = corpus.ensure_installed()
    scripts = sorted(path for pattern in ("*.js", "*.mjs") for path in root.rglob(pattern))
    assert len(scripts) > 500
    with_specifiers = spared = 0
    for path in scripts:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        reference = [s for s in jsrefs.specifiers(text) if jsrefs.is_local_specifier(s.value)]
        assert jsrefs.local_specifiers(text) == reference, path
        with_specifiers += bool(reference)
        spared += not jsrefs.may_name_local_module(text)
    assert with_specifiers > 50
    assert spared > len(scripts) // 2


def test_a_character_isdigit_takes_but_regex_digits_do_not_is_read_as_a_word():
    # "²" passes str.isdigit() but is no \d: the lexer took it for a number and crashed (AttributeError).
    assert [s.value for s in jsrefs.specifiers('import a from "./a.js";\nvar b = ² + x²;\nimport("./c.js");')] == [
        "./a.js",
        "./c.js",
    ]


def test_long_plain_code_between_declarations_is_read_like_any_other():
    filler = "var total = 0; for (i = 0; i < 10; i++) { total += i * 2 } " * 500
    text = (
        f'import a from "./a.js";\n{filler}\nexport {{ b }} from "./b.js";\n{filler} x.import("no"); import("./c.js")'
    )
    assert [s.value for s in jsrefs.specifiers(text)] == ["./a.js", "./b.js", "./c.js"]


@pytest.mark.parametrize(
    ("source", "minified"),
    [
        ("var s = `a ${ f(`b`) } c`; // é", "var s=`a ${ f(`b`) } c`;"),
        ("var s = `a ${ {x: 1}.x } c`; var é = 1;", "var s=`a ${ {x: 1}.x } c`;var é=1;"),
        ("var t = `a \\` ${b}`; x = y < !--z;", "var t=`a \\` ${b}`;x=y<!--z;"),
        ("a = '<!--'; b = `plain`;", "a='<!--';b=`plain`;"),
    ],
)
def test_the_guards_give_the_same_answer_over_bytes(source, minified):
    from django_static_pipe.minify_guards import js_trap, js_trap_bytes

    assert js_trap_bytes(source.encode(), minified.encode()) == js_trap(source, minified)


def test_a_division_after_an_increment_is_no_regular_expression():
    """'i++ / 2' divides (a regular expression cannot be incremented); read as one, the lexer hid the
    import after it. An odd run of '+' ends in a binary plus, after which one can start."""
    text = "x = i++ / 2; import('./m.js'); y = 1 / 2;\nz = a+++/re/.source; w = c-- /2/ 1;\n"
    assert [spec.value for spec in jsrefs.local_specifiers(text)] == ["./m.js"]
    kinds = [token.kind for token in js_lexer.Lexer("a+++/re/.source")]
    assert kinds == ["word", "punct", "punct", "punct", "regex", "punct", "word"]


def test_a_hashbang_line_is_a_comment_to_the_lexer():
    """A CLI's '#!' line (node runs it) is passed over: read as code, its '/' and backtick hid the
    import after it."""
    text = "#!/usr/bin/env node --title=`x`\nimport('./cli-main.js');\n"
    assert [spec.value for spec in jsrefs.local_specifiers(text)] == ["./cli-main.js"]
    assert next(token.text for token in js_lexer.Lexer("#!/a/b\n/re/.test(s)")) == "/re/"
    assert [token.text for token in js_lexer.Lexer("x = 1 #!/a/\n")][:3] == ["x", "=", "1"]
