"""Small clusters as `kubectl get -o json` dumps them, written into a test's folder for the sync tests.

Each builder returns one object as the API server stores it (Nodes, Pods with ``status.podIPs``
and the Multus network-status annotation, Services with ClusterIPs and load-balancer ingress,
ServiceCIDR / IPAddress, Calico ClusterInformation, IPPools, IPAMBlocks, BlockAffinities and
IPAMHandles, Whereabouts IPPools and OverlappingRangeIPReservations, CiliumNodes), with the
shapes of the objects in
``../shared/fixtures/k8s/``. `write_dump` writes them as ``kubectl get ... -o json`` prints them:
one v1 ``List`` per file, indented by four spaces.

Four clusters are described. `prod_objects` is a Calico cluster with Multus and Whereabouts:
two nodes annotated by calico-node (node-a with its VXLAN tunnel address ``PROD_TUNNEL_IP``),
three running pods and a host-network pod, a LoadBalancer service, and these
leftovers, one of each: a Calico address of a gone pod (``LEAKED_IP``), an IPAMHandle no block
names (``LEAKED_HANDLE``), a Whereabouts allocation of a gone pod (``STRANDED_IP``) and an
IPAddress of a deleted service (``ORPHAN_SERVICE_IP``). `cilium_objects` is a Cilium cluster
whose CiliumNode still lists an address of a gone pod (``CILIUM_STRANDED_IP``).
`multi_pool_objects` is a Cilium multi-pool cluster with Whereabouts node slices.
`pending_pod_objects` holds one pod that is still starting while Calico and Whereabouts already
hold addresses for it (``PENDING_IP``, ``PENDING_NET1_IP``): stranded-looking until its grace ends.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "CILIUM_STRANDED_IP",
    "CLUSTER_GUID",
    "CLUSTER_REVISION",
    "CREATED",
    "HANDLE_REVISION",
    "LEAKED_HANDLE",
    "LEAKED_IP",
    "NOW",
    "ORPHAN_SERVICE_IP",
    "PENDING_IP",
    "PENDING_NET1_IP",
    "PROD_BLOCK",
    "PROD_TUNNEL_IP",
    "SEQUENCE_BASE",
    "STRANDED_IP",
    "WEB_1_IP",
    "WEB_1_NET1_IP",
    "WHEREABOUTS_POOL",
    "CalicoEntry",
    "calico_affinity",
    "calico_block",
    "calico_cluster_information",
    "calico_handle",
    "calico_pool",
    "cilium_multi_pool_node",
    "cilium_node",
    "cilium_objects",
    "go_time",
    "ip_address",
    "kube_list",
    "multi_pool_objects",
    "node",
    "node_slice_pool",
    "pending_pod_objects",
    "pod",
    "prod_objects",
    "prod_pods",
    "rfc3339",
    "service",
    "service_cidr",
    "whereabouts_pool",
    "whereabouts_reservation",
    "write_dump",
]

Obj = dict[str, Any]

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the moment the tests sync at
CREATED = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # when the long-running objects were created

PROD_BLOCK = "10.244.1.0/26"  # node-a's Calico block
SEQUENCE_BASE = 1690113884806720472  # the sequence number of ordinal 0; ordinal n has SEQUENCE_BASE + n
HANDLE_REVISION = "6651"  # the resourceVersion of every IPAMHandle
CLUSTER_GUID = "3ba9573ae1ec4ef6b65a658a0583196d"  # ClusterInformation default's spec.clusterGUID
CLUSTER_REVISION = "611612"  # and its resourceVersion
PROD_TUNNEL_IP = "10.244.1.0"  # node-a's VXLAN tunnel address: ordinal 0 of its block, in its annotations
WEB_1_IP = "10.244.1.2"  # default/web-1 on the pod network
WEB_1_NET1_IP = "192.168.50.4"  # default/web-1 on its Multus macvlan interface (Whereabouts)
LEAKED_IP = "10.244.1.5"  # Calico still allocates it to default/batch-7, which is gone
LEAKED_HANDLE = "k8s-pod-network.5d0c9a1e7f3b"  # an IPAMHandle that no block allocation names
STRANDED_IP = "192.168.50.5"  # Whereabouts still gives it to default/db-0, which is gone
ORPHAN_SERVICE_IP = "10.96.0.99"  # an IPAddress of default/old-api, a deleted service
WHEREABOUTS_POOL = "192.168.50.0-24"  # the IPPool's name, as whereabouts writes it
CILIUM_STRANDED_IP = "10.0.1.99"  # in CiliumNode worker-1's status.ipam.used for default/gone-0
PENDING_IP = "10.244.1.7"  # Calico's address for the pending pod of `pending_pod_objects`
PENDING_NET1_IP = "192.168.50.6"  # Whereabouts' address for it


def rfc3339(moment: datetime) -> str:
    """``2026-10-01T08:00:00Z``, as the API server writes creationTimestamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_time(moment: datetime) -> str:
    """Go's ``time.Time.String()`` in UTC, as Calico writes an allocation's ``timestamp``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f000 +0000 UTC")


def _metadata(name: str, namespace: str | None, created: datetime, **extra: Any) -> Obj:
    metadata: Obj = {"creationTimestamp": rfc3339(created), "name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["uid"] = extra.pop("uid", f"uid-{namespace or ''}-{name}")
    metadata.update(extra)
    return metadata


# -- Kubernetes core ---------------------------------------------------------------------------


def node(
    name: str,
    *,
    internal_ip: str,
    pod_cidr: str,
    created: datetime = CREATED,
    calico_vxlan: str | None = None,
    calico: bool = False,
) -> Obj:
    """A node; with ``calico`` (or a ``calico_vxlan`` tunnel address) it carries the annotations
    calico-node writes on it (``projectcalico.org/IPv4Address``, ``.../IPv4VXLANTunnelAddr``)."""
    annotations = {"node.alpha.kubernetes.io/ttl": "0"}
    if calico or calico_vxlan is not None:
        annotations["projectcalico.org/IPv4Address"] = f"{internal_ip}/24"
    if calico_vxlan is not None:
        annotations["projectcalico.org/IPv4VXLANTunnelAddr"] = calico_vxlan
    metadata = _metadata(
        name, None, created, labels={"kubernetes.io/hostname": name}, annotations=annotations
    )
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata,
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]},
        "status": {
            "addresses": [
                {"address": internal_ip, "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ],
        },
    }


def pod(
    namespace: str,
    name: str,
    *,
    node_name: str,
    ips: Sequence[str] = (),
    net1: Sequence[str] = (),
    created: datetime = CREATED,
    phase: str = "Running",
    host_network: bool = False,
    uid: str | None = None,
) -> Obj:
    """A pod; ``net1`` are the addresses of its Multus macvlan interface (network-status)."""
    extra: Obj = {} if uid is None else {"uid": uid}
    if net1:
        networks = [
            {"name": "k8s-pod-network", "ips": list(ips), "default": True, "dns": {}},
            {
                "name": f"{namespace}/macvlan-net1",
                "interface": "net1",
                "ips": list(net1),
                "mac": "da:3f:fb:7a:e2:eb",
                "dns": {},
            },
        ]
        extra["annotations"] = {"k8s.v1.cni.cncf.io/network-status": json.dumps(networks, indent=4)}
    spec: Obj = {"containers": [{"name": "main", "image": "registry.example/app:1.0"}], "nodeName": node_name}
    if host_network:
        spec["hostNetwork"] = True
    status: Obj = {"phase": phase, "startTime": rfc3339(created)}
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": text} for text in ips]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _metadata(name, namespace, created, **extra),
        "spec": spec,
        "status": status,
    }


def service(namespace: str, name: str, *, cluster_ip: str, ingress_ip: str | None = None) -> Obj:
    spec: Obj = {
        "clusterIP": cluster_ip,
        "clusterIPs": [cluster_ip],
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": [{"port": 443, "protocol": "TCP", "targetPort": 8443}],
        "type": "ClusterIP" if ingress_ip is None else "LoadBalancer",
    }
    status: Obj = {"loadBalancer": {} if ingress_ip is None else {"ingress": [{"ip": ingress_ip}]}}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(name, namespace, CREATED),
        "spec": spec,
        "status": status,
    }


def service_cidr(name: str, cidrs: Sequence[str]) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "ServiceCIDR",
        "metadata": _metadata(name, None, CREATED),
        "spec": {"cidrs": list(cidrs)},
    }


def ip_address(address: str, *, service_ref: str, created: datetime = CREATED) -> Obj:
    """The IPAddress the API server keeps for a ClusterIP (KEP-1880), its parent the service."""
    namespace, _, name = service_ref.partition("/")
    labels = {
        "ipaddress.kubernetes.io/ip-family": "IPv4",
        "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IPAddress",
        "metadata": _metadata(address, None, created, labels=labels),
        "spec": {"parentRef": {"group": "", "resource": "services", "namespace": namespace, "name": name}},
    }


# -- Calico ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalicoEntry:
    """One allocation of a block: the pod it names (None: the node's VXLAN tunnel address)."""

    ordinal: int
    handle: str
    pod_ref: str | None = None
    allocated_at: datetime = CREATED


def calico_pool(name: str, cidr: str, *, block_size: int = 26) -> Obj:
    return {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "IPPool",
        "metadata": _metadata(name, None, CREATED),
        "spec": {
            "allowedUses": ["Workload", "Tunnel"],
            "blockSize": block_size,
            "cidr": cidr,
            "ipipMode": "Never",
            "natOutgoing": True,
            "nodeSelector": "all()",
            "vxlanMode": "Always",
        },
    }


def calico_block(cidr: str, *, host: str, entries: Sequence[CalicoEntry]) -> Obj:
    """An IPAMBlock affine to ``host`` holding ``entries`` (one attribute each), valid as calicoctl
    checks it: every other ordinal is listed once in ``unallocated``."""
    size = ipaddress.ip_network(cidr).num_addresses
    allocations: list[int | None] = [None] * size
    attributes = []
    for index, entry in enumerate(entries):
        allocations[entry.ordinal] = index
        if entry.pod_ref is None:
            secondary = {"node": host, "type": "vxlanTunnelAddress"}
        else:
            namespace, _, name = entry.pod_ref.partition("/")
            secondary = {
                "namespace": namespace,
                "node": host,
                "pod": name,
                "timestamp": go_time(entry.allocated_at),
            }
        attributes.append({"handle_id": entry.handle, "secondary": secondary})
    return {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "IPAMBlock",
        "metadata": _metadata(
            cidr.replace(".", "-").replace("/", "-"),
            None,
            CREATED,
            annotations={"projectcalico.org/metadata": '{"creationTimestamp":null}'},
        ),
        "spec": {
            "affinity": f"host:{host}",
            "allocations": allocations,
            "attributes": attributes,
            "cidr": cidr,
            "deleted": False,
            "sequenceNumber": 1690113884806720498,
            "sequenceNumberForAllocation": {
                str(entry.ordinal): SEQUENCE_BASE + entry.ordinal for entry in entries
            },
            "strictAffinity": False,
            "unallocated": [ordinal for ordinal in range(size) if allocations[ordinal] is None],
        },
    }


def calico_cluster_information(*, locked: bool = False) -> Obj:
    """ClusterInformation ``default`` as a Calico v3.26 cluster stores it (the published
    ``kubectl get clusterinfo -o yaml``); ``locked`` as ``calicoctl datastore migrate lock`` leaves it."""
    return {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "ClusterInformation",
        "metadata": _metadata("default", None, CREATED, resourceVersion=CLUSTER_REVISION),
        "spec": {
            "calicoVersion": "v3.26.0",
            "clusterGUID": CLUSTER_GUID,
            "clusterType": "typha,kdd,k8s,operator,bgp,kubeadm",
            "datastoreReady": not locked,
        },
    }


def calico_affinity(host: str, cidr: str) -> Obj:
    return {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "BlockAffinity",
        "metadata": _metadata(f"{host}-{cidr.replace('.', '-').replace('/', '-')}", None, CREATED),
        "spec": {"cidr": cidr, "deleted": "false", "node": host, "state": "confirmed"},
    }


def calico_handle(handle_id: str, *, block: str, count: int = 1) -> Obj:
    return {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "IPAMHandle",
        "metadata": _metadata(handle_id.lower(), None, CREATED, resourceVersion=HANDLE_REVISION),
        "spec": {"block": {block: count}, "deleted": False, "handleID": handle_id},
    }


# -- Whereabouts -------------------------------------------------------------------------------


def whereabouts_pool(namespace: str, cidr: str, allocations: Mapping[int, str]) -> Obj:
    """An IPPool whose ``allocations`` map an offset in ``cidr`` to the podref holding it."""
    return {
        "apiVersion": "whereabouts.cni.cncf.io/v1alpha1",
        "kind": "IPPool",
        "metadata": _metadata(cidr.replace("/", "-"), namespace, CREATED),
        "spec": {
            "allocations": {
                str(offset): {"id": f"{offset:064x}", "ifname": "net1", "podref": podref}
                for offset, podref in allocations.items()
            },
            "range": cidr,
        },
    }


def whereabouts_reservation(namespace: str, address: str, *, podref: str) -> Obj:
    return {
        "apiVersion": "whereabouts.cni.cncf.io/v1alpha1",
        "kind": "OverlappingRangeIPReservation",
        "metadata": _metadata(address, namespace, CREATED),
        "spec": {"ifname": "net1", "podref": podref},
    }


# -- Cilium ------------------------------------------------------------------------------------


def cilium_node(name: str, *, internal_ip: str, pod_cidr: str, used: Mapping[str, str]) -> Obj:
    """A CiliumNode (cluster-pool IPAM); ``used`` maps an address to its owner (ns/pod, router, health)."""
    router = next(address for address, owner in used.items() if owner == "router")
    health = next(address for address, owner in used.items() if owner == "health")
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNode",
        "metadata": _metadata(name, None, CREATED),
        "spec": {
            "addresses": [
                {"ip": internal_ip, "type": "InternalIP"},
                {"ip": router, "type": "CiliumInternalIP"},
            ],
            "health": {"ipv4": health},
            "ipam": {"podCIDRs": [pod_cidr]},
        },
        "status": {
            "ipam": {
                "used": {
                    address: {"owner": owner} | ({"resource": f"{owner}:eth0"} if "/" in owner else {})
                    for address, owner in used.items()
                }
            }
        },
    }


