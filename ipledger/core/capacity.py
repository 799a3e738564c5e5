"""Capacity: how many nodes, pods and Services a cluster's ranges hold, per CNI/IPAM mode.

Each figure shows its working and names its source. The rules ("ref. N": a section of
shared/reference/kubernetes-ipam.md):

- Node blocks: a /P pod CIDR holds 2^(N-P) /N node blocks (kube-controller-manager
  ``pkg/controller/nodeipam/ipam/cidrset/cidr_set.go``, ref. 4.2; Cilium's copy
  ``pkg/ipam/cidrset/cidr_set.go``). Both refuse a node mask shorter than the CIDR, and an IPv6 one
  more than 16 bits longer ("New CIDR set failed; the node CIDR size is too big").
- Default node blocks: kcm and flannel /24, /64 (``--node-cidr-mask-size``, ref. 4.2); kcm on GKE the
  smallest block with 2 x max pods addresses (flexible-pod-cidr, ref. 4.3); Calico blockSize /26,
  /122 (ref. 2.1); Cilium cluster-pool /24, /120 (Helm values, ref. 3.1); Cilium multi-pool /24, /120
  (the CiliumPodIPPool example in ``Documentation/network/concepts/ipam/multi-pool.rst``); AWS
  prefixes /28, /80 (ref. 5.2); Azure CNI Overlay /24 ("Each node is assigned a /24 address space",
  learn.microsoft.com/azure/aks/azure-cni-overlay). Azure gives no IPv6 size there: /64 is assumed,
  as the larger guess never overstates the nodes a pod CIDR holds.
- Pod IPs of a node block: host-local (kubenet, flannel; assumed for Azure Overlay, which runs up to
  250 pods) skips the network address, IPv4 broadcast and gateway and refuses /31, /32, /127, /128
  (containernetworking/plugins ``plugins/ipam/host-local/backend/allocator/range.go``,
  ``allocator.go``). Cilium's host-scope allocator skips network and IPv4 broadcast ("252/254
  allocated from .../24", ref. 3.5), and its router and health endpoint take two (ref. 3.2). Calico
  uses every address (ref. 2.2); Cilium multi-pool reserves the first and last address of a CIDR of
  3 or more (ref. 3.3); AWS prefixes are all pod IPs.
- Calico blocks, multi-pool CIDRs and AWS prefixes are claimed on demand: a node running max pods
  holds ceil(max pods / block IPs) of them (ref. 2.7, calicoctl#1434); borrowing is no capacity.
- Whereabouts: one range, network + 1 to the last address (IPv4: before the broadcast), 2 host bits
  at least (``pkg/allocate/allocate.go`` GetIPRange); of a /64 or wider only the first /65 (ref. 1.1).
- AWS VPC CNI max pods: ENIs x (IPv4 per ENI - 1) + 2, x 16 with prefix delegation; custom networking
  (pods in their own subnet) takes one ENI away; capped at 110 (<= 30 vCPUs) or 250 when the vCPUs
  are known, in both modes (amazon-eks-ami ``templates/al2/runtime/max-pods-calculator.sh``, ref.
  5.2). IPv6 nodes get one /80 (ref. 5.2), so the formula bounds IPv4 only.
- Without a pod subnet, AWS VPC CNI pods use the node subnet: 1 + max pods addresses a node, or 1 + the
  whole /28 (/80) prefixes its pods need (warm pools and extra ENIs' own addresses left out). The
  first and last /28 of a subnet hold AWS's reserved addresses, so they are never prefixes.
- Reserved per subnet: AWS 5 (docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html), Azure 5
  (Azure Virtual Network FAQ), GCP 4 (cloud.google.com/vpc/docs/subnets), assumed for IPv6 too (not
  read there; immaterial in a /64); bare metal and other: IPv4 network, broadcast, gateway (3), IPv6
  subnet-router anycast (RFC 4291 2.6.1) and gateway (2).
- ClusterIPs: IPv4 2^h - 2, IPv6 min(2^h, 65,536) - 1 (kube-apiserver ``pkg/registry/core/service/
  ipallocator/bitmap.go``; 10.96.0.0/28 gives 14, ref. 4.5); at most 20 host bits
  (``cmd/kube-apiserver/app/options/validation.go``) unless MultiCIDRServiceAllocator and
  DisableAllocatorDualWrite are both on (the default from 1.34).
- The kubelet runs at most 110 pods a node by default (ref. 4.1, 4.3).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from ipledger.core.addresses import max_prefixlen
from ipledger.core.errors import InvalidInputError
from ipledger.core.findings import Finding, Severity
from ipledger.core.vocabulary import parse_choice

__all__ = [
    "IPV6_SUBNET_PREFIXLEN",
    "Capacity",
    "Figure",
    "IPAMMode",
    "Provider",
    "Sizing",
    "aws_max_pods",
    "default_node_prefixlen",
    "gke_node_prefixlen",
    "max_service_host_bits",
    "measure_cluster",
    "node_slots",
    "parse_ipam_mode",
    "parse_provider",
    "planned_node_subnet_prefixlen",
    "pods_per_node_block",
    "provider_reserved_addresses",
    "required_node_subnet_prefixlen",
    "required_pod_prefixlen",
    "required_service_prefixlen",
    "service_ip_count",
]


class Provider(StrEnum):
    BARE_METAL = "bare-metal"
    EKS = "eks"
    GKE = "gke"
    AKS = "aks"
    OTHER = "other"


class IPAMMode(StrEnum):
    KUBE_CONTROLLER_MANAGER = "kube-controller-manager"  # node CIDRs carved from the pod CIDR
    FLANNEL = "flannel"  # uses kube-controller-manager's node podCIDR
    CALICO = "calico"  # IPAM blocks, claimed by nodes on demand
    CILIUM_CLUSTER_POOL = "cilium-cluster-pool"  # the operator carves one CIDR per node
    CILIUM_MULTI_POOL = "cilium-multi-pool"  # per-pool maskSize CIDRs handed to nodes on demand
    WHEREABOUTS = "whereabouts"  # one range, addresses to pods cluster-wide
    AWS_VPC_CNI = "aws-vpc-cni"  # pods take secondary IPs of a VPC subnet
    AWS_VPC_CNI_PREFIX = "aws-vpc-cni-prefix"  # prefix delegation: /28 or /80 prefixes on ENIs
    AZURE_CNI_OVERLAY = "azure-cni-overlay"  # a /24 per node from the overlay pod CIDR


_M = IPAMMode
_HOST_LOCAL = "minus network, broadcast (IPv4 only), gateway"
_BLOCKS = {  # mode: ((IPv4, IPv6) default block, pod IPs of a block, source); see the module docstring
    _M.KUBE_CONTROLLER_MANAGER: ((24, 64), _HOST_LOCAL, "host-local range.go"),
    _M.FLANNEL: ((24, 64), _HOST_LOCAL, "host-local range.go"),
    _M.AZURE_CNI_OVERLAY: ((24, 64), _HOST_LOCAL, "Azure CNI Overlay docs, host-local rule"),
    _M.CILIUM_CLUSTER_POOL: (
        (24, 120),
        "minus network, broadcast (IPv4 only), router, health",
        "cilium hostscope",
    ),
    _M.CILIUM_MULTI_POOL: ((24, 120), "minus first and last", "cilium multi-pool.rst"),
    _M.CALICO: ((26, 122), "all usable", "Calico IPAM blocks"),
    _M.AWS_VPC_CNI_PREFIX: ((28, 80), "all usable", "AWS VPC CNI prefix delegation"),
}
_HOST_LOCAL_MODES = frozenset({_M.KUBE_CONTROLLER_MANAGER, _M.FLANNEL, _M.AZURE_CNI_OVERLAY})
_ONE_BLOCK_MODES = _HOST_LOCAL_MODES | {_M.CILIUM_CLUSTER_POOL}  # a node keeps one block for life
_AWS_MODES = frozenset({_M.AWS_VPC_CNI, _M.AWS_VPC_CNI_PREFIX})
_CIDRSET_MODES = frozenset({_M.KUBE_CONTROLLER_MANAGER, _M.FLANNEL, _M.CILIUM_CLUSTER_POOL})
_CIDRSET_MAX_IPV6_GAP = 16  # clusterSubnetMaxDiff of both cidr_set.go
_RESERVED = {Provider.EKS: 5, Provider.AKS: 5, Provider.GKE: 4}
_SERVICE_HOST_BITS = 20  # maxCIDRBits of kube-apiserver's validation.go
_SUBNETS = "provider subnet reservations"
# Stateless address autoconfiguration forms addresses from a 64-bit interface identifier (RFC 4291
# 2.5.1) and ignores a prefix whose length and identifier do not add up to 128 bits (RFC 4862
# 5.5.3 d), and the clouds give no IPv6 subnet longer than a /64 (AWS VPC user guide, subnet CIDR
# blocks: an IPv6 subnet is a /64 or shorter; Azure, "Overview of IPv6 for Azure Virtual Network":
# "IPv6 subnets must be exactly /64 in size"), so a planned IPv6 node subnet is a /64 unless the
# caller asks for a longer one.
IPV6_SUBNET_PREFIXLEN = 64


def parse_provider(text: str) -> Provider:
    """The provider named ``text``, in any case.

    Raises:
        InvalidInputError: unknown name; the message lists the choices.
    """
    return parse_choice(Provider, text, what="provider")


def parse_ipam_mode(text: str) -> IPAMMode:
    """The IPAM mode named ``text``, in any case; ``kcm`` is kube-controller-manager.

    Raises:
        InvalidInputError: unknown name; the message lists the choices.
    """
    if text.strip().lower() == "kcm":
        return IPAMMode.KUBE_CONTROLLER_MANAGER
    return parse_choice(IPAMMode, text, what="ipam mode")


@dataclass(frozen=True, slots=True)
class Sizing:
    """What a cluster needs, in one family. ``node_prefixlen`` None: :func:`default_node_prefixlen`;
    ``expected_services`` None: not checked; ENI figures (AWS modes): checked against max pods.

    Raises:
        InvalidInputError: an impossible value; the message names it.
    """

    mode: IPAMMode
    provider: Provider
    family: int
    max_pods: int = 110
    expected_nodes: int = 3
    growth: float = 2.0
    node_prefixlen: int | None = None
    expected_services: int | None = None
    eni_count: int | None = None
    ips_per_eni: int | None = None
    vcpus: int | None = None

    def __post_init__(self) -> None:
        max_prefixlen(self.family)
        _require_at_least(1, max_pods=self.max_pods)
        _require_at_least(0, expected_nodes=self.expected_nodes, expected_services=self.expected_services)
        if not (math.isfinite(self.growth) and self.growth >= 1):
            raise InvalidInputError(f"growth {self.growth}: must be finite and at least 1", field="growth")
        if self.node_prefixlen is not None:
            _check_prefixlen(self.node_prefixlen, self.family, what="node prefix length")
            if self.mode not in _BLOCKS:
                raise InvalidInputError(f"{self.mode} has no per-node blocks: leave node_prefixlen unset")
        _check_eni_figures(self)

    @property
    def nodes_needed(self) -> int:
        """ceil(expected nodes x growth) in decimal arithmetic: 10 x 1.1 is 11, not 12."""
        return math.ceil(self.expected_nodes * Fraction(str(self.growth)))


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of worked capacity: ``working`` shows the arithmetic, ``source`` the rule's origin."""

    name: str
    value: int
    working: str
    source: str


