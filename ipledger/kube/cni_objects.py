"""Readers of the CNI plugins' own allocation records: Calico, Cilium, Whereabouts and MetalLB.

Each reader turns one `KubeObject` into its `ipledger.core.observations` value. Both Calico API
groups are read (``crd.projectcalico.org/v1``, the storage CRDs, and ``projectcalico.org/v3``):
their field names are the same, but v1 writes some booleans as the strings "true"/"false".
Records are taken as stored, inconsistencies included (an IPAM block whose ordinal points past
its attributes, a Whereabouts offset outside its range): finding those is the reconciler's job,
so the reader keeps them, with ``address=None`` where no address follows. Only values that
cannot be read at all (a CIDR that is not one, a list that is a string) are a `DumpError`.
"""

from __future__ import annotations

import re
from typing import Any

from ipledger.core.addresses import IPAddress, IPNetwork, address_from_int, parse_address
from ipledger.core.errors import InvalidInputError
from ipledger.core.observations import (
    CalicoAffinity,
    CalicoAttribute,
    CalicoBlock,
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
    WhereaboutsPool,
    WhereaboutsReservation,
)
from ipledger.core.ranges import IPRange, parse_range
from ipledger.kube.kubeobject import KubeObject, Reader, describe

__all__ = [
    "CNI_READERS",
    "read_calico_affinity",
    "read_calico_block",
    "read_calico_cluster_information",
    "read_calico_handle",
    "read_calico_node",
    "read_calico_pool",
    "read_cilium_node",
    "read_cilium_pool",
    "read_metallb_pool",
    "read_node_slice_pool",
    "read_whereabouts_pool",
    "read_whereabouts_reservation",
]

# api/pkg/apis/projectcalico/v3/ippool.go: blockSize defaults to 26 (IPv4) and 122 (IPv6);
# allowedUses to [Workload, Tunnel]; nodeSelector to all().
_CALICO_BLOCK_SIZE = {4: 26, 6: 122}
_CALICO_USES = ("Workload", "Tunnel")
# Whereabouts parses an offset with strconv.ParseInt(key, 10, 64) (pkg/storage/kubernetes/ipam.go):
# an optional sign and decimal digits that fit an int64; anything else it skips as invalid.
_GO_INT = re.compile(r"[+-]?[0-9]+")
_INT64_MAX = (1 << 63) - 1


def read_calico_pool(obj: KubeObject) -> CalicoPool:
    spec = obj.section(obj.raw, "", "spec")
    cidr = obj.network(spec.get("cidr"), "spec.cidr")
    block_size = spec.get("blockSize")
    if block_size is None:
        block_size = _CALICO_BLOCK_SIZE[cidr.version]
    elif type(block_size) is not int or not 0 <= block_size <= cidr.max_prefixlen:
        raise obj.error(
            "spec.blockSize",
            f"expected a prefix length from 0 to {cidr.max_prefixlen}, got {describe(block_size)}",
        )
    uses = tuple(
        _stripped(obj, use, f"spec.allowedUses[{index}]")
        for index, use in enumerate(obj.entries(spec, "spec", "allowedUses"))
    )
    return CalicoPool(
        name=obj.name,
        cidr=cidr,
        block_size=block_size,
        disabled=obj.flag(spec, "spec", "disabled", default=False),
        allowed_uses=uses or _CALICO_USES,
        node_selector=obj.text(spec, "spec", "nodeSelector", default="all()"),
    )


def _stripped(obj: KubeObject, value: object, field: str) -> str:
    # The Calico docs' own sample writes "Tunnel " with a trailing space.
    if type(value) is not str:
        raise obj.error(field, f"expected a string, got {describe(value)}")
    return value.strip()


def read_calico_block(obj: KubeObject) -> CalicoBlock:
    """An IPAMBlock: ordinal i of ``spec.allocations`` is the block's i-th address (null = free)."""
    spec = obj.section(obj.raw, "", "spec")
    ordinals: list[int | None] = []
    for index, value in enumerate(obj.entries(spec, "spec", "allocations")):
        ordinals.append(None if value is None else obj.count(value, f"spec.allocations[{index}]"))
    return CalicoBlock(
        name=obj.name,
        cidr=obj.network(spec.get("cidr"), "spec.cidr"),
        affinity=obj.text(spec, "spec", "affinity") or None,
        ordinals=tuple(ordinals),
        attributes=tuple(
            _calico_attribute(obj, entry, f"spec.attributes[{index}]")
            for index, entry in enumerate(obj.entries(spec, "spec", "attributes"))
        ),
        unallocated=tuple(
            obj.count(value, f"spec.unallocated[{index}]")
            for index, value in enumerate(obj.entries(spec, "spec", "unallocated"))
        ),
        deleted=obj.flag(spec, "spec", "deleted", default=False),
        group=obj.group,
        sequence_numbers=tuple(
            (str(ordinal), obj.count(number, f"spec.sequenceNumberForAllocation[{ordinal!r}]"))
            for ordinal, number in obj.section(spec, "spec", "sequenceNumberForAllocation").items()
        ),
    )


