"""One cluster per stranded or drift rule, as dumps, with every finding a sync of it must store.

Each `RuleCase` starts from a cluster that is clean against the networks the ledger documents for
it (`clean_objects`, nothing to report) and adds what one rule is about: a Whereabouts entry of
a gone pod, an IPAM block that breaks one of calicoctl's consistency rules, a pod outside the
documented pod network, ... Objects come from the builders of `tests.service.k8s_dumps` (the
shapes of ``../shared/fixtures/k8s``) or, where a published object exists, from that fixture
itself, read in place: the Whereabouts dual-stack pools, the pool of Whereabouts issue #403, the
kind dual-stack Nodes and CiliumNodes, the MetalLB IPAddressPool.

A case's ``expected`` holds every finding row the sync stores, as (severity, kind, subject,
address, pool, owner, release); ``says`` holds phrases its messages must contain. ``form`` is how
the dump is written (see `write_case`): a folder of ``kubectl get -o json`` Lists, one List file,
JSON documents one after another, one YAML multi-document stream, or a nested folder of YAML.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.kube.fake_apiserver import iter_fixture_objects
from tests.kube.k8s_fixtures import fixture_path
from tests.service.k8s_dumps import (
    CalicoEntry,
    calico_affinity,
    calico_block,
    calico_handle,
    calico_pool,
    cilium_node,
    ip_address,
    kube_list,
    node,
    pod,
    service,
    service_cidr,
    whereabouts_pool,
    whereabouts_reservation,
    write_dump,
)

__all__ = [
    "CASES",
    "CILIUM_NETWORKS",
    "FORMS",
    "NODE_A_ENTRIES",
    "PROD_NETWORKS",
    "Files",
    "Row",
    "RuleCase",
    "added",
    "clean_objects",
    "dual_stack_objects",
    "removed",
    "replaced",
    "write_case",
]

Obj = dict[str, Any]
Files = dict[str, list[Obj]]  # file name -> objects, as `kubectl get ... -o json > NAME` writes them
# (severity, kind, subject, address, pool, owner, release) of one stored finding.
Row = tuple[str, str, str, str | None, str, str, str]

FORMS = ("folder", "json-file", "json-stream", "yaml-stream", "yaml-folder")

# What the ledger documents for the clean cluster: every network it uses, nothing more.
PROD_NETWORKS = (
    ("10.244.0.0/16", "pod"),
    ("192.168.50.0/24", "pod"),  # the Whereabouts range of the pods' second interfaces
    ("10.96.0.0/16", "service"),
    ("192.168.10.0/24", "node"),
    ("203.0.113.0/24", "loadbalancer"),
)
CILIUM_NETWORKS = (("10.0.0.0/16", "pod"), ("10.96.0.0/16", "service"), ("192.168.20.0/24", "node"))

WB_POOL = "IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)"
WB_POOLS = "ippools.whereabouts.cni.cncf.io"
WB_RESERVATIONS = "overlappingrangeipreservations.whereabouts.cni.cncf.io"
BLOCK_A = "IPAM block 10-244-1-0-26 (10.244.1.0/26)"
EDIT_BLOCK_A = (
    "kubectl edit ipamblocks.crd.projectcalico.org 10-244-1-0-26  # make every ordinal either allocated "
    "to an existing attribute or listed once in spec.unallocated"
)
SERVICE_CIDR = "ServiceCIDR kubernetes (10.96.0.0/16)"
# Pod handles of the clean cluster's Calico blocks (ordinal 0 of each is the node's VXLAN tunnel).
WEB_1_HANDLE = "k8s-pod-network.a1b2c3d4e5f6"
WEB_2_HANDLE = "k8s-pod-network.b2c3d4e5f6a1"
API_0_HANDLE = "k8s-pod-network.d4e5f6a1b2c3"
BATCH_7_HANDLE = "k8s-pod-network.c3d4e5f6a1b2"  # a pod that is gone
NODE_A_ENTRIES = (
    CalicoEntry(0, "vxlan-tunnel-addr-node-a"),
    CalicoEntry(2, WEB_1_HANDLE, "default/web-1"),
    CalicoEntry(3, WEB_2_HANDLE, "default/web-2"),
)
NODE_B_ENTRIES = (CalicoEntry(0, "vxlan-tunnel-addr-node-b"), CalicoEntry(5, API_0_HANDLE, "default/api-0"))


def container(offset: int) -> str:
    """The container ID `k8s_dumps.whereabouts_pool` gives the entry at ``offset``."""
    return f"{offset:064x}"


@dataclass(frozen=True, slots=True)
class RuleCase:
    """A cluster with one kind of defect, what the ledger documents for it, and what a sync stores."""

    id: str
    objects: Callable[[], Files]
    expected: frozenset[Row]
    networks: tuple[tuple[str, str], ...] = PROD_NETWORKS  # (cidr, role), managed by cluster:prod
    others: tuple[tuple[str, str], ...] = ()  # (cidr, managed_by) of prefixes that are not prod's
    ranges: tuple[tuple[str, str], ...] = ()  # (start-end, role) of ranges managed by cluster:prod
    says: tuple[str, ...] = ()  # phrases that some finding's message must contain
    form: str = "folder"

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(row[1] for row in self.expected)


def stranded(
    kind: str,
    cni: str,
    address: str | None,
    pool: str,
    owner: str,
    release: str,
    *,
    severity: str = "warning",
) -> Row:
    """The row of a stranded finding; its subject names the address in its pool (or the pool)."""
    subject = f"{cni}: {pool}" if address is None else f"{cni}: {address} in {pool}"
    return (severity, kind, subject, address, pool, owner, release)


def drift(kind: str, subject: str, *, severity: str = "warning") -> Row:
    """The row of a drift finding: it names no single address, pool, owner or command."""
    return (severity, kind, subject, None, "", "", "")


# -- editing a cluster's files -------------------------------------------------------------------


def _name(obj: Obj) -> str:
    metadata = obj["metadata"]
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])


def added(files: Files, name: str, *objects: Obj) -> Files:
    """``files`` with ``objects`` appended to file ``name`` (created when missing)."""
    return {**files, name: [*files.get(name, []), *objects]}


def removed(files: Files, kind: str, *names: str) -> Files:
    """``files`` without the objects of ``kind`` named (``namespace/name`` or ``name``) ``names``."""
    return {
        file: [obj for obj in objects if not (obj["kind"] == kind and _name(obj) in names)]
        for file, objects in files.items()
    }


def replaced(files: Files, kind: str, name: str, change: Callable[[Obj], None]) -> Files:
    """``files`` with ``change`` applied to a copy of the object of ``kind`` named ``name``."""
    found = False
    result: Files = {}
    for file, objects in files.items():
        result[file] = []
        for obj in objects:
            if obj["kind"] == kind and _name(obj) == name:
                obj = copy.deepcopy(obj)
                change(obj)
                found = True
            result[file].append(obj)
    assert found, f"no {kind} {name} in the cluster"
    return result


def _cidr_name(cidr: str) -> str:
    # Calico's object names (libcalico-go names/cidr.go): ".", ":" and "/" become "-".
    return cidr.replace(".", "-").replace(":", "-").replace("/", "-")


def v6_block(cidr: str, *, host: str, entries: Sequence[CalicoEntry]) -> Obj:
    block = calico_block(cidr, host=host, entries=entries)
    block["metadata"]["name"] = _cidr_name(cidr)
    return block


def v6_affinity(host: str, cidr: str) -> Obj:
    affinity = calico_affinity(host, cidr)
    affinity["metadata"]["name"] = f"{host}-{_cidr_name(cidr)}"
    return affinity


def v6_ip_address(address: str, *, service_ref: str) -> Obj:
    item = ip_address(address, service_ref=service_ref)
    item["metadata"]["labels"]["ipaddress.kubernetes.io/ip-family"] = "IPv6"
    return item


def handle(handle_id: str, blocks: Mapping[str, int]) -> Obj:
    """An IPAMHandle holding ``blocks`` (block CIDR -> addresses): a dual-stack pod has one handle."""
    item = calico_handle(handle_id, block=next(iter(blocks)))
    item["spec"]["block"] = dict(blocks)
    return item


def fixture_objects(name: str) -> list[Obj]:
    """The objects of a shared fixture, read in place."""
    return list(iter_fixture_objects(fixture_path(name)))


# -- the clean cluster ---------------------------------------------------------------------------


def clean_objects() -> Files:
    """Calico with Multus and Whereabouts: two nodes, three pods (two with a second interface) and a
    host-network pod, a LoadBalancer service; every record matches, nothing is outside PROD_NETWORKS."""
    core = [
        node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"),
        node("node-b", internal_ip="192.168.10.12", pod_cidr="10.244.2.0/24"),
        pod("default", "web-1", node_name="node-a", ips=["10.244.1.2"], net1=["192.168.50.4"]),
        pod("default", "web-2", node_name="node-a", ips=["10.244.1.3"], net1=["192.168.50.3"]),
        pod("default", "api-0", node_name="node-b", ips=["10.244.2.5"]),
        pod("kube-system", "kube-proxy-a", node_name="node-a", ips=["192.168.10.11"], host_network=True),
        service("default", "kubernetes", cluster_ip="10.96.0.1"),
        service("default", "web", cluster_ip="10.96.0.20", ingress_ip="203.0.113.10"),
    ]
    networking = [
        service_cidr("kubernetes", ["10.96.0.0/16"]),
        ip_address("10.96.0.1", service_ref="default/kubernetes"),
        ip_address("10.96.0.20", service_ref="default/web"),
    ]
    calico = [
        calico_pool("default-ipv4-ippool", "10.244.0.0/16"),
        calico_block("10.244.1.0/26", host="node-a", entries=NODE_A_ENTRIES),
        calico_affinity("node-a", "10.244.1.0/26"),
        calico_block("10.244.2.0/26", host="node-b", entries=NODE_B_ENTRIES),
        calico_affinity("node-b", "10.244.2.0/26"),
        *(calico_handle(entry.handle, block="10.244.1.0/26") for entry in NODE_A_ENTRIES),
        *(calico_handle(entry.handle, block="10.244.2.0/26") for entry in NODE_B_ENTRIES),
    ]
    whereabouts = [
        whereabouts_pool("kube-system", "192.168.50.0/24", {3: "default/web-2", 4: "default/web-1"}),
        whereabouts_reservation("kube-system", "192.168.50.3", podref="default/web-2"),
        whereabouts_reservation("kube-system", "192.168.50.4", podref="default/web-1"),
    ]
    return {
        "core.json": core,
        "networking.json": networking,
        "calico.json": calico,
        "whereabouts.json": whereabouts,
    }


def _set_allocations(allocations: Mapping[int, str]) -> Callable[[Obj], None]:
    def change(pool_object: Obj) -> None:
        pool_object["spec"]["allocations"] = {
            str(offset): {"id": container(offset), "ifname": "net1", "podref": podref}
            for offset, podref in allocations.items()
        }

    return change


# -- Whereabouts -------------------------------------------------------------------------------


def _whereabouts_pod_gone() -> Files:
    files = replaced(
        clean_objects(),
        "IPPool",
        "kube-system/192.168.50.0-24",
        _set_allocations({3: "default/web-2", 4: "default/web-1", 5: "default/db-0"}),
    )
    return added(
        files,
        "whereabouts.json",
        whereabouts_reservation("kube-system", "192.168.50.5", podref="default/db-0"),
    )


def _evicted(obj: Obj) -> None:
    # What the taint manager sets on a pod of an unreachable node before deleting it.
    obj["status"]["conditions"] = [
        {
            "lastProbeTime": None,
            "lastTransitionTime": "2026-11-01T11:00:00Z",
            "message": "Taint manager: deleting due to NoExecute taint",
            "reason": "DeletionByTaintManager",
            "status": "True",
            "type": "DisruptionTarget",
        },
        {
            "lastProbeTime": None,
            "lastTransitionTime": "2026-10-01T08:00:10Z",
            "status": "True",
            "type": "Ready",
        },
    ]


def _whereabouts_pod_evicted() -> Files:
    return replaced(clean_objects(), "Pod", "default/web-2", _evicted)


def _whereabouts_ip_not_on_pod() -> Files:
    """Whereabouts #176: web-1 was re-created and got 192.168.50.9; its old entry still holds .4."""
    files = replaced(
        clean_objects(),
        "IPPool",
        "kube-system/192.168.50.0-24",
        _set_allocations({3: "default/web-2", 4: "default/web-1", 9: "default/web-1"}),
    )
    files = replaced(
        files,
        "Pod",
        "default/web-1",
        lambda obj: obj.update(
            pod(
                "default", "web-1", node_name="node-a", ips=["10.244.1.2"], net1=["192.168.50.9"], uid="uid-2"
            )
        ),
    )
    return added(
        files,
        "whereabouts.json",
        whereabouts_reservation("kube-system", "192.168.50.9", podref="default/web-1"),
    )


