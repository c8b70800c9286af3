"""Hostile names in every place a name enters: 0 reads or writes outside the roots, 0 HTTP 500s.

File access is watched with a Python audit hook (``open``, renames, links, removals), so a read
outside the allowed folders is seen even when it would not change any output.
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from django_static_pipe.backends.cloudfront_config import parse
from tests.hardening.figures import record

# Django's own traversal lists (tests/file_storage) and a few more shapes.
BASES = [
    "../{t}", "..\\{t}", "tmp/../{t}", "tmp\\..\\{t}", "/tmp/../{t}", "\\tmp\\..\\{t}", "/tmp/..", "\\tmp\\..",
    "/tmp/.", "\\tmp\\.", "..", ".", "", "/tmp/{t}", "../../../../../{t}", "/css/../../{t}", "css/./../../{t}",
]  # fmt: skip
TARGETS = ["secret.txt", "etc/passwd", "config/settings.py"]


def encodings(name: str) -> list[str]:
    return [
        name,
        name.replace("..", "%2e%2e").replace("/", "%2f"),
        name.replace("..", "%252e%252e").replace("/", "%252f"),
        name.replace("../", "..%2f").replace("..\\", "..%5c"),
        name.replace("..", ".%2e"),
        name.replace("..", "%c0%ae%c0%ae").replace("/", "%c0%af"),
        name.replace("..", "\uff0e\uff0e").replace("/", "\uff0f"),
        "//" + name.lstrip("/"),
        "C:\\" + name.replace("/", "\\"),
        "c:" + name,
        name + "\x00.png",
        name + "%00.png",
    ]


def hostile_names() -> list[str]:
    names = {
        variant for base, target in itertools.product(BASES, TARGETS) for variant in encodings(base.format(t=target))
    }
    names |= {"a" * 4000 + ".css", "../" * 1000 + "secret.txt", "/" + "x/" * 1500, "./", "/./", "///", " ", ".%2f"}
    return sorted(names)


NAMES = hostile_names()


class FileAccess:
    """Every path opened, renamed, linked or removed while ``watching``."""

    def __init__(self) -> None:
        self.watching = False
        self.paths: list[tuple[str, str]] = []

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if not self.watching:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            self.paths.append((event, os.fsdecode(args[0])))
        elif event in ("os.rename", "os.replace", "os.symlink", "os.link"):
            self.paths.extend(
                (event, os.fsdecode(arg)) for arg in args[:2] if isinstance(arg, (str, bytes, os.PathLike))
            )
        elif event in ("os.remove", "os.unlink", "os.mkdir", "os.rmdir") and isinstance(
            args[0], (str, bytes, os.PathLike)
        ):
            self.paths.append((event, os.fsdecode(args[0])))


ACCESS = FileAccess()
sys.addaudithook(ACCESS)  # audit hooks cannot be removed; it records only while watching


@pytest.fixture
def watched(site, tmp_path):
    secret = site.root.parent / "secret.txt"
    secret.write_text("TOP SECRET")
    allowed = [
        str(site.root),
        str(site.out),
        "/proc/",
        "/dev/",
        os.path.dirname(os.__file__),
        sys.prefix,
        "/tmp/django-static-pipe-locks",
        str(Path(__file__).parents[2]),
        "/etc/mime.types",
    ]  # fmt: skip  (the standard library reads the system's MIME table once)
    ACCESS.paths.clear()
    ACCESS.watching = True
    yield allowed
    ACCESS.watching = False


def outside(allowed: list[str]) -> list[tuple[str, str]]:
    return [
        (event, path) for event, path in ACCESS.paths if not any(os.path.abspath(path).startswith(a) for a in allowed)
    ]


def test_there_are_at_least_300_hostile_names():
    assert len(NAMES) >= 300


def test_tag_arguments_through_requests(client, watched):
    statuses: dict[int, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in NAMES:
            for view in ("/render-asset/",):
                status = client.get(view, {"name": name}).status_code
                statuses[status] = statuses.get(status, 0) + 1
    assert 500 not in statuses
    assert outside(watched) == []
    record("paths", names=len(NAMES), tag_statuses={str(k): v for k, v in sorted(statuses.items())})


def test_css_references(site, watched):
    batches = [NAMES[i : i + 25] for i in range(0, len(NAMES), 25)]
    for number, batch in enumerate(batches):
        rules = []
        for index, name in enumerate(batch):
            escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "")
            rules.append(f'.r{index} {{ background: url("{escaped}") }}')
            rules.append(f'@import "{escaped}";' if index == 0 else "")
        site.write(f"/css/hostile{number}.css", "\n".join(rules))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            site.render(f'{{% staticfile "/css/hostile{number}.css" %}}{{% slimfile "/css/hostile{number}.css" %}}')
    assert outside(watched) == []
    produced = [p for p in site.out.rglob("*") if p.is_file()]
    assert all("TOP SECRET" not in p.read_text(errors="replace") for p in produced)
    record("paths", css_files=len(batches), css_references=len(NAMES))


@pytest.mark.mongo
def test_upload_names_and_the_gridfs_view(media, client, watched):
    stored = 0
    statuses: dict[int, int] = {}
    for name in NAMES:
        try:
            saved = media.save(name, ContentFile(b"x"))
        except (SuspiciousFileOperation, ValueError):
            pass
        else:
            stored += 1
            assert (
                not saved.startswith("/") and ".." not in saved.split("/") and "\\" not in saved and "\x00" not in saved
            )
        for path in ("/media/" + quote(name, safe="/%"), "/media/" + name):
            try:
                status = client.get(path).status_code
            except ValueError:  # the test client itself refuses some URLs (a NUL); a server would answer 400
                status = 400
            statuses[status] = statuses.get(status, 0) + 1
    upload = SimpleUploadedFile("../../secret.txt", b"x")
    assert media.save(upload.name, upload) == "secret.txt"  # Django's upload handler already kept the basename
    assert 500 not in statuses
    assert outside(watched) == []
    record("paths", upload_names=len(NAMES), stored_under_clean_names=stored,
           view_statuses={str(k): v for k, v in sorted(statuses.items())})  # fmt: skip


def test_s3_keys():
    config = parse({"BUCKET": "assets", "DOMAIN": "d.cloudfront.test", "KEY_PREFIX": "assets"})
    refused = 0
    for name in NAMES:
        path = "/" + name.lstrip("/")
        try:
            key = config.object_key(path)
        except ValueError:
            refused += 1
            continue
        segments = key.split("/")
        assert segments[0] == "assets" and ".." not in segments and "." not in segments and "" not in segments
        assert "\\" not in key and "\x00" not in key
    record("paths", s3_keys_tried=len(NAMES), s3_keys_refused=refused)


def test_a_symlinked_folder_inside_a_root_pointing_out_is_not_followed(site, watched, tmp_path):
    outside_folder = tmp_path / "elsewhere"
    outside_folder.mkdir()
    (outside_folder / "x.js").write_text("var stolen = 1;")
    os.symlink(outside_folder, site.root / "js" / "linked")
    ACCESS.paths.clear()  # only what the render does counts
    with pytest.raises(SuspiciousFileOperation):
        site.render('{% slimfile "/js/linked/x.js" %}')
    assert outside(watched) == []
