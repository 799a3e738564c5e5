"""Thresholds and utilization levels."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.errors import InvalidInputError
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Level, Thresholds, level_of
from tests.core.strategies import PROPERTY

LEVELS = [Level.OK, Level.WARNING, Level.CRITICAL, Level.EMERGENCY]
marks = st.floats(min_value=0, max_value=100, exclude_min=True)
ordered_thresholds = st.lists(marks, min_size=3, max_size=3).map(sorted).map(lambda m: Thresholds(*m))
percents = st.floats(min_value=-1, max_value=1000, allow_nan=False)


def test_thresholds_default_to_70_85_95() -> None:
    assert (DEFAULT_THRESHOLDS, DEFAULT_THRESHOLDS.describe()) == (Thresholds(70, 85, 95), "70/85/95")


@pytest.mark.parametrize(
    ("warning", "critical", "emergency"),
    [
        pytest.param(90, 80, 95, id="warning-above-critical"),
        pytest.param(70, 96, 95, id="critical-above-emergency"),
        pytest.param(95, 85, 70, id="reversed"),
    ],
)
def test_thresholds_reject_marks_out_of_order(warning: float, critical: float, emergency: float) -> None:
    message = f"thresholds {warning:g}/{critical:g}/{emergency:g}: expected warning <= critical <= emergency"
    with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}$"):
        Thresholds(warning, critical, emergency)


@pytest.mark.parametrize(
    ("warning", "critical", "emergency"),
    [
        pytest.param(0, 85, 95, id="zero"),
        pytest.param(-5, 85, 95, id="negative"),
        pytest.param(70, 85, 101, id="above-100"),
        pytest.param(math.nan, 85, 95, id="nan"),
        pytest.param(70, 85, math.inf, id="infinite"),
    ],
)
def test_thresholds_reject_marks_out_of_bounds(warning: float, critical: float, emergency: float) -> None:
    with pytest.raises(InvalidInputError, match=re.escape("each must be above 0 and at most 100")):
        Thresholds(warning, critical, emergency)


@pytest.mark.parametrize(
    ("warning", "critical", "emergency"),
    [
        pytest.param(80, 80, 80, id="all-equal"),
        pytest.param(0.5, 0.5, 100, id="extremes"),
        pytest.param(100, 100, 100, id="all-at-100"),
    ],
)
def test_thresholds_accept_equal_and_extreme_marks(warning: float, critical: float, emergency: float) -> None:
    assert Thresholds(warning, critical, emergency).emergency == emergency


def test_thresholds_describe_drops_trailing_zeros() -> None:
    assert Thresholds(72.5, 85, 99.9).describe() == "72.5/85/99.9"


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        pytest.param(0, Level.OK, id="empty"),
        pytest.param(69.99, Level.OK, id="just-below-warning"),
        pytest.param(70, Level.WARNING, id="at-warning"),
        pytest.param(84.99, Level.WARNING, id="just-below-critical"),
        pytest.param(85, Level.CRITICAL, id="at-critical"),
        pytest.param(95, Level.EMERGENCY, id="at-emergency"),
        pytest.param(100, Level.EMERGENCY, id="full"),
        pytest.param(250, Level.EMERGENCY, id="overcommitted"),
    ],
)
def test_level_of_counts_reaching_a_mark_as_crossing_it(percent: float, expected: Level) -> None:
    assert level_of(percent) is expected


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        pytest.param(79.9, Level.OK, id="below"),
        pytest.param(80, Level.EMERGENCY, id="at-the-shared-mark"),
    ],
)
def test_level_of_with_equal_marks_jumps_to_emergency(percent: float, expected: Level) -> None:
    assert level_of(percent, Thresholds(80, 80, 80)) is expected


@PROPERTY
@given(percents, ordered_thresholds)
def test_level_of_is_the_number_of_marks_reached(percent: float, thresholds: Thresholds) -> None:
    reached = sum(percent >= mark for mark in (thresholds.warning, thresholds.critical, thresholds.emergency))

    assert level_of(percent, thresholds) is LEVELS[reached]


@PROPERTY
@given(percents, percents, ordered_thresholds)
def test_level_of_never_falls_as_the_percentage_rises(
    low: float, high: float, thresholds: Thresholds
) -> None:
    low, high = sorted((low, high))

    assert LEVELS.index(level_of(low, thresholds)) <= LEVELS.index(level_of(high, thresholds))


def test_level_values_are_lowercase_names() -> None:
    assert [level.value for level in LEVELS] == ["ok", "warning", "critical", "emergency"]
