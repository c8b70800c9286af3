"""``/*! … */`` licence banners survive minifying, one per member in a combined file (issue 13).

The MIT and BSD licences of jQuery, Bootstrap and most libraries ask for their notice to be kept;
django-compressor keeps them. ``DJANGO_STATIC_KEEP_LICENSE_COMMENTS = False`` drops them.
"""

from __future__ import annotations

from django.core import checks

JQUERY_LIKE = (
    "/*! jQuery-like v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */\n"
    "/* an ordinary comment */\n"
    "( function ( global ) {\n    global.ready = true ;\n} )( window ) ;\n"
)
BOOTSTRAP_LIKE = (
    "/*!\n * Bootstrap-like v5.3.8 (https://getbootstrap.com/)\n * Licensed under MIT\n */\n"
    "/* ordinary */\n.btn {\n    color : red ;\n}\n"
)


def test_a_minified_script_keeps_its_banner(site):
    site.write("/js/lib.js", JQUERY_LIKE)
    url = site.render('{% slimfile "/js/lib.js" %}')
    assert site.output(url).read_text() == (
        "/*! jQuery-like v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */"
        "(function(global){global.ready=true;})(window);"
    )


def test_a_minified_stylesheet_keeps_its_banner(site):
    site.write("/css/lib.css", BOOTSTRAP_LIKE)
    url = site.render('{% slimfile "/css/lib.css" %}')
    assert site.output(url).read_text() == (
        "/*!\n * Bootstrap-like v5.3.8 (https://getbootstrap.com/)\n * Licensed under MIT\n */.btn{color:red}"
    )


def test_each_member_of_a_combined_script_keeps_its_banner(site):
    site.write("/js/lib.js", JQUERY_LIKE)
    site.write("/js/other.js", "/*! other.js | BSD-3-Clause */\nvar  other = 1 ;\n")
    url = site.render('{% slimfile "/js/lib.js; /js/other.js" %}')
    assert site.output(url).read_text() == (
        "/*! jQuery-like v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */"
        "(function(global){global.ready=true;})(window);"
        "\n;\n"
        "/*! other.js | BSD-3-Clause */var other=1;"
    )


def test_each_member_of_a_combined_stylesheet_keeps_its_banner_imports_too(site):
    site.write("/css/lib.css", BOOTSTRAP_LIKE)
    site.write("/css/theme.css", '/*! theme | MIT */\n@import "icons.css";\n.t { margin : 0 }\n')
    site.write("/css/icons.css", "/*! icons | OFL */\n.i { width : 1em }\n")
    url = site.render('{% slimfile "/css/lib.css; /css/theme.css" %}')
    assert site.output(url).read_text() == (
        "/*!\n * Bootstrap-like v5.3.8 (https://getbootstrap.com/)\n * Licensed under MIT\n */.btn{color:red}"
        "\n"
        "/*! theme | MIT *//*! icons | OFL */.i{width:1em}.t{margin:0}"
    )


def test_inline_content_keeps_its_banner(site):
    out = site.render('{% slimcontent "js" %}/*! inline | MIT */\nvar  a = 1 ;{% endslimcontent %}')
    assert out == "/*! inline | MIT */var a=1;"


def test_the_setting_drops_them(site, settings):
    settings.DJANGO_STATIC_KEEP_LICENSE_COMMENTS = False
    site.write("/js/lib.js", JQUERY_LIKE)
    site.write("/css/lib.css", BOOTSTRAP_LIKE)
    assert site.output(site.render('{% slimfile "/js/lib.js" %}')).read_text() == (
        "(function(global){global.ready=true;})(window);"
    )
    assert site.output(site.render('{% slimfile "/css/lib.css" %}')).read_text() == ".btn{color:red}"


def _ids() -> list[str]:
    return [message.id for message in checks.run_checks(tags=[checks.Tags.staticfiles]) if message.id]


def test_the_setting_must_be_a_boolean(settings):
    settings.DJANGO_STATIC_KEEP_LICENSE_COMMENTS = "no"
    assert _ids() == ["django_static_pipe.E001"]


def test_a_minifier_that_cannot_be_asked_to_keep_them_is_a_warning(settings):
    settings.DJANGO_STATIC_MINIFIERS = {".css": "rcssmin.cssmin", ".js": "tests.pipeline.generators.shout"}
    messages = [m for m in checks.run_checks(tags=[checks.Tags.staticfiles]) if m.id]
    assert [m.id for m in messages] == ["django_static_pipe.W003"]
    assert "tests.pipeline.generators.shout" in messages[0].msg
    assert "DJANGO_STATIC_KEEP_LICENSE_COMMENTS = False" in messages[0].hint
    settings.DJANGO_STATIC_KEEP_LICENSE_COMMENTS = False
    assert _ids() == []