def _calico_attribute(obj: KubeObject, entry: object, field: str) -> CalicoAttribute:
    if type(entry) is not dict:
        raise obj.error(field, f"expected a mapping, got {describe(entry)}")
    secondary = obj.section(entry, field, "secondary")
    return CalicoAttribute(
        handle=obj.text(entry, field, "handle_id") or None,
        # Values are opaque text (Go time.String() timestamps among them); keys as written.
        secondary=tuple((str(key), "" if value is None else str(value)) for key, value in secondary.items()),
        released_at=obj.time(entry.get("releasedAt"), f"{field}.releasedAt"),
    )


def read_calico_affinity(obj: KubeObject) -> CalicoAffinity:
    spec = obj.section(obj.raw, "", "spec")
    return CalicoAffinity(
        name=obj.name,
        node=obj.text(spec, "spec", "node"),
        cidr=obj.network(spec.get("cidr"), "spec.cidr"),
        state=obj.text(spec, "spec", "state"),
        deleted=obj.flag(spec, "spec", "deleted", default=False),
        group=obj.group,
    )


def read_calico_handle(obj: KubeObject) -> CalicoHandle:
    spec = obj.section(obj.raw, "", "spec")
    blocks = obj.section(spec, "spec", "block")
    return CalicoHandle(
        # The CRD object's name is the handle ID lower-cased; spec.handleID keeps its case.
        handle_id=obj.text(spec, "spec", "handleID", default=obj.name),
        blocks=tuple(
            (str(cidr), obj.count(count, f"spec.block[{cidr!r}]")) for cidr, count in blocks.items()
        ),
        deleted=obj.flag(spec, "spec", "deleted", default=False),
        group=obj.group,
        uid=obj.text(obj.metadata, "metadata", "uid"),
        revision=obj.text(obj.metadata, "metadata", "resourceVersion"),
    )


def read_calico_cluster_information(obj: KubeObject) -> CalicoClusterInformation:
    spec = obj.section(obj.raw, "", "spec")
    ready = spec.get("datastoreReady")
    return CalicoClusterInformation(
        name=obj.name,
        cluster_guid=obj.text(spec, "spec", "clusterGUID"),
        cluster_type=obj.text(spec, "spec", "clusterType"),
        calico_version=obj.text(spec, "spec", "calicoVersion"),
        datastore_ready=None if ready is None else obj.flag(spec, "spec", "datastoreReady", default=True),
        resource_version=obj.text(obj.metadata, "metadata", "resourceVersion"),
    )


def read_calico_node(obj: KubeObject) -> CalicoNode:
    """A projectcalico.org/v3 Node: the tunnel addresses calicoctl ipam check counts as held by it
    (``accounting.NodeAddressRefs``: VXLAN v4 and v6, IPIP, WireGuard v4 and v6)."""
    spec = obj.section(obj.raw, "", "spec")
    bgp = obj.section(spec, "spec", "bgp")
    wireguard = obj.section(spec, "spec", "wireguard")
    fields = (
        (spec, "spec", "ipv4VXLANTunnelAddr"),
        (spec, "spec", "ipv6VXLANTunnelAddr"),
        (bgp, "spec.bgp", "ipv4IPIPTunnelAddr"),
        (wireguard, "spec.wireguard", "interfaceIPv4Address"),
        (wireguard, "spec.wireguard", "interfaceIPv6Address"),
    )
    found = []
    for container, parent, key in fields:
        text = obj.text(container, parent, key)
        if text:
            found.append(obj.address(text.partition("/")[0], f"{parent}.{key}"))
    return CalicoNode(name=obj.name, tunnel_ips=tuple(found))


