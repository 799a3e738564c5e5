"""What a cluster really holds, as read from its objects: the input of reconciliation.

A ``Snapshot`` is everything one sync saw of one cluster at one moment: nodes, pods, services,
the Kubernetes ServiceCIDR / IPAddress objects, and the allocation records of the CNIs (Calico
IPAM blocks, affinities and handles; Cilium nodes and pod pools; Whereabouts pools and
reservations; MetalLB pools). The ``kube`` readers build these values from dumps or a live API
server; ``reconcile`` compares them with each other and with the ledger. All values are
immutable and hold ``ipaddress`` objects, never strings, past the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.ranges import IPRange

# Calico's storage CRDs; its public API (the API server, and newer releases' own CRDs) is
# projectcalico.org/v3. Fix commands name the group an object was read from.
CALICO_CRD_GROUP = "crd.projectcalico.org"

__all__ = [
    "CALICO_CRD_GROUP",
    "CalicoAffinity",
    "CalicoAttribute",
    "CalicoBlock",
    "CalicoClusterInformation",
    "CalicoHandle",
    "CalicoNode",
    "CalicoPool",
    "CiliumNode",
    "CiliumPool",
    "MetalLBPool",
    "Node",
    "NodeSlice",
    "NodeSlicePool",
    "Pod",
    "Service",
    "ServiceCIDR",
    "ServiceIPAddress",
    "Skipped",
    "Snapshot",
    "WhereaboutsAllocation",
    "WhereaboutsPool",
    "WhereaboutsReservation",
]


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    uid: str = ""
    internal_ips: tuple[IPAddress, ...] = ()  # status.addresses of type InternalIP
    external_ips: tuple[IPAddress, ...] = ()  # status.addresses of type ExternalIP
    pod_cidrs: tuple[IPNetwork, ...] = ()  # spec.podCIDRs (or spec.podCIDR)
    created: datetime | None = None
    # Calico's tunnel addresses (IPIP, VXLAN, WireGuard) from the projectcalico.org/ annotations;
    # None when Calico has annotated nothing on the node, so that nothing is known of them.
    calico_tunnel_ips: tuple[IPAddress, ...] | None = None


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    uid: str = ""
    node: str = ""  # spec.nodeName ("" while unscheduled)
    phase: str = ""  # status.phase
    reason: str = ""  # status.reason, e.g. Evicted
    ips: tuple[IPAddress, ...] = ()  # status.podIPs (primary network), status.podIP as fallback
    secondary_ips: tuple[IPAddress, ...] = ()  # Multus network-status entries that are not default
    host_network: bool = False  # spec.hostNetwork: its IPs are the node's, not pod IPs
    created: datetime | None = None
    started: datetime | None = None  # status.startTime: when the kubelet took it on
    deleting: bool = False  # metadata.deletionTimestamp is set
    evicted_by_taint_manager: bool = False  # condition DisruptionTarget/DeletionByTaintManager

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    uid: str = ""
    type: str = "ClusterIP"
    cluster_ips: tuple[IPAddress, ...] = ()  # spec.clusterIPs (spec.clusterIP; "None" left out)
    load_balancer_ips: tuple[IPAddress, ...] = ()  # status.loadBalancer.ingress[].ip
    external_ips: tuple[IPAddress, ...] = ()  # spec.externalIPs
    created: datetime | None = None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ServiceCIDR:
    name: str
    cidrs: tuple[IPNetwork, ...]


@dataclass(frozen=True, slots=True)
class ServiceIPAddress:
    """A networking.k8s.io IPAddress: one allocated ClusterIP and the object that holds it."""

    address: IPAddress
    parent_resource: str  # e.g. "services"
    parent_namespace: str
    parent_name: str
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class CalicoPool:
    name: str
    cidr: IPNetwork
    block_size: int
    disabled: bool = False
    allowed_uses: tuple[str, ...] = ("Workload", "Tunnel")
    node_selector: str = "all()"


@dataclass(frozen=True, slots=True)
class CalicoClusterInformation:
    """Calico's ClusterInformation (the one object, ``default``): what ``calicoctl ipam release
    --from-report`` checks a report against."""

    name: str
    cluster_guid: str = ""  # spec.clusterGUID
    cluster_type: str = ""  # spec.clusterType, e.g. "k8s,kdd,bgp"
    calico_version: str = ""  # spec.calicoVersion
    datastore_ready: bool | None = None  # spec.datastoreReady; False while the datastore is locked
    resource_version: str = ""  # metadata.resourceVersion: the revision a report must carry


@dataclass(frozen=True, slots=True)
class CalicoNode:
    """A projectcalico.org/v3 Node: Calico's view of a node, with its tunnel addresses."""

    name: str
    tunnel_ips: tuple[IPAddress, ...] = ()


@dataclass(frozen=True, slots=True)
class CalicoAttribute:
    """One entry of an IPAM block's ``spec.attributes``."""

    handle: str | None
    secondary: tuple[tuple[str, str], ...] = ()  # namespace, pod, node, type, service, ...
    released_at: datetime | None = None  # cooling down: released, not yet free again

    def get(self, key: str) -> str | None:
        return next((value for name, value in self.secondary if name == key), None)


