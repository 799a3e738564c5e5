"""Calico: leaked IPs, handles and invalid blocks, as calicoctl ipam check finds them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from ipledger.core.calico_blocks import calico_allocations
from ipledger.core.calico_ipam import (
    CalicoState,
    calico_holder,
    find_calico_stranded,
    is_tunnel_assumed,
    judge_calico_allocation,
    split_calico_block,
)
from ipledger.core.liveness import build_liveness
from ipledger.core.observations import (
    CalicoAffinity,
    CalicoAttribute,
    CalicoBlock,
    CalicoHandle,
    CalicoNode,
    Node,
    Pod,
    Service,
    Snapshot,
)
from ipledger.core.stranded import Stranded
from tests.core.k8s_factories import (
    CSI,
    GRACE,
    JUST_NOW,
    MAC_K8S,
    NGINX_HANDLE,
    NOW,
    block_after,
    block_before,
    ip,
    mac_k8s,
    net,
    nginx_handle,
    pod,
    pods_of_mac_k8s,
)

OTHER_NODE = Node("worker-1")


def _snapshot(
    blocks: Sequence[CalicoBlock],
    *,
    pods: Sequence[Pod] = (),
    nodes: Sequence[Node] = (),
    services: Sequence[Service] = (),
    handles: Sequence[CalicoHandle] = (),
    affinities: Sequence[CalicoAffinity] = (),
) -> Snapshot:
    return Snapshot(
        taken_at=NOW,
        nodes=tuple(nodes),
        pods=tuple(pods),
        services=tuple(services),
        calico_blocks=tuple(blocks),
        calico_handles=tuple(handles),
        calico_affinities=tuple(affinities),
    )


def _stranded(snapshot: Snapshot) -> list[Stranded]:
    return find_calico_stranded(snapshot, build_liveness(snapshot), now=NOW, grace=GRACE)


def _leaks(snapshot: Snapshot) -> list[str]:
    return [str(item.address) for item in _stranded(snapshot) if item.rule == "calico-leaked-ip"]


def _single(
    attribute: CalicoAttribute, *, affinity: str = "host:mac-k8s", cidr: str = "10.0.0.0/30"
) -> CalicoBlock:
    """A block whose ordinal 1 is allocated to ``attribute``."""
    return CalicoBlock("b", net(cidr), affinity, (None, 0, None, None), (attribute,), (0, 2, 3))


POD_ATTRIBUTE = CalicoAttribute("k8s-pod-network.1", (("namespace", "ns"), ("pod", "p"), ("node", MAC_K8S)))


# --- leaked IPs ----------------------------------------------------------------------------------


def test_calico_old_address_of_a_restarted_pod_is_leaked() -> None:
    # Before nginx started, ordinal 1 still named csi-node-driver-j62g7, which by then carried .9.
    found = _stranded(_snapshot([block_before()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()]))

    assert [(item.rule, str(item.address)) for item in found] == [("calico-leaked-ip", "192.168.185.1")]
    leak = found[0]
    assert leak.release == "calicoctl ipam release --ip=192.168.185.1"
    assert leak.pool == "IPAM block 192-168-185-0-26 (192.168.185.0/26)"
    assert leak.owner == (
        "handle k8s-pod-network.4bcae222a79b7ef46f048e435d5ab62d41e3a343d00a13da40e931a3e9df1aaa, "
        f"pod {CSI}, node mac-k8s"
    )
    assert "--from-report=report.json" in leak.detail


def test_calico_block_after_release_has_nothing_leaked() -> None:
    assert _leaks(_snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()])) == []


def test_calico_tunnel_address_of_an_existing_node_is_in_use() -> None:
    assert "192.168.185.0" not in _leaks(
        _snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()])
    )


def test_calico_tunnel_address_of_a_gone_node_is_leaked() -> None:
    found = _stranded(_snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[OTHER_NODE]))

    tunnel = next(item for item in found if item.address == ip("192.168.185.0"))
    assert "tunnel address (vxlanTunnelAddress) of node mac-k8s, which no longer exists" in tunnel.detail


def _tunnel_state(nodes: Sequence[Node], calico_nodes: Sequence[CalicoNode] = ()) -> tuple[Any, ...]:
    """How the tunnel address 192.168.185.0 of mac-k8s's block is judged, and whether assumed."""
    snapshot = dataclasses.replace(
        _snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=nodes), calico_nodes=tuple(calico_nodes)
    )
    live = build_liveness(snapshot)
    tunnel = calico_allocations(block_after())[0]
    return (*judge_calico_allocation(tunnel, live, now=NOW, grace=GRACE), is_tunnel_assumed(tunnel, live))


