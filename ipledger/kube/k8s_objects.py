"""Readers of the Kubernetes core objects that hold addresses: Node, Pod, Service, and the
networking.k8s.io ServiceCIDR and IPAddress.

Each reader turns one `KubeObject` into its `ipledger.core.observations` value. What real dumps
contain is tolerated: elided optional fields, the singular ``spec.podCIDR`` / ``status.podIP`` /
``spec.clusterIP`` of older objects, the pre-GA ``spec.ipFamily`` (ignored), ``"None"`` as a
headless ClusterIP, load-balancer ingress entries that carry only a hostname. A value the
reconciler needs that is malformed (an IP that is not one, a CIDR with host bits set, a list
that is a string) is a `DumpError`. The one exception is the Multus network-status annotation,
which is free text written by a plugin: when it cannot be read the pod keeps no secondary IPs
and a `Skipped` note says why.
"""

from __future__ import annotations

import json
from typing import Any

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.observations import Node, Pod, Service, ServiceCIDR, ServiceIPAddress
from ipledger.kube.kubeobject import DumpError, KubeObject, Reader, describe

__all__ = ["CORE_READERS", "read_node", "read_pod", "read_service", "read_service_cidr", "read_service_ip"]

# The spec's name comes first. Multus long wrote the plural as well (the same value; see
# k8snetworkplumbingwg/network-attachment-definition-client#17) and dropped it in v4, so older
# pods may carry only that one.
_NETWORK_STATUS_KEYS = ("k8s.v1.cni.cncf.io/network-status", "k8s.v1.cni.cncf.io/networks-status")
_NOT_A_CLUSTER_IP = ("", "None")  # "None" makes a headless Service
_CALICO_ANNOTATION = "projectcalico.org/"
_CALICO_TUNNEL_ANNOTATIONS = tuple(
    _CALICO_ANNOTATION + name
    for name in (
        "IPv4IPIPTunnelAddr",
        "IPv4VXLANTunnelAddr",
        "IPv6VXLANTunnelAddr",
        "IPv4WireguardInterfaceAddr",
        "IPv6WireguardInterfaceAddr",
    )
)


def read_node(obj: KubeObject) -> Node:
    spec = obj.section(obj.raw, "", "spec")
    status = obj.section(obj.raw, "", "status")
    internal: list[IPAddress] = []
    external: list[IPAddress] = []
    for index, entry in enumerate(obj.entries(status, "status", "addresses")):
        field = f"status.addresses[{index}]"
        if type(entry) is not dict:
            raise obj.error(field, f"expected a mapping of type and address, got {describe(entry)}")
        # Hostname, InternalDNS and ExternalDNS entries hold names, not addresses.
        kind = entry.get("type")
        if kind == "InternalIP":
            internal.append(obj.address(entry.get("address"), f"{field}.address"))
        elif kind == "ExternalIP":
            external.append(obj.address(entry.get("address"), f"{field}.address"))
    return Node(
        name=obj.name,
        uid=obj.text(obj.metadata, "metadata", "uid"),
        internal_ips=tuple(internal),
        external_ips=tuple(external),
        pod_cidrs=_networks_or_single(obj, spec, "spec", "podCIDRs", "podCIDR"),
        created=obj.created(),
        calico_tunnel_ips=_calico_tunnel_ips(obj),
    )


def _calico_tunnel_ips(obj: KubeObject) -> tuple[IPAddress, ...] | None:
    """The tunnel addresses Calico annotates on a node, or None when it annotated nothing there.

    Calico's Kubernetes datastore keeps its Node's fields in these annotations (libcalico-go
    ``backend/k8s/resources/node.go``); calicoctl ipam check counts the tunnel ones as held by the
    node. Their values are addresses, or CIDRs whose address counts (``ParseCIDROrIP``).
    """
    annotations = obj.section(obj.metadata, "metadata", "annotations")
    if not any(type(key) is str and key.startswith(_CALICO_ANNOTATION) for key in annotations):
        return None
    found = []
    for key in _CALICO_TUNNEL_ANNOTATIONS:
        text = annotations.get(key)
        if text not in (None, ""):
            field = f"metadata.annotations[{key!r}]"
            found.append(obj.address(text.partition("/")[0] if type(text) is str else text, field))
    return tuple(found)


