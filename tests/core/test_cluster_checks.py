"""The checks of one cluster's networks: overlaps among them and with the special ranges."""

from __future__ import annotations

import ipaddress

import pytest

from ipledger.core.cluster_checks import SPECIAL_RANGES, ClusterNetwork, check_networks
from ipledger.core.findings import Severity
from ipledger.core.ranges import IPRange, parse_range


def _network(role: str, text: str) -> ClusterNetwork:
    return ClusterNetwork(role, parse_range(text) if "-" in text else ipaddress.ip_network(text))


@pytest.mark.parametrize(
    ("text", "special"),
    [
        ("127.0.0.0/16", "IPv4 loopback 127.0.0.0/8"),
        ("169.254.169.254/32", "cloud metadata address 169.254.169.254/32"),
        ("169.254.0.0/24", "IPv4 link-local 169.254.0.0/16"),
        ("239.0.0.0/8", "IPv4 multicast 224.0.0.0/4"),
        ("172.17.0.0/24", "Docker default bridge 172.17.0.0/16"),
        ("::/128", "IPv6 unspecified address ::/128"),
        ("::1/128", "IPv6 loopback ::1/128"),
        ("::ffff:a00:0/120", "IPv4-mapped IPv6 addresses ::ffff:0:0/96"),
        ("fd00:ec2::100/120", "AWS time service IPv6 address fd00:ec2::123/128"),
        ("fd00:ec2::253/128", "AWS DNS resolver IPv6 address fd00:ec2::253/128"),
        ("fd00:ec2::200/120", "AWS instance metadata IPv6 address fd00:ec2::254/128"),
        ("fd00:ec2::254/128", "AWS instance metadata IPv6 address fd00:ec2::254/128"),
        ("fe80::/64", "IPv6 link-local fe80::/10"),
        ("ff02::/16", "IPv6 multicast ff00::/8"),
        ("169.254.0.10-169.254.0.20", "IPv4 link-local 169.254.0.0/16"),
        ("fd00:ec2::250-fd00:ec2::253", "AWS DNS resolver IPv6 address fd00:ec2::253/128"),
    ],
)
def test_check_networks_overlap_with_a_special_range_is_an_error(text: str, special: str) -> None:
    [finding] = check_networks([_network("pod", text)], cluster="c")

    kind = "range" if "-" in text else "network"
    assert (finding.severity, finding.kind, finding.subject) == (
        Severity.ERROR,
        "overlaps-special-range",
        f"c: pod {text}",
    )
    assert finding.message.startswith(f"the pod {kind} {text} overlaps {special}: ")
    assert finding.message.endswith("; choose a CIDR outside it")


@pytest.mark.parametrize(
    "text",
    ["10.0.0.0/16", "0.0.0.0/32", "255.255.255.255/32", "fd00:ec2::1/128", "fd00:ec3::/64", "2001:db8::/32"],
)
def test_check_networks_clear_of_the_special_ranges_has_no_finding(text: str) -> None:
    assert check_networks([_network("service", text)], cluster="c") == []


@pytest.mark.parametrize(
    ("one", "other", "words"),
    [
        (
            "10.0.0.0/16",
            "10.0.1.0/24",
            "the pod network 10.0.0.0/16 overlaps the service network 10.0.1.0/24",
        ),
        (
            "10.0.0.0/16",
            "10.0.1.1-10.0.1.9",
            "the pod network 10.0.0.0/16 overlaps the service range 10.0.1.1-10.0.1.9",
        ),
        ("fd00::/64", "fd00::/120", "the pod network fd00::/64 overlaps the service network fd00::/120"),
    ],
)
def test_check_networks_two_overlapping_networks_of_a_cluster_are_an_error(
    one: str, other: str, words: str
) -> None:
    [finding] = check_networks([_network("pod", one), _network("service", other)], cluster="c")

    assert (finding.kind, finding.subject) == ("cluster-networks-overlap", f"c: pod {one} / service {other}")
    assert finding.message.startswith(words)


@pytest.mark.parametrize(
    ("one", "other"),
    [("10.0.0.0/16", "10.1.0.0/16"), ("10.0.0.0/16", "10.1.0.1-10.1.0.9"), ("10.0.0.0/16", "a00::/96")],
    ids=["apart", "range-apart", "other-family"],
)
def test_check_networks_apart_or_of_another_family_do_not_overlap(one: str, other: str) -> None:
    assert check_networks([_network("pod", one), _network("node", other)], cluster="c") == []


def test_special_ranges_name_the_most_specific_one_first() -> None:
    # Only the first special range a network touches is reported: of two that overlap, the one
    # inside the other (the metadata address in link-local) must come first.
    spans = [IPRange.from_network(item.network) for item in SPECIAL_RANGES]
    misordered = [
        (str(one), str(later))
        for index, one in enumerate(spans)
        for later in spans[index + 1 :]
        if one.version == later.version and one.overlaps(later) and not later.contains(one)
    ]
    assert misordered == []
