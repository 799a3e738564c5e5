"""find_stranded over whole snapshots, and measure_pod_ips: real usage per pool."""

from __future__ import annotations

import dataclasses
import ipaddress
from datetime import timedelta

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.observations import (
    CalicoAttribute,
    CalicoBlock,
    CalicoPool,
    CiliumNode,
    CiliumPool,
    MetalLBPool,
    Node,
    NodeSlice,
    NodeSlicePool,
    Pod,
    Service,
    ServiceCIDR,
    ServiceIPAddress,
    Snapshot,
    WhereaboutsAllocation,
    WhereaboutsPool,
)
from ipledger.core.ranges import parse_range
from ipledger.core.reconcile import PoolUsage, find_stranded, measure_pod_ips
from ipledger.core.stranded import Stranded
from tests.core.k8s_factories import (
    IM_6B77,
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
    storage_pool,
    stranded_pool,
)

KUBERNETES = Service("default", "kubernetes", cluster_ips=(ip("10.96.0.1"),))


# --- find_stranded -------------------------------------------------------------------------------


def test_find_stranded_runs_every_cni_in_a_fixed_order() -> None:
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=(mac_k8s(),),
        pods=(*pods_of_mac_k8s(), instance_manager_6b77()),
        services=(KUBERNETES,),
        service_ip_addresses=(ServiceIPAddress(ip("10.96.0.5"), "services", "default", "test-3", LONG_AGO),),
        calico_blocks=(block_before(),),
        cilium_nodes=(CiliumNode("gone"),),
        whereabouts_pools=(stranded_pool(),),
    )

    found = find_stranded(snapshot, now=NOW)

    assert [(item.cni, item.rule) for item in found] == [
        ("whereabouts", "whereabouts-pod-gone"),
        ("whereabouts", "whereabouts-pod-gone"),
        ("calico", "calico-leaked-ip"),
        ("kubernetes", "service-ipaddress-orphan"),
        ("cilium", "cilium-node-gone"),
    ]


def test_find_stranded_of_an_empty_snapshot_is_empty() -> None:
    assert find_stranded(Snapshot(taken_at=NOW), now=NOW) == ()


def test_find_stranded_without_pods_or_nodes_calls_nothing_stranded() -> None:
    snapshot = Snapshot(taken_at=NOW, calico_blocks=(block_before(),), whereabouts_pools=(stranded_pool(),))

    assert find_stranded(snapshot, now=NOW) == ()


def test_find_stranded_grace_zero_judges_young_pods() -> None:
    young = instance_manager_6b77(secondary=(), created=NOW - timedelta(seconds=5))
    snapshot = Snapshot(
        taken_at=NOW,
        pods=(young,),
        whereabouts_pools=(storage_pool(allocation("4", "192.168.50.4", IM_6B77)),),
    )

    assert find_stranded(snapshot, now=NOW) == ()
    assert len(find_stranded(snapshot, now=NOW, grace=timedelta(0))) == 1


def test_find_stranded_refuses_a_negative_grace_period() -> None:
    with pytest.raises(InvalidInputError, match="grace period -1 day, 23:59:00 is negative"):
        find_stranded(Snapshot(taken_at=NOW), now=NOW, grace=timedelta(minutes=-1))


def test_find_stranded_processes_150000_allocations() -> None:
    # A sanity check of scale only; the benchmarks measure the speed.
    count, nodes = 150_000, 5_000
    base = int(ipaddress.ip_address("100.64.0.0"))
    addresses = [ipaddress.IPv4Address(base + index) for index in range(count)]
    pods = tuple(
        Pod(
            "ns",
            f"p{index}",
            node=f"n{index % nodes}",
            phase="Running",
            secondary_ips=(addresses[index],),
            created=LONG_AGO,
        )
        for index in range(count)
        if index % 100
    )
    entries = tuple(
        WhereaboutsAllocation(str(index), addresses[index], f"c{index}", f"ns/p{index}")
        for index in range(count)
    )
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=tuple(Node(f"n{index}") for index in range(nodes)),
        pods=pods,
        whereabouts_pools=(WhereaboutsPool("kube-system", "100.64.0.0-14", net("100.64.0.0/14"), entries),),
    )

    found = find_stranded(snapshot, now=NOW)

    assert len(found) == count // 100
    assert {item.rule for item in found} == {"whereabouts-pod-gone"}


