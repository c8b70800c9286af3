"""The serving section of bench/results/latest.md: rows (medians, spread, ratios) and targets."""

from __future__ import annotations

import statistics
from typing import Any

from bench.serving.media_cache import CACHED, DISK, FILE_RESPONSE, MISS, VIEW


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _spread(values: list[float]) -> float:
    if len(values) < 4:
        return (max(values) - min(values)) / _median(values) if values and _median(values) else 0.0
    q = statistics.quantiles(values, n=4)
    return (q[2] - q[0]) / _median(values)


def _row(name: str, values: list[float], unit: str, baseline: float | None = None) -> dict[str, Any]:
    median = _median(values)
    ratio = round(median / baseline, 3) if baseline else None
    return {"name": name, "value": median, "unit": unit, "spread": round(_spread(values), 3), "ratio": ratio}


def _target(text: str, met: bool, measured: str) -> dict[str, Any]:
    return {"target": text, "met": met, "measured": measured}


def serving_section(serving: dict[str, Any]) -> dict[str, Any]:
    rows = []
    rps = {}
    for group in ("stamped_30k", "media_30k"):
        for name, samples in serving[group].items():
            values = [sample["rps"] for sample in samples]
            rps[name] = _median(values)
            rows.append(_row(name, values, "requests/s"))
    cached_rps = {name: [sample["rps"] for sample in samples] for name, samples in serving["cached_30k"].items()}
    disk_rps = _median(cached_rps[DISK])
    for name, values in cached_rps.items():
        rows.append(_row(f"{name}, 30 KB image", values, "requests/s", disk_rps))
    disk_mb = _median(serving["cached_50m"][DISK])
    for name, values in serving["cached_50m"].items():
        rows.append(_row(f"{name}, 50 MB file", values, "MB/s", disk_mb))
    for size, key, scale, unit in (("30 KB", "first_30k", 1e3, "ms"), ("50 MB", "first_50m", 1, "s")):
        times = serving[key]
        baseline = _median(times[FILE_RESPONSE]) * scale
        for name in (MISS, VIEW, FILE_RESPONSE):
            rows.append(_row(f"{name}, {size}, one request", [t * scale for t in times[name]], unit, baseline))
    large = serving["media_50m"]
    for name, data in large.items():
        rows.append(_row(f"{name}, 50 MB file", data["mb_per_s"], "MB/s"))
        rows.append(
            {
                "name": f"{name}, worker peak memory after 30 KB / after 50 MB",
                "unit": "MB",
                "spread": 0,
                "value": f"{data['peak_rss_after_30k'] / 1e6:.1f} / {data['peak_rss_after_50m'] / 1e6:.1f}",
                "ratio": None,
            }
        )
    generated = rps["nginx, generated config"]
    reference = rps["nginx, hand-written reference config"]
    whitenoise = rps["WhiteNoise under gunicorn (2 workers)"]
    cached_small = _median(cached_rps[CACHED]) / disk_rps
    cached_large = _median(serving["cached_50m"][CACHED]) / disk_mb
    grid = _median(large["GridFS view"]["mb_per_s"])
    disk = _median(large["FileResponse from disk"]["mb_per_s"])
    growth = large["GridFS view"]["peak_rss_after_50m"] - large["GridFS view"]["peak_rss_after_30k"]
    headers = serving["cache_control_headers"]
    return {
        "rows": rows,
        "cache_control_headers": headers,
        "targets": [
            _target(
                "generated nginx config at least 0.9× the hand-written one",
                generated >= 0.9 * reference,
                f"{generated / reference:.2f}×",
            ),
            _target(
                "one Cache-Control header",
                len(headers["generated"]) == 1,
                f"generated: {headers['generated']}; hand-written: {headers['reference']}",
            ),
            _target(
                "(nginx against WhiteNoise under gunicorn)", generated > whitenoise, f"{generated / whitenoise:.0f}×"
            ),
            _target(
                "30 KB GridFS image through nginx's cache at least 0.9× nginx from disk",
                cached_small >= 0.9,
                f"{cached_small:.2f}×",
            ),
            _target(
                "50 MB GridFS file, second request, at least 0.5× nginx from disk",
                cached_large >= 0.5,
                f"{cached_large:.2f}×",
            ),
            _target(
                "GridFS view alone at least half of FileResponse-from-disk for large files",
                grid >= 0.5 * disk,
                f"{grid / disk:.3f}×",
            ),
            _target(
                "peak memory independent of file size (under 16 MB more for 50 MB than for 30 KB)",
                growth < 16e6,
                f"+{growth / 1e6:.1f} MB",
            ),
        ],
    }
