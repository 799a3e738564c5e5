"""The leaks ``calicoctl ipam check`` reports, found in a snapshot's Calico IPAM objects.

Sources (Kubernetes IPAM reference, sections 2.2 to 2.5): calicoctl ``commands/ipam/check.go``
and libcalico-go ``lib/ipam/accounting`` (allocation kinds, borrowed, cooling). An allocation is
leaked when nothing of its kind references its address: a pod (Calico's WorkloadEndpoints are
derived from pods) for workload addresses, the node for tunnel addresses, a LoadBalancer service
for load-balancer addresses. Windows-reserved and unknown kinds count as in use, as in calicoctl.
Nothing is reported that calicoctl would not report: where a snapshot lacks what calicoctl reads
(a node's tunnel addresses, the LoadBalancer controller's configuration, KubeVirt
VirtualMachines) the judgement errs toward in use, and a grace period after the pod (or the
allocation) was created is waited out, as kube-controllers' garbage collector does.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from datetime import datetime, timedelta
from enum import Enum

from ipledger.core.calico_blocks import (
    WINDOWS_RESERVED_HANDLE,
    CalicoAllocation,
    CalicoOwner,
    calico_allocations,
    calico_use,
    parse_go_time,
    validate_calico_block,
)
from ipledger.core.liveness import Liveness, address_key, is_recent
from ipledger.core.observations import CalicoBlock, CalicoHandle, Snapshot
from ipledger.core.stranded import Stranded

__all__ = [
    "CALICO_VERSIONS",
    "FROM_REPORT",
    "CalicoState",
    "calico_holder",
    "find_calico_handle_problems",
    "find_calico_stranded",
    "is_tunnel_assumed",
    "judge_calico_allocation",
    "split_calico_block",
]

# The version each Calico API group serves its IPAM kinds under.
CALICO_VERSIONS = {"crd.projectcalico.org": "v1", "projectcalico.org": "v3"}
FROM_REPORT = (
    " For many at once: calicoctl datastore migrate lock; calicoctl ipam check -o report.json; "
    "calicoctl ipam release --from-report=report.json; calicoctl datastore migrate unlock."
)


class CalicoState(Enum):
    """What ``calicoctl ipam check`` (plus the grace period) makes of one allocation."""

    IN_USE = "in-use"
    COOLING = "cooling"  # released, waiting out the cooldown: calicoctl skips it
    RECENT = "recent"  # unreferenced, but its pod or allocation is younger than the grace period
    UNJUDGED = "unjudged"  # the snapshot lacks the pods, nodes or services that would reference it
    LEAKED = "leaked"


def _is_recent(owner: CalicoOwner, live: Liveness, now: datetime, grace: timedelta) -> bool:
    pod = live.pods_by_ref.get(owner.pod_ref or "")
    if pod is not None and is_recent(pod.created, now=now, grace=grace):
        return True
    return is_recent(parse_go_time(owner.timestamp), now=now, grace=grace)


def calico_holder(allocation: CalicoAllocation, live: Liveness) -> str | None:
    """What references the allocation's address, in calicoctl's words, or None.

    Tunnel addresses are held while a node's tunnel addresses (its Calico annotations, or its
    projectcalico.org/v3 Node) name them, as calicoctl checks them. Where the snapshot shows
    nothing of the allocation's node's tunnel addresses, the address is held while that node
    exists (`is_tunnel_assumed`). LoadBalancer addresses are held while a LoadBalancer service
    lists them; workload addresses while a scheduled, unfinished, not host-networked pod carries
    them (primary or Multus, as Calico's pod-to-WorkloadEndpoint conversion gives them).
    Windows-reserved and unknown kinds are always held. A cooling address is judged like any
    other here.
    """
    owner = allocation.owner
    if owner.use == "windows-reserved":
        return "Reserved for Windows"
    if owner.use == "unknown":
        return f"UnknownType({owner.type})"
    key = address_key(allocation.address)
    if owner.use == "tunnel":
        node = live.tunnel_keys.get(key)
        if node is None and is_tunnel_assumed(allocation, live):
            node = owner.node
        return None if node is None else f"Node({node})"
    service = _named("Service", live.load_balancer_keys.get(key))
    if owner.use == "loadbalancer":
        return service
    pod = _named("Pod", live.workload_keys.get(key))
    return service if pod is None and owner.use == "missing-attribute" else pod


def is_tunnel_assumed(allocation: CalicoAllocation, live: Liveness) -> bool:
    """Whether a tunnel allocation counts as held only because its node exists: no node's tunnel
    addresses name it, and the snapshot shows nothing of its own node's tunnel addresses."""
    owner = allocation.owner
    return (
        owner.use == "tunnel"
        and owner.node in live.node_names
        and owner.node not in live.tunnel_addresses
        and address_key(allocation.address) not in live.tunnel_keys
    )


def _is_judged(owner: CalicoOwner, live: Liveness) -> bool:
    """Whether the snapshot holds the kind of object that would reference such an address.

    A KubeVirt virtual machine keeps its address while stopped, with no pod to carry it, and
    calicoctl keeps it while the VirtualMachine exists; a snapshot holds no VirtualMachines.
    """
    if owner.vm:
        return False
    if owner.use == "tunnel":
        return live.has_nodes
    if owner.use == "loadbalancer":
        return live.has_services
    return live.has_pods or (owner.use == "missing-attribute" and live.has_services)


def judge_calico_allocation(
    allocation: CalicoAllocation, live: Liveness, *, now: datetime, grace: timedelta
) -> tuple[CalicoState, tuple[str, ...]]:
    """The state of one allocation and the owners that reference it (see ``calico_holder``)."""
    owner = allocation.owner
    if owner.released_at is not None:
        return CalicoState.COOLING, ()
    holder = calico_holder(allocation, live)
    if holder is not None:
        return CalicoState.IN_USE, (holder,)
    if not _is_judged(owner, live):
        return CalicoState.UNJUDGED, ()
    if _is_recent(owner, live, now, grace):
        return CalicoState.RECENT, ()
    return CalicoState.LEAKED, ()


def _named(kind: str, ref: str | None) -> str | None:
    return None if ref is None else f"{kind}({ref})"


def split_calico_block(block: CalicoBlock, live: Liveness) -> tuple[int, tuple[CalicoAllocation, ...]]:
    """How many allocations of ``block`` a pod simply holds, and every other allocation as values.

    An unreleased workload allocation whose address a pod carries is in use (``calico_holder``).
    That common case is decided from the raw block without building values, which keeps 150,000
    allocations well under a second; the rest still need judging.
    """
    attributes = block.attributes
    simple = [item.released_at is None and calico_use(block, item) == "workload" for item in attributes]
    keys = live.workload_keys
    base = address_key(block.cidr.network_address)
    held = 0
    others = []
    for ordinal, index in enumerate(block.ordinals[: block.cidr.num_addresses]):
        if index is None:
            continue
        if 0 <= index < len(simple) and simple[index] and base + ordinal in keys:
            held += 1
        else:
            others.append(ordinal)
    return held, calico_allocations(block, ordinals=others)


def find_calico_stranded(
    snapshot: Snapshot, live: Liveness, *, now: datetime, grace: timedelta
) -> list[Stranded]:
    """``calico-invalid-block``, ``calico-leaked-ip``, ``calico-leaked-handle`` and
    ``calico-missing-handle``, block by block (``calico_affinity`` finds blocks of gone nodes).

    Blocks, affinities and handles marked ``deleted`` are on their way out (Calico sets the flag
    just before deleting the object) and are not judged; their handle references still count.
    Missing handles are reported only when the snapshot listed IPAMHandles (``is_listed``: a dump
    that holds some, or an API server that serves the kind, even empty): a dump without them would
    otherwise call every handle missing. Handles carry no creation time, so a
    handle caught between its block update and its own update is reported; run the check twice.
    """
    found: list[Stranded] = []
    for block in snapshot.calico_blocks:
        if block.deleted:
            continue
        problems = validate_calico_block(block, now=now)
        if problems:
            found.append(_invalid_block(block, problems))
        _, others = split_calico_block(block, live)
        for allocation in others:
            state, _ = judge_calico_allocation(allocation, live, now=now, grace=grace)
            if state is CalicoState.LEAKED:
                found.append(_leaked_ip(block, allocation, live))
    found.extend(find_calico_handle_problems(snapshot))
    return found


def _block_text(block: CalicoBlock) -> str:
    return f"IPAM block {block.name} ({block.cidr})"


def _invalid_block(block: CalicoBlock, problems: tuple[str, ...]) -> Stranded:
    return Stranded(
        cni="calico",
        rule="calico-invalid-block",
        address=None,
        pool=_block_text(block),
        owner=block.affinity or "no affinity",
        detail=(
            f"{'; '.join(problems)}. calicoctl ipam check reports the block invalid: Calico may hand "
            "out an address twice or never again."
        ),
        release=(
            f"kubectl edit ipamblocks.{block.group} {block.name}  # make every ordinal either "
            "allocated to an existing attribute or listed once in spec.unallocated"
        ),
    )


def _leaked_ip(block: CalicoBlock, allocation: CalicoAllocation, live: Liveness) -> Stranded:
    owner = allocation.owner
    if owner.use == "tunnel" and owner.node in live.node_names:
        named = ", ".join(str(address) for address in live.tunnel_addresses.get(owner.node, ())) or "none"
        why = f"node {owner.node}'s tunnel addresses ({named}) do not include it"
    elif owner.use == "tunnel":
        kind = f" ({owner.type})" if owner.type else ""
        why = f"it is the tunnel address{kind} of node {owner.node or '(none)'}, which no longer exists"
    elif owner.use == "loadbalancer":
        claimed = f"{owner.namespace}/{owner.service}" if owner.service else "(none)"
        why = (
            "no LoadBalancer service lists it in status.loadBalancer.ingress "
            f"(the allocation names service {claimed})"
        )
    else:
        why = (
            f"no scheduled, unfinished pod carries it (the allocation names pod {owner.pod_ref or '(none)'})"
        )
    return Stranded(
        cni="calico",
        rule="calico-leaked-ip",
        address=allocation.address,
        pool=_block_text(block),
        owner=_owner_text(owner),
        detail=f"{allocation.address} is allocated but {why}; calicoctl ipam check counts it leaked.{FROM_REPORT}",
        release=f"calicoctl ipam release --ip={allocation.address}",
    )


def _owner_text(owner: CalicoOwner) -> str:
    if owner.use == "loadbalancer":
        service = f"{owner.namespace}/{owner.service}" if owner.service else "(none)"
        return f"handle {owner.handle or '(none)'}, service {service}"
    return (
        f"handle {owner.handle or '(none)'}, pod {owner.pod_ref or '(none)'}, node {owner.node or '(none)'}"
    )


def find_calico_handle_problems(snapshot: Snapshot) -> list[Stranded]:
    """``calico-leaked-handle`` for IPAMHandles no allocation names, ``calico-missing-handle`` for
    handles allocations name but no IPAMHandle object carries (see ``find_calico_stranded``)."""
    named_anywhere: set[str] = set()
    named_live: dict[str, dict[str, int]] = {}
    groups: dict[str, str] = {}  # handle -> the API group of the first block naming it
    for block in snapshot.calico_blocks:
        cidr = str(block.cidr)
        for index, count in Counter(block.ordinals[: block.cidr.num_addresses]).items():
            if index is None or not 0 <= index < len(block.attributes):
                continue
            handle = block.attributes[index].handle
            if handle is None or handle.lower() == WINDOWS_RESERVED_HANDLE:
                continue  # the Windows reservation has no handle object behind it
            named_anywhere.add(handle)
            if not block.deleted:
                counts = named_live.setdefault(handle, {})
                counts[cidr] = counts.get(cidr, 0) + count
                groups.setdefault(handle, block.group)
    handles = [handle for handle in snapshot.calico_handles if not handle.deleted]
    found = [_leaked_handle(handle) for handle in handles if handle.handle_id not in named_anywhere]
    if snapshot.is_listed("calico_handles"):
        existing = {handle.handle_id for handle in handles}
        found.extend(
            _missing_handle(name, counts, groups[name])
            for name, counts in named_live.items()
            if name not in existing
        )
    return found


def _leaked_handle(handle: CalicoHandle) -> Stranded:
    handle_id = handle.handle_id
    claims = ", ".join(f"{count} in {cidr}" for cidr, count in handle.blocks) or "nothing"
    return Stranded(
        cni="calico",
        rule="calico-leaked-handle",
        address=None,
        pool=f"IPAMHandle {handle_id}",
        owner=handle_id,
        detail=(
            f"IPAMHandle {handle_id} claims {claims}, but no block allocation names it; calicoctl ipam "
            "check counts it a leaked handle (issue #8548: kube-controllers does not remove these)."
        ),
        # The object name is the handle ID lower-cased (libcalico-go resources/ipam_handle.go).
        release=f"kubectl delete ipamhandles.{handle.group} {handle_id.lower()}",
    )


def _missing_handle(handle_id: str, counts: dict[str, int], group: str) -> Stranded:
    manifest = {
        "apiVersion": f"{group}/{CALICO_VERSIONS.get(group, 'v1')}",
        "kind": "IPAMHandle",
        "metadata": {"name": handle_id.lower()},
        "spec": {"handleID": handle_id, "block": counts, "deleted": False},
    }
    cidrs = ", ".join(f"{count} in {cidr}" for cidr, count in counts.items())
    return Stranded(
        cni="calico",
        rule="calico-missing-handle",
        address=None,
        pool=f"IPAM blocks {', '.join(counts)}",
        owner=handle_id,
        detail=(
            f"blocks hold addresses for handle {handle_id} ({cidrs}) but no IPAMHandle object exists, "
            "so releasing by handle, as the CNI does when the pod goes, frees nothing (issue #3940)."
        ),
        release=f"echo {shlex.quote(json.dumps(manifest, separators=(',', ':')))} | kubectl create -f -",
    )