def read_pod(obj: KubeObject) -> Pod:
    # The hot path of a sync (150,000 pods): plain lookups, no work for fields that are absent.
    raw = obj.raw
    metadata = obj.metadata
    spec = obj.section(raw, "", "spec")
    status = obj.section(raw, "", "status")
    annotations = metadata.get("annotations")
    return Pod(
        namespace=obj.namespace,
        name=obj.name,
        uid=obj.text(metadata, "metadata", "uid"),
        node=obj.text(spec, "spec", "nodeName"),
        phase=obj.text(status, "status", "phase"),
        reason=obj.text(status, "status", "reason"),
        ips=_pod_ips(obj, status),
        secondary_ips=_secondary_ips(obj, annotations) if annotations else (),
        host_network=obj.flag(spec, "spec", "hostNetwork", default=False),
        created=obj.created(),
        started=obj.time(status.get("startTime"), "status.startTime"),
        deleting=metadata.get("deletionTimestamp") is not None,
        evicted_by_taint_manager=_is_evicted_by_taint_manager(obj, status),
    )


def _pod_ips(obj: KubeObject, status: dict[str, Any]) -> tuple[IPAddress, ...]:
    entries = obj.entries(status, "status", "podIPs")
    if not entries:
        single = status.get("podIP")
        return () if single is None or single == "" else (obj.address(single, "status.podIP"),)
    ips = []
    for index, entry in enumerate(entries):
        if type(entry) is not dict:
            raise obj.error(f"status.podIPs[{index}]", f"expected a mapping with ip, got {describe(entry)}")
        ips.append(obj.address(entry.get("ip"), f"status.podIPs[{index}].ip"))
    return tuple(ips)


def _is_evicted_by_taint_manager(obj: KubeObject, status: dict[str, Any]) -> bool:
    # Whereabouts' reconciler skips such pods (pkg/reconciler/iploop.go): their IPs are on the way out.
    for index, condition in enumerate(obj.entries(status, "status", "conditions")):
        if type(condition) is not dict:
            raise obj.error(f"status.conditions[{index}]", f"expected a mapping, got {describe(condition)}")
        if (
            condition.get("type") == "DisruptionTarget"
            and condition.get("status") == "True"
            and condition.get("reason") == "DeletionByTaintManager"
        ):
            return True
    return False


def _secondary_ips(obj: KubeObject, annotations: object) -> tuple[IPAddress, ...]:
    """The IPs of the Multus network-status entries that are not the default network.

    Entries with ``"default": true`` are the cluster network, already in ``status.podIPs``; the
    whereabouts reconciler ignores them the same way. The annotation is plugin-written text, so
    an unreadable one is noted and gives no IPs rather than failing the whole dump.
    """
    if type(annotations) is not dict:
        raise obj.error("metadata.annotations", f"expected a mapping, got {describe(annotations)}")
    for key in _NETWORK_STATUS_KEYS:
        if key in annotations:
            try:
                return _network_status_ips(obj, annotations[key], f"metadata.annotations[{key!r}]")
            except DumpError as exc:
                obj.note(f"{exc.field}: {exc.detail}; its secondary IPs are left out")
                return ()
    return ()


def _network_status_ips(obj: KubeObject, text: object, field: str) -> tuple[IPAddress, ...]:
    if type(text) is not str:
        raise obj.error(field, f"expected a JSON string, got {describe(text)}")
    try:
        networks = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise obj.error(field, f"not valid JSON: {exc or 'nested too deeply'}") from exc
    if type(networks) is not list:
        raise obj.error(field, f"expected a JSON list of networks, got {describe(networks)}")
    ips: list[IPAddress] = []
    for index, network in enumerate(networks):
        if type(network) is not dict:
            raise obj.error(f"{field}[{index}]", f"expected a mapping, got {describe(network)}")
        if obj.flag(network, f"{field}[{index}]", "default", default=False):
            continue
        for position, ip in enumerate(obj.entries(network, f"{field}[{index}]", "ips")):
            ips.append(obj.address(ip, f"{field}[{index}].ips[{position}]"))
    return tuple(ips)