@dataclass(frozen=True, slots=True)
class Capacity:
    """``node_capacity``: nodes the pod network holds (AWS VPC CNI without a pod subnet: the node
    subnet), None when no measured range limits it."""

    figures: tuple[Figure, ...]
    nodes_needed: int
    node_capacity: int | None
    headroom_nodes: int | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class _Part:
    figures: tuple[Figure, ...] = ()
    findings: tuple[Finding, ...] = ()
    nodes: int | None = None


def default_node_prefixlen(mode: IPAMMode, provider: Provider, *, family: int, max_pods: int) -> int | None:
    """The per-node block (node CIDR, Calico block, Cilium mask size, AWS prefix) used when none is
    configured; None for modes without one (whereabouts, aws-vpc-cni).

    Raises:
        InvalidInputError: unknown family, or max pods outside the GKE rule.
    """
    bits = max_prefixlen(family)
    if mode is IPAMMode.KUBE_CONTROLLER_MANAGER and provider is Provider.GKE and bits == 32:
        return gke_node_prefixlen(max_pods)
    return _BLOCKS[mode][0][bits == 128] if mode in _BLOCKS else None


def gke_node_prefixlen(max_pods: int) -> int:
    """GKE's IPv4 node range, the smallest block with 2 x max pods addresses: 8 /28, 9-16 /27, 17-32
    /26, 33-64 /25, 65-110 /24. Past GKE's table the rule goes on (129-256 /23), accepted or not.

    Raises:
        InvalidInputError: fewer than 8 pods (GKE's table starts there), or no IPv4 block is enough.
    """
    if max_pods < 8:
        raise InvalidInputError(f"max pods {max_pods}: GKE's node range rule starts at 8", field="max_pods")
    prefixlen = 32 - (2 * max_pods - 1).bit_length()
    if prefixlen < 0:
        raise InvalidInputError(f"max pods {max_pods}: no IPv4 block holds twice as many", field="max_pods")
    return prefixlen


