"""Utilization levels: a percentage measured against a prefix's warning, critical and emergency marks.

``level_of`` is the level of one measurement. ``settle_level`` adds hysteresis for findings: a
level is entered at its mark but left only once utilization falls ``HYSTERESIS_MARGIN`` points
below it, so that a prefix flapping around 70 % opens one warning, not one per change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ipledger.core.errors import InvalidInputError

__all__ = ["DEFAULT_THRESHOLDS", "HYSTERESIS_MARGIN", "Level", "Thresholds", "level_of", "settle_level"]


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Percentages at which a prefix's level rises; each at or above the one before."""

    warning: float = 70.0
    critical: float = 85.0
    emergency: float = 95.0

    def __post_init__(self) -> None:
        marks = (self.warning, self.critical, self.emergency)
        if not all(0 < mark <= 100 for mark in marks):
            raise InvalidInputError(f"thresholds {self.describe()}: each must be above 0 and at most 100")
        if not self.warning <= self.critical <= self.emergency:
            raise InvalidInputError(
                f"thresholds {self.describe()}: expected warning <= critical <= emergency"
            )

    def describe(self) -> str:
        return f"{self.warning:g}/{self.critical:g}/{self.emergency:g}"


DEFAULT_THRESHOLDS = Thresholds()
# Percentage points below a mark that utilization must fall to leave its level: 2 points is more
# than the step of one address in a /26 (1.6 points), so one address freed and taken again in a
# small subnet does not flap, while a real drop of a few percent still clears the finding.
HYSTERESIS_MARGIN = 2.0
_ORDER = (Level.OK, Level.WARNING, Level.CRITICAL, Level.EMERGENCY)


def level_of(percent: float, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Level:
    """The level of a utilization percentage; reaching a mark counts as crossing it."""
    if percent >= thresholds.emergency:
        return Level.EMERGENCY
    if percent >= thresholds.critical:
        return Level.CRITICAL
    if percent >= thresholds.warning:
        return Level.WARNING
    return Level.OK


def _mark(level: Level, thresholds: Thresholds) -> float:
    return {
        Level.WARNING: thresholds.warning,
        Level.CRITICAL: thresholds.critical,
        Level.EMERGENCY: thresholds.emergency,
    }[level]


def settle_level(
    percent: float,
    previous: Level,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    margin: float = HYSTERESIS_MARGIN,
) -> Level:
    """The level after a measurement of ``percent`` when the level was ``previous``.

    Rising is immediate (reaching a mark enters its level). Falling keeps each level down to
    ``previous`` while ``percent`` stays above its mark less ``margin``; at or below that, the
    level is left. Falling from emergency to 80 % with marks 70/85/95 gives warning.

    Raises:
        InvalidInputError: a negative margin.
    """
    if margin < 0:
        raise InvalidInputError(f"hysteresis margin {margin:g}: must not be negative")
    measured = level_of(percent, thresholds)
    if _ORDER.index(measured) >= _ORDER.index(previous):
        return measured
    for level in reversed(_ORDER[_ORDER.index(measured) + 1 : _ORDER.index(previous) + 1]):
        if percent > _mark(level, thresholds) - margin:
            return level
    return measured
