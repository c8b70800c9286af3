"""Attacks on the pipeline itself (issue 11, items 1, 3, 4 and 17): tag output in HTML, the lock
folder, names from requests that would grow state without bound, and hostile text for the scanners."""

from __future__ import annotations

import errno
import os
import pwd
import tempfile
import time
import warnings

import pytest
from django.template import Context, Template

from django_static_pipe import locks, pipeline, script_bytes
from django_static_pipe.css import tokens as css_tokens
from django_static_pipe.exceptions import BundleError
from django_static_pipe.jsrefs import local_specifiers, specifiers
from django_static_pipe.minify import minify
from django_static_pipe.minify_html import minify_html
from tests.conftest import T0
from tests.hardening.figures import cpu_seconds, record

XSS = 'x" onerror="alert(1)'


def render(source: str, autoescape: bool = True, **context: object) -> str:
    return Template("{% load static django_static %}" + source).render(Context(context, autoescape=autoescape))


# -- 1. tag output obeys autoescape as {% static %} does -----------------------------------------------


@pytest.mark.filterwarnings("ignore::django_static_pipe.exceptions.MissingAssetWarning")
@pytest.mark.parametrize("name", [XSS, "javascript:alert(1)", "/img/<b>.png", "a&b'c.png"])
@pytest.mark.parametrize("enabled", [True, False])
def test_tag_output_is_escaped_exactly_like_static(site, settings, name, enabled):
    settings.DJANGO_STATIC = enabled
    ours = render('<img src="{% staticfile name %}"><img src="{% slimfile name %}">', name=name)
    escaped = render("{{ name }}", name=name)
    assert ours == f'<img src="{escaped}"><img src="{escaped}">'
    assert '" onerror' not in ours and "<b>" not in ours
    # With autoescape off, as {% static %}: the template author asked for raw output.
    assert render("{% autoescape off %}{% staticfile name %}{% endautoescape %}", name=name) == name


@pytest.mark.filterwarnings("ignore::django_static_pipe.exceptions.MissingAssetWarning")
def test_as_stores_a_plain_string_that_autoescape_escapes_once(site):
    out = render('{% staticfile name as url %}<a href="{{ url }}">{{ url|length }}</a>', name=XSS)
    assert out == f'<a href="x&quot; onerror=&quot;alert(1)">{len(XSS)}</a>'


def test_a_proxy_url_is_escaped_in_tags_and_blocks(site, settings):
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.hostile_proxy"
    assert render('{% staticfile "/img/bg.png" %}') == (
        f"https://cdn.test/x&quot; onerror=&quot;alert(1)/img/bg.{T0}.png"
    )
    block = render('{% staticall %}<img src="/img/bg.png" alt=x>{% endstaticall %}')
    assert block == f'<img src="https://cdn.test/x&quot; onerror=&quot;alert(1)/img/bg.{T0}.png" alt=x>'


# -- 3. the lock folder --------------------------------------------------------------------------------