def read_cilium_node(obj: KubeObject) -> CiliumNode:
    spec = obj.section(obj.raw, "", "spec")
    ipam = obj.section(spec, "spec", "ipam")
    status_ipam = obj.section(obj.section(obj.raw, "", "status"), "status", "ipam")
    used = []
    for ip, owner in obj.section(status_ipam, "status.ipam", "used").items():
        field = f"status.ipam.used[{ip!r}]"
        if type(owner) is not dict:  # {owner: "ns/pod" | router | health, resource: ...}
            raise obj.error(field, f"expected a mapping with owner, got {describe(owner)}")
        used.append((obj.address(ip, field), obj.text(owner, field, "owner")))
    internal = []
    for index, entry in enumerate(obj.entries(spec, "spec", "addresses")):
        if type(entry) is not dict:
            raise obj.error(f"spec.addresses[{index}]", f"expected a mapping, got {describe(entry)}")
        if entry.get("type") == "CiliumInternalIP":  # the router (cilium_host) address
            internal.append(obj.address(entry.get("ip"), f"spec.addresses[{index}].ip"))
    health = obj.section(spec, "spec", "health")
    return CiliumNode(
        name=obj.name,
        pod_cidrs=obj.networks(ipam, "spec.ipam", "podCIDRs"),
        used=tuple(used),
        internal_ips=tuple(internal),
        health_ips=tuple(
            obj.address(health[key], f"spec.health.{key}") for key in ("ipv4", "ipv6") if health.get(key)
        ),
        pool_cidrs=_cilium_pool_cidrs(obj, obj.section(ipam, "spec.ipam", "pools")),
    )


def _cilium_pool_cidrs(obj: KubeObject, pools: dict[str, Any]) -> tuple[tuple[str, IPNetwork], ...]:
    found: list[tuple[str, IPNetwork]] = []
    for index, entry in enumerate(obj.entries(pools, "spec.ipam.pools", "allocated")):
        field = f"spec.ipam.pools.allocated[{index}]"
        if type(entry) is not dict:
            raise obj.error(field, f"expected a mapping of pool and cidrs, got {describe(entry)}")
        pool = obj.text(entry, field, "pool")
        found.extend((pool, cidr) for cidr in obj.networks(entry, field, "cidrs"))
    return tuple(found)


def read_cilium_pool(obj: KubeObject) -> CiliumPool:
    spec = obj.section(obj.raw, "", "spec")
    cidrs: list[IPNetwork] = []
    mask_sizes = []
    for version, key in ((4, "ipv4"), (6, "ipv6")):
        family = obj.section(spec, "spec", key)
        cidrs.extend(obj.networks(family, f"spec.{key}", "cidrs"))
        if family.get("maskSize") is not None:
            mask_sizes.append((version, obj.count(family["maskSize"], f"spec.{key}.maskSize")))
    return CiliumPool(name=obj.name, cidrs=tuple(cidrs), mask_sizes=tuple(mask_sizes))


def read_whereabouts_pool(obj: KubeObject) -> WhereaboutsPool:
    """An IPPool: ``spec.allocations`` maps a decimal offset from the range's first address to its
    holder. An offset that is not a number or falls outside the range gives ``address=None``
    (issue #403 shows a real pool with key 18446463705355360228 in a /24)."""
    spec = obj.section(obj.raw, "", "spec")
    network = obj.network(spec.get("range"), "spec.range")
    allocations = []
    for key, holder in obj.section(spec, "spec", "allocations").items():
        offset = str(key)  # an unquoted key in hand-written YAML is an int
        field = f"spec.allocations[{offset!r}]"
        if type(holder) is not dict:
            raise obj.error(field, f"expected a mapping of id, podref and ifname, got {describe(holder)}")
        allocations.append(
            WhereaboutsAllocation(
                offset=offset,
                address=_offset_address(network, offset),
                container_id=obj.text(holder, field, "id"),
                podref=obj.text(holder, field, "podref"),
                ifname=obj.text(holder, field, "ifname"),
            )
        )
    return WhereaboutsPool(
        namespace=obj.namespace, name=obj.name, range=network, allocations=tuple(allocations)
    )


def _offset_address(network: IPNetwork, offset: str) -> IPAddress | None:
    """The address ``offset`` places in ``network``, or None where Whereabouts finds none."""
    # The length test comes first: int() refuses texts of more than 4,300 digits.
    if len(offset) > 20 or not _GO_INT.fullmatch(offset) or not 0 <= (number := int(offset)) <= _INT64_MAX:
        return None
    if number >= network.num_addresses:
        return None
    return address_from_int(int(network.network_address) + number, version=network.version)


def read_whereabouts_reservation(obj: KubeObject) -> WhereaboutsReservation:
    spec = obj.section(obj.raw, "", "spec")
    return WhereaboutsReservation(
        namespace=obj.namespace,
        name=obj.name,
        address=_reservation_address(obj.name),
        podref=obj.text(spec, "spec", "podref"),
        container_id=obj.text(spec, "spec", "containerid"),
    )


