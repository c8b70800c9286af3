"""The errors and warnings this app raises at run time.

Configuration problems are :class:`django.core.exceptions.ImproperlyConfigured`, template misuse is
:class:`django.template.TemplateSyntaxError`, and paths escaping a root are
:class:`django.core.exceptions.SuspiciousFileOperation`; everything else derives from
:class:`StaticPipeError`.
"""

from __future__ import annotations


class StaticPipeError(Exception):
    """Base class of this app's own run-time failures."""


class BundleError(StaticPipeError, ValueError):
    """A bundle cannot be built as asked: mixed extensions, an ``@import`` cycle."""


class MissingAssetError(StaticPipeError, OSError):
    """A member of a bundle does not exist in any root."""


class AssetTooLargeError(StaticPipeError, ValueError):
    """A source file is larger than ``DJANGO_STATIC_MAX_SOURCE_BYTES``."""


class MissingAssetWarning(UserWarning):
    """A single asset named in a template does not exist; its name is used as it is."""


class MinifyWarning(UserWarning):
    """A minifier failed or would change a file's meaning; the file was passed through unminified."""


class ImportCycleWarning(MissingAssetWarning):
    """Stylesheets ``@import`` each other: browsers ignore the repeated import; the files are stamped
    together and each names the other's stamped URL."""


class SourceEncodingWarning(UserWarning):
    """A stylesheet is not valid in the encoding it declares (or UTF-8); its bytes are kept as they are."""