# --- measure_pod_ips -----------------------------------------------------------------------------


def _measure(snapshot: Snapshot) -> list[PoolUsage]:
    return list(measure_pod_ips(snapshot, find_stranded(snapshot, now=NOW)))


def test_measure_node_pod_cidrs_count_the_pods_of_that_node() -> None:
    worker = Node("dual-stack-worker", pod_cidrs=(net("10.244.2.0/24"), net("fd00:10:244:2::/64")))
    pods = (
        pod("default/a", ips=("10.244.2.28", "fd00:10:244:2::98de"), node=worker.name),
        pod("default/b", ips=("10.244.2.29",), node=worker.name),
        pod("default/done", ips=("10.244.2.30",), node=worker.name, phase="Succeeded"),
        pod("kube-system/proxy", ips=("172.18.0.8",), node=worker.name, host_network=True),
        pod("default/elsewhere", ips=("10.244.2.31",), node="dual-stack-worker2"),
        pod("default/unscheduled", node=""),
    )

    rows = _measure(Snapshot(taken_at=NOW, nodes=(worker,), pods=pods))

    assert rows == [
        PoolUsage("pod-cidr", "dual-stack-worker", net("10.244.2.0/24"), 256, 3, 2, 0, "dual-stack-worker"),
        PoolUsage(
            "pod-cidr", "dual-stack-worker", net("fd00:10:244:2::/64"), 1 << 64, 1, 1, 0, "dual-stack-worker"
        ),
    ]


def test_measure_calico_block_and_pool() -> None:
    cooling = CalicoAttribute("h", (("pod", "gone"), ("namespace", "ns")), released_at=NOW)
    cooling_block = CalicoBlock(
        "10-0-0-0-30", net("10.0.0.0/30"), "host:mac-k8s", (0, None, None, None), (cooling,), (1, 2, 3)
    )
    snapshot = Snapshot(
        taken_at=NOW,
        nodes=(mac_k8s(),),
        pods=pods_of_mac_k8s(),
        calico_pools=(
            CalicoPool("default-ipv4-ippool", net("192.168.0.0/16"), 26),
            CalicoPool("v6", net("fd00::/48"), 122),
        ),
        calico_blocks=(
            block_before(),
            cooling_block,
            dataclasses.replace(block_before(), name="gone", deleted=True),
        ),
    )

    rows = _measure(snapshot)

    assert rows == [
        PoolUsage("calico-block", "192-168-185-0-26", net("192.168.185.0/26"), 64, 8, 7, 1, "mac-k8s"),
        PoolUsage("calico-block", "10-0-0-0-30", net("10.0.0.0/30"), 4, 1, 0, 0, "mac-k8s"),
        PoolUsage("calico-pool", "default-ipv4-ippool", net("192.168.0.0/16"), 65536, 8, 7, 1),
        PoolUsage("calico-pool", "v6", net("fd00::/48"), 1 << 80, 0, 0, 0),
    ]