def cilium_multi_pool_node(
    name: str, *, internal_ip: str, allocated: Mapping[str, Sequence[str]], used: Mapping[str, str]
) -> Obj:
    """A CiliumNode in multi-pool IPAM: ``allocated`` maps a CiliumPodIPPool to the CIDRs the
    operator lent this node from it (``spec.ipam.pools.allocated``); ``used`` maps an address to its
    owner."""
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNode",
        "metadata": _metadata(name, None, CREATED),
        "spec": {
            "addresses": [{"ip": internal_ip, "type": "InternalIP"}],
            "ipam": {
                "pools": {
                    "allocated": [{"pool": pool, "cidrs": list(cidrs)} for pool, cidrs in allocated.items()],
                    "requested": [{"pool": pool, "needed": {"ipv4-addrs": 16}} for pool in allocated],
                }
            },
        },
        "status": {"ipam": {"used": {address: {"owner": owner} for address, owner in used.items()}}},
    }


def node_slice_pool(
    namespace: str, name: str, cidr: str, *, slice_size: str, slices: Mapping[str, str]
) -> Obj:
    """A Whereabouts NodeSlicePool; ``slices`` maps each slice range to its node ("" when free)."""
    return {
        "apiVersion": "whereabouts.cni.cncf.io/v1alpha1",
        "kind": "NodeSlicePool",
        "metadata": _metadata(name, namespace, CREATED),
        "spec": {"range": cidr, "sliceSize": slice_size},
        "status": {"allocations": [{"nodeName": node, "sliceRange": item} for item, node in slices.items()]},
    }


