"""Capacity: cluster sizing per IPAM mode, checked against the providers' own worked examples.

Sources of the numbers are in the test ids and comments; "ref. N" is a section of
shared/reference/kubernetes-ipam.md.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ipledger.core.capacity import (
    Capacity,
    IPAMMode,
    Provider,
    Sizing,
    aws_max_pods,
    default_node_prefixlen,
    gke_node_prefixlen,
    max_service_host_bits,
    measure_cluster,
    node_slots,
    parse_ipam_mode,
    parse_provider,
    planned_node_subnet_prefixlen,
    pods_per_node_block,
    provider_reserved_addresses,
    required_node_subnet_prefixlen,
    required_pod_prefixlen,
    required_service_prefixlen,
    service_ip_count,
)
from ipledger.core.errors import InvalidInputError
from ipledger.core.findings import Severity
from tests.core.strategies import PROPERTY

KCM = IPAMMode.KUBE_CONTROLLER_MANAGER
CALICO = IPAMMode.CALICO
CLUSTER_POOL = IPAMMode.CILIUM_CLUSTER_POOL
MULTI_POOL = IPAMMode.CILIUM_MULTI_POOL
AWS = IPAMMode.AWS_VPC_CNI
AWS_PD = IPAMMode.AWS_VPC_CNI_PREFIX
AZURE = IPAMMode.AZURE_CNI_OVERLAY
BARE = Provider.BARE_METAL
BLOCK_MODES = [KCM, IPAMMode.FLANNEL, CALICO, CLUSTER_POOL, MULTI_POOL, AWS_PD, AZURE]


def _sizing(mode: IPAMMode = KCM, family: int = 4, **options: object) -> Sizing:
    provider = options.pop("provider", Provider.EKS if mode in (AWS, AWS_PD) else BARE)
    return Sizing(mode, provider, family, **options)  # type: ignore[arg-type]


def _measure(
    sizing: Sizing, *, pod: int | None = None, service: int | None = None, node: int | None = None
) -> Capacity:
    return measure_cluster(sizing, pod_prefixlen=pod, service_prefixlen=service, node_subnet_prefixlen=node)


def _figure(capacity: Capacity, name: str) -> int:
    [value] = [figure.value for figure in capacity.figures if figure.name == name]
    return value


def _kinds(capacity: Capacity) -> list[tuple[Severity, str]]:
    return [(finding.severity, finding.kind) for finding in capacity.findings]


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("eks", Provider.EKS, id="eks"),
        pytest.param(" GKE ", Provider.GKE, id="upper-case-padded"),
        pytest.param("Bare-Metal", Provider.BARE_METAL, id="mixed-case"),
    ],
)
def test_parse_provider_accepts_any_case(text: str, expected: Provider) -> None:
    assert parse_provider(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("calico", CALICO, id="calico"),
        pytest.param("KCM", KCM, id="kcm-alias"),
        pytest.param(" kcm ", KCM, id="kcm-alias-padded"),
        pytest.param("Kube-Controller-Manager", KCM, id="mixed-case"),
        pytest.param("aws-vpc-cni-prefix", AWS_PD, id="aws-prefix"),
    ],
)
def test_parse_ipam_mode_accepts_names_and_kcm(text: str, expected: IPAMMode) -> None:
    assert parse_ipam_mode(text) is expected


def test_parse_provider_rejects_unknown_names_listing_choices() -> None:
    with pytest.raises(
        InvalidInputError, match=re.escape("unknown provider 'aws': expected one of bare-metal, eks")
    ):
        parse_provider("aws")


def test_parse_ipam_mode_rejects_unknown_names_listing_choices() -> None:
    with pytest.raises(
        InvalidInputError, match=r"unknown ipam mode 'host-local': expected one of .*whereabouts"
    ):
        parse_ipam_mode("host-local")


# --- defaults, GKE and AWS rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "provider", "family", "expected"),
    [
        pytest.param(KCM, BARE, 4, 24, id="kcm-v4-24"),
        pytest.param(KCM, BARE, 6, 64, id="kcm-v6-64"),
        pytest.param(IPAMMode.FLANNEL, BARE, 4, 24, id="flannel-v4-24"),
        pytest.param(IPAMMode.FLANNEL, Provider.GKE, 6, 64, id="flannel-v6-64"),
        pytest.param(KCM, Provider.GKE, 4, 24, id="gke-110-pods-24"),
        pytest.param(KCM, Provider.GKE, 6, 64, id="gke-v6-kcm-default-64"),
        pytest.param(CALICO, BARE, 4, 26, id="calico-block-26"),
        pytest.param(CALICO, BARE, 6, 122, id="calico-block-122"),
        pytest.param(CLUSTER_POOL, BARE, 4, 24, id="cilium-cluster-pool-24"),
        pytest.param(CLUSTER_POOL, BARE, 6, 120, id="cilium-cluster-pool-120"),
        pytest.param(MULTI_POOL, BARE, 4, 24, id="cilium-multi-pool-docs-24"),
        pytest.param(MULTI_POOL, BARE, 6, 120, id="cilium-multi-pool-docs-120"),
        pytest.param(AWS_PD, Provider.EKS, 4, 28, id="aws-prefix-28"),
        pytest.param(AWS_PD, Provider.EKS, 6, 80, id="aws-prefix-80"),
        pytest.param(AZURE, Provider.AKS, 4, 24, id="azure-overlay-24"),
        pytest.param(AZURE, Provider.AKS, 6, 64, id="azure-overlay-v6-assumed-64"),
        pytest.param(AWS, Provider.EKS, 4, None, id="aws-secondary-none"),
        pytest.param(IPAMMode.WHEREABOUTS, BARE, 6, None, id="whereabouts-none"),
    ],
)
def test_default_node_prefixlen_per_mode(
    mode: IPAMMode, provider: Provider, family: int, expected: int | None
) -> None:
    assert default_node_prefixlen(mode, provider, family=family, max_pods=110) == expected


def test_default_node_prefixlen_follows_gke_rule_for_max_pods() -> None:
    # flexible-pod-cidr: "maxPods 30 -> /26" (ref. 4.3)
    assert default_node_prefixlen(KCM, Provider.GKE, family=4, max_pods=30) == 26


@pytest.mark.parametrize(
    ("max_pods", "expected"),
    [
        pytest.param(8, 28, id="gke-table-8-/28"),
        pytest.param(9, 27, id="gke-table-9-/27"),
        pytest.param(16, 27, id="gke-table-16-/27"),
        pytest.param(17, 26, id="gke-table-17-/26"),
        pytest.param(30, 26, id="gke-docs-30-/26"),
        pytest.param(32, 26, id="gke-table-32-/26"),
        pytest.param(33, 25, id="gke-table-33-/25"),
        pytest.param(64, 25, id="gke-table-64-/25"),
        pytest.param(65, 24, id="gke-table-65-/24"),
        pytest.param(110, 24, id="gke-table-110-/24"),
        pytest.param(128, 24, id="rule-continued-128-/24"),
        pytest.param(129, 23, id="rule-continued-129-/23"),
        pytest.param(256, 23, id="rule-continued-256-/23"),
        pytest.param(2**31, 0, id="rule-continued-to-/0"),
    ],
)
def test_gke_node_prefixlen_gives_twice_max_pods(max_pods: int, expected: int) -> None:
    assert gke_node_prefixlen(max_pods) == expected


@pytest.mark.parametrize(
    ("max_pods", "message"),
    [
        pytest.param(7, "max pods 7: GKE's node range rule starts at 8", id="below-table"),
        pytest.param(0, "max pods 0: GKE's node range rule starts at 8", id="zero"),
        pytest.param(2**31 + 1, "no IPv4 block holds twice as many", id="beyond-ipv4"),
    ],
)
def test_gke_node_prefixlen_rejects_values_outside_the_rule(max_pods: int, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        gke_node_prefixlen(max_pods)


def test_default_node_prefixlen_rejects_gke_max_pods_below_8() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("max pods 5: GKE's node range rule starts at 8")):
        default_node_prefixlen(KCM, Provider.GKE, family=4, max_pods=5)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({"eni_count": 3, "ips_per_eni": 10}, 29, id="m5.large-29"),
        pytest.param({"eni_count": 3, "ips_per_eni": 4}, 11, id="t3.small-11"),
        pytest.param({"eni_count": 15, "ips_per_eni": 50}, 737, id="m5.24xlarge-737"),
        pytest.param({"eni_count": 3, "ips_per_eni": 10, "vcpus": 2}, 29, id="m5.large-cap-no-effect"),
        pytest.param({"eni_count": 15, "ips_per_eni": 50, "vcpus": 96}, 250, id="m5.24xlarge-capped-250"),
        pytest.param({"eni_count": 15, "ips_per_eni": 50, "vcpus": 30}, 110, id="30-vcpus-cap-110"),
        pytest.param({"eni_count": 15, "ips_per_eni": 50, "vcpus": 31}, 250, id="31-vcpus-cap-250"),
        pytest.param(
            {"eni_count": 3, "ips_per_eni": 10, "prefix_delegation": True}, 434, id="pd-m5.large-uncapped"
        ),
        pytest.param(
            {"eni_count": 3, "ips_per_eni": 10, "prefix_delegation": True, "vcpus": 2},
            110,
            id="pd-m5.large-110",
        ),
        pytest.param(
            {"eni_count": 15, "ips_per_eni": 50, "prefix_delegation": True, "vcpus": 96},
            250,
            id="pd-m5.24xlarge-250",
        ),
        pytest.param(
            {"eni_count": 3, "ips_per_eni": 10, "custom_networking": True},
            20,
            id="custom-networking-m5.large-20",
        ),
        pytest.param({"eni_count": 1, "ips_per_eni": 1}, 2, id="one-eni-one-ip-host-network-only"),
    ],
)
def test_aws_max_pods_matches_the_calculator(options: dict[str, int | bool], expected: int) -> None:
    # ref. 5.2: eni-max-pods.txt and max-pods-calculator.sh
    assert aws_max_pods(**options) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"eni_count": 0, "ips_per_eni": 10}, "eni count 0: must be at least 1", id="no-eni"),
        pytest.param({"eni_count": 3, "ips_per_eni": 0}, "ips per eni 0: must be at least 1", id="no-ip"),
        pytest.param(
            {"eni_count": 3, "ips_per_eni": 10, "vcpus": 0}, "vcpus 0: must be at least 1", id="no-cpu"
        ),
        pytest.param(
            {"eni_count": 1, "ips_per_eni": 10, "custom_networking": True},
            "custom networking needs 2 ENIs or more",
            id="custom-networking-one-eni",
        ),
    ],
)
def test_aws_max_pods_rejects_impossible_instances(options: dict[str, int | bool], message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        aws_max_pods(**options)  # type: ignore[arg-type]


# --- blocks, slots, reservations, ClusterIPs -------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "family", "prefixlen", "expected"),
    [
        pytest.param(KCM, 4, 24, 253, id="host-local-/24-253"),
        pytest.param(KCM, 4, 26, 61, id="host-local-/26-61"),
        pytest.param(KCM, 4, 30, 1, id="host-local-/30-1"),
        pytest.param(KCM, 4, 31, 0, id="host-local-refuses-/31"),
        pytest.param(KCM, 4, 32, 0, id="host-local-refuses-/32"),
        pytest.param(KCM, 4, 0, 2**32 - 3, id="host-local-/0"),
        pytest.param(KCM, 6, 64, 2**64 - 2, id="host-local-v6-/64"),
        pytest.param(KCM, 6, 126, 2, id="host-local-v6-/126"),
        pytest.param(KCM, 6, 127, 0, id="host-local-refuses-/127"),
        pytest.param(KCM, 6, 128, 0, id="host-local-refuses-/128"),
        pytest.param(IPAMMode.FLANNEL, 4, 24, 253, id="flannel-/24"),
        pytest.param(AZURE, 4, 24, 253, id="azure-overlay-/24-holds-its-250"),
        pytest.param(CLUSTER_POOL, 4, 24, 252, id="cilium-252/254-of-/24"),
        pytest.param(CLUSTER_POOL, 4, 30, 0, id="cilium-/30-router-and-health-only"),
        pytest.param(CLUSTER_POOL, 4, 32, 0, id="cilium-/32"),
        pytest.param(CLUSTER_POOL, 6, 120, 253, id="cilium-v6-/120"),
        pytest.param(CLUSTER_POOL, 6, 64, 65_533, id="cilium-v6-/64-bitmap-cap"),
        pytest.param(MULTI_POOL, 4, 24, 254, id="multi-pool-/24"),
        pytest.param(MULTI_POOL, 4, 30, 2, id="multi-pool-/30"),
        pytest.param(MULTI_POOL, 4, 31, 2, id="multi-pool-/31-all"),
        pytest.param(MULTI_POOL, 6, 128, 1, id="multi-pool-/128-all"),
        pytest.param(CALICO, 4, 26, 64, id="calico-/26-64"),
        pytest.param(CALICO, 6, 122, 64, id="calico-/122-64"),
        pytest.param(CALICO, 4, 32, 1, id="calico-/32"),
        pytest.param(AWS_PD, 4, 28, 16, id="aws-/28-16"),
        pytest.param(AWS_PD, 6, 80, 2**48, id="aws-/80"),
    ],
)
def test_pods_per_node_block_per_mode(mode: IPAMMode, family: int, prefixlen: int, expected: int) -> None:
    assert pods_per_node_block(prefixlen, family=family, mode=mode) == expected


@pytest.mark.parametrize(
    ("mode", "family", "prefixlen", "message"),
    [
        pytest.param(IPAMMode.WHEREABOUTS, 4, 24, "whereabouts has no per-node blocks", id="whereabouts"),
        pytest.param(AWS, 4, 28, "aws-vpc-cni has no per-node blocks", id="aws-secondary"),
        pytest.param(KCM, 4, 33, "node prefix length /33 is out of range for IPv4 (0 to 32)", id="v4-33"),
        pytest.param(KCM, 6, 129, "node prefix length /129 is out of range for IPv6 (0 to 128)", id="v6-129"),
        pytest.param(KCM, 4, -1, "node prefix length /-1 is out of range", id="negative"),
        pytest.param(KCM, 5, 24, "unknown IP version 5: expected 4 or 6", id="family-5"),
    ],
)
def test_pods_per_node_block_rejects_bad_input(
    mode: IPAMMode, family: int, prefixlen: int, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        pods_per_node_block(prefixlen, family=family, mode=mode)


@pytest.mark.parametrize(
    ("pod", "node", "expected"),
    [
        pytest.param(16, 24, 256, id="kcm-10.244/16-by-/24-256"),
        pytest.param(14, 24, 1_024, id="kcm-/14-by-/24-1024"),
        pytest.param(16, 26, 1_024, id="kcm-/16-by-/26-1024"),
        pytest.param(20, 26, 64, id="gke-/20-by-/26-64"),
        pytest.param(8, 24, 65_536, id="cilium-10/8-by-/24-65536"),
        pytest.param(104, 120, 65_536, id="cilium-fd00::/104-by-/120-65536"),
        pytest.param(56, 64, 256, id="v6-/56-by-/64-256"),
        pytest.param(48, 64, 65_536, id="v6-/48-by-/64-65536"),
        pytest.param(24, 24, 1, id="equal-one"),
        pytest.param(0, 128, 2**128, id="whole-v6-space-by-/128"),
    ],
)
def test_node_slots_is_two_to_the_mask_gap(pod: int, node: int, expected: int) -> None:
    assert node_slots(pod, node) == expected


@pytest.mark.parametrize(
    ("pod", "node", "message"),
    [
        pytest.param(24, 16, "a /24 cannot be split into /16 blocks", id="node-shorter"),
        pytest.param(-1, 24, "pod prefix length /-1 is negative", id="negative"),
    ],
)
def test_node_slots_rejects_impossible_splits(pod: int, node: int, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        node_slots(pod, node)


# AWS: "The first four IP addresses and the last IP address in each subnet CIDR block are not
# available for your use" (Amazon VPC User Guide, subnet CIDR blocks / subnet sizing).
# Azure: "Azure reserves the first four addresses and the last address, for a total of five IP
# addresses within each subnet" (Azure Virtual Network FAQ, "Are there any restrictions on using
# IP addresses within these subnets?").
# GCP: four reserved addresses in every subnet's primary IPv4 range: network, default gateway,
# second-to-last and broadcast (VPC documentation, "Subnets", reserved IP addresses).
# IPv6: the same counts are assumed (capacity.py says why: immaterial in a /64); bare metal keeps
# network, broadcast and gateway (IPv6: subnet-router anycast, RFC 4291 2.6.1, and gateway).
@pytest.mark.parametrize(
    ("provider", "family", "expected"),
    [
        pytest.param(Provider.EKS, 4, 5, id="aws-first-four-and-last"),
        pytest.param(Provider.EKS, 6, 5, id="aws-v6"),
        pytest.param(Provider.AKS, 4, 5, id="azure-5"),
        pytest.param(Provider.AKS, 6, 5, id="azure-v6"),
        pytest.param(Provider.GKE, 4, 4, id="gcp-4"),
        pytest.param(Provider.GKE, 6, 4, id="gcp-v6"),
        pytest.param(BARE, 4, 3, id="bare-network-broadcast-gateway"),
        pytest.param(BARE, 6, 2, id="bare-v6-anycast-gateway"),
        pytest.param(Provider.OTHER, 4, 3, id="other-v4"),
        pytest.param(Provider.OTHER, 6, 2, id="other-v6"),
    ],
)
def test_provider_reserved_addresses(provider: Provider, family: int, expected: int) -> None:
    assert provider_reserved_addresses(provider, family) == expected


def test_provider_reserved_addresses_rejects_unknown_family() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("unknown IP version 5")):
        provider_reserved_addresses(Provider.EKS, 5)


@pytest.mark.parametrize(
    ("family", "prefixlen", "expected"),
    [
        pytest.param(4, 28, 14, id="10.96.0.0/28-14"),
        pytest.param(4, 24, 254, id="/24-254"),
        pytest.param(4, 20, 4_094, id="/20-4094"),
        pytest.param(4, 16, 65_534, id="/16-65534"),
        pytest.param(4, 12, 2**20 - 2, id="/12-limit"),
        pytest.param(4, 30, 2, id="/30-2"),
        pytest.param(4, 31, 0, id="/31-none"),
        pytest.param(4, 32, 0, id="/32-none"),
        pytest.param(4, 0, 2**32 - 2, id="/0"),
        pytest.param(6, 112, 65_535, id="v6-/112"),
        pytest.param(6, 108, 65_535, id="v6-/108-bitmap-cap"),
        pytest.param(6, 120, 255, id="v6-/120"),
        pytest.param(6, 127, 1, id="v6-/127"),
        pytest.param(6, 128, 0, id="v6-/128-none"),
        pytest.param(6, 0, 65_535, id="v6-/0"),
    ],
)
def test_service_ip_count_follows_the_allocator(family: int, prefixlen: int, expected: int) -> None:
    assert service_ip_count(prefixlen, family=family) == expected


@pytest.mark.parametrize(
    ("family", "prefixlen", "message"),
    [
        pytest.param(4, 33, "service prefix length /33 is out of range for IPv4 (0 to 32)", id="v4-33"),
        pytest.param(6, -1, "service prefix length /-1 is out of range for IPv6", id="v6-negative"),
    ],
)
def test_service_ip_count_rejects_out_of_range_lengths(family: int, prefixlen: int, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        service_ip_count(prefixlen, family=family)


@pytest.mark.parametrize("family", [4, 6])
def test_max_service_host_bits_is_20(family: int) -> None:
    # kube-apiserver validation.go: "for 32-bit addresses, the mask must be >= 12" (128-bit: >= 108)
    assert max_service_host_bits(family) == 20


def test_max_service_host_bits_rejects_unknown_family() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("unknown IP version 7")):
        max_service_host_bits(7)


@pytest.mark.parametrize(
    ("family", "expected_services", "expected"),
    [
        pytest.param(4, None, 20, id="default-v4-/20"),
        pytest.param(6, None, 112, id="default-v6-/112"),
        pytest.param(4, 14, 28, id="14-fit-/28"),
        pytest.param(4, 15, 27, id="15-need-/27"),
        pytest.param(4, 0, 30, id="none-still-kubernetes-service"),
        pytest.param(4, 1, 30, id="kubernetes-service-only"),
        pytest.param(6, 1, 127, id="v6-kubernetes-service-only"),
        pytest.param(4, 4_094, 20, id="4094-/20"),
        pytest.param(4, 4_095, 19, id="4095-/19"),
        pytest.param(4, 2**20 - 2, 12, id="apiserver-limit-/12"),
        pytest.param(6, 65_535, 112, id="v6-bitmap-/112"),
    ],
)
def test_required_service_prefixlen(family: int, expected_services: int | None, expected: int) -> None:
    assert required_service_prefixlen(family=family, expected_services=expected_services) == expected


@pytest.mark.parametrize(
    ("family", "expected_services", "message"),
    [
        pytest.param(
            4, 2**20 - 1, "1,048,575 Services exceed the 1,048,574 ClusterIPs of a /12", id="v4-limit"
        ),
        pytest.param(6, 65_536, "65,536 Services exceed the 65,535 ClusterIPs of a /108", id="v6-limit"),
        pytest.param(4, -1, "expected services -1: must be at least 0", id="negative"),
        pytest.param(5, 10, "unknown IP version 5", id="family"),
    ],
)
def test_required_service_prefixlen_rejects_what_cannot_fit(
    family: int, expected_services: int, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        required_service_prefixlen(family=family, expected_services=expected_services)


# --- Sizing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected_nodes", "growth", "expected"),
    [
        pytest.param(3, 2.0, 6, id="default"),
        pytest.param(10, 1.1, 11, id="10x1.1-is-11-not-12"),
        pytest.param(3, 1.1, 4, id="rounds-up"),
        pytest.param(7, 1, 7, id="growth-1"),
        pytest.param(0, 3.0, 0, id="zero-nodes"),
        pytest.param(1000, 1.25, 1_250, id="1000x1.25"),
    ],
)
def test_sizing_nodes_needed_rounds_up_exactly(expected_nodes: int, growth: float, expected: int) -> None:
    assert _sizing(expected_nodes=expected_nodes, growth=growth).nodes_needed == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"family": 5}, "unknown IP version 5: expected 4 or 6", id="family"),
        pytest.param({"max_pods": 0}, "max pods 0: must be at least 1", id="max-pods-0"),
        pytest.param({"expected_nodes": -1}, "expected nodes -1: must be at least 0", id="negative-nodes"),
        pytest.param(
            {"expected_services": -1}, "expected services -1: must be at least 0", id="negative-services"
        ),
        pytest.param({"growth": 0.5}, "growth 0.5: must be finite and at least 1", id="shrinking"),
        pytest.param({"growth": math.nan}, "growth nan: must be finite and at least 1", id="nan"),
        pytest.param({"growth": math.inf}, "growth inf: must be finite and at least 1", id="infinite"),
        pytest.param({"node_prefixlen": 33}, "node prefix length /33 is out of range for IPv4", id="v4-33"),
        pytest.param(
            {"family": 6, "node_prefixlen": 129}, "node prefix length /129 is out of range", id="v6-129"
        ),
        pytest.param(
            {"mode": IPAMMode.WHEREABOUTS, "node_prefixlen": 24},
            "whereabouts has no per-node blocks: leave node_prefixlen unset",
            id="whereabouts-node-mask",
        ),
        pytest.param(
            {"mode": AWS, "node_prefixlen": 28},
            "aws-vpc-cni has no per-node blocks",
            id="aws-secondary-node-mask",
        ),
        pytest.param({"mode": AWS, "eni_count": 3}, "eni_count and ips_per_eni go together", id="eni-alone"),
        pytest.param(
            {"mode": AWS, "ips_per_eni": 10}, "eni_count and ips_per_eni go together", id="ips-alone"
        ),
        pytest.param(
            {"mode": AWS, "vcpus": 2}, "vcpus 2 only counts with eni_count and ips_per_eni", id="vcpus"
        ),
        pytest.param(
            {"mode": CALICO, "eni_count": 3, "ips_per_eni": 10},
            "ENI figures apply to the AWS VPC CNI modes, not calico",
            id="eni-for-calico",
        ),
        pytest.param(
            {"mode": AWS, "eni_count": 0, "ips_per_eni": 10},
            "eni count 0: must be at least 1",
            id="zero-enis",
        ),
        pytest.param(
            {"mode": AWS_PD, "eni_count": 3, "ips_per_eni": 10, "vcpus": 0},
            "vcpus 0: must be at least 1",
            id="zero-vcpus",
        ),
    ],
)
def test_sizing_rejects_impossible_values(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        _sizing(**options)


# --- measure_cluster: worked examples --------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "pod", "node", "max_pods", "nodes"),
    [
        pytest.param(4, 16, 24, 110, 256, id="10.244.0.0/16-by-/24-256-nodes"),
        pytest.param(4, 14, 24, 110, 1_024, id="/14-by-/24-1024-nodes"),
        pytest.param(4, 16, 26, 61, 1_024, id="/16-by-/26-1024-nodes"),
        pytest.param(6, 56, 64, 110, 256, id="v6-/56-by-/64-256-nodes"),
        pytest.param(6, 48, 64, 110, 65_536, id="v6-/48-by-/64-65536-nodes"),
        pytest.param(4, 24, 24, 110, 1, id="pod-cidr-is-one-node-block"),
        pytest.param(4, 0, 24, 110, 2**24, id="whole-v4-space"),
    ],
)
def test_measure_cluster_kcm_nodes_the_pod_cidr_holds(
    family: int, pod: int, node: int, max_pods: int, nodes: int
) -> None:
    # ref. 4.2: kube-controller-manager cidr_set.go, maxCIDRs = 1 << (nodeMask - clusterMask)
    sizing = _sizing(family=family, node_prefixlen=node, max_pods=max_pods, expected_nodes=1, growth=1)
    capacity = _measure(sizing, pod=pod)
    assert (capacity.node_capacity, _figure(capacity, "nodes the pod CIDR holds")) == (nodes, nodes)
    assert capacity.findings == ()


def test_measure_cluster_shows_its_working() -> None:
    capacity = _measure(_sizing(), pod=16, service=28, node=24)
    assert [(figure.name, figure.value, figure.working) for figure in capacity.figures] == [
        ("nodes needed", 6, "ceil(3 x growth 2) = 6"),
        ("nodes the pod CIDR holds", 256, "/16 split into /24: 2^(24-16) = 256"),
        ("pod IPs per node block", 253, "/24: 256 minus network, broadcast (IPv4 only), gateway = 253"),
        ("pods the pod CIDR holds", 28_160, "256 nodes x min(max pods 110, 253) = 28,160"),
        ("usable addresses in the node subnet", 253, "/24 minus 3 reserved (bare-metal) = 253"),
        ("nodes the node subnet holds", 253, "253 // (1 address a node) = 253"),
        ("service IPs", 14, "/28: 2^4 - 2 (network, broadcast) = 14"),
    ]
    assert all(figure.source for figure in capacity.figures)
    assert (capacity.nodes_needed, capacity.node_capacity, capacity.headroom_nodes) == (6, 256, 250)


def test_measure_cluster_gke_max_pods_30_fits_64_nodes_in_a_20() -> None:
    # flexible-pod-cidr: "maxPods 30 -> /26; a /20 pod range fits 64 nodes" (ref. 4.3)
    sizing = _sizing(provider=Provider.GKE, max_pods=30, expected_nodes=64, growth=1)
    capacity = _measure(sizing, pod=20)
    assert (capacity.node_capacity, capacity.headroom_nodes, capacity.findings) == (64, 0, ())


@pytest.mark.parametrize(
    ("max_pods", "nodes"),
    [
        pytest.param(64, 1_024, id="one-block-a-node"),
        pytest.param(110, 512, id="two-blocks-a-node"),
        pytest.param(1, 1_024, id="one-pod"),
    ],
)
def test_measure_cluster_calico_16_pool_has_1024_blocks_of_64(max_pods: int, nodes: int) -> None:
    # ref. 2.7: "/16 with /26 -> 1,024 blocks x 64 IPs"; nodes claim whole blocks on demand
    capacity = _measure(_sizing(CALICO, max_pods=max_pods), pod=16)
    assert _figure(capacity, "blocks the pod CIDR holds") == 1_024
    assert _figure(capacity, "pod IPs per node block") == 64
    assert capacity.node_capacity == nodes


@pytest.mark.parametrize(
    ("family", "pod", "nodes"),
    [
        pytest.param(4, 8, 65_536, id="10.0.0.0/8-by-/24-65536"),
        pytest.param(6, 104, 65_536, id="fd00::/104-by-/120-65536"),
    ],
)
def test_measure_cluster_cilium_cluster_pool_defaults(family: int, pod: int, nodes: int) -> None:
    # ref. 3.1: clusterPoolIPv4PodCIDRList 10.0.0.0/8 with mask 24; IPv6 fd00::/104 with 120
    capacity = _measure(_sizing(CLUSTER_POOL, family), pod=pod)
    assert (capacity.node_capacity, capacity.findings) == (nodes, ())


def test_measure_cluster_cilium_multi_pool_claims_cidrs_on_demand() -> None:
    # multi-pool.rst: 10.20.0.0/16 with maskSize 24; 254 pod IPs a /24, one a node at 110 pods
    capacity = _measure(_sizing(MULTI_POOL), pod=16)
    assert (_figure(capacity, "blocks a full node claims"), capacity.node_capacity) == (1, 256)


def test_measure_cluster_azure_overlay_16_fits_256_nodes() -> None:
    # Azure: "if you use a /16 ... your cluster can grow to a maximum of about 250 nodes"
    capacity = _measure(_sizing(AZURE, provider=Provider.AKS, max_pods=250), pod=16)
    assert (capacity.node_capacity, capacity.findings) == (256, ())


@pytest.mark.parametrize(
    ("family", "pod", "usable"),
    [
        pytest.param(4, 24, 254, id="v4-/24-minus-network-broadcast"),
        pytest.param(6, 120, 255, id="v6-/120-minus-network"),
        pytest.param(4, 31, 0, id="v4-/31-too-short"),
        pytest.param(6, 64, 2**63, id="v6-/64-first-/65-only"),
    ],
)
def test_measure_cluster_whereabouts_range(family: int, pod: int, usable: int) -> None:
    capacity = _measure(_sizing(IPAMMode.WHEREABOUTS, family, max_pods=10, expected_nodes=0), pod=pod)
    assert _figure(capacity, "pod addresses in the pod range") == usable
    assert capacity.node_capacity == usable // 10


def test_measure_cluster_aws_pods_share_the_node_subnet() -> None:
    # /24 EKS subnet: 256 - 5 = 251 addresses; each m5.large node 1 + 29 pods
    sizing = _sizing(AWS, max_pods=29, expected_nodes=8, growth=1)
    capacity = _measure(sizing, node=24)
    assert (capacity.node_capacity, capacity.headroom_nodes, capacity.findings) == (8, 0, ())
    assert _figure(capacity, "usable addresses in the node subnet") == 251


def test_measure_cluster_aws_custom_networking_uses_the_pod_subnet() -> None:
    sizing = _sizing(AWS, max_pods=20, eni_count=3, ips_per_eni=10)
    capacity = _measure(sizing, pod=20, node=24)
    assert _figure(capacity, "pods the ENIs allow") == 20  # (3 - 1) x 9 + 2
    assert capacity.node_capacity == (4_096 - 5) // 20
    assert _figure(capacity, "nodes the node subnet holds") == 251
    assert capacity.findings == ()


def test_measure_cluster_aws_prefixes_in_the_node_subnet() -> None:
    # 110 pods take 7 /28 prefixes: 1 + 112 addresses a node out of 251
    capacity = _measure(_sizing(AWS_PD, expected_nodes=2, growth=1), node=24)
    assert capacity.node_capacity == 2
    assert capacity.findings == ()


def test_measure_cluster_aws_prefixes_in_a_pod_subnet_skip_the_reserved_edges() -> None:
    # a /24 has 16 /28s; the first and last hold AWS's reserved addresses, leaving 14: 2 nodes of 7
    capacity = _measure(_sizing(AWS_PD, expected_nodes=2, growth=1), pod=24)
    assert (_figure(capacity, "blocks the pod CIDR holds"), capacity.node_capacity) == (14, 2)


def test_measure_cluster_aws_prefix_subnet_of_one_28_has_no_prefix() -> None:
    capacity = _measure(_sizing(AWS_PD, expected_nodes=0), pod=28)
    assert (_figure(capacity, "blocks the pod CIDR holds"), capacity.node_capacity) == (0, 0)


def test_measure_cluster_without_ranges_only_counts_nodes() -> None:
    capacity = _measure(_sizing(expected_nodes=0))
    assert [figure.name for figure in capacity.figures] == ["nodes needed"]
    assert (capacity.nodes_needed, capacity.node_capacity, capacity.headroom_nodes) == (0, None, None)


def test_measure_cluster_node_subnet_alone_does_not_limit_a_pod_network() -> None:
    capacity = _measure(_sizing(CALICO), node=24)
    assert (capacity.node_capacity, _figure(capacity, "nodes the node subnet holds")) == (None, 253)


# --- measure_cluster: findings ---------------------------------------------------------------------


def test_measure_cluster_flags_max_pods_beyond_the_node_block() -> None:
    capacity = _measure(_sizing(node_prefixlen=26), pod=16)
    [finding] = capacity.findings
    assert (finding.severity, finding.kind, finding.subject) == (
        Severity.ERROR,
        "max-pods-exceeds-node-block",
        "node mask /26",
    )
    assert "max pods 110 exceeds the 61 pod IPs of a /26 node block" in finding.message
    assert _figure(capacity, "pods the pod CIDR holds") == 1_024 * 61


def test_measure_cluster_flags_a_pod_cidr_too_small_and_names_the_fix() -> None:
    capacity = _measure(_sizing(), pod=24)
    [finding] = capacity.findings
    assert (finding.severity, finding.kind, finding.subject) == (
        Severity.ERROR,
        "pod-cidr-too-small",
        "pod CIDR /24",
    )
    assert "holds 1 nodes, fewer than the 6 needed" in finding.message
    assert finding.message.endswith("use a /21 or larger pod CIDR")
    assert capacity.headroom_nodes == -5


def test_measure_cluster_says_when_no_pod_cidr_is_large_enough() -> None:
    # kcm refuses IPv6 node masks more than 16 bits longer, so 65,536 nodes is the IPv6 maximum
    capacity = _measure(_sizing(family=6, expected_nodes=70_000, growth=1), pod=48)
    assert _kinds(capacity) == [(Severity.ERROR, "pod-cidr-too-small")]
    assert capacity.findings[0].message.endswith("no pod CIDR is large enough")


@pytest.mark.parametrize(
    "mode", [KCM, IPAMMode.FLANNEL, CLUSTER_POOL], ids=["kcm", "flannel", "cilium-cluster-pool"]
)
def test_measure_cluster_rejects_an_ipv6_node_mask_24_bits_longer(mode: IPAMMode) -> None:
    # ref. 4.2: "/40 with /64 -> rejected" ("New CIDR set failed; the node CIDR size is too big")
    capacity = _measure(_sizing(mode, 6, node_prefixlen=64), pod=40)
    assert _kinds(capacity) == [(Severity.ERROR, "ipv6-node-mask-gap")]
    assert "is 24 bits longer than the /40 pod CIDR" in capacity.findings[0].message
    assert "use a /48 or longer pod CIDR" in capacity.findings[0].message
    assert capacity.node_capacity == 0


def test_measure_cluster_allows_an_ipv6_gap_for_calico() -> None:
    capacity = _measure(_sizing(CALICO, 6), pod=48)
    assert (capacity.node_capacity, capacity.findings) == (2**74 // 2, ())


@pytest.mark.parametrize("mode", [KCM, CALICO], ids=["kcm", "calico"])
def test_measure_cluster_rejects_a_node_mask_shorter_than_the_pod_cidr(mode: IPAMMode) -> None:
    capacity = _measure(_sizing(mode, node_prefixlen=24), pod=26)
    assert _kinds(capacity) == [(Severity.ERROR, "node-mask-shorter-than-pod-cidr")]
    assert "the /24 node block is larger than the /26 pod CIDR" in capacity.findings[0].message
    assert (capacity.node_capacity, capacity.headroom_nodes) == (0, -6)


@pytest.mark.parametrize(
    ("family", "service", "expected_services", "kinds"),
    [
        pytest.param(4, 20, 1_000, [], id="v4-/20-fits-1000"),
        pytest.param(4, 28, None, [], id="v4-/28-unchecked"),
        pytest.param(4, 28, 14, [], id="v4-/28-exactly-14"),
        pytest.param(4, 28, 20, [(Severity.WARNING, "service-cidr-too-small")], id="v4-/28-short-of-20"),
        pytest.param(4, 32, None, [(Severity.ERROR, "service-cidr-too-small")], id="v4-/32-nothing"),
        pytest.param(4, 31, 5, [(Severity.ERROR, "service-cidr-too-small")], id="v4-/31-nothing"),
        pytest.param(6, 128, None, [(Severity.ERROR, "service-cidr-too-small")], id="v6-/128-nothing"),
        pytest.param(4, 12, None, [], id="v4-/12-at-the-limit"),
        pytest.param(4, 11, None, [(Severity.ERROR, "service-cidr-too-large")], id="v4-/11-too-large"),
        pytest.param(6, 108, None, [], id="v6-/108-at-the-limit"),
        pytest.param(
            6,
            64,
            100_000,
            [(Severity.ERROR, "service-cidr-too-large"), (Severity.WARNING, "service-cidr-too-small")],
            id="v6-/64-too-large-and-capped",
        ),
    ],
)
def test_measure_cluster_checks_the_service_cidr(
    family: int, service: int, expected_services: int | None, kinds: list[tuple[Severity, str]]
) -> None:
    capacity = _measure(_sizing(family=family, expected_services=expected_services), service=service)
    assert _kinds(capacity) == kinds


def test_measure_cluster_service_findings_say_why_and_what_to_do() -> None:
    large = _measure(_sizing(), service=8).findings[0]
    assert large.subject == "service CIDR /8"
    assert "has 24 host bits and the kube-apiserver before 1.34 refuses more than 20" in large.message
    empty = _measure(_sizing(), service=32).findings[0].message
    assert (
        empty
        == "the /32 service CIDR has no ClusterIP, not even for the kubernetes Service: use a larger one"
    )
    short = _measure(_sizing(expected_services=20), service=28).findings[0].message
    assert "gives 14 ClusterIPs, fewer than the 20 Services expected" in short
    assert "'range is full'" in short


def test_measure_cluster_flags_a_node_subnet_too_small() -> None:
    # AWS /28: 16 - 5 = 11 addresses, one m5.large node of 29 pods needs 30
    capacity = _measure(_sizing(AWS, max_pods=29), node=28)
    [finding] = capacity.findings
    assert (finding.severity, finding.kind, finding.subject) == (
        Severity.ERROR,
        "node-subnet-too-small",
        "node subnet /28",
    )
    assert "holds 0 nodes (11 usable addresses, 30 a node), fewer than the 6 needed" in finding.message
    assert (capacity.node_capacity, capacity.headroom_nodes) == (0, -6)


@pytest.mark.parametrize(
    ("mode", "options", "limit"),
    [
        pytest.param(AWS, {"eni_count": 3, "ips_per_eni": 10}, 29, id="m5.large-29"),
        pytest.param(AWS, {"eni_count": 3, "ips_per_eni": 4}, 11, id="t3.small-11"),
        pytest.param(
            AWS_PD, {"eni_count": 2, "ips_per_eni": 2, "vcpus": 2}, 34, id="2-enis-2-ips-prefixes-34"
        ),
    ],
)
def test_measure_cluster_warns_when_max_pods_exceeds_the_enis(
    mode: IPAMMode, options: dict[str, int], limit: int
) -> None:
    capacity = _measure(_sizing(mode, **options))
    assert _figure(capacity, "pods the ENIs allow") == limit
    [finding] = capacity.findings
    assert (finding.severity, finding.kind, finding.subject) == (Severity.WARNING, "aws-max-pods", "max pods")
    assert f"max pods 110 exceeds the {limit} pods these ENIs can address" in finding.message
    assert f"set max pods to {limit}" in finding.message


def test_measure_cluster_accepts_max_pods_within_the_enis() -> None:
    capacity = _measure(_sizing(AWS_PD, eni_count=3, ips_per_eni=10, vcpus=2))
    assert _figure(capacity, "pods the ENIs allow") == 110
    assert capacity.findings == ()


def test_measure_cluster_skips_the_eni_formula_for_ipv6() -> None:
    # IPv6 EKS nodes get one /80 (ref. 5.2); the ENI formula bounds IPv4 only
    capacity = _measure(_sizing(AWS_PD, 6, eni_count=3, ips_per_eni=4))
    assert (capacity.figures[1:], capacity.findings) == ((), ())


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        pytest.param({"pod": 33}, "pod prefix length /33 is out of range for IPv4 (0 to 32)", id="pod"),
        pytest.param({"service": -1}, "service prefix length /-1 is out of range", id="service"),
        pytest.param({"node": 40}, "node subnet prefix length /40 is out of range", id="node-subnet"),
    ],
)
def test_measure_cluster_rejects_lengths_out_of_range(lengths: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        _measure(_sizing(), **lengths)  # type: ignore[arg-type]


def test_measure_cluster_rejects_custom_networking_with_one_eni() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("custom networking needs 2 ENIs or more")):
        _measure(_sizing(AWS, eni_count=1, ips_per_eni=10), pod=20)


# --- required lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizing", "expected"),
    [
        pytest.param(_sizing(), 21, id="kcm-6-nodes-/21"),
        pytest.param(_sizing(expected_nodes=256, growth=1), 16, id="kcm-256-nodes-/16"),
        pytest.param(_sizing(expected_nodes=257, growth=1), 15, id="kcm-257-nodes-/15"),
        pytest.param(_sizing(expected_nodes=0), 24, id="kcm-no-nodes-one-block"),
        pytest.param(_sizing(expected_nodes=1, growth=1), 24, id="kcm-one-node"),
        pytest.param(_sizing(family=6, expected_nodes=65_536, growth=1), 48, id="kcm-v6-65536-/48"),
        pytest.param(
            _sizing(provider=Provider.GKE, max_pods=30, expected_nodes=64, growth=1),
            20,
            id="gke-30-pods-64-/20",
        ),
        pytest.param(_sizing(CALICO, expected_nodes=512, growth=1), 16, id="calico-512-nodes-/16"),
        pytest.param(_sizing(CALICO, expected_nodes=513, growth=1), 15, id="calico-513-nodes-/15"),
        pytest.param(_sizing(CLUSTER_POOL, expected_nodes=65_536, growth=1), 8, id="cilium-65536-/8"),
        pytest.param(_sizing(AWS_PD, expected_nodes=2, growth=1), 24, id="aws-prefix-2-nodes-/24"),
        pytest.param(_sizing(AWS, max_pods=29, expected_nodes=8, growth=1), 24, id="aws-pod-subnet-/24"),
        pytest.param(
            _sizing(IPAMMode.WHEREABOUTS, max_pods=10, expected_nodes=25, growth=1), 24, id="wb-/24"
        ),
        pytest.param(_sizing(IPAMMode.WHEREABOUTS, 6, expected_nodes=10), 116, id="wb-v6-2200-/116"),
        pytest.param(_sizing(IPAMMode.WHEREABOUTS, expected_nodes=0), 32, id="wb-no-nodes"),
    ],
)
def test_required_pod_prefixlen(sizing: Sizing, expected: int) -> None:
    assert required_pod_prefixlen(sizing) == expected


@pytest.mark.parametrize(
    ("sizing", "message"),
    [
        pytest.param(
            _sizing(node_prefixlen=26), "a /26 node block has 61 pod IPs, fewer than max pods 110", id="block"
        ),
        pytest.param(
            _sizing(family=6, expected_nodes=65_537, growth=1),
            "no IPv6 pod CIDR holds 65,537 nodes",
            id="v6-gap",
        ),
        pytest.param(
            _sizing(IPAMMode.WHEREABOUTS, expected_nodes=2**30, growth=1),
            "no IPv4 pod CIDR holds 1,073,741,824 nodes",
            id="whereabouts-beyond-ipv4",
        ),
    ],
)
def test_required_pod_prefixlen_rejects_what_cannot_fit(sizing: Sizing, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        required_pod_prefixlen(sizing)


@pytest.mark.parametrize(
    ("sizing", "expected"),
    [
        pytest.param(_sizing(), 28, id="bare-6-nodes-13-usable-/28"),
        pytest.param(_sizing(provider=Provider.EKS), 28, id="eks-6-nodes-11-usable-/28"),
        pytest.param(_sizing(provider=Provider.EKS, expected_nodes=6), 27, id="eks-12-nodes-/27"),
        pytest.param(_sizing(AWS, max_pods=29, expected_nodes=8, growth=1), 24, id="aws-8-m5.large-/24"),
        pytest.param(_sizing(AWS_PD, expected_nodes=2, growth=1), 24, id="aws-prefix-2-nodes-/24"),
        pytest.param(_sizing(family=6, expected_nodes=0), 128, id="v6-no-nodes"),
        pytest.param(_sizing(family=6), 125, id="v6-6-nodes-/125"),
    ],
)
def test_required_node_subnet_prefixlen(sizing: Sizing, expected: int) -> None:
    assert required_node_subnet_prefixlen(sizing) == expected


@pytest.mark.parametrize(
    ("sizing", "given", "expected"),
    [
        # 6 nodes: a /125 (8 - 2 reserved) would do, but SLAAC and the clouds need a /64.
        pytest.param(_sizing(family=6), None, 64, id="v6-default-/64"),
        pytest.param(_sizing(family=6), 125, 125, id="v6-given-longer"),
        pytest.param(_sizing(family=6), 48, 48, id="v6-given-shorter"),
        # 2^64 x 2 nodes need a /63: the default goes shorter than /64 when the nodes need it.
        pytest.param(_sizing(family=6, expected_nodes=2**64, growth=1), None, 63, id="v6-more-than-a-/64"),
        pytest.param(_sizing(), None, 28, id="v4-required"),
        pytest.param(_sizing(), 24, 24, id="v4-given"),
    ],
)
def test_planned_node_subnet_prefixlen(sizing: Sizing, given: int | None, expected: int) -> None:
    assert planned_node_subnet_prefixlen(sizing, prefixlen=given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param(
            126, "a /126 IPv6 node subnet holds fewer than the 6 nodes needed: give /125 or shorter"
        ),
        pytest.param(129, "node subnet prefix length /129 is out of range for IPv6 (0 to 128)"),
    ],
    ids=["too-small", "out-of-range"],
)
def test_planned_node_subnet_prefixlen_rejects_a_length_that_cannot_hold_the_nodes(
    given: int, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        planned_node_subnet_prefixlen(_sizing(family=6), prefixlen=given)


def test_required_node_subnet_prefixlen_rejects_what_cannot_fit() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("no IPv4 node subnet holds 4,294,967,296 nodes")):
        required_node_subnet_prefixlen(_sizing(expected_nodes=2**32, growth=1))


# --- properties ------------------------------------------------------------------------------------


@st.composite
def sizings(draw: st.DrawFn) -> Sizing:
    """A valid sizing of any mode; max pods small enough for every default node block."""
    mode = draw(st.sampled_from(list(IPAMMode)))
    provider = draw(st.sampled_from(list(Provider)))
    return Sizing(
        mode,
        provider,
        draw(st.sampled_from([4, 6])),
        max_pods=draw(st.integers(8, 110)),
        expected_nodes=draw(st.integers(0, 5_000)),
        growth=draw(st.sampled_from([1, 1.1, 1.5, 2.0, 3.0])),
    )


def _start(sizing: Sizing) -> int:
    block = default_node_prefixlen(
        sizing.mode, sizing.provider, family=sizing.family, max_pods=sizing.max_pods
    )
    return (32 if sizing.family == 4 else 128) if block is None else block


def _pod_capacity(sizing: Sizing, length: int) -> int:
    capacity = _measure(sizing, pod=length).node_capacity
    assert capacity is not None
    return capacity


@PROPERTY
@given(sizings())
def test_required_pod_prefixlen_is_the_longest_that_fits(sizing: Sizing) -> None:
    length = required_pod_prefixlen(sizing)
    assert _pod_capacity(sizing, length) >= sizing.nodes_needed
    if length < _start(sizing):
        assert _pod_capacity(sizing, length + 1) < sizing.nodes_needed


@PROPERTY
@given(sizings())
def test_required_node_subnet_prefixlen_is_the_longest_that_fits(sizing: Sizing) -> None:
    length = required_node_subnet_prefixlen(sizing)

    def nodes(at: int) -> int:
        return _figure(_measure(sizing, node=at), "nodes the node subnet holds")

    assert nodes(length) >= sizing.nodes_needed
    if length < (32 if sizing.family == 4 else 128):
        assert nodes(length + 1) < sizing.nodes_needed


@PROPERTY
@given(st.integers(0, 128), st.integers(0, 128))
def test_node_slots_doubles_per_bit(first: int, second: int) -> None:
    pod, node = sorted((first, second))
    slots = node_slots(pod, node)
    assert node_slots(pod, node + 1) == 2 * slots
    if pod > 0:
        assert node_slots(pod - 1, node) == 2 * slots


def _service_demands(family: int) -> st.SearchStrategy[tuple[int, int]]:
    """A family with a Service count its largest allowed range holds."""
    limit = service_ip_count((32 if family == 4 else 128) - 20, family=family)
    return st.tuples(st.just(family), st.integers(0, limit))


@PROPERTY
@given(st.sampled_from([4, 6]).flatmap(_service_demands))
def test_required_service_prefixlen_is_the_longest_that_fits(demand: tuple[int, int]) -> None:
    family, expected_services = demand
    length = required_service_prefixlen(family=family, expected_services=expected_services)
    bits = 32 if family == 4 else 128
    assert service_ip_count(length, family=family) >= max(1, expected_services)
    assert length >= bits - max_service_host_bits(family)
    if length < bits:
        assert service_ip_count(length + 1, family=family) < max(1, expected_services)


@PROPERTY
@given(st.sampled_from(BLOCK_MODES), st.sampled_from([4, 6]), st.integers(0, 127))
def test_pods_per_node_block_shrinks_with_the_block(mode: IPAMMode, family: int, prefixlen: int) -> None:
    bits = 32 if family == 4 else 128
    assume(prefixlen < bits)
    ips = pods_per_node_block(prefixlen, family=family, mode=mode)
    assert pods_per_node_block(prefixlen + 1, family=family, mode=mode) <= ips <= 2 ** (bits - prefixlen)


@PROPERTY
@given(st.integers(8, 100_000))
def test_gke_node_prefixlen_is_the_smallest_block_of_twice_max_pods(max_pods: int) -> None:
    prefixlen = gke_node_prefixlen(max_pods)
    assert 2 ** (32 - prefixlen) >= 2 * max_pods > 2 ** (31 - prefixlen)