def aws_max_pods(
    *,
    eni_count: int,
    ips_per_eni: int,
    prefix_delegation: bool = False,
    vcpus: int | None = None,
    custom_networking: bool = False,
) -> int:
    """IPv4 max pods under the AWS VPC CNI: m5.large (3 ENIs, 10 IPs) 29, with prefix delegation and
    its 2 vCPUs 110. The vCPU cap applies only when ``vcpus`` is given.

    Raises:
        InvalidInputError: a count below 1, or custom networking with a single ENI.
    """
    _require_at_least(1, eni_count=eni_count, ips_per_eni=ips_per_eni, vcpus=vcpus)
    enis = eni_count - 1 if custom_networking else eni_count
    if enis < 1:
        raise InvalidInputError("custom networking needs 2 ENIs or more: the first stays in the node subnet")
    pods = enis * (ips_per_eni - 1) * (16 if prefix_delegation else 1) + 2
    return pods if vcpus is None else min(pods, 250 if vcpus > 30 else 110)


def pods_per_node_block(node_prefixlen: int, *, family: int, mode: IPAMMode) -> int:
    """Pod IPs of one per-node block: kcm /24 253 (/31 none), Cilium cluster-pool /24 252, multi-pool
    /24 254, Calico /26 64, AWS /28 16 (rules in the module docstring).

    Raises:
        InvalidInputError: a mode without per-node blocks, or a length out of range.
    """
    _check_prefixlen(node_prefixlen, family, what="node prefix length")
    if mode not in _BLOCKS:
        raise InvalidInputError(f"{mode} has no per-node blocks", field="mode")
    host_bits = max_prefixlen(family) - node_prefixlen
    size = 1 << host_bits
    if mode in _HOST_LOCAL_MODES:
        return 0 if host_bits < 2 else size - (3 if family == 4 else 2)
    if mode is IPAMMode.CILIUM_CLUSTER_POOL:
        return max(0, _bitmap_ips(host_bits, family) - 2)
    return size - 2 if mode is IPAMMode.CILIUM_MULTI_POOL and size >= 3 else size