def _allocation_without_reservation() -> Files:
    return removed(clean_objects(), "OverlappingRangeIPReservation", "kube-system/192.168.50.4")


def _reservation_of_gone_pod() -> Files:
    return added(
        clean_objects(),
        "whereabouts.json",
        whereabouts_reservation("kube-system", "192.168.50.7", podref="default/db-1"),
    )


def _reservation_of_live_pod() -> Files:
    """Whereabouts #712: web-1's pool entry was lost while its reservation stays."""
    return replaced(
        clean_objects(), "IPPool", "kube-system/192.168.50.0-24", _set_allocations({3: "default/web-2"})
    )


def _named_network_without_reservation() -> Files:
    """A second Whereabouts network, ``storage``: its pool and reservations carry the network's name
    in front (``storage-192.168.60.0-24``); web-1's reservation there is missing."""
    storage = whereabouts_pool("kube-system", "192.168.60.0/24", {4: "default/web-1"})
    storage["metadata"]["name"] = "storage-192.168.60.0-24"
    files = replaced(
        clean_objects(),
        "Pod",
        "default/web-1",
        lambda obj: obj.update(
            pod(
                "default",
                "web-1",
                node_name="node-a",
                ips=["10.244.1.2"],
                net1=["192.168.50.4", "192.168.60.4"],
            )
        ),
    )
    return added(files, "whereabouts.json", storage)


def _issue_403_pool() -> Files:
    return added(
        clean_objects(),
        "whereabouts-403.json",
        *fixture_objects("whereabouts-IPPool-bogus-offset-issue403.yaml"),
    )


def _offset_past_an_ipv6_range() -> Files:
    pool_object = whereabouts_pool("kube-system", "fd00:10:200::/120", {256: "default/web-1"})
    pool_object["metadata"]["name"] = "fd00-10-200---120"
    return added(clean_objects(), "whereabouts.json", pool_object)


# -- Calico ------------------------------------------------------------------------------------