# -- clusters and files ------------------------------------------------------------------------


def kube_list(items: Iterable[Obj]) -> Obj:
    """What ``kubectl get ... -o json`` prints for several objects."""
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


def write_dump(folder: Path, files: Mapping[str, Sequence[Obj]]) -> Path:
    """Write each file's objects as one List into ``folder`` (created); the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, objects in files.items():
        (folder / name).write_text(json.dumps(kube_list(objects), indent=4) + "\n", encoding="utf-8")
    return folder


def prod_pods() -> list[Obj]:
    """The pods of `prod_objects`: web-1 (with a Multus address), web-2, api-0 and a host-network pod."""
    return [
        pod("default", "web-1", node_name="node-a", ips=[WEB_1_IP], net1=[WEB_1_NET1_IP]),
        pod("default", "web-2", node_name="node-a", ips=["10.244.1.3"]),
        pod("default", "api-0", node_name="node-b", ips=["10.244.2.5"]),
        pod("kube-system", "kube-proxy-a", node_name="node-a", ips=["192.168.10.11"], host_network=True),
    ]


def prod_objects(*, pods: Sequence[Obj] | None = None) -> dict[str, list[Obj]]:
    """The Calico + Whereabouts cluster, by file: ``core.json`` (nodes, pods, services, as
    ``kubectl get nodes,pods,services -A -o json`` writes it), ``networking.json`` (ServiceCIDR,
    IPAddress), ``calico.json`` and ``whereabouts.json``. ``pods`` replaces `prod_pods`."""
    core = [
        node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24", calico_vxlan=PROD_TUNNEL_IP),
        node("node-b", internal_ip="192.168.10.12", pod_cidr="10.244.2.0/24", calico=True),
        *(prod_pods() if pods is None else copy.deepcopy(list(pods))),
        service("default", "kubernetes", cluster_ip="10.96.0.1"),
        service("default", "web", cluster_ip="10.96.0.20", ingress_ip="203.0.113.10"),
    ]
    networking = [
        service_cidr("kubernetes", ["10.96.0.0/16"]),
        ip_address("10.96.0.1", service_ref="default/kubernetes"),
        ip_address("10.96.0.20", service_ref="default/web"),
        ip_address(ORPHAN_SERVICE_IP, service_ref="default/old-api"),
    ]
    entries = [
        CalicoEntry(0, "vxlan-tunnel-addr-node-a"),
        CalicoEntry(2, "k8s-pod-network.a1b2c3d4e5f6", "default/web-1"),
        CalicoEntry(3, "k8s-pod-network.b2c3d4e5f6a1", "default/web-2"),
        CalicoEntry(5, "k8s-pod-network.c3d4e5f6a1b2", "default/batch-7"),
    ]
    calico = [
        calico_cluster_information(),
        calico_pool("default-ipv4-ippool", "10.244.0.0/16"),
        calico_block(PROD_BLOCK, host="node-a", entries=entries),
        calico_affinity("node-a", PROD_BLOCK),
        *(calico_handle(entry.handle, block=PROD_BLOCK) for entry in entries),
        calico_handle(LEAKED_HANDLE, block=PROD_BLOCK),
    ]
    whereabouts = [
        whereabouts_pool("kube-system", "192.168.50.0/24", {4: "default/web-1", 5: "default/db-0"}),
        whereabouts_reservation("kube-system", WEB_1_NET1_IP, podref="default/web-1"),
        whereabouts_reservation("kube-system", STRANDED_IP, podref="default/db-0"),
    ]
    return {
        "core.json": core,
        "networking.json": networking,
        "calico.json": calico,
        "whereabouts.json": whereabouts,
    }


def cilium_objects() -> dict[str, list[Obj]]:
    """A Cilium cluster (cluster-pool IPAM) of one node and one pod, by file."""
    used = {
        "10.0.1.1": "router",
        "10.0.1.2": "health",
        "10.0.1.17": "default/web-0",
        CILIUM_STRANDED_IP: "default/gone-0",
    }
    return {
        "core.json": [
            node("worker-1", internal_ip="192.168.20.11", pod_cidr="10.0.1.0/24"),
            pod("default", "web-0", node_name="worker-1", ips=["10.0.1.17"]),
            service("default", "kubernetes", cluster_ip="10.96.0.1"),
        ],
        "cilium.json": [
            cilium_node("worker-1", internal_ip="192.168.20.11", pod_cidr="10.0.1.0/24", used=used),
        ],
    }


def multi_pool_objects() -> dict[str, list[Obj]]:
    """A Cilium multi-pool cluster with Whereabouts node slices, by file. Its CiliumPodIPPools
    ``default`` and ``mars`` are those of the shared fixture
    ``cilium-CiliumPodIPPool-docs-default-and-mars.yaml``: worker-1 was lent 10.10.0.0/27 of
    default and 10.20.0.0/27 of mars, and holds the 192.168.60.0/28 slice of NodeSlicePool
    ``net1``, whose IPPool still gives .5 to a gone pod."""
    used = {"10.10.0.1": "router", "10.10.0.5": "default/web-0", "10.20.0.7": "mars/rover-0"}
    return {
        "core.json": [
            node("worker-1", internal_ip="192.168.20.11", pod_cidr="10.244.1.0/24"),
            pod("default", "web-0", node_name="worker-1", ips=["10.10.0.5"], net1=["192.168.60.4"]),
            pod("mars", "rover-0", node_name="worker-1", ips=["10.20.0.7"]),
            service("default", "kubernetes", cluster_ip="10.96.0.1"),
        ],
        "cilium.json": [
            cilium_multi_pool_node(
                "worker-1",
                internal_ip="192.168.20.11",
                allocated={"default": ["10.10.0.0/27"], "mars": ["10.20.0.0/27"]},
                used=used,
            ),
        ],
        "whereabouts.json": [
            node_slice_pool(
                "kube-system",
                "net1",
                "192.168.60.0/24",
                slice_size="/28",
                slices={"192.168.60.0/28": "worker-1", "192.168.60.16/28": ""},
            ),
            whereabouts_pool("kube-system", "192.168.60.0/28", {4: "default/web-0", 5: "default/gone-0"}),
        ],
    }


def pending_pod_objects(created: datetime) -> dict[str, list[Obj]]:
    """A pod created at ``created`` that is still Pending without addresses, while Calico and
    Whereabouts already hold one for it: what a pod looks like while its sandbox starts."""
    pending = pod("default", "new-0", node_name="node-a", created=created, phase="Pending")
    entries = [
        CalicoEntry(0, "vxlan-tunnel-addr-node-a"),
        CalicoEntry(7, "k8s-pod-network.e5f6a1b2c3d4", "default/new-0", allocated_at=created),
    ]
    return {
        "core.json": [node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"), pending],
        "calico.json": [
            calico_block(PROD_BLOCK, host="node-a", entries=entries),
            *(calico_handle(entry.handle, block=PROD_BLOCK) for entry in entries),
        ],
        "whereabouts.json": [
            whereabouts_pool("kube-system", "192.168.50.0/24", {6: "default/new-0"}),
            whereabouts_reservation("kube-system", PENDING_NET1_IP, podref="default/new-0"),
        ],
    }
