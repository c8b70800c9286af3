"""Each project is prepared once per test session (per xdist worker) and shared by its tests."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.adoption.harness import Project, Spec, prepare, remove

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def installed_by_test_extra(package: str) -> bool:
    """Whether pyproject's test extra installs ``package`` on this interpreter (its environment marker)."""
    extra = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]["test"]
    requirement = next(Requirement(line) for line in extra if Requirement(line).name == package)
    return requirement.marker is None or requirement.marker.evaluate()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """django-wiki supports no Django this interpreter's pair uses, so the test extra does not install it
    here: its tests are deselected (reported as such, never counted as passed or skipped)."""
    if installed_by_test_extra("wiki"):
        return
    deselected = [item for item in items if item.path.name == "test_wiki.py" and item.path.parent.name == "adoption"]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture(scope="session")
def prepared() -> Iterator[Callable[[Spec], Project]]:
    made: dict[str, Project] = {}

    def get(spec: Spec) -> Project:
        if spec.name not in made:
            made[spec.name] = prepare(spec)
        return made[spec.name]

    yield get
    for project in made.values():
        remove(project)
