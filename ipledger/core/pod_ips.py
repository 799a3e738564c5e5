"""The pod-IP usage of a whole cluster: each address counted once, whatever holds or records it.

``reconcile.measure_pod_ips`` measures every pool on its own, and a cluster's pools nest and
overlap: a Calico block lies inside its IPPool and inside the podCIDR of the node it is affine
to, a Whereabouts range may sit inside the pod network. Adding their rows up counts one address
two or three times, and adds service CIDRs that hold no pod at all. ``count_pod_ips`` answers
for the cluster's pod networks together, from the addresses themselves: a set of distinct
addresses per figure, kept to those inside the given networks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ipledger.core.addresses import IPNetwork
from ipledger.core.calico_blocks import calico_allocations
from ipledger.core.cidr_index import CIDRIndex
from ipledger.core.liveness import IPV6_KEY_FLAG, address_key, build_liveness
from ipledger.core.observations import Snapshot
from ipledger.core.stranded import Stranded

__all__ = ["PodIPCount", "count_pod_ips"]


@dataclass(frozen=True, slots=True)
class PodIPCount:
    """Distinct addresses of a cluster's pod networks.

    ``in_use``: carried by a running pod (scheduled, not host-networked, not finished; primary
    and Multus addresses). ``stranded``: kept by a stranded allocation (findings whose address
    a live owner still uses, ``held``, excluded). ``allocated``: either of those, or recorded as
    allocated by a CNI (Calico allocations, cooling ones and tunnel addresses included; CiliumNode
    ``status.ipam.used``; Whereabouts entries). An address can be in use and stranded at once:
    a Whereabouts entry naming a gone pod while another pod carries its address.
    """

    allocated: int
    in_use: int
    stranded: int


def count_pod_ips(
    snapshot: Snapshot, stranded: Sequence[Stranded], networks: Iterable[IPNetwork]
) -> PodIPCount:
    """Count the pod IPs of ``snapshot`` inside ``networks`` (either family, overlapping or not).

    An address outside every network counts nowhere (drift reports it); no network, no count.
    """
    index: CIDRIndex[None] = CIDRIndex((network, None) for network in networks)

    def inside(keys: Iterable[int]) -> set[int]:
        return {key for key in keys if _is_held(index, key)}

    in_use = inside(build_liveness(snapshot).workload_keys)
    left = inside(
        address_key(item.address) for item in stranded if item.address is not None and not item.held
    )
    recorded = inside(_recorded_keys(snapshot))
    return PodIPCount(len(in_use | left | recorded), len(in_use), len(left))


def _is_held(index: CIDRIndex[None], key: int) -> bool:
    """Whether a network of ``index`` holds the address of ``key`` (an ``address_key``)."""
    if key & IPV6_KEY_FLAG:
        return bool(index.holders_of_value(key ^ IPV6_KEY_FLAG, version=6))
    return bool(index.holders_of_value(key, version=4))


def _recorded_keys(snapshot: Snapshot) -> Iterator[int]:
    """The addresses the CNIs' own records allocate."""
    for block in snapshot.calico_blocks:
        if not block.deleted:
            yield from (address_key(item.address) for item in calico_allocations(block))
    for node in snapshot.cilium_nodes:
        yield from (address_key(address) for address, _ in node.used)
    for pool in snapshot.whereabouts_pools:
        yield from (address_key(item.address) for item in pool.allocations if item.address is not None)
