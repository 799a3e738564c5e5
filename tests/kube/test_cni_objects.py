"""Readers of Calico, Cilium, Whereabouts and MetalLB records: the published objects of the shared
fixtures read in place, the tolerated variants of real dumps, and malformed values refused with
the file, the object and the field named."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from ipledger.core.observations import (
    CalicoAffinity,
    CalicoAttribute,
    CalicoClusterInformation,
    CalicoHandle,
    CalicoNode,
    CalicoPool,
    CiliumNode,
    CiliumPool,
    MetalLBPool,
    NodeSlice,
    NodeSlicePool,
    WhereaboutsAllocation,
    WhereaboutsReservation,
)
from ipledger.core.ranges import parse_range
from ipledger.kube.dump import DumpError
from tests.kube.k8s_fixtures import kube_object, read_fixture, snapshot

CALICO_V1 = "crd.projectcalico.org/v1"
CALICO_V3 = "projectcalico.org/v3"
WHEREABOUTS = "whereabouts.cni.cncf.io/v1alpha1"


def _ips(*texts: str) -> tuple[Any, ...]:
    return tuple(ip_address(text) for text in texts)


def _nets(*texts: str) -> tuple[Any, ...]:
    return tuple(ip_network(text) for text in texts)


def _whereabouts_pool(range_: str, *offsets: Any) -> dict[str, Any]:
    allocations = {
        offset: {"id": f"c{index}", "podref": f"ns/p{index}"} for index, offset in enumerate(offsets)
    }
    return kube_object(
        "IPPool",
        "pool",
        api=WHEREABOUTS,
        namespace="kube-system",
        spec={"range": range_, "allocations": allocations},
    )


# --- Calico -----------------------------------------------------------------------------------


def test_read_calico_block_fixture_ordinals_and_attributes() -> None:
    (block,) = read_fixture("calico-IPAMBlock-crd-v1.yaml").calico_blocks

    allocated = {ordinal: index for ordinal, index in enumerate(block.ordinals) if index is not None}
    assert (block.name, block.cidr, block.host, block.deleted) == (
        "192-168-185-0-26",
        ip_network("192.168.185.0/26"),
        "mac-k8s",
        False,
    )
    assert (len(block.ordinals), allocated) == (64, {0: 0, 1: 1, 8: 2, 9: 3, 10: 4, 11: 5, 12: 6, 13: 7})
    assert block.unallocated == (*range(16, 64), 7, 14, 15, 5, 2, 3, 6, 4)
    assert block.attributes[0] == CalicoAttribute(
        "vxlan-tunnel-addr-mac-k8s", (("node", "mac-k8s"), ("type", "vxlanTunnelAddress"))
    )
    assert (block.attributes[4].get("pod"), block.attributes[4].get("timestamp")) == (
        "coredns-7f6cbbb7b8-rr9dr",
        "2022-07-26 17:15:10.43794577 +0000 UTC",
    )


def test_read_calico_block_fixture_after_allocation() -> None:
    (block,) = read_fixture("calico-IPAMBlock-list-crd-v1-after-allocation.yaml").calico_blocks
    allocated = {ordinal: index for ordinal, index in enumerate(block.ordinals) if index is not None}
    assert allocated == {0: 0, 8: 1, 9: 2, 10: 3, 11: 4, 12: 5, 13: 6, 16: 7}
    assert (block.attributes[7].get("namespace"), block.attributes[7].get("pod")) == ("default", "nginx")
    assert (len(block.unallocated), block.unallocated[-1]) == (56, 1)


def test_read_calico_block_v3_with_cooldown_and_virtual_affinity() -> None:
    spec = {
        "cidr": "fd00:10::/122",
        "affinity": "virtual:load-balancer",
        "allocations": [0, None, None, None],
        "attributes": [{"handle_id": "lb-abc", "releasedAt": "2026-11-25T09:59:00.123456789Z"}],
        "unallocated": [1, 2, 3],
        "deleted": True,
    }
    (block,) = snapshot(kube_object("IPAMBlock", "fd00-10---122", api=CALICO_V3, spec=spec)).calico_blocks
    assert (block.cidr, block.affinity, block.host, block.deleted) == (
        ip_network("fd00:10::/122"),
        "virtual:load-balancer",
        None,
        True,
    )
    assert block.attributes == (
        CalicoAttribute("lb-abc", released_at=datetime(2026, 11, 25, 9, 59, 0, 123456, tzinfo=UTC)),
    )


def test_read_calico_block_keeps_inconsistent_records_for_the_reconciler() -> None:
    spec = {"cidr": "10.0.0.0/30", "allocations": [5, None], "attributes": [], "unallocated": [1, 1]}
    (block,) = snapshot(kube_object("IPAMBlock", "b", api=CALICO_V1, spec=spec)).calico_blocks
    assert (block.ordinals, block.attributes, block.unallocated) == ((5, None), (), (1, 1))


def test_read_calico_affinity_list_fixture_with_string_deleted() -> None:
    affinities = read_fixture("calico-BlockAffinity-list-crd-v1.yaml").calico_affinities
    assert affinities == (
        CalicoAffinity("dgx04-10-233-88-0-21", "dgx04", ip_network("10.233.88.0/21"), "confirmed"),
        CalicoAffinity("dgx08-10-233-80-0-21", "dgx08", ip_network("10.233.80.0/21"), "confirmed"),
        CalicoAffinity("gpu01-10-233-64-0-19", "gpu01", ip_network("10.233.64.0/19"), "confirmed"),
    )


def test_read_calico_affinity_single_fixture() -> None:
    assert read_fixture("calico-BlockAffinity-crd-v1.yaml").calico_affinities == (
        CalicoAffinity("aakash-k8s-10-133-0-0-26", "aakash-k8s", ip_network("10.133.0.0/26"), "confirmed"),
    )


@pytest.mark.parametrize(
    ("api", "deleted", "expected"),
    [
        (CALICO_V1, "true", True),
        (CALICO_V1, "false", False),
        (CALICO_V1, "True", True),
        (CALICO_V3, True, True),
        (CALICO_V3, False, False),
        (CALICO_V3, None, False),
    ],
)
def test_read_calico_affinity_deleted_string_or_bool(api: str, deleted: Any, expected: bool) -> None:
    spec = {"node": "n1", "cidr": "10.0.0.0/26", "state": "pendingDeletion", "deleted": deleted}
    (affinity,) = snapshot(kube_object("BlockAffinity", "a", api=api, spec=spec)).calico_affinities
    assert (affinity.deleted, affinity.state) == (expected, "pendingDeletion")


def test_read_calico_handle_fixture() -> None:
    handle_id = "k8s-pod-network.cb07c78e242382171ac035d9b888454f71bb393e788f7feaa7ee13d4ead5cb34"
    assert read_fixture("calico-IPAMHandle-crd-v1.yaml").calico_handles == (
        CalicoHandle(
            handle_id,
            (("192.168.185.0/26", 1),),
            uid="2932b06f-5e97-4d01-a86f-4956a4bfcec7",
            revision="6651",
        ),
    )


def test_read_calico_block_fixture_sequence_numbers_as_published() -> None:
    (block,) = read_fixture("calico-IPAMBlock-crd-v1.yaml").calico_blocks

    numbers = dict(block.sequence_numbers)
    # Stale ordinals ("7", "14", "15") are kept as written: calicoctl only looks up allocated ones.
    assert list(numbers) == ["0", "1", "7", "8", "9", "10", "11", "12", "13", "14", "15"]
    assert (numbers["0"], numbers["13"]) == (1690113884806720472, 1690113884806720486)


@pytest.mark.parametrize(
    ("api", "ready", "expected"),
    [
        pytest.param(CALICO_V3, True, True, id="v3-ready"),
        pytest.param(CALICO_V1, "false", False, id="crd-v1-locked-string"),
        pytest.param(CALICO_V1, None, None, id="never-set"),
    ],
)
def test_read_calico_cluster_information(api: str, ready: Any, expected: bool | None) -> None:
    spec = {
        "calicoVersion": "v3.26.0",
        "clusterGUID": "3ba9573ae1ec4ef6b65a658a0583196d",
        "clusterType": "typha,kdd,k8s,operator,bgp,kubeadm",
        "datastoreReady": ready,
    }
    item = kube_object("ClusterInformation", "default", api=api, spec=spec, resourceVersion="611612")

    assert snapshot(item).calico_cluster_information == (
        CalicoClusterInformation(
            "default",
            cluster_guid="3ba9573ae1ec4ef6b65a658a0583196d",
            cluster_type="typha,kdd,k8s,operator,bgp,kubeadm",
            calico_version="v3.26.0",
            datastore_ready=expected,
            resource_version="611612",
        ),
    )


@pytest.mark.parametrize(
    ("api", "group"),
    [
        pytest.param(CALICO_V1, "crd.projectcalico.org", id="crd-v1"),
        pytest.param(CALICO_V3, "projectcalico.org", id="v3"),
    ],
)
def test_read_calico_ipam_objects_keep_the_api_group_they_came_from(api: str, group: str) -> None:
    block = kube_object("IPAMBlock", "b", api=api, spec={"cidr": "10.0.0.0/30", "allocations": [None] * 4})
    affinity = kube_object("BlockAffinity", "a", api=api, spec={"node": "n", "cidr": "10.0.0.0/30"})
    handle = kube_object("IPAMHandle", "h", api=api, spec={"handleID": "h", "block": {}})

    found = snapshot(block, affinity, handle)

    assert {
        item.group for item in (*found.calico_blocks, *found.calico_affinities, *found.calico_handles)
    } == {group}


def test_read_calico_v3_nodes_of_the_confd_fixture_have_no_tunnel_addresses() -> None:
    nodes = read_fixture("calico-IPPool-v3-list-confd-testdata.yaml").calico_nodes

    assert nodes == (
        CalicoNode("kube-master"),
        CalicoNode("kube-node-1"),
        CalicoNode("kube-node-2"),
    )


def test_read_calico_v3_node_tunnel_addresses_as_calicoctl_counts_them() -> None:
    spec = {
        "bgp": {"ipv4Address": "10.192.0.3/16", "ipv4IPIPTunnelAddr": "192.168.0.1"},
        "ipv4VXLANTunnelAddr": "192.168.0.2",
        "ipv6VXLANTunnelAddr": "fd00::2",
        "wireguard": {"interfaceIPv4Address": "192.168.0.3", "interfaceIPv6Address": "fd00::3"},
    }
    (node,) = snapshot(kube_object("Node", "kube-node-1", api=CALICO_V3, spec=spec)).calico_nodes

    assert node == CalicoNode(
        "kube-node-1", _ips("192.168.0.2", "fd00::2", "192.168.0.1", "192.168.0.3", "fd00::3")
    )


def test_read_calico_group_from_a_typed_list_whose_items_name_none() -> None:
    listed = {
        "apiVersion": CALICO_V3,
        "kind": "IPAMHandleList",
        "items": [{"metadata": {"name": "h"}, "spec": {"handleID": "h", "block": {}}}],
    }

    assert [handle.group for handle in snapshot(listed).calico_handles] == ["projectcalico.org"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "calico-IPPool-crd-v1-namespace-pool.yaml",
            (CalicoPool("ns1-ippool", ip_network("10.233.128.0/26"), 29, node_selector="!all()"),),
            id="crd-v1",
        ),
        pytest.param(
            "calico-IPPool-v3-docs-sample.yaml",
            (CalicoPool("my.ippool-1", ip_network("10.1.0.0/16"), 26),),
            id="v3-docs-trailing-space",
        ),
        pytest.param(
            "calico-IPPool-v3-dump.yaml",
            (CalicoPool("default-ipv4-ippool", ip_network("192.168.0.0/16"), 26),),
            id="v3-dump",
        ),
    ],
)
def test_read_calico_pool_fixtures(name: str, expected: tuple[CalicoPool, ...]) -> None:
    assert read_fixture(name).calico_pools == expected


def test_read_calico_pool_multi_document_defaults_by_family() -> None:
    pools = read_fixture("calico-IPPool-v3-list-confd-testdata.yaml").calico_pools
    assert [(pool.name, pool.block_size) for pool in pools] == [
        ("ippoolv4-1", 26),
        ("ippoolv4-2", 26),
        ("ippoolv4-3", 26),
        ("ippoolv6-1", 122),
        ("ippoolv6-2", 122),
    ]


def test_read_calico_pool_disabled_load_balancer_pool() -> None:
    spec = {"cidr": "198.51.100.0/24", "disabled": "true", "allowedUses": ["LoadBalancer"], "blockSize": 32}
    (found,) = snapshot(kube_object("IPPool", "lb", api=CALICO_V3, spec=spec)).calico_pools
    assert found == CalicoPool(
        "lb", ip_network("198.51.100.0/24"), 32, disabled=True, allowed_uses=("LoadBalancer",)
    )


# --- Cilium -----------------------------------------------------------------------------------


def test_read_cilium_node_crd_mode_fixture_used_owners() -> None:
    assert read_fixture("cilium-CiliumNode-crd-mode-docs.yaml").cilium_nodes == (
        CiliumNode(
            "k8s1", used=((ip_address("192.168.1.1"), "router"), (ip_address("192.168.1.3"), "health"))
        ),
    )


def test_read_cilium_node_dual_stack_fixture() -> None:
    first = read_fixture("List-Node-CiliumNode-dualstack-kind.yaml").cilium_nodes[0]
    assert first == CiliumNode(
        "dual-stack-control-plane",
        pod_cidrs=_nets("10.244.0.0/24", "fd00:10:244::/64"),
        internal_ips=_ips("10.244.0.108", "fd00:10:244::5d6d"),
        health_ips=_ips("10.244.0.86", "fd00:10:244::37bd"),
    )


def test_read_cilium_node_multi_pool_allocations() -> None:
    spec = {"ipam": {"pools": {"allocated": [{"pool": "mars", "cidrs": ["10.20.0.0/27", "10.20.0.32/27"]}]}}}
    status = {"ipam": {"used": {"10.20.0.5": {"owner": "default/web-1", "resource": "x"}}}}
    (node,) = snapshot(
        kube_object("CiliumNode", "n1", api="cilium.io/v2", spec=spec, status=status)
    ).cilium_nodes
    assert (node.pool_cidrs, node.used) == (
        (("mars", ip_network("10.20.0.0/27")), ("mars", ip_network("10.20.0.32/27"))),
        ((ip_address("10.20.0.5"), "default/web-1"),),
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "cilium-CiliumPodIPPool-docs-green-pool.yaml",
            (
                CiliumPool(
                    "green-pool", _nets("10.20.0.0/16", "10.30.0.0/16", "fd00::/104"), ((4, 24), (6, 120))
                ),
            ),
            id="dual-stack",
        ),
        pytest.param(
            "cilium-CiliumPodIPPool-docs-default-and-mars.yaml",
            (
                CiliumPool("default", _nets("10.10.0.0/16"), ((4, 27),)),
                CiliumPool("mars", _nets("10.20.0.0/16"), ((4, 27),)),
            ),
            id="two-documents",
        ),
        pytest.param(
            "cilium-CiliumPodIPPool-issue39874.yaml",
            (
                CiliumPool(
                    "my-pool",
                    _nets("10.84.208.192/27", "10.84.208.224/27", "10.84.212.32/27", "10.84.212.64/27"),
                    ((4, 32),),
                ),
            ),
            id="mask-32",
        ),
    ],
)
def test_read_cilium_pool_fixtures(name: str, expected: tuple[CiliumPool, ...]) -> None:
    assert read_fixture(name).cilium_pools == expected


def test_read_cilium_pool_v2() -> None:
    spec = {"ipv6": {"cidrs": ["fd00:20::/104"], "maskSize": 120}}
    (found,) = snapshot(kube_object("CiliumPodIPPool", "p", api="cilium.io/v2", spec=spec)).cilium_pools
    assert found == CiliumPool("p", _nets("fd00:20::/104"), ((6, 120),))


# --- Whereabouts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "whereabouts-IPPool-list-healthy.yaml",
            [("3", "192.168.50.3"), ("4", "192.168.50.4")],
            id="healthy",
        ),
        pytest.param(
            "whereabouts-IPPool-list-stranded.yaml",
            [("4", "192.168.50.4"), ("5", "192.168.50.5")],
            id="stranded",
        ),
        pytest.param(
            "whereabouts-IPPool-list-dualstack.yaml",
            [
                ("100", "192.168.40.100"),
                ("101", "192.168.40.101"),
                ("256", "fd69:6684:61a:2::100"),
                ("257", "fd69:6684:61a:2::101"),
            ],
            id="dual-stack",
        ),
    ],
)
def test_read_whereabouts_pool_fixture_offsets(name: str, expected: list[tuple[str, str]]) -> None:
    pools = read_fixture(name).whereabouts_pools
    found = [(entry.offset, entry.address) for pool in pools for entry in pool.allocations]
    assert found == [(offset, ip_address(address)) for offset, address in expected]


def test_read_whereabouts_pool_stranded_fixture_holders() -> None:
    (pool,) = read_fixture("whereabouts-IPPool-list-stranded.yaml").whereabouts_pools
    assert (pool.namespace, pool.name, pool.range) == (
        "kube-system",
        "192.168.50.0-24",
        ip_network("192.168.50.0/24"),
    )
    assert pool.allocations[1] == WhereaboutsAllocation(
        offset="5",
        address=ip_address("192.168.50.5"),
        container_id="dca28ab564df675a568a004a8f35edf0e49748c806a4e1180f152bbd07b5f0b7",
        podref="longhorn-system/instance-manager-f6e4865355e8386452e45fc74a445e86",
        ifname="lhnet1",
    )


def test_read_whereabouts_pool_dual_stack_fixture_ipv6_pool_name() -> None:
    pools = read_fixture("whereabouts-IPPool-list-dualstack.yaml").whereabouts_pools
    assert [(pool.name, pool.range) for pool in pools] == [
        ("192.168.40.0-24", ip_network("192.168.40.0/24")),
        ("fd69-6684-61a-2---64", ip_network("fd69:6684:61a:2::/64")),
    ]


def test_read_whereabouts_pool_bogus_offset_fixture_gives_no_address() -> None:
    (pool,) = read_fixture("whereabouts-IPPool-bogus-offset-issue403.yaml").whereabouts_pools
    (entry,) = pool.allocations
    assert (entry.offset, entry.address, entry.podref) == (
        "18446463705355360228",
        None,
        "ns/ns-pod-9876543210-ddr9n",
    )


@pytest.mark.parametrize(
    ("range_", "offset", "expected"),
    [
        pytest.param("192.168.50.0/24", "0", "192.168.50.0", id="zero"),
        pytest.param("192.168.50.0/24", "255", "192.168.50.255", id="last"),
        pytest.param("192.168.50.0/24", "256", None, id="past-the-end"),
        pytest.param("192.168.50.0/24", "-1", None, id="negative"),
        pytest.param("192.168.50.0/24", "+5", "192.168.50.5", id="go-plus-sign"),
        pytest.param("192.168.50.0/24", "007", "192.168.50.7", id="leading-zeros"),
        pytest.param("192.168.50.0/24", "abc", None, id="not-a-number"),
        pytest.param("192.168.50.0/24", "1_0", None, id="python-only-digits"),
        pytest.param("192.168.50.0/24", 7, "192.168.50.7", id="unquoted-yaml-key"),
        pytest.param("192.168.50.0/24", "9" * 5000, None, id="huge"),
        pytest.param("10.0.0.0/32", "0", "10.0.0.0", id="slash-32"),
        pytest.param("fd69:6684:61a:2::/64", "256", "fd69:6684:61a:2::100", id="ipv6"),
        pytest.param(
            "fd69:6684:61a:2::/64", str(2**63 - 1), "fd69:6684:61a:2:7fff:ffff:ffff:ffff", id="int64-max"
        ),
        pytest.param("fd69:6684:61a:2::/64", str(2**63), None, id="beyond-int64"),
        pytest.param("::/0", "1", "::1", id="ipv6-slash-0"),
    ],
)
def test_read_whereabouts_pool_offset_to_address(range_: str, offset: Any, expected: str | None) -> None:
    (pool,) = snapshot(_whereabouts_pool(range_, offset)).whereabouts_pools
    (entry,) = pool.allocations
    assert (entry.offset, entry.address) == (str(offset), None if expected is None else ip_address(expected))


def test_read_whereabouts_reservation_list_fixture() -> None:
    reservations = read_fixture(
        "whereabouts-OverlappingRangeIPReservation-list.yaml"
    ).whereabouts_reservations
    assert [(r.address, r.podref.split("/")[1][:16]) for r in reservations] == [
        (ip_address("192.168.50.3"), "bim-4ba2e66a1eda"),
        (ip_address("192.168.50.4"), "bim-d29cffa6648c"),
        (ip_address("192.168.50.5"), "instance-manager"),
        (ip_address("192.168.50.6"), "instance-manager"),
    ]
    assert reservations[0] == WhereaboutsReservation(
        "kube-system",
        "192.168.50.3",
        ip_address("192.168.50.3"),
        "longhorn-system/bim-4ba2e66a1eda4c99916dc8ffe6a770c5a54d7602539e13e9847c0fd33d907432",
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("192.168.50.3", "192.168.50.3", id="ipv4"),
        pytest.param("fd69-6684-61a-2--100", "fd69:6684:61a:2::100", id="ipv6"),
        pytest.param("fd00--0", "fd00::", id="ipv6-trailing-zero"),
        pytest.param("storage-net-192.168.50.3", "192.168.50.3", id="named-network-ipv4"),
        pytest.param("storage-net-fd00--5", "fd00::5", id="named-network-ipv6"),
        pytest.param("not-an-address", None, id="garbage"),
    ],
)
def test_read_whereabouts_reservation_address_from_name(name: str, expected: str | None) -> None:
    item = kube_object(
        "OverlappingRangeIPReservation",
        name,
        api=WHEREABOUTS,
        namespace="kube-system",
        spec={"podref": "ns/p", "containerid": "abc"},
    )
    (found,) = snapshot(item).whereabouts_reservations
    assert (found.address, found.podref, found.container_id) == (
        None if expected is None else ip_address(expected),
        "ns/p",
        "abc",
    )


def test_read_node_slice_pool_range_and_slices_free_and_taken() -> None:
    status = {
        "allocations": [
            {"nodeName": "node-1", "sliceRange": "10.128.0.0/26"},
            {"nodeName": "", "sliceRange": "10.128.0.64/26"},
        ]
    }
    item = kube_object(
        "NodeSlicePool",
        "net1",
        api=WHEREABOUTS,
        namespace="kube-system",
        spec={"range": "10.128.0.0/24", "sliceSize": "/26"},
        status=status,
    )
    assert snapshot(item).node_slice_pools == (
        NodeSlicePool(
            "kube-system",
            "net1",
            ip_network("10.128.0.0/24"),
            (
                NodeSlice("net1", ip_network("10.128.0.0/26"), "node-1"),
                NodeSlice("net1", ip_network("10.128.0.64/26"), ""),
            ),
        ),
    )


def test_read_node_slice_pool_refuses_a_range_that_is_no_cidr() -> None:
    item = kube_object(
        "NodeSlicePool", "net1", api=WHEREABOUTS, namespace="kube-system", spec={"sliceSize": "/26"}
    )

    with pytest.raises(DumpError, match=r"\(NodeSlicePool kube-system/net1\): spec\.range: "):
        snapshot(item)


# --- MetalLB ----------------------------------------------------------------------------------


def test_read_metallb_pool_cidr_range_and_ipv6_fixture() -> None:
    assert read_fixture("metallb-IPAddressPool-simple.yaml").metallb_pools == (
        MetalLBPool(
            "metallb-system",
            "example",
            (
                ip_network("192.168.10.0/24"),
                parse_range("192.168.9.1-192.168.9.5"),
                ip_network("fc00:f853:ccd:e799::/124"),
            ),
        ),
    )


def test_read_metallb_pool_with_selector_fixture() -> None:
    (found,) = read_fixture("metallb-IPAddressPool-with-selector.yaml").metallb_pools
    assert (found.name, found.addresses, found.auto_assign) == (
        "ippool-ns-service-alloc-sample",
        _nets("192.168.20.0/24"),
        True,
    )


@pytest.mark.parametrize(
    ("value", "expected"), [(False, False), ("false", False), (True, True), (None, True)]
)
def test_read_metallb_pool_auto_assign(value: Any, expected: bool) -> None:
    spec = {"addresses": ["fc00::1 - fc00::5"], "autoAssign": value}
    (found,) = snapshot(kube_object("IPAddressPool", "p", api="metallb.io/v1beta1", spec=spec)).metallb_pools
    assert (found.auto_assign, found.addresses) == (expected, (parse_range("fc00::1-fc00::5"),))


# --- malformed values -------------------------------------------------------------------------


def _calico(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return kube_object(kind, "c1", api=CALICO_V1, spec=spec)


MALFORMED = [
    pytest.param(
        _calico("IPAMBlock", {"cidr": "10.0.0.0/33"}),
        "IPAMBlock c1",
        "spec.cidr",
        "prefix length",
        id="block-cidr",
    ),
    pytest.param(
        _calico("IPAMBlock", {"allocations": [0, None]}),
        "IPAMBlock c1",
        "spec.cidr",
        "expected a CIDR",
        id="block-no-cidr",
    ),
    pytest.param(
        _calico("IPAMBlock", {"cidr": "10.0.0.0/30", "allocations": [0, -1]}),
        "IPAMBlock c1",
        "spec.allocations[1]",
        "-1",
        id="ordinal",
    ),
    pytest.param(
        _calico("IPAMBlock", {"cidr": "10.0.0.0/30", "attributes": ["h"]}),
        "IPAMBlock c1",
        "spec.attributes[0]",
        "mapping",
        id="attribute",
    ),
    pytest.param(
        _calico("IPAMBlock", {"cidr": "10.0.0.0/30", "attributes": [{"releasedAt": "soon"}]}),
        "IPAMBlock c1",
        "spec.attributes[0].releasedAt",
        "'soon'",
        id="released-at",
    ),
    pytest.param(
        _calico("IPAMBlock", {"cidr": "10.0.0.0/30", "unallocated": "1,2"}),
        "IPAMBlock c1",
        "spec.unallocated",
        "expected a list",
        id="unallocated",
    ),
    pytest.param(
        _calico("BlockAffinity", {"cidr": "10.0.0.0/26", "deleted": "maybe"}),
        "BlockAffinity c1",
        "spec.deleted",
        "'maybe'",
        id="affinity-deleted",
    ),
    pytest.param(
        _calico("IPAMHandle", {"block": {"10.0.0.0/26": "many"}}),
        "IPAMHandle c1",
        "spec.block['10.0.0.0/26']",
        "'many'",
        id="handle-count",
    ),
    pytest.param(
        _calico("IPPool", {"cidr": "10.0.0.0/16", "blockSize": 40}),
        "IPPool c1",
        "spec.blockSize",
        "from 0 to 32",
        id="block-size",
    ),
    pytest.param(
        kube_object("CiliumNode", "n1", api="cilium.io/v2", status={"ipam": {"used": {"nope": {}}}}),
        "CiliumNode n1",
        "status.ipam.used['nope']",
        "'nope'",
        id="cilium-used",
    ),
    pytest.param(
        kube_object("CiliumNode", "n1", api="cilium.io/v2", spec={"health": {"ipv4": "10.0.0.300"}}),
        "CiliumNode n1",
        "spec.health.ipv4",
        "'10.0.0.300'",
        id="cilium-health",
    ),
    pytest.param(
        kube_object(
            "CiliumPodIPPool", "p", api="cilium.io/v2alpha1", spec={"ipv4": {"cidrs": ["10.0.0.1/8"]}}
        ),
        "CiliumPodIPPool p",
        "spec.ipv4.cidrs[0]",
        "did you mean 10.0.0.0/8?",
        id="cilium-pool",
    ),
    pytest.param(
        kube_object("IPPool", "w", api=WHEREABOUTS, namespace="kube-system", spec={"allocations": {}}),
        "IPPool kube-system/w",
        "spec.range",
        "expected a CIDR",
        id="whereabouts-range",
    ),
    pytest.param(
        kube_object(
            "IPPool",
            "w",
            api=WHEREABOUTS,
            namespace="kube-system",
            spec={"range": "10.0.0.0/24", "allocations": {"1": "ns/p"}},
        ),
        "IPPool kube-system/w",
        "spec.allocations['1']",
        "mapping",
        id="whereabouts-holder",
    ),
    pytest.param(
        kube_object(
            "NodeSlicePool",
            "s",
            api=WHEREABOUTS,
            status={"allocations": [{"nodeName": "n", "sliceRange": "x"}]},
        ),
        "NodeSlicePool s",
        "status.allocations[0].sliceRange",
        "'x'",
        id="node-slice",
    ),
    pytest.param(
        kube_object(
            "IPAddressPool", "m", api="metallb.io/v1beta1", spec={"addresses": ["192.168.9.5-192.168.9.1"]}
        ),
        "IPAddressPool m",
        "spec.addresses[0]",
        "start is after end",
        id="metallb-range",
    ),
    pytest.param(
        kube_object(
            "IPAddressPool",
            "m",
            api="metallb.io/v1beta1",
            spec={"addresses": ["192.168.10.0/24", "192.168.10.1/24"]},
        ),
        "IPAddressPool m",
        "spec.addresses[1]",
        "host bits set",
        id="metallb-host-bits",
    ),
]


@pytest.mark.parametrize(("item", "label", "field", "detail"), MALFORMED)
def test_cni_readers_refuse_malformed_values(
    item: dict[str, Any], label: str, field: str, detail: str
) -> None:
    with pytest.raises(DumpError) as caught:
        snapshot(item, source="cni.yaml")
    assert str(caught.value).startswith(f"cni.yaml, [0] ({label}): {field}: ")
    assert detail in caught.value.detail
