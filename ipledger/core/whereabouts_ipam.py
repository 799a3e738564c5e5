"""Stranded Whereabouts addresses, judged as the whereabouts ip-reconciler judges them.

Source: Kubernetes IPAM reference section 1.4 (whereabouts ``pkg/reconciler/iploop.go``,
``wrappedPod.go``). An IPPool entry is alive while a pod of exactly its podref exists, is not
being evicted by the taint manager, and carries the address on a Multus (non-default) interface.
On top of the reconciler, IPPool entries and OverlappingRangeIPReservations are compared both ways
(issues #409, #712), and keys that are not offsets inside the range are reported (issue #403).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import Enum

from ipledger.core.addresses import IPAddress
from ipledger.core.cidr_index import CIDRIndex
from ipledger.core.liveness import Liveness, address_key, is_recent
from ipledger.core.observations import (
    Snapshot,
    WhereaboutsAllocation,
    WhereaboutsPool,
    WhereaboutsReservation,
)
from ipledger.core.stranded import Stranded

__all__ = ["WhereaboutsState", "find_whereabouts_stranded", "whereabouts_carries", "whereabouts_state"]

_POOLS = "ippools.whereabouts.cni.cncf.io"
_RESERVATIONS = "overlappingrangeipreservations.whereabouts.cni.cncf.io"


class WhereaboutsState(Enum):
    """The ip-reconciler's verdict on one (podref, address) pair."""

    ALIVE = "alive"  # a live pod of that name carries the address on a Multus interface
    RECENT = "recent"  # the pod is younger than the grace period: not judged
    GONE = "gone"  # no pod of that name
    EVICTED = "evicted"  # DisruptionTarget / DeletionByTaintManager: the reconciler skips the pod
    NOT_CARRIED = "not-carried"  # the pod exists but none of its secondary addresses is this one


def whereabouts_state(
    live: Liveness, podref: str, address: IPAddress | None, *, now: datetime, grace: timedelta
) -> WhereaboutsState:
    """Judge an allocation as the ip-reconciler does (``pkg/reconciler/iploop.go``).

    Alive iff a pod with exactly ``podref`` exists, is not being evicted by the taint manager, and
    carries ``address`` among its non-default Multus network-status addresses. The reconciler
    re-reads a Pending pod three times before giving up on it; a snapshot cannot, so any pod
    younger than ``grace`` is left unjudged instead.
    """
    pod = live.pods_by_ref.get(podref)
    if pod is None:
        return WhereaboutsState.GONE
    if is_recent(pod.created, now=now, grace=grace):
        return WhereaboutsState.RECENT
    if pod.evicted_by_taint_manager:
        return WhereaboutsState.EVICTED
    if address is not None and address in pod.secondary_ips:
        return WhereaboutsState.ALIVE
    return WhereaboutsState.NOT_CARRIED


def whereabouts_carries(live: Liveness, podref: str, address: IPAddress) -> bool:
    """Whether a pod of exactly ``podref`` that the reconciler counts live carries ``address`` on a
    Multus (non-default) interface, whatever its age."""
    pod = live.pods_by_ref.get(podref)
    return pod is not None and not pod.evicted_by_taint_manager and address in pod.secondary_ips


def find_whereabouts_stranded(
    snapshot: Snapshot, live: Liveness, *, now: datetime, grace: timedelta
) -> list[Stranded]:
    """Stranded Whereabouts allocations and reservations, in pool order.

    Rules: ``whereabouts-bad-offset`` (a key that is not an offset inside the range, issue #403);
    ``whereabouts-pod-gone`` and ``whereabouts-ip-not-on-pod`` (the reconciler's liveness test);
    and a two-way diff of IPPool entries against OverlappingRangeIPReservations on (address,
    podref): ``whereabouts-allocation-without-reservation`` for a live allocation no reservation
    guards, ``whereabouts-reservation-without-allocation`` for a reservation no pool entry matches
    (issues #409, #712). An empty podref is kept and not reported, as the reconciler keeps it.

    Without pods in the snapshot nothing but bad offsets is judged: every owner would look gone.
    Each side of the diff runs only when the snapshot listed the other kind (``is_listed``): a dump
    without reservations (or pools) probably left them out, while an API server that serves the
    kind empty really holds none.
    """
    found: list[Stranded] = []
    by_key = {
        (address_key(item.address), item.podref): item
        for item in snapshot.whereabouts_reservations
        if item.address is not None
    }
    checks_reservations = snapshot.is_listed("whereabouts_reservations")
    checks_pools = snapshot.is_listed("whereabouts_pools")
    allocated: set[tuple[int, str]] = set()  # (address key, podref)
    taken: set[tuple[int, int]] = set()  # (pool position, address key)
    for position, pool in enumerate(snapshot.whereabouts_pools):
        for allocation in pool.allocations:
            if allocation.address is None:
                found.append(_bad_offset(pool, allocation))
                continue
            key = (address_key(allocation.address), allocation.podref)
            allocated.add(key)
            taken.add((position, key[0]))
            if not live.has_pods or allocation.podref == "":
                continue
            state = whereabouts_state(live, allocation.podref, allocation.address, now=now, grace=grace)
            reservation = by_key.get(key)
            if state not in (WhereaboutsState.ALIVE, WhereaboutsState.RECENT):
                found.append(_orphan_allocation(pool, allocation, state, reservation, live))
            elif state is WhereaboutsState.ALIVE and checks_reservations and reservation is None:
                found.append(_unguarded_allocation(pool, allocation))
    if live.has_pods:
        pools = CIDRIndex((pool.range, position) for position, pool in enumerate(snapshot.whereabouts_pools))
        for reservation in snapshot.whereabouts_reservations:
            address = reservation.address
            if reservation.podref == "" or (
                address is not None and (address_key(address), reservation.podref) in allocated
            ):
                continue
            state = whereabouts_state(live, reservation.podref, address, now=now, grace=grace)
            if state is WhereaboutsState.ALIVE and checks_pools:
                holders = pools.holders(address) if address is not None else []
                repair = _readdition(reservation, snapshot.whereabouts_pools, holders, taken)
                found.append(_unmatched_reservation(reservation, state, repair, live))
            elif state not in (WhereaboutsState.ALIVE, WhereaboutsState.RECENT):
                found.append(_unmatched_reservation(reservation, state, _deletion(reservation), live))
    return found


