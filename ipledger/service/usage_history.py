"""A cluster's pod-IP usage, measured once per sync: the figures of its report, history and metrics.

``measure_cluster_pod_ips`` is the one count of a cluster's pod IPs: the distinct addresses of
the sync's snapshot inside the pod networks the ledger documents for the cluster
(``core.pod_ips``), against the usable addresses of those networks. The sync keeps the value
twice: as the cluster's row among its usage samples (kind ``cluster``, beside the rows of each
block and pool; the report reads it with ``find_usage_sample``) and as the cluster's utilization
sample (in use of size), the series that the history API, the charts, the forecast and
``/metrics`` read. Adding the rows of the blocks and pools up instead would count an address of a
Calico block again in its pool and in its node's podCIDR, and add the service CIDRs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ipledger.core.observations import Snapshot
from ipledger.core.pod_ips import count_pod_ips
from ipledger.core.reconcile import PoolUsage, Stranded
from ipledger.service.clusters import managed_label
from ipledger.service.occupancy import network_of
from ipledger.store import clusters as stored_clusters
from ipledger.store.database import Session

__all__ = ["CLUSTER_KIND", "UsagePoint", "measure_cluster_pod_ips"]

CLUSTER_KIND = "cluster"  # the kind of a usage sample that stands for the cluster's pod networks together


@dataclass(frozen=True, slots=True)
class UsagePoint:
    """The cluster's pod networks together at one sync (``core.pod_ips.PodIPCount``): ``size``
    usable addresses, of which ``in_use`` carried by running pods, ``allocated`` held or recorded
    by the CNIs, ``stranded`` kept by stranded allocations."""

    at: datetime
    size: int
    in_use: int
    allocated: int
    stranded: int

    @property
    def percent(self) -> float:
        return 100.0 * self.in_use / self.size if self.size else 0.0

    def as_pool(self, cluster: str) -> PoolUsage:
        """The point as a usage row of kind ``cluster``, to keep among the sync's samples."""
        return PoolUsage(CLUSTER_KIND, cluster, None, self.size, self.allocated, self.in_use, self.stranded)


def measure_cluster_pod_ips(
    session: Session, name: str, snapshot: Snapshot, stranded: Sequence[Stranded], *, at: datetime
) -> UsagePoint:
    """The pod IPs of cluster ``name`` in ``snapshot``, inside the prefixes with role pod that it
    manages; their usable addresses (network and broadcast excluded) are the size.

    A dual-stack cluster is measured on its IPv4 pod networks alone: each pod takes one address
    of each family, and a sum with an IPv6 /64 (2^64 addresses) would read 0 % while IPv4 runs out.
    """
    pods = [
        prefix
        for prefix in stored_clusters.list_cluster_prefixes(session, managed_label(name))
        if prefix.role == "pod"
    ]
    if any(prefix.family == 4 for prefix in pods):
        pods = [prefix for prefix in pods if prefix.family == 4]
    counted = count_pod_ips(snapshot, stranded, [network_of(prefix) for prefix in pods])
    size = sum(prefix.usable for prefix in pods)
    return UsagePoint(at, size, counted.in_use, counted.allocated, counted.stranded)