def read_service(obj: KubeObject) -> Service:
    spec = obj.section(obj.raw, "", "spec")
    status = obj.section(obj.raw, "", "status")
    load_balancer = obj.section(status, "status", "loadBalancer")
    load_balancer_ips = []
    for index, entry in enumerate(obj.entries(load_balancer, "status.loadBalancer", "ingress")):
        where = f"status.loadBalancer.ingress[{index}]"
        if type(entry) is not dict:
            raise obj.error(where, f"expected a mapping with ip or hostname, got {describe(entry)}")
        if entry.get("ip") not in (None, ""):  # a hostname-only entry (AWS ELB) has no address
            load_balancer_ips.append(obj.address(entry["ip"], f"{where}.ip"))
    return Service(
        namespace=obj.namespace,
        name=obj.name,
        uid=obj.text(obj.metadata, "metadata", "uid"),
        type=obj.text(spec, "spec", "type", default="ClusterIP"),
        cluster_ips=_cluster_ips(obj, spec),
        load_balancer_ips=tuple(load_balancer_ips),
        external_ips=tuple(
            obj.address(text, f"spec.externalIPs[{index}]")
            for index, text in enumerate(obj.entries(spec, "spec", "externalIPs"))
        ),
        created=obj.created(),
    )


def _cluster_ips(obj: KubeObject, spec: dict[str, Any]) -> tuple[IPAddress, ...]:
    texts = obj.entries(spec, "spec", "clusterIPs")
    if texts:
        return tuple(
            obj.address(text, f"spec.clusterIPs[{index}]")
            for index, text in enumerate(texts)
            if text not in _NOT_A_CLUSTER_IP
        )
    single = spec.get("clusterIP")  # before dual-stack (1.20) the only field
    if single is None or single in _NOT_A_CLUSTER_IP:
        return ()
    return (obj.address(single, "spec.clusterIP"),)


def read_service_cidr(obj: KubeObject) -> ServiceCIDR:
    spec = obj.section(obj.raw, "", "spec")
    return ServiceCIDR(name=obj.name, cidrs=obj.networks(spec, "spec", "cidrs"))


def read_service_ip(obj: KubeObject) -> ServiceIPAddress:
    """An IPAddress: its name is the address (canonical, RFC 5952 for IPv6)."""
    spec = obj.section(obj.raw, "", "spec")
    parent = obj.section(spec, "spec", "parentRef")
    return ServiceIPAddress(
        address=obj.address(obj.name, "metadata.name"),
        parent_resource=obj.text(parent, "spec.parentRef", "resource"),
        parent_namespace=obj.text(parent, "spec.parentRef", "namespace"),
        parent_name=obj.text(parent, "spec.parentRef", "name"),
        created=obj.created(),
    )


def _networks_or_single(
    obj: KubeObject, container: dict[str, Any], parent: str, key: str, single_key: str
) -> tuple[IPNetwork, ...]:
    """The list ``key`` (one CIDR per family), or the older single-family ``single_key``."""
    found = obj.networks(container, parent, key)
    if found:
        return found
    single = container.get(single_key)
    return () if single is None or single == "" else (obj.network(single, f"{parent}.{single_key}"),)


_V1 = frozenset({"v1"})
# MultiCIDRServiceAllocator: v1alpha1 in 1.27-1.30, v1beta1 in 1.31-1.32, v1 from 1.33.
_NETWORKING = frozenset({"v1", "v1beta1", "v1alpha1"})

CORE_READERS: dict[tuple[str, str], Reader] = {
    ("", "Node"): Reader(_V1, read_node, "nodes"),
    ("", "Pod"): Reader(_V1, read_pod, "pods"),
    ("", "Service"): Reader(_V1, read_service, "services"),
    ("networking.k8s.io", "ServiceCIDR"): Reader(_NETWORKING, read_service_cidr, "service_cidrs"),
    ("networking.k8s.io", "IPAddress"): Reader(_NETWORKING, read_service_ip, "service_ip_addresses"),
}
