"""Threshold levels with hysteresis: rising at a mark, falling only a margin below it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.errors import InvalidInputError
from ipledger.core.thresholds import HYSTERESIS_MARGIN, Level, Thresholds, level_of, settle_level
from tests.core.strategies import PROPERTY

LEVELS = [Level.OK, Level.WARNING, Level.CRITICAL, Level.EMERGENCY]
percents = st.floats(min_value=0, max_value=100, allow_nan=False)


@pytest.mark.parametrize(
    ("percent", "previous", "expected"),
    [
        pytest.param(70.0, Level.OK, Level.WARNING, id="reaching-warning-opens"),
        pytest.param(69.99, Level.OK, Level.OK, id="below-warning-stays-ok"),
        pytest.param(96.0, Level.OK, Level.EMERGENCY, id="jump-to-emergency"),
        pytest.param(68.5, Level.WARNING, Level.WARNING, id="within-margin-keeps-warning"),
        pytest.param(68.0, Level.WARNING, Level.OK, id="margin-below-closes"),
        pytest.param(83.5, Level.CRITICAL, Level.CRITICAL, id="within-margin-keeps-critical"),
        pytest.param(83.0, Level.CRITICAL, Level.WARNING, id="critical-falls-to-warning"),
        pytest.param(80.0, Level.EMERGENCY, Level.WARNING, id="emergency-falls-two-levels"),
        pytest.param(10.0, Level.EMERGENCY, Level.OK, id="emergency-clears"),
        pytest.param(86.0, Level.WARNING, Level.CRITICAL, id="warning-rises"),
    ],
)
def test_settle_level_rises_at_marks_and_falls_below_the_margin(
    percent: float, previous: Level, expected: Level
) -> None:
    assert settle_level(percent, previous) is expected


def test_settle_level_flapping_around_70_stays_warning() -> None:
    level = Level.OK
    seen = []
    for percent in [69.0, 70.5, 69.2, 70.1, 68.4, 71.0, 69.9]:
        level = settle_level(percent, level)
        seen.append(level)

    assert seen == [Level.OK] + [Level.WARNING] * 6


def test_settle_level_margin_is_two_points() -> None:
    assert HYSTERESIS_MARGIN == 2.0


def test_settle_level_takes_per_prefix_thresholds() -> None:
    custom = Thresholds(50, 60, 90)

    assert settle_level(55, Level.OK, custom) is Level.WARNING
    assert settle_level(48.5, Level.WARNING, custom) is Level.WARNING
    assert settle_level(48, Level.WARNING, custom) is Level.OK


def test_settle_level_rejects_a_negative_margin() -> None:
    with pytest.raises(InvalidInputError, match="must not be negative"):
        settle_level(50, Level.OK, margin=-1)


@PROPERTY
@given(percent=percents, previous=st.sampled_from(LEVELS))
def test_settle_level_lies_between_measured_and_previous(percent: float, previous: Level) -> None:
    measured = level_of(percent)
    settled = settle_level(percent, previous)

    low, high = sorted([LEVELS.index(measured), LEVELS.index(previous)])
    assert low <= LEVELS.index(settled) <= high
    assert LEVELS.index(settled) >= LEVELS.index(measured)


@PROPERTY
@given(percent=percents, previous=st.sampled_from(LEVELS))
def test_settle_level_without_margin_is_the_measured_level(percent: float, previous: Level) -> None:
    assert settle_level(percent, previous, margin=0) in (level_of(percent), previous)
