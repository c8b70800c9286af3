"""Run every scenario and write bench/results/latest.md and latest.json."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in (
        "Django",
        "rcssmin",
        "rjsmin",
        "django-compressor",
        "whitenoise",
        "gunicorn",
        "pymongo",
        "brotli",
        "boto3",
        "moto",
    ):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["django-static-pipe"] = importlib.metadata.version("django-static-pipe")
    from devservers.corpus import growth_versions, npm_versions

    found.update({f"npm {name}": version for name, version in npm_versions().items()})
    found.update({f"npm {name} (section 7)": version for name, version in growth_versions().items()})
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
    found["nginx"] = (nginx.stderr or nginx.stdout).strip().removeprefix("nginx version: ")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    found["wrk"] = (wrk.stdout or wrk.stderr).split("\n")[0].strip()
    from devservers.mongo import FERRETDB_VERSION, MongoServer

    server = MongoServer()
    found["MongoDB-wire server"] = (
        "MONGODB_URI"
        if server.external
        else ("mongod" if __import__("shutil").which("mongod") else f"FerretDB {FERRETDB_VERSION} (SQLite handler)")
    )
    return found


def _row(name: str, value: float, unit: str, spread: float, baseline: float | None) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "spread": round(spread, 3),
        "ratio": round(value / baseline, 3) if baseline else None,
    }


def _series_rows(result: dict[str, Any], scale: float, baseline_name: str | None = None) -> list[dict[str, Any]]:
    series = result["series"]
    baseline = series[baseline_name].median * scale / result["per"] if baseline_name else None
    return [
        _row(name, s.median * scale / result["per"], result["unit"], s.spread, baseline) for name, s in series.items()
    ]


def _target(text: str, met: bool, measured: str) -> dict[str, Any]:
    return {"target": text, "met": met, "measured": measured}


def run(quick: bool, cdn_corpus: Path | None = None) -> dict[str, Any]:
    from bench.setup_django import configure, prepare_corpus

    prepare_corpus()
    configure()
    from django.conf import settings

    from bench import build, proxies, render, serve
    from bench.serving.section import serving_section

    settings.DJANGO_STATIC_CLOUDFRONT = proxies.CLOUDFRONT
    rounds = 5 if quick else 15
    report: dict[str, Any] = {"versions": versions(), "quick": quick, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}

    tags = render.scenario_tags(rounds=rounds)
    s = tags["series"]
    ours = s["django-static-pipe, CDN proxy configured"].median
    plain = s["{% static %}, StaticFilesStorage"].median
    floor = s["floor: simple_tag returning a dict lookup"].median
    report["1. warm {% staticfile %} × 20"] = {
        "rows": _series_rows(tags, 1e6, "{% static %}, StaticFilesStorage"),
        "targets": [
            _target("at most half of plain {% static %}", ours <= 0.5 * plain, f"{ours / plain:.2f}×"),
            _target("within 2× the floor", ours <= 2 * floor, f"{ours / floor:.2f}×"),
        ],
    }

    block = render.scenario_block(rounds=rounds)
    s = block["series"]
    ours = s["django-static-pipe {% slimall %} of 5, CDN proxy"].median
    one = s["one Manifest {% static %} tag"].median
    compressor = s["django-compressor {% compress css %} of 5, warm cache"].median
    report["2. warm {% slimall %} of 5 stylesheets"] = {
        "rows": _series_rows(block, 1e6, "one Manifest {% static %} tag"),
        "targets": [
            _target("no more than one Manifest {% static %} tag", ours <= one, f"{ours / one:.2f}×"),
            _target("(about 1/20 of django-compressor)", ours <= compressor / 20, f"1/{compressor / ours:.0f}"),
        ],
    }

    minify = build.scenario_minify_throughput(rounds=rounds)
    mb_s = {name: minify["bytes"] / ser.median / 1e6 for name, ser in minify["series"].items()}
    built = build.scenario_build(rounds=3 if quick else 5)
    s = built["series"]
    cold = s["static_pipe_build, gzip"].median
    raw = s["raw floor: rcssmin/rjsmin + hash + write + zlib"].median
    manifest = s["collectstatic, ManifestStaticFilesStorage"].median
    both = s["static_pipe_build, gzip + brotli"].median
    whitenoise = s["collectstatic, WhiteNoise CompressedManifestStaticFilesStorage (gzip + brotli)"].median
    again = s["static_pipe_build again, nothing changed"].median
    minify_ratio = mb_s["django-static-pipe minify step"] / mb_s["bare rcssmin + rjsmin (C), licence comments kept"]
    report["3. cold offline build of the corpus"] = {
        "corpus": f"{built['files']} CSS/JS files, {built['bytes'] / 1e6:.1f} MB",
        "rows": _series_rows(built, 1, "raw floor: rcssmin/rjsmin + hash + write + zlib")
        + [
            {
                "name": f"minify step: {name}",
                "value": value,
                "unit": "MB/s",
                "spread": round(minify["series"][name].spread, 3),
                "ratio": None,
            }
            for name, value in mb_s.items()
        ],
        "targets": [
            _target("minify step at least 0.9× bare rcssmin/rjsmin MB/s", minify_ratio >= 0.9, f"{minify_ratio:.2f}×"),
            _target("whole build within 1.5× the raw floor", cold <= 1.5 * raw, f"{cold / raw:.2f}×"),
            _target("faster than Manifest collectstatic", cold < manifest, f"{cold / manifest:.2f}×"),
            _target(
                "gzip + brotli at most half of WhiteNoise's", both <= 0.5 * whitenoise, f"{both / whitenoise:.3f}×"
            ),
            _target(
                "a rebuild with nothing changed at most 1/10 of the cold build",
                again <= 0.1 * cold,
                f"{again / cold:.3f}×",
            ),
        ],
    }

    page = render.scenario_cold_page(rounds=rounds)
    s = page["series"]
    ours = s["django-static-pipe, cold {% slimall %}"].median
    same = s["raw floor, the same output (bundles + the files the CSS references)"].median
    bundles = s["raw floor, the two bundles only"].median
    plain = s["raw floor, the two bundles only, not compressed"].median
    compressor = s["django-compressor, cold {% compress %}"].median
    report["4. cold first render of a {% slimall %} of the admin CSS and JS"] = {
        "files": page["files"],
        "rows": _series_rows(page, 1e3, "raw floor, the same output (bundles + the files the CSS references)"),
        "targets": [
            _target(
                "at most 1.0× django-compressor's cold {% compress %}", ours <= compressor, f"{ours / compressor:.2f}×"
            ),
            _target("(stretch: at most 0.5× django-compressor)", ours <= 0.5 * compressor, f"{ours / compressor:.2f}×"),
            _target("within 1.5× the raw floor, the two bundles only", ours <= 1.5 * bundles, f"{ours / bundles:.2f}×"),
            _target("(within 2× the raw floor making the same output)", ours <= 2 * same, f"{ours / same:.2f}×"),
            _target(
                "(within 1.5× the raw floor, the two bundles only, not compressed)",
                ours <= 1.5 * plain,
                f"{ours / plain:.2f}×",
            ),
        ],
    }

    serving = serve.scenario_serving(rounds=3 if quick else 5, seconds=2 if quick else 3)
    report["5. serving"] = serving_section(serving)
    report.update(run_only(["cdn", "growth"], quick, cdn_corpus))
    return report


#: Sections that can be run on their own (``--only``), each merged into the last full report.
ONLY = {"cdn": "bench.cdn", "growth": "bench.growth"}


def run_only(names: list[str], quick: bool, cdn_corpus: Path | None = None) -> dict[str, Any]:
    import importlib

    from bench.setup_django import configure

    configure()
    if "cdn" in names and cdn_corpus is None:  # issue 15 asks for the upload of the largest growth corpus
        from bench.growth import SIZES, growth_corpus

        cdn_corpus = growth_corpus(max(SIZES))
    sections: dict[str, Any] = {}
    for name in names:
        module = importlib.import_module(ONLY[name])
        sections[module.SECTION] = module.report_section(quick, **({"corpus": cdn_corpus} if name == "cdn" else {}))
    return sections


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Benchmarks: the last run",
        "",
        f"Run `./scripts/bench` (quick: `./scripts/bench --quick`). Started {report['started']}"
        f"{' (quick run)' if report['quick'] else ''}. Every comparison interleaves its contenders "
        "(A B A B …) in one process; values are medians; *spread* is the interquartile range over the "
        "median (how noisy the run was); *ratio* is against the row the section compares with.",
        "",
    ]
    for section, data in report.items():
        if not isinstance(data, dict) or "rows" not in data:
            continue
        lines += [f"## {section}", ""]
        for key in ("corpus", "files"):
            if key in data:
                lines += [f"Corpus: {data[key]}" if key == "corpus" else f"{data[key]} files in the block.", ""]
        if "note" in data:
            lines += [data["note"], ""]
        lines += ["| contender | median | unit | ratio | spread |", "|---|---|---|---|---|"]
        for row in data["rows"]:
            ratio = f"{row['ratio']:.2f}×" if row.get("ratio") is not None else ""
            lines.append(
                f"| {row['name']} | {_format_value(row['value'])} | {row['unit']} | {ratio} | {row['spread']} |"
            )
        lines += ["", "| target | measured | met |", "|---|---|---|"]
        for target in data["targets"]:
            lines.append(f"| {target['target']} | {target['measured']} | {'yes' if target['met'] else '**no**'} |")
        lines.append("")
    lines += ["## Versions", "", "| tool | version |", "|---|---|"]
    lines += [f"| {name} | {version} |" for name, version in report["versions"].items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a noisier, shorter run)")
    parser.add_argument("--only", choices=sorted(ONLY), action="append", help="run only this section (repeatable)")
    parser.add_argument(
        "--cdn-corpus", type=Path, help="the folder of assets the CDN section uploads (default: the 16× growth corpus)"
    )
    args = parser.parse_args()
    if args.only:
        # Only these sections are measured now; the other sections of the last report are kept as they were.
        previous = json.loads((RESULTS / "latest.json").read_text()) if (RESULTS / "latest.json").exists() else {}
        report = {"versions": {}, "quick": args.quick, "started": "", **previous}
        now = versions()
        report["versions"] = {**now, **report["versions"]}  # the other sections ran with the versions they list
        for name, section in run_only(args.only, args.quick, args.cdn_corpus).items():
            section["note"] = f"Run on its own (--only) at {time.strftime('%Y-%m-%d %H:%M:%S %Z')}" + (
                " (quick)" if args.quick else ""
            )
            section["versions"] = now
            changed = {key: value for key, value in now.items() if report["versions"].get(key) != value}
            if changed:
                section["note"] += ", with " + ", ".join(f"{key} {value}" for key, value in changed.items())
            section["note"] += "."
            report[name] = section
    else:
        report = run(args.quick, args.cdn_corpus)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    (RESULTS / "latest.md").write_text(markdown(report))
    print((RESULTS / "latest.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