@pytest.fixture
def own_tmp(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    locks._checked_folders.clear()
    yield folder
    locks._checked_folders.clear()


def test_a_lock_folder_another_user_made_first_is_refused_at_once(site, settings, own_tmp):
    settings.DJANGO_STATIC_SAVE_PREFIX = ""
    planted = own_tmp / f"django-static-pipe-locks-{os.getuid()}"
    planted.mkdir()
    os.chmod(planted, 0o777)
    nobody = pwd.getpwnam("nobody")
    os.chown(planted, nobody.pw_uid, nobody.pw_gid)
    started = time.monotonic()
    with pytest.raises(locks.LockFolderError, match=r"is not safe to use: it must be a folder owned by uid"):
        render('{% staticfile "/js/a.js" %}')
    assert time.monotonic() - started < 5  # refused, not a 60 s wait for a lock someone else holds


def test_a_world_writable_lock_folder_of_ours_is_refused_too(site, settings, own_tmp):
    settings.DJANGO_STATIC_SAVE_PREFIX = ""
    planted = own_tmp / f"django-static-pipe-locks-{os.getuid()}"
    planted.mkdir()
    os.chmod(planted, 0o777)
    with pytest.raises(locks.LockFolderError, match="drwxrwxrwx"):
        render('{% staticfile "/js/a.js" %}')


def test_with_a_save_folder_locks_live_inside_it_and_leave_nothing_per_name(site, own_tmp):
    assert render('{% slimall %}<script src="/js/a.js"></script>{% endslimall %}').startswith("<script")
    assert render('{% slimfile "/js/b.js" %}{% slimfile "/css/layout.css" %}').startswith("/js/")
    folder = site.out / locks.LOCK_FOLDER_NAME
    assert folder.is_dir() and oct(folder.stat().st_mode & 0o777) == "0o700"
    # One file of byte locks, whatever the names; every per-name lock file (without them) is removed.
    assert [(p.name, oct(p.stat().st_mode & 0o777)) for p in folder.iterdir()] == [(locks.SLOTS_FILE, "0o600")]
    assert not list(own_tmp.iterdir())  # nothing in the shared temporary folder


def test_without_byte_locks_each_lock_file_is_removed(site, own_tmp, monkeypatch):
    monkeypatch.setattr(locks, "_byte_locks", False)  # as on a system without open file description locks
    assert render('{% slimall %}<script src="/js/a.js"></script>{% endslimall %}').startswith("<script")
    assert list((site.out / locks.LOCK_FOLDER_NAME).iterdir()) == []


def test_a_kernel_that_refuses_byte_locks_gets_lock_files(site, own_tmp, monkeypatch):
    def refused(_digest):
        def take(_fd, _deadline):
            raise OSError(errno.EINVAL, "Invalid argument")  # what Linux before 3.15 answers

        return take

    monkeypatch.setattr(locks, "_byte_locks", True)
    monkeypatch.setattr(locks, "_slot_taker", refused)
    assert render('{% slimfile "/js/a.js" %}') == f"/js/a.min.{T0}.js"
    assert locks._byte_locks is False  # decided once for the process
    assert list((site.out / locks.LOCK_FOLDER_NAME).iterdir()) == [site.out / locks.LOCK_FOLDER_NAME / "slots"]


def _other_process_takes(name: str) -> bool:
    """Whether a new process gets the lock ``name`` within a second."""
    pid = os.fork()
    if pid == 0:
        try:
            with locks.exclusive(name, timeout=1.0):
                os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0


@pytest.mark.parametrize("byte_locks", [True, False], ids=["byte locks", "lock files"])
def test_a_lock_excludes_other_processes_and_a_forked_child_does_not_keep_it(site, monkeypatch, byte_locks):
    monkeypatch.setattr(locks, "_byte_locks", byte_locks)
    name = f"build:test:{byte_locks}"
    with locks.exclusive(name):
        assert not _other_process_takes(name)  # held: another process waits, then gives up
        assert _other_process_takes(name + "-another")  # other names are free
        child = os.fork()  # e.g. a multiprocessing worker started by another thread
        if child == 0:
            time.sleep(5)
            os._exit(0)
    try:
        assert _other_process_takes(name)  # released, though the child still has the open file
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)


# -- 4. names from requests never grow state without bound --------------------------------------------


@pytest.mark.filterwarnings("ignore::django_static_pipe.exceptions.MissingAssetWarning")
def test_many_unknown_names_leave_no_files_and_bounded_memory(site, settings):
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    names = [f"/js/unknown-{i}.js" for i in range(2000)]
    for name in names:
        assert render("{% staticfile name %}", name=name) == name
    assert len(pipeline._missing) == pipeline.NOTFOUND_ENTRIES < len(names)
    assert len(pipeline._memo) == 0
    lock_folder = site.out / locks.LOCK_FOLDER_NAME
    lock_files = list(lock_folder.iterdir()) if lock_folder.exists() else []
    assert lock_files == []
    assert not (site.out / "static-pipe-manifest.json").exists()  # never a not-found name in the manifest
    record(
        "unbounded state", unknown_names=len(names), remembered=len(pipeline._missing), lock_files_left=len(lock_files)
    )