def node_slots(pod_prefixlen: int, node_prefixlen: int) -> int:
    """How many /``node_prefixlen`` blocks a /``pod_prefixlen`` holds: 2^(node - pod).

    Raises:
        InvalidInputError: a negative length, or a node mask shorter than the pod CIDR.
    """
    if pod_prefixlen < 0:
        raise InvalidInputError(f"pod prefix length /{pod_prefixlen} is negative")
    if node_prefixlen < pod_prefixlen:
        raise InvalidInputError(f"a /{pod_prefixlen} cannot be split into /{node_prefixlen} blocks")
    return 1 << (node_prefixlen - pod_prefixlen)


def provider_reserved_addresses(provider: Provider, family: int) -> int:
    """Addresses kept in every subnet: AWS 5, Azure 5, GCP 4; bare metal and other 3 (IPv6: 2).

    Raises:
        InvalidInputError: unknown family.
    """
    return _RESERVED.get(provider, 3 if max_prefixlen(family) == 32 else 2)


def service_ip_count(service_prefixlen: int, *, family: int) -> int:
    """ClusterIPs of a service range: /28 14, /31 and /32 none; IPv6 /112 and shorter 65,535.

    Raises:
        InvalidInputError: the length is out of range for the family.
    """
    _check_prefixlen(service_prefixlen, family, what="service prefix length")
    return _bitmap_ips(max_prefixlen(family) - service_prefixlen, family)


def max_service_host_bits(family: int) -> int:
    """Host bits the kube-apiserver allows a service range: 20 (IPv4 /12, IPv6 /108). ServiceCIDR
    objects (networking.k8s.io/v1, GA in 1.33) are not held to it, nor is the flag once both
    MultiCIDRServiceAllocator and DisableAllocatorDualWrite are on (the default from 1.34).

    Raises:
        InvalidInputError: unknown family.
    """
    max_prefixlen(family)
    return _SERVICE_HOST_BITS


