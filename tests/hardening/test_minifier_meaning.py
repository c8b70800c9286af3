"""Minifying and combining never change what a script does: every JS file of a real corpus, run in
node's vm before and after, leaves the same globals and the same errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.template import Context, Template

from devservers import corpus
from django_static_pipe import slimfile
from django_static_pipe.exceptions import BundleError, MinifyWarning
from tests.hardening.figures import record

FINGERPRINT_JS = Path(__file__).with_name("vm_fingerprint.js")
DATA_SVG = "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'><path d='M 0 0 L 10 10'/></svg>"


def node() -> str:
    found = shutil.which("node") or shutil.which("nodejs")
    assert found, "node is needed (scripts/test installs Debian's nodejs when it is missing)"
    return found


def fingerprints(runs: list[list[Path]], tmp_path: Path) -> list[dict]:
    spec = tmp_path / f"runs-{len(list(tmp_path.iterdir()))}.json"
    spec.write_text(json.dumps([[str(path) for path in run] for run in runs]))
    output = subprocess.run(
        [node(), str(FINGERPRINT_JS), str(spec)], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(output.stdout)


@pytest.fixture
def corpus_site(tmp_path, settings):
    root = corpus.copy_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    settings.DJANGO_STATIC = True
    settings.DJANGO_STATIC_MEDIA_ROOTS = [str(root)]
    settings.DJANGO_STATIC_SAVE_PREFIX = str(out)
    settings.DJANGO_STATIC_PRECOMPRESS = ()
    return root, out


@pytest.mark.slow
def test_every_corpus_script_means_the_same_minified(corpus_site, tmp_path):
    root, out = corpus_site
    sources = corpus.files(root, ".js", minified=False)
    assert len(sources) >= 40
    minified = []
    for source in sources:
        url = slimfile(corpus.url_name(root, source))
        minified.append(out / url.lstrip("/"))
    before = fingerprints([[path] for path in sources], tmp_path)
    after = fingerprints([[path] for path in minified], tmp_path)
    differences = [str(s.relative_to(root)) for s, b, a in zip(sources, before, after, strict=True) if b != a]
    assert differences == []
    smaller = sum(p.stat().st_size for p in minified) / sum(p.stat().st_size for p in sources)
    record("minifier", scripts=len(sources), differing=len(differences), minified_size_ratio=round(smaller, 3))
    assert any(b["globals"] for b in before)  # the runs did something to compare


@pytest.mark.slow
def test_combined_bundles_mean_the_same_as_their_members_in_order(corpus_site, tmp_path):
    root, out = corpus_site
    bundles = [
        ["/jquery/jquery.js", "/admin/js/jquery.init.js", "/admin/js/actions.js", "/admin/js/urlify.js"],
        ["/admin/js/core.js", "/admin/js/calendar.js", "/admin/js/admin/DateTimeShortcuts.js"],
        [
            "/admin/js/vendor/xregexp/xregexp.js",
            "/admin/js/vendor/select2/select2.full.js",
            "/admin/js/autocomplete.js",
        ],
        ["/bootstrap/js/bootstrap.bundle.js", "/admin/js/theme.js", "/admin/js/nav_sidebar.js"],
    ]
    emitted = []
    for bundle in bundles:
        body = "".join(f'<script src="{name}"></script>' for name in bundle)
        html = Template("{% load django_static %}{% slimall %}" + body + "{% endslimall %}").render(Context())
        emitted.append([out / src.lstrip("/") for src in re.findall(r'src="([^"]+)"', html)])
    before = fingerprints([[root / name.lstrip("/") for name in bundle] for bundle in bundles], tmp_path)
    after = fingerprints(emitted, tmp_path)
    assert before == after
    # Django admin's scripts start with 'use strict' and jQuery does not: those runs are split in two.
    assert [len(files) for files in emitted] == [2, 1, 2, 2]
    record("minifier", bundles=len(bundles), bundle_differences=sum(b != a for b, a in zip(before, after, strict=True)))


def test_a_bundle_of_mixed_strictness_is_refused(corpus_site):
    with pytest.raises(BundleError, match=r"'use strict'.*/jquery/jquery\.js \| /admin/js/jquery\.init\.js"):
        slimfile("/jquery/jquery.js; /admin/js/jquery.init.js")


def test_nested_template_literal_is_kept_verbatim_and_means_the_same(site, tmp_path):
    source = "var  a = `x ${ `inner ${ 1 + 2 } // not a comment` } y`;\nwindow.result = a;\n"
    site.write("/js/nested.js", source)
    url = site.render('{% slimfile "/js/nested.js" %}')
    assert site.output(url).read_text() == "var a=`x ${ `inner ${ 1 + 2 } // not a comment` } y`;window.result=a;"
    assert fingerprints([[site.root / "js/nested.js"]], tmp_path) == fingerprints([[site.output(url)]], tmp_path)


def test_html_comment_trap_is_passed_through_with_a_warning(site, tmp_path):
    source = "var a = 5, b = 3;\nif (a < !--b) { window.result = 'then'; } else { window.result = 'else'; }\n"
    site.write("/js/trap.js", source)
    with pytest.warns(MinifyWarning, match="<!--"):
        url = site.render('{% slimfile "/js/trap.js" %}')
    assert site.output(url).read_text() == source
    assert fingerprints([[site.output(url)]], tmp_path)[0]["errors"] == []


def test_no_final_newline_then_a_parenthesis(site, tmp_path):
    site.write("/js/first.js", "window.first = function () { return 1 }\n// last line is a comment")
    site.write("/js/second.js", "(function () { window.second = 2 })()")
    for tag in ("staticfile", "slimfile"):
        url = site.render("{% " + tag + ' "/js/first.js; /js/second.js" %}')
        result = fingerprints([[site.output(url)]], tmp_path)[0]
        assert result == {"errors": [], "globals": {"first": "function/0", "second": "number"}}


def test_css_traps(site):
    site.write("/css/ends-with-import.css", '.a { color: red }\n@import "later.css";', mtime=1_700_000_000)
    site.write("/css/later.css", ".later { color: blue }")
    site.write("/css/next.css", ".next { color: green }")
    site.write(
        "/css/tricky.css",
        ".c { width: calc( 100% - 2px ); margin: clamp(1rem, 2vw + 1rem, 3rem) }\n"
        f'.d {{ background: url("{DATA_SVG}") }}',
    )
    url = site.render('{% slimfile "/css/tricky.css; /css/next.css" %}')
    assert site.output(url).read_text() == (
        ".c{width:calc(100% - 2px);margin:clamp(1rem,2vw + 1rem,3rem)}"
        f'.d{{background:url("{DATA_SVG}")}}\n'
        ".next{color:green}"
    )
    url = site.render('{% slimfile "/css/ends-with-import.css; /css/next.css" %}')
    combined = site.output(url).read_text()
    # rcssmin drops the ';' of a file's last @import; without it the next file's first rule is lost.
    assert re.fullmatch(r'\.a\{color:red\}@import url\("/css/later\.min\.\d+\.css"\);\n\.next\{color:green\}', combined)
    # A comment rcssmin keeps at the end (a licence) is no statement: the ';' goes after the @import,
    # and a file ending in a rule gets none (";\n.next{...}" would be one invalid rule, .next lost).
    site.write("/css/licence-last.css", ".a { color: red }\n/*! keep */\n")
    site.write("/css/import-licence.css", '.a { color: red }\n@import "later.css";\n/*! keep */\n')
    url = site.render('{% slimfile "/css/licence-last.css; /css/next.css" %}')
    assert site.output(url).read_text() == ".a{color:red}/*! keep */\n.next{color:green}"
    url = site.render('{% slimfile "/css/import-licence.css; /css/next.css" %}')
    combined = site.output(url).read_text()
    assert re.fullmatch(r'\.a\{color:red\}@import url\("[^"]+"\);/\*! keep \*/\n\.next\{color:green\}', combined)
