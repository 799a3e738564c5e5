"""The JSON report of ``calicoctl ipam check -o report.json``, built from a snapshot.

calicoctl's report (``CheckReport`` in ``calicoctl/commands/ipam/check.go``) lists every Calico
allocation with whether it is in use, and the leaked handles; ``calicoctl ipam release
--from-report`` (``release.go``) then frees what it marks unused. ipledger writes the same shape
from the same judgement (``calico_ipam``), with what release checks taken from the cluster's own
objects: the cluster GUID and ClusterInformation revision, each allocation's sequence number,
each leaked handle's UID and revision. Whatever the snapshot lacks for that (no ClusterInformation
in a dump, say) is said in the report's notes, since release then refuses or skips.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ipledger.core.calico_blocks import CalicoAllocation, calico_allocations
from ipledger.core.calico_ipam import (
    CalicoState,
    find_calico_handle_problems,
    is_tunnel_assumed,
    judge_calico_allocation,
)
from ipledger.core.liveness import DEFAULT_GRACE, Liveness, build_liveness
from ipledger.core.observations import CalicoClusterInformation, CalicoHandle, Snapshot

__all__ = ["CalicoReport", "calico_check_report"]

# calicoctl reads ClusterInformation "default" (check.go, release.go).
_CLUSTER_INFORMATION = "default"
_DUMP_IT = "kubectl get clusterinformations.crd.projectcalico.org default -o json"


@dataclass(frozen=True, slots=True)
class CalicoReport:
    """The report (``body``, calicoctl's JSON) and what a person must know before using it."""

    body: dict[str, Any]
    notes: tuple[str, ...] = ()


def calico_check_report(
    snapshot: Snapshot, *, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> CalicoReport:
    """The report ``calicoctl ipam check -o report.json`` writes, built from a snapshot.

    Keys, order and types follow calicoctl's ``CheckReport``: version (the cluster's
    ``spec.calicoVersion``, which a calicoctl that passes its version check has), clusterGUID,
    datastoreLocked (``spec.datastoreReady`` false), clusterInformationRevision (its
    ``metadata.resourceVersion``), clusterType, allocations (address -> list of entries with ip,
    handle?, sequenceNumber, pod?, namespace?, node?, type?, creationTimestamp?, inUse, borrowed?,
    coolingDown?, owners) and leakedHandles ([{ID, UID, Revision}], left out when empty, as Go's
    omitempty does). The sequence number of an ordinal missing from the block's
    ``sequenceNumberForAllocation`` is 0, as calicoctl reads it.

    Allocations that are not judged leaked (grace period, or owners the snapshot lacks) are
    ``inUse: true`` so that release never frees them. ``owners`` is a list, never null, and names
    pods as ``Pod(namespace/name)``, nodes as ``Node(name)``, services as ``Service(namespace/name)``.
    """
    live = build_liveness(snapshot)
    info = _cluster_information(snapshot)
    judged = [
        (block, allocation, *judge_calico_allocation(allocation, live, now=now, grace=grace))
        for block in snapshot.calico_blocks
        if not block.deleted
        for allocation in calico_allocations(block)
    ]
    judged.sort(key=lambda item: (item[1].address.version, int(item[1].address)))
    allocations: dict[str, list[dict[str, Any]]] = {}
    sequences: dict[str, dict[str, int]] = {}
    for block, allocation, state, owners in judged:
        numbers = sequences.setdefault(block.name, dict(block.sequence_numbers))
        entry = _report_entry(allocation, state, owners, numbers.get(str(allocation.ordinal), 0))
        allocations.setdefault(str(allocation.address), []).append(entry)
    body: dict[str, Any] = {
        "version": "" if info is None else info.calico_version,
        "clusterGUID": "" if info is None else info.cluster_guid,
        "datastoreLocked": info is not None and info.datastore_ready is False,
        "clusterInformationRevision": "" if info is None else info.resource_version,
        "clusterType": "" if info is None else info.cluster_type,
        "allocations": allocations,
    }
    leaked = _leaked_handles(snapshot)
    if leaked:
        body["leakedHandles"] = [
            {"ID": handle.handle_id, "UID": handle.uid or None, "Revision": handle.revision}
            for handle in leaked
        ]
    notes = (
        *_cluster_notes(info),
        *_handle_notes(leaked),
        *_judgement_notes([(allocation, state) for _, allocation, state, _ in judged], live),
    )
    return CalicoReport(body, notes)


def _cluster_information(snapshot: Snapshot) -> CalicoClusterInformation | None:
    return next(
        (item for item in snapshot.calico_cluster_information if item.name == _CLUSTER_INFORMATION), None
    )


def _leaked_handles(snapshot: Snapshot) -> list[CalicoHandle]:
    leaked = {
        item.owner for item in find_calico_handle_problems(snapshot) if item.rule == "calico-leaked-handle"
    }
    return [handle for handle in snapshot.calico_handles if not handle.deleted and handle.handle_id in leaked]


def _report_entry(
    allocation: CalicoAllocation, state: CalicoState, owners: tuple[str, ...], sequence: int
) -> dict[str, Any]:
    owner = allocation.owner
    entry: dict[str, Any] = {"ip": str(allocation.address)}
    handle = "" if owner.use == "windows-reserved" else owner.handle or ""
    if handle:
        entry["handle"] = handle
    entry["sequenceNumber"] = sequence
    optional = {
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


def _cluster_notes(info: CalicoClusterInformation | None) -> list[str]:
    """What makes ``calicoctl ipam release --from-report`` refuse this report as a whole."""
    if info is None:
        return [
            "the snapshot holds no Calico ClusterInformation, so clusterGUID and "
            "clusterInformationRevision are empty: calicoctl ipam release --from-report refuses a "
            "report whose cluster GUID is not the cluster's, even with --force. Add it to the dump "
            f"({_DUMP_IT}) or sync from the API server."
        ]
    notes = []
    if not info.cluster_guid:
        notes.append(
            f"ClusterInformation {info.name} has no spec.clusterGUID: calicoctl ipam release "
            "--from-report refuses the report unless the cluster has none either."
        )
    if info.datastore_ready is not False:
        notes.append(
            "the Calico datastore was not locked when these objects were read: locking it "
            "(calicoctl datastore migrate lock) changes ClusterInformation's revision, and calicoctl "
            "ipam release --from-report refuses a report without the current revision. Lock first, "
            "then dump or sync again and write the report, release, and unlock."
        )
    if not info.calico_version:
        notes.append(
            f"ClusterInformation {info.name} has no spec.calicoVersion, so the report's version is "
            "empty: calicoctl ipam release --from-report refuses it without --force."
        )
    return notes


def _handle_notes(leaked: list[CalicoHandle]) -> list[str]:
    unknown = [handle.handle_id for handle in leaked if not handle.uid or not handle.revision]
    if not unknown:
        return []
    return [
        f"{len(unknown)} leaked handle(s) have no metadata.uid or metadata.resourceVersion in the "
        f"snapshot (e.g. {unknown[0]}): calicoctl ipam release skips those."
    ]


def _judgement_notes(judged: list[tuple[CalicoAllocation, CalicoState]], live: Liveness) -> list[str]:
    """Allocations marked in use only because the snapshot could not show them leaked."""
    notes = []
    assumed = Counter(
        allocation.owner.node for allocation, _ in judged if is_tunnel_assumed(allocation, live)
    )
    if assumed:
        nodes = ", ".join(f"{node} ({count})" for node, count in sorted(assumed.items()))
        notes.append(
            f"nothing shows the Calico tunnel addresses of node(s) {nodes} (no projectcalico.org/ "
            "annotations, no projectcalico.org/v3 Node): their tunnel allocations count as in use "
            "while the node exists, where calicoctl compares them with the node's tunnel addresses."
        )
    unjudged = sum(state is CalicoState.UNJUDGED for _, state in judged)
    if unjudged:
        notes.append(
            f"{unjudged} allocation(s) are marked in use because the snapshot lacks the pods, nodes "
            "or services (or KubeVirt VMs) that would show whether they are."
        )
    return notes
