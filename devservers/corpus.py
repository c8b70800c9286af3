"""Real third-party assets nobody here wrote, for the hardening tests and the benchmarks.

Django admin's own static files, plus jQuery, Bootstrap and Font Awesome from the npm registry at the
exact versions (and integrity hashes) of ``devservers/npm_corpus/package-lock.json``; the same lock
brings d3, Vue, TinyMCE and plotly.js, whose scripts rjsmin misreads (tests/pipeline/test_rjsmin_traps.py). They are
unpacked by ``npm ci --ignore-scripts`` into a cache folder named after the lock file's hash, so a
set-up never depends on a Python build step, and a new lock gets a new folder.
``python -m devservers.corpus --install`` does it ahead of time (the set-up scripts do).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from devservers.mongo import cache_dir

LOCK_FOLDER = Path(__file__).with_name("npm_corpus")
#: name in the corpus → (npm package, folder inside it, the sub-folders taken; None: all of it)
PACKAGES: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "jquery": ("jquery", "dist", None),
    "bootstrap": ("bootstrap", "dist", None),
    # Font Awesome's metadata, sprites and 2,000 single SVGs are not assets a page links.
    "fontawesome": ("@fortawesome/fontawesome-free", "", ("css", "js", "webfonts")),
}


class CorpusUnavailable(RuntimeError):
    pass


def install_folder(lock_folder: Path = LOCK_FOLDER) -> Path:
    """Where this lock file's packages are unpacked (one folder per version of the lock)."""
    digest = hashlib.sha256((lock_folder / "package-lock.json").read_bytes()).hexdigest()[:12]
    prefix = "npm-corpus" if lock_folder == LOCK_FOLDER else f"npm-{lock_folder.name.replace('_', '-')}"
    return cache_dir() / f"{prefix}-{digest}"


def ensure_installed(lock_folder: Path = LOCK_FOLDER) -> Path:
    """``node_modules`` of the corpus, installing it first if needed (once, under a file lock)."""
    folder = install_folder(lock_folder)
    done = folder / ".installed"
    if done.exists():
        return folder / "node_modules"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise CorpusUnavailable("npm is needed to unpack the test corpus (Debian: apt-get install npm).")
            for name in ("package.json", "package-lock.json"):
                shutil.copy(lock_folder / name, folder / name)
            subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=folder,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            done.touch()
    return folder / "node_modules"


def npm_versions() -> dict[str, str]:
    """The npm packages of the corpus and their locked versions."""
    import json

    lock = json.loads((LOCK_FOLDER / "package-lock.json").read_text())
    return {
        package: lock["packages"][f"node_modules/{package}"]["version"]
        for package, _folder, _subfolders in PACKAGES.values()
    }


def package_roots() -> dict[str, Path]:
    """Each package's asset folder: ``admin`` (from Django itself) and the npm packages."""
    import django

    modules = ensure_installed()
    roots = {"admin": Path(django.__file__).parent / "contrib/admin/static/admin"}
    for name, (package, folder, _subfolders) in PACKAGES.items():
        roots[name] = modules / package / folder
    return roots


def copy_corpus(target: Path, *, source_maps: bool = False) -> Path:
    """Copy every package's files under ``target/<package>/`` (one asset root for the pipeline)."""
    ignored = shutil.ignore_patterns("*.py", "__pycache__", *([] if source_maps else ["*.map"]))
    for name, root in package_roots().items():
        subfolders = PACKAGES[name][2] if name in PACKAGES else None
        if subfolders is None:
            shutil.copytree(root, target / name, ignore=ignored)
            continue
        for subfolder in subfolders:
            shutil.copytree(root / subfolder, target / name / subfolder, ignore=ignored)
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


GROWTH_LOCK_FOLDER = Path(__file__).with_name("npm_corpus_growth")
#: More real libraries for the benchmark of cost as a site grows (``bench/growth.py``), from
#: ``devservers/npm_corpus_growth/package-lock.json``: npm package → (the size it joins at, the files
#: and folders taken). Each library's own sources only: no minified copies (they are left out when
#: copying), no variants of one build (rtl, esm and cjs copies of the same code), no test suites.
GROWTH_PACKAGES: dict[str, tuple[int, tuple[str, ...]]] = {
    "bulma": (4, ("css/bulma.css",)),
    "materialize-css": (4, ("dist/css/materialize.css", "dist/js/materialize.js")),
    "tachyons": (4, ("css/tachyons.css",)),
    "normalize.css": (4, ("normalize.css",)),
    "animate.css": (4, ("animate.css",)),
    "moment": (4, ("moment.js", "locale")),
    "d3": (4, ("dist/d3.js",)),
    "chart.js": (4, ("dist/chart.umd.js",)),
    "vue": (4, ("dist/vue.global.js",)),
    "react": (4, ("umd/react.development.js",)),
    "react-dom": (4, ("umd/react-dom.development.js",)),
    "leaflet": (4, ("dist/leaflet-src.js", "dist/leaflet.css", "dist/images")),
    "katex": (4, ("dist/katex.js", "dist/katex.css", "dist/fonts")),
    "jquery-ui": (4, ("dist/jquery-ui.js", "dist/themes/base")),
    "codemirror": (4, ("lib", "mode", "theme", "addon", "keymap")),
    "highlight.js": (4, ("styles",)),
    "lodash": (4, ("lodash.js",)),
    "three": (16, ("build/three.module.js", "examples/jsm")),
    "echarts": (16, ("dist/echarts.js", "i18n", "theme")),
    "plotly.js-dist": (16, ("plotly.js",)),
    "video.js": (16, ("dist/video.js", "dist/video-js.css", "dist/lang", "dist/font")),
    "mermaid": (16, ("dist/mermaid.js",)),
    "tinymce": (16, ("tinymce.js", "themes", "models", "plugins", "skins", "icons")),
}


def growth_versions() -> dict[str, str]:
    import json

    lock = json.loads((GROWTH_LOCK_FOLDER / "package-lock.json").read_text())
    return {package: lock["packages"][f"node_modules/{package}"]["version"] for package in GROWTH_PACKAGES}


def copy_growth_packages(target: Path, size: int) -> Path:
    """Copy the libraries that join the corpus at ``size`` (4 or 16) or before, each under
    ``target/<package>/``, leaving out minified copies and source maps."""
    modules = ensure_installed(GROWTH_LOCK_FOLDER)
    ignored = shutil.ignore_patterns("*.min.*", "*.map", "*.d.ts", "*.py", "__pycache__")
    for package, (joins, paths) in GROWTH_PACKAGES.items():
        if joins > size:
            continue
        for relative in paths:
            source = modules / package / relative
            destination = target / package / relative
            if source.is_dir():
                shutil.copytree(source, destination, ignore=ignored, dirs_exist_ok=True)
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--install", action="store_true", help="unpack the npm packages now")
    parser.add_argument("--growth", action="store_true", help="also the benchmark's growth corpus")
    arguments = parser.parse_args()
    if arguments.install:
        print(ensure_installed())
        if arguments.growth:
            print(ensure_installed(GROWTH_LOCK_FOLDER))
