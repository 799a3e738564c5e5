"""What a cluster holds, address by address, as a sync records it: every holder of every address,
since when it has held it, and the rows of the observed addresses.

A holder is a node, pod, service, load balancer, Calico tunnel or Cilium router or health
endpoint. The rows keep the holder's first-seen time across syncs while the same object (name
and uid) holds the same address; one seen for the first time holds it since its own start where
the object says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ipledger.core.addresses import IPAddress
from ipledger.core.liveness import calico_tunnel_addresses
from ipledger.core.observations import Snapshot

__all__ = ["address_columns", "observed_holders", "seen_values"]

_TUNNEL = "Tunnel"  # in the "type" attribute of Calico's tunnel allocations


def seen_values(snapshot: Snapshot) -> dict[int, list[int]]:
    """The address integers the cluster holds, by family, sorted (ledger records whose last-seen
    time a sync moves)."""
    seen: dict[int, set[int]] = {4: set(), 6: set()}
    for address, *_ in observed_holders(snapshot):
        seen[address.version].add(int(address))
    return {family: sorted(values) for family, values in seen.items() if values}


def observed_holders(snapshot: Snapshot) -> Iterator[tuple[IPAddress, str, str, str, str]]:
    """Every address the cluster holds: (address, kind, holder, holder uid, node)."""
    for node in snapshot.nodes:
        for address in (*node.internal_ips, *node.external_ips):
            yield address, "node", node.name, node.uid, node.name
    for pod in snapshot.pods:
        if pod.host_network:
            continue  # its addresses are its node's
        for address in (*pod.ips, *pod.secondary_ips):
            yield address, "pod", pod.ref, pod.uid, pod.node
    for service in snapshot.services:
        for address in service.cluster_ips:
            yield address, "service", service.ref, service.uid, ""
        for address in service.load_balancer_ips:
            yield address, "loadbalancer", service.ref, service.uid, ""
    tunnels = calico_tunnel_addresses(snapshot)
    for name, addresses in tunnels.items():
        for address in addresses:
            yield address, "tunnel", name, "", name
    for block in snapshot.calico_blocks:
        # A corrupt block may list more ordinals than it holds addresses (calico-invalid-block).
        for ordinal, index in enumerate(block.ordinals[: block.cidr.num_addresses]):
            if index is None or index >= len(block.attributes):
                continue
            attribute = block.attributes[index]
            kind = attribute.get("type") or ""
            host = attribute.get("node") or block.host or ""
            # Where the node's own tunnel addresses are known, those are what it holds.
            if _TUNNEL in kind and host not in tunnels:
                yield block.cidr[ordinal], "tunnel", host, "", host
    for cilium in snapshot.cilium_nodes:
        for address, owner in cilium.used:
            if owner in ("router", "health"):
                yield address, owner, cilium.name, "", cilium.name


_ADDRESS_COLUMNS = ("cluster_id", "sync_id", "family", "value", "kind", "holder", "uid", "node", "since")


def address_columns(
    cluster_id: int,
    sync_id: int,
    snapshot: Snapshot,
    since: dict[tuple[int, int, str, str], datetime],
    taken_at: datetime,
) -> dict[str, list[object]]:
    """The rows of the addresses; a holder keeps its first-seen time while it is the same object
    (same name and uid) at the same address. A holder seen there for the first time holds it
    since its own start (`_holder_times`) where the object says, else since this sync."""
    columns: dict[str, list[object]] = {key: [] for key in _ADDRESS_COLUMNS}
    seen: set[tuple[int, int, str, str]] = set()
    started = _holder_times(snapshot)
    for address, kind, holder, uid, node in observed_holders(snapshot):
        key = (address.version, int(address), holder, uid[:64])
        if key in seen:
            continue
        seen.add(key)
        first = since.get(key)
        if first is None:
            own = started.get((kind, holder))
            first = taken_at if own is None else min(own, taken_at)
        values = (cluster_id, sync_id, key[0], key[1], kind, holder, key[3], node[:300], first)
        for column, value in zip(_ADDRESS_COLUMNS, values, strict=True):
            columns[column].append(value)
    return columns


def _holder_times(snapshot: Snapshot) -> dict[tuple[str, str], datetime]:
    """When each holder began to hold its addresses, by (kind, holder), as the objects say: a pod
    since it started (status.startTime, else its creation), a service and its load-balancer
    addresses and a node since their creation. Tunnel, router and health holders say nothing."""
    found: dict[tuple[str, str], datetime] = {}
    for node in snapshot.nodes:
        if node.created is not None:
            found[("node", node.name)] = node.created
    for pod in snapshot.pods:
        moment = pod.started or pod.created
        if moment is not None:
            found[("pod", pod.ref)] = moment
    for service in snapshot.services:
        if service.created is not None:
            found[("service", service.ref)] = found[("loadbalancer", service.ref)] = service.created
    return found
