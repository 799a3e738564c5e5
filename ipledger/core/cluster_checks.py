"""Checks of a cluster's networks against each other and against addresses that are never free.

A pod, service or node network must not overlap another of the same cluster (kube-proxy and the
CNI route them differently), nor a range the hosts already use for something else: loopback,
link-local (where the cloud metadata service answers), multicast, and Docker's default bridge,
which every node with Docker installed routes to its own ``docker0``. Each finding says why it
matters and what to do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from ipledger.core.addresses import IPNetwork
from ipledger.core.findings import Finding, Severity

__all__ = ["SPECIAL_RANGES", "ClusterNetwork", "SpecialRange", "check_networks"]


@dataclass(frozen=True, slots=True)
class ClusterNetwork:
    """One network of a cluster: its role (pod, service, node, loadbalancer) and CIDR."""

    role: str
    network: IPNetwork


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
        ipaddress.ip_network("169.254.169.254/32"),
        "cloud metadata address",
        "AWS, GCP and Azure serve instance metadata and credentials there; pods must reach the real one",
    ),
    SpecialRange(
        ipaddress.ip_network("169.254.0.0/16"),
        "IPv4 link-local",
        "link-local addresses are not routed (RFC 3927) and hold the cloud metadata service",
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
        if one.network.version == other.network.version and one.network.overlaps(other.network):
            findings.append(
                Finding(
                    Severity.ERROR,
                    "cluster-networks-overlap",
                    f"{cluster}: {one.role} {one.network} / {other.role} {other.network}",
                    f"the {one.role} network {one.network} overlaps the {other.role} network "
                    f"{other.network}: addresses in both would be routed two ways; give each its own CIDR",
                )
            )
    for item in networks:
        findings.extend(_special(item, cluster))
    return findings


def _special(item: ClusterNetwork, cluster: str) -> list[Finding]:
    for special in SPECIAL_RANGES:
        if special.network.version == item.network.version and special.network.overlaps(item.network):
            return [
                Finding(
                    Severity.ERROR,
                    "overlaps-special-range",
                    f"{cluster}: {item.role} {item.network}",
                    f"the {item.role} network {item.network} overlaps {special.name} "
                    f"{special.network}: {special.why}; choose a CIDR outside it",
                )
            ]
    return []