def measure_cluster(
    sizing: Sizing,
    *,
    pod_prefixlen: int | None,
    service_prefixlen: int | None,
    node_subnet_prefixlen: int | None,
) -> Capacity:
    """The worked capacity of the given ranges (None: not measured) against the nodes needed.

    Raises:
        InvalidInputError: a length out of range, or ENI figures the formula rejects.
    """
    needed = sizing.nodes_needed
    lengths = {"pod": pod_prefixlen, "service": service_prefixlen, "node subnet": node_subnet_prefixlen}
    for what, length in lengths.items():
        if length is not None:
            _check_prefixlen(length, sizing.family, what=f"{what} prefix length")
    pods_in_subnet = sizing.mode in _AWS_MODES and pod_prefixlen is None
    working = f"ceil({sizing.expected_nodes:,} x growth {sizing.growth:g}) = {needed:,}"
    pods = _Part() if pod_prefixlen is None else _measure_pods(sizing, pod_prefixlen, needed)
    subnet = _Part()
    if node_subnet_prefixlen is not None:
        subnet = _measure_node_subnet(sizing, node_subnet_prefixlen, needed, pods_in_subnet=pods_in_subnet)
    services = _Part() if service_prefixlen is None else _measure_services(sizing, service_prefixlen)
    enis = _measure_enis(sizing, custom=pod_prefixlen is not None)  # a pod subnet is custom networking
    parts = (_Part((Figure("nodes needed", needed, working, "Sizing"),)), pods, subnet, services, enis)
    capacity = subnet.nodes if pods_in_subnet else pods.nodes
    return Capacity(
        figures=tuple(figure for part in parts for figure in part.figures),
        nodes_needed=needed,
        node_capacity=capacity,
        headroom_nodes=None if capacity is None else capacity - needed,
        findings=tuple(finding for part in parts for finding in part.findings),
    )


def required_pod_prefixlen(sizing: Sizing) -> int:
    """The longest pod CIDR length whose node capacity reaches the nodes needed (modes without node
    blocks: nodes needed x max pods addresses).

    Raises:
        InvalidInputError: the node block has fewer pod IPs than max pods, or no length fits.
    """
    if sizing.mode in _ONE_BLOCK_MODES:
        block = _block_prefixlen(sizing)
        ips = pods_per_node_block(block, family=sizing.family, mode=sizing.mode)
        if ips < sizing.max_pods:
            raise InvalidInputError(
                f"a /{block} node block has {ips:,} pod IPs, fewer than max pods {sizing.max_pods}"
            )
    found = _find_pod_prefixlen(sizing)
    if found is None:
        raise InvalidInputError(f"no IPv{sizing.family} pod CIDR holds {sizing.nodes_needed:,} nodes")
    return found


def required_node_subnet_prefixlen(sizing: Sizing) -> int:
    """The longest node subnet length holding the nodes needed after the provider's reserved
    addresses (with the AWS VPC CNI modes, their pods as well).

    Raises:
        InvalidInputError: no length fits.
    """
    aws, bits = sizing.mode in _AWS_MODES, max_prefixlen(sizing.family)
    found = _find_prefixlen(sizing, bits, lambda n: _measure_node_subnet(sizing, n, 0, pods_in_subnet=aws))
    if found is None:
        raise InvalidInputError(f"no IPv{sizing.family} node subnet holds {sizing.nodes_needed:,} nodes")
    return found


def planned_node_subnet_prefixlen(sizing: Sizing, *, prefixlen: int | None = None) -> int:
    """The node subnet length a plan gives: ``prefixlen`` when the caller chose one, else the
    required length, which in IPv6 is never longer than /64 (see ``IPV6_SUBNET_PREFIXLEN``).

    Raises:
        InvalidInputError: ``prefixlen`` is out of range, or holds fewer nodes than needed.
    """
    required = required_node_subnet_prefixlen(sizing)
    if prefixlen is None:
        return min(required, IPV6_SUBNET_PREFIXLEN) if sizing.family == 6 else required
    _check_prefixlen(prefixlen, sizing.family, what="node subnet prefix length")
    if prefixlen > required:
        raise InvalidInputError(
            f"a /{prefixlen} IPv{sizing.family} node subnet holds fewer than the {sizing.nodes_needed:,} nodes "
            f"needed: give /{required} or shorter",
            field="node_subnet_prefixlen_v6" if sizing.family == 6 else "node_subnet_prefixlen",
        )
    return prefixlen


