"""A sync's check that the networks the ledger documents for a cluster share no address with
anything else recorded in their space.

A cluster's pod and service networks are the cluster's alone: any prefix, range or address
record of someone else inside one is a collision waiting for traffic (a VM given an address the
CNI also hands to a pod). Load-balancer networks are the cluster's too, but operators record
their VIPs as addresses (for DNS), so there only prefixes and ranges count. Node networks hold
hosts, so only other networks count there. Around a network, another cluster's network or a
prefix that holds hosts (a role of its own, not a pool the network was carved from) is a
collision as well; a supernet with the role ``general`` or tagged ``pool:<role>`` is where
clusters are planned, and is fine.
"""

from __future__ import annotations

from ipledger.core.addresses import address_from_int
from ipledger.core.findings import Finding, Severity
from ipledger.core.ranges import IPRange
from ipledger.service.clusters import managed_label
from ipledger.service.ledger import Ledger
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.store import clusters as stored
from ipledger.store import queries
from ipledger.store.database import Session
from ipledger.store.models import Prefix, Range

__all__ = ["find_overlaps"]

_CLUSTER_ROLES = ("pod", "service", "node", "loadbalancer")
# Roles of prefixes whose addresses are hosts or a cluster's: a cluster network inside one collides.
_HOST_ROLES = ("pod", "service", "node", "loadbalancer", "infrastructure")
_EXAMPLES = 5  # others named per network; the rest are counted


def find_overlaps(ledger: Ledger, name: str) -> list[Finding]:
    """One finding per documented network of the cluster and other object sharing its addresses
    (at most a few per network, then one that counts the rest)."""
    label = managed_label(name)
    findings: list[Finding] = []
    with ledger.reading() as session:
        networks: list[tuple[str, str, int, IPRange]] = [
            (prefix.role, str(network_of(prefix)), prefix.space_id, IPRange.from_network(network_of(prefix)))
            for prefix in stored.list_cluster_prefixes(session, label)
            if prefix.role in _CLUSTER_ROLES
        ]
        networks += [
            (item.role, str(span_of_range(item)), item.space_id, span_of_range(item))
            for item in stored.list_cluster_ranges(session, label)
            if item.role in _CLUSTER_ROLES
        ]
        for role, text, space_id, span in networks:
            others, total = _others(session, label, role, space_id, span)
            for other in others[:_EXAMPLES]:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        "drift-cluster-range-overlaps",
                        f"{name}: {role} {text}",
                        f"the {role} network {text} of cluster {name} overlaps {other} in the same "
                        "space: one of them is wrong in the ledger or in the network; renumber or "
                        "correct the record",
                    )
                )
            if total > _EXAMPLES:
                findings.append(
                    Finding(
                        Severity.ERROR,
                        "drift-cluster-range-overlaps",
                        f"{name}: {role} {text}",
                        f"the {role} network {text} of cluster {name} overlaps {total - _EXAMPLES} "
                        "more records of the same space than those listed",
                    )
                )
    return findings


def _others(session: Session, label: str, role: str, space_id: int, span: IPRange) -> tuple[list[str], int]:
    """What else in the space shares addresses with the cluster's network ``span``: the first
    few, and how many in all."""
    found = [
        _prefix_text(prefix)
        for prefix in queries.list_prefixes_containing(session, space_id, span)
        if prefix.managed_by != label and _holds_hosts(prefix)
    ]
    found += [
        _prefix_text(prefix)
        for prefix in queries.list_prefixes_within(session, space_id, span)
        if prefix.managed_by != label
    ]
    if role != "node":
        found += [
            _range_text(item)
            for item in queries.list_ranges_overlapping(session, space_id, span)
            if item.managed_by != label
        ]
    if role in ("node", "loadbalancer"):
        return found, len(found)
    # The cluster's own sync records its nodes; nothing else has an address in a pod or service network.
    own = f"sync:{label.removeprefix('cluster:')}"
    total = len(found) + queries.count_addresses_within(session, space_id, span, except_source=own)
    for address in queries.list_addresses_within(session, space_id, span, limit=_EXAMPLES, except_source=own):
        who = f", held by {address.holder_kind} {address.holder_name}" if address.holder_name else ""
        text = address_from_int(address.value, version=address.family)
        found.append(f"address {text}{who} (recorded by {address.source})")
    return found, total


def _holds_hosts(prefix: Prefix) -> bool:
    if prefix.managed_by.startswith("cluster:"):
        return True
    return prefix.role in _HOST_ROLES and not any(tag.startswith("pool:") for tag in prefix.tags)


def _prefix_text(prefix: Prefix) -> str:
    return f"{network_of(prefix)} ({prefix.role}, managed by {prefix.managed_by})"


def _range_text(item: Range) -> str:
    return f"range {span_of_range(item)} ({item.role}, managed by {item.managed_by})"
