"""``{% load django_static %}``: thin tags over :mod:`django_static_pipe.pipeline` and ``html``."""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.html import conditional_escape

from .. import html, pipeline
from ..conf import pipe_settings
from ..minify import guess_format, minify_content

register = template.Library()

SLIMCONTENT_FORMATS = ("css", "js", "html")


class AssetNode(template.Node):
    """``{% staticfile %}`` and ``{% slimfile %}``: the URL of one file or a ``;``-separated bundle."""

    def __init__(self, argument: FilterExpression, slim: bool, target: str | None) -> None:
        self.argument = argument
        self.slim = slim
        self.target = target

    def render(self, context: Context) -> str:
        value = self.argument.resolve(context)
        url = pipeline.url_for(str(value), slim=self.slim, from_tag=True) if value else ""
        if self.target:
            context[self.target] = url  # a plain string: {{ var }} escapes it as autoescape says
            return ""
        # As {% static %} does: a URL (whatever a variable, a proxy or a name put in it) is escaped.
        return conditional_escape(url) if context.autoescape else url


def _asset_tag(parser: Parser, token: Token, slim: bool) -> AssetNode:
    bits = token.split_contents()
    name = bits[0]
    if len(bits) == 2:
        return AssetNode(parser.compile_filter(bits[1]), slim, None)
    if len(bits) == 4 and bits[2] == "as":
        return AssetNode(parser.compile_filter(bits[1]), slim, bits[3])
    raise template.TemplateSyntaxError(
        f"'{name}' takes one file name (or several separated by ';'): "
        f'{{% {name} "/css/site.css" %}} or {{% {name} "/css/site.css" as url %}}; got {token.contents!r}.'
    )


@register.tag
def staticfile(parser: Parser, token: Token) -> AssetNode:
    """``{% staticfile "/img/a.png" %}`` → ``/img/a.1700000000.png``."""
    return _asset_tag(parser, token, slim=False)


@register.tag
def slimfile(parser: Parser, token: Token) -> AssetNode:
    """``{% slimfile "/js/a.js" %}`` → ``/js/a.min.1700000000.js``, minified."""
    return _asset_tag(parser, token, slim=True)


class BlockNode(template.Node):
    """``{% staticall %}`` and ``{% slimall %}``: combine the scripts and stylesheets in the body."""

    def __init__(self, nodelist: NodeList, slim: bool) -> None:
        self.nodelist = nodelist
        self.slim = slim

    def render(self, context: Context) -> str:
        body = self.nodelist.render(context)
        with html.at_place(lambda: _place(self, context)):
            return html.process_block(body, slim=self.slim)


def _place(node: template.Node, context: Context) -> str:
    """``template:LINE`` of a tag, for warnings about what its block names."""
    origin = getattr(getattr(context, "template", None), "origin", None) or getattr(node, "origin", None)
    name = getattr(origin, "template_name", None) or getattr(origin, "name", None) or "<template>"
    token = getattr(node, "token", None)
    return f"{name}:{getattr(token, 'lineno', 0) or 0}"


def _block_tag(parser: Parser, token: Token, slim: bool) -> BlockNode:
    bits = token.split_contents()
    if len(bits) != 1:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes no arguments: {{% {bits[0]} %}}…{{% end{bits[0]} %}}.")
    nodelist = parser.parse((f"end{bits[0]}",))
    parser.delete_first_token()
    return BlockNode(nodelist, slim)


@register.tag
def staticall(parser: Parser, token: Token) -> BlockNode:
    return _block_tag(parser, token, slim=False)


@register.tag
def slimall(parser: Parser, token: Token) -> BlockNode:
    return _block_tag(parser, token, slim=True)


def _check_format(kind: str) -> str:
    if kind not in SLIMCONTENT_FORMATS:
        raise template.TemplateSyntaxError(
            f"'slimcontent' does not know the format {kind!r}; use one of "
            + ", ".join(f'"{valid}"' for valid in SLIMCONTENT_FORMATS)
            + ", or give none to have it guessed."
        )
    return kind


class SlimContentNode(template.Node):
    """``{% slimcontent "css" %}…{% endslimcontent %}``: minify inline content."""

    def __init__(self, nodelist: NodeList, kind: FilterExpression | None) -> None:
        self.nodelist = nodelist
        self.kind = kind

    def render(self, context: Context) -> str:
        content = self.nodelist.render(context)
        if not pipe_settings.enabled:
            return content
        kind = _check_format(str(self.kind.resolve(context))) if self.kind else guess_format(content)
        return minify_content(kind, content)


@register.tag
def slimcontent(parser: Parser, token: Token) -> SlimContentNode:
    bits = token.split_contents()
    if len(bits) > 2:
        raise template.TemplateSyntaxError(
            "'slimcontent' takes at most one argument, the format: "
            '{% slimcontent "css" %}, {% slimcontent "js" %}, {% slimcontent "html" %} or {% slimcontent %}.'
        )
    kind = parser.compile_filter(bits[1]) if len(bits) == 2 else None
    if kind is not None and kind.is_var is False and not kind.filters:
        _check_format(str(kind.var))
    nodelist = parser.parse(("endslimcontent",))
    parser.delete_first_token()
    return SlimContentNode(nodelist, kind)
