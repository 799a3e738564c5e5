"""Calico blocks and BlockAffinities of gone nodes, and the fix Calico's releaseBlockAffinity applies."""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Sequence

import pytest

from ipledger.core.calico_affinity import find_gone_node_blocks
from ipledger.core.liveness import build_liveness
from ipledger.core.observations import CalicoAffinity, CalicoAttribute, CalicoBlock, Node, Pod, Snapshot
from ipledger.core.stranded import Stranded
from tests.core.k8s_factories import (
    GRACE,
    MAC_K8S,
    NOW,
    affinities_of_issue_8446,
    block_after,
    net,
    pod,
    pods_of_mac_k8s,
)

OTHER_NODE = Node("worker-1")
BLOCK = "192-168-185-0-26"
AFFINITY = "mac-k8s-192-168-185-0-26"


def _gone(
    blocks: Sequence[CalicoBlock],
    *,
    nodes: Sequence[Node] = (OTHER_NODE,),
    pods: Sequence[Pod] = (),
    affinities: Sequence[CalicoAffinity] = (),
) -> list[Stranded]:
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=tuple(nodes),
        pods=tuple(pods),
        calico_blocks=tuple(blocks),
        calico_affinities=tuple(affinities),
    )
    return find_gone_node_blocks(snapshot, build_liveness(snapshot), now=NOW, grace=GRACE)


def _unaffine(group: str, name: str, node: str) -> str:
    patch = [
        {"op": "test", "path": "/spec/affinity", "value": f"host:{node}"},
        {"op": "remove", "path": "/spec/affinity"},
    ]
    body = shlex.quote(json.dumps(patch, separators=(",", ":")))
    return f"kubectl patch ipamblocks.{group} {name} --type=json -p {body}"


def _affinity(group: str = "crd.projectcalico.org") -> CalicoAffinity:
    return CalicoAffinity(AFFINITY, MAC_K8S, net("192.168.185.0/26"), "confirmed", group=group)


def test_calico_gone_node_block_still_used_by_pods_only_loses_its_affinity() -> None:
    # The pods of mac-k8s still carry seven of the addresses; only the tunnel address is leaked.
    (gone,) = _gone([block_after()], pods=pods_of_mac_k8s())

    assert (gone.rule, gone.pool, gone.owner) == (
        "calico-block-of-gone-node",
        f"IPAM block {BLOCK} (192.168.185.0/26)",
        "node mac-k8s",
    )
    assert gone.release == (
        "calicoctl ipam release --ip=192.168.185.0 && " + _unaffine("crd.projectcalico.org", BLOCK, MAC_K8S)
    )
    assert "7 of its 8 allocated addresses are in use" in gone.detail
    assert "blockaffinities" not in gone.release  # there is no BlockAffinity object to name


def test_calico_gone_node_block_with_its_affinity_object_names_that_object_last() -> None:
    (gone,) = _gone([block_after()], pods=pods_of_mac_k8s(), affinities=[_affinity()])

    assert gone.release.endswith(
        " && kubectl delete blockaffinities.crd.projectcalico.org mac-k8s-192-168-185-0-26"
    )


def test_calico_empty_block_of_a_gone_node_without_an_affinity_is_deleted() -> None:
    empty = CalicoBlock("10-0-0-0-30", net("10.0.0.0/30"), "host:old", (None,) * 4, (), (0, 1, 2, 3))

    (gone,) = _gone([empty])

    assert gone.release == "kubectl delete ipamblocks.crd.projectcalico.org 10-0-0-0-30"
    assert "the block is empty" in gone.detail


def test_calico_gone_node_block_of_only_leaks_is_released_then_deleted() -> None:
    # Pods are listed, but none carries an address of the block any more.
    (gone,) = _gone([block_after()], pods=[pod("ns/elsewhere", ips=("10.9.9.9",), node="worker-1")])

    addresses = ["0", "8", "9", "10", "11", "12", "13", "16"]
    assert gone.release == " && ".join(
        [
            *(f"calicoctl ipam release --ip=192.168.185.{last}" for last in addresses),
            f"kubectl delete ipamblocks.crd.projectcalico.org {BLOCK}",
        ]
    )
    assert "its 8 allocated addresses are all leaked" in gone.detail


