"""Utilization history and forecasts of prefixes and clusters, and retention, on SQLite and
PostgreSQL. Time is the test's clock: one address a day into a /24 pool is 1/256 of it a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ipledger.core.errors import InvalidInputError
from ipledger.core.forecast import Confidence
from ipledger.core.history import Retention
from ipledger.service.cluster_report import cluster_report
from ipledger.service.history import (
    cluster_subject,
    forecast_all,
    forecast_subject,
    prefix_subject,
    prune_history,
    series,
)
from ipledger.service.ledger import Ledger
from ipledger.service.sync import sync_from_objects
from ipledger.service.usage_history import UsagePoint
from ipledger.store.models import UsageSample, UtilizationSample
from tests.service.factories import add_address, add_cluster, add_prefix, count_rows, net
from tests.service.k8s_dumps import NOW, node, pod, prod_objects
from tests.service.monitoring import T0, Clock, clocked

POOL = "198.51.100.0/24"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def daily(ledger: Ledger, clock: Clock) -> Ledger:
    """A /24 pool recorded empty a day before T0 + 1 h, then one address a day for 20 days."""
    moved = clocked(ledger, clock)
    clock.now = T0 + timedelta(days=-1, hours=1)
    add_prefix(moved, POOL, is_pool=True)
    for day in range(20):
        clock.now = T0 + timedelta(days=day, hours=1)
        add_address(moved, f"198.51.100.{day}")
    return moved


def test_series_returns_the_samples_between_since_and_until(daily: Ledger) -> None:
    subject = prefix_subject(daily, net(POOL), space="global")

    samples = series(daily, subject, since=T0 + timedelta(days=5), until=T0 + timedelta(days=7, hours=1))

    assert [sample.used for sample in samples] == [6, 7, 8]


def test_series_refuses_since_after_until(daily: Ledger) -> None:
    subject = prefix_subject(daily, net(POOL), space="global")
    with pytest.raises(InvalidInputError, match="is after until"):
        series(daily, subject, since=T0 + timedelta(days=2), until=T0)


def test_forecast_subject_of_one_address_a_day(daily: Ledger) -> None:
    subject = prefix_subject(daily, net(POOL), space="global")
    now = T0 + timedelta(days=19, hours=1)

    result = forecast_subject(daily, subject, now=now).forecast

    assert result.addresses_per_day == pytest.approx(1.0)
    assert result.slope_per_day == pytest.approx(100 / 256)
    # 256 addresses at one a day from 1 on day 0: full on day 255.
    assert result.exhaustion == pytest.approx(T0 + timedelta(days=255, hours=1), abs=timedelta(minutes=1))
    assert result.confidence is Confidence.HIGH


def test_forecast_subject_with_one_day_of_history_says_it_is_too_little(ledger: Ledger, clock: Clock) -> None:
    moved = clocked(ledger, clock)
    add_prefix(moved, POOL, is_pool=True)
    add_address(moved, "198.51.100.1")

    result = forecast_subject(moved, prefix_subject(moved, net(POOL), space="global"), now=clock.now).forecast

    assert result.confidence is Confidence.INSUFFICIENT
    assert result.exhaustion is None


def test_forecast_all_lists_the_soonest_exhaustion_first(daily: Ledger, clock: Clock) -> None:
    clock.now = T0
    add_prefix(daily, "203.0.113.0/24", is_pool=True)  # nothing in it: never exhausted
    now = T0 + timedelta(days=20)

    results = forecast_all(daily, now=now)

    assert [item.subject.label for item in results] == [POOL, "203.0.113.0/24"]
    assert results[1].forecast.exhaustion is None


def test_forecast_all_refuses_a_window_that_is_not_positive(daily: Ledger) -> None:
    with pytest.raises(InvalidInputError, match="must be positive"):
        forecast_all(daily, now=T0, window=timedelta(0))


def test_cluster_sync_records_a_sample_of_pod_ips(ledger: Ledger, clock: Clock) -> None:
    moved = clocked(ledger, clock)
    add_cluster(moved, "prod")
    add_prefix(moved, "10.244.0.0/24", role="pod", managed_by="cluster:prod")
    objects = [
        node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.0.0/24"),
        pod("default", "web-1", node_name="node-a", ips=["10.244.0.2"]),
        pod("default", "web-2", node_name="node-a", ips=["10.244.0.3"]),
    ]

    sync_from_objects(moved, "prod", objects, source="test", actor="test", now=T0)

    [sample] = series(moved, cluster_subject(moved, "prod"))
    assert (sample.at, sample.used, sample.total) == (T0, 2, 254)


def test_cluster_sync_samples_pod_ips_as_the_report_counts_them(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")
    add_prefix(ledger, "10.244.0.0/16", role="pod", managed_by="cluster:prod")
    add_prefix(ledger, "10.96.0.0/16", role="service", managed_by="cluster:prod")
    objects = [item for items in prod_objects().values() for item in items]

    sync_from_objects(ledger, "prod", objects, source="test", actor="test", now=NOW)

    [sample] = series(ledger, cluster_subject(ledger, "prod"))
    counted = cluster_report(ledger, "prod").pod_ips
    # Inside 10.244.0.0/16: web-1, web-2 and api-0 in use, LEAKED_IP stranded, and with node-a's
    # tunnel address 5 allocated. The Whereabouts range and the service CIDR are not pod networks.
    assert counted == UsagePoint(NOW, 65_534, 3, 5, 1)
    assert (sample.at, sample.used, sample.total) == (NOW, counted.in_use, counted.size)


def test_prune_history_keeps_the_latest_sample_of_a_series_however_old(ledger: Ledger, clock: Clock) -> None:
    moved = clocked(ledger, clock)
    add_prefix(moved, POOL, is_pool=True)

    assert prune_history(moved, now=T0 + timedelta(days=5000)) == 0
    assert count_rows(moved, UtilizationSample) == 1


def test_prune_history_thins_old_samples_and_keeps_the_recent(daily: Ledger) -> None:
    before = count_rows(daily, UtilizationSample)
    retention = Retention(raw=timedelta(days=5), hourly=timedelta(days=10), daily=timedelta(days=15))

    dropped = prune_history(daily, now=T0 + timedelta(days=20), retention=retention)

    # The creation sample (day -1) and days 0..4 are older than 15 days: dropped. Each day after
    # holds one sample, which downsampling keeps.
    assert dropped == 6
    assert count_rows(daily, UtilizationSample) == before - dropped


def test_prune_history_thins_a_clusters_usage_samples_a_whole_sync_at_a_time(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")
    add_prefix(ledger, "10.244.0.0/16", role="pod", managed_by="cluster:prod")
    objects = [item for items in prod_objects().values() for item in items]
    # Four syncs in one hour 10 days ago, then one now; the hourly bucket keeps its last sync.
    old = NOW - timedelta(days=10)
    for minutes in (0, 15, 30, 45):
        sync_from_objects(
            ledger, "prod", objects, source="test", actor="test", now=old + timedelta(minutes=minutes)
        )
    sync_from_objects(ledger, "prod", objects, source="test", actor="test", now=NOW)
    per_sync = count_rows(ledger, UsageSample) // 5

    dropped = prune_history(ledger, now=NOW)

    assert count_rows(ledger, UsageSample) == 2 * per_sync
    assert dropped >= 3 * per_sync
    with ledger.reading() as session:
        times = sorted({row.at for row in session.scalars(select(UsageSample))})
    assert times == [old + timedelta(minutes=45), NOW]


def test_prune_history_keeps_the_usage_samples_of_a_clusters_newest_sync_however_old(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")
    add_prefix(ledger, "10.244.0.0/16", role="pod", managed_by="cluster:prod")
    objects = [item for items in prod_objects().values() for item in items]
    sync_from_objects(ledger, "prod", objects, source="test", actor="test", now=NOW)
    kept = count_rows(ledger, UsageSample)

    prune_history(ledger, now=NOW + timedelta(days=5000))

    assert count_rows(ledger, UsageSample) == kept > 0


def test_cluster_sync_measures_a_dual_stack_cluster_on_its_ipv4_pod_network(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")
    add_prefix(ledger, "10.244.0.0/24", role="pod", managed_by="cluster:prod")
    add_prefix(ledger, "fd00:10:244::/64", role="pod", managed_by="cluster:prod")
    objects = [
        node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.0.0/24"),
        *(
            pod(
                "default",
                f"web-{index}",
                node_name="node-a",
                ips=[f"10.244.0.{index + 2}", f"fd00:10:244::{index + 2}"],
            )
            for index in range(3)
        ),
    ]

    sync_from_objects(ledger, "prod", objects, source="test", actor="test", now=NOW)

    # 3 of the /24's 254 usable addresses; the /64 beside it would have made it 0 %.
    assert cluster_report(ledger, "prod").pod_ips == UsagePoint(NOW, 254, 3, 3, 0)
