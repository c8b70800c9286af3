"""The minify path fed hostile input, run in a child process by ``test_fuzz_minify.py``.

rcssmin and rjsmin are C extensions: on some inputs (a lone surrogate) they kill the whole process
with SIGSEGV, which no ``try`` can catch. So this runs apart from the test, which only watches how it
ends. Every case goes through what a page would: a source file read, decoded, minified and written
(``slimfile``, bundles, ``staticfile``), and inline template content (``slimcontent``).

    python -m tests.hardening.fuzz_minify_child --seed 1 --cases 300
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

# What makes a minifier or a decoder stumble: syntax, quotes, escapes, NUL, marks, line ends, every
# kind of surrogate, characters beyond the BMP.
ALPHABET = [
    *"{}()[];:,.\"'`/\\*!<>-+=@#$%^&|?~ \t\n\raZ09",
    "\x00", "\x0b", "\x7f", "\x85", "\xa0", "\xe9", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uffff",
    "\U0001f600", "\U0010ffff", "\ud800", "\udbff", "\udc00", "\udcdc", "\udfff", "${", "<!--", "-->", "/*!",
    "url(", "@import ", "@charset ", "//# sourceMappingURL=", "\\u{", "\\",
]  # fmt: skip
# Labels a stylesheet may name: ones browsers know, and Python codecs that must never be used.
LABELS = [
    "utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "utf-16", "utf-16le", "gb18030",
    "unicode_escape", "raw_unicode_escape", "utf-7", "punycode", "idna", "rot13", "hex", "base64",
    "utf-32", "cp037", "mbcs", "x-unknown", "", "\x00",
]  # fmt: skip
SIZES = [0, 1, 2, 7, 64, 500, 4_000]
HUGE_LINE = 1_500_000  # one line, no newline: a minified library is like this


def random_text(rnd: random.Random, size: int) -> str:
    return "".join(rnd.choice(ALPHABET) for _ in range(size))


def random_source(rnd: random.Random) -> bytes:
    """Bytes of a file: random bytes, text with lone surrogates smuggled in, marks and @charset rules."""
    kind = rnd.randrange(6)
    size = rnd.choice(SIZES)
    if kind == 0:
        return rnd.randbytes(size)
    text = random_text(rnd, size)
    if kind == 1:
        return text.encode("utf-8", "surrogatepass")  # CESU-like: encoded surrogates, invalid UTF-8
    if kind == 2:
        return rnd.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"]) + rnd.randbytes(size)
    if kind == 3:
        label = rnd.choice(LABELS)
        return f'@charset "{label}";\n'.encode("utf-8", "surrogatepass") + text.encode("utf-8", "surrogatepass")
    if kind == 4:
        body = text.encode("utf-8", "surrogatepass")  # an escape-decoded lone surrogate, as bytes
        return b'a{content:"' + body + b'"}\nvar s = "' + body + b'";\n'
    return text.encode("utf-8", "replace")


def huge_line(rnd: random.Random) -> bytes:
    """One line of a source file: repeated tokens, Latin-1, NUL, an encoded surrogate, or one token that
    never closes (the minifiers scan it once: linear)."""
    unit = rnd.choice([b"a=1;", b"x ", b"/*", b"\xe9", b"\x00", b"\xed\xb3\x9c", b'"x"', b"`${a}`", b"/[a]/g;"])
    line = unit * (HUGE_LINE // len(unit))
    return rnd.choice([b"", b'"', b"`", b"/*", b"/["]) + line


#: Inline content repeating a token that never closes: rjsmin and rcssmin rescan it from every start,
#: which takes them minutes at this size; slimcontent must pass it through instead.
RESCANNED = ['"\\', "'\\", "`\\", "/[", "/*!"]


def rescanned_content(rnd: random.Random) -> str:
    unit = rnd.choice(RESCANNED)
    return unit * (300_000 // len(unit))


def run(seed: int, cases: int) -> dict[str, object]:
    import django
    from django.conf import settings

    root = Path(tempfile.mkdtemp(prefix="static-pipe-fuzz-"))
    (root / "src").mkdir()
    settings.configure(
        INSTALLED_APPS=["django.contrib.staticfiles", "django_static_pipe"],
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        STATIC_URL="/static/",
        DJANGO_STATIC=True,
        DJANGO_STATIC_MEDIA_ROOTS=[str(root / "src")],
        DJANGO_STATIC_SAVE_PREFIX=str(root / "out"),
        DJANGO_STATIC_PRECOMPRESS=(),
        LOGGING_CONFIG=None,
    )
    django.setup()
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    from django.template import Context, Template

    import django_static_pipe
    from django_static_pipe import minify, pipeline

    rnd = random.Random(seed)
    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    started = time.monotonic()
    template = Template("{% load django_static %}{% slimcontent kind %}{{ value }}{% endslimcontent %}")
    for case in range(cases):
        pipeline.reset()
        extension = rnd.choice([".js", ".css"])
        data = huge_line(rnd) if case % 97 == 0 else random_source(rnd)
        names = []
        for member in range(rnd.choice([1, 1, 2, 3])):
            name = f"/f{case}-{member}{extension}"
            (root / "src" / name.lstrip("/")).write_bytes(data if member == 0 else random_source(rnd))
            names.append(name)
        text = rescanned_content(rnd) if case % 97 == 50 else random_text(rnd, rnd.choice(SIZES))
        try:
            django_static_pipe.slimfile(names[0])
            django_static_pipe.slimfile("; ".join(names))
            django_static_pipe.staticfile("; ".join(names))
            if case % 97 != 50:  # files and direct calls are the site's own: not guarded (see minify_content)
                minify.minify(extension, text, "fuzz")
            minify.minify(extension, data.decode("latin-1"), "fuzz", raw=True)
            template.render(Context({"kind": extension[1:], "value": text}))
        except Exception as exc:  # the page must render whatever the input: any exception is a finding
            errors[f"{type(exc).__name__}: {str(exc)[:200]}"] += 1
        counts["cases"] += 1
        counts["bytes"] += len(data)
    return {
        "cases": counts["cases"],
        "source_bytes": counts["bytes"],
        "seconds": round(time.monotonic() - started, 2),
        "errors": dict(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=300)
    options = parser.parse_args()
    result = run(options.seed, options.cases)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
