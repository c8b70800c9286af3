"""The five tags in Jinja2: add ``django_static_pipe.jinja2ext.StaticPipeExtension`` to ``extensions``.

A thin face, like the Django tags: each tag parses its arguments and calls the functions the Django
tags call (:func:`pipeline.url_for`, :func:`html.process_block`, :func:`minify.minify_content`), so
both template languages give the same output byte for byte. URLs are plain strings, which Jinja2's
autoescape escapes like any value; what the block tags return is HTML, so it is ``Markup``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

try:
    from jinja2 import nodes
    from jinja2.environment import Environment
    from jinja2.exceptions import TemplateRuntimeError
    from jinja2.ext import Extension
    from jinja2.parser import Parser
    from markupsafe import Markup
except ImportError as exc:  # pragma: no cover - tested in a process without Jinja2
    raise ImproperlyConfigured(
        "django_static_pipe.jinja2ext needs Jinja2: pip install 'django-static-pipe[jinja2]'."
    ) from exc

from . import html, pipeline
from .conf import pipe_settings
from .minify import guess_format, minify_content
from .templatetags.django_static import SLIMCONTENT_FORMATS

ASSET_TAGS = {"staticfile": False, "slimfile": True}
BLOCK_TAGS = {"staticall": False, "slimall": True}
_GUESS = object()  # {% slimcontent %} without a format


def _url(value: Any, slim: bool) -> str:
    return pipeline.url_for(str(value), slim=slim, from_tag=True) if value else ""


def staticfile(value: Any) -> str:
    """``{{ staticfile("/img/a.png") }}``: the URL ``{% staticfile %}`` gives, as a global function."""
    return _url(value, slim=False)


def slimfile(value: Any) -> str:
    """``{{ slimfile("/js/a.js") }}``: the URL ``{% slimfile %}`` gives, as a global function."""
    return _url(value, slim=True)


def _check_format(kind: str) -> str:
    if kind not in SLIMCONTENT_FORMATS:
        raise TemplateRuntimeError(_format_message(kind))
    return kind


def _format_message(kind: object) -> str:
    return (
        f"'slimcontent' does not know the format {kind!r}; use one of "
        + ", ".join(f'"{valid}"' for valid in SLIMCONTENT_FORMATS)
        + ", or give none to have it guessed."
    )


def _with_body(caller: Callable[[], Any], finish: Callable[[str], str]) -> Any:
    """Apply ``finish`` to the rendered body; in an async environment the body (and so the result)
    is awaitable, and Jinja2 awaits what the tag returns."""
    body = caller()
    if inspect.isawaitable(body):

        async def later() -> Markup:
            return Markup(finish(str(await body)))

        return later()
    return Markup(finish(str(body)))


class StaticPipeExtension(Extension):
    """``{% staticfile %}``, ``{% slimfile %}`` (also ``as name``), ``{% staticall %}``, ``{% slimall %}``,
    ``{% slimcontent %}``, and the global functions ``staticfile()`` and ``slimfile()``."""

    tags = {*ASSET_TAGS, *BLOCK_TAGS, "slimcontent"}  # noqa: RUF012 - Jinja2's Extension declares it so

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals.update(staticfile=staticfile, slimfile=slimfile)

    def parse(self, parser: Parser) -> nodes.Node:
        token = next(parser.stream)
        tag, lineno = str(token.value), token.lineno
        if tag in ASSET_TAGS:
            return self._parse_asset(parser, tag, lineno)
        kind: nodes.Expr | None = None
        if tag == "slimcontent":
            kind = self._parse_format(parser, lineno)
        elif not parser.stream.current.test("block_end"):
            parser.fail(f"'{tag}' takes no arguments: {{% {tag} %}}…{{% end{tag} %}}.", lineno)
        body = parser.parse_statements((f"name:end{tag}",), drop_needle=True)
        args = [kind] if kind is not None else []
        # The method is named after the tag: discovery reads it back from the parsed template.
        # Blocks know their template:LINE, for warnings about what they name (as the Django tags do).
        place = [nodes.Keyword("place", nodes.Const(f"{parser.name or '<unknown source>'}:{lineno}"))]
        call = self.call_method(f"_{tag}", args, kwargs=place if tag != "slimcontent" else None, lineno=lineno)
        return nodes.CallBlock(call, [], [], body, lineno=lineno)

    def _parse_asset(self, parser: Parser, tag: str, lineno: int) -> nodes.Node:
        usage = (
            f"'{tag}' takes one file name (or several separated by ';'): {{% {tag} \"/css/site.css\" %}}, "
            f'{{% {tag} "/css/site.css" as url %}} or {{{{ {tag}("/css/site.css") }}}}'
        )
        if parser.stream.current.test("block_end"):
            parser.fail(f"{usage}; got no file name.", lineno)
        argument = parser.parse_expression()
        target = None
        if parser.stream.skip_if("name:as"):
            if parser.stream.current.test("name"):
                target = nodes.Name(str(next(parser.stream).value), "store", lineno=lineno)
            if target is None or not target.can_assign():
                parser.fail(f"{usage}; 'as' needs a variable name after it.", lineno)
        if not parser.stream.current.test("block_end"):
            parser.fail(f"{usage}; got {parser.stream.current.value!r} after the file name.", lineno)
        call = self.call_method(f"_{tag}", [argument], lineno=lineno)
        if target is not None:
            return nodes.Assign(target, call, lineno=lineno)
        return nodes.Output([call], lineno=lineno)

    def _parse_format(self, parser: Parser, lineno: int) -> nodes.Expr | None:
        if parser.stream.current.test("block_end"):
            return None
        kind = parser.parse_expression()
        if not parser.stream.current.test("block_end"):
            parser.fail(
                "'slimcontent' takes at most one argument, the format: "
                '{% slimcontent "css" %}, {% slimcontent "js" %}, {% slimcontent "html" %} or {% slimcontent %}.',
                lineno,
            )
        if isinstance(kind, nodes.Const) and kind.value not in SLIMCONTENT_FORMATS:
            parser.fail(_format_message(kind.value), lineno)
        return kind

    # -- what the parsed tags call at render time -----------------------------------------------------

    def _staticfile(self, value: Any) -> str:
        return _url(value, slim=False)

    def _slimfile(self, value: Any) -> str:
        return _url(value, slim=True)

    def _staticall(self, place: str = "", *, caller: Callable[[], Any]) -> Any:
        return _with_body(caller, lambda body: _block(body, slim=False, place=place))

    def _slimall(self, place: str = "", *, caller: Callable[[], Any]) -> Any:
        return _with_body(caller, lambda body: _block(body, slim=True, place=place))

    def _slimcontent(self, kind: Any = _GUESS, *, caller: Callable[[], Any]) -> Any:
        def finish(content: str) -> str:
            if not pipe_settings.enabled:
                return content
            return minify_content(guess_format(content) if kind is _GUESS else _check_format(str(kind)), content)

        return _with_body(caller, finish)


def _block(body: str, *, slim: bool, place: str) -> str:
    with html.at_place(place):
        return html.process_block(body, slim=slim)
