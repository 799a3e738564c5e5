"""Retention of utilization history: what downsampling keeps, by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.history import DEFAULT_RETENTION, Retention, samples_to_drop

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_samples_to_drop_keeps_every_recent_sample() -> None:
    recent = [(i, NOW - timedelta(minutes=5 * i)) for i in range(1, 50)]

    assert samples_to_drop(recent, now=NOW) == []


def test_samples_to_drop_keeps_the_last_sample_of_each_hour_after_the_raw_window() -> None:
    hour = (NOW - timedelta(days=10)).replace(minute=0)
    samples = [
        (1, hour + timedelta(minutes=5)),
        (2, hour + timedelta(minutes=30)),
        (3, hour + timedelta(minutes=59)),
    ]
    samples.append((4, hour + timedelta(hours=1, minutes=1)))

    assert samples_to_drop(samples, now=NOW) == [1, 2]


def test_samples_to_drop_keeps_the_last_sample_of_each_day_after_the_hourly_window() -> None:
    day = (NOW - timedelta(days=200)).replace(hour=0, minute=0)
    samples = [(i, day + timedelta(hours=i)) for i in range(1, 24)]

    assert samples_to_drop(samples, now=NOW) == list(range(1, 23))


def test_samples_to_drop_drops_everything_older_than_the_daily_window() -> None:
    old = [(1, NOW - timedelta(days=5 * 366)), (2, NOW - timedelta(days=5 * 366, hours=1))]

    assert samples_to_drop(old, now=NOW) == [1, 2]


def test_samples_to_drop_a_year_of_hourly_samples_shrinks_to_the_documented_size() -> None:
    # One sample an hour for a year: 7 days raw, 23 days hourly, 335 days daily.
    samples = [(i, NOW - timedelta(hours=i)) for i in range(365 * 24)]

    kept = len(samples) - len(samples_to_drop(samples, now=NOW))

    assert kept == pytest.approx(7 * 24 + 23 * 24 + 335, abs=3)


def test_retention_rejects_windows_out_of_order() -> None:
    with pytest.raises(InvalidInputError, match="expected 0 <= raw <= hourly <= daily"):
        Retention(raw=timedelta(days=30), hourly=timedelta(days=7))


def test_retention_defaults() -> None:
    assert (DEFAULT_RETENTION.raw, DEFAULT_RETENTION.hourly) == (timedelta(days=7), timedelta(days=30))


def test_samples_to_drop_keeps_the_latest_of_a_bucket_whatever_the_input_order() -> None:
    hour = (NOW - timedelta(days=10)).replace(minute=0)
    samples = [(2, hour + timedelta(minutes=40)), (1, hour + timedelta(minutes=10))]

    assert samples_to_drop(samples, now=NOW) == [1]
