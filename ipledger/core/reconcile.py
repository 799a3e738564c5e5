"""Reconciliation of what a cluster records against what it uses, and against the ledger.

``find_stranded`` runs every CNI's leak rules over one snapshot (Whereabouts, Calico, the
Kubernetes IPAddress objects, Cilium), each only where the snapshot holds that CNI's objects.
``measure_pod_ips`` turns the same snapshot into per-pool numbers: the size of each node
podCIDR, Calico block and pool, CiliumNode CIDR, CiliumPodIPPool CIDR, Whereabouts range,
NodeSlicePool and node slice, MetalLB pool and ServiceCIDR,
how many of its addresses the records hold, how many a live owner uses, and how many are
stranded. This module is the entry point and also re-exports the rest of reconciliation, which
lives in one module per concern: ``find_drift`` (``drift``), ``calico_check_report``
(``calico_report``), ``calico_allocations`` and ``validate_calico_block`` (``calico_blocks``),
and the ``Stranded`` value (``stranded``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.calico_affinity import find_gone_node_blocks
from ipledger.core.calico_blocks import CalicoAllocation, calico_allocations, validate_calico_block
from ipledger.core.calico_ipam import calico_holder, find_calico_stranded, split_calico_block
from ipledger.core.calico_report import calico_check_report
from ipledger.core.cidr_index import CIDRIndex
from ipledger.core.drift import Documented, find_drift
from ipledger.core.errors import InvalidInputError
from ipledger.core.liveness import DEFAULT_GRACE, Liveness, address_key, build_liveness, is_finished
from ipledger.core.observations import Snapshot
from ipledger.core.ranges import IPRange
from ipledger.core.stranded import (
    Stranded,
    cilium_owner_carries,
    find_cilium_stranded,
    find_service_ip_orphans,
)
from ipledger.core.whereabouts_ipam import find_whereabouts_stranded, whereabouts_carries

__all__ = [
    "DEFAULT_GRACE",
    "CalicoAllocation",
    "Documented",
    "PoolUsage",
    "Stranded",
    "calico_allocations",
    "calico_check_report",
    "find_drift",
    "find_stranded",
    "measure_pod_ips",
    "validate_calico_block",
]


def find_stranded(
    snapshot: Snapshot, *, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> tuple[Stranded, ...]:
    """Every stranded address of the snapshot: Whereabouts, then Calico, Kubernetes, Cilium.

    ``now`` and the creation times in the snapshot must be comparable (all timezone-aware). Pods
    (and IPAddress objects) younger than ``grace`` are never reported. A snapshot without pods
    reports no rule that needs pods, a snapshot without nodes none that needs nodes, one without
    services none that needs services: a partial dump must not make every owner look gone (the
    caller warns that the dump lacks them). Each CNI module documents its rules and sources.

    Raises:
        InvalidInputError: ``grace`` is negative.
    """
    if grace < timedelta(0):
        raise InvalidInputError(f"grace period {grace} is negative; use 0 to judge every owner at once")
    live = build_liveness(snapshot)
    return (
        *find_whereabouts_stranded(snapshot, live, now=now, grace=grace),
        *find_calico_stranded(snapshot, live, now=now, grace=grace),
        *find_gone_node_blocks(snapshot, live, now=now, grace=grace),
        *find_service_ip_orphans(snapshot, now=now, grace=grace),
        *find_cilium_stranded(snapshot, live, now=now, grace=grace),
    )


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """Measured use of one pool of addresses; counts are exact integers.

    ``allocated`` is what the pool's own records hold (Calico allocations, cooling ones included;
    Whereabouts entries, also for a NodeSlicePool and each node's slice of it; CiliumNode
    ``status.ipam.used``, also for a CiliumPodIPPool's CIDR; for a node podCIDR, the pods on that
    node with an address in it). ``in_use`` is the part a live owner uses, and ``stranded`` counts the
    distinct stranded addresses inside the pool (findings of a live owner, ``held``, excluded).
    """

    # pod-cidr | calico-block | calico-pool | cilium-node | cilium-pool | whereabouts-pool |
    # whereabouts-slice | whereabouts-slice-pool | metallb-pool | service-cidr
    kind: str
    name: str
    cidr: IPNetwork | None  # None for a MetalLB start-end range that is no CIDR
    size: int
    allocated: int
    in_use: int
    stranded: int = 0
    node: str = ""  # the node the pool belongs to (a node's pod CIDR, a block affine to it)


def measure_pod_ips(snapshot: Snapshot, stranded: Sequence[Stranded]) -> tuple[PoolUsage, ...]:
    """Per-pool usage, grouped by kind in the order of ``PoolUsage.kind``'s list.

    Rows without the objects to judge them count nothing as in use (a snapshot without pods shows
    every Calico workload address allocated and none in use). MetalLB pools count the ingress
    addresses of LoadBalancer services inside them as both allocated and in use. ServiceCIDRs
    count IPAddress objects as allocated when the snapshot has any, else the ClusterIPs.
    """
    live = build_liveness(snapshot)
    rows = [
        *_node_rows(snapshot),
        *_calico_rows(snapshot, live),
        *_cilium_rows(snapshot, live),
        *_cilium_pool_rows(snapshot, live),
        *_whereabouts_rows(snapshot, live),
        *_node_slice_rows(snapshot, live),
        *_metallb_rows(snapshot),
        *_service_rows(snapshot),
    ]
    counts = _stranded_counts(rows, stranded)
    return tuple(
        PoolUsage(row.kind, row.name, row.cidr, row.size, row.allocated, row.in_use, counts[index], row.node)
        for index, row in enumerate(rows)
    )


def _stranded_counts(rows: Sequence[PoolUsage], stranded: Iterable[Stranded]) -> list[int]:
    index = CIDRIndex((row.cidr, position) for position, row in enumerate(rows) if row.cidr is not None)
    counts = [0] * len(rows)
    seen: set[int] = set()
    for item in stranded:
        if item.address is None or item.held or address_key(item.address) in seen:
            continue
        seen.add(address_key(item.address))
        for position in index.holders(item.address):
            counts[position] += 1
    return counts


def _inside(address: IPAddress, cidr: IPNetwork) -> bool:
    if address.version != cidr.version:
        return False
    first = int(cidr.network_address)
    return first <= int(address) < first + cidr.num_addresses


def _node_rows(snapshot: Snapshot) -> list[PoolUsage]:
    """Node podCIDRs: the pods scheduled on the node with an address inside."""
    held: dict[tuple[str, IPNetwork], list[int]] = {
        (node.name, cidr): [0, 0] for node in snapshot.nodes for cidr in node.pod_cidrs
    }
    cidrs_of = {node.name: node.pod_cidrs for node in snapshot.nodes}
    for pod in snapshot.pods:
        if pod.host_network:
            continue
        for address in pod.ips:
            for cidr in cidrs_of.get(pod.node, ()):
                if _inside(address, cidr):
                    counts = held[(pod.node, cidr)]
                    counts[0] += 1
                    counts[1] += not is_finished(pod)
    return [
        PoolUsage("pod-cidr", name, cidr, cidr.num_addresses, allocated, in_use, node=name)
        for (name, cidr), (allocated, in_use) in held.items()
    ]


def _calico_rows(snapshot: Snapshot, live: Liveness) -> list[PoolUsage]:
    blocks = []
    for block in snapshot.calico_blocks:
        if block.deleted:
            continue
        held, others = split_calico_block(block, live)
        in_use = held + sum(
            item.owner.released_at is None and calico_holder(item, live) is not None for item in others
        )
        allocated = held + len(others)
        blocks.append(
            PoolUsage(
                "calico-block",
                block.name,
                block.cidr,
                block.cidr.num_addresses,
                allocated,
                in_use,
                node=block.host or "",
            )
        )
    pools = []
    for pool in snapshot.calico_pools:
        inside = [row for row in blocks if row.cidr is not None and _within(row.cidr, pool.cidr)]
        pools.append(
            PoolUsage(
                "calico-pool",
                pool.name,
                pool.cidr,
                pool.cidr.num_addresses,
                sum(row.allocated for row in inside),
                sum(row.in_use for row in inside),
            )
        )
    return blocks + pools


def _within(inner: IPNetwork, outer: IPNetwork) -> bool:
    if inner.version != outer.version or inner.prefixlen < outer.prefixlen:
        return False
    shift = outer.max_prefixlen - outer.prefixlen
    return int(inner.network_address) >> shift == int(outer.network_address) >> shift


def _cilium_rows(snapshot: Snapshot, live: Liveness) -> list[PoolUsage]:
    """One row per pod CIDR (and multi-pool CIDR) of each CiliumNode; router and health count as used."""
    rows = []
    for node in snapshot.cilium_nodes:
        named = [(node.name, cidr) for cidr in node.pod_cidrs]
        named += [(f"{node.name} ({pool})", cidr) for pool, cidr in node.pool_cidrs]
        for name, cidr in named:
            allocated, in_use = _cilium_used(node.used, cidr, live)
            rows.append(
                PoolUsage("cilium-node", name, cidr, cidr.num_addresses, allocated, in_use, node=node.name)
            )
    return rows


def _cilium_used(used: Iterable[tuple[IPAddress, str]], cidr: IPNetwork, live: Liveness) -> tuple[int, int]:
    """How many ``status.ipam.used`` entries lie in ``cidr``, and how many a live owner uses."""
    inside = [(address, owner) for address, owner in used if _inside(address, cidr)]
    return len(inside), sum(_cilium_in_use(live, address, owner) for address, owner in inside)


def _cilium_in_use(live: Liveness, address: IPAddress, owner: str) -> bool:
    return "/" not in owner or cilium_owner_carries(live, owner, address)


def _tally(cidrs: Sequence[IPNetwork], entries: Iterable[tuple[IPAddress, bool]]) -> list[tuple[int, int]]:
    """For each of ``cidrs``, how many of the (address, in use) ``entries`` lie in it and how many
    of those are in use; each entry is placed once, by index, not compared with every CIDR."""
    if not cidrs:
        return []  # the entries are not even judged
    index = CIDRIndex((cidr, position) for position, cidr in enumerate(cidrs))
    counts = [[0, 0] for _ in cidrs]
    for address, in_use in entries:
        for position in index.holders(address):
            counts[position][0] += 1
            counts[position][1] += in_use
    return [(allocated, in_use) for allocated, in_use in counts]


def _cilium_pool_rows(snapshot: Snapshot, live: Liveness) -> list[PoolUsage]:
    """One row per CIDR of each CiliumPodIPPool (multi-pool): what every CiliumNode uses of it.

    Cilium does not support overlapping pools (multi-pool.rst), so an address in a pool's CIDR is
    that pool's, whichever node's ``spec.ipam.pools.allocated`` lent the node its part.
    """
    named = [(pool.name, cidr) for pool in snapshot.cilium_pools for cidr in pool.cidrs]
    used = (
        (address, _cilium_in_use(live, address, owner))
        for node in snapshot.cilium_nodes
        for address, owner in node.used
    )
    counts = _tally([cidr for _, cidr in named], used)
    return [
        PoolUsage("cilium-pool", name, cidr, cidr.num_addresses, allocated, in_use)
        for (name, cidr), (allocated, in_use) in zip(named, counts, strict=True)
    ]


def _whereabouts_rows(snapshot: Snapshot, live: Liveness) -> list[PoolUsage]:
    rows = []
    for pool in snapshot.whereabouts_pools:
        judged = [item for item in pool.allocations if item.address is not None]
        in_use = sum(
            item.address is not None and whereabouts_carries(live, item.podref, item.address)
            for item in judged
        )
        rows.append(
            PoolUsage(
                "whereabouts-pool",
                f"{pool.namespace}/{pool.name}",
                pool.range,
                pool.range.num_addresses,
                len(judged),
                in_use,
            )
        )
    return rows


def _node_slice_rows(snapshot: Snapshot, live: Liveness) -> list[PoolUsage]:
    """Each NodeSlicePool's range, then each node's slice of it, with the Whereabouts entries inside
    (the node's own IPPool, ``<node>-<range>``, holds them). A free slice holds nothing yet and
    gets no row of its own; its pool's row counts it."""
    named: list[tuple[str, str, IPNetwork, str]] = []
    for pool in snapshot.node_slice_pools:
        name = f"{pool.namespace}/{pool.name}"
        named.append(("whereabouts-slice-pool", name, pool.range, ""))
        named.extend(
            ("whereabouts-slice", f"{name} {item.node}", item.range, item.node)
            for item in pool.slices
            if item.node
        )
    entries = (
        (item.address, whereabouts_carries(live, item.podref, item.address))
        for pool in snapshot.whereabouts_pools
        for item in pool.allocations
        if item.address is not None
    )
    counts = _tally([cidr for _, _, cidr, _ in named], entries)
    return [
        PoolUsage(kind, name, cidr, cidr.num_addresses, allocated, in_use, node=node)
        for (kind, name, cidr, node), (allocated, in_use) in zip(named, counts, strict=True)
    ]


def _metallb_rows(snapshot: Snapshot) -> list[PoolUsage]:
    ingress = {
        (address.version, int(address))
        for service in snapshot.services
        if service.type == "LoadBalancer"
        for address in service.load_balancer_ips
    }
    rows = []
    for pool in snapshot.metallb_pools:
        for entry in pool.addresses:
            span = entry if isinstance(entry, IPRange) else IPRange.from_network(entry)
            networks = span.to_networks()
            cidr = networks[0] if len(networks) == 1 else None
            count = sum(version == span.version and span.contains_value(value) for version, value in ingress)
            name = (
                f"{pool.namespace}/{pool.name}"
                if cidr is not None
                else f"{pool.namespace}/{pool.name} {span}"
            )
            rows.append(PoolUsage("metallb-pool", name, cidr, span.num_addresses, count, count))
    return rows


def _service_rows(snapshot: Snapshot) -> list[PoolUsage]:
    cluster_ips = {address for service in snapshot.services for address in service.cluster_ips}
    recorded = {item.address for item in snapshot.service_ip_addresses}
    rows = []
    for item in snapshot.service_cidrs:
        for cidr in item.cidrs:
            in_use = sum(_inside(address, cidr) for address in cluster_ips)
            allocated = sum(_inside(address, cidr) for address in recorded) if recorded else in_use
            rows.append(PoolUsage("service-cidr", item.name, cidr, cidr.num_addresses, allocated, in_use))
    return rows
