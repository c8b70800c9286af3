"""django-sekizai postprocessors, for `{% render_block "css" postprocessor "<dotted path>" %}`.

sekizai collects what templates add to a block and calls the postprocessor with the joined HTML; these
give it what ``{% slimall %}`` and ``{% staticall %}`` give their bodies. Nothing here imports sekizai,
so the package works without it.
"""

from __future__ import annotations

from typing import Any

from . import html


def slimall(context: Any, data: str, name: str) -> str:
    """The collected block joined, minified and stamped, as ``{% slimall %}`` does."""
    with html.at_place(f"sekizai block {name!r}"):
        return html.process_block(data, slim=True)


def staticall(context: Any, data: str, name: str) -> str:
    """The collected block joined and stamped, not minified, as ``{% staticall %}`` does."""
    with html.at_place(f"sekizai block {name!r}"):
        return html.process_block(data, slim=False)
