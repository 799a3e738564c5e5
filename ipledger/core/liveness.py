"""Who still holds an address: the pods, nodes and services of a snapshot, indexed once.

Every stranded-address rule asks the same few questions of a snapshot: does a pod of this name
exist, which pod carries this address, does this node or LoadBalancer service exist, and is the
owner too young to judge. ``Liveness`` answers each with one dict or set lookup, so that checking
150,000 allocations stays linear. Addresses are held as integer keys (``address_key``) rather
than ``ipaddress`` objects, which are slower to build and hash in bulk.

A snapshot that lacks a kind of object entirely (a dump without pods, say) cannot show that an
owner is gone; the ``has_*`` flags (``Snapshot.is_listed``: an API server that served the kind
empty did list it) let the rules skip judging rather than call everything stranded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import IPv4Address

from ipledger.core.addresses import IPAddress
from ipledger.core.observations import Pod, Snapshot

__all__ = [
    "DEFAULT_GRACE",
    "FINISHED_PHASES",
    "IPV6_KEY_FLAG",
    "Liveness",
    "address_key",
    "build_liveness",
    "calico_tunnel_addresses",
    "is_finished",
    "is_recent",
]

# Calico's kube-controllers wait this long before releasing a leak candidate (leakGracePeriod).
DEFAULT_GRACE = timedelta(minutes=15)

# Calico's IsFinished (libcalico-go k8s conversion): such pods keep no WorkloadEndpoint address.
# "Completed" is not an API phase, but Calico lists it too.
FINISHED_PHASES = frozenset({"Succeeded", "Failed", "Completed"})

# IPv6 keys carry bit 128, so that ::a.b.c.d and a.b.c.d never share a key. Adding an ordinal to
# a key stays correct: no address plus an in-block offset carries into bit 128.
IPV6_KEY_FLAG = 1 << 128


def address_key(address: IPAddress) -> int:
    """One integer per address of either family (IPv6 values have ``IPV6_KEY_FLAG`` set)."""
    # The class test is cheaper than the ``version`` property, and this runs per address.
    return int(address) if address.__class__ is IPv4Address else int(address) | IPV6_KEY_FLAG


def is_recent(created: datetime | None, *, now: datetime, grace: timedelta) -> bool:
    """Whether something created at ``created`` is younger than ``grace`` at ``now``.

    An unknown creation time is not recent. A creation time after ``now`` (clock skew) is.
    """
    return created is not None and now - created < grace


def is_finished(pod: Pod) -> bool:
    """Whether the pod has finished (Succeeded, Failed): its sandbox and addresses are gone."""
    return pod.phase in FINISHED_PHASES


@dataclass(frozen=True, slots=True)
class Liveness:
    """The owners a snapshot shows alive, by name and by address key."""

    pods_by_ref: Mapping[str, Pod]  # every pod, by namespace/name
    # Address key -> namespace/name of a pod that Calico would give a WorkloadEndpoint carrying it:
    # scheduled, not host-networked, not finished; primary and Multus addresses both count.
    workload_keys: Mapping[int, str]
    # Address key -> namespace/name of the LoadBalancer service whose status carries it.
    load_balancer_keys: Mapping[int, str]
    node_names: frozenset[str]
    # The tunnel addresses of each node whose tunnel addresses the snapshot shows (its Calico
    # annotations, or a projectcalico.org/v3 Node); nodes it knows nothing of are left out.
    tunnel_addresses: Mapping[str, tuple[IPAddress, ...]]
    tunnel_keys: Mapping[int, str]  # address key -> the node whose tunnel address it is
    has_pods: bool
    has_nodes: bool
    has_services: bool


def calico_tunnel_addresses(snapshot: Snapshot) -> dict[str, tuple[IPAddress, ...]]:
    """The Calico tunnel addresses of each node the snapshot shows them for, by node name: from
    its projectcalico.org/v3 Node (Calico's own record, which wins) or its annotations."""
    found = {
        node.name: node.calico_tunnel_ips for node in snapshot.nodes if node.calico_tunnel_ips is not None
    }
    found.update((node.name, node.tunnel_ips) for node in snapshot.calico_nodes)
    return found


def build_liveness(snapshot: Snapshot) -> Liveness:
    """Index the pods, nodes and services of ``snapshot`` once."""
    pods_by_ref: dict[str, Pod] = {}
    workload_keys: dict[int, str] = {}
    for pod in snapshot.pods:
        ref = pod.ref
        pods_by_ref[ref] = pod
        if pod.node == "" or pod.host_network or pod.phase in FINISHED_PHASES:
            continue
        for address in (*pod.ips, *pod.secondary_ips):
            workload_keys.setdefault(address_key(address), ref)
    load_balancer_keys: dict[int, str] = {}
    for service in snapshot.services:
        if service.type == "LoadBalancer":
            for address in service.load_balancer_ips:
                load_balancer_keys.setdefault(address_key(address), service.ref)
    tunnel_addresses = calico_tunnel_addresses(snapshot)
    tunnel_keys = {
        address_key(address): name for name, addresses in tunnel_addresses.items() for address in addresses
    }
    return Liveness(
        pods_by_ref=pods_by_ref,
        workload_keys=workload_keys,
        load_balancer_keys=load_balancer_keys,
        node_names=frozenset(node.name for node in snapshot.nodes),
        tunnel_addresses=tunnel_addresses,
        tunnel_keys=tunnel_keys,
        has_pods=snapshot.is_listed("pods"),
        has_nodes=snapshot.is_listed("nodes"),
        has_services=snapshot.is_listed("services"),
    )
