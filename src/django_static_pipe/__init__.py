"""django-static-pipe: stamped, minified, combined assets for Django, with CDN and GridFS backends.

Importing the package is cheap; the Python API below loads the pipeline on first use.
"""

from __future__ import annotations

__version__ = "0.2.0.dev0"
__all__ = ["slimfile", "staticfile"]


def staticfile(name: str) -> str:
    """The stamped URL of ``name`` (or ``"a; b"`` combined), as ``{% staticfile %}`` renders it.

    With ``DJANGO_STATIC`` off the name comes back unchanged, passed to the file proxy with
    ``disabled=True``.
    """
    from .pipeline import url_for

    return url_for(name, slim=False, from_tag=False)


def slimfile(name: str) -> str:
    """The stamped URL of ``name`` minified, as ``{% slimfile %}`` renders it."""
    from .pipeline import url_for

    return url_for(name, slim=True, from_tag=False)
