"""Drift: where a cluster's addresses and networks leave what the ledger documents for it.

The ledger documents a cluster's pod, service, node and load-balancer networks; a snapshot shows
what the cluster really uses. Everything observed must lie inside a documented network of its
category: pod IPs, node podCIDRs, Calico pools and blocks, Cilium pod CIDRs and CiliumPodIPPools,
Whereabouts ranges and NodeSlicePools inside the pod networks; ClusterIPs and ServiceCIDRs inside
the service networks; node InternalIPs inside the node networks; LoadBalancer ingress addresses,
MetalLB pools and Calico load-balancer pools inside the load-balancer networks. Documented
networks that nothing uses are reported too. Findings are aggregated so that 150,000 stray pods
make one finding, not 150,000.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ipledger.core.addresses import IPNetwork, max_prefixlen
from ipledger.core.findings import Finding, Severity
from ipledger.core.ipset import IPSet
from ipledger.core.observations import Snapshot
from ipledger.core.ranges import IPRange

__all__ = ["EXAMPLES", "Documented", "find_drift"]

EXAMPLES = 5  # examples quoted per finding
# Stray addresses and small networks are grouped by the /16 (IPv4) or /48 (IPv6) that holds them:
# the size of a typical cluster-wide pod or service network.
_GROUP_PREFIXLEN = {4: 16, 6: 48}
_TOP = 1 << 129  # above every address of either family, for bisecting by start

# One observed object: kind, object name, version, first, last.
_Item = tuple[str, str, int, int, int]


@dataclass(frozen=True, slots=True)
class Documented:
    """The networks the ledger documents for one cluster, by role."""

    cluster: str
    pod: tuple[IPNetwork, ...] = ()
    service: tuple[IPNetwork, ...] = ()
    node: tuple[IPNetwork, ...] = ()
    loadbalancer: tuple[IPNetwork | IPRange, ...] = ()


def find_drift(snapshot: Snapshot, documented: Documented) -> tuple[Finding, ...]:
    """Observed addresses and networks outside the documented ones, and documented ones unused.

    Per category (pod, service, node, loadbalancer): when the snapshot holds nothing of it, nothing
    is reported (a partial dump proves no network unused); when nothing is documented for it, one
    finding says so; otherwise one finding per (object kind, /16 or /48 group) outside the
    documented networks, with its count and up to ``EXAMPLES`` examples, and one finding per
    documented network nothing lies in. An object counts as inside only if all of it is inside
    (merged documented networks count as one). Families are kept apart: an IPv6 pod address is
    outside documented IPv4 pod networks.
    """
    categories = (
        ("pod", documented.pod, _pod_items(snapshot)),
        ("service", documented.service, _service_items(snapshot)),
        ("node", documented.node, _node_items(snapshot)),
        ("loadbalancer", documented.loadbalancer, _loadbalancer_items(snapshot)),
    )
    findings: list[Finding] = []
    for category, networks, items in categories:
        spans = [entry if isinstance(entry, IPRange) else IPRange.from_network(entry) for entry in networks]
        findings.extend(_check(documented.cluster, category, spans, list(items)))
    return tuple(findings)


def _span_items(kind: str, name: str, networks: Iterable[IPNetwork]) -> Iterator[_Item]:
    for network in networks:
        first = int(network.network_address)
        yield kind, name, network.version, first, first + network.num_addresses - 1


def _pod_items(snapshot: Snapshot) -> Iterator[_Item]:
    for pod in snapshot.pods:
        if not pod.host_network:
            ref = pod.ref
            for address in pod.ips:
                yield "pod IP", ref, address.version, int(address), int(address)
    for node in snapshot.nodes:
        yield from _span_items("node podCIDR", f"node {node.name}", node.pod_cidrs)
    for pool in snapshot.calico_pools:
        if "LoadBalancer" not in pool.allowed_uses:
            yield from _span_items("Calico IP pool", pool.name, (pool.cidr,))
    for block in snapshot.calico_blocks:
        if not block.deleted and block.affinity != "virtual:load-balancer":
            yield from _span_items("Calico block", block.name, (block.cidr,))
    for cilium in snapshot.cilium_nodes:
        networks = (*cilium.pod_cidrs, *(cidr for _, cidr in cilium.pool_cidrs))
        yield from _span_items("Cilium pod CIDR", f"CiliumNode {cilium.name}", networks)
    for cilium_pool in snapshot.cilium_pools:
        yield from _span_items("CiliumPodIPPool", cilium_pool.name, cilium_pool.cidrs)
    for wb in snapshot.whereabouts_pools:
        yield from _span_items("Whereabouts range", f"{wb.namespace}/{wb.name}", (wb.range,))
    for sliced in snapshot.node_slice_pools:
        yield from _span_items("NodeSlicePool range", f"{sliced.namespace}/{sliced.name}", (sliced.range,))


def _service_items(snapshot: Snapshot) -> Iterator[_Item]:
    for service in snapshot.services:
        for address in service.cluster_ips:
            yield "Service ClusterIP", service.ref, address.version, int(address), int(address)
    for item in snapshot.service_cidrs:
        yield from _span_items("ServiceCIDR", item.name, item.cidrs)


def _node_items(snapshot: Snapshot) -> Iterator[_Item]:
    for node in snapshot.nodes:
        for address in node.internal_ips:
            yield "node InternalIP", f"node {node.name}", address.version, int(address), int(address)


def _loadbalancer_items(snapshot: Snapshot) -> Iterator[_Item]:
    for service in snapshot.services:
        for address in service.load_balancer_ips:
            yield "LoadBalancer ingress IP", service.ref, address.version, int(address), int(address)
    for pool in snapshot.metallb_pools:
        for entry in pool.addresses:
            span = entry if isinstance(entry, IPRange) else IPRange.from_network(entry)
            yield "MetalLB pool", f"{pool.namespace}/{pool.name}", span.version, span.first, span.last
    for calico in snapshot.calico_pools:
        if "LoadBalancer" in calico.allowed_uses:
            yield from _span_items("Calico LoadBalancer pool", calico.name, (calico.cidr,))


def _text(version: int, first: int, last: int) -> str:
    span = IPRange.checked_elsewhere(version, first, last)
    return str(span.to_networks()[0]) if span.is_network() and first != last else str(span)


def _example(item: _Item) -> str:
    _, name, version, first, last = item
    return f"{name} {_text(version, first, last)}"


def _group(version: int, first: int, last: int) -> tuple[int, int, int]:
    """The /16 or /48 holding the span, or the span itself when it does not fit in one."""
    host_bits = max_prefixlen(version) - _GROUP_PREFIXLEN[version]
    start = first >> host_bits << host_bits
    end = start + (1 << host_bits) - 1
    return (version, start, end) if last <= end else (version, first, last)


def _check(cluster: str, category: str, documented: Sequence[IPRange], items: list[_Item]) -> list[Finding]:
    if not items:
        return []
    if not documented:
        return [_nothing_documented(cluster, category, items)]
    merged = {
        version: IPSet.of(version, (span for span in documented if span.version == version)).spans
        for version in (4, 6)
    }
    groups: dict[tuple[str, tuple[int, int, int]], list[_Item]] = {}
    for item in items:
        kind, _, version, first, last = item
        spans = merged[version]
        position = bisect_right(spans, (first, _TOP)) - 1
        if position < 0 or spans[position][1] < last:
            groups.setdefault((kind, _group(version, first, last)), []).append(item)
    listed = ", ".join(_text(span.version, span.first, span.last) for span in documented)
    findings = [
        _outside(cluster, category, kind, _text(*group), found, listed)
        for (kind, group), found in groups.items()
    ]
    findings.extend(
        _unused(cluster, category, span, items) for span in documented if not _meets_any(span, items)
    )
    return findings


def _meets_any(span: IPRange, items: Iterable[_Item]) -> bool:
    return any(
        version == span.version and first <= span.last and span.first <= last
        for _, _, version, first, last in items
    )


def _plural(count: int, kind: str) -> str:
    return f"{count} {kind}" if count == 1 else f"{count} {kind}s"


def _outside(cluster: str, category: str, kind: str, group: str, found: list[_Item], listed: str) -> Finding:
    examples = "; ".join(_example(item) for item in found[:EXAMPLES])
    return Finding(
        Severity.WARNING,
        "drift-outside-documented",
        f"{cluster}: {kind} in {group}",
        f"{_plural(len(found), kind)} in {group} are not inside the {category} networks documented for "
        f"{cluster} ({listed}), e.g. {examples}. Record the {category} network that holds them for "
        f"{cluster}, or fix the cluster so that it uses a documented one.",
    )


def _nothing_documented(cluster: str, category: str, items: list[_Item]) -> Finding:
    counts: dict[str, int] = {}
    for kind, *_ in items:
        counts[kind] = counts.get(kind, 0) + 1
    summary = ", ".join(_plural(count, kind) for kind, count in counts.items())
    examples = "; ".join(_example(item) for item in items[:EXAMPLES])
    return Finding(
        Severity.WARNING,
        "drift-nothing-documented",
        f"{cluster}: no {category} network documented",
        f"the cluster has {summary} (e.g. {examples}), but the ledger documents no {category} network "
        f"for {cluster}: record the {category} networks it uses.",
    )


def _unused(cluster: str, category: str, span: IPRange, items: list[_Item]) -> Finding:
    kinds = ", ".join(dict.fromkeys(kind for kind, *_ in items))
    text = _text(span.version, span.first, span.last)
    return Finding(
        Severity.INFO,
        "drift-documented-unused",
        f"{cluster}: {category} {text}",
        f"nothing the snapshot shows ({kinds}) lies in the {category} network {text} documented for "
        f"{cluster}: remove it from the cluster's record if the cluster no longer uses it.",
    )
