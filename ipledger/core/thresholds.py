"""Utilization levels: a percentage measured against a prefix's warning, critical and emergency marks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ipledger.core.errors import InvalidInputError

__all__ = ["DEFAULT_THRESHOLDS", "Level", "Thresholds", "level_of"]


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


def level_of(percent: float, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Level:
    """The level of a utilization percentage; reaching a mark counts as crossing it."""
    if percent >= thresholds.emergency:
        return Level.EMERGENCY
    if percent >= thresholds.critical:
        return Level.CRITICAL
    if percent >= thresholds.warning:
        return Level.WARNING
    return Level.OK
