"""Addresses seen in use outside Kubernetes (nmap, neighbour tables, CSV): rogue and stale ones.

Recording a scan updates the last-seen time (and an empty MAC) of the ledger's address records
it saw, and reports:
- an address in no documented prefix of the space (nobody wrote down its network);
- a rogue address: one answering inside a cluster's pod or service network that is no pod or
  service of that cluster at its last good sync (a VM or a host squatting in pod space).

Stale is the other side: address records that no scan or sync has seen for some days, and
load-balancer addresses of a cluster's pools that no service holds at its last sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ipledger.core.addresses import address_from_int, parse_prefix
from ipledger.core.errors import InvalidInputError
from ipledger.core.findings import Finding, Severity
from ipledger.core.ranges import IPRange, parse_range
from ipledger.observe.csvfile import read_seen_csv
from ipledger.observe.files import detect_kind, read_observations
from ipledger.observe.neigh import read_ip_neigh
from ipledger.observe.nmap import read_nmap_xml
from ipledger.observe.seen import SeenAddress, check_text_size
from ipledger.service.convert import address_record, names
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import DEFAULT_SPACE, load_space
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.service.records import AddressRecord
from ipledger.store import clusters as stored
from ipledger.store import listing, observed, queries
from ipledger.store.database import Session
from ipledger.store.models import Cluster, Prefix

__all__ = [
    "SightingReport",
    "StaleReport",
    "record_scan_file",
    "record_scan_text",
    "record_sightings",
    "stale_addresses",
]

# What may legitimately hold an address of a pod network: pods, and the CNI's own per-node
# addresses in it (Calico tunnel addresses, Cilium router and health addresses).
_MAX_DAYS = 36_500
_WATCHED_ROLES = {"pod": ("pod", "tunnel", "router", "health"), "service": ("service", "loadbalancer")}


@dataclass(frozen=True, slots=True)
class SightingReport:
    seen: int
    updated: int  # address records whose last-seen time moved
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class StaleReport:
    cutoff: datetime
    addresses: tuple[AddressRecord, ...]  # not seen since the cutoff (or never, and older than it)
    unbound: tuple[Finding, ...]  # load-balancer addresses no service holds


def record_scan_file(
    ledger: Ledger, path: Path, *, actor: Actor, kind: str | None = None, space: str = DEFAULT_SPACE
) -> SightingReport:
    """Read an nmap XML report, `ip neigh` output or a CSV of sightings and record it.

    Raises:
        ObservationError: the file is unreadable or malformed (file, line and field named).
    """
    return record_sightings(ledger, read_observations(path, kind=kind), actor=actor, space=space)


def record_scan_text(
    ledger: Ledger,
    text: str,
    *,
    filename: str,
    actor: Actor,
    now: datetime,
    kind: str | None = None,
    space: str = DEFAULT_SPACE,
) -> SightingReport:
    """:func:`record_scan_file` of an upload; `ip neigh` entries are taken as seen ``now``."""
    check_text_size(text, path=filename)
    kind = kind if kind is not None else detect_kind(text)
    if kind == "nmap":
        seen = read_nmap_xml(text, path=filename)
    elif kind == "csv":
        seen = read_seen_csv(text, path=filename)
    elif kind == "ip-neigh":
        seen = read_ip_neigh(text, path=filename, seen_at=now)
    else:
        raise InvalidInputError(f"unknown kind {kind!r}: expected nmap, ip-neigh or csv", field="kind")
    return record_sightings(ledger, seen, actor=actor, space=space)


def record_sightings(
    ledger: Ledger, seen: Sequence[SeenAddress], *, actor: Actor, space: str = DEFAULT_SPACE
) -> SightingReport:
    """Update the records the scan saw and report addresses that should not be there."""
    findings: list[Finding] = []
    updated = 0
    with ledger.transaction(actor) as tx:
        session = tx.session
        space_row = load_space(session, space)
        lookup = names(session)
        for item in seen:
            value = int(item.address)
            row = queries.find_address(session, space_row.id, item.address.version, value)
            when = item.seen_at or tx.now
            if row is not None and (row.last_seen is None or row.last_seen < when):
                # Authorised like any change of the record: editor on its group.
                tx.authorize("address", lookup.group(row.group_id))
                row.last_seen = when
                if not row.mac and item.mac:
                    row.mac = item.mac
                updated += 1
            chain = queries.list_prefixes_containing(
                session, space_row.id, IPRange(item.address.version, value, value)
            )
            findings.extend(_judge(session, item, chain, space))
        if updated:
            # One entry for the scan; each record it touched was authorised above.
            tx.record_authorized(
                "update", "address", None, f"last seen of {updated} address(es)", after={"seen": len(seen)}
            )
    return SightingReport(len(seen), updated, tuple(findings))


def _judge(session: Session, item: SeenAddress, chain: Sequence[Prefix], space: str) -> list[Finding]:
    what = (
        f"{item.address}"
        + (f" ({item.hostname})" if item.hostname else "")
        + (f" MAC {item.mac}" if item.mac else "")
    )
    if not chain:
        return [
            Finding(
                Severity.WARNING,
                "address-in-no-prefix",
                str(item.address),
                f"{what} answered ({item.source}) but lies in no documented prefix of space {space}: "
                "record the network it belongs to, or find out why it is there",
            )
        ]
    innermost = chain[-1]
    label = innermost.managed_by
    kinds = _WATCHED_ROLES.get(innermost.role)
    if kinds is None or not label.startswith("cluster:"):
        return []
    cluster = stored.find_cluster(session, label.removeprefix("cluster:"))
    if cluster is None or observed.find_last_sync(session, cluster.id, status="ok") is None:
        return []
    holders = [
        row
        for row in observed.observed_at(session, item.address.version, int(item.address))
        if row.cluster_id == cluster.id
    ]
    if any(row.kind in kinds for row in holders):
        return []
    return [
        Finding(
            Severity.ERROR,
            "rogue-address",
            str(item.address),
            f"{what} answers inside the {innermost.role} network {network_of(innermost)} of cluster "
            f"{cluster.name}, but no {innermost.role} of that cluster held it at its last sync: "
            "something outside the cluster uses its address space; find it and move it",
        )
    ]


def stale_addresses(ledger: Ledger, *, days: int, now: datetime, space: str | None = None) -> StaleReport:
    """Address records nobody has seen for ``days`` days, and pool addresses no service holds.

    Raises:
        InvalidInputError: ``days`` is negative or more than a century.
    """
    if not 0 <= days <= _MAX_DAYS:
        raise InvalidInputError(f"days must be from 0 to {_MAX_DAYS}, not {days}", field="days")
    cutoff = now - timedelta(days=days)
    with ledger.reading() as session:
        space_id = None if space is None else load_space(session, space).id
        lookup = names(session)
        rows = listing.list_addresses_not_seen_since(session, cutoff, space_id=space_id)
        stale = tuple(address_record(row, lookup) for row in rows)
        unbound = tuple(_unbound(session, space_id))
    return StaleReport(cutoff, stale, unbound)


def _unbound(session: Session, space_id: int | None) -> list[Finding]:
    """Addresses recorded in a cluster's load-balancer networks (documented prefixes and ranges,
    and the MetalLB pools its last sync saw) that the sync saw no service hold (a MetalLB address
    kept after its service was deleted)."""
    findings: list[tuple[tuple[int, int], Finding]] = []
    for cluster in stored.list_clusters(session):
        if observed.find_last_sync(session, cluster.id, status="ok") is None:
            continue
        reported: set[tuple[int, int]] = set()
        for where, owner_space, span in _loadbalancer_networks(session, cluster):
            if space_id is not None and owner_space != space_id:
                continue
            for row in queries.list_addresses_within(session, owner_space, span):
                key = (row.family, row.value)
                held = observed.observed_at(session, row.family, row.value)
                if (
                    key in reported
                    or row.source == f"sync:{cluster.name}"
                    or any(item.cluster_id == cluster.id and item.kind == "loadbalancer" for item in held)
                ):
                    continue
                reported.add(key)
                address = address_from_int(row.value, version=row.family)
                findings.append(
                    (
                        key,
                        Finding(
                            Severity.WARNING,
                            "loadbalancer-address-unbound",
                            str(address),
                            f"{address} is recorded in {where} of cluster {cluster.name}, but no service "
                            "held it at the last sync: release it or find its service",
                        ),
                    )
                )
    return [finding for _, finding in sorted(findings, key=lambda item: item[0])]


def _loadbalancer_networks(session: Session, cluster: Cluster) -> list[tuple[str, int, IPRange]]:
    """(description, space id, span) of each load-balancer network of the cluster."""
    label = f"cluster:{cluster.name}"
    networks = [
        (
            f"load-balancer network {network_of(prefix)}",
            prefix.space_id,
            IPRange(prefix.family, prefix.first, prefix.last),
        )
        for prefix in stored.list_cluster_prefixes(session, label)
        if prefix.role == "loadbalancer"
    ]
    networks += [
        (f"load-balancer range {span_of_range(item)}", item.space_id, span_of_range(item))
        for item in stored.list_cluster_ranges(session, label)
        if item.role == "loadbalancer"
    ]
    for block in observed.list_observed_blocks(session, cluster.id):
        if block.kind != "metallb-pool":
            continue
        # A pool written as a range has no CIDR; its name ends with the range.
        text = block.cidr or block.name.rsplit(" ", 1)[-1]
        try:
            span = IPRange.from_network(parse_prefix(text)) if "/" in text else parse_range(text)
        except InvalidInputError:
            continue
        networks.append((f"MetalLB pool {block.name.split(' ')[0]} ({text})", cluster.space_id, span))
    return networks
