"""CIDRIndex: every network holding an address, smallest first, found by masked lookups."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.addresses import IPNetwork
from ipledger.core.cidr_index import CIDRIndex
from tests.core.k8s_factories import ip, net
from tests.core.strategies import PROPERTY, SMALL_SPACES, small_network_lists

NETWORKS = [
    (net("10.0.0.0/8"), "eight"),
    (net("10.1.0.0/16"), "sixteen"),
    (net("10.1.2.0/24"), "twenty-four"),
    (net("10.1.2.0/24"), "twin"),
    (net("fd00::/64"), "v6"),
    (net("0.0.0.0/0"), "all-v4"),
]


@pytest.mark.parametrize(
    ("address", "holders"),
    [
        pytest.param("10.1.2.3", ["twenty-four", "twin", "sixteen", "eight", "all-v4"], id="nested"),
        pytest.param("10.9.0.1", ["eight", "all-v4"], id="outer-only"),
        pytest.param("192.0.2.1", ["all-v4"], id="default-route"),
        pytest.param("fd00::5", ["v6"], id="ipv6"),
        pytest.param("::10.1.2.3", [], id="ipv6-with-ipv4-bits"),
    ],
)
def test_cidr_index_lists_holders_smallest_first(address: str, holders: list[str]) -> None:
    assert CIDRIndex(NETWORKS).holders(ip(address)) == holders


def test_cidr_index_empty() -> None:
    assert CIDRIndex([]).holders(ip("10.0.0.1")) == []


@PROPERTY
@given(small_network_lists(), st.sampled_from(SMALL_SPACES), st.integers(0, 255))
def test_cidr_index_agrees_with_ipaddress_containment(
    networks: list[IPNetwork], space: IPNetwork, offset: int
) -> None:
    address = space[offset]
    index = CIDRIndex((network, str(network)) for network in networks)

    expected = {
        str(network) for network in networks if network.version == address.version and address in network
    }
    assert set(index.holders(address)) == expected