def _reservation_address(name: str) -> IPAddress | None:
    """The address an OverlappingRangeIPReservation's name stands for, or None.

    Whereabouts names it after the IP with ":" as "-" (a trailing ":" first gets a "0"), behind
    "<network>-" for a named network. The longest dash-separated tail that is an address wins, so
    ``mynet-fd00--5`` is fd00::5. A network name that is itself hexadecimal (``cafe-fd00--5``)
    cannot be told from the address's first group and is read as part of it.
    """
    parts = name.split("-")
    for start in range(len(parts)):
        try:
            return parse_address(":".join(parts[start:]))
        except InvalidInputError:
            continue
    return None


def read_node_slice_pool(obj: KubeObject) -> NodeSlicePool:
    """A NodeSlicePool: its range and its slices; an empty ``nodeName`` is a free slice."""
    spec = obj.section(obj.raw, "", "spec")
    status = obj.section(obj.raw, "", "status")
    slices = []
    for index, entry in enumerate(obj.entries(status, "status", "allocations")):
        field = f"status.allocations[{index}]"
        if type(entry) is not dict:
            raise obj.error(field, f"expected a mapping of nodeName and sliceRange, got {describe(entry)}")
        slices.append(
            NodeSlice(
                pool=obj.name,
                range=obj.network(entry.get("sliceRange"), f"{field}.sliceRange"),
                node=obj.text(entry, field, "nodeName"),
            )
        )
    return NodeSlicePool(
        namespace=obj.namespace,
        name=obj.name,
        range=obj.network(spec.get("range"), "spec.range"),
        slices=tuple(slices),
    )


def read_metallb_pool(obj: KubeObject) -> MetalLBPool:
    """An IPAddressPool: each address entry is a CIDR or a ``start-end`` range, ends inclusive."""
    spec = obj.section(obj.raw, "", "spec")
    addresses: list[IPNetwork | IPRange] = []
    for index, text in enumerate(obj.entries(spec, "spec", "addresses")):
        field = f"spec.addresses[{index}]"
        if type(text) is str and "-" in text:  # MetalLB's own test (internal/config/config.go)
            try:
                addresses.append(parse_range(text))
            except InvalidInputError as exc:
                raise obj.error(field, str(exc)) from exc
        else:
            addresses.append(obj.network(text, field))
    return MetalLBPool(
        namespace=obj.namespace,
        name=obj.name,
        addresses=tuple(addresses),
        auto_assign=obj.flag(spec, "spec", "autoAssign", default=True),
    )


_CALICO = {"crd.projectcalico.org": frozenset({"v1"}), "projectcalico.org": frozenset({"v3"})}
_CALICO_KINDS = (
    ("IPPool", read_calico_pool, "calico_pools"),
    ("IPAMBlock", read_calico_block, "calico_blocks"),
    ("BlockAffinity", read_calico_affinity, "calico_affinities"),
    ("IPAMHandle", read_calico_handle, "calico_handles"),
    ("ClusterInformation", read_calico_cluster_information, "calico_cluster_information"),
)
_WHEREABOUTS = ("whereabouts.cni.cncf.io", frozenset({"v1alpha1"}))

CNI_READERS: dict[tuple[str, str], Reader] = {
    **{
        (group, kind): Reader(versions, read, field)
        for group, versions in _CALICO.items()
        for kind, read, field in _CALICO_KINDS
    },
    ("projectcalico.org", "Node"): Reader(frozenset({"v3"}), read_calico_node, "calico_nodes"),
    ("cilium.io", "CiliumNode"): Reader(frozenset({"v2"}), read_cilium_node, "cilium_nodes"),
    ("cilium.io", "CiliumPodIPPool"): Reader(frozenset({"v2alpha1", "v2"}), read_cilium_pool, "cilium_pools"),
    (_WHEREABOUTS[0], "IPPool"): Reader(_WHEREABOUTS[1], read_whereabouts_pool, "whereabouts_pools"),
    (_WHEREABOUTS[0], "OverlappingRangeIPReservation"): Reader(
        _WHEREABOUTS[1], read_whereabouts_reservation, "whereabouts_reservations"
    ),
    (_WHEREABOUTS[0], "NodeSlicePool"): Reader(_WHEREABOUTS[1], read_node_slice_pool, "node_slice_pools"),
    ("metallb.io", "IPAddressPool"): Reader(frozenset({"v1beta1"}), read_metallb_pool, "metallb_pools"),
}