@pytest.mark.parametrize(
    ("nodes", "calico_nodes", "expected"),
    [
        pytest.param(
            [dataclasses.replace(mac_k8s(), calico_tunnel_ips=(ip("192.168.185.0"),))],
            [],
            (CalicoState.IN_USE, ("Node(mac-k8s)",), False),
            id="annotation-names-it",
        ),
        pytest.param(
            [mac_k8s(), dataclasses.replace(OTHER_NODE, calico_tunnel_ips=(ip("192.168.185.0"),))],
            [],
            (CalicoState.IN_USE, ("Node(worker-1)",), False),
            id="another-node-names-it",
        ),
        pytest.param(
            [mac_k8s()],
            [CalicoNode(MAC_K8S, (ip("192.168.185.0"),))],
            (CalicoState.IN_USE, ("Node(mac-k8s)",), False),
            id="v3-node-names-it",
        ),
        pytest.param(
            [dataclasses.replace(mac_k8s(), calico_tunnel_ips=(ip("192.168.185.0"),))],
            [CalicoNode(MAC_K8S, (ip("192.168.185.64"),))],
            (CalicoState.LEAKED, (), False),
            id="v3-node-wins-over-annotations",
        ),
        pytest.param(
            [dataclasses.replace(mac_k8s(), calico_tunnel_ips=())],
            [],
            (CalicoState.LEAKED, (), False),
            id="annotated-without-tunnel",
        ),
        pytest.param(
            [mac_k8s()],
            [],
            (CalicoState.IN_USE, ("Node(mac-k8s)",), True),
            id="nothing-known-node-exists",
        ),
        pytest.param([OTHER_NODE], [], (CalicoState.LEAKED, (), False), id="nothing-known-node-gone"),
    ],
)
def test_calico_tunnel_address_is_held_while_a_nodes_tunnel_addresses_name_it(
    nodes: Sequence[Node], calico_nodes: Sequence[CalicoNode], expected: tuple[Any, ...]
) -> None:
    assert _tunnel_state(nodes, calico_nodes) == expected


def test_calico_tunnel_address_the_node_replaced_is_leaked_and_says_which_it_has() -> None:
    node = dataclasses.replace(mac_k8s(), calico_tunnel_ips=(ip("192.168.185.64"),))

    found = _stranded(_snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[node]))

    assert [(item.rule, str(item.address)) for item in found] == [("calico-leaked-ip", "192.168.185.0")]
    assert "node mac-k8s's tunnel addresses (192.168.185.64) do not include it" in found[0].detail


def test_calico_tunnel_from_before_attributes_of_a_gone_node_is_leaked() -> None:
    found = _stranded(_snapshot([_single(CalicoAttribute(None))], pods=[pod("ns/x")], nodes=[OTHER_NODE]))

    assert "tunnel address of node mac-k8s" in found[0].detail


def test_calico_cooling_down_allocation_is_not_reported() -> None:
    cooling = dataclasses.replace(POD_ATTRIBUTE, released_at=NOW - timedelta(seconds=30))

    assert _leaks(_snapshot([_single(cooling)], pods=[pod("ns/x")], nodes=[mac_k8s()])) == []


@pytest.mark.parametrize(
    "carrier",
    [
        pytest.param(pod("ns/p", ips=("10.0.0.1",), node=MAC_K8S), id="primary"),
        pytest.param(pod("ns/q", ips=("10.1.0.1",), secondary=("10.0.0.1",), node=MAC_K8S), id="multus"),
        pytest.param(pod("other/r", ips=("10.0.0.1",), node=MAC_K8S), id="another-pod-by-address"),
        pytest.param(pod("ns/p", ips=("10.0.0.1",), phase="Pending", node=MAC_K8S), id="pending"),
    ],
)
def test_calico_address_a_pod_carries_is_in_use(carrier: Pod) -> None:
    assert _leaks(_snapshot([_single(POD_ATTRIBUTE)], pods=[carrier], nodes=[mac_k8s()])) == []


