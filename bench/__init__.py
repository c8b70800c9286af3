"""Side-by-side benchmarks: django-static-pipe and the alternatives measured in one run, as ratios.

Run ``./scripts/bench`` (or ``python -m bench``); it writes ``bench/results/latest.md`` and ``latest.json``.
"""