def required_service_prefixlen(*, family: int, expected_services: int | None) -> int:
    """The longest service range with ``expected_services`` ClusterIPs (the ``kubernetes`` Service
    among them, so 1 at least). None gives /20 in IPv4: 4,094 ClusterIPs, more than most clusters run,
    in a 256th of kubeadm's default /12; and /112 in IPv6: 65,536 addresses, all the bitmap uses.

    Raises:
        InvalidInputError: a negative count, or more Services than the kube-apiserver's limit allows.
    """
    bits = max_prefixlen(family)
    if expected_services is None:
        return 20 if bits == 32 else 112
    _require_at_least(0, expected_services=expected_services)
    shortest = bits - max_service_host_bits(family)
    for length in range(bits, shortest - 1, -1):
        if service_ip_count(length, family=family) >= max(1, expected_services):
            return length
    limit = service_ip_count(shortest, family=family)
    raise InvalidInputError(
        f"{expected_services:,} Services exceed the {limit:,} ClusterIPs of a /{shortest}"
    )


def _measure_pods(sizing: Sizing, pod_len: int, needed: int) -> _Part:
    if sizing.mode not in _BLOCKS:
        part = _measure_address_range(sizing, pod_len)
    elif (misfit := _block_misfit(sizing, pod_len, _block_prefixlen(sizing))) is not None:
        return _Part(findings=(misfit,), nodes=0)
    else:
        part = _measure_blocks(sizing, pod_len, _block_prefixlen(sizing))
    if part.nodes is None or part.nodes >= needed:
        return part
    fit = _find_pod_prefixlen(sizing)
    fix = "no pod CIDR is large enough" if fit is None else f"use a /{fit} or larger pod CIDR"
    message = (
        f"the /{pod_len} pod CIDR holds {part.nodes:,} nodes, fewer than the {needed:,} needed; the others "
        f"get no pod addresses and their pods stay Pending: {fix}"
    )
    finding = Finding(Severity.ERROR, "pod-cidr-too-small", f"pod CIDR /{pod_len}", message)
    return _Part(part.figures, (*part.findings, finding), part.nodes)