@dataclass(frozen=True, slots=True)
class CalicoBlock:
    """An IPAM block as stored: ``ordinals[i]`` is None (free) or an index into ``attributes``;
    the address of ordinal i is the block's i-th address."""

    name: str
    cidr: IPNetwork
    affinity: str | None  # "host:<node>", "virtual:<name>", or None
    ordinals: tuple[int | None, ...]
    attributes: tuple[CalicoAttribute, ...]
    unallocated: tuple[int, ...]
    deleted: bool = False
    group: str = CALICO_CRD_GROUP  # the API group it was read from
    # spec.sequenceNumberForAllocation: (ordinal as written, sequence number); may hold stale ordinals
    sequence_numbers: tuple[tuple[str, int], ...] = ()

    @property
    def host(self) -> str | None:
        if self.affinity is not None and self.affinity.startswith("host:"):
            return self.affinity.removeprefix("host:")
        return None


@dataclass(frozen=True, slots=True)
class CalicoAffinity:
    name: str
    node: str
    cidr: IPNetwork
    state: str  # confirmed | pending | pendingDeletion
    deleted: bool = False
    group: str = CALICO_CRD_GROUP


@dataclass(frozen=True, slots=True)
class CalicoHandle:
    handle_id: str
    blocks: tuple[tuple[str, int], ...]  # (block CIDR, count)
    deleted: bool = False
    group: str = CALICO_CRD_GROUP
    uid: str = ""  # metadata.uid and metadata.resourceVersion: calicoctl deletes a leaked handle
    revision: str = ""  # only while both are still what its report says


@dataclass(frozen=True, slots=True)
class CiliumNode:
    name: str
    pod_cidrs: tuple[IPNetwork, ...] = ()
    used: tuple[tuple[IPAddress, str], ...] = ()  # status.ipam.used: (IP, owner "ns/pod", "router", "health")
    internal_ips: tuple[IPAddress, ...] = ()  # spec.addresses of type CiliumInternalIP
    health_ips: tuple[IPAddress, ...] = ()
    pool_cidrs: tuple[tuple[str, IPNetwork], ...] = ()  # multi-pool: spec.ipam.pools.allocated


@dataclass(frozen=True, slots=True)
class CiliumPool:
    name: str
    cidrs: tuple[IPNetwork, ...]
    mask_sizes: tuple[tuple[int, int], ...] = ()  # (family, maskSize)


@dataclass(frozen=True, slots=True)
class WhereaboutsAllocation:
    offset: str  # the key as written (a decimal offset from the range's first address)
    address: IPAddress | None  # None: the offset is not a number or falls outside the range
    container_id: str
    podref: str
    ifname: str = ""


@dataclass(frozen=True, slots=True)
class WhereaboutsPool:
    namespace: str
    name: str
    range: IPNetwork
    allocations: tuple[WhereaboutsAllocation, ...]


@dataclass(frozen=True, slots=True)
class WhereaboutsReservation:
    """An OverlappingRangeIPReservation: one address reserved cluster-wide."""

    namespace: str
    name: str
    address: IPAddress | None  # from the name; None when it does not parse
    podref: str
    container_id: str = ""


@dataclass(frozen=True, slots=True)
class NodeSlice:
    """One slice of a Whereabouts NodeSlicePool; ``node`` is "" for a free slice."""

    pool: str
    range: IPNetwork
    node: str


@dataclass(frozen=True, slots=True)
class NodeSlicePool:
    """A Whereabouts NodeSlicePool ("fast IPAM"): ``range`` cut into one slice per node."""

    namespace: str
    name: str
    range: IPNetwork  # spec.range
    slices: tuple[NodeSlice, ...] = ()  # status.allocations


@dataclass(frozen=True, slots=True)
class MetalLBPool:
    namespace: str
    name: str
    addresses: tuple[IPNetwork | IPRange, ...]
    auto_assign: bool = True


@dataclass(frozen=True, slots=True)
class Skipped:
    """An object the readers do not use, listed so that a user sees what was ignored."""

    source: str  # file (and position) or API path
    kind: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one sync saw of one cluster.

    ``listed`` names the fields whose kind the source listed. A dump lists a kind only by holding
    objects of it (an empty kubectl List does not say what it was a list of); an API server also
    lists a kind that it serves and that holds no objects. Rules that compare two kinds use
    `is_listed`, so that a kind a dump left out proves nothing while an empty one on a live
    cluster does.
    """

    taken_at: datetime
    nodes: tuple[Node, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    service_cidrs: tuple[ServiceCIDR, ...] = ()
    service_ip_addresses: tuple[ServiceIPAddress, ...] = ()
    calico_pools: tuple[CalicoPool, ...] = ()
    calico_blocks: tuple[CalicoBlock, ...] = ()
    calico_affinities: tuple[CalicoAffinity, ...] = ()
    calico_handles: tuple[CalicoHandle, ...] = ()
    calico_nodes: tuple[CalicoNode, ...] = ()
    calico_cluster_information: tuple[CalicoClusterInformation, ...] = ()
    cilium_nodes: tuple[CiliumNode, ...] = ()
    cilium_pools: tuple[CiliumPool, ...] = ()
    whereabouts_pools: tuple[WhereaboutsPool, ...] = ()
    whereabouts_reservations: tuple[WhereaboutsReservation, ...] = ()
    node_slice_pools: tuple[NodeSlicePool, ...] = ()
    metallb_pools: tuple[MetalLBPool, ...] = ()
    skipped: tuple[Skipped, ...] = field(default=())
    listed: frozenset[str] = frozenset()

    def is_listed(self, name: str) -> bool:
        """Whether the source listed the kind of field ``name`` (it holds objects of it, or the
        API server served the kind empty)."""
        return name in self.listed or bool(getattr(self, name))
