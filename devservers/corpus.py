"""Real third-party assets installed from PyPI (Django admin, XStatic jQuery, Bootstrap, Font Awesome),
used by the hardening tests and the benchmarks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def package_roots() -> dict[str, Path]:
    import django
    import xstatic.pkg.bootstrap as bootstrap
    import xstatic.pkg.jquery as jquery

    roots = {
        "admin": Path(django.__file__).parent / "contrib/admin/static/admin",
        "jquery": Path(jquery.BASE_DIR),
        "bootstrap": Path(bootstrap.BASE_DIR),
    }
    try:
        import xstatic.pkg.font_awesome as font_awesome

        roots["fontawesome"] = Path(font_awesome.BASE_DIR)
    except ImportError:  # pragma: no cover - part of the test extras
        pass
    return roots


def copy_corpus(target: Path, *, source_maps: bool = False) -> Path:
    """Copy every package's files under ``target/<package>/`` (one asset root for the pipeline)."""
    ignored = ["*.py", "__pycache__"] + ([] if source_maps else ["*.map"])
    for name, root in package_roots().items():
        shutil.copytree(root, target / name, ignore=shutil.ignore_patterns(*ignored))
    return target


def files(root: Path, extension: str, minified: bool | None = None) -> list[Path]:
    found = []
    for path in sorted(root.rglob(f"*{extension}")):
        is_min = ".min." in path.name
        if minified is None or minified == is_min:
            found.append(path)
    return found


def url_name(root: Path, path: Path) -> str:
    return "/" + str(path.relative_to(root)).replace(os.sep, "/")