def _measure_blocks(sizing: Sizing, pod_len: int, block: int) -> _Part:
    ips = pods_per_node_block(block, family=sizing.family, mode=sizing.mode)
    _, rule, source = _BLOCKS[sizing.mode]
    size = 1 << (max_prefixlen(sizing.family) - block)
    block_figure = Figure("pod IPs per node block", ips, f"/{block}: {size:,} {rule} = {ips:,}", source)
    slots = node_slots(pod_len, block)
    split = f"/{pod_len} split into /{block}: 2^({block}-{pod_len}) = {slots:,}"
    if sizing.mode in _ONE_BLOCK_MODES:
        pods = slots * min(sizing.max_pods, ips)
        working = f"{slots:,} nodes x min(max pods {sizing.max_pods}, {ips:,}) = {pods:,}"
        figures = (
            Figure("nodes the pod CIDR holds", slots, split, "node CIDR allocator cidr_set.go"),
            block_figure,
            Figure("pods the pod CIDR holds", pods, working, source),
        )
        return _Part(figures, _max_pods_misfit(sizing, block, ips), slots)
    edges = min(2, slots) if sizing.mode is IPAMMode.AWS_VPC_CNI_PREFIX else 0
    blocks, per_node = slots - edges, -(-sizing.max_pods // ips)
    nodes = blocks // per_node
    split += f", minus the {edges} holding AWS's reserved addresses" if edges else ""
    claims = f"ceil(max pods {sizing.max_pods} / {ips:,}) = {per_node:,}"
    return _Part(
        (
            Figure("blocks the pod CIDR holds", blocks, split, source),
            block_figure,
            Figure("blocks a full node claims", per_node, claims, source),
            Figure("nodes the pod CIDR holds", nodes, f"{blocks:,} // {per_node:,} = {nodes:,}", source),
        ),
        nodes=nodes,
    )


def _block_misfit(sizing: Sizing, pod_len: int, block: int) -> Finding | None:
    subject, gap = f"node mask /{block}", block - pod_len
    if gap < 0:
        message = (
            f"the /{block} node block is larger than the /{pod_len} pod CIDR, so none fits and the allocator "
            f"refuses them: use a longer node mask or a /{block} or larger pod CIDR"
        )
        return Finding(Severity.ERROR, "node-mask-shorter-than-pod-cidr", subject, message)
    if sizing.family == 6 and sizing.mode in _CIDRSET_MODES and gap > _CIDRSET_MAX_IPV6_GAP:
        message = (
            f"the /{block} node mask is {gap} bits longer than the /{pod_len} pod CIDR and the node CIDR "
            f"allocator refuses more than 16 ('the node CIDR size is too big'): use a /{block - 16} or "
            f"longer pod CIDR, or a shorter node mask"
        )
        return Finding(Severity.ERROR, "ipv6-node-mask-gap", subject, message)
    return None


def _max_pods_misfit(sizing: Sizing, block: int, ips: int) -> tuple[Finding, ...]:
    if sizing.max_pods <= ips:
        return ()
    message = (
        f"max pods {sizing.max_pods} exceeds the {ips:,} pod IPs of a /{block} node block, so pods are "
        f"scheduled that never get an address: lower max pods or shorten the node mask"
    )
    return (Finding(Severity.ERROR, "max-pods-exceeds-node-block", f"node mask /{block}", message),)


def _measure_address_range(sizing: Sizing, pod_len: int) -> _Part:
    host_bits = max_prefixlen(sizing.family) - pod_len
    if sizing.mode is IPAMMode.WHEREABOUTS:
        last = (1 << host_bits) - (2 if sizing.family == 4 else 1)
        usable = 0 if host_bits < 2 else min(last, 1 << 63)  # 2^63: the first /65 of a wide IPv6 range
        working, source = f"/{pod_len} from network + 1 to the last usable address", "whereabouts allocate.go"
    else:
        usable = _subnet_usable(sizing, pod_len)
        working, source = f"/{pod_len} minus {sizing.provider}'s reserved addresses", _SUBNETS
    nodes = usable // sizing.max_pods
    figures = (
        Figure("pod addresses in the pod range", usable, f"{working} = {usable:,}", source),
        Figure("nodes the pod CIDR holds", nodes, f"{usable:,} // max pods {sizing.max_pods}", source),
    )
    return _Part(figures, nodes=nodes)


def _measure_node_subnet(sizing: Sizing, subnet_len: int, needed: int, *, pods_in_subnet: bool) -> _Part:
    usable = _subnet_usable(sizing, subnet_len)
    per_node, why, source = 1, "1 address a node", "one address a node"
    if pods_in_subnet and sizing.mode is IPAMMode.AWS_VPC_CNI:
        per_node, why, source = 1 + sizing.max_pods, f"1 + max pods {sizing.max_pods}", "AWS secondary IPs"
    elif pods_in_subnet:
        size = 1 << (max_prefixlen(sizing.family) - _block_prefixlen(sizing))
        prefixes = -(-sizing.max_pods // size)
        per_node, why, source = 1 + prefixes * size, f"1 + {prefixes} prefixes of {size:,}", "AWS prefixes"
    nodes, reserved = usable // per_node, provider_reserved_addresses(sizing.provider, sizing.family)
    working = f"{usable:,} // ({why}) = {nodes:,}"
    minus = f"/{subnet_len} minus {reserved} reserved ({sizing.provider}) = {usable:,}"
    figures = (
        Figure("usable addresses in the node subnet", usable, minus, _SUBNETS),
        Figure("nodes the node subnet holds", nodes, working, source),
    )
    if nodes >= needed:
        return _Part(figures, nodes=nodes)
    message = (
        f"the /{subnet_len} node subnet holds {nodes:,} nodes ({usable:,} usable addresses, {per_node:,} a "
        f"node), fewer than the {needed:,} needed; the others cannot join: use a larger node subnet"
    )
    finding = Finding(Severity.ERROR, "node-subnet-too-small", f"node subnet /{subnet_len}", message)
    return _Part(figures, (finding,), nodes)


def _measure_services(sizing: Sizing, service_len: int) -> _Part:
    count = service_ip_count(service_len, family=sizing.family)
    host_bits = max_prefixlen(sizing.family) - service_len
    rule = "- 2 (network, broadcast)" if sizing.family == 4 else "up to 65,536, - 1 (network)"
    working = f"/{service_len}: 2^{host_bits} {rule} = {count:,}"
    figure = Figure("service IPs", count, working, "kube-apiserver ipallocator bitmap.go")
    subject, findings = f"service CIDR /{service_len}", []
    if host_bits > max_service_host_bits(sizing.family):
        message = (
            f"the /{service_len} service CIDR has {host_bits} host bits and the kube-apiserver before 1.34 "
            f"refuses more than 20 ('--service-cluster-ip-range is too large'): use a smaller range"
        )
        findings.append(Finding(Severity.ERROR, "service-cidr-too-large", subject, message))
    if count < 1:
        message = f"the /{service_len} service CIDR has no ClusterIP, not even for the kubernetes Service"
        findings.append(
            Finding(Severity.ERROR, "service-cidr-too-small", subject, f"{message}: use a larger one")
        )
    elif sizing.expected_services is not None and count < sizing.expected_services:
        message = (
            f"the /{service_len} service CIDR gives {count:,} ClusterIPs, fewer than the "
            f"{sizing.expected_services:,} Services expected; the others fail with 'range is full': use a larger one"
        )
        findings.append(Finding(Severity.WARNING, "service-cidr-too-small", subject, message))
    return _Part((figure,), tuple(findings))


def _measure_enis(sizing: Sizing, *, custom: bool) -> _Part:
    if sizing.eni_count is None or sizing.ips_per_eni is None or sizing.family == 6:
        return _Part()
    delegation, count, ips = sizing.mode is IPAMMode.AWS_VPC_CNI_PREFIX, sizing.eni_count, sizing.ips_per_eni
    limit = aws_max_pods(
        eni_count=count,
        ips_per_eni=ips,
        prefix_delegation=delegation,
        vcpus=sizing.vcpus,
        custom_networking=custom,
    )
    enis = f"({count} - 1)" if custom else str(count)
    cap = "" if sizing.vcpus is None else f", capped for {sizing.vcpus} vCPUs"
    working = f"{enis} ENIs x ({ips} - 1){' x 16' if delegation else ''} + 2{cap} = {limit}"
    figures = (Figure("pods the ENIs allow", limit, working, "amazon-eks-ami max-pods-calculator.sh"),)
    if sizing.max_pods <= limit:
        return _Part(figures)
    message = (
        f"max pods {sizing.max_pods} exceeds the {limit} pods these ENIs can address, so pods are scheduled "
        f"that the VPC CNI cannot give an IP: set max pods to {limit} or use a larger instance type"
    )
    return _Part(figures, (Finding(Severity.WARNING, "aws-max-pods", "max pods", message),))


def _find_pod_prefixlen(sizing: Sizing) -> int | None:
    start = _block_prefixlen(sizing) if sizing.mode in _BLOCKS else max_prefixlen(sizing.family)
    return _find_prefixlen(sizing, start, lambda length: _measure_pods(sizing, length, 0))


def _find_prefixlen(sizing: Sizing, start: int, measure: Callable[[int], _Part]) -> int | None:
    """The longest length from ``start`` down whose measured nodes reach the nodes needed."""
    for length in range(start, -1, -1):
        nodes = measure(length).nodes
        if nodes is not None and nodes >= sizing.nodes_needed:
            return length
    return None


def _block_prefixlen(sizing: Sizing) -> int:
    if sizing.node_prefixlen is not None:
        return sizing.node_prefixlen
    default = default_node_prefixlen(
        sizing.mode, sizing.provider, family=sizing.family, max_pods=sizing.max_pods
    )
    assert default is not None, f"{sizing.mode} has per-node blocks"
    return default


def _subnet_usable(sizing: Sizing, prefixlen: int) -> int:
    total = 1 << (max_prefixlen(sizing.family) - prefixlen)
    return max(0, total - provider_reserved_addresses(sizing.provider, sizing.family))


def _bitmap_ips(host_bits: int, family: int) -> int:
    # The ClusterIP bitmap allocator, forked by Cilium for its host-scope IPAM: no network address,
    # no IPv4 broadcast, and a bitmap of at most 65,536 IPv6 addresses.
    if family == 4:
        return max(0, (1 << host_bits) - 2)
    return max(0, min(1 << host_bits, 65_536) - 1)


def _check_prefixlen(prefixlen: int, family: int, *, what: str) -> None:
    bits = max_prefixlen(family)
    if not 0 <= prefixlen <= bits:
        raise InvalidInputError(f"{what} /{prefixlen} is out of range for IPv{family} (0 to {bits})")


def _check_eni_figures(sizing: Sizing) -> None:
    if (sizing.eni_count is None) != (sizing.ips_per_eni is None):
        raise InvalidInputError("eni_count and ips_per_eni go together: give both or neither")
    if sizing.eni_count is None and sizing.vcpus is not None:
        raise InvalidInputError(f"vcpus {sizing.vcpus} only counts with eni_count and ips_per_eni")
    if sizing.eni_count is not None and sizing.mode not in _AWS_MODES:
        raise InvalidInputError(f"ENI figures apply to the AWS VPC CNI modes, not {sizing.mode}")
    _require_at_least(1, eni_count=sizing.eni_count, ips_per_eni=sizing.ips_per_eni, vcpus=sizing.vcpus)


def _require_at_least(minimum: int, **values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < minimum:
            raise InvalidInputError(
                f"{name.replace('_', ' ')} {value}: must be at least {minimum}", field=name
            )
