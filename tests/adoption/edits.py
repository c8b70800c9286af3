"""The only edits adoption allows to a project's base template, made on the real file as installed.

Adopting means: load the tag library after the template's own ``{% load … %}`` line, put
``{% slimall %}`` before the first asset tag of a group and ``{% endslimall %}`` after its last, and give
sekizai's ``render_block`` tags the postprocessor. :func:`adopt` makes exactly these edits and
:func:`unadopt` takes them out again, so a test can prove that nothing else changed.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

LOAD = "{% load django_static %}"
OPEN = "{% slimall %}"
CLOSE = "{% endslimall %}"
POSTPROCESSOR = ' postprocessor "django_static_pipe.postprocessors.slimall"'
INSERTED = frozenset({LOAD, OPEN, CLOSE})


@dataclass(frozen=True)
class Wrap:
    """A group of asset tags: ``first`` names the line it starts on, ``last`` the first line after that
    where it ends (each by a piece of text only that line holds, so a new Django adding an attribute to
    the tags still matches).

    ``close_after`` lines after ``last`` are taken in too: when the last asset tag sits in a
    ``{% block %}`` or ``{% if %}`` that opened inside the group, the group ends after that tag closes.
    """

    first: str
    last: str
    close_after: int = 0


@dataclass(frozen=True)
class Adoption:
    """How one project's base template is adopted."""

    package: str  # the installed package whose templates/ folder holds the template
    template: str  # its name, as templates name it ("admin/base.html")
    wraps: tuple[Wrap, ...]
    sekizai_blocks: tuple[str, ...] = field(default=())  # names given to render_block

    def source(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        assert spec is not None and spec.submodule_search_locations, f"{self.package} is not installed"
        path = Path(next(iter(spec.submodule_search_locations))) / "templates" / self.template
        assert path.is_file(), f"{self.package} has no template {self.template} ({path})"
        return path


def _index(lines: list[str], wanted: str, start: int = 0) -> int:
    found = [i for i in range(start, len(lines)) if wanted in lines[i]]
    assert found, f"no line holds {wanted!r} in the template (after line {start + 1})"
    return found[0]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def adopt(original: str, adoption: Adoption) -> str:
    """The template with the allowed edits made; fails when an anchor line is not where it is expected."""
    assert "django_static" not in original, "the template already uses django-static-pipe"
    lines = original.splitlines(keepends=True)
    load_line = next((i for i, line in enumerate(lines) if line.lstrip().startswith("{% load ")), None)
    assert load_line is not None, f"{adoption.template} has no {{% load %}} line"
    inserts: list[tuple[int, str]] = [(load_line + 1, LOAD)]
    for wrap in adoption.wraps:
        first = _index(lines, wrap.first)
        assert sum(wrap.first in line for line in lines) == 1, f"more than one line holds {wrap.first!r}"
        last = _index(lines, wrap.last, first) + wrap.close_after
        inserts += [(first, _indent(lines[first]) + OPEN), (last + 1, _indent(lines[first]) + CLOSE)]
    for position, text in sorted(inserts, reverse=True):
        lines.insert(position, text + "\n")
    adopted = "".join(lines)
    for name in adoption.sekizai_blocks:
        tag = re.compile(r"\{%\s*render_block\s+(['\"])" + re.escape(name) + r"\1\s*%\}")
        matches = tag.findall(adopted)
        assert len(matches) == 1, f"expected one render_block {name!r} in {adoption.template}, found {len(matches)}"
        adopted = tag.sub(lambda m: m.group(0)[:-2].rstrip() + POSTPROCESSOR + " %}", adopted)
    return adopted


def unadopt(adopted: str) -> str:
    """The adopted template with the inserted lines and postprocessors taken out again."""
    kept = [line for line in adopted.splitlines(keepends=True) if line.strip() not in INSERTED]
    return "".join(kept).replace(POSTPROCESSOR + " %}", " %}")