def _calico_leaked_ip() -> Files:
    entries = (*NODE_A_ENTRIES, CalicoEntry(5, BATCH_7_HANDLE, "default/batch-7"))
    files = replaced(
        clean_objects(),
        "IPAMBlock",
        "10-244-1-0-26",
        lambda obj: obj.update(calico_block("10.244.1.0/26", host="node-a", entries=entries)),
    )
    return added(files, "calico.json", calico_handle(BATCH_7_HANDLE, block="10.244.1.0/26"))


LB_HANDLE = "lb-2f1c5e0f4a9b7d3c"


def _calico_leaked_load_balancer_ip() -> Files:
    """Calico's LoadBalancer controller still holds 203.0.113.20 for default/old-edge, which is gone."""
    pool_object = calico_pool("loadbalancer-ippool", "203.0.113.0/24")
    pool_object["spec"].update(allowedUses=["LoadBalancer"], vxlanMode="Never", natOutgoing=False)
    block = calico_block(
        "203.0.113.0/26",
        host="load-balancer",
        entries=[CalicoEntry(10, "lb-0d9e8f7a6b5c4d3e"), CalicoEntry(20, LB_HANDLE)],
    )
    block["spec"]["affinity"] = "virtual:load-balancer"
    block["spec"]["attributes"] = [
        {
            "handle_id": "lb-0d9e8f7a6b5c4d3e",
            "secondary": {"namespace": "default", "service": "web", "type": "LoadBalancer"},
        },
        {
            "handle_id": LB_HANDLE,
            "secondary": {"namespace": "default", "service": "old-edge", "type": "LoadBalancer"},
        },
    ]
    return added(
        clean_objects(),
        "calico.json",
        pool_object,
        block,
        calico_handle("lb-0d9e8f7a6b5c4d3e", block="203.0.113.0/26"),
        calico_handle(LB_HANDLE, block="203.0.113.0/26"),
    )


NGINX_HANDLE = "k8s-pod-network.cb07c78e242382171ac035d9b888454f71bb393e788f7feaa7ee13d4ead5cb34"
# The pods of the published block 192.168.185.0/26 of node mac-k8s, by ordinal, besides nginx (16).
MAC_K8S_PODS = {
    8: "calico-apiserver/calico-apiserver-5bc5cf4559-9d6dq",
    9: "calico-system/csi-node-driver-j62g7",
    10: "kube-system/coredns-7f6cbbb7b8-rr9dr",
    11: "calico-system/calico-kube-controllers-6f6579ddff-sq7hz",
    12: "kube-system/coredns-7f6cbbb7b8-78bwt",
    13: "calico-apiserver/calico-apiserver-5bc5cf4559-l7m8r",
}
MAC_K8S_NETWORKS = (("192.168.0.0/16", "pod"), ("10.96.0.0/16", "service"), ("10.0.2.0/24", "node"))


def _published_block_after_nginx_was_deleted() -> Files:
    """The published IPAMBlock after ``kubectl run nginx``, read in place, from a cluster where
    nginx has since been deleted while its allocation stayed (and with it, its IPAMHandle)."""
    pods = [
        pod(*ref.split("/"), node_name="mac-k8s", ips=[f"192.168.185.{ordinal}"])
        for ordinal, ref in MAC_K8S_PODS.items()
    ]
    return {
        "core.json": [
            node("mac-k8s", internal_ip="10.0.2.15", pod_cidr="192.168.185.0/24"),
            *pods,
            service("default", "kubernetes", cluster_ip="10.96.0.1"),
        ],
        "calico.yaml": fixture_objects("calico-IPAMBlock-list-crd-v1-after-allocation.yaml"),
    }


def _legacy_ipv6_service() -> Files:
    return added(
        clean_objects(), "legacy.yaml", *fixture_objects("Service-LoadBalancer-ipv6-legacy-ipFamily.yaml")
    )


def _calico_leaked_handle() -> Files:
    return added(
        clean_objects(), "calico.json", calico_handle("k8s-pod-network.5d0c9a1e7f3b", block="10.244.1.0/26")
    )


def _calico_missing_handle() -> Files:
    return removed(clean_objects(), "IPAMHandle", WEB_2_HANDLE)


def _broken_block(change: Callable[[dict[str, Any]], None]) -> Callable[[], Files]:
    """The clean cluster with node-a's block changed by ``change`` (given the block's spec)."""

    def objects() -> Files:
        return replaced(clean_objects(), "IPAMBlock", "10-244-1-0-26", lambda obj: change(obj["spec"]))

    return objects


def _nonexistent_attribute(spec: dict[str, Any]) -> None:
    spec["allocations"][7] = 9
    spec["unallocated"].remove(7)


def _unindexed_attribute(spec: dict[str, Any]) -> None:
    spec["attributes"].append({"handle_id": None, "secondary": {"node": "node-a", "pod": "gone-3"}})


def _released_in_the_future(spec: dict[str, Any]) -> None:
    spec["attributes"][2]["releasedAt"] = "2026-11-08T12:00:00Z"  # a week after the sync


def _unallocated_out_of_block(spec: dict[str, Any]) -> None:
    spec["unallocated"][-1] = 64


def _unallocated_twice(spec: dict[str, Any]) -> None:
    spec["unallocated"][-1] = 62


def _allocated_and_unallocated(spec: dict[str, Any]) -> None:
    spec["unallocated"][-1] = 2


def _ordinal_lost(spec: dict[str, Any]) -> None:
    spec["unallocated"].remove(40)


def _allocations_short(spec: dict[str, Any]) -> None:
    del spec["allocations"][63]
    spec["unallocated"].remove(63)


def _allocations_long(spec: dict[str, Any]) -> None:
    spec["allocations"].append(0)  # "ordinal" 64 of a /26, given to the tunnel's attribute


def _gone_node_block() -> Files:
    """node-c was deleted; its block keeps its tunnel address and its confirmed affinity."""
    entries = (CalicoEntry(0, "vxlan-tunnel-addr-node-c"),)
    return added(
        clean_objects(),
        "calico.json",
        calico_block("10.244.3.0/26", host="node-c", entries=entries),
        calico_affinity("node-c", "10.244.3.0/26"),
        calico_handle("vxlan-tunnel-addr-node-c", block="10.244.3.0/26"),
    )


def _affinity(host: str, cidr: str, *, state: str = "confirmed", deleted: str = "false") -> Obj:
    affinity = calico_affinity(host, cidr)
    affinity["spec"].update(state=state, deleted=deleted)
    return affinity


def _gone_node_affinities() -> Files:
    """BlockAffinities of gone nodes without blocks: confirmed (reported), pending, deleted and a
    pending one on node-a's live block (all absent, as Calico treats them)."""
    return added(
        clean_objects(),
        "calico.json",
        _affinity("node-d", "10.244.4.0/26"),
        _affinity("node-e", "10.244.5.0/26", state="pending"),
        _affinity("node-f", "10.244.6.0/26", deleted="true"),
        _affinity("node-g", "10.244.1.0/26", state="pending"),
    )


# -- Kubernetes IPAddress and Cilium -----------------------------------------------------------


def _ipaddress_of_gone_service() -> Files:
    return added(clean_objects(), "networking.json", ip_address("10.96.0.99", service_ref="default/old-api"))


def _ipaddress_the_service_lacks() -> Files:
    """default/web was re-created with another ClusterIP; the IPAddress of its old one stays."""
    return added(clean_objects(), "networking.json", ip_address("10.96.0.21", service_ref="default/web"))


