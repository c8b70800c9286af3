"""Finding every use of the five tags in a project's templates, for the offline build.

Django templates are read with Django's own lexer (here), Jinja2 templates with Jinja2's own parser
(:mod:`discovery_jinja2`), so tags are found exactly where the template engine would find them.
A tag whose argument is a variable (or a block whose body holds variables or other tags) cannot be
built ahead of time; it is reported as skipped, with its place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import SuspiciousFileOperation
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.base import Lexer, Token, TokenType
from django.template.utils import get_app_template_dirs

from . import html
from .exceptions import BundleError
from .pipeline import parse_argument

ASSET_TAGS = {"staticfile": False, "slimfile": True}
BLOCK_TAGS = {"staticall": False, "slimall": True}


@dataclass(frozen=True)
class Place:
    template: str
    line: int

    def __str__(self) -> str:
        return f"{self.template}:{self.line}"


@dataclass
class Use:
    """One asset (or bundle) a template will ask for: ``names`` built ``slim`` or not."""

    names: tuple[str, ...]
    slim: bool
    places: list[Place] = field(default_factory=list)


@dataclass
class Skipped:
    place: Place
    reason: str


@dataclass
class Found:
    uses: dict[tuple[tuple[str, ...], bool], Use] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    templates: int = 0
    # What a render would warn about and leave as written (a URL refused, a bundle that cannot be).
    problems: list[str] = field(default_factory=list)

    def add(self, names: tuple[str, ...], slim: bool, place: Place) -> None:
        use = self.uses.setdefault((names, slim), Use(names, slim))
        use.places.append(place)


def template_dirs() -> list[str]:
    """Every folder the project's Django template engines load from, project folders first."""
    folders: list[str] = []
    for engine in engines.all():
        if not isinstance(engine, DjangoTemplates):
            continue
        candidates = [str(folder) for folder in engine.engine.dirs]
        if engine.engine.app_dirs:
            candidates += [str(folder) for folder in get_app_template_dirs("templates")]
        folders += [folder for folder in candidates if folder not in folders and os.path.isdir(folder)]
    return folders


def display_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _template_files(folders: list[str]) -> Iterator[str]:
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for filename in sorted(filenames):
                yield os.path.join(dirpath, filename)


def _literal(bit: str) -> str | None:
    if len(bit) >= 2 and bit[0] == bit[-1] and bit[0] in "'\"":
        return bit[1:-1]
    return None


def _asset_tag(token: Token, found: Found, place: Place) -> None:
    bits = token.split_contents()
    slim = ASSET_TAGS[bits[0]]
    literal = _literal(bits[1]) if len(bits) in (2, 4) else None
    if literal is None:
        found.skipped.append(Skipped(place, f"{{% {token.contents} %}}: the argument is not a literal string"))
        return
    add_asset(found, literal, slim, place)


def add_asset(found: Found, literal: str, slim: bool, place: Place) -> None:
    """Plan a single-file tag's literal argument under the names a render asks for (``STATIC_URL``
    spellings, queries and fragments folded as :func:`parse_argument` folds them); what a render
    would refuse is a problem named with its place."""
    try:
        parsed = parse_argument(literal)
    except (SuspiciousFileOperation, BundleError) as exc:
        found.problems.append(f"{place}: {exc}")
        return
    if parsed is not None and parsed[0]:
        found.add(parsed[0], slim, place)


def _static_tag(token: Token) -> str | None:
    """What ``{% static "literal" %}`` renders (None for any other tag, or a non-literal argument)."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[0] != "static":
        return None
    literal = _literal(bits[1])
    if literal is None:
        return None
    from django.templatetags.static import static

    return static(literal)


def _block(tokens: list[Token], start: int, found: Found, place: Place) -> int:
    """Handle a block tag starting at ``tokens[start]``; return the index of its end tag.

    A body of text, comments and ``{% static "literal" %}`` tags is planned exactly as a render would;
    anything else (a variable, another tag) makes it a block that can only be built when rendered.
    """
    name = tokens[start].contents.split()[0]
    body: list[str] = []
    reason = ""
    index = start + 1
    while index < len(tokens):
        token = tokens[index]
        if token.token_type == TokenType.BLOCK and token.contents.strip() == f"end{name}":
            break
        if token.token_type == TokenType.TEXT:
            body.append(token.contents)
        elif token.token_type == TokenType.BLOCK and (url := _static_tag_safely(token)) is not None:
            body.append(url)
        elif token.token_type == TokenType.VAR and not reason:
            reason = f"its body holds the variable {{{{ {token.contents} }}}} (line {token.lineno})"
        elif token.token_type == TokenType.BLOCK and not reason:
            reason = f"its body holds the tag {{% {token.contents} %}} (line {token.lineno})"
        index += 1
    if reason:
        found.skipped.append(Skipped(place, f"{{% {name} %}}: {reason}; it is built when a page renders it"))
        return index
    add_block(found, "".join(body), BLOCK_TAGS[name], place)
    return index


def add_block(found: Found, body: str, slim: bool, place: Place) -> None:
    """Record what a block tag with this literal body asks for (the same in every template language),
    and what a render of it would refuse."""
    uses, refused = html.planned(body, slim=slim)
    for names, use_slim in uses:
        found.add(names, use_slim, place)
    found.problems += [f"{place}: {problem}" for problem in refused]


def _static_tag_safely(token: Token) -> str | None:
    try:
        return _static_tag(token)
    except ValueError:  # a Manifest storage without an entry for the name: the render would fail too
        return None


def scan_template(path: str, found: Found) -> None:
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
    except (UnicodeDecodeError, OSError):
        return  # not a text template
    if "django_static" not in source:
        return
    found.templates += 1
    tokens = Lexer(source).tokenize()
    shown = display_path(path)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.token_type == TokenType.BLOCK:
            tag = token.contents.split()[0] if token.contents.split() else ""
            place = Place(shown, token.lineno or 0)
            if tag in ASSET_TAGS:
                _asset_tag(token, found, place)
            elif tag in BLOCK_TAGS:
                index = _block(tokens, index, found, place)
        index += 1


def find_uses(folders: list[str] | None = None) -> Found:
    """Every use in the templates of every Django and Jinja2 engine (or of ``folders``, Django only)."""
    found = Found()
    django_templates: set[str] = set()
    for path in _template_files(template_dirs() if folders is None else folders):
        counted = found.templates
        scan_template(path, found)
        if found.templates > counted:
            django_templates.add(os.path.realpath(path))
    if folders is None and sys.modules.get("jinja2") is not None:  # a Jinja2 engine has imported it by now
        from . import discovery_jinja2

        # A file a Django engine also sees and that loads django_static is a Django template.
        discovery_jinja2.find_uses(found, exclude=django_templates)
    return found
