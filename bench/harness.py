"""Interleaved measurement: A, B, A, B… in one run; medians, ratios and how noisy the run was."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Series:
    name: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """The interquartile range relative to the median: how noisy the measurement was."""
        if len(self.samples) < 4:
            return 0.0
        quartiles = statistics.quantiles(self.samples, n=4)
        return (quartiles[2] - quartiles[0]) / self.median if self.median else 0.0


def interleave(
    contenders: dict[str, Callable[[], object]],
    *,
    rounds: int,
    inner: int = 1,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, Series]:
    """Run each contender ``inner`` times per round, the contenders taking turns every round.

    A sample is the time of one call (total / ``inner``); ``setup`` (not timed) runs before each turn.
    """
    series = {name: Series(name) for name in contenders}
    for round_number in range(rounds):
        order = list(contenders) if round_number % 2 == 0 else list(reversed(contenders))
        for name in order:
            if setup and name in setup:
                setup[name]()
            function = contenders[name]
            started = time.perf_counter()
            for _ in range(inner):
                function()
            series[name].samples.append((time.perf_counter() - started) / inner)
    return series


def warm_up(contenders: dict[str, Callable[[], object]], times: int = 3) -> None:
    for function in contenders.values():
        for _ in range(times):
            function()