def _cilium_objects(used: Mapping[str, str] | None = None) -> Files:
    worker_1 = {"10.0.1.1": "router", "10.0.1.2": "health", "10.0.1.17": "default/web-0"}
    return {
        "core.json": [
            node("worker-1", internal_ip="192.168.20.11", pod_cidr="10.0.1.0/24"),
            pod("default", "web-0", node_name="worker-1", ips=["10.0.1.17"]),
            service("default", "kubernetes", cluster_ip="10.96.0.1"),
        ],
        "cilium.json": [
            cilium_node(
                "worker-1",
                internal_ip="192.168.20.11",
                pod_cidr="10.0.1.0/24",
                used={**worker_1, **(used or {})},
            )
        ],
    }


def _cilium_owner_gone() -> Files:
    return _cilium_objects({"10.0.1.99": "default/gone-0"})


def _cilium_node_gone() -> Files:
    used = {"10.0.2.1": "router", "10.0.2.2": "health", "10.0.2.30": "default/gone-1"}
    return added(
        _cilium_objects(),
        "cilium.json",
        cilium_node("worker-2", internal_ip="192.168.20.12", pod_cidr="10.0.2.0/24", used=used),
    )


def _kind_cluster_without_worker2() -> Files:
    """The kind dual-stack cluster of the fixture after ``kubectl delete node dual-stack-worker2``
    while the operator that would delete its CiliumNode was down."""
    objects = fixture_objects("List-Node-CiliumNode-dualstack-kind.yaml")
    return removed({"kind.yaml": objects}, "Node", "dual-stack-worker2")


# -- dual-stack --------------------------------------------------------------------------------


def _dual_node(name: str, number: int) -> Obj:
    obj = node(name, internal_ip=f"192.168.10.{10 + number}", pod_cidr=f"10.244.{number}.0/24")
    obj["spec"]["podCIDRs"] = [f"10.244.{number}.0/24", f"fd00:10:244:{number}::/64"]
    obj["status"]["addresses"].insert(1, {"address": f"fd00:192:168:10::{10 + number}", "type": "InternalIP"})
    return obj


def _dual_service(namespace: str, name: str, *, cluster_ips: Sequence[str], ingress_ip: str) -> Obj:
    obj = service(namespace, name, cluster_ip=cluster_ips[0], ingress_ip=ingress_ip)
    obj["spec"].update(
        clusterIPs=list(cluster_ips), ipFamilies=["IPv4", "IPv6"], ipFamilyPolicy="PreferDualStack"
    )
    return obj


WB_TEST_1 = "default/whereabouts-test-1"
WB_TEST_2 = "default/whereabouts-test-2"  # gone: its two addresses are stranded
WB_TEST_2_CONTAINER = "c451f9c9febef58007dd3ff8945350da924f7b2340d176acb2eb3fb32555f35e"
V6_BLOCK_A = "fd00:10:244:1::/122"
V6_BLOCK_B = "fd00:10:244:2::/122"


def dual_stack_objects() -> Files:
    """IPv4 + IPv6 everywhere: dual-stack nodes and pods, the published Whereabouts dual-stack
    pools (IPv6 pool ``fd69-6684-61a-2---64``, offsets 256/257), an IPv6 Calico pool and blocks
    and a dual-stack Service. Left over: whereabouts-test-2's two addresses, a Calico IPv6 address
    of a gone pod and the IPAddress of a gone service's IPv6 ClusterIP."""
    pools = fixture_objects("whereabouts-IPPool-list-dualstack.yaml")
    test_1 = pod(
        "default",
        "whereabouts-test-1",
        node_name="node-1",
        ips=["10.244.1.2", "fd00:10:244:1::2"],
        net1=["192.168.40.101", "fd69:6684:61a:2::101"],
    )
    core = [
        _dual_node("node-1", 1),
        _dual_node("node-2", 2),
        test_1,
        pod("default", "web-2", node_name="node-2", ips=["10.244.2.3", "fd00:10:244:2::3"]),
        service("default", "kubernetes", cluster_ip="10.96.0.1"),
        _dual_service(
            "default", "web", cluster_ips=["10.96.0.20", "fd00:10:96::20"], ingress_ip="203.0.113.10"
        ),
    ]
    networking = [
        service_cidr("kubernetes", ["10.96.0.0/16", "fd00:10:96::/112"]),
        ip_address("10.96.0.1", service_ref="default/kubernetes"),
        ip_address("10.96.0.20", service_ref="default/web"),
        v6_ip_address("fd00:10:96::20", service_ref="default/web"),
        v6_ip_address("fd00:10:96::99", service_ref="default/old-api"),
    ]
    test_1_handle, web_2_handle = "k8s-pod-network.0a1b2c3d4e5f", "k8s-pod-network.1a2b3c4d5e6f"
    v6_pool = calico_pool("default-ipv6-ippool", "fd00:10:244::/48", block_size=122)
    v6_pool["spec"].update(vxlanMode="Never")
    calico = [
        calico_pool("default-ipv4-ippool", "10.244.0.0/16"),
        v6_pool,
        calico_block(
            "10.244.1.0/26",
            host="node-1",
            entries=[CalicoEntry(0, "vxlan-tunnel-addr-node-1"), CalicoEntry(2, test_1_handle, WB_TEST_1)],
        ),
        calico_block(
            "10.244.2.0/26",
            host="node-2",
            entries=[
                CalicoEntry(0, "vxlan-tunnel-addr-node-2"),
                CalicoEntry(3, web_2_handle, "default/web-2"),
            ],
        ),
        v6_block(
            V6_BLOCK_A,
            host="node-1",
            entries=[
                CalicoEntry(2, test_1_handle, WB_TEST_1),
                CalicoEntry(5, BATCH_7_HANDLE, "default/batch-7"),
            ],
        ),
        v6_block(V6_BLOCK_B, host="node-2", entries=[CalicoEntry(3, web_2_handle, "default/web-2")]),
        calico_affinity("node-1", "10.244.1.0/26"),
        calico_affinity("node-2", "10.244.2.0/26"),
        v6_affinity("node-1", V6_BLOCK_A),
        v6_affinity("node-2", V6_BLOCK_B),
        calico_handle("vxlan-tunnel-addr-node-1", block="10.244.1.0/26"),
        calico_handle("vxlan-tunnel-addr-node-2", block="10.244.2.0/26"),
        handle(test_1_handle, {"10.244.1.0/26": 1, V6_BLOCK_A: 1}),
        handle(web_2_handle, {"10.244.2.0/26": 1, V6_BLOCK_B: 1}),
        handle(BATCH_7_HANDLE, {V6_BLOCK_A: 1}),
    ]
    reservations = [
        whereabouts_reservation("kube-system", name, podref=podref)
        for name, podref in (
            ("192.168.40.100", WB_TEST_2),
            ("192.168.40.101", WB_TEST_1),
            ("fd69-6684-61a-2--100", WB_TEST_2),
            ("fd69-6684-61a-2--101", WB_TEST_1),
        )
    ]
    return {
        "core.json": core,
        "networking.json": networking,
        "calico.json": calico,
        "whereabouts.json": [*pools, *reservations],
    }


DUAL_STACK_NETWORKS = (
    ("10.244.0.0/16", "pod"),
    ("fd00:10:244::/48", "pod"),
    ("192.168.40.0/24", "pod"),
    ("fd69:6684:61a:2::/64", "pod"),
    ("10.96.0.0/16", "service"),
    ("fd00:10:96::/112", "service"),
    ("192.168.10.0/24", "node"),
    ("fd00:192:168:10::/64", "node"),
    ("203.0.113.0/24", "loadbalancer"),
)


# -- drift -------------------------------------------------------------------------------------