@pytest.mark.parametrize(
    "holder",
    [
        pytest.param(pod("ns/p", ips=("10.0.0.1",), phase="Succeeded", node=MAC_K8S), id="succeeded"),
        pytest.param(pod("ns/p", ips=("10.0.0.1",), phase="Failed", node=MAC_K8S), id="failed-evicted"),
        pytest.param(pod("ns/p", ips=("10.0.0.1",), host_network=True, node=MAC_K8S), id="host-network"),
        pytest.param(pod("ns/p", ips=("10.0.0.1",), node=""), id="unscheduled"),
        pytest.param(pod("ns/p", ips=("10.0.0.2",), node=MAC_K8S), id="other-address"),
    ],
)
def test_calico_address_no_workload_endpoint_carries_is_leaked(holder: Pod) -> None:
    assert _leaks(_snapshot([_single(POD_ATTRIBUTE)], pods=[holder], nodes=[mac_k8s()])) == ["10.0.0.1"]


def test_calico_pod_younger_than_the_grace_period_is_not_judged() -> None:
    young = pod("ns/p", ips=("10.0.0.2",), node=MAC_K8S, created=JUST_NOW)

    assert _leaks(_snapshot([_single(POD_ATTRIBUTE)], pods=[young], nodes=[mac_k8s()])) == []


