"""The report of ``calicoctl ipam check -o report.json``, built from a snapshot."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from ipledger.core.calico_report import CalicoReport, calico_check_report
from ipledger.core.observations import (
    CalicoAttribute,
    CalicoBlock,
    CalicoClusterInformation,
    CalicoHandle,
    Snapshot,
)
from tests.core.k8s_factories import (
    CSI,
    NOW,
    block_after,
    block_before,
    ip,
    mac_k8s,
    net,
    pod,
    pods_of_mac_k8s,
)

_COOLING = CalicoAttribute(
    "k8s-pod-network.gone",
    (("namespace", "ns"), ("pod", "gone"), ("node", "worker-2")),
    released_at=NOW - timedelta(seconds=10),
)
_EXTRA = CalicoBlock(
    "10-0-0-0-30", net("10.0.0.0/30"), "host:mac-k8s", (None, 0, None, None), (_COOLING,), (0, 2, 3)
)


# What `kubectl get clusterinfo -o yaml` shows on a Calico v3.26 operator install (published in a
# troubleshooting write-up): the values calicoctl ipam check copies into its report.
CLUSTER_INFO = CalicoClusterInformation(
    "default",
    cluster_guid="3ba9573ae1ec4ef6b65a658a0583196d",
    cluster_type="typha,kdd,k8s,operator,bgp,kubeadm",
    calico_version="v3.26.0",
    datastore_ready=True,
    resource_version="611612",
)
# calicoctl's CheckReport, Allocation and HandleInfo (calicoctl/commands/ipam/check.go): JSON names
# in struct order; HandleInfo has no JSON tags, so its Go field names are its keys.
REPORT_KEYS = [
    "version",
    "clusterGUID",
    "datastoreLocked",
    "clusterInformationRevision",
    "clusterType",
    "allocations",
    "leakedHandles",
]
ALLOCATION_KEYS = [
    "ip",
    "handle",
    "sequenceNumber",
    "pod",
    "namespace",
    "node",
    "type",
    "creationTimestamp",
    "inUse",
    "borrowed",
    "coolingDown",
    "owners",
]
HANDLE_KEYS = ["ID", "UID", "Revision"]
DEAD = CalicoHandle("k8s-pod-network.dead", (), uid="2932b06f-5e97-4d01-a86f-4956a4bfcec7", revision="6651")


def _report(*, info: Sequence[CalicoClusterInformation] = (CLUSTER_INFO,), **options: Any) -> CalicoReport:
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=(mac_k8s(),),
        pods=pods_of_mac_k8s(),
        calico_blocks=(block_before(), _EXTRA, block_after()),
        calico_handles=(DEAD,),
        calico_cluster_information=tuple(info),
    )
    return calico_check_report(snapshot, now=NOW, **options)


def test_calico_report_has_calicoctls_keys_in_its_struct_order() -> None:
    body = _report().body

    assert list(body) == REPORT_KEYS
    for entries in body["allocations"].values():
        for entry in entries:
            assert [key for key in ALLOCATION_KEYS if key in entry] == list(entry)
            assert {"ip", "sequenceNumber", "inUse", "owners"} <= set(entry)
    assert [list(handle) for handle in body["leakedHandles"]] == [HANDLE_KEYS]
    json.dumps(body)


def test_calico_report_carries_what_release_checks_from_the_cluster_information() -> None:
    body = _report().body

    assert {key: body[key] for key in REPORT_KEYS[:5]} == {
        "version": "v3.26.0",
        "clusterGUID": "3ba9573ae1ec4ef6b65a658a0583196d",
        "datastoreLocked": False,
        "clusterInformationRevision": "611612",
        "clusterType": "typha,kdd,k8s,operator,bgp,kubeadm",
    }


def test_calico_report_of_a_locked_datastore_says_so_and_has_no_lock_note() -> None:
    locked = dataclasses.replace(CLUSTER_INFO, datastore_ready=False, resource_version="611700")

    report = _report(info=[locked])

    assert (report.body["datastoreLocked"], report.body["clusterInformationRevision"]) == (True, "611700")
    assert not any("not locked" in note for note in report.notes)


def test_calico_report_of_an_unlocked_datastore_notes_that_locking_changes_the_revision() -> None:
    notes = _report().notes

    assert any("was not locked" in note and "revision" in note for note in notes)


def test_calico_report_without_cluster_information_says_calicoctl_refuses_it() -> None:
    report = _report(info=[])

    assert (report.body["clusterGUID"], report.body["clusterInformationRevision"]) == ("", "")
    assert report.notes[0].startswith("the snapshot holds no Calico ClusterInformation")
    assert "refuses a report whose cluster GUID is not the cluster's, even with --force" in report.notes[0]
    assert "kubectl get clusterinformations.crd.projectcalico.org default -o json" in report.notes[0]


@pytest.mark.parametrize(
    ("missing", "note"),
    [
        pytest.param({"cluster_guid": ""}, "ClusterInformation default has no spec.clusterGUID", id="guid"),
        pytest.param(
            {"calico_version": ""}, "ClusterInformation default has no spec.calicoVersion", id="version"
        ),
    ],
)
def test_calico_report_notes_cluster_information_fields_release_needs(
    missing: dict[str, str], note: str
) -> None:
    info = dataclasses.replace(CLUSTER_INFO, datastore_ready=False, **missing)

    notes = _report(info=[info]).notes

    assert [item for item in notes if item.startswith("ClusterInformation")] == [
        next(item for item in notes if item.startswith(note))
    ]


def test_calico_report_reads_only_the_cluster_information_named_default() -> None:
    other = dataclasses.replace(CLUSTER_INFO, name="other")

    assert _report(info=[other]).body["clusterGUID"] == ""


def test_calico_report_leaked_handle_carries_its_uid_and_revision() -> None:
    assert _report().body["leakedHandles"] == [
        {"ID": "k8s-pod-network.dead", "UID": "2932b06f-5e97-4d01-a86f-4956a4bfcec7", "Revision": "6651"}
    ]


def test_calico_report_leaked_handle_without_uid_is_noted() -> None:
    snapshot = Snapshot(taken_at=NOW, calico_handles=(CalicoHandle("h", ()),))

    report = calico_check_report(snapshot, now=NOW)

    assert report.body["leakedHandles"] == [{"ID": "h", "UID": None, "Revision": ""}]
    assert any("calicoctl ipam release skips those" in note for note in report.notes)


def test_calico_report_sequence_number_of_each_allocation_comes_from_its_block() -> None:
    block = dataclasses.replace(block_after(), sequence_numbers=(("0", 1690113884806720472), ("16", 7)))
    snapshot = Snapshot(taken_at=NOW, nodes=(mac_k8s(),), pods=pods_of_mac_k8s(), calico_blocks=(block,))

    allocations = calico_check_report(snapshot, now=NOW).body["allocations"]

    assert allocations["192.168.185.0"][0]["sequenceNumber"] == 1690113884806720472
    assert allocations["192.168.185.16"][0]["sequenceNumber"] == 7
    # An ordinal the map lacks reads as 0, as GetSequenceNumberForOrdinal reads it.
    assert allocations["192.168.185.8"][0]["sequenceNumber"] == 0


def test_calico_report_notes_tunnel_addresses_it_assumes_in_use() -> None:
    notes = _report().notes

    assert any(
        "node(s) mac-k8s (2)" in note and "count as in use while the node exists" in note for note in notes
    )


def test_calico_report_makes_no_tunnel_note_where_the_node_names_its_tunnel() -> None:
    node = dataclasses.replace(mac_k8s(), calico_tunnel_ips=(ip("192.168.185.0"),))
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=(node,),
        pods=pods_of_mac_k8s(),
        calico_blocks=(block_after(),),
        calico_cluster_information=(CLUSTER_INFO,),
    )

    assert not any("tunnel" in note for note in calico_check_report(snapshot, now=NOW).notes)


def test_calico_report_lists_each_allocation_under_its_address_in_address_order() -> None:
    allocations = _report().body["allocations"]

    assert list(allocations)[:4] == ["10.0.0.1", "192.168.185.0", "192.168.185.1", "192.168.185.8"]
    assert len(allocations["192.168.185.0"]) == 2  # the block appears twice: before and after nginx
    assert all(isinstance(entries, list) for entries in allocations.values())


def test_calico_report_entry_of_a_leaked_address() -> None:
    (entry,) = _report().body["allocations"]["192.168.185.1"]

    assert entry == {
        "ip": "192.168.185.1",
        "handle": "k8s-pod-network.4bcae222a79b7ef46f048e435d5ab62d41e3a343d00a13da40e931a3e9df1aaa",
        "sequenceNumber": 0,
        "pod": "csi-node-driver-j62g7",
        "namespace": "calico-system",
        "node": "mac-k8s",
        "creationTimestamp": "2022-07-23 12:04:45.262852871 +0000 UTC",
        "inUse": False,
        "owners": [],
    }


def test_calico_report_entry_of_a_tunnel_address_in_use() -> None:
    entry = _report().body["allocations"]["192.168.185.0"][0]

    assert entry == {
        "ip": "192.168.185.0",
        "handle": "vxlan-tunnel-addr-mac-k8s",
        "sequenceNumber": 0,
        "node": "mac-k8s",
        "type": "vxlanTunnelAddress",
        "inUse": True,
        "owners": ["Node(mac-k8s)"],
    }


def test_calico_report_entry_of_a_pod_address_names_the_pod() -> None:
    (entry,) = _report().body["allocations"]["192.168.185.9"][:1]

    assert entry["owners"] == [f"Pod({CSI})"]
    assert entry["inUse"] is True


def test_calico_report_entry_cooling_down_is_borrowed_and_not_in_use() -> None:
    (entry,) = _report().body["allocations"]["10.0.0.1"]

    assert entry["coolingDown"] is True
    assert entry["borrowed"] is True
    assert entry["inUse"] is False


def test_calico_report_marks_unjudged_allocations_in_use() -> None:
    snapshot = Snapshot(taken_at=NOW, calico_blocks=(block_before(),))

    report = calico_check_report(snapshot, now=NOW)

    assert {entry["inUse"] for entries in report.body["allocations"].values() for entry in entries} == {True}
    assert "leakedHandles" not in report.body
    assert any(
        note.startswith("8 allocation(s) are marked in use because the snapshot lacks")
        for note in report.notes
    )


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        pytest.param(
            "windows-reserved-ipam-handle",
            {"ip": "10.0.0.1", "sequenceNumber": 0, "node": "mac-k8s", "inUse": True},
            id="windows",
        ),
        pytest.param(
            None, {"ip": "10.0.0.1", "sequenceNumber": 0, "node": "mac-k8s", "inUse": True}, id="no-handle"
        ),
    ],
)
def test_calico_report_leaves_out_handles_without_an_object(
    handle: str | None, expected: dict[str, Any]
) -> None:
    block = CalicoBlock(
        "b", net("10.0.0.0/30"), "host:mac-k8s", (None, 0, None, None), (CalicoAttribute(handle),), (0, 2, 3)
    )
    snapshot = Snapshot(taken_at=NOW, nodes=(mac_k8s(),), pods=(pod("ns/x"),), calico_blocks=(block,))

    (entry,) = calico_check_report(snapshot, now=NOW).body["allocations"]["10.0.0.1"]

    assert {key: value for key, value in entry.items() if key != "owners"} == expected


def test_calico_report_skips_deleted_blocks() -> None:
    snapshot = Snapshot(
        taken_at=NOW,
        calico_blocks=(CalicoBlock("b", net("10.0.0.0/30"), None, (0,) * 4, (), (), deleted=True),),
    )

    assert calico_check_report(snapshot, now=NOW).body["allocations"] == {}