def test_calico_gone_node_block_with_many_leaks_points_to_the_report_flow() -> None:
    attribute = CalicoAttribute("k8s-pod-network.1", (("namespace", "ns"), ("pod", "gone"), ("node", "old")))
    full = CalicoBlock("10-0-0-0-28", net("10.0.0.0/28"), "host:old", (0,) * 16, (attribute,), ())

    (gone,) = _gone([full], pods=[pod("ns/other", ips=("10.9.9.9",), node="worker-1")])

    assert gone.release == (
        "calicoctl ipam release --from-report=report.json (its 16 leaked addresses) && "
        "kubectl delete ipamblocks.crd.projectcalico.org 10-0-0-0-28"
    )


def test_calico_gone_node_block_without_pods_in_the_snapshot_is_not_emptied() -> None:
    # Without pods no workload address can be judged leaked; the gone node's tunnel address can.
    (gone,) = _gone([block_after()])

    assert gone.release == (
        "calicoctl ipam release --ip=192.168.185.0 && " + _unaffine("crd.projectcalico.org", BLOCK, MAC_K8S)
    )


def test_calico_gone_node_fix_names_the_api_group_the_objects_came_from() -> None:
    block = dataclasses.replace(block_after(), group="projectcalico.org")

    (gone,) = _gone([block], pods=pods_of_mac_k8s(), affinities=[_affinity("projectcalico.org")])

    assert gone.release == " && ".join(
        [
            "calicoctl ipam release --ip=192.168.185.0",
            _unaffine("projectcalico.org", BLOCK, MAC_K8S),
            f"kubectl delete blockaffinities.projectcalico.org {AFFINITY}",
        ]
    )
    assert "crd.projectcalico.org" not in gone.release


def test_calico_confirmed_affinities_of_gone_nodes_without_blocks_are_reported() -> None:
    found = _gone([], nodes=[Node("dgx04")], affinities=affinities_of_issue_8446())

    assert [(item.pool, item.release) for item in found] == [
        (
            "BlockAffinity dgx08-10-233-80-0-21 (10.233.80.0/21)",
            "kubectl delete blockaffinities.crd.projectcalico.org dgx08-10-233-80-0-21",
        ),
        (
            "BlockAffinity gpu01-10-233-64-0-19 (10.233.64.0/19)",
            "kubectl delete blockaffinities.crd.projectcalico.org gpu01-10-233-64-0-19",
        ),
    ]
    assert "issue #4471" in found[0].detail


def test_calico_block_and_its_affinity_make_one_finding_named_after_the_block() -> None:
    affinity = dataclasses.replace(_affinity(), state="pendingDeletion")

    found = _gone([block_after()], pods=pods_of_mac_k8s(), affinities=[affinity])

    assert len(found) == 1
    assert found[0].pool.startswith("IPAM block")


@pytest.mark.parametrize(
    "affinity",
    [
        pytest.param(CalicoAffinity("old-10-0-0-0-30", "old", net("10.0.0.0/30"), "pending"), id="pending"),
        pytest.param(
            CalicoAffinity("old-10-0-0-0-30", "old", net("10.0.0.0/30"), "confirmed", deleted=True),
            id="deleted",
        ),
        pytest.param(
            CalicoAffinity("worker-1-10-0-0-0-30", "worker-1", net("10.0.0.0/30"), "confirmed"),
            id="live-node",
        ),
    ],
)
def test_calico_affinity_that_is_absent_or_of_a_live_node_is_not_reported(affinity: CalicoAffinity) -> None:
    assert _gone([], affinities=[affinity]) == []


def test_calico_pending_affinity_of_a_gone_node_on_a_live_nodes_block_is_absent() -> None:
    # Issue #6001: the same CIDR claimed by two nodes, one claim still pending; only the block's
    # own (confirmed) owner counts.
    block = CalicoBlock("b", net("192.168.168.64/26"), "host:hostnamefoo", (None,) * 64, (), tuple(range(64)))
    pending = CalicoAffinity(
        "hostnamebar-1-192-168-168-64-26", "hostnamebar", net("192.168.168.64/26"), "pending"
    )

    assert _gone([block], nodes=[Node("hostnamefoo")], affinities=[pending]) == []


def test_calico_deleted_block_of_a_gone_node_is_not_judged() -> None:
    assert _gone([dataclasses.replace(block_after(), deleted=True)]) == []


def test_calico_gone_nodes_are_not_judged_without_nodes_in_the_snapshot() -> None:
    assert _gone([], nodes=[], affinities=affinities_of_issue_8446()) == []
