"""System checks: ``manage.py check`` says what is wrong with the settings before a page renders.

Ids: ``django_static_pipe.E001``… for errors, ``…W001``… for warnings; each has a hint saying how to
fix it. The CloudFront and GridFS backends add theirs in their own modules.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from .conf import DEFAULTS, PRECOMPRESS_KINDS, STAMP_KINDS, pipe_settings

MIN_NAME_MAX_LENGTH = 12  # room for a few letters, "_" and the 8-character digest of a cut name


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _is_optional_text(value: Any) -> bool:
    return value is None or _is_text(value)


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_text_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(_is_text(item) for item in value)


def _is_optional_text_list(value: Any) -> bool:
    return value is None or _is_text_list(value)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _is_optional_dict(value: Any) -> bool:
    return value is None or isinstance(value, dict)


TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "DJANGO_STATIC": (_is_bool, "True or False"),
    "DJANGO_STATIC_SAVE_PREFIX": (_is_text, "a folder path (a string), or '' to write beside the sources"),
    "DJANGO_STATIC_NAME_PREFIX": (_is_text, "a URL path such as '/cache-forever', or ''"),
    "DJANGO_STATIC_NAME_MAX_LENGTH": (_is_positive_int, "a positive whole number, such as 40"),
    "DJANGO_STATIC_MEDIA_URL": (_is_optional_text, "a URL such as 'https://static.example.com', or None"),
    "DJANGO_STATIC_MEDIA_URL_ALWAYS": (_is_bool, "True or False"),
    "DJANGO_STATIC_MEDIA_ROOTS": (
        _is_optional_text_list,
        "a list of folder paths, or unset to use the staticfiles finders",
    ),
    "DJANGO_STATIC_USE_SYMLINK": (_is_bool, "True or False"),
    "DJANGO_STATIC_HARD_LINKS": (_is_bool, "True or False"),
    "DJANGO_STATIC_USE_MANIFEST_FILE": (_is_bool, "True or False"),
    "DJANGO_STATIC_FILE_PROXY": (_is_optional_text, "the dotted path of a function, or None"),
    "DJANGO_STATIC_FILENAME_GENERATOR": (_is_text, "the dotted path of a function"),
    "DJANGO_STATIC_COMBINE_FILENAMES_GENERATOR": (_is_text, "the dotted path of a function"),
    "DJANGO_STATIC_STAMP": (_is_text, "'mtime' or 'content'"),
    "DJANGO_STATIC_PRECOMPRESS": (_is_text_list, "a tuple such as ('gzip',) or ('gzip', 'br'), or ()"),
    "DJANGO_STATIC_SRI": (_is_bool, "True or False"),
    "DJANGO_STATIC_MINIFIERS": (_is_dict, 'a dict such as {".css": "rcssmin.cssmin", ".js": "rjsmin.jsmin"}'),
    "DJANGO_STATIC_MANIFEST_PATH": (_is_optional_text, "a file path, or None for the default"),
    "DJANGO_STATIC_MAX_SOURCE_BYTES": (_is_positive_int, "a positive number of bytes"),
    "DJANGO_STATIC_KEEP_LICENSE_COMMENTS": (_is_bool, "True (keep /*! … */ licence comments) or False"),
    "DJANGO_STATIC_SOURCE_MAPS": (_is_bool, "True (publish source maps) or False"),
    "DJANGO_STATIC_CLOUDFRONT": (_is_optional_dict, "a dict of the CloudFront proxy's options, or None"),
    "DJANGO_STATIC_GRIDFS": (_is_optional_dict, "a dict of GridFS defaults, or None"),
    "DJANGO_STATIC_GRIDFS_STORAGE": (_is_text, "the alias of a STORAGES entry, such as 'default'"),
}


def _bad_types() -> set[str]:
    return {
        name for name, (valid, _) in TYPES.items() if hasattr(settings, name) and not valid(getattr(settings, name))
    }


@register(Tags.staticfiles)
def check_types(**_kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in sorted(_bad_types()):
        expected = TYPES[name][1]
        errors.append(
            Error(
                f"{name} = {getattr(settings, name)!r} is not valid.",
                hint=f"Set it to {expected}. The default is {DEFAULTS[name]!r}.",
                id="django_static_pipe.E001",
            )
        )
    return errors


def _importable(dotted_path: str) -> str | None:
    """None when ``dotted_path`` imports to a callable, else why not."""
    try:
        target = import_string(dotted_path)
    except ImportError as exc:
        return str(exc)
    return None if callable(target) else "it is not callable"


@register(Tags.staticfiles)
def check_roots_and_folders(**_kwargs: Any) -> list[CheckMessage]:
    bad = _bad_types()
    messages: list[CheckMessage] = []
    if "DJANGO_STATIC_MEDIA_ROOTS" not in bad:
        for root in pipe_settings.media_roots or ():
            if not os.path.isdir(root):
                messages.append(
                    Error(
                        f"DJANGO_STATIC_MEDIA_ROOTS names {root!r}, which is not a folder.",
                        hint="Create the folder, or remove it from DJANGO_STATIC_MEDIA_ROOTS.",
                        id="django_static_pipe.E002",
                    )
                )
    if "DJANGO_STATIC_SAVE_PREFIX" not in bad and pipe_settings.save_prefix:
        problem = _unwritable(pipe_settings.save_prefix)
        if problem:
            messages.append(
                Error(
                    f"DJANGO_STATIC_SAVE_PREFIX = {pipe_settings.save_prefix!r} cannot be written to: {problem}.",
                    hint="Create the folder and give the user running Django write access to it.",
                    id="django_static_pipe.E004",
                )
            )
    types_ok = "DJANGO_STATIC" not in bad and "DJANGO_STATIC_SAVE_PREFIX" not in bad
    if types_ok and pipe_settings.enabled and not pipe_settings.save_prefix:
        messages.append(
            Warning(
                "DJANGO_STATIC is on while DJANGO_STATIC_SAVE_PREFIX is empty: stamped files will be "
                "written into your source folders.",
                hint="Set DJANGO_STATIC_SAVE_PREFIX to a folder of its own, such as BASE_DIR / 'cache-forever'.",
                id="django_static_pipe.W001",
            )
        )
    return messages


def _unwritable(folder: str) -> str | None:
    probe = os.path.abspath(folder)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return "no part of the path exists"
        probe = parent
    if not os.path.isdir(probe):
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return None


@register(Tags.staticfiles)
def check_callables(**_kwargs: Any) -> list[CheckMessage]:
    bad = _bad_types()
    messages: list[CheckMessage] = []
    named: list[tuple[str, str | None, str]] = [
        ("DJANGO_STATIC_FILE_PROXY", pipe_settings.file_proxy, "django_static_pipe.E003"),
        ("DJANGO_STATIC_FILENAME_GENERATOR", pipe_settings.filename_generator, "django_static_pipe.E005"),
        (
            "DJANGO_STATIC_COMBINE_FILENAMES_GENERATOR",
            pipe_settings.combine_filenames_generator,
            "django_static_pipe.E005",
        ),
    ]
    for name, dotted_path, check_id in named:
        if name in bad or not dotted_path:
            continue
        problem = _importable(str(dotted_path))
        if problem:
            messages.append(
                Error(
                    f"{name} = {dotted_path!r} cannot be used: {problem}.",
                    hint="Give the full dotted path of a function, such as 'myproject.cdn.file_proxy'.",
                    id=check_id,
                )
            )
    if "DJANGO_STATIC_MINIFIERS" not in bad:
        messages.extend(_minifier_messages(pipe_settings.minifiers.items()))
    return messages


def _minifier_messages(items: Iterable[tuple[Any, Any]]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for extension, dotted_path in items:
        if not isinstance(extension, str) or not extension.startswith("."):
            problem = f"the key {extension!r} is not an extension such as '.css'"
        elif not isinstance(dotted_path, str):
            problem = f"the value for {extension!r} is {dotted_path!r}, not a dotted path"
        else:
            found = _importable(dotted_path)
            problem = f"{dotted_path!r} for {extension!r} cannot be used: {found}" if found else ""
        if problem:
            messages.append(
                Error(
                    f"DJANGO_STATIC_MINIFIERS: {problem}.",
                    hint=(
                        "Map extensions to functions of one string, e.g. "
                        '{".css": "rcssmin.cssmin", ".js": "rjsmin.jsmin"}.'
                    ),
                    id="django_static_pipe.E006",
                )
            )
    return messages


@register(Tags.staticfiles)
def check_values(**_kwargs: Any) -> list[CheckMessage]:
    bad = _bad_types()
    messages: list[CheckMessage] = []
    if "DJANGO_STATIC_STAMP" not in bad and pipe_settings.stamp not in STAMP_KINDS:
        messages.append(
            Error(
                f"DJANGO_STATIC_STAMP = {pipe_settings.stamp!r} is not a kind of stamp.",
                hint="Use 'mtime' (seconds of the newest source) or 'content' (a hash, the same on every server).",
                id="django_static_pipe.E007",
            )
        )
    if "DJANGO_STATIC_PRECOMPRESS" not in bad:
        unknown = [kind for kind in pipe_settings.precompress if kind not in PRECOMPRESS_KINDS]
        if unknown:
            messages.append(
                Error(
                    f"DJANGO_STATIC_PRECOMPRESS names {', '.join(map(repr, unknown))}, which this app cannot write.",
                    hint="Use ('gzip',), ('gzip', 'br') or ().",
                    id="django_static_pipe.E008",
                )
            )
        if "br" in pipe_settings.precompress and importlib.util.find_spec("brotli") is None:
            messages.append(
                Error(
                    "DJANGO_STATIC_PRECOMPRESS asks for 'br' but the brotli package is not installed.",
                    hint="pip install django-static-pipe[brotli], or drop 'br' from DJANGO_STATIC_PRECOMPRESS.",
                    id="django_static_pipe.E009",
                )
            )
    prefix = pipe_settings.name_prefix if "DJANGO_STATIC_NAME_PREFIX" not in bad else ""
    if prefix and not prefix.startswith("/"):
        messages.append(
            Error(
                f"DJANGO_STATIC_NAME_PREFIX = {prefix!r} does not start with '/'.",
                hint="Write it as a URL path, such as '/cache-forever'.",
                id="django_static_pipe.E010",
            )
        )
    if "DJANGO_STATIC_NAME_MAX_LENGTH" not in bad and pipe_settings.name_max_length < MIN_NAME_MAX_LENGTH:
        messages.append(
            Error(
                f"DJANGO_STATIC_NAME_MAX_LENGTH = {pipe_settings.name_max_length} is too short for a combined name.",
                hint=f"Use at least {MIN_NAME_MAX_LENGTH}; the default is 40.",
                id="django_static_pipe.E011",
            )
        )
    manifest_types_ok = "DJANGO_STATIC_USE_MANIFEST_FILE" not in bad and "DJANGO_STATIC_MANIFEST_PATH" not in bad
    if manifest_types_ok and pipe_settings.use_manifest_file and pipe_settings.manifest_path is None:
        messages.append(
            Warning(
                "DJANGO_STATIC_USE_MANIFEST_FILE is on but there is no folder to keep the manifest in.",
                hint="Set DJANGO_STATIC_SAVE_PREFIX or DJANGO_STATIC_MANIFEST_PATH.",
                id="django_static_pipe.W002",
            )
        )
    return messages


@register(Tags.staticfiles)
def check_license_comments(**_kwargs: Any) -> list[CheckMessage]:
    """Licence comments can be kept only by minifiers that can be asked to (rcssmin, rjsmin)."""
    bad = _bad_types()
    if {"DJANGO_STATIC_KEEP_LICENSE_COMMENTS", "DJANGO_STATIC_MINIFIERS"} & bad:
        return []
    if not pipe_settings.keep_license_comments:
        return []
    from .minify import BYTES_MINIFIERS

    messages: list[CheckMessage] = []
    for extension, dotted_path in pipe_settings.minifiers.items():
        known = dotted_path in BYTES_MINIFIERS
        # An unusable path is E006's to report.
        if extension in (".css", ".js") and isinstance(dotted_path, str) and not known and not _importable(dotted_path):
            messages.append(
                Warning(
                    f"DJANGO_STATIC_MINIFIERS uses {dotted_path!r} for {extension!r}, which this app cannot ask "
                    "to keep /*! … */ licence comments (DJANGO_STATIC_KEEP_LICENSE_COMMENTS is on).",
                    hint=(
                        "Make that minifier keep /*! comments itself, use rcssmin.cssmin / rjsmin.jsmin, or set "
                        "DJANGO_STATIC_KEEP_LICENSE_COMMENTS = False if the licences allow it."
                    ),
                    id="django_static_pipe.W003",
                )
            )
    return messages