def test_many_spellings_of_one_file_are_one_entry(site, settings):
    settings.DJANGO_STATIC_USE_MANIFEST_FILE = True
    spellings = ["/css/" + "./" * i + "layout.css" for i in range(300)] + ["/css//layout.css", "/x/../css/layout.css"]
    manifest = site.out / "static-pipe-manifest.json"
    urls = set()
    writes = []
    for spelling in spellings:
        urls.add(render("{% slimfile name %}", name=spelling))
        writes.append(manifest.stat().st_mtime_ns)
    assert urls == {f"/css/layout.min.{T0}.css"}
    import json

    entries = list(json.loads(manifest.read_text())["entries"])
    assert entries == ["slim:/css/layout.css"]
    assert len(set(writes)) == 1  # written once, not once per spelling
    record("unbounded state", spellings=len(spellings), manifest_entries=len(entries))


def test_a_bundle_naming_a_file_twice_is_refused(site):
    with pytest.raises(BundleError, match="names a file more than once"):
        render('{% slimfile "/js/a.js; /js/b.js; /js/./a.js" %}')
    assert site.produced() == []


def test_bundles_are_capped_in_members_and_bytes(site, settings):
    from django_static_pipe.produce import MAX_BUNDLE_MEMBERS

    for i in range(MAX_BUNDLE_MEMBERS + 1):
        site.write(f"/js/many/{i}.js", f"window.v{i} = {i};\n")
    too_many = "; ".join(f"/js/many/{i}.js" for i in range(MAX_BUNDLE_MEMBERS + 1))
    with pytest.raises(BundleError, match=f"over the limit of {MAX_BUNDLE_MEMBERS}"):
        render("{% slimfile name %}", name=too_many)
    settings.DJANGO_STATIC_MAX_SOURCE_BYTES = 100 * 1024
    for i in range(3):
        site.write(f"/js/big{i}.js", "var x = 1;\n" * 4000)  # 44 KB each: fine alone, too much together
    with pytest.raises(BundleError, match="over DJANGO_STATIC_MAX_SOURCE_BYTES"):
        render('{% slimfile "/js/big0.js; /js/big1.js; /js/big2.js" %}')
    assert not (site.out / "js").exists()


# -- 17. linear scanners -------------------------------------------------------------------------------


