"""Drift between a cluster's snapshot and the networks the ledger documents for it."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from ipledger.core.drift import Documented, find_drift
from ipledger.core.findings import Finding, Severity
from ipledger.core.observations import (
    CalicoBlock,
    CalicoPool,
    CiliumNode,
    CiliumPool,
    MetalLBPool,
    Node,
    NodeSlicePool,
    Pod,
    Service,
    ServiceCIDR,
    Snapshot,
    WhereaboutsPool,
)
from ipledger.core.ranges import parse_range
from tests.core.k8s_factories import NOW, ip, net, pod

KIND = Documented(
    "kind",
    pod=(net("10.244.0.0/16"), net("fd00:10:244::/56")),
    service=(net("10.96.0.0/16"),),
    node=(net("172.18.0.0/16"),),
    loadbalancer=(net("192.168.10.0/24"), parse_range("192.168.9.1-192.168.9.5")),
)


def _worker(name: str, v4: str, v6: str, internal: str) -> Node:
    return Node(name, internal_ips=(ip(internal),), pod_cidrs=(net(v4), net(v6)))


# The dual-stack kind cluster of List-Node-CiliumNode-dualstack-kind.yaml.
NODES = (
    _worker("dual-stack-control-plane", "10.244.0.0/24", "fd00:10:244::/64", "172.18.0.7"),
    _worker("dual-stack-worker", "10.244.2.0/24", "fd00:10:244:2::/64", "172.18.0.8"),
    _worker("dual-stack-worker2", "10.244.1.0/24", "fd00:10:244:1::/64", "172.18.0.9"),
)
PODS = (pod("default/web", ips=("10.244.2.28", "fd00:10:244:2::98de"), node="dual-stack-worker"),)
SERVICES = (Service("default", "kubernetes", cluster_ips=(ip("10.96.0.1"), ip("fd00:10:96::1"))),)


def _drift(documented: Documented = KIND, **objects: Any) -> tuple[Finding, ...]:
    values: dict[str, Any] = {"nodes": NODES, "pods": PODS, "services": SERVICES}
    values.update(objects)
    return find_drift(Snapshot(taken_at=NOW, **values), documented)


def _kinds(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    return [(finding.kind, finding.subject) for finding in findings]


def test_drift_of_a_cluster_that_matches_its_record_is_only_the_undocumented_v6_service() -> None:
    assert _kinds(_drift()) == [("drift-outside-documented", "kind: Service ClusterIP in fd00:10:96::/48")]


def test_drift_aggregates_many_stray_pods_into_one_finding() -> None:
    strays = tuple(
        pod(f"default/p{index}", ips=(f"10.245.{index // 200}.{index % 200 + 1}",)) for index in range(150)
    )

    (finding,) = [item for item in _drift(pods=strays) if "pod IP" in item.subject]

    assert finding == Finding(
        Severity.WARNING,
        "drift-outside-documented",
        "kind: pod IP in 10.245.0.0/16",
        "150 pod IPs in 10.245.0.0/16 are not inside the pod networks documented for kind "
        "(10.244.0.0/16, fd00:10:244::/56), e.g. default/p0 10.245.0.1; default/p1 10.245.0.2; "
        "default/p2 10.245.0.3; default/p3 10.245.0.4; default/p4 10.245.0.5. Record the pod network "
        "that holds them for kind, or fix the cluster so that it uses a documented one.",
    )


def test_drift_groups_strays_per_kind_and_per_16() -> None:
    strays = (pod("a/x", ips=("10.245.0.1",)), pod("a/y", ips=("10.246.0.1",)))
    extra = Node("edge", pod_cidrs=(net("10.245.7.0/24"),))

    subjects = [item.subject for item in _drift(pods=strays, nodes=(*NODES, extra))]

    assert subjects[:3] == [
        "kind: pod IP in 10.245.0.0/16",
        "kind: pod IP in 10.246.0.0/16",
        "kind: node podCIDR in 10.245.0.0/16",
    ]
    assert "1 pod IP in 10.245.0.0/16" in _drift(pods=strays)[0].message


def test_drift_ignores_host_network_pods() -> None:
    host = pod("kube-system/kube-proxy", ips=("172.18.0.8",), host_network=True)

    assert _kinds(_drift(pods=(*PODS, host)))[:-1] == []


def test_drift_ipv6_pods_outside_documented_ipv4_only_pod_networks() -> None:
    only_v4 = Documented("kind", pod=(net("10.244.0.0/16"),))
    v6 = pod("default/v6", ips=("2001:db8:5:1::7",))

    findings = _drift(only_v4, pods=(v6,), nodes=(), services=())

    assert _kinds(findings) == [
        ("drift-outside-documented", "kind: pod IP in 2001:db8:5::/48"),
        ("drift-documented-unused", "kind: pod 10.244.0.0/16"),
    ]


@pytest.mark.parametrize(
    ("objects", "subject"),
    [
        pytest.param(
            {"calico_blocks": (CalicoBlock("b", net("10.243.255.192/26"), "host:n", (), (), ()),)},
            "kind: Calico block in 10.243.0.0/16",
            id="calico-block",
        ),
        pytest.param(
            {"calico_pools": (CalicoPool("default-ipv4-ippool", net("192.168.0.0/16"), 26),)},
            "kind: Calico IP pool in 192.168.0.0/16",
            id="calico-pool",
        ),
        pytest.param(
            {"cilium_nodes": (CiliumNode("n", pod_cidrs=(net("10.0.0.0/8"),)),)},
            "kind: Cilium pod CIDR in 10.0.0.0/8",
            id="cilium-wider-than-a-group",
        ),
        pytest.param(
            {"cilium_nodes": (CiliumNode("n", pool_cidrs=(("mars", net("10.20.0.0/16")),)),)},
            "kind: Cilium pod CIDR in 10.20.0.0/16",
            id="cilium-multi-pool",
        ),
        pytest.param(
            {
                "whereabouts_pools": (
                    WhereaboutsPool("kube-system", "192.168.50.0-24", net("192.168.50.0/24"), ()),
                )
            },
            "kind: Whereabouts range in 192.168.0.0/16",
            id="whereabouts",
        ),
        pytest.param(
            # The Cilium docs' pools "default" (10.10.0.0/16) and "mars" (10.20.0.0/16).
            {"cilium_pools": (CiliumPool("mars", (net("10.20.0.0/16"),), ((4, 27),)),)},
            "kind: CiliumPodIPPool in 10.20.0.0/16",
            id="cilium-pod-ip-pool",
        ),
        pytest.param(
            {"node_slice_pools": (NodeSlicePool("kube-system", "net1", net("10.128.0.0/24")),)},
            "kind: NodeSlicePool range in 10.128.0.0/16",
            id="whereabouts-node-slice-pool",
        ),
        pytest.param(
            {"nodes": (*NODES, Node("edge", internal_ips=(ip("10.0.5.4"),)))},
            "kind: node InternalIP in 10.0.0.0/16",
            id="node-internal-ip",
        ),
        pytest.param(
            {"service_cidrs": (ServiceCIDR("extra", (net("10.97.0.0/24"),)),)},
            "kind: ServiceCIDR in 10.97.0.0/16",
            id="service-cidr",
        ),
        pytest.param(
            {
                "services": (
                    *SERVICES,
                    Service("web", "lb", type="LoadBalancer", load_balancer_ips=(ip("192.168.11.7"),)),
                )
            },
            "kind: LoadBalancer ingress IP in 192.168.0.0/16",
            id="lb-ingress",
        ),
        pytest.param(
            {
                "metallb_pools": (
                    MetalLBPool("metallb-system", "example", (parse_range("192.168.9.1-192.168.9.9"),)),
                )
            },
            "kind: MetalLB pool in 192.168.0.0/16",
            id="metallb-range",
        ),
        pytest.param(
            {"calico_pools": (CalicoPool("lb", net("203.0.113.0/24"), 32, allowed_uses=("LoadBalancer",)),)},
            "kind: Calico LoadBalancer pool in 203.0.0.0/16",
            id="calico-lb-pool",
        ),
    ],
)
def test_drift_reports_each_kind_of_object_outside_its_category(
    objects: dict[str, Any], subject: str
) -> None:
    assert subject in [item.subject for item in _drift(**objects)]


def test_drift_block_straddling_the_documented_edge_is_outside() -> None:
    straddling = CiliumNode("n", pod_cidrs=(net("10.244.0.0/15"),))

    assert "kind: Cilium pod CIDR in 10.244.0.0/15" in [
        item.subject for item in _drift(cilium_nodes=(straddling,))
    ]


def test_drift_adjacent_documented_networks_cover_a_block_spanning_both() -> None:
    halves = Documented("kind", pod=(net("10.244.0.0/17"), net("10.244.128.0/17")))
    pool = CalicoPool("default-ipv4-ippool", net("10.244.0.0/16"), 26)

    assert find_drift(Snapshot(taken_at=NOW, calico_pools=(pool,)), halves) == ()


def test_drift_documented_range_holds_lb_addresses() -> None:
    service = Service("web", "lb", type="LoadBalancer", load_balancer_ips=(ip("192.168.9.3"),))

    assert [item.subject for item in _drift(services=(*SERVICES, service))] == [
        "kind: Service ClusterIP in fd00:10:96::/48",
        "kind: loadbalancer 192.168.10.0/24",
    ]


def test_drift_skips_deleted_and_load_balancer_blocks_in_the_pod_category() -> None:
    blocks = (
        CalicoBlock("gone", net("10.250.0.0/26"), "host:n", (), (), (), deleted=True),
        CalicoBlock("lb", net("192.168.10.0/26"), "virtual:load-balancer", (), (), ()),
    )

    assert not [item for item in _drift(calico_blocks=blocks) if "block" in item.subject]


def test_drift_says_once_that_nothing_is_documented_for_a_category() -> None:
    undocumented = Documented(
        "kind", service=(net("10.96.0.0/16"), net("fd00:10:96::/112")), node=(net("172.18.0.0/16"),)
    )

    findings = _drift(undocumented)

    assert findings == (
        Finding(
            Severity.WARNING,
            "drift-nothing-documented",
            "kind: no pod network documented",
            "the cluster has 2 pod IPs, 6 node podCIDRs (e.g. default/web 10.244.2.28; default/web "
            "fd00:10:244:2::98de; node dual-stack-control-plane 10.244.0.0/24; node dual-stack-control-plane "
            "fd00:10:244::/64; node dual-stack-worker 10.244.2.0/24), but the ledger documents no pod "
            "network for kind: record the pod networks it uses.",
        ),
    )


def test_drift_one_object_of_an_undocumented_category_is_singular() -> None:
    findings = find_drift(Snapshot(taken_at=NOW, pods=(pod("a/b", ips=("10.0.0.1",)),)), Documented("c"))

    assert "the cluster has 1 pod IP (e.g. a/b 10.0.0.1)" in findings[0].message


def test_drift_reports_documented_networks_nothing_uses() -> None:
    unused = Documented(
        "kind", pod=(*KIND.pod, net("10.250.0.0/16")), service=(net("10.96.0.0/16"), net("fd00:10:96::/112"))
    )

    findings = [item for item in _drift(unused) if item.kind == "drift-documented-unused"]

    assert findings == [
        Finding(
            Severity.INFO,
            "drift-documented-unused",
            "kind: pod 10.250.0.0/16",
            "nothing the snapshot shows (pod IP, node podCIDR) lies in the pod network 10.250.0.0/16 documented "
            "for kind: remove it from the cluster's record if the cluster no longer uses it.",
        )
    ]


def test_drift_of_a_partial_dump_says_nothing_about_missing_categories() -> None:
    assert find_drift(Snapshot(taken_at=NOW), KIND) == ()


def test_drift_documented_range_that_is_unused_is_named_as_a_range() -> None:
    service = Service("web", "lb", type="LoadBalancer", load_balancer_ips=(ip("192.168.10.3"),))

    findings = _drift(services=(*SERVICES, service))

    assert findings[-1].subject == "kind: loadbalancer 192.168.9.1-192.168.9.5"


def test_drift_pod_without_ips_is_not_observed() -> None:
    assert find_drift(Snapshot(taken_at=NOW, pods=(Pod("a", "b"),)), Documented("c")) == ()


def test_drift_of_150000_pods_makes_a_handful_of_findings() -> None:
    base = int(ipaddress.ip_address("10.0.0.0"))
    pods = tuple(
        Pod("ns", f"p{index}", ips=(ipaddress.IPv4Address(base + index),)) for index in range(150_000)
    )

    findings = find_drift(Snapshot(taken_at=NOW, pods=pods), Documented("c", pod=(net("10.0.0.0/16"),)))

    assert [item.subject for item in findings] == ["c: pod IP in 10.1.0.0/16", "c: pod IP in 10.2.0.0/16"]
    assert findings[0].message.startswith("65536 pod IPs in 10.1.0.0/16")
