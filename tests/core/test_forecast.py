"""Forecasts against series with known slopes: rate, crossing dates, confidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.errors import InvalidInputError
from ipledger.core.forecast import Confidence, Sample, fit_trend, forecast
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from tests.core.strategies import PROPERTY

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def linear(
    *, start: float, per_day: float, days: int, total: int = 10_000, every: float = 1.0
) -> list[Sample]:
    """A series growing exactly ``per_day`` percentage points a day, one sample every ``every`` days."""
    count = int(days / every) + 1
    return [
        Sample(T0 + timedelta(days=i * every), round((start + per_day * i * every) * total / 100), total)
        for i in range(count)
    ]


def test_forecast_of_a_known_slope_gives_each_crossing_date() -> None:
    samples = linear(start=40, per_day=1, days=20)  # 40 % .. 60 %, one point a day
    now = samples[-1].at

    result = forecast(samples, now=now, thresholds=DEFAULT_THRESHOLDS)

    assert result.slope_per_day == pytest.approx(1.0)
    assert result.addresses_per_day == pytest.approx(100.0)
    dates = {crossing.level: crossing.at for crossing in result.crossings}
    assert dates["warning"] == pytest.approx(T0 + timedelta(days=30), abs=timedelta(minutes=1))
    assert dates["critical"] == pytest.approx(T0 + timedelta(days=45), abs=timedelta(minutes=1))
    assert dates["emergency"] == pytest.approx(T0 + timedelta(days=55), abs=timedelta(minutes=1))
    assert result.exhaustion == pytest.approx(T0 + timedelta(days=60), abs=timedelta(minutes=1))
    assert result.confidence is Confidence.HIGH


def test_forecast_marks_reached_crossings_without_a_date() -> None:
    samples = linear(start=80, per_day=0.5, days=10)  # 80 % .. 85 %

    result = forecast(samples, now=samples[-1].at, thresholds=DEFAULT_THRESHOLDS)

    reached = {crossing.level: (crossing.reached, crossing.at) for crossing in result.crossings}
    assert reached["warning"] == (True, None)
    assert reached["critical"] == (True, None)
    assert reached["emergency"][0] is False
    assert reached["emergency"][1] == pytest.approx(T0 + timedelta(days=30), abs=timedelta(minutes=1))


@pytest.mark.parametrize(
    "samples",
    [
        pytest.param([], id="empty"),
        pytest.param(linear(start=10, per_day=5, days=2, every=1)[:2], id="two-points"),
        pytest.param(linear(start=10, per_day=5, days=0.5, every=0.1), id="half-a-day"),
    ],
)
def test_forecast_with_too_little_history_says_so_and_gives_no_dates(samples: list[Sample]) -> None:
    result = forecast(samples, now=T0 + timedelta(days=3), thresholds=DEFAULT_THRESHOLDS)

    assert result.confidence is Confidence.INSUFFICIENT
    assert result.reason.startswith("too little history")
    assert result.slope_per_day is None
    assert all(crossing.at is None for crossing in result.crossings)


@pytest.mark.parametrize("per_day", [pytest.param(0.0, id="flat"), pytest.param(-1.0, id="shrinking")])
def test_forecast_of_a_series_not_growing_gives_no_dates(per_day: float) -> None:
    samples = linear(start=50, per_day=per_day, days=10)

    result = forecast(samples, now=samples[-1].at, thresholds=DEFAULT_THRESHOLDS)

    assert result.exhaustion is None
    assert result.reason.startswith("not growing")
    assert result.slope_per_day == pytest.approx(per_day)


def test_forecast_of_noisy_short_growth_has_low_confidence() -> None:
    noisy = [
        Sample(T0 + timedelta(hours=6 * i), used, 100) for i, used in enumerate([10, 30, 12, 35, 15, 20])
    ]

    result = forecast(noisy, now=noisy[-1].at, thresholds=DEFAULT_THRESHOLDS)

    assert result.confidence is Confidence.LOW
    assert result.r_squared is not None and result.r_squared < 0.5


def test_forecast_of_a_past_due_crossing_is_now() -> None:
    # The line says 70 % was due long ago, but the present sample is still below it.
    samples = [
        Sample(T0, 0, 100),
        Sample(T0 + timedelta(days=2), 100, 100),
        Sample(T0 + timedelta(days=4), 60, 100),
    ]
    now = T0 + timedelta(days=4)

    result = forecast(samples, now=now, thresholds=DEFAULT_THRESHOLDS)

    assert result.crossings[0].at == now


def test_forecast_uses_the_given_thresholds() -> None:
    samples = linear(start=10, per_day=1, days=10)

    result = forecast(samples, now=samples[-1].at, thresholds=Thresholds(50, 60, 90))

    assert [crossing.percent for crossing in result.crossings] == [50, 60, 90, 100]


def test_fit_trend_needs_two_distinct_times() -> None:
    with pytest.raises(InvalidInputError, match="two different times"):
        fit_trend([Sample(T0, 1, 10), Sample(T0, 2, 10)])
    with pytest.raises(InvalidInputError, match="at least 2 samples"):
        fit_trend([Sample(T0, 1, 10)])


def test_sample_percent_of_an_empty_total() -> None:
    assert (Sample(T0, 0, 0).percent, Sample(T0, 1, 0).percent) == (0.0, 100.0)


@PROPERTY
@given(
    start=st.floats(min_value=0, max_value=50),
    per_day=st.floats(min_value=0.05, max_value=5),
    days=st.integers(min_value=2, max_value=60),
)
def test_fit_trend_recovers_a_known_slope(start: float, per_day: float, days: int) -> None:
    samples = linear(start=start, per_day=per_day, days=days, total=1_000_000)

    trend = fit_trend(samples)

    assert trend.slope_per_day == pytest.approx(per_day, abs=1e-3)
    assert trend.percent_at(T0) == pytest.approx(start, abs=1e-2)
    exhaustion = trend.reaches(100.0)
    assert exhaustion is not None
    assert exhaustion == pytest.approx(T0 + timedelta(days=(100 - start) / per_day), abs=timedelta(hours=2))


def test_forecast_of_fairly_steady_growth_over_days_has_medium_confidence() -> None:
    wobble = [0, 2, -2, 1, -1, 0]
    samples = [Sample(T0 + timedelta(days=i), 30 + 5 * i + wobble[i], 100) for i in range(6)]

    result = forecast(samples, now=samples[-1].at, thresholds=DEFAULT_THRESHOLDS)

    assert result.confidence is Confidence.MEDIUM
    assert result.reason.startswith("growth fits a line fairly")


def test_forecast_of_a_noisy_series_not_growing_has_medium_confidence() -> None:
    samples = [Sample(T0 + timedelta(days=i), used, 100) for i, used in enumerate([50, 40, 55, 35, 50, 38])]

    result = forecast(samples, now=samples[-1].at, thresholds=DEFAULT_THRESHOLDS)

    assert (result.confidence, result.exhaustion) == (Confidence.MEDIUM, None)
    assert result.reason.startswith("not growing")
