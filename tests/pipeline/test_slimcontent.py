"""{% slimcontent %}: inline CSS, JS and HTML minified in the template."""

from __future__ import annotations

import pytest
from django.template import TemplateSyntaxError


def test_css(site):
    out = site.render('<style>{% slimcontent "css" %}\nh1, h2 {\n  color : red ;\n}\n{% endslimcontent %}</style>')
    assert out == "<style>h1,h2{color:red}</style>"


def test_js(site):
    out = site.render(
        "{% slimcontent 'js' %}\nvar  a = 1 ;\n// gone\nfunction f ( x ) { return x ; }\n{% endslimcontent %}"
    )
    assert out == "var a=1;function f(x){return x;}"


def test_html_keeps_pre_textarea_script_and_style(site):
    source = """{% slimcontent "html" %}
<div>
    <p>Two   words</p>   <!-- a comment -->
    <pre>  keep
   this  </pre>
    <textarea>  and   this </textarea>
    <script>var  s = "  spaced  ";</script>
    <style>p  {  margin : 0 }</style>
    <b>bold</b> <i>italic</i>
</div>
{% endslimcontent %}"""
    assert site.render(source) == (
        "<div> <p>Two words</p> <pre>  keep\n   this  </pre> <textarea>  and   this </textarea> "
        '<script>var  s = "  spaced  ";</script> <style>p  {  margin : 0 }</style> <b>bold</b> <i>italic</i> </div>'
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>  a  </p>", "<p> a </p>"),
        ("var x = function () { return 1; };", "var x=function(){return 1;};"),
        ("a  { color : red }", "a{color:red}"),
    ],
)
def test_no_argument_guesses_the_format(site, body, expected):
    assert site.render("{% slimcontent %}" + body + "{% endslimcontent %}") == expected


def test_format_from_a_variable(site):
    assert site.render("{% slimcontent kind %}a { color : red }{% endslimcontent %}", kind="css") == "a{color:red}"


def test_unknown_format_names_the_valid_ones(site):
    with pytest.raises(
        TemplateSyntaxError, match=r"'slimcontent' does not know the format 'xml'.*\"css\", \"js\", \"html\""
    ):
        site.render('{% slimcontent "xml" %}x{% endslimcontent %}')


def test_unknown_format_from_a_variable_fails_at_render(site):
    with pytest.raises(TemplateSyntaxError, match="'yaml'"):
        site.render("{% slimcontent kind %}x{% endslimcontent %}", kind="yaml")


def test_too_many_arguments(site):
    with pytest.raises(TemplateSyntaxError, match="at most one argument"):
        site.render('{% slimcontent "css" "js" %}x{% endslimcontent %}')


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # The element ends at its own end tag, in any case, with text outside ASCII around it or not.
        ("<PRE>  a  </prefix>  b  </Pre>  c  ", "<PRE>  a  </prefix>  b  </Pre> c"),
        ("é  <pre>  a  </prefix>  b  </PRE>  c", "é <pre>  a  </prefix>  b  </PRE> c"),
        ("<textarea>  İ  </TEXTAREA>  x  ", "<textarea>  İ  </TEXTAREA> x"),
        ("<style>  a  </style  >  b", "<style>  a  </style  > b"),
        ("<script>  never closed  ", "<script>  never closed"),
    ],
)
def test_html_protected_elements_end_at_their_own_end_tag(body, expected):
    from django_static_pipe.minify_html import minify_html

    assert minify_html(body) == expected
