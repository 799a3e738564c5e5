"""The calicoctl report built from the published Calico objects, read in place: what
``calicoctl ipam release --from-report`` checks comes from the objects themselves."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ipledger.core.calico_report import calico_check_report
from tests.kube.k8s_fixtures import TAKEN_AT, kube_object, read_fixture, snapshot

HANDLE = "k8s-pod-network.cb07c78e242382171ac035d9b888454f71bb393e788f7feaa7ee13d4ead5cb34"
# `kubectl get clusterinfo -o yaml` of a Calico v3.26 operator install, as published (only the
# projectcalico.org/v3 object; the storage CRD holds the same fields under crd.projectcalico.org/v1).
CLUSTER_INFORMATION = kube_object(
    "ClusterInformation",
    "default",
    api="projectcalico.org/v3",
    spec={
        "calicoVersion": "v3.26.0",
        "clusterGUID": "3ba9573ae1ec4ef6b65a658a0583196d",
        "clusterType": "typha,kdd,k8s,operator,bgp,kubeadm",
        "datastoreReady": True,
    },
    creationTimestamp="2023-06-03T14:01:32Z",
    resourceVersion="611612",
    uid="85daf4ec-8826-46da-aa8b-9aa6f307666d",
)
# Node mac-k8s, whose block the fixture is, with the annotations calico-node wrote on it.
MAC_K8S = kube_object(
    "Node",
    "mac-k8s",
    annotations={
        "projectcalico.org/IPv4Address": "192.168.191.153/24",
        "projectcalico.org/IPv4VXLANTunnelAddr": "192.168.185.0",
    },
    uid="b5720267-7927-4b62-8184-d3371f7c76ff",
)


def _report() -> dict[str, Any]:
    blocks = read_fixture("calico-IPAMBlock-crd-v1.yaml")
    handles = read_fixture("calico-IPAMHandle-crd-v1.yaml")
    built = snapshot(CLUSTER_INFORMATION, MAC_K8S)
    whole = dataclasses.replace(
        blocks,
        nodes=built.nodes,
        calico_handles=handles.calico_handles,
        calico_cluster_information=built.calico_cluster_information,
    )
    report = calico_check_report(whole, now=TAKEN_AT)
    return report.body


def test_calico_report_of_fixture_objects_carries_the_cluster_information() -> None:
    body = _report()

    assert [body[key] for key in ("version", "clusterGUID", "clusterInformationRevision", "clusterType")] == [
        "v3.26.0",
        "3ba9573ae1ec4ef6b65a658a0583196d",
        "611612",
        "typha,kdd,k8s,operator,bgp,kubeadm",
    ]
    assert body["datastoreLocked"] is False


def test_calico_report_of_fixture_block_carries_each_ordinals_sequence_number() -> None:
    allocations = _report()["allocations"]

    # sequenceNumberForAllocation as published: "0", "1" and "8" to "13" are the allocated ordinals.
    numbers = {address: entries[0]["sequenceNumber"] for address, entries in allocations.items()}
    assert numbers == {
        "192.168.185.0": 1690113884806720472,
        "192.168.185.1": 1690113884806720473,
        **{f"192.168.185.{ordinal}": 1690113884806720473 + ordinal for ordinal in range(8, 14)},
    }


def test_calico_report_of_fixture_block_holds_the_tunnel_address_the_node_names() -> None:
    (tunnel,) = _report()["allocations"]["192.168.185.0"]

    assert (tunnel["inUse"], tunnel["owners"], tunnel["type"]) == (
        True,
        ["Node(mac-k8s)"],
        "vxlanTunnelAddress",
    )


def test_calico_report_of_fixture_handle_carries_its_uid_and_revision() -> None:
    # No allocation of the block names this handle: calicoctl counts it leaked.
    assert _report()["leakedHandles"] == [
        {"ID": HANDLE, "UID": "2932b06f-5e97-4d01-a86f-4956a4bfcec7", "Revision": "6651"}
    ]


def test_calico_report_of_fixture_objects_is_json_as_calicoctl_reads_it() -> None:
    body = _report()

    assert json.loads(json.dumps(body)) == body