def _minify_script(text: str) -> str:
    """The minify step as inline content takes it (anybody's text), warnings and all."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return minify(".js", text, "inline js content")


def _keywords_then(text: str) -> str:
    """About √n keywords, each in a comment closed at the end, all leading to one string of ``text``
    (the comments' skipping fits the budget; reading the string once per keyword did not)."""
    keywords = int((2 * len(text) / 3) ** 0.5)
    return "from" + "/*from" * keywords + '*/"' + text


HOSTILE = {
    "css: unclosed url(": (css_tokens, "url("),
    "css: unclosed quoted url(": (css_tokens, 'url("'),
    "css: @import without an end": (css_tokens, '@import "a"'),
    "html: unclosed <pre>": (minify_html, "<pre>"),
    "html: unclosed comments": (minify_html, "<!--"),
    "js: unclosed classes in regexes": (specifiers, "((/[\\]"),
    "js: dynamic imports": (specifiers, "import("),
    # what rjsmin misreads, so that the lexer prepares the script (js_prepare) and the guards look again
    "js: nested template literals": (_minify_script, "a = `x ${ `y` } z`;\n"),
    "js: unclosed nested template literals": (_minify_script, "`${`"),
    "js: regular expressions after =>": (_minify_script, "f = x => /^a\\//.test(x);\n"),
    "js: unclosed classes after >": (_minify_script, ">/["),
    "js: numbers at line ends": (_minify_script, "x = 1.\ny = 2\n"),
    "js: regular expressions after > and their copies": (_minify_script, "x=1 > /a  b/;s='/a  b/';"),
    "js: regular expressions ending in > on one line": (_minify_script, "f(/a>/, ' /');"),
    "js: regular expressions after ~, < and keywords": (_minify_script, "x = ~/a  b/ < typeof /c  d/;"),
    "js: unclosed classes after <, spaces before": (_minify_script, "a   </[ b"),
    "js: a joined number on every line": (lambda text: _minify_script("var \u0100 = 0;\n" + text), "x = 1.\nfoo\n"),
    "js: classes holding ~/ on one long line": (
        lambda text: _minify_script("y = 1 /" + text + "/;\nz = ~/b  c/;"),
        "[" + "a" * 250 + "~/]",
    ),
    "js: comments after ~ before a regular expression": (_minify_script, "x = ~ /* c */ /a  b/;\n"),
    "js: keywords on one long documentation line": (lambda text: local_specifiers("/** " + text), " import from"),
    # the quick look before the lexer: comments after every keyword, unclosed or closed far away
    "js: unclosed comments after import": (local_specifiers, "import/*"),
    "js: line comments after from": (local_specifiers, "from//from//"),
    "js: comments after from, closed at the end": (lambda text: local_specifiers(text + "*/'./a.js'"), "from/*"),
    "js: local-looking strings after from": (local_specifiers, "from 'a from "),
    # a chain of names before "import": each token used to walk back over all of the chain
    "js: a long chain before import": (lambda text: specifiers("x=" + text + "import;"), "a."),
    "js: a long chain before import, prepared": (
        lambda text: _minify_script("t=`${`x`}`;\nx=" + text + "import;"),
        "a.",
    ),
    # the joined-number guard counted each text the source and the output share once per text
    "js: many numbers before names in a string": (
        lambda text: _minify_script("var s = '" + " ".join(f"{i}.a" for i in range(len(text))) + "';\n"),
        "x",
    ),
    # the byte path: a window read for every candidate, a comment after each
    "js bytes: a numbered comment in CJK": (
        lambda text: _minify_bytes("/*\n" + text + "*/\nvar foo = 1, a = 2.\nfoo;\n"),
        "\u6570 1.\n",
    ),
    "js bytes: numbers and comments on one line": (
        lambda text: _minify_bytes("var foo = 1, a = 2.\nfoo;\nx = 1" + text + "\n"),
        ".//1",
    ),
}


def _minify_bytes(text: str) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return script_bytes.minified_script(".js", [text.encode("utf-8")], "inline.js")


def test_keywords_in_comments_before_one_long_string_cost_linear_work():
    """√n keywords that all lead to one string read it √n times: n^1.5, which the 4× comparison above
    (8× the work, under its bound of 9) does not tell from linear; 16× the text does (64× vs 16×)."""
    text = "a" * 50_000
    while cpu_seconds(local_specifiers, _keywords_then(text)) < 0.01:
        text += text
    small = cpu_seconds(local_specifiers, _keywords_then(text))
    large = cpu_seconds(local_specifiers, _keywords_then(text * 16))
    assert large / small < 32, f"{small:.4f} s for {len(text)} characters, {large:.4f} s for 16×"


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_text_costs_linear_work(case):
    """Four times the text may cost about four times the work, never sixteen (what a quadratic scanner
    costs: 175 KiB of unclosed url( took 45 s, 136 KiB of unclosed <pre> 16 s)."""
    function, unit = HOSTILE[case]
    repeats = 25_000
    while cpu_seconds(function, unit * repeats) < 0.02:  # big enough to measure above the noise
        repeats *= 2
    small = cpu_seconds(function, unit * repeats)
    large = cpu_seconds(function, unit * repeats * 4)
    record("linear scanners", **{case: f"{len(unit) * repeats * 4 // 1024} KiB in {large:.3f} s"})
    assert large / small < 9, f"{case}: {small:.3f} s for {repeats} repeats, {large:.3f} s for 4×"