def _pods_outside() -> Files:
    strays = [
        pod("legacy", f"job-{index}", node_name="node-b", ips=[f"10.50.0.{index}"]) for index in (4, 5, 6)
    ]
    return added(clean_objects(), "core.json", *strays)


def _ipv6_pod_outside() -> Files:
    stray = pod("legacy", "job-v6", node_name="node-2", ips=["10.244.2.9", "fd00:99::9"])
    return added(dual_stack_objects(), "core.json", stray)


def _node_cidr_outside() -> Files:
    return added(
        clean_objects(), "core.json", node("node-c", internal_ip="192.168.10.13", pod_cidr="10.50.1.0/24")
    )


def _calico_block_and_pool_outside() -> Files:
    return added(
        clean_objects(),
        "calico.json",
        calico_pool("legacy-ippool", "10.50.0.0/16"),
        calico_block("10.50.2.0/26", host="node-b", entries=()),
        calico_affinity("node-b", "10.50.2.0/26"),
    )


def _whereabouts_range_outside() -> Files:
    return added(clean_objects(), "whereabouts.json", whereabouts_pool("kube-system", "172.30.0.0/24", {}))


def _cilium_pool_outside() -> Files:
    def multi_pool(obj: Obj) -> None:
        obj["spec"]["ipam"]["pools"] = {"allocated": [{"cidrs": ["10.60.0.0/27"], "pool": "mars"}]}

    return replaced(_cilium_objects(), "CiliumNode", "worker-1", multi_pool)


def _services_outside() -> Files:
    files = added(clean_objects(), "core.json", service("default", "legacy", cluster_ip="10.100.0.10"))
    return added(files, "networking.json", service_cidr("legacy", ["10.100.0.0/24"]))


def _load_balancers_outside() -> Files:
    edge = service("default", "edge", cluster_ip="10.96.0.30", ingress_ip="198.51.100.7")
    files = added(clean_objects(), "core.json", edge)
    return added(files, "metallb.yaml", *fixture_objects("metallb-IPAddressPool-simple.yaml"))


# -- the cases ---------------------------------------------------------------------------------


def _wb_removal(pool: str, offset: int | str, podref: str) -> str:
    operations = [
        {"op": "test", "path": f"/spec/allocations/{offset}/podref", "value": podref},
        {"op": "remove", "path": f"/spec/allocations/{offset}"},
    ]
    body = json.dumps(operations, separators=(",", ":"))
    return f"kubectl -n kube-system patch {WB_POOLS} {pool} --type=json -p '{body}'"


def _wb_deletion(name: str) -> str:
    return f"kubectl delete {WB_RESERVATIONS} -n kube-system {name}"


def _invalid_block(
    case_id: str, change: Callable[[dict[str, Any]], None], *problems: str, **options: Any
) -> RuleCase:
    """A case of node-a's block broken by ``change``; calicoctl's words for each problem."""
    row = stranded(
        "calico-invalid-block", "calico", None, BLOCK_A, "host:node-a", EDIT_BLOCK_A, severity="error"
    )
    also: Iterable[Row] = options.pop("also", ())
    return RuleCase(case_id, _broken_block(change), frozenset({row, *also}), says=problems, **options)


MISSING_HANDLE_MANIFEST = (
    '{"apiVersion":"crd.projectcalico.org/v1","kind":"IPAMHandle","metadata":{"name":"k8s-pod-network.b2c3d4e5f6a1"},'
    '"spec":{"handleID":"k8s-pod-network.b2c3d4e5f6a1","block":{"10.244.1.0/26":1},"deleted":false}}'
)
RESERVATION_MANIFEST = (
    '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"OverlappingRangeIPReservation",'
    '"metadata":{"name":"192.168.50.4","namespace":"kube-system"},'
    f'"spec":{{"containerid":"{container(4)}","podref":"default/web-1","ifname":"net1"}}}}'
)
CILIUM_RESTART_WORKER_1 = (
    "restart the Cilium agent on worker-1 so that it rebuilds status.ipam.used from its endpoints: "
    "kubectl -n kube-system delete pod -l k8s-app=cilium --field-selector spec.nodeName=worker-1"
)
DUAL_STACK_ROWS = frozenset(
    {
        stranded(
            "whereabouts-pod-gone",
            "whereabouts",
            "192.168.40.100",
            "IPPool kube-system/192.168.40.0-24 (192.168.40.0/24)",
            f"{WB_TEST_2} (container {WB_TEST_2_CONTAINER})",
            f"{_wb_removal('192.168.40.0-24', 100, WB_TEST_2)} && {_wb_deletion('192.168.40.100')}",
        ),
        stranded(
            "whereabouts-pod-gone",
            "whereabouts",
            "fd69:6684:61a:2::100",
            "IPPool kube-system/fd69-6684-61a-2---64 (fd69:6684:61a:2::/64)",
            f"{WB_TEST_2} (container {WB_TEST_2_CONTAINER})",
            f"{_wb_removal('fd69-6684-61a-2---64', 256, WB_TEST_2)} && {_wb_deletion('fd69-6684-61a-2--100')}",
        ),
        stranded(
            "calico-leaked-ip",
            "calico",
            "fd00:10:244:1::5",
            "IPAM block fd00-10-244-1---122 (fd00:10:244:1::/122)",
            f"handle {BATCH_7_HANDLE}, pod default/batch-7, node node-1",
            "calicoctl ipam release --ip=fd00:10:244:1::5",
        ),
        stranded(
            "service-ipaddress-orphan",
            "kubernetes",
            "fd00:10:96::99",
            "ServiceCIDR kubernetes (fd00:10:96::/112)",
            "services/default/old-api",
            "kubectl delete ipaddress fd00:10:96::99",
        ),
    }
)

