"""Utilization history and forecasts of prefixes, ranges and clusters, and its retention.

A series is the subject's samples (a step function: each holds until the next). A forecast fits
the samples of the last ``window`` plus the present value at ``now`` (``core.forecast``).
Retention (``prune_history``) thins old samples by ``core.history.Retention``; the server runs
it periodically and ``ipledger history prune`` on demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from ipledger.core.addresses import IPNetwork
from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.forecast import Forecast, Sample, forecast
from ipledger.core.history import DEFAULT_RETENTION, Retention, samples_to_drop
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ipledger.service.clusters import load_cluster
from ipledger.service.convert import names
from ipledger.service.ledger import Ledger
from ipledger.service.lookup import load_prefix, load_range, load_space
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.store import clusters as stored_clusters
from ipledger.store import observed
from ipledger.store import watch as stored
from ipledger.store.database import Session
from ipledger.store.models import Cluster, Prefix, Range

__all__ = [
    "DEFAULT_WINDOW",
    "Subject",
    "SubjectForecast",
    "cluster_subject",
    "forecast_all",
    "forecast_subject",
    "prefix_subject",
    "prefix_subject_by_id",
    "prune_history",
    "range_subject",
    "range_subject_by_id",
    "series",
]

DEFAULT_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Subject:
    """What a series belongs to: ``kind`` prefix, range or cluster, its id, and its name in words."""

    kind: str
    id: int
    label: str
    group: str | None
    thresholds: Thresholds


@dataclass(frozen=True, slots=True)
class SubjectForecast:
    subject: Subject
    forecast: Forecast


def prefix_subject(ledger: Ledger, network: IPNetwork, *, space: str) -> Subject:
    with ledger.reading() as session:
        return _prefix_subject(session, load_prefix(session, load_space(session, space), network))


def prefix_subject_by_id(ledger: Ledger, prefix_id: int) -> Subject:
    """Raises: NotFoundError: no prefix with this id."""
    with ledger.reading() as session:
        prefix = session.get(Prefix, prefix_id)
        if prefix is None:
            raise NotFoundError(f"no prefix #{prefix_id}")
        return _prefix_subject(session, prefix)


def range_subject(ledger: Ledger, span: IPRange, *, space: str) -> Subject:
    with ledger.reading() as session:
        return _range_subject(session, load_range(session, load_space(session, space), span))


def range_subject_by_id(ledger: Ledger, range_id: int) -> Subject:
    """Raises: NotFoundError: no range with this id."""
    with ledger.reading() as session:
        item = session.get(Range, range_id)
        if item is None:
            raise NotFoundError(f"no range #{range_id}")
        return _range_subject(session, item)


def cluster_subject(ledger: Ledger, name: str) -> Subject:
    with ledger.reading() as session:
        return _cluster_subject(session, load_cluster(session, name))


def series(
    ledger: Ledger, subject: Subject, *, since: datetime | None = None, until: datetime | None = None
) -> list[Sample]:
    """The subject's samples from ``since`` to ``until`` (inclusive), oldest first."""
    if since is not None and until is not None and since > until:
        raise InvalidInputError(f"since {since.isoformat()} is after until {until.isoformat()}")
    with ledger.reading() as session:
        rows = stored.list_series(session, subject.kind, subject.id, since=since, until=until)
        return [Sample(row.at, row.used, row.total) for row in rows]


def forecast_subject(
    ledger: Ledger, subject: Subject, *, now: datetime, window: timedelta = DEFAULT_WINDOW
) -> SubjectForecast:
    """The forecast of one subject from its samples of the last ``window``."""
    if window <= timedelta(0):
        raise InvalidInputError(f"the forecast window must be positive, not {window}")
    samples = series(ledger, subject, since=now - window, until=now)
    return SubjectForecast(
        subject, forecast(_with_present(samples, now), now=now, thresholds=subject.thresholds)
    )


def forecast_all(
    ledger: Ledger,
    *,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    kind: str | None = None,
    min_percent: float = 0.0,
) -> list[SubjectForecast]:
    """Forecasts of every prefix (at or above ``min_percent``) and cluster with samples, soonest
    exhaustion first (then those without a date)."""
    with ledger.reading() as session:
        subjects = []
        if kind in (None, "prefix"):
            subjects += [
                _prefix_subject(session, row)
                for row in stored.list_watched_prefixes(session)
                if row.utilization_percent >= min_percent
            ]
        if kind in (None, "cluster"):
            subjects += [_cluster_subject(session, row) for row in stored_clusters.list_clusters(session)]
    results = [forecast_subject(ledger, subject, now=now, window=window) for subject in subjects]
    results = [result for result in results if result.forecast.points > 0]
    far = now + timedelta(days=365 * 1000)
    return sorted(results, key=lambda item: (item.forecast.exhaustion or far, item.subject.label))


def prune_history(ledger: Ledger, *, now: datetime, retention: Retention = DEFAULT_RETENTION) -> int:
    """Thin the samples older than ``retention.raw``, never the latest of a series (its present
    value, however old); returns how many were deleted."""
    with ledger.transaction("monitor") as tx:
        rows = stored.list_sample_times(tx.session, before=now - retention.raw)
        dropped: list[int] = []
        for _, samples in groupby(rows, key=lambda row: (row.subject_kind, row.subject_id)):
            dropped += samples_to_drop([(row.id, row.at) for row in samples], now=now, retention=retention)
        # A series holds its last value until the next sample: its latest sample is the present.
        latest = stored.latest_sample_ids(tx.session)
        dropped = [sample_id for sample_id in dropped if sample_id not in latest]
        stored.delete_samples(tx.session, dropped)
        return len(dropped) + _prune_usage_samples(tx.session, now=now, retention=retention)


def _prune_usage_samples(session: Session, *, now: datetime, retention: Retention) -> int:
    """Thin each cluster's per-block usage samples the same way, a whole sync at a time (a sync
    of 5,000 nodes writes some 10,000 rows; every 15 minutes that is a million a day). The
    samples of a cluster's newest sync are its present and always stay."""
    deleted = 0
    for cluster in stored_clusters.list_clusters(session):
        syncs = observed.list_usage_sync_times(session, cluster.id, before=now - retention.raw)
        newest = observed.find_last_sync(session, cluster.id, status="ok")
        drop = [
            sync_id
            for sync_id in samples_to_drop(syncs, now=now, retention=retention)
            if newest is None or sync_id != newest.id
        ]
        deleted += observed.delete_usage_samples(session, cluster.id, drop)
    return deleted


def _with_present(samples: Sequence[Sample], now: datetime) -> list[Sample]:
    """The samples and, since a series holds its last value, that value again at ``now``."""
    if not samples or samples[-1].at >= now:
        return list(samples)
    last = samples[-1]
    return [*samples, Sample(now, last.used, last.total)]


def _prefix_subject(session: Session, prefix: Prefix) -> Subject:
    group = names(session).group(prefix.group_id)
    thresholds = Thresholds(prefix.warning, prefix.critical, prefix.emergency)
    return Subject("prefix", prefix.id, str(network_of(prefix)), group, thresholds)


def _range_subject(session: Session, item: Range) -> Subject:
    group = names(session).group(item.group_id)
    return Subject("range", item.id, str(span_of_range(item)), group, DEFAULT_THRESHOLDS)


def _cluster_subject(session: Session, cluster: Cluster) -> Subject:
    group = names(session).group(cluster.group_id)
    return Subject("cluster", cluster.id, cluster.name, group, DEFAULT_THRESHOLDS)
