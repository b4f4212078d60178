"""Duration statistics: n, mean, median and nearest-rank p90, with what was left out and why."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, Field

MAX_IDS = 20  # ids listed per exclusion reason; the count is always exact


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: the ceil(percent/100 × n)-th smallest value (n >= 1)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The middle value, or the mean of the two middle values when there is an even number of them."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


class Excluded(BaseModel):
    """Incidents left out of a figure for one reason."""

    reason: str
    count: int
    ids: list[str]  # the first MAX_IDS of them


class DurationStats(BaseModel):
    """n, mean, median and p90 in minutes (absent when n = 0), and who was left out."""

    n: int
    mean_minutes: float | None = Field(default=None, exclude_if=lambda v: v is None)
    median_minutes: float | None = Field(default=None, exclude_if=lambda v: v is None)
    p90_minutes: float | None = Field(default=None, exclude_if=lambda v: v is None)
    excluded: list[Excluded] = Field(default_factory=list, exclude_if=lambda v: not v)


def stats(values: Sequence[float], excluded: dict[str, list[str]] | None = None) -> DurationStats:
    """The statistics of ``values`` (minutes) and the exclusions, reasons in the order given."""
    gone = [Excluded(reason=reason, count=len(ids), ids=ids[:MAX_IDS])
            for reason, ids in (excluded or {}).items() if ids]
    if not values:
        return DurationStats(n=0, excluded=gone)
    return DurationStats(n=len(values), mean_minutes=round(sum(values) / len(values), 1),
                         median_minutes=round(median(values), 1), p90_minutes=round(nearest_rank(values, 90), 1),
                         excluded=gone)