def test_measure_cilium_node_cidrs() -> None:
    node = CiliumNode(
        "dual-stack-worker",
        pod_cidrs=(net("10.244.2.0/24"),),
        used=(
            (ip("10.244.2.1"), "router"),
            (ip("10.244.2.3"), "health"),
            (ip("10.244.2.28"), "default/web"),
            (ip("10.244.2.40"), "default/gone"),
            (ip("10.10.0.5"), "default/pooled"),
        ),
        pool_cidrs=(("default", net("10.10.0.0/27")),),
    )
    pods = (pod("default/web", ips=("10.244.2.28",)), pod("default/pooled", ips=("10.10.0.5",)))

    rows = _measure(
        Snapshot(taken_at=NOW, nodes=(Node("dual-stack-worker"),), pods=pods, cilium_nodes=(node,))
    )

    assert rows == [
        PoolUsage(
            "cilium-node", "dual-stack-worker", net("10.244.2.0/24"), 256, 4, 3, 1, "dual-stack-worker"
        ),
        PoolUsage(
            "cilium-node",
            "dual-stack-worker (default)",
            net("10.10.0.0/27"),
            32,
            1,
            1,
            0,
            "dual-stack-worker",
        ),
    ]


def test_measure_cilium_pod_ip_pools_of_multi_pool_nodes() -> None:
    # The Cilium docs' pools; worker-1 was lent 10.20.0.0/27 of mars and 10.10.0.0/27 of default.
    pools = (
        CiliumPool("default", (net("10.10.0.0/16"),), ((4, 27),)),
        CiliumPool("mars", (net("10.20.0.0/16"),), ((4, 27),)),
    )
    node = CiliumNode(
        "worker-1",
        used=(
            (ip("10.10.0.1"), "router"),
            (ip("10.10.0.5"), "default/web"),
            (ip("10.20.0.7"), "mars/rover"),
            (ip("10.20.0.9"), "mars/gone"),
        ),
        pool_cidrs=(("default", net("10.10.0.0/27")), ("mars", net("10.20.0.0/27"))),
    )
    pods = (pod("default/web", ips=("10.10.0.5",)), pod("mars/rover", ips=("10.20.0.7",)))

    rows = _measure(
        Snapshot(taken_at=NOW, nodes=(Node("worker-1"),), pods=pods, cilium_nodes=(node,), cilium_pools=pools)
    )

    assert [row for row in rows if row.kind == "cilium-pool"] == [
        PoolUsage("cilium-pool", "default", net("10.10.0.0/16"), 65536, 2, 2, 0),
        PoolUsage("cilium-pool", "mars", net("10.20.0.0/16"), 65536, 2, 1, 1),
    ]


def test_measure_whereabouts_node_slice_pool_and_each_nodes_slice() -> None:
    slices = (
        NodeSlice("net1", net("192.168.50.0/28"), "harv1"),
        NodeSlice("net1", net("192.168.50.16/28"), "harv2"),
        NodeSlice("net1", net("192.168.50.32/28"), ""),
    )
    sliced = NodeSlicePool("kube-system", "net1", net("192.168.50.0/24"), slices)
    # In node-slice mode each node's IPPool covers its slice: harv1 holds .3 and .4.
    harv1 = WhereaboutsPool(
        "kube-system", "harv1-192.168.50.0-28", net("192.168.50.0/28"), healthy_pool().allocations
    )

    rows = _measure(
        Snapshot(
            taken_at=NOW,
            pods=(instance_manager_6b77(),),
            whereabouts_pools=(harv1,),
            node_slice_pools=(sliced,),
        )
    )

    assert [row for row in rows if row.kind.startswith("whereabouts-slice")] == [
        PoolUsage("whereabouts-slice-pool", "kube-system/net1", net("192.168.50.0/24"), 256, 2, 1, 1),
        PoolUsage(
            "whereabouts-slice", "kube-system/net1 harv1", net("192.168.50.0/28"), 16, 2, 1, 1, "harv1"
        ),
        PoolUsage(
            "whereabouts-slice", "kube-system/net1 harv2", net("192.168.50.16/28"), 16, 0, 0, 0, "harv2"
        ),
    ]


def test_measure_whereabouts_pool() -> None:
    bogus = allocation("99999", None, "ns/x")
    pool = WhereaboutsPool(
        "kube-system", "192.168.50.0-24", net("192.168.50.0/24"), (*healthy_pool().allocations, bogus)
    )

    rows = _measure(Snapshot(taken_at=NOW, pods=(instance_manager_6b77(),), whereabouts_pools=(pool,)))

    assert rows == [
        PoolUsage("whereabouts-pool", "kube-system/192.168.50.0-24", net("192.168.50.0/24"), 256, 2, 1, 1)
    ]


