"""Checks of a cluster's networks against each other and against addresses that are never free.

A pod, service or node network (or a load-balancer pool, a CIDR or a start-end range) must not
overlap another of the same cluster (kube-proxy and the CNI route them differently), nor a range
the hosts already use for something else: loopback, the unspecified and IPv4-mapped IPv6
addresses, link-local (where the cloud metadata service answers), AWS's IPv6 addresses of the
same services, multicast, and Docker's default bridge, which every node with Docker installed
routes to its own ``docker0``. Each finding says why it matters and what to do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from ipledger.core.addresses import IPNetwork
from ipledger.core.findings import Finding, Severity
from ipledger.core.ranges import IPRange

__all__ = ["SPECIAL_RANGES", "ClusterNetwork", "SpecialRange", "check_networks"]


@dataclass(frozen=True, slots=True)
class ClusterNetwork:
    """One network of a cluster: its role (pod, service, node, loadbalancer, expansion-reserve)
    and CIDR, or the start-end range of a load-balancer pool."""

    role: str
    network: IPNetwork | IPRange

    @property
    def span(self) -> IPRange:
        return self.network if isinstance(self.network, IPRange) else IPRange.from_network(self.network)

    @property
    def words(self) -> str:
        kind = "range" if isinstance(self.network, IPRange) else "network"
        return f"the {self.role} {kind} {self.network}"


@dataclass(frozen=True, slots=True)
class SpecialRange:
    network: IPNetwork
    name: str
    why: str


SPECIAL_RANGES: tuple[SpecialRange, ...] = (
    SpecialRange(
        ipaddress.ip_network("127.0.0.0/8"),
        "IPv4 loopback",
        "every host answers these itself (RFC 1122 3.2.1.3); packets to them never leave the node",
    ),
    SpecialRange(
        ipaddress.ip_network("::1/128"),
        "IPv6 loopback",
        "every host answers it itself (RFC 4291 2.5.3)",
    ),
    SpecialRange(
        ipaddress.ip_network("::/128"),
        "IPv6 unspecified address",
        "it means 'no address' and must never be assigned to a node (RFC 4291 2.5.2)",
    ),
    SpecialRange(
        ipaddress.ip_network("::ffff:0:0/96"),
        "IPv4-mapped IPv6 addresses",
        "dual-stack sockets use them to stand for IPv4 peers, so the host treats them as IPv4 (RFC 4291 2.5.5.2)",
    ),
    SpecialRange(
        ipaddress.ip_network("169.254.169.254/32"),
        "cloud metadata address",
        "AWS, GCP and Azure serve instance metadata and credentials there; pods must reach the real one",
    ),
    SpecialRange(
        ipaddress.ip_network("169.254.0.0/16"),
        "IPv4 link-local",
        "link-local addresses are not routed (RFC 3927) and hold the cloud metadata service",
    ),
    # "For Nitro-based instances with IPv6 addresses, AWS provides this service at the
    # fd00:ec2::254 IPv6 endpoint", and the DNS resolver at fd00:ec2::253, NTP at fd00:ec2::123
    # (AWS whitepaper "IPv6 on AWS", Supporting Amazon VPC services; EC2 User Guide, "Instance
    # metadata service IPv6 endpoint fd00:ec2::254").
    SpecialRange(
        ipaddress.ip_network("fd00:ec2::254/128"),
        "AWS instance metadata IPv6 address",
        "EC2 Nitro instances serve instance metadata and credentials there; pods must reach the real one",
    ),
    SpecialRange(
        ipaddress.ip_network("fd00:ec2::253/128"),
        "AWS DNS resolver IPv6 address",
        "EC2 Nitro instances reach the VPC's Route 53 Resolver there; DNS would break on the nodes",
    ),
    SpecialRange(
        ipaddress.ip_network("fd00:ec2::123/128"),
        "AWS time service IPv6 address",
        "EC2 Nitro instances reach the Amazon Time Sync Service (NTP) there",
    ),
    SpecialRange(
        ipaddress.ip_network("fe80::/10"),
        "IPv6 link-local",
        "link-local addresses are not routed (RFC 4291 2.5.6); Calico refuses pools in it",
    ),
    SpecialRange(
        ipaddress.ip_network("224.0.0.0/4"),
        "IPv4 multicast",
        "multicast groups are not host addresses (RFC 5771)",
    ),
    SpecialRange(
        ipaddress.ip_network("ff00::/8"),
        "IPv6 multicast",
        "multicast groups are not host addresses (RFC 4291 2.7)",
    ),
    SpecialRange(
        ipaddress.ip_network("172.17.0.0/16"),
        "Docker default bridge",
        "a node running Docker routes this to its docker0 bridge, so traffic to these pods or "
        "services would stay on the node (Docker's default bridge network)",
    ),
)


def check_networks(networks: Sequence[ClusterNetwork], *, cluster: str) -> list[Finding]:
    """Overlaps among the networks of one cluster, and with the special ranges (both families)."""
    findings: list[Finding] = []
    for one, other in combinations(networks, 2):
        if one.span.version == other.span.version and one.span.overlaps(other.span):
            findings.append(
                Finding(
                    Severity.ERROR,
                    "cluster-networks-overlap",
                    f"{cluster}: {one.role} {one.network} / {other.role} {other.network}",
                    f"{one.words} overlaps {other.words}: addresses in both would be routed two ways; "
                    "give each its own CIDR",
                )
            )
    for item in networks:
        findings.extend(_special(item, cluster))
    return findings


def _special(item: ClusterNetwork, cluster: str) -> list[Finding]:
    span = item.span
    for special in SPECIAL_RANGES:
        if special.network.version == span.version and IPRange.from_network(special.network).overlaps(span):
            return [
                Finding(
                    Severity.ERROR,
                    "overlaps-special-range",
                    f"{cluster}: {item.role} {item.network}",
                    f"{item.words} overlaps {special.name} {special.network}: {special.why}; choose a CIDR "
                    "outside it",
                )
            ]
    return []
