"""Readers of Node, Pod, Service, ServiceCIDR and IPAddress: the published objects of the shared
fixtures read in place, the tolerated variants of real dumps, and malformed values refused with
the file, the object and the field named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from ipledger.core.observations import Node, Pod, Service, ServiceCIDR, ServiceIPAddress, Skipped
from ipledger.kube.dump import DumpError
from tests.kube.k8s_fixtures import fixture_path, kube_object, pod, read_fixture, snapshot

NETWORK_STATUS = "k8s.v1.cni.cncf.io/network-status"


def _ips(*texts: str) -> tuple[Any, ...]:
    return tuple(ip_address(text) for text in texts)


def _nets(*texts: str) -> tuple[Any, ...]:
    return tuple(ip_network(text) for text in texts)


def _one_pod(item: dict[str, Any]) -> Pod:
    (found,) = snapshot(item).pods
    return found


def _one_service(spec: dict[str, Any], status: dict[str, Any] | None = None) -> Service:
    (found,) = snapshot(kube_object("Service", "svc", namespace="default", spec=spec, status=status)).services
    return found


# --- Node -------------------------------------------------------------------------------------


def test_read_node_dual_stack_kind_fixture() -> None:
    nodes = read_fixture("List-Node-CiliumNode-dualstack-kind.yaml").nodes

    assert nodes[0] == Node(
        name="dual-stack-control-plane",
        uid="aac1f035-645d-4289-8a8b-175c45d2efed",
        internal_ips=_ips("172.18.0.7", "fc00:f853:ccd:e793::7"),
        pod_cidrs=_nets("10.244.0.0/24", "fd00:10:244::/64"),
        created=datetime(2023, 6, 30, 19, 39, 8, tzinfo=UTC),
    )
    assert [(node.name, node.pod_cidrs) for node in nodes[1:]] == [
        ("dual-stack-worker", _nets("10.244.2.0/24", "fd00:10:244:2::/64")),
        ("dual-stack-worker2", _nets("10.244.1.0/24", "fd00:10:244:1::/64")),
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"podCIDR": "10.244.3.0/24"}, _nets("10.244.3.0/24"), id="single-podCIDR-fallback"),
        pytest.param(
            {"podCIDR": "10.244.3.0/24", "podCIDRs": ["10.244.3.0/24", "fd00:3::/64"]},
            _nets("10.244.3.0/24", "fd00:3::/64"),
            id="podCIDRs-win",
        ),
        pytest.param({}, (), id="no-pod-cidr-yet"),
    ],
)
def test_read_node_pod_cidrs(spec: dict[str, Any], expected: tuple[Any, ...]) -> None:
    (node,) = snapshot(kube_object("Node", "n1", spec=spec)).nodes
    assert node.pod_cidrs == expected


# Node mac-k8s as `kubectl get node -o yaml` shows it on a Calico cluster (VXLAN), the node whose
# IPAM block calico-IPAMBlock-crd-v1.yaml is: its tunnel address is ordinal 0, 192.168.185.0.
MAC_K8S_ANNOTATIONS = {
    "csi.volume.kubernetes.io/nodeid": '{"csi.tigera.io":"mac-k8s"}',
    "node.alpha.kubernetes.io/ttl": "0",
    "projectcalico.org/IPv4Address": "192.168.191.153/24",
    "projectcalico.org/IPv4VXLANTunnelAddr": "192.168.185.0",
}


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        pytest.param(MAC_K8S_ANNOTATIONS, _ips("192.168.185.0"), id="vxlan"),
        pytest.param(
            {
                "projectcalico.org/IPv4IPIPTunnelAddr": "10.244.93.192",
                "projectcalico.org/IPv6VXLANTunnelAddr": "fd00:10:244:5d::",
                "projectcalico.org/IPv4WireguardInterfaceAddr": "10.244.93.193",
                "projectcalico.org/IPv6WireguardInterfaceAddr": "fd00:10:244:5d::1/128",
            },
            _ips("10.244.93.192", "fd00:10:244:5d::", "10.244.93.193", "fd00:10:244:5d::1"),
            id="ipip-vxlan6-wireguard",
        ),
        pytest.param(
            {"projectcalico.org/IPv4Address": "10.192.0.2/16"}, (), id="calico-annotated-without-tunnels"
        ),
        pytest.param({"node.alpha.kubernetes.io/ttl": "0"}, None, id="not-annotated-by-calico"),
    ],
)
def test_read_node_calico_tunnel_addresses_from_its_annotations(
    annotations: dict[str, str], expected: tuple[Any, ...] | None
) -> None:
    (node,) = snapshot(kube_object("Node", "mac-k8s", annotations=annotations)).nodes

    assert node.calico_tunnel_ips == expected


def test_read_node_without_calico_annotations_knows_no_tunnel_addresses() -> None:
    nodes = read_fixture("List-Node-CiliumNode-dualstack-kind.yaml").nodes

    assert {node.calico_tunnel_ips for node in nodes} == {None}


def test_read_node_refuses_a_calico_tunnel_annotation_that_is_no_address() -> None:
    item = kube_object("Node", "n1", annotations={"projectcalico.org/IPv4VXLANTunnelAddr": "10.0.0.300"})

    with pytest.raises(DumpError, match=r"metadata.annotations\['projectcalico.org/IPv4VXLANTunnelAddr'\]"):
        snapshot(item)


def test_read_node_keeps_internal_and_external_ips_apart() -> None:
    addresses = [
        {"type": "InternalIP", "address": "10.0.0.4"},
        {"type": "ExternalIP", "address": "203.0.113.4"},
        {"type": "Hostname", "address": "n1"},
        {"type": "InternalDNS", "address": "n1.internal"},
    ]
    (node,) = snapshot(kube_object("Node", "n1", status={"addresses": addresses})).nodes
    assert (node.internal_ips, node.external_ips) == (_ips("10.0.0.4"), _ips("203.0.113.4"))


# --- Pod --------------------------------------------------------------------------------------


def test_read_pod_kind_fixture() -> None:
    (found,) = read_fixture("List-Pod-podIPs-kind.yaml").pods
    assert found == Pod(
        namespace="test",
        name="hostport-1",
        uid="6c4c248d-5fb2-46ec-bb15-37c2dfe5da5d",
        node="hostport-control-plane",
        phase="Running",
        ips=_ips("10.244.0.117"),
        created=datetime(2023, 6, 27, 1, 20, 32, tzinfo=UTC),
        started=datetime(2023, 6, 27, 1, 20, 32, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param({"podIP": "10.0.0.9"}, _ips("10.0.0.9"), id="podIP-fallback"),
        pytest.param(
            {"podIP": "10.0.0.9", "podIPs": [{"ip": "10.0.0.9"}, {"ip": "FD00:10:244:0:0:0:0:5"}]},
            _ips("10.0.0.9", "fd00:10:244::5"),
            id="dual-stack-ipv6-canonical",
        ),
        pytest.param({"phase": "Pending"}, (), id="pending-no-ip"),
        pytest.param({"podIP": "", "podIPs": []}, (), id="empty-values"),
    ],
)
def test_read_pod_ips(status: dict[str, Any], expected: tuple[Any, ...]) -> None:
    item = kube_object("Pod", "p", namespace="default", status=status)
    assert _one_pod(item).ips == expected


def test_read_pod_flags_host_network_and_deletion() -> None:
    item = pod(deletionTimestamp="2026-11-25T09:00:00Z", creationTimestamp="2026-11-24T09:00:00Z")
    item["spec"]["hostNetwork"] = True
    found = _one_pod(item)
    assert (found.host_network, found.deleting, found.created) == (
        True,
        True,
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param(
            {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager"},
            True,
            id="taint",
        ),
        pytest.param(
            {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"},
            False,
            id="preempted",
        ),
        pytest.param(
            {"type": "DisruptionTarget", "status": "False", "reason": "DeletionByTaintManager"},
            False,
            id="false",
        ),
        pytest.param({"type": "Ready", "status": "True"}, False, id="ready"),
    ],
)
def test_read_pod_evicted_by_taint_manager(condition: dict[str, str], expected: bool) -> None:
    found = _one_pod(pod(status={"phase": "Running", "conditions": [condition]}))
    assert found.evicted_by_taint_manager is expected


def test_read_pod_evicted_reason() -> None:
    found = _one_pod(pod(ips=(), status={"phase": "Failed", "reason": "Evicted"}))
    assert (found.phase, found.reason, found.ips) == ("Failed", "Evicted", ())


def test_read_pod_multus_fixture_annotation_gives_only_secondary_ips() -> None:
    text = fixture_path("multus-network-status-annotation.json").read_text()
    found = _one_pod(pod(ips=("10.52.0.67",), annotations={NETWORK_STATUS: text}))
    assert (found.ips, found.secondary_ips) == (_ips("10.52.0.67"), _ips("192.168.50.4"))


@pytest.mark.parametrize(
    ("key", "networks", "expected"),
    [
        pytest.param(
            NETWORK_STATUS,
            [{"name": "a", "ips": ["10.1.0.1", "fd00::1"]}],
            _ips("10.1.0.1", "fd00::1"),
            id="both-families",
        ),
        pytest.param(
            NETWORK_STATUS, [{"name": "pod-net", "default": True, "ips": ["10.0.0.5"]}], (), id="default-only"
        ),
        pytest.param(
            NETWORK_STATUS,
            [{"name": "a", "default": "false", "ips": ["10.1.0.1"]}],
            _ips("10.1.0.1"),
            id="string-flag",
        ),
        pytest.param(NETWORK_STATUS, [{"name": "a", "interface": "net1"}], (), id="no-ips"),
        pytest.param(
            "k8s.v1.cni.cncf.io/networks-status",
            [{"name": "a", "ips": ["10.1.0.2"]}],
            _ips("10.1.0.2"),
            id="legacy-key",
        ),
    ],
)
def test_read_pod_network_status_variants(key: str, networks: list[Any], expected: tuple[Any, ...]) -> None:
    result = snapshot(pod(annotations={key: json.dumps(networks)}))
    assert (result.pods[0].secondary_ips, result.skipped) == (expected, ())


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        pytest.param("[{", "not valid JSON", id="broken-json"),
        pytest.param('{"name": "a"}', "expected a JSON list of networks", id="not-a-list"),
        pytest.param('[{"name": "a", "ips": ["10.1.0.300"]}]', "'10.1.0.300'", id="bad-ip"),
        pytest.param('[{"name": "a", "ips": "10.1.0.3"}]', "expected a list", id="ips-string"),
        pytest.param('["net1"]', "expected a mapping", id="entry-string"),
    ],
)
def test_read_pod_unreadable_network_status_is_noted_not_fatal(value: str, detail: str) -> None:
    result = snapshot(pod(annotations={NETWORK_STATUS: value}))
    (note,) = result.skipped
    assert (result.pods[0].ips, result.pods[0].secondary_ips) == (_ips("10.0.0.5"), ())
    assert (note.source, note.kind, note.name) == ("objects.json, [0]", "Pod", "default/web-1")
    assert note.reason.startswith(f"metadata.annotations[{NETWORK_STATUS!r}]")
    assert detail in note.reason and note.reason.endswith("its secondary IPs are left out")


# --- Service ----------------------------------------------------------------------------------


def test_read_service_dual_stack_fixture() -> None:
    services = read_fixture("List-Service-Endpoints-EndpointSlice-dualstack-kind.yaml").services
    assert [(s.ref, s.type, s.cluster_ips) for s in services] == [
        ("default/echo-dualstack", "NodePort", _ips("10.96.125.19", "fd00:10:96::14f9")),
        ("default/kubernetes", "ClusterIP", _ips("10.96.0.1")),
    ]


def test_read_service_legacy_ip_family_fixture() -> None:
    (found,) = read_fixture("Service-LoadBalancer-ipv6-legacy-ipFamily.yaml").services
    assert found == Service(
        namespace="default",
        name="mconnect-ipv6",
        uid="0f539225-6b1b-414f-aade-e76bb6c6fb25",
        type="LoadBalancer",
        cluster_ips=_ips("fd00:4000::33e0"),
        load_balancer_ips=_ips("1000::"),
        created=datetime(2019, 9, 19, 10, 7, 21, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"clusterIP": "None", "clusterIPs": ["None"]}, (), id="headless"),
        pytest.param({"clusterIP": "None"}, (), id="headless-single"),
        pytest.param({"type": "ExternalName", "externalName": "db.example.com"}, (), id="external-name"),
        pytest.param({"clusterIP": "10.96.0.10"}, _ips("10.96.0.10"), id="clusterIP-fallback"),
        pytest.param({"clusterIP": "", "clusterIPs": []}, (), id="empty"),
    ],
)
def test_read_service_cluster_ips(spec: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert _one_service(spec).cluster_ips == expected


def test_read_service_load_balancer_and_external_ips() -> None:
    ingress = [{"hostname": "a1b2.elb.amazonaws.com"}, {"ip": "198.51.100.7", "ipMode": "VIP"}]
    found = _one_service(
        {"type": "LoadBalancer", "clusterIPs": ["10.96.0.20"], "externalIPs": ["203.0.113.9"]},
        {"loadBalancer": {"ingress": ingress}},
    )
    assert (found.type, found.load_balancer_ips, found.external_ips) == (
        "LoadBalancer",
        _ips("198.51.100.7"),
        _ips("203.0.113.9"),
    )


# --- ServiceCIDR and IPAddress ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["ServiceCIDR-networking-k8s-io-v1-create.yaml", "ServiceCIDR-networking-k8s-io-v1-terminating.yaml"],
)
def test_read_service_cidr_fixtures(name: str) -> None:
    assert read_fixture(name).service_cidrs == (ServiceCIDR("newcidr1", _nets("10.96.0.0/24")),)


@pytest.mark.parametrize(
    "api", ["networking.k8s.io/v1", "networking.k8s.io/v1beta1", "networking.k8s.io/v1alpha1"]
)
def test_read_service_ip_address_every_version(api: str) -> None:
    parent = {"group": "", "resource": "services", "namespace": "default", "name": "kubernetes"}
    item = kube_object(
        "IPAddress",
        "2001:db8::a",
        api=api,
        spec={"parentRef": parent},
        creationTimestamp="2026-01-02T03:04:05Z",
    )
    assert snapshot(item).service_ip_addresses == (
        ServiceIPAddress(
            address=ip_address("2001:db8::a"),
            parent_resource="services",
            parent_namespace="default",
            parent_name="kubernetes",
            created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
    )


# --- malformed values -------------------------------------------------------------------------


def _node(**spec_status: Any) -> dict[str, Any]:
    return kube_object("Node", "n1", **spec_status)


MALFORMED = [
    pytest.param(
        pod(status={"podIPs": [{"ip": "10.0.0.300"}]}),
        "Pod default/web-1",
        "status.podIPs[0].ip",
        "'10.0.0.300'",
        id="pod-ip",
    ),
    pytest.param(
        pod(status={"podIPs": "10.0.0.1"}),
        "Pod default/web-1",
        "status.podIPs",
        "expected a list",
        id="podIPs-string",
    ),
    pytest.param(
        pod(status={"podIPs": [], "podIP": 10}),
        "Pod default/web-1",
        "status.podIP",
        "the number 10",
        id="podIP-number",
    ),
    pytest.param(
        pod(spec={"hostNetwork": "maybe"}),
        "Pod default/web-1",
        "spec.hostNetwork",
        "true or false",
        id="host-network",
    ),
    pytest.param(
        pod(creationTimestamp="yesterday"),
        "Pod default/web-1",
        "metadata.creationTimestamp",
        "'yesterday'",
        id="timestamp",
    ),
    pytest.param(
        kube_object("Pod", "", namespace="default"), "Pod", "metadata.name", "missing", id="pod-without-name"
    ),
    pytest.param(
        {"apiVersion": "v1", "kind": "Pod", "metadata": ["web-1"]},
        "Pod",
        "metadata",
        "expected a mapping",
        id="meta",
    ),
    pytest.param(
        _node(status={"addresses": [{"type": "InternalIP", "address": "node-1"}]}),
        "Node n1",
        "status.addresses[0].address",
        "'node-1'",
        id="node-address",
    ),
    pytest.param(
        _node(spec={"podCIDRs": ["10.244.0.0/24", "fd00:1::1/64"]}),
        "Node n1",
        "spec.podCIDRs[1]",
        "host bits set; did you mean fd00:1::/64?",
        id="node-host-bits",
    ),
    pytest.param(
        _node(spec={"podCIDR": "10.244.0.0"}), "Node n1", "spec.podCIDR", "needs a length", id="node-podCIDR"
    ),
    pytest.param(
        kube_object("Service", "s", namespace="default", spec={"clusterIPs": ["10.96.0.300"]}),
        "Service default/s",
        "spec.clusterIPs[0]",
        "'10.96.0.300'",
        id="cluster-ip",
    ),
    pytest.param(
        kube_object("Service", "s", namespace="default", status={"loadBalancer": {"ingress": [{"ip": "x"}]}}),
        "Service default/s",
        "status.loadBalancer.ingress[0].ip",
        "'x'",
        id="lb-ip",
    ),
    pytest.param(
        kube_object("ServiceCIDR", "c", api="networking.k8s.io/v1", spec={"cidrs": "10.96.0.0/24"}),
        "ServiceCIDR c",
        "spec.cidrs",
        "expected a list",
        id="service-cidrs",
    ),
    pytest.param(
        kube_object("IPAddress", "not-an-ip", api="networking.k8s.io/v1"),
        "IPAddress not-an-ip",
        "metadata.name",
        "'not-an-ip'",
        id="ipaddress-name",
    ),
]


@pytest.mark.parametrize(("item", "label", "field", "detail"), MALFORMED)
def test_core_readers_refuse_malformed_values(
    item: dict[str, Any], label: str, field: str, detail: str
) -> None:
    with pytest.raises(DumpError) as caught:
        snapshot(kube_object("ConfigMap", "first"), item, source="dump.json")
    assert str(caught.value).startswith(f"dump.json, [1] ({label}): {field}: ")
    assert caught.value.field == field
    assert detail in caught.value.detail


def test_core_readers_skip_nothing_they_read() -> None:
    result = snapshot(pod(), _node(), kube_object("ConfigMap", "c", namespace="default"))
    assert result.skipped == (
        Skipped("objects.json, [2]", "ConfigMap", "default/c", "ConfigMap (v1) holds nothing ipledger reads"),
    )