CASES: tuple[RuleCase, ...] = (
    RuleCase("clean", clean_objects, frozenset()),
    # Whereabouts
    RuleCase(
        "whereabouts-pod-gone",
        _whereabouts_pod_gone,
        frozenset(
            {
                stranded(
                    "whereabouts-pod-gone",
                    "whereabouts",
                    "192.168.50.5",
                    WB_POOL,
                    f"default/db-0 (container {container(5)})",
                    "kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io 192.168.50.0-24 --type=json -p "
                    """'[{"op":"test","path":"/spec/allocations/5/podref","value":"default/db-0"},"""
                    """{"op":"remove","path":"/spec/allocations/5"}]' && kubectl delete """
                    "overlappingrangeipreservations.whereabouts.cni.cncf.io -n kube-system 192.168.50.5",
                )
            }
        ),
        says=("pod default/db-0 no longer exists",),
    ),
    RuleCase(
        "whereabouts-pod-evicted",
        _whereabouts_pod_evicted,
        frozenset(
            {
                stranded(
                    "whereabouts-pod-gone",
                    "whereabouts",
                    "192.168.50.3",
                    WB_POOL,
                    f"default/web-2 (container {container(3)})",
                    f"{_wb_removal('192.168.50.0-24', 3, 'default/web-2')} && {_wb_deletion('192.168.50.3')}",
                )
            }
        ),
        says=("pod default/web-2 is being evicted by the taint manager",),
        form="json-file",
    ),
    RuleCase(
        "whereabouts-ip-not-on-pod",
        _whereabouts_ip_not_on_pod,
        frozenset(
            {
                stranded(
                    "whereabouts-ip-not-on-pod",
                    "whereabouts",
                    "192.168.50.4",
                    WB_POOL,
                    f"default/web-1 (container {container(4)})",
                    f"{_wb_removal('192.168.50.0-24', 4, 'default/web-1')} && {_wb_deletion('192.168.50.4')}",
                )
            }
        ),
        says=(
            "pod default/web-1 exists but 192.168.50.4 is not among its Multus secondary addresses (192.168.50.9)",
        ),
        form="yaml-stream",
    ),
    RuleCase(
        "whereabouts-allocation-without-reservation",
        _allocation_without_reservation,
        frozenset(
            {
                (
                    "warning",
                    "whereabouts-allocation-without-reservation",
                    f"whereabouts: 192.168.50.4 in {WB_POOL}",
                    "192.168.50.4",
                    WB_POOL,
                    "default/web-1",
                    f"echo '{RESERVATION_MANIFEST}' | kubectl create -f -",
                )
            }
        ),
        says=("no OverlappingRangeIPReservation records it", "Repair: echo"),
    ),
    RuleCase(
        "whereabouts-reservation-of-a-gone-pod",
        _reservation_of_gone_pod,
        frozenset(
            {
                stranded(
                    "whereabouts-reservation-without-allocation",
                    "whereabouts",
                    "192.168.50.7",
                    "OverlappingRangeIPReservation kube-system/192.168.50.7",
                    "default/db-1",
                    _wb_deletion("192.168.50.7"),
                )
            }
        ),
        says=(
            "no IPPool entry records 192.168.50.7 for default/db-1, and pod default/db-1 no longer exists",
        ),
        form="yaml-folder",
    ),
    RuleCase(
        "whereabouts-reservation-of-a-live-pod",
        _reservation_of_live_pod,
        frozenset(
            {
                stranded(
                    "whereabouts-reservation-without-allocation",
                    "whereabouts",
                    "192.168.50.4",
                    "OverlappingRangeIPReservation kube-system/192.168.50.4",
                    "default/web-1",
                    "kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io 192.168.50.0-24 --type=json -p "
                    """'[{"op":"add","path":"/spec/allocations/4","value":{"id":"","podref":"default/web-1"}}]'""",
                )
            }
        ),
        says=("pod default/web-1 uses 192.168.50.4, but no IPPool entry records it", "Repair: kubectl"),
    ),
    RuleCase(
        "whereabouts-named-network-without-reservation",
        _named_network_without_reservation,
        frozenset(
            {
                (
                    "warning",
                    "whereabouts-allocation-without-reservation",
                    "whereabouts: 192.168.60.4 in IPPool kube-system/storage-192.168.60.0-24 (192.168.60.0/24)",
                    "192.168.60.4",
                    "IPPool kube-system/storage-192.168.60.0-24 (192.168.60.0/24)",
                    "default/web-1",
                    "echo '"
                    '{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"OverlappingRangeIPReservation",'
                    '"metadata":{"name":"storage-192.168.60.4","namespace":"kube-system"},'
                    f'"spec":{{"containerid":"{container(4)}","podref":"default/web-1","ifname":"net1"}}}}'
                    "' | kubectl create -f -",
                )
            }
        ),
        networks=(*PROD_NETWORKS, ("192.168.60.0/24", "pod")),
        form="json-stream",
    ),
    RuleCase(
        "whereabouts-bad-offset-issue-403",
        _issue_403_pool,
        frozenset(
            {
                stranded(
                    "whereabouts-bad-offset",
                    "whereabouts",
                    None,
                    "IPPool kube-system/1.2.3.0-24 (1.2.3.0/24)",
                    "ns/ns-pod-9876543210-ddr9n",
                    _wb_removal("1.2.3.0-24", "18446463705355360228", "ns/ns-pod-9876543210-ddr9n"),
                    severity="error",
                )
            }
        ),
        networks=(*PROD_NETWORKS, ("1.2.3.0/24", "pod")),
        says=("allocation key '18446463705355360228' is not an offset inside 1.2.3.0/24",),
    ),
    RuleCase(
        "whereabouts-bad-offset-ipv6",
        _offset_past_an_ipv6_range,
        frozenset(
            {
                stranded(
                    "whereabouts-bad-offset",
                    "whereabouts",
                    None,
                    "IPPool kube-system/fd00-10-200---120 (fd00:10:200::/120)",
                    "default/web-1",
                    _wb_removal("fd00-10-200---120", 256, "default/web-1"),
                    severity="error",
                )
            }
        ),
        networks=(*PROD_NETWORKS, ("fd00:10:200::/120", "pod")),
        says=("allocation key '256' is not an offset inside fd00:10:200::/120",),
        form="yaml-stream",
    ),
    # Calico
    RuleCase(
        "calico-leaked-ip",
        _calico_leaked_ip,
        frozenset(
            {
                stranded(
                    "calico-leaked-ip",
                    "calico",
                    "10.244.1.5",
                    BLOCK_A,
                    f"handle {BATCH_7_HANDLE}, pod default/batch-7, node node-a",
                    "calicoctl ipam release --ip=10.244.1.5",
                )
            }
        ),
        says=("the allocation names pod default/batch-7", "calicoctl ipam release --from-report=report.json"),
        form="json-file",
    ),
    RuleCase(
        "calico-leaked-load-balancer-ip",
        _calico_leaked_load_balancer_ip,
        frozenset(
            {
                stranded(
                    "calico-leaked-ip",
                    "calico",
                    "203.0.113.20",
                    "IPAM block 203-0-113-0-26 (203.0.113.0/26)",
                    f"handle {LB_HANDLE}, service default/old-edge",
                    "calicoctl ipam release --ip=203.0.113.20",
                )
            }
        ),
        says=(
            "no LoadBalancer service lists it in status.loadBalancer.ingress "
            "(the allocation names service default/old-edge)",
        ),
    ),
    RuleCase(
        "calico-leaked-ip-published-block",
        _published_block_after_nginx_was_deleted,
        frozenset(
            {
                stranded(
                    "calico-leaked-ip",
                    "calico",
                    "192.168.185.16",
                    "IPAM block 192-168-185-0-26 (192.168.185.0/26)",
                    f"handle {NGINX_HANDLE}, pod default/nginx, node mac-k8s",
                    "calicoctl ipam release --ip=192.168.185.16",
                )
            }
        ),
        networks=MAC_K8S_NETWORKS,
        says=("no scheduled, unfinished pod carries it (the allocation names pod default/nginx)",),
        form="yaml-folder",
    ),
    RuleCase(
        "calico-leaked-handle",
        _calico_leaked_handle,
        frozenset(
            {
                stranded(
                    "calico-leaked-handle",
                    "calico",
                    None,
                    "IPAMHandle k8s-pod-network.5d0c9a1e7f3b",
                    "k8s-pod-network.5d0c9a1e7f3b",
                    "kubectl delete ipamhandles.crd.projectcalico.org k8s-pod-network.5d0c9a1e7f3b",
                )
            }
        ),
        says=("claims 1 in 10.244.1.0/26, but no block allocation names it",),
        form="json-stream",
    ),
    RuleCase(
        "calico-missing-handle",
        _calico_missing_handle,
        frozenset(
            {
                stranded(
                    "calico-missing-handle",
                    "calico",
                    None,
                    "IPAM blocks 10.244.1.0/26",
                    WEB_2_HANDLE,
                    f"echo '{MISSING_HANDLE_MANIFEST}' | kubectl create -f -",
                )
            }
        ),
        says=(f"blocks hold addresses for handle {WEB_2_HANDLE} (1 in 10.244.1.0/26)",),
        form="yaml-folder",
    ),
    _invalid_block(
        "calico-invalid-block-nonexistent-attribute",
        _nonexistent_attribute,
        "allocation 7 indexes a nonexistent attribute 9",
        also=[
            stranded(
                "calico-leaked-ip",
                "calico",
                "10.244.1.7",
                BLOCK_A,
                "handle (none), pod (none), node node-a",
                "calicoctl ipam release --ip=10.244.1.7",
            )
        ],
    ),
    _invalid_block(
        "calico-invalid-block-unindexed-attribute",
        _unindexed_attribute,
        "attribute index 3 exists but is not indexed by an allocation",
        form="yaml-stream",
    ),
    _invalid_block(
        "calico-invalid-block-released-in-the-future",
        _released_in_the_future,
        "attribute index 2 has releasedAt in the future, suggesting clock skew",
    ),
    _invalid_block(
        "calico-invalid-block-unallocated-out-of-block",
        _unallocated_out_of_block,
        "ordinal 64 appears in the Unallocated array but is out of the block",
    ),
    _invalid_block(
        "calico-invalid-block-unallocated-twice",
        _unallocated_twice,
        "ordinal 62 appears more than once in Unallocated array",
        form="json-file",
    ),
    _invalid_block(
        "calico-invalid-block-allocated-and-unallocated",
        _allocated_and_unallocated,
        "ordinal 2 is allocated but appears in Unallocated",
    ),
    _invalid_block(
        "calico-invalid-block-ordinal-lost",
        _ordinal_lost,
        "expected 64 addresses in this block, but Unallocated (60) + Allocated (3) = 63",
    ),
    _invalid_block(
        "calico-invalid-block-allocations-short",
        _allocations_short,
        "allocations has 63 entries but 10.244.1.0/26 holds 64; expected 64 addresses in this block, "
        "but Unallocated (60) + Allocated (3) = 63",
    ),
    _invalid_block(
        "calico-invalid-block-allocations-long",
        _allocations_long,
        "allocations has 65 entries but 10.244.1.0/26 holds 64",
        form="yaml-folder",
    ),
    RuleCase(
        "calico-block-of-gone-node",
        _gone_node_block,
        frozenset(
            {
                stranded(
                    "calico-block-of-gone-node",
                    "calico",
                    None,
                    "IPAM block 10-244-3-0-26 (10.244.3.0/26)",
                    "node node-c",
                    # Calico's own order: release what is left, delete the empty block, then its affinity.
                    "calicoctl ipam release --ip=10.244.3.0 && kubectl delete ipamblocks.crd.projectcalico.org "
                    "10-244-3-0-26 && kubectl delete blockaffinities.crd.projectcalico.org node-c-10-244-3-0-26",
                ),
                stranded(
                    "calico-leaked-ip",
                    "calico",
                    "10.244.3.0",
                    "IPAM block 10-244-3-0-26 (10.244.3.0/26)",
                    "handle vxlan-tunnel-addr-node-c, pod (none), node node-c",
                    "calicoctl ipam release --ip=10.244.3.0",
                ),
            }
        ),
        says=(
            "10.244.3.0/26 is affine to node node-c, which no longer exists; its 1 allocated addresses are all leaked",
            "it is the tunnel address (vxlanTunnelAddress) of node node-c, which no longer exists",
        ),
    ),
    RuleCase(
        "calico-affinities-of-gone-nodes",
        _gone_node_affinities,
        frozenset(
            {
                stranded(
                    "calico-block-of-gone-node",
                    "calico",
                    None,
                    "BlockAffinity node-d-10-244-4-0-26 (10.244.4.0/26)",
                    "node node-d",
                    "kubectl delete blockaffinities.crd.projectcalico.org node-d-10-244-4-0-26",
                )
            }
        ),
        says=("no IPAMBlock exists for it",),
        form="yaml-stream",
    ),
    # Kubernetes IPAddress
    RuleCase(
        "service-ipaddress-of-a-gone-service",
        _ipaddress_of_gone_service,
        frozenset(
            {
                stranded(
                    "service-ipaddress-orphan",
                    "kubernetes",
                    "10.96.0.99",
                    SERVICE_CIDR,
                    "services/default/old-api",
                    "kubectl delete ipaddress 10.96.0.99",
                )
            }
        ),
        says=("IPAddress 10.96.0.99 names Service default/old-api, which no longer exists",),
    ),
    RuleCase(
        "service-ipaddress-the-service-lacks",
        _ipaddress_the_service_lacks,
        frozenset(
            {
                stranded(
                    "service-ipaddress-orphan",
                    "kubernetes",
                    "10.96.0.21",
                    SERVICE_CIDR,
                    "services/default/web",
                    "kubectl delete ipaddress 10.96.0.21",
                )
            }
        ),
        says=("names Service default/web, whose ClusterIPs are 10.96.0.20",),
        form="json-file",
    ),
    # Cilium
    RuleCase(
        "cilium-ip-owner-gone",
        _cilium_owner_gone,
        frozenset(
            {
                stranded(
                    "cilium-ip-owner-gone",
                    "cilium",
                    "10.0.1.99",
                    "CiliumNode worker-1 (10.0.1.0/24)",
                    "default/gone-0",
                    CILIUM_RESTART_WORKER_1,
                )
            }
        ),
        networks=CILIUM_NETWORKS,
        says=("status.ipam.used gives 10.0.1.99 to pod default/gone-0, which no longer exists",),
    ),
    RuleCase(
        "cilium-node-gone",
        _cilium_node_gone,
        frozenset(
            {
                stranded(
                    "cilium-node-gone",
                    "cilium",
                    None,
                    "CiliumNode worker-2 (10.0.2.0/24)",
                    "node worker-2",
                    "kubectl delete ciliumnode worker-2",
                ),
                stranded(
                    "cilium-ip-owner-gone",
                    "cilium",
                    "10.0.2.30",
                    "CiliumNode worker-2 (10.0.2.0/24)",
                    "default/gone-1",
                    "kubectl delete ciliumnode worker-2",
                ),
            }
        ),
        networks=CILIUM_NETWORKS,
        says=("CiliumNode worker-2 has no Node of that name",),
        form="yaml-folder",
    ),
    RuleCase(
        "cilium-node-gone-kind-dual-stack",
        _kind_cluster_without_worker2,
        frozenset(
            {
                stranded(
                    "cilium-node-gone",
                    "cilium",
                    None,
                    "CiliumNode dual-stack-worker2 (10.244.1.0/24, fd00:10:244:1::/64)",
                    "node dual-stack-worker2",
                    "kubectl delete ciliumnode dual-stack-worker2",
                )
            }
        ),
        networks=(
            ("10.244.0.0/16", "pod"),
            ("fd00:10:244::/56", "pod"),
            ("10.96.0.0/16", "service"),
            ("172.18.0.0/16", "node"),
            ("fc00:f853:ccd:e793::/64", "node"),
        ),
        form="yaml-stream",
    ),
    # dual-stack
    RuleCase("dual-stack", dual_stack_objects, DUAL_STACK_ROWS, networks=DUAL_STACK_NETWORKS),
    RuleCase(
        "dual-stack-yaml",
        dual_stack_objects,
        DUAL_STACK_ROWS,
        networks=DUAL_STACK_NETWORKS,
        form="yaml-stream",
    ),
    # drift
    RuleCase(
        "drift-pod-ips-outside",
        _pods_outside,
        frozenset({drift("drift-outside-documented", "prod: pod IP in 10.50.0.0/16")}),
        says=(
            "3 pod IPs in 10.50.0.0/16 are not inside the pod networks documented for prod "
            "(10.244.0.0/16, 192.168.50.0/24), e.g. legacy/job-4 10.50.0.4; legacy/job-5 10.50.0.5; "
            "legacy/job-6 10.50.0.6. Record the pod network that holds them for prod, or fix the cluster "
            "so that it uses a documented one.",
        ),
    ),
    RuleCase(
        "drift-ipv6-pod-ip-outside",
        _ipv6_pod_outside,
        DUAL_STACK_ROWS | {drift("drift-outside-documented", "prod: pod IP in fd00:99::/48")},
        networks=DUAL_STACK_NETWORKS,
        says=("legacy/job-v6 fd00:99::9",),
    ),
    RuleCase(
        "drift-node-pod-cidr-outside",
        _node_cidr_outside,
        frozenset({drift("drift-outside-documented", "prod: node podCIDR in 10.50.0.0/16")}),
        says=("1 node podCIDR in 10.50.0.0/16", "e.g. node node-c 10.50.1.0/24."),
        form="json-file",
    ),
    RuleCase(
        "drift-calico-pool-and-block-outside",
        _calico_block_and_pool_outside,
        frozenset(
            {
                drift("drift-outside-documented", "prod: Calico IP pool in 10.50.0.0/16"),
                drift("drift-outside-documented", "prod: Calico block in 10.50.0.0/16"),
            }
        ),
        says=("e.g. legacy-ippool 10.50.0.0/16.", "e.g. 10-50-2-0-26 10.50.2.0/26."),
    ),
    RuleCase(
        "drift-whereabouts-range-outside",
        _whereabouts_range_outside,
        frozenset({drift("drift-outside-documented", "prod: Whereabouts range in 172.30.0.0/16")}),
        says=("e.g. kube-system/172.30.0.0-24 172.30.0.0/24.",),
        form="yaml-folder",
    ),
    RuleCase(
        "drift-cilium-pod-cidr-outside",
        _cilium_pool_outside,
        frozenset({drift("drift-outside-documented", "prod: Cilium pod CIDR in 10.60.0.0/16")}),
        networks=CILIUM_NETWORKS,
        says=("e.g. CiliumNode worker-1 10.60.0.0/27.",),
    ),
    RuleCase(
        "drift-services-outside",
        _services_outside,
        frozenset(
            {
                drift("drift-outside-documented", "prod: Service ClusterIP in 10.100.0.0/16"),
                drift("drift-outside-documented", "prod: ServiceCIDR in 10.100.0.0/16"),
            }
        ),
        says=(
            "1 Service ClusterIP in 10.100.0.0/16 are not inside the service networks documented for prod "
            "(10.96.0.0/16), e.g. default/legacy 10.100.0.10.",
            "e.g. legacy 10.100.0.0/24.",
        ),
    ),
    RuleCase(
        "drift-load-balancers-outside",
        _load_balancers_outside,
        frozenset(
            {
                drift("drift-outside-documented", "prod: LoadBalancer ingress IP in 198.51.0.0/16"),
                drift("drift-outside-documented", "prod: MetalLB pool in 192.168.0.0/16"),
                drift("drift-outside-documented", "prod: MetalLB pool in fc00:f853:ccd::/48"),
            }
        ),
        says=(
            "e.g. default/edge 198.51.100.7.",
            "2 MetalLB pools in 192.168.0.0/16 are not inside the loadbalancer networks documented for prod "
            "(203.0.113.0/24), e.g. metallb-system/example 192.168.10.0/24; "
            "metallb-system/example 192.168.9.1-192.168.9.5.",
            "e.g. metallb-system/example fc00:f853:ccd:e799::/124.",
        ),
        form="yaml-folder",
    ),
    RuleCase(
        "drift-legacy-ipv6-service-outside",
        _legacy_ipv6_service,
        frozenset(
            {
                drift("drift-outside-documented", "prod: Service ClusterIP in fd00:4000::/48"),
                drift("drift-outside-documented", "prod: LoadBalancer ingress IP in 1000::/48"),
            }
        ),
        says=("e.g. default/mconnect-ipv6 fd00:4000::33e0.", "e.g. default/mconnect-ipv6 1000::."),
        form="yaml-stream",
    ),
    RuleCase(
        "drift-documented-unused",
        clean_objects,
        frozenset(
            {
                drift("drift-documented-unused", "prod: pod 10.245.0.0/16", severity="info"),
                drift("drift-documented-unused", "prod: service fd00:10:96::/112", severity="info"),
            }
        ),
        networks=(*PROD_NETWORKS, ("10.245.0.0/16", "pod"), ("fd00:10:96::/112", "service")),
        says=("lies in the pod network 10.245.0.0/16 documented for prod",),
    ),
    RuleCase(
        "drift-documented-range-unused",
        clean_objects,
        frozenset(
            {
                drift(
                    "drift-documented-unused",
                    "prod: loadbalancer 203.0.113.100-203.0.113.120",
                    severity="info",
                )
            }
        ),
        ranges=(("203.0.113.100-203.0.113.120", "loadbalancer"),),
        says=("lies in the loadbalancer network 203.0.113.100-203.0.113.120 documented for prod",),
    ),
    RuleCase(
        "drift-nothing-documented",
        clean_objects,
        frozenset({drift("drift-nothing-documented", "prod: no loadbalancer network documented")}),
        networks=tuple(item for item in PROD_NETWORKS if item[1] != "loadbalancer"),
        says=(
            "the cluster has 1 LoadBalancer ingress IP (e.g. default/web 203.0.113.10), but the ledger "
            "documents no loadbalancer network for prod: record the loadbalancer networks it uses.",
        ),
    ),
    RuleCase(
        "drift-cluster-range-overlaps",
        clean_objects,
        frozenset({("error", "drift-cluster-range-overlaps", "prod: pod 10.244.0.0/16", None, "", "", "")}),
        others=(("10.244.7.0/24", "manual"),),
        says=("overlaps 10.244.7.0/24",),
    ),
)


