"""The JSON report of ``calicoctl ipam check -o report.json``, built from a snapshot.

calicoctl's report (``CheckReport`` in ``calicoctl/commands/ipam/check.go``) lists every Calico
allocation with whether it is in use, and the leaked handles; ``calicoctl ipam release
--from-report`` then frees what it marks unused. ipledger writes the same shape from the same
judgement (``calico_ipam``), so that a person can compare it with calicoctl's own report. It is
never fit for ``--from-report`` as it stands: see ``calico_check_report`` for the fields a dump
cannot know.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ipledger.core.calico_blocks import CalicoAllocation, calico_allocations
from ipledger.core.calico_ipam import CalicoState, find_calico_handle_problems, judge_calico_allocation
from ipledger.core.liveness import DEFAULT_GRACE, build_liveness
from ipledger.core.observations import Snapshot

__all__ = ["calico_check_report"]


def calico_check_report(
    snapshot: Snapshot,
    *,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
    cluster_guid: str = "",
    cluster_type: str = "",
    version: str = "",
) -> dict[str, Any]:
    """The report ``calicoctl ipam check -o report.json`` writes, built from a snapshot.

    Keys and types follow calicoctl's ``CheckReport``: version, clusterGUID, datastoreLocked,
    clusterInformationRevision, clusterType, allocations (address -> list of entries with ip,
    handle?, pod?, namespace?, node?, type?, creationTimestamp?, inUse, borrowed?, coolingDown?,
    owners) and leakedHandles ([{ID, UID, Revision}], left out when empty, as Go's omitempty does).

    A dump cannot know some fields, and what is written instead makes ``calicoctl ipam release
    --from-report`` refuse or skip rather than guess: ``datastoreLocked`` is false and
    ``clusterInformationRevision`` empty (release demands a locked datastore and the current
    revision), ``sequenceNumber`` is left out (the snapshot does not carry it), a leaked handle's
    UID is null and its Revision empty (release deletes a handle only when both still match).
    Allocations that are not judged leaked (grace period, or owners the snapshot lacks) are
    ``inUse: true`` so that release never frees them. ``owners`` is a list, never null, and names
    pods as ``Pod(namespace/name)``, nodes as ``Node(name)``, services as ``Service(namespace/name)``.
    """
    live = build_liveness(snapshot)
    allocations: dict[str, list[dict[str, Any]]] = {}
    judged = [
        (allocation, *judge_calico_allocation(allocation, live, now=now, grace=grace))
        for block in snapshot.calico_blocks
        if not block.deleted
        for allocation in calico_allocations(block)
    ]
    judged.sort(key=lambda item: (item[0].address.version, int(item[0].address)))
    for allocation, state, owners in judged:
        allocations.setdefault(str(allocation.address), []).append(_report_entry(allocation, state, owners))
    report: dict[str, Any] = {
        "version": version,
        "clusterGUID": cluster_guid,
        "datastoreLocked": False,
        "clusterInformationRevision": "",
        "clusterType": cluster_type,
        "allocations": allocations,
    }
    leaked = [item for item in find_calico_handle_problems(snapshot) if item.rule == "calico-leaked-handle"]
    if leaked:
        report["leakedHandles"] = [{"ID": item.owner, "UID": None, "Revision": ""} for item in leaked]
    return report


def _report_entry(
    allocation: CalicoAllocation, state: CalicoState, owners: tuple[str, ...]
) -> dict[str, Any]:
    owner = allocation.owner
    entry: dict[str, Any] = {"ip": str(allocation.address)}
    optional = {
        "handle": "" if owner.use == "windows-reserved" else owner.handle or "",
        "pod": owner.pod,
        "namespace": owner.namespace,
        "node": owner.node,
        "type": owner.type,
        "creationTimestamp": owner.timestamp,
    }
    entry.update((name, value) for name, value in optional.items() if value)
    entry["inUse"] = state not in (CalicoState.LEAKED, CalicoState.COOLING)
    if owner.borrowed:
        entry["borrowed"] = True
    if owner.released_at is not None:
        entry["coolingDown"] = True
    entry["owners"] = list(owners)
    return entry
