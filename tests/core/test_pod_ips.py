"""count_pod_ips: a cluster's pod IPs, each address once, inside its pod networks."""

from __future__ import annotations

import dataclasses

import pytest

from ipledger.core.observations import (
    CalicoAttribute,
    CalicoBlock,
    CalicoPool,
    CiliumNode,
    Node,
    Service,
    ServiceCIDR,
    ServiceIPAddress,
    Snapshot,
    WhereaboutsPool,
)
from ipledger.core.pod_ips import PodIPCount, count_pod_ips
from ipledger.core.reconcile import find_stranded, measure_pod_ips
from tests.core.k8s_factories import (
    GRACE,
    LONG_AGO,
    NOW,
    allocation,
    block_before,
    healthy_pool,
    instance_manager_6b77,
    ip,
    mac_k8s,
    net,
    pod,
    pods_of_mac_k8s,
)

POD_NETWORK = net("192.168.0.0/16")  # holds the Calico block 192.168.185.0/26 and the Whereabouts ranges


def _count(snapshot: Snapshot, *networks: str) -> PodIPCount:
    stranded = find_stranded(snapshot, now=NOW, grace=GRACE)
    return count_pod_ips(snapshot, stranded, [net(text) for text in networks])


def _calico_cluster() -> Snapshot:
    """Node mac-k8s with its pool, block 192.168.185.0/26 (tunnel at .0, the csi pod's old
    address at .1, leaked) and its pods, and the node's podCIDR around the block."""
    node = dataclasses.replace(mac_k8s(), pod_cidrs=(net("192.168.185.0/24"),))
    return Snapshot(
        taken_at=NOW,
        nodes=(node,),
        pods=pods_of_mac_k8s(),
        calico_pools=(CalicoPool("default-ipv4-ippool", POD_NETWORK, 26),),
        calico_blocks=(block_before(),),
    )


def test_count_pod_ips_counts_each_address_once_where_the_pools_nest() -> None:
    snapshot = _calico_cluster()

    counted = _count(snapshot, str(POD_NETWORK))

    # Six pods of the block (nginx, at .16, has no allocation before it started: still a pod);
    # the block allocates 8: the tunnel, the leaked .1 and six of the pods.
    assert counted == PodIPCount(allocated=9, in_use=7, stranded=1)
    # The per-pool rows hold the same addresses two and three times (block, pool, node podCIDR).
    rows = measure_pod_ips(snapshot, find_stranded(snapshot, now=NOW, grace=GRACE))
    assert sum(row.in_use for row in rows) > counted.in_use


def test_count_pod_ips_leaves_out_addresses_outside_the_networks() -> None:
    snapshot = dataclasses.replace(
        _calico_cluster(),
        services=(Service("default", "kubernetes", cluster_ips=(ip("10.96.0.1"),)),),
        service_cidrs=(ServiceCIDR("kubernetes", (net("10.96.0.0/16"),)),),
        service_ip_addresses=(ServiceIPAddress(ip("10.96.0.9"), "services", "default", "gone", LONG_AGO),),
    )

    inside = _count(snapshot, str(POD_NETWORK))
    block_only = _count(snapshot, "192.168.185.0/28")

    # The orphaned IPAddress 10.96.0.9 is stranded, but in the service network.
    assert inside == PodIPCount(allocated=9, in_use=7, stranded=1)
    assert block_only == PodIPCount(allocated=8, in_use=6, stranded=1)  # .16 (nginx) lies past the /28


@pytest.mark.parametrize(
    "networks", [pytest.param((), id="none"), pytest.param(("10.0.0.0/8", "fd00::/8"), id="elsewhere")]
)
def test_count_pod_ips_without_a_network_holding_them_counts_nothing(networks: tuple[str, ...]) -> None:
    assert _count(_calico_cluster(), *networks) == PodIPCount(0, 0, 0)


def test_count_pod_ips_running_pods_only_are_in_use() -> None:
    pods = (
        pod("default/a", ips=("10.244.2.28", "fd00:10:244:2::98de"), node="w"),
        pod("default/done", ips=("10.244.2.30",), node="w", phase="Succeeded"),
        pod("kube-system/proxy", ips=("10.244.2.31",), node="w", host_network=True),
        pod("default/twin", ips=("10.244.2.28",), node="w"),  # the same address twice counts once
    )

    counted = _count(Snapshot(taken_at=NOW, nodes=(Node("w"),), pods=pods), "10.244.0.0/16", "fd00:10::/32")

    assert counted == PodIPCount(allocated=2, in_use=2, stranded=0)


def test_count_pod_ips_of_cilium_and_whereabouts_records() -> None:
    cilium = CiliumNode(
        "w",
        pod_cidrs=(net("10.244.2.0/24"),),
        used=(
            (ip("10.244.2.1"), "router"),
            (ip("10.244.2.28"), "default/web"),
            (ip("10.244.2.40"), "default/gone"),
            (ip("fd00:10:244:2::5"), "default/web"),
        ),
    )
    offsets = WhereaboutsPool(
        "kube-system",
        "192.168.50.0-24",
        net("192.168.50.0/24"),
        (*healthy_pool().allocations, allocation("99999", None, "ns/bogus")),
    )
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=(Node("w"), Node("harv1")),
        pods=(pod("default/web", ips=("10.244.2.28", "fd00:10:244:2::5"), node="w"), instance_manager_6b77()),
        cilium_nodes=(cilium,),
        whereabouts_pools=(offsets,),
    )

    counted = _count(snapshot, "10.244.0.0/16", "fd00:10::/32", "192.168.50.0/24")

    # In use: web's two addresses and the instance manager's Multus 192.168.50.4 (its default
    # 10.52.0.67 is outside). Stranded: Cilium's .40 and Whereabouts' offset 3, whose pod is gone.
    assert counted == PodIPCount(allocated=6, in_use=3, stranded=2)


def test_count_pod_ips_skips_deleted_calico_blocks_and_held_findings() -> None:
    gone = dataclasses.replace(block_before(), name="gone", deleted=True)
    cooling = CalicoBlock(
        "10-0-0-0-30",
        net("10.0.0.0/30"),
        "host:mac-k8s",
        (0, None, None, None),
        (CalicoAttribute("h", (("pod", "gone"), ("namespace", "ns")), released_at=NOW),),
        (1, 2, 3),
    )
    snapshot = Snapshot(
        taken_at=NOW, nodes=(mac_k8s(),), pods=pods_of_mac_k8s(), calico_blocks=(gone, cooling)
    )
    held = [dataclasses.replace(item, held=True) for item in find_stranded(snapshot, now=NOW, grace=GRACE)]

    counted = count_pod_ips(snapshot, held, [POD_NETWORK, net("10.0.0.0/30")])

    # The cooling address is allocated, neither used nor stranded; the deleted block adds nothing.
    assert counted == PodIPCount(allocated=8, in_use=7, stranded=0)
