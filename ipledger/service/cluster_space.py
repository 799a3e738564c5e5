"""The address space clusters claim, which plans and configuration checks must stay out of.

Every prefix and range managed by a cluster (``managed_by`` ``cluster:<name>``), whatever its
role (pod, service, node, loadbalancer, expansion-reserve), claims its whole span. No other
cluster may be placed there, neither inside it nor around it: a network around another
cluster's network routes that cluster's pods to the wrong place, and one inside another
cluster's reserve takes the room that cluster was promised to grow into. A cluster's own reserve
is only for its own growth. A prefix managed otherwise (a data-centre block, a prefix tagged as
a pool) is a parent that cluster networks may be carved from.
"""

from __future__ import annotations

from ipledger.core.ranges import IPRange
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.store import queries
from ipledger.store.database import Session
from ipledger.store.models import Prefix, Range

__all__ = ["CLUSTER_LABEL", "cluster_of", "describe_claim", "find_claims_around", "find_claims_overlapping"]

CLUSTER_LABEL = "cluster:"


def cluster_of(managed_by: str) -> str | None:
    """The cluster a ``managed_by`` label names, or None when no cluster manages the object."""
    if managed_by.startswith(CLUSTER_LABEL) and len(managed_by) > len(CLUSTER_LABEL):
        return managed_by[len(CLUSTER_LABEL) :]
    return None


def describe_claim(item: Prefix | Range) -> str:
    """``the pod network 10.0.0.0/15 of cluster prod-eu-2``; an object no cluster manages is
    ``prefix 10.0.0.0/8 (infrastructure, manual)``."""
    shown = network_of(item) if isinstance(item, Prefix) else span_of_range(item)
    cluster = cluster_of(item.managed_by)
    if cluster is None:
        kind = "prefix" if isinstance(item, Prefix) else "range"
        return f"{kind} {shown} ({item.role}, {item.managed_by})"
    if item.role == "expansion-reserve":
        return f"the expansion reserve {shown} of cluster {cluster}"
    kind = "network" if isinstance(item, Prefix) else "range"
    return f"the {item.role} {kind} {shown} of cluster {cluster}"


def find_claims_around(
    session: Session, space_id: int, span: IPRange, *, apart_from: str | None = None
) -> list[Prefix]:
    """The cluster-managed prefixes that contain ``span`` (an equal one included), outermost
    first, leaving out those of the cluster ``apart_from``."""
    return [
        item
        for item in queries.list_prefixes_containing(session, space_id, span)
        if _claims(item.managed_by, apart_from)
    ]


def find_claims_overlapping(
    session: Session, space_id: int, span: IPRange, *, apart_from: str | None = None
) -> list[Prefix | Range]:
    """Every cluster-managed prefix or range that shares an address with ``span``: those around
    it first (outermost first), then those inside it and the ranges, by address."""
    around: list[Prefix | Range] = [*find_claims_around(session, space_id, span, apart_from=apart_from)]
    inside = [
        item
        for item in queries.list_prefixes_within(session, space_id, span)
        if _claims(item.managed_by, apart_from) and all(item.id != other.id for other in around)
    ]
    ranges = [
        item
        for item in queries.list_ranges_overlapping(session, space_id, span)
        if _claims(item.managed_by, apart_from)
    ]
    return [*around, *inside, *ranges]


def _claims(managed_by: str, apart_from: str | None) -> bool:
    cluster = cluster_of(managed_by)
    return cluster is not None and cluster != apart_from
