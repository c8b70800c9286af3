"""Finding the uses in Jinja2 templates, with Jinja2's own parser and each engine's own environment.

Every Jinja2 engine in ``TEMPLATES`` is read (Django's ``Jinja2`` backend, django-jinja's, or any
engine with a Jinja2 ``env``): its ``DIRS`` and, with ``APP_DIRS``, each app's folder named after the
backend's ``app_dirname``. The tags are found in the parsed template, as the calls the extension
compiles them to, together with calls of the global functions ``staticfile()`` and ``slimfile()``.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from typing import Any

from django.template import engines
from jinja2 import Environment, TemplateSyntaxError, nodes
from markupsafe import escape

from .discovery import Found, Place, Skipped, add_asset, add_block, display_path
from .jinja2ext import ASSET_TAGS, BLOCK_TAGS, StaticPipeExtension

#: A template that names none of these cannot use the pipeline: it is not parsed at all.
NAMES = (*ASSET_TAGS, *BLOCK_TAGS, "slimcontent")
EXTENSION_PATH = f"{StaticPipeExtension.__module__}.{StaticPipeExtension.__qualname__}"


def jinja2_engines() -> list[Any]:
    return [engine for engine in engines.all() if isinstance(getattr(engine, "env", None), Environment)]


def template_files(engine: Any) -> Iterator[tuple[str, str]]:
    """``(path, template name)`` of every file the engine may load; django-jinja's ``match_extension``
    and ``match_regex`` leave the other names to the engines after it, so they are left out here too."""
    match = getattr(engine, "match_template", None)
    for folder in map(str, engine.template_dirs):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for filename in sorted(filenames):
                path = os.path.join(dirpath, filename)
                name = os.path.relpath(path, folder).replace(os.sep, "/")
                if match is None or match(name):
                    yield path, name


def find_uses(found: Found, exclude: Collection[str] = ()) -> None:
    """Add the uses in every Jinja2 engine's templates to ``found``; each file is read once."""
    seen = set(exclude)
    for engine in jinja2_engines():
        for path, name in template_files(engine):
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                scan_template(engine.env, path, name, found)


def scan_template(env: Environment, path: str, name: str, found: Found) -> None:
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
    except (UnicodeDecodeError, OSError):
        return  # not a text template
    if not any(word in source for word in NAMES):
        return
    shown = display_path(path)
    try:
        tree = env.parse(source, name, path)
    except TemplateSyntaxError as exc:
        found.skipped.append(Skipped(Place(shown, exc.lineno or 0), _unparsed(exc)))
        return
    scanner = _Scanner(env, name, shown, found)
    scanner.visit(tree)
    if scanner.named:
        found.templates += 1


def _unparsed(exc: TemplateSyntaxError) -> str:
    reason = f"Jinja2 cannot parse it: {exc.message}"
    if any(f"unknown tag '{tag}'" in str(exc.message) for tag in NAMES):
        reason += f" (add {EXTENSION_PATH!r} to the engine's OPTIONS['extensions'])"
    return reason


class _Scanner:
    """Walks one parsed template and records what it asks for, or why a use cannot be built ahead."""

    def __init__(self, env: Environment, name: str, shown: str, found: Found) -> None:
        self.env = env
        self.eval_ctx = nodes.EvalContext(env, name)
        self.shown = shown
        self.found = found
        self.named = False
        # The tags compile to calls of the extension's methods, under each extension's identifier.
        self.identifiers = {ext.identifier for ext in env.extensions.values() if isinstance(ext, StaticPipeExtension)}

    def visit(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.CallBlock):
            tag = self._tag_of(node.call)
            if tag in BLOCK_TAGS:
                self._block(node, tag)
            self.named = self.named or tag is not None
        elif isinstance(node, nodes.Call):
            tag = self._tag_of(node)
            if tag in ASSET_TAGS:
                self._asset(node, tag)
        for child in node.iter_child_nodes():
            self.visit(child)

    def _tag_of(self, call: nodes.Call) -> str | None:
        """The tag (or global function) a call stands for, if it is one of ours."""
        target = call.node
        if isinstance(target, nodes.ExtensionAttribute) and target.identifier in self.identifiers:
            tag = target.name.removeprefix("_")
            return tag if tag in NAMES else None
        if isinstance(target, nodes.Name) and target.name in ASSET_TAGS:
            return target.name
        return None

    def _place(self, node: nodes.Node) -> Place:
        return Place(self.shown, node.lineno or 0)

    def _asset(self, call: nodes.Call, tag: str) -> None:
        self.named = True
        literal = self._literal(call.args[0]) if _one_argument(call) else None
        if literal is None:
            written = f"{{% {tag} … %}}" if isinstance(call.node, nodes.ExtensionAttribute) else f"{tag}(…)"
            self.found.skipped.append(Skipped(self._place(call), f"{written}: the argument is not a literal string"))
            return
        add_asset(self.found, literal, ASSET_TAGS[tag], self._place(call))

    def _block(self, block: nodes.CallBlock, tag: str) -> None:
        body = self._literal_body(block.body)
        if body is None:
            self.found.skipped.append(Skipped(self._place(block), f"{{% {tag} %}}: its body holds variables or tags"))
            return
        add_block(self.found, body, BLOCK_TAGS[tag], self._place(block))

    def _literal(self, expression: nodes.Node) -> str | None:
        """The string an expression always gives (folded as Jinja2's optimizer folds it), else None."""
        try:
            value = expression.as_const(self.eval_ctx) if isinstance(expression, nodes.Expr) else None
        except Exception:  # nodes.Impossible, or a folded filter that fails: not a literal
            return None
        return value if isinstance(value, str) else None

    def _literal_body(self, body: list[nodes.Node]) -> str | None:
        """The text a block body always renders to: template data, constants, and ``static("…")``."""
        parts: list[str] = []
        for statement in body:
            if not isinstance(statement, nodes.Output):
                return None
            for child in statement.nodes:
                if isinstance(child, nodes.TemplateData):
                    parts.append(child.data)
                    continue
                value = self._literal(child)
                if value is None:
                    value = self._static_url(child)
                if value is None:
                    return None
                parts.append(str(escape(value)) if self.eval_ctx.autoescape else value)
        return "".join(parts)

    def _static_url(self, node: nodes.Node) -> str | None:
        """``{{ static("app/site.css") }}`` with a literal name: the URL the environment's ``static``
        global gives, as the render will (Django's documented Jinja2 set-up has one)."""
        function = self.env.globals.get("static")
        if not (callable(function) and isinstance(node, nodes.Call) and _one_argument(node)):
            return None
        if not (isinstance(node.node, nodes.Name) and node.node.name == "static"):
            return None
        name = self._literal(node.args[0])
        if name is None:
            return None
        try:
            return str(function(name))
        except Exception:  # e.g. a manifest storage without this name: the render would fail too
            return None


def _one_argument(call: nodes.Call) -> bool:
    return len(call.args) == 1 and not call.kwargs and call.dyn_args is None and call.dyn_kwargs is None