def _pool_text(pool: WhereaboutsPool) -> str:
    return f"IPPool {pool.namespace}/{pool.name} ({pool.range})"


def _pointer(offset: str) -> str:
    # RFC 6901: "~" and "/" inside a key are escaped.
    return "/spec/allocations/" + offset.replace("~", "~0").replace("/", "~1")


def _patch(pool: WhereaboutsPool, operations: list[dict[str, object]]) -> str:
    body = json.dumps(operations, separators=(",", ":"))
    return (
        f"kubectl -n {shlex.quote(pool.namespace)} patch {_POOLS} {shlex.quote(pool.name)} "
        f"--type=json -p {shlex.quote(body)}"
    )


def _removal(pool: WhereaboutsPool, allocation: WhereaboutsAllocation) -> str:
    # The test op makes the patch fail if the entry was reused meanwhile (issue #176: freeing the
    # new address of a re-created StatefulSet pod gave two pods one address).
    path = _pointer(allocation.offset)
    return _patch(
        pool,
        [
            {"op": "test", "path": path + "/podref", "value": allocation.podref},
            {"op": "remove", "path": path},
        ],
    )


def _deletion(reservation: WhereaboutsReservation) -> str:
    return f"kubectl delete {_RESERVATIONS} -n {shlex.quote(reservation.namespace)} {shlex.quote(reservation.name)}"


def _bad_offset(pool: WhereaboutsPool, allocation: WhereaboutsAllocation) -> Stranded:
    return Stranded(
        cni="whereabouts",
        rule="whereabouts-bad-offset",
        address=None,
        pool=_pool_text(pool),
        owner=allocation.podref,
        detail=(
            f"allocation key {allocation.offset!r} is not an offset inside {pool.range}; whereabouts "
            "skips such keys (issue #403), so the entry blocks nothing but is corrupt."
        ),
        release=_removal(pool, allocation),
    )


_ORPHAN_RULES = {
    WhereaboutsState.GONE: "whereabouts-pod-gone",
    WhereaboutsState.EVICTED: "whereabouts-pod-gone",
    WhereaboutsState.NOT_CARRIED: "whereabouts-ip-not-on-pod",
}


def _why_dead(live: Liveness, podref: str, address: IPAddress | None, state: WhereaboutsState) -> str:
    if state is WhereaboutsState.GONE:
        return f"pod {podref} no longer exists"
    if state is WhereaboutsState.EVICTED:
        return (
            f"pod {podref} is being evicted by the taint manager (DisruptionTarget/"
            "DeletionByTaintManager), which the ip-reconciler counts as gone"
        )
    shown = "the address" if address is None else str(address)
    return (
        f"pod {podref} exists but {shown} is not among its Multus secondary addresses "
        f"({_secondary_text(live, podref)})"
    )


def _secondary_text(live: Liveness, podref: str) -> str:
    pod = live.pods_by_ref[podref]
    text = ", ".join(str(item) for item in pod.secondary_ips) or "none"
    return f"{text}; pod is {pod.phase}" if pod.phase == "Pending" else text


