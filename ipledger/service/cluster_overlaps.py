"""Overlaps between clusters: every network, expansion reserve and load-balancer range of one
cluster against those of the others.

In one space an overlap is an error: two clusters' networks route the same addresses two ways,
and a network in another cluster's reserve takes the room that cluster was promised to grow
into (``cluster_space``). Across spaces it is information: isolated overlays may reuse a CIDR
on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ipledger.core.findings import Finding, Severity
from ipledger.core.ranges import IPRange
from ipledger.service.cluster_space import cluster_of
from ipledger.service.convert import Names, names
from ipledger.service.ledger import Ledger
from ipledger.service.lookup import load_space
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.store import clusters as stored
from ipledger.store.database import Session

__all__ = ["Claim", "cluster_overlaps", "load_claims", "overlap_findings"]

RESERVE = "expansion-reserve"


@dataclass(frozen=True, slots=True)
class Claim:
    """One prefix or range a cluster manages: its role, span, CIDR or range text, and space."""

    cluster: str
    role: str
    span: IPRange
    shown: str
    space: str
    kind: str  # network (a prefix) or range

    @property
    def words(self) -> str:
        if self.role == RESERVE:
            return f"cluster {self.cluster}'s expansion reserve {self.shown}"
        return f"cluster {self.cluster}'s {self.role} {self.kind} {self.shown}"


def load_claims(session: Session, lookup: Names | None = None) -> list[Claim]:
    """Every prefix and range of every recorded cluster, by cluster name, prefixes first."""
    lookup = lookup or names(session)
    labels = [f"cluster:{row.name}" for row in stored.list_clusters(session)]
    claims: dict[str, list[Claim]] = {label: [] for label in labels}
    for item in stored.list_prefixes_managed_by(session, labels):
        network = network_of(item)
        claims[item.managed_by].append(
            Claim(
                _name(item.managed_by),
                item.role,
                IPRange.from_network(network),
                str(network),
                lookup.space(item.space_id),
                "network",
            )
        )
    for span in stored.list_ranges_managed_by(session, labels):
        shown = span_of_range(span)
        claims[span.managed_by].append(
            Claim(_name(span.managed_by), span.role, shown, str(shown), lookup.space(span.space_id), "range")
        )
    return [claim for label in labels for claim in claims[label]]


def cluster_overlaps(ledger: Ledger, *, space: str | None = None) -> list[Finding]:
    """Networks, reserves and load-balancer ranges of different clusters that overlap (see the
    module docstring); with ``space``, only the overlaps involving that space."""
    with ledger.reading() as session:
        wanted = None if space is None else load_space(session, space).name
        claims = load_claims(session)
    return [
        finding
        for one, other, finding in _overlaps(claims, only=None)
        if wanted is None or wanted in (one.space, other.space)
    ]


def overlap_findings(claims: Sequence[Claim], *, only: str) -> list[Finding]:
    """The overlaps between the cluster ``only`` and the others."""
    return [finding for _, _, finding in _overlaps(claims, only=only)]


def _overlaps(claims: Sequence[Claim], *, only: str | None) -> list[tuple[Claim, Claim, Finding]]:
    found = []
    for index, one in enumerate(claims):
        for other in claims[index + 1 :]:
            if one.cluster == other.cluster or (
                only is not None and only not in (one.cluster, other.cluster)
            ):
                continue
            if one.span.version == other.span.version and one.span.overlaps(other.span):
                found.append((one, other, _finding(one, other)))
    return found


def _finding(one: Claim, other: Claim) -> Finding:
    subject = f"{one.cluster} {one.role} {one.shown} / {other.cluster} {other.role} {other.shown}"
    if one.space != other.space:
        message = (
            f"{one.words} (space {one.space}) reuses addresses of {other.words} (space {other.space}): fine for "
            "isolated overlays, wrong if the two are ever routed together"
        )
        return Finding(Severity.INFO, "clusters-overlap", subject, message)
    reserves = [claim.cluster for claim in (one, other) if claim.role == RESERVE]
    if not reserves:
        message = (
            f"{one.words} overlaps {other.words} in space {one.space}: traffic between them is routed to the "
            "wrong cluster; renumber one of them"
        )
        return Finding(Severity.ERROR, "clusters-overlap", subject, message)
    who = f"cluster {reserves[0]} cannot" if len(reserves) == 1 else "neither cluster can"
    message = (
        f"{one.words} overlaps {other.words} in space {one.space}: {who} grow into its reserve without "
        "colliding with the other; renumber the network, or give the reserve up"
    )
    return Finding(Severity.ERROR, "overlaps-cluster-reserve", subject, message)


def _name(label: str) -> str:
    cluster = cluster_of(label)
    assert cluster is not None, f"{label} is a cluster label"
    return cluster
