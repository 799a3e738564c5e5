"""The report of ``calicoctl ipam check -o report.json``, built from a snapshot."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from ipledger.core.calico_report import calico_check_report
from ipledger.core.observations import CalicoAttribute, CalicoBlock, CalicoHandle, Snapshot
from tests.core.k8s_factories import CSI, NOW, block_after, block_before, mac_k8s, net, pod, pods_of_mac_k8s

_COOLING = CalicoAttribute(
    "k8s-pod-network.gone",
    (("namespace", "ns"), ("pod", "gone"), ("node", "worker-2")),
    released_at=NOW - timedelta(seconds=10),
)
_EXTRA = CalicoBlock(
    "10-0-0-0-30", net("10.0.0.0/30"), "host:mac-k8s", (None, 0, None, None), (_COOLING,), (0, 2, 3)
)


def _report(**options: Any) -> dict[str, Any]:
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=(mac_k8s(),),
        pods=pods_of_mac_k8s(),
        calico_blocks=(block_before(), _EXTRA, block_after()),
        calico_handles=(CalicoHandle("k8s-pod-network.dead", ()),),
    )
    return calico_check_report(snapshot, now=NOW, **options)


def test_calico_report_has_calicoctls_top_level_keys_and_types() -> None:
    report = _report(cluster_guid="0e5ba4f7", cluster_type="k8s,kdd,bgp", version="v3.30.0")

    assert list(report) == [
        "version",
        "clusterGUID",
        "datastoreLocked",
        "clusterInformationRevision",
        "clusterType",
        "allocations",
        "leakedHandles",
    ]
    assert (report["version"], report["clusterGUID"], report["clusterType"]) == (
        "v3.30.0",
        "0e5ba4f7",
        "k8s,kdd,bgp",
    )
    # Values a dump cannot know, chosen so that release --from-report refuses to act on them.
    assert report["datastoreLocked"] is False
    assert report["clusterInformationRevision"] == ""
    assert report["leakedHandles"] == [{"ID": "k8s-pod-network.dead", "UID": None, "Revision": ""}]
    json.dumps(report)


def test_calico_report_lists_each_allocation_under_its_address_in_address_order() -> None:
    allocations = _report()["allocations"]

    assert list(allocations)[:4] == ["10.0.0.1", "192.168.185.0", "192.168.185.1", "192.168.185.8"]
    assert len(allocations["192.168.185.0"]) == 2  # the block appears twice: before and after nginx
    assert all(isinstance(entries, list) for entries in allocations.values())


def test_calico_report_entry_of_a_leaked_address() -> None:
    (entry,) = _report()["allocations"]["192.168.185.1"]

    assert entry == {
        "ip": "192.168.185.1",
        "handle": "k8s-pod-network.4bcae222a79b7ef46f048e435d5ab62d41e3a343d00a13da40e931a3e9df1aaa",
        "pod": "csi-node-driver-j62g7",
        "namespace": "calico-system",
        "node": "mac-k8s",
        "creationTimestamp": "2022-07-23 12:04:45.262852871 +0000 UTC",
        "inUse": False,
        "owners": [],
    }


def test_calico_report_entry_of_a_tunnel_address_in_use() -> None:
    entry = _report()["allocations"]["192.168.185.0"][0]

    assert entry == {
        "ip": "192.168.185.0",
        "handle": "vxlan-tunnel-addr-mac-k8s",
        "node": "mac-k8s",
        "type": "vxlanTunnelAddress",
        "inUse": True,
        "owners": ["Node(mac-k8s)"],
    }


def test_calico_report_entry_of_a_pod_address_names_the_pod() -> None:
    (entry,) = _report()["allocations"]["192.168.185.9"][:1]

    assert entry["owners"] == [f"Pod({CSI})"]
    assert entry["inUse"] is True


def test_calico_report_entry_cooling_down_is_borrowed_and_not_in_use() -> None:
    (entry,) = _report()["allocations"]["10.0.0.1"]

    assert entry["coolingDown"] is True
    assert entry["borrowed"] is True
    assert entry["inUse"] is False
    assert "sequenceNumber" not in entry


def test_calico_report_marks_unjudged_allocations_in_use() -> None:
    snapshot = Snapshot(taken_at=NOW, calico_blocks=(block_before(),))

    report = calico_check_report(snapshot, now=NOW)

    assert {entry["inUse"] for entries in report["allocations"].values() for entry in entries} == {True}
    assert "leakedHandles" not in report


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        pytest.param(
            "windows-reserved-ipam-handle", {"ip": "10.0.0.1", "node": "mac-k8s", "inUse": True}, id="windows"
        ),
        pytest.param(None, {"ip": "10.0.0.1", "node": "mac-k8s", "inUse": True}, id="no-handle"),
    ],
)
def test_calico_report_leaves_out_handles_without_an_object(
    handle: str | None, expected: dict[str, Any]
) -> None:
    block = CalicoBlock(
        "b", net("10.0.0.0/30"), "host:mac-k8s", (None, 0, None, None), (CalicoAttribute(handle),), (0, 2, 3)
    )
    snapshot = Snapshot(taken_at=NOW, nodes=(mac_k8s(),), pods=(pod("ns/x"),), calico_blocks=(block,))

    (entry,) = calico_check_report(snapshot, now=NOW)["allocations"]["10.0.0.1"]

    assert {key: value for key, value in entry.items() if key != "owners"} == expected


def test_calico_report_skips_deleted_blocks() -> None:
    snapshot = Snapshot(
        taken_at=NOW,
        calico_blocks=(CalicoBlock("b", net("10.0.0.0/30"), None, (0,) * 4, (), (), deleted=True),),
    )

    assert calico_check_report(snapshot, now=NOW)["allocations"] == {}