def _orphan_allocation(
    pool: WhereaboutsPool,
    allocation: WhereaboutsAllocation,
    state: WhereaboutsState,
    reservation: WhereaboutsReservation | None,
    live: Liveness,
) -> Stranded:
    release = _removal(pool, allocation)
    if reservation is not None:
        # Only once the patch went through: its test op refuses an entry that was reused meanwhile.
        release += f" && {_deletion(reservation)}"
    return Stranded(
        cni="whereabouts",
        rule=_ORPHAN_RULES[state],
        address=allocation.address,
        pool=_pool_text(pool),
        owner=f"{allocation.podref} (container {allocation.container_id or 'unknown'})",
        detail=(
            f"{_why_dead(live, allocation.podref, allocation.address, state)}; the whereabouts "
            "ip-reconciler frees such entries (it runs once a day by default, cron 30 4 * * *)."
        ),
        release=release,
    )


def _unguarded_allocation(pool: WhereaboutsPool, allocation: WhereaboutsAllocation) -> Stranded:
    assert allocation.address is not None  # only judged allocations get here
    manifest = {
        "apiVersion": "whereabouts.cni.cncf.io/v1alpha1",
        "kind": "OverlappingRangeIPReservation",
        "metadata": {"name": _reservation_name(pool, allocation.address), "namespace": pool.namespace},
        "spec": {"containerid": allocation.container_id, "podref": allocation.podref}
        | ({"ifname": allocation.ifname} if allocation.ifname else {}),
    }
    return Stranded(
        cni="whereabouts",
        rule="whereabouts-allocation-without-reservation",
        address=allocation.address,
        pool=_pool_text(pool),
        owner=allocation.podref,
        detail=(
            f"pod {allocation.podref} uses {allocation.address}, but no OverlappingRangeIPReservation "
            "records it, so an overlapping range could hand it out again (whereabouts #409)."
        ),
        release=f"echo {shlex.quote(json.dumps(manifest, separators=(',', ':')))} | kubectl create -f -",
        held=True,
    )


def _normalise(text: str) -> str:
    # Whereabouts' object names (pkg/storage/kubernetes/ipam.go): a trailing ":" gets a "0", then
    # ":" and "/" become "-".
    return (text + "0" if text.endswith(":") else text).replace(":", "-").replace("/", "-")


def _reservation_name(pool: WhereaboutsPool, address: IPAddress) -> str:
    """The reservation name whereabouts writes, with the network prefix read off the pool's name."""
    suffix = _normalise(str(pool.range))
    prefix = pool.name.removesuffix(suffix) if pool.name.endswith("-" + suffix) else ""
    return prefix + _normalise(str(address))


def _unmatched_reservation(
    reservation: WhereaboutsReservation, state: WhereaboutsState, release: str, live: Liveness
) -> Stranded:
    shown = reservation.address if reservation.address is not None else reservation.name
    if state is not WhereaboutsState.ALIVE:
        return Stranded(
            cni="whereabouts",
            rule="whereabouts-reservation-without-allocation",
            address=reservation.address,
            pool=f"OverlappingRangeIPReservation {reservation.namespace}/{reservation.name}",
            owner=reservation.podref,
            detail=(
                f"no IPPool entry records {shown} for {reservation.podref}, and "
                f"{_why_dead(live, reservation.podref, reservation.address, state)}; the reservation "
                "alone keeps the address from every overlapping range (whereabouts #712)."
            ),
            release=release,
        )
    return Stranded(
        cni="whereabouts",
        rule="whereabouts-reservation-without-allocation",
        address=reservation.address,
        pool=f"OverlappingRangeIPReservation {reservation.namespace}/{reservation.name}",
        owner=reservation.podref,
        detail=(
            f"pod {reservation.podref} uses {shown}, but no IPPool entry records it (whereabouts #712): "
            "the pool does not know the address is taken."
        ),
        release=release,
        held=True,
    )


def _readdition(
    reservation: WhereaboutsReservation,
    pools: Sequence[WhereaboutsPool],
    holders: Sequence[int],
    taken: set[tuple[int, int]],
) -> str:
    """The patch that gives a live pod's reserved address its IPPool entry back."""
    address = reservation.address
    if address is None or not holders:
        return f"none needed while {reservation.podref} runs; no IPPool in the snapshot holds {address}"
    pool = pools[holders[0]]
    if (holders[0], address_key(address)) in taken:
        # JSON Patch "add" would silently replace the other pod's entry.
        return (
            f"none yet: {pool.namespace}/{pool.name} already gives {address} to another pod; find out "
            "which pod really uses it (two pods may share the address) before changing either record"
        )
    offset = str(int(address) - int(pool.range.network_address))
    value = {"id": reservation.container_id, "podref": reservation.podref}
    patch = _patch(pool, [{"op": "add", "path": _pointer(offset), "value": value}])
    if len(holders) == 1:
        return patch
    others = ", ".join(f"{pools[item].namespace}/{pools[item].name}" for item in holders[1:])
    return f"{patch} (or the same entry in {others}: the pool of the network the pod's interface uses)"