def test_measure_metallb_pool_entries() -> None:
    pool = MetalLBPool(
        "metallb-system",
        "example",
        (
            net("192.168.10.0/24"),
            parse_range("192.168.9.1-192.168.9.5"),
            parse_range("192.168.8.0-192.168.8.3"),
            net("fc00:f853:ccd:e799::/124"),
        ),
    )
    services = (
        Service(
            "web", "front", type="LoadBalancer", load_balancer_ips=(ip("192.168.10.1"), ip("192.168.9.3"))
        ),
        Service("web", "old", type="ClusterIP", load_balancer_ips=(ip("192.168.10.2"),)),
    )

    rows = _measure(Snapshot(taken_at=NOW, services=services, metallb_pools=(pool,)))

    assert rows == [
        PoolUsage("metallb-pool", "metallb-system/example", net("192.168.10.0/24"), 256, 1, 1, 0),
        PoolUsage("metallb-pool", "metallb-system/example 192.168.9.1-192.168.9.5", None, 5, 1, 1, 0),
        PoolUsage("metallb-pool", "metallb-system/example", net("192.168.8.0/30"), 4, 0, 0, 0),
        PoolUsage("metallb-pool", "metallb-system/example", net("fc00:f853:ccd:e799::/124"), 16, 0, 0, 0),
    ]


def test_measure_service_cidr_counts_ipaddress_objects_as_allocated() -> None:
    snapshot = Snapshot(
        taken_at=NOW,
        services=(KUBERNETES, Service("default", "test-1", cluster_ips=(ip("10.96.0.11"), ip("fd00:96::b")))),
        service_cidrs=(ServiceCIDR("kubernetes", (net("10.96.0.0/28"), net("fd00:96::/112"))),),
        service_ip_addresses=(
            ServiceIPAddress(ip("10.96.0.1"), "services", "default", "kubernetes", LONG_AGO),
            ServiceIPAddress(ip("10.96.0.11"), "services", "default", "test-1", LONG_AGO),
            ServiceIPAddress(ip("10.96.0.5"), "services", "default", "test-3", LONG_AGO),
        ),
    )

    rows = _measure(snapshot)

    assert rows == [
        PoolUsage("service-cidr", "kubernetes", net("10.96.0.0/28"), 16, 3, 2, 1),
        PoolUsage("service-cidr", "kubernetes", net("fd00:96::/112"), 65536, 0, 1, 0),
    ]


def test_measure_service_cidr_without_ipaddress_objects_counts_cluster_ips() -> None:
    snapshot = Snapshot(
        taken_at=NOW,
        services=(KUBERNETES,),
        service_cidrs=(ServiceCIDR("kubernetes", (net("10.96.0.0/28"),)),),
    )

    assert _measure(snapshot) == [PoolUsage("service-cidr", "kubernetes", net("10.96.0.0/28"), 16, 1, 1, 0)]


def test_measure_counts_each_stranded_address_once_and_skips_held_ones() -> None:
    pool = storage_pool(allocation("4", "192.168.50.4", "ns/gone"), allocation("5", "192.168.50.5", IM_6B77))
    snapshot = Snapshot(
        taken_at=NOW, pods=(instance_manager_6b77(secondary=("192.168.50.5",)),), whereabouts_pools=(pool,)
    )
    stranded = find_stranded(snapshot, now=NOW)
    held = Stranded(
        "whereabouts",
        "whereabouts-allocation-without-reservation",
        ip("192.168.50.5"),
        "p",
        "o",
        "d",
        "r",
        held=True,
    )

    (row,) = measure_pod_ips(snapshot, (*stranded, *stranded, held))

    assert (row.allocated, row.in_use, row.stranded) == (2, 1, 1)
