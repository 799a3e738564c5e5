"""The pod-IP utilization history of a cluster, one point per sync, for its chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ipledger.service.clusters import load_cluster
from ipledger.service.ledger import Ledger
from ipledger.store import observed

__all__ = ["UsagePoint", "cluster_usage_history"]


@dataclass(frozen=True, slots=True)
class UsagePoint:
    """The cluster's pools together at one sync."""

    at: datetime
    size: int
    in_use: int
    allocated: int
    stranded: int

    @property
    def percent(self) -> float:
        return 100.0 * self.in_use / self.size if self.size else 0.0


def cluster_usage_history(ledger: Ledger, name: str, *, since: datetime | None = None) -> list[UsagePoint]:
    """One point per sync, oldest first, summing the pools the sync measured."""
    with ledger.reading() as session:
        cluster = load_cluster(session, name)
        samples = observed.list_usage_samples(session, cluster.id, since=since)
        points: dict[datetime, list[int]] = {}
        for sample in samples:
            totals = points.setdefault(sample.at, [0, 0, 0, 0])
            totals[0] += sample.size
            totals[1] += sample.in_use
            totals[2] += sample.allocated
            totals[3] += sample.stranded
    return [UsagePoint(at, *totals) for at, totals in sorted(points.items())]