# -- writing a dump ----------------------------------------------------------------------------


def _yaml(documents: Iterable[Obj]) -> str:
    return yaml.safe_dump_all(list(documents), sort_keys=False, explicit_start=True)


def write_case(folder: Path, files: Files, form: str) -> Path:
    """Write ``files`` in ``form`` into ``folder``; the path to sync from.

    ``folder``: one ``kubectl get -o json`` List per file. ``json-file``: all objects in one List
    (``kubectl get nodes,pods,... -A -o json``). ``json-stream``: the Lists one after another in
    one file (``>>``). ``yaml-stream``: one YAML stream with every object its own ``---`` document.
    ``yaml-folder``: one YAML List per file, the CNI files in a subfolder.
    """
    objects = [obj for items in files.values() for obj in items]
    folder.mkdir(parents=True, exist_ok=True)
    if form == "folder":
        return write_dump(folder / "dump", files)
    if form == "json-file":
        path = folder / "dump.json"
        path.write_text(json.dumps(kube_list(objects), indent=4) + "\n", encoding="utf-8")
        return path
    if form == "json-stream":
        path = folder / "dump.json"
        lists = (json.dumps(kube_list(items), indent=4) for items in files.values())
        path.write_text("\n".join(lists) + "\n", encoding="utf-8")
        return path
    if form == "yaml-stream":
        path = folder / "dump.yaml"
        path.write_text(_yaml(objects), encoding="utf-8")
        return path
    assert form == "yaml-folder", form
    root = folder / "dump"
    for name, items in files.items():
        stem = name.rpartition(".")[0]
        path = root / stem / f"{stem}.yaml" if stem != "core" else root / "core.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(kube_list(items), sort_keys=False), encoding="utf-8")
    return root
