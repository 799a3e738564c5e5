"""The Stranded value, the IPAddress repair-loop rule and the Cilium inference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from ipledger.core.findings import Finding, Severity
from ipledger.core.liveness import build_liveness
from ipledger.core.observations import (
    CiliumNode,
    Node,
    Pod,
    Service,
    ServiceCIDR,
    ServiceIPAddress,
    Snapshot,
)
from ipledger.core.stranded import Stranded, find_cilium_stranded, find_service_ip_orphans
from tests.core.k8s_factories import GRACE, JUST_NOW, LONG_AGO, NOW, ip, net, pod

# --- the value -----------------------------------------------------------------------------------


def _item(rule: str, *, address: str | None = "192.168.50.4", held: bool = False) -> Stranded:
    return Stranded(
        cni="whereabouts",
        rule=rule,
        address=None if address is None else ip(address),
        pool="IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
        owner="ns/pod",
        detail="pod ns/pod no longer exists.",
        release="kubectl ...",
        held=held,
    )


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(
            _item("whereabouts-pod-gone"),
            Finding(
                Severity.WARNING,
                "whereabouts-pod-gone",
                "whereabouts: 192.168.50.4 in IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
                "pod ns/pod no longer exists. Release: kubectl ...",
            ),
            id="stranded",
        ),
        pytest.param(
            _item("whereabouts-bad-offset", address=None),
            Finding(
                Severity.ERROR,
                "whereabouts-bad-offset",
                "whereabouts: IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
                "pod ns/pod no longer exists. Release: kubectl ...",
            ),
            id="corrupt",
        ),
        pytest.param(
            _item("whereabouts-allocation-without-reservation", held=True),
            Finding(
                Severity.WARNING,
                "whereabouts-allocation-without-reservation",
                "whereabouts: 192.168.50.4 in IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
                "pod ns/pod no longer exists. Repair: kubectl ...",
            ),
            id="held",
        ),
        pytest.param(
            _item("calico-invalid-block", address=None),
            Finding(
                Severity.ERROR,
                "calico-invalid-block",
                "whereabouts: IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
                "pod ns/pod no longer exists. Repair: kubectl ...",
            ),
            id="invalid-block",
        ),
    ],
)
def test_stranded_finding(item: Stranded, expected: Finding) -> None:
    assert item.finding() == expected


# --- Kubernetes IPAddress objects ------------------------------------------------------------------

KUBERNETES = Service("default", "kubernetes", cluster_ips=(ip("10.96.0.1"),))
SERVICE_CIDR = ServiceCIDR("kubernetes", (net("10.96.0.0/28"),))


def _address(
    text: str, name: str, *, created: datetime | None = LONG_AGO, resource: str = "services"
) -> ServiceIPAddress:
    return ServiceIPAddress(ip(text), resource, "default", name, created)


def _orphans(
    addresses: Sequence[ServiceIPAddress], services: Sequence[Service] = (KUBERNETES,)
) -> list[Stranded]:
    snapshot = Snapshot(
        taken_at=NOW,
        services=tuple(services),
        service_cidrs=(SERVICE_CIDR,),
        service_ip_addresses=tuple(addresses),
    )
    return find_service_ip_orphans(snapshot, now=NOW, grace=GRACE)


def test_service_ipaddress_of_the_kubernetes_service_is_in_use() -> None:
    assert _orphans([_address("10.96.0.1", "kubernetes")]) == []


def test_service_ipaddress_of_a_deleted_service_is_an_orphan() -> None:
    found = _orphans([_address("10.96.0.5", "test-3")])

    assert [(item.rule, str(item.address), item.owner) for item in found] == [
        ("service-ipaddress-orphan", "10.96.0.5", "services/default/test-3")
    ]
    assert found[0].pool == "ServiceCIDR kubernetes (10.96.0.0/28)"
    assert found[0].release == "kubectl delete ipaddress 10.96.0.5"
    assert found[0].detail.startswith(
        "IPAddress 10.96.0.5 names Service default/test-3, which no longer exists; "
    )


def test_service_ipaddress_whose_service_lacks_that_cluster_ip_is_an_orphan() -> None:
    found = _orphans([_address("10.96.0.7", "kubernetes")])

    assert found[0].detail.startswith(
        "IPAddress 10.96.0.7 names Service default/kubernetes, whose ClusterIPs are 10.96.0.1; "
    )


def test_service_ipaddress_of_a_headless_service_is_an_orphan() -> None:
    headless = Service("default", "headless")

    found = _orphans([_address("10.96.0.7", "headless")], services=[KUBERNETES, headless])

    assert found[0].detail.startswith(
        "IPAddress 10.96.0.7 names Service default/headless, which has no ClusterIP (headless); "
    )


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(_address("10.96.0.5", "test-3", created=JUST_NOW), id="younger-than-grace"),
        pytest.param(_address("10.96.0.5", "gw", resource="gateways"), id="other-parent"),
    ],
)
def test_service_ipaddress_not_judged(item: ServiceIPAddress) -> None:
    assert _orphans([item]) == []


def test_service_ipaddress_without_services_in_the_snapshot_is_not_judged() -> None:
    assert _orphans([_address("10.96.0.5", "test-3")], services=[]) == []


def test_service_ipaddress_ipv6_outside_every_service_cidr() -> None:
    found = _orphans([_address("2001:db8::10", "test-svc")])

    assert (found[0].pool, found[0].release) == ("no ServiceCIDR", "kubectl delete ipaddress 2001:db8::10")


# --- Cilium (an inference) ---------------------------------------------------------------------

WORKER = "dual-stack-worker"


def _cilium(name: str = WORKER, used: tuple[tuple[str, str], ...] = ()) -> CiliumNode:
    return CiliumNode(
        name,
        pod_cidrs=(net("10.244.2.0/24"), net("fd00:10:244:2::/64")),
        used=tuple((ip(address), owner) for address, owner in used),
        pool_cidrs=(("default", net("10.10.0.0/27")),),
    )


def _cilium_stranded(
    nodes: Sequence[CiliumNode],
    *,
    pods: Sequence[Pod] = (pod("kube-system/x"),),
    cluster: Sequence[str] = (WORKER,),
) -> list[Stranded]:
    snapshot = Snapshot(
        taken_at=NOW, nodes=tuple(Node(name) for name in cluster), pods=tuple(pods), cilium_nodes=tuple(nodes)
    )
    return find_cilium_stranded(snapshot, build_liveness(snapshot), now=NOW, grace=GRACE)


def test_cilium_node_without_its_node_is_reported() -> None:
    found = _cilium_stranded([_cilium("dual-stack-worker3")])

    assert [(item.rule, item.address, item.release) for item in found] == [
        ("cilium-node-gone", None, "kubectl delete ciliumnode dual-stack-worker3")
    ]
    assert found[0].pool == (
        "CiliumNode dual-stack-worker3 (10.244.2.0/24, fd00:10:244:2::/64, 10.10.0.0/27)"
    )


def test_cilium_node_of_an_existing_node_is_fine() -> None:
    assert _cilium_stranded([_cilium()]) == []


def test_cilium_nodes_are_not_judged_without_nodes_in_the_snapshot() -> None:
    assert _cilium_stranded([_cilium("gone")], cluster=()) == []


@pytest.mark.parametrize(
    ("owner_pod", "reported"),
    [
        pytest.param(pod("default/web", ips=("10.244.2.28", "fd00:10:244:2::98de")), False, id="carried"),
        pytest.param(pod("default/web", ips=("10.244.2.29",)), True, id="other-address"),
        pytest.param(pod("default/web", ips=("10.244.2.28",), phase="Succeeded"), True, id="finished"),
        pytest.param(pod("default/web", ips=("10.244.2.28",), host_network=True), True, id="host-network"),
        pytest.param(pod("default/web", ips=(), created=JUST_NOW), False, id="younger-than-grace"),
        pytest.param(pod("default/other"), True, id="gone"),
    ],
)
def test_cilium_used_address_of_a_pod(owner_pod: Pod, reported: bool) -> None:
    node = _cilium(used=(("10.244.2.28", "default/web"), ("10.244.2.1", "router"), ("10.244.2.3", "health")))

    found = _cilium_stranded([node], pods=[owner_pod])

    assert [str(item.address) for item in found] == (["10.244.2.28"] if reported else [])


def test_cilium_used_address_of_a_gone_pod_says_it_is_an_inference() -> None:
    found = _cilium_stranded([_cilium(used=(("fd00:10:244:2::98de", "default/web"),))])

    assert (found[0].rule, found[0].owner) == ("cilium-ip-owner-gone", "default/web")
    assert "which no longer exists" in found[0].detail
    assert "inference" in found[0].detail
    assert found[0].release.endswith("--field-selector spec.nodeName=dual-stack-worker")


def test_cilium_used_address_on_a_gone_node_is_released_with_the_node() -> None:
    found = _cilium_stranded([_cilium("gone", used=(("10.244.2.28", "default/web"),))])

    assert [item.rule for item in found] == ["cilium-node-gone", "cilium-ip-owner-gone"]
    assert found[1].release == "kubectl delete ciliumnode gone"


def test_cilium_owners_are_not_judged_without_pods_in_the_snapshot() -> None:
    assert _cilium_stranded([_cilium(used=(("10.244.2.28", "default/web"),))], pods=()) == []


def test_cilium_node_without_pod_cidr_text() -> None:
    found = _cilium_stranded([CiliumNode("gone")])

    assert found[0].pool == "CiliumNode gone (no pod CIDR)"
