"""Exhaustion forecasts: a straight line fitted to a utilization history, and when it crosses each mark.

The fit is ordinary least squares of percent against time over the samples given (the service
passes a window, by default the last 30 days, with the present value as the last point). Growth is
stated in percentage points and addresses per day. A forecast never guesses: with fewer than
``MIN_POINTS`` samples, or samples spanning less than ``MIN_SPAN``, it says that the history is too
short and gives no dates; a flat or shrinking series gives no dates either ("not growing").
Confidence grows with the span covered and with how well the line fits (r squared).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ipledger.core.errors import InvalidInputError
from ipledger.core.thresholds import Level, Thresholds

__all__ = [
    "MIN_POINTS",
    "MIN_SPAN",
    "Confidence",
    "Crossing",
    "Forecast",
    "Sample",
    "Trend",
    "fit_trend",
    "forecast",
]

MIN_POINTS = 3
MIN_SPAN = timedelta(days=1)
_DAY = 86400.0


class Confidence(StrEnum):
    INSUFFICIENT = "insufficient"  # too little history: no dates are given
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Sample:
    """Utilization at one time: ``used`` of ``total`` addresses."""

    at: datetime
    used: int
    total: int

    @property
    def percent(self) -> float:
        if self.total <= 0:
            return 100.0 if self.used > 0 else 0.0
        return 100.0 * self.used / self.total


@dataclass(frozen=True, slots=True)
class Trend:
    """A fitted line: ``percent(t) = intercept + slope * days since origin``."""

    origin: datetime
    intercept: float
    slope_per_day: float  # percentage points per day
    r_squared: float

    def percent_at(self, at: datetime) -> float:
        return self.intercept + self.slope_per_day * (at - self.origin).total_seconds() / _DAY

    def reaches(self, percent: float) -> datetime | None:
        """When the line reaches ``percent``; None when it never does (flat or falling)."""
        if self.slope_per_day <= 0:
            return None
        return self.origin + timedelta(days=(percent - self.intercept) / self.slope_per_day)


@dataclass(frozen=True, slots=True)
class Crossing:
    """One mark: its level and percentage, whether it is reached already, and when it will be."""

    level: str  # warning | critical | emergency | exhausted
    percent: float
    reached: bool
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Forecast:
    current_percent: float
    points: int
    span: timedelta
    confidence: Confidence
    reason: str  # the confidence in words: why, or why not
    slope_per_day: float | None  # percentage points per day; None without a fit
    addresses_per_day: float | None
    r_squared: float | None
    crossings: tuple[Crossing, ...]

    @property
    def exhaustion(self) -> datetime | None:
        return self.crossings[-1].at if self.crossings else None


def fit_trend(samples: Sequence[Sample]) -> Trend:
    """Least-squares line through the samples' percentages.

    Raises:
        InvalidInputError: fewer than two samples, or all at the same time.
    """
    if len(samples) < 2:
        raise InvalidInputError(f"a trend needs at least 2 samples, got {len(samples)}")
    origin = min(sample.at for sample in samples)
    xs = [(sample.at - origin).total_seconds() / _DAY for sample in samples]
    ys = [sample.percent for sample in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        raise InvalidInputError("a trend needs samples at two different times at least")
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    total = sum((y - mean_y) ** 2 for y in ys)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    # A perfectly flat series is perfectly explained by its flat line.
    r_squared = 1.0 if total == 0 else max(0.0, 1.0 - residual / total)
    return Trend(origin, intercept, slope, r_squared)


def forecast(samples: Sequence[Sample], *, now: datetime, thresholds: Thresholds) -> Forecast:
    """When the utilization in ``samples`` (any order) crosses each mark and reaches 100 %.

    A mark already reached has ``reached`` True and no date. Dates in the past of ``now`` for a
    mark not reached (the line says it should be full already) are moved to ``now``.
    """
    ordered = sorted(samples, key=lambda sample: sample.at)
    current = ordered[-1].percent if ordered else 0.0
    span = ordered[-1].at - ordered[0].at if ordered else timedelta(0)
    marks = (
        (Level.WARNING.value, thresholds.warning),
        (Level.CRITICAL.value, thresholds.critical),
        (Level.EMERGENCY.value, thresholds.emergency),
        ("exhausted", 100.0),
    )
    if len(ordered) < MIN_POINTS or span < MIN_SPAN:
        reason = (
            f"too little history: {len(ordered)} samples over {_days(span)}; "
            f"a forecast needs {MIN_POINTS} samples over {_days(MIN_SPAN)} at least"
        )
        crossings = tuple(Crossing(level, mark, current >= mark, None) for level, mark in marks)
        return Forecast(
            current, len(ordered), span, Confidence.INSUFFICIENT, reason, None, None, None, crossings
        )
    trend = fit_trend(ordered)
    crossings = tuple(_crossing(trend, level, mark, current, now) for level, mark in marks)
    total = ordered[-1].total
    confidence, reason = _confidence(trend, len(ordered), span)
    return Forecast(
        current,
        len(ordered),
        span,
        confidence,
        reason,
        trend.slope_per_day,
        trend.slope_per_day * total / 100.0,
        trend.r_squared,
        crossings,
    )


def _crossing(trend: Trend, level: str, mark: float, current: float, now: datetime) -> Crossing:
    if current >= mark:
        return Crossing(level, mark, True, None)
    at = trend.reaches(mark)
    return Crossing(level, mark, False, None if at is None else max(at, now))


def _confidence(trend: Trend, points: int, span: timedelta) -> tuple[Confidence, str]:
    fit = f"{points} samples over {_days(span)}, r\u00b2 {trend.r_squared:.2f}"
    if trend.slope_per_day <= 0:
        return Confidence.HIGH if trend.r_squared >= 0.8 else Confidence.MEDIUM, f"not growing ({fit})"
    if span >= timedelta(days=14) and points >= 10 and trend.r_squared >= 0.8:
        return Confidence.HIGH, f"steady growth ({fit})"
    if span >= timedelta(days=3) and trend.r_squared >= 0.5:
        return Confidence.MEDIUM, f"growth fits a line fairly ({fit})"
    return Confidence.LOW, f"short or irregular history ({fit})"


def _days(span: timedelta) -> str:
    days = span.total_seconds() / _DAY
    return f"{days:.1f} days"
