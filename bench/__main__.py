"""``python -m bench``: run every scenario, write bench/results/latest.md and latest.json."""

from __future__ import annotations

import sys

from bench.report import main

if __name__ == "__main__":
    sys.exit(main())