def test_calico_allocation_younger_than_the_grace_period_is_not_judged() -> None:
    stamp = (NOW - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S.123456789 +0000 UTC")
    fresh = CalicoAttribute("k8s-pod-network.1", (("namespace", "ns"), ("pod", "p"), ("timestamp", stamp)))

    assert _leaks(_snapshot([_single(fresh)], pods=[pod("ns/x")], nodes=[mac_k8s()])) == []


@pytest.mark.parametrize(
    "attribute",
    [
        pytest.param(CalicoAttribute("windows-reserved-ipam-handle"), id="windows-reserved"),
        pytest.param(CalicoAttribute("h", (("type", "somethingNew"),)), id="unknown-type"),
    ],
)
def test_calico_windows_and_unknown_allocations_count_as_in_use(attribute: CalicoAttribute) -> None:
    assert _leaks(_snapshot([_single(attribute)], pods=[pod("ns/x")], nodes=[OTHER_NODE])) == []


def test_calico_load_balancer_address_listed_by_a_service_is_in_use() -> None:
    block = _single(CalicoAttribute("lb-1"), affinity="virtual:load-balancer")
    service = Service("web", "front", type="LoadBalancer", load_balancer_ips=(ip("10.0.0.1"),))

    assert _leaks(_snapshot([block], pods=[pod("ns/x")], services=[service])) == []


def test_calico_load_balancer_address_no_service_lists_is_leaked() -> None:
    block = _single(CalicoAttribute("lb-1", (("type", "LoadBalancer"),)))
    cluster_ip = Service("web", "front", type="ClusterIP", load_balancer_ips=(ip("10.0.0.1"),))

    found = _stranded(_snapshot([block], pods=[pod("ns/x")], services=[cluster_ip]))

    assert "no LoadBalancer service lists it" in found[0].detail


@pytest.mark.parametrize(
    ("attribute", "snapshot_has"),
    [
        pytest.param(POD_ATTRIBUTE, {"nodes": [mac_k8s()]}, id="workload-without-pods"),
        pytest.param(
            CalicoAttribute(None, (("type", "ipipTunnelAddress"),)),
            {"pods": [pod("ns/x")]},
            id="tunnel-without-nodes",
        ),
        pytest.param(
            CalicoAttribute("lb", (("type", "LoadBalancer"),)),
            {"pods": [pod("ns/x")]},
            id="lb-without-services",
        ),
    ],
)
def test_calico_owners_the_snapshot_lacks_are_not_judged(
    attribute: CalicoAttribute, snapshot_has: dict[str, Any]
) -> None:
    snapshot = _snapshot([_single(attribute)], **snapshot_has)

    assert _stranded(snapshot) == []


def test_calico_address_of_a_stopped_kubevirt_vm_is_not_judged() -> None:
    vm = CalicoAttribute("k8s-pod-network.vms-fedora", (("namespace", "vms"), ("vmi-name", "fedora")))

    assert _stranded(_snapshot([_single(vm)], pods=[pod("ns/x")], nodes=[mac_k8s()])) == []


def test_calico_missing_attribute_makes_the_block_invalid_and_its_address_leaked() -> None:
    block = CalicoBlock("b", net("10.0.0.0/30"), "host:mac-k8s", (None, 3, None, None), (), (0, 2, 3))

    found = _stranded(_snapshot([block], pods=[pod("ns/x")], nodes=[mac_k8s()]))

    assert [item.rule for item in found] == ["calico-invalid-block", "calico-leaked-ip"]
    assert found[0].detail.startswith("allocation 1 indexes a nonexistent attribute 3.")
    assert found[0].release.startswith("kubectl edit ipamblocks.crd.projectcalico.org b ")
    assert found[0].owner == "host:mac-k8s"


def test_calico_missing_attribute_address_a_service_lists_is_in_use() -> None:
    block = CalicoBlock("b", net("10.0.0.0/30"), None, (None, 3, None, None), (), (0, 2, 3))
    service = Service("web", "front", type="LoadBalancer", load_balancer_ips=(ip("10.0.0.1"),))

    found = _stranded(_snapshot([block], services=[service]))

    assert [item.rule for item in found] == ["calico-invalid-block"]
    assert found[0].owner == "no affinity"


def test_calico_missing_attribute_without_pods_or_services_is_not_judged() -> None:
    block = CalicoBlock("b", net("10.0.0.0/30"), None, (None, 3, None, None), (), (0, 2, 3))

    assert [item.rule for item in _stranded(_snapshot([block]))] == ["calico-invalid-block"]


def test_calico_deleted_block_is_not_judged() -> None:
    deleted = dataclasses.replace(block_before(), deleted=True)

    assert _stranded(_snapshot([deleted], pods=[pod("ns/x")], nodes=[OTHER_NODE])) == []


def test_calico_ipv6_block_leak() -> None:
    block = _single(POD_ATTRIBUTE, cidr="fd00:10:244::/126")
    carrier = pod("ns/p", ips=("fd00:10:244::2",), node=MAC_K8S)

    assert _leaks(_snapshot([block], pods=[carrier], nodes=[mac_k8s()])) == ["fd00:10:244::1"]


def test_calico_ipv4_pod_does_not_hold_the_ipv6_address_with_the_same_low_bits() -> None:
    block = _single(POD_ATTRIBUTE, cidr="::/126")
    carrier = pod("ns/p", ips=("0.0.0.1",), node=MAC_K8S)

    assert _leaks(_snapshot([block], pods=[carrier], nodes=[mac_k8s()])) == ["::1"]


# --- judging one allocation ----------------------------------------------------------------------


def test_calico_judge_names_the_owner_in_calicoctl_words() -> None:
    snapshot = _snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()])
    live = build_liveness(snapshot)
    tunnel, apiserver, *_ = calico_allocations(block_after())

    assert judge_calico_allocation(tunnel, live, now=NOW, grace=GRACE) == (
        CalicoState.IN_USE,
        ("Node(mac-k8s)",),
    )
    assert calico_holder(apiserver, live) == "Pod(calico-apiserver/calico-apiserver-5bc5cf4559-9d6dq)"


def test_calico_split_block_decides_pod_held_addresses_without_building_them() -> None:
    snapshot = _snapshot([block_before()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()])

    held, others = split_calico_block(block_before(), build_liveness(snapshot))

    assert held == 6
    assert [str(item.address) for item in others] == ["192.168.185.0", "192.168.185.1"]


# --- handles -------------------------------------------------------------------------------------


def test_calico_handle_that_no_allocation_names_is_leaked() -> None:
    orphan = CalicoHandle("K8s-Pod-Network.Dead", (("192.168.185.0/26", 1),))

    found = _stranded(_snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()], handles=[orphan]))

    handles = [item for item in found if item.rule == "calico-leaked-handle"]
    assert [(item.owner, item.release) for item in handles] == [
        ("K8s-Pod-Network.Dead", "kubectl delete ipamhandles.crd.projectcalico.org k8s-pod-network.dead")
    ]
    assert "claims 1 in 192.168.185.0/26" in handles[0].detail


def test_calico_handles_named_in_blocks_but_absent_are_missing() -> None:
    found = _stranded(
        _snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()], handles=[nginx_handle()])
    )

    missing = [item for item in found if item.rule == "calico-missing-handle"]
    assert len(missing) == 7  # every handle of the block but nginx's; the fixture shows only that one
    assert missing[0].owner == "vxlan-tunnel-addr-mac-k8s"
    assert missing[0].release == (
        'echo \'{"apiVersion":"crd.projectcalico.org/v1","kind":"IPAMHandle","metadata":{"name":'
        '"vxlan-tunnel-addr-mac-k8s"},"spec":{"handleID":"vxlan-tunnel-addr-mac-k8s","block":'
        '{"192.168.185.0/26":1},"deleted":false}}\' | kubectl create -f -'
    )
    assert NGINX_HANDLE not in {item.owner for item in missing}


def test_calico_without_handles_in_the_snapshot_reports_none_missing() -> None:
    found = _stranded(_snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()]))

    assert found == []


def test_calico_handles_listed_empty_by_the_api_server_are_all_missing() -> None:
    snapshot = dataclasses.replace(
        _snapshot([block_after()], pods=pods_of_mac_k8s(), nodes=[mac_k8s()]),
        listed=frozenset({"calico_handles"}),
    )

    missing = [item.owner for item in _stranded(snapshot) if item.rule == "calico-missing-handle"]

    assert len(missing) == 8
    assert NGINX_HANDLE in missing


def test_calico_windows_reserved_handle_is_never_missing() -> None:
    snapshot = _snapshot(
        [_single(CalicoAttribute("windows-reserved-ipam-handle"))], handles=[CalicoHandle("other", ())]
    )

    assert [item.rule for item in _stranded(snapshot)] == ["calico-leaked-handle"]


def test_calico_handle_named_only_by_a_deleted_block_is_neither_leaked_nor_missing() -> None:
    gone = dataclasses.replace(_single(POD_ATTRIBUTE), deleted=True)
    snapshot = _snapshot([gone], handles=[CalicoHandle("k8s-pod-network.1", ())])

    assert _stranded(snapshot) == []


def test_calico_deleted_handle_is_not_judged_and_counts_as_absent() -> None:
    deleted = CalicoHandle("k8s-pod-network.1", (), deleted=True)
    snapshot = _snapshot([_single(POD_ATTRIBUTE)], handles=[deleted, CalicoHandle("unused", ())])

    assert [(item.rule, item.owner) for item in _stranded(snapshot)] == [
        ("calico-leaked-handle", "unused"),
        ("calico-missing-handle", "k8s-pod-network.1"),
    ]


def test_calico_leaked_handle_with_no_block_claims() -> None:
    found = _stranded(_snapshot([], handles=[CalicoHandle("h", ())]))

    assert "claims nothing" in found[0].detail


# --- commands name the API group the objects came from --------------------------------------------

V3 = "projectcalico.org"


def test_calico_invalid_v3_block_is_edited_in_its_own_group() -> None:
    block = CalicoBlock("b", net("10.0.0.0/30"), None, (None, 3, None, None), (), (0, 2, 3), group=V3)

    (invalid,) = _stranded(_snapshot([block]))

    assert invalid.release.startswith("kubectl edit ipamblocks.projectcalico.org b ")


def test_calico_leaked_v3_handle_is_deleted_in_its_own_group() -> None:
    found = _stranded(_snapshot([], handles=[CalicoHandle("K8s-Pod-Network.Dead", (), group=V3)]))

    assert [item.release for item in found] == [
        "kubectl delete ipamhandles.projectcalico.org k8s-pod-network.dead"
    ]


def test_calico_missing_handle_of_a_v3_block_is_created_as_a_v3_object() -> None:
    block = dataclasses.replace(block_after(), group=V3)
    handle = dataclasses.replace(nginx_handle(), group=V3)

    found = _stranded(_snapshot([block], pods=pods_of_mac_k8s(), nodes=[mac_k8s()], handles=[handle]))

    missing = [item for item in found if item.rule == "calico-missing-handle"]
    assert missing
    assert all('"apiVersion":"projectcalico.org/v3"' in item.release for item in missing)
