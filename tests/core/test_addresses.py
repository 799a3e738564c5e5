"""Parsing and formatting of addresses and prefixes, family checks and the 16-byte encoding."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.addresses import (
    IPAddress,
    IPNetwork,
    address_from_int,
    decode_value,
    encode_value,
    max_prefixlen,
    network_from_ints,
    parse_address,
    parse_prefix,
    require_same_family,
)
from ipledger.core.errors import FamilyMismatchError, InvalidInputError
from tests.core.strategies import PROPERTY, networks, small_networks

V4_TOP = "255.255.255.255"
V6_TOP = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
address_values = st.integers(0, (1 << 128) - 1)


# --- max_prefixlen ---------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "bits"), [(4, 32), (6, 128)], ids=["ipv4", "ipv6"])
def test_max_prefixlen_is_the_width_of_the_family(version: int, bits: int) -> None:
    assert max_prefixlen(version) == bits


@pytest.mark.parametrize("version", [0, 5, 7], ids=lambda version: f"version-{version}")
def test_max_prefixlen_rejects_an_unknown_version(version: int) -> None:
    with pytest.raises(InvalidInputError, match=f"unknown IP version {version}"):
        max_prefixlen(version)


# --- parse_address ---------------------------------------------------------------------------


@PROPERTY
@given(st.ip_addresses())
def test_parse_address_round_trips_the_canonical_form(address: IPAddress) -> None:
    assert parse_address(str(address)) == address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("0.0.0.0", ipaddress.IPv4Address(0), id="ipv4-zero"),
        pytest.param(V4_TOP, ipaddress.IPv4Address((1 << 32) - 1), id="ipv4-top"),
        pytest.param("::", ipaddress.IPv6Address(0), id="ipv6-zero"),
        pytest.param(V6_TOP, ipaddress.IPv6Address((1 << 128) - 1), id="ipv6-top"),
        pytest.param("2001:DB8:0:0::1", ipaddress.IPv6Address("2001:db8::1"), id="ipv6-uppercase-long"),
        pytest.param("  10.0.0.1\n", ipaddress.IPv4Address("10.0.0.1"), id="surrounding-whitespace"),
        pytest.param("::ffff:192.0.2.1", ipaddress.IPv6Address("::ffff:c000:201"), id="ipv4-mapped"),
    ],
)
def test_parse_address_accepts_edges_of_both_families(text: str, expected: IPAddress) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("10.0.0", id="three-octets"),
        pytest.param("10.0.0.256", id="octet-too-large"),
        pytest.param("010.0.0.1", id="leading-zero"),
        pytest.param("abc", id="word"),
        pytest.param("2001:db8::g", id="bad-hex"),
        pytest.param("1::2::3", id="two-double-colons"),
        pytest.param("-1", id="negative"),
    ],
)
def test_parse_address_rejects_malformed_text_quoting_it(text: str) -> None:
    with pytest.raises(
        InvalidInputError, match=f"^{re.escape(repr(text))} is not a valid IPv4 or IPv6 address$"
    ):
        parse_address(text)


@pytest.mark.parametrize("text", ["10.0.0.1/32", "2001:db8::1/128"], ids=["ipv4", "ipv6"])
def test_parse_address_rejects_a_prefix(text: str) -> None:
    with pytest.raises(InvalidInputError, match="expected a single address, not a prefix"):
        parse_address(text)


# --- parse_prefix ----------------------------------------------------------------------------


@PROPERTY
@given(networks())
def test_parse_prefix_round_trips_the_canonical_form(network: IPNetwork) -> None:
    assert parse_prefix(str(network)) == network


@PROPERTY
@given(small_networks())
def test_parse_prefix_round_trips_in_small_spaces(network: IPNetwork) -> None:
    assert parse_prefix(str(network)) == network


@PROPERTY
@given(networks().filter(lambda network: network.num_addresses > 1), st.data())
def test_parse_prefix_with_host_bits_names_the_corrected_network(
    network: IPNetwork, data: st.DataObject
) -> None:
    offset = data.draw(st.integers(1, network.num_addresses - 1), label="host bits")
    text = f"{network.network_address + offset}/{network.prefixlen}"

    with pytest.raises(InvalidInputError) as caught:
        parse_prefix(text)

    assert str(caught.value) == f"{text}: host bits set; did you mean {network}?"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("0.0.0.0/0", id="ipv4-slash-0"),
        pytest.param("10.0.0.0/31", id="ipv4-slash-31"),
        pytest.param("10.0.0.1/32", id="ipv4-slash-32"),
        pytest.param(f"{V4_TOP}/32", id="ipv4-top"),
        pytest.param("::/0", id="ipv6-slash-0"),
        pytest.param("2001:db8::/127", id="ipv6-slash-127"),
        pytest.param("2001:db8::1/128", id="ipv6-slash-128"),
        pytest.param(f"{V6_TOP}/128", id="ipv6-top"),
    ],
)
def test_parse_prefix_accepts_edges_of_both_families(text: str) -> None:
    assert parse_prefix(text) == ipaddress.ip_network(text)


def test_parse_prefix_ignores_surrounding_whitespace() -> None:
    assert parse_prefix(" 10.0.0.0/24\n") == ipaddress.ip_network("10.0.0.0/24")


@pytest.mark.parametrize(
    ("text", "corrected"),
    [
        pytest.param("10.0.0.1/24", "10.0.0.0/24", id="ipv4"),
        pytest.param("255.255.255.255/0", "0.0.0.0/0", id="ipv4-slash-0"),
        pytest.param("10.0.0.1/31", "10.0.0.0/31", id="ipv4-slash-31"),
        pytest.param("2001:db8::1/64", "2001:db8::/64", id="ipv6"),
        pytest.param("2001:db8::1/127", "2001:db8::/127", id="ipv6-slash-127"),
        pytest.param(f"{V6_TOP}/0", "::/0", id="ipv6-slash-0"),
    ],
)
def test_parse_prefix_rejects_host_bits_naming_the_corrected_form(text: str, corrected: str) -> None:
    with pytest.raises(
        InvalidInputError, match=f"^{re.escape(f'{text}: host bits set; did you mean {corrected}?')}$"
    ):
        parse_prefix(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("10.0.0.0", id="ipv4"),
        pytest.param("2001:db8::", id="ipv6"),
        pytest.param("", id="empty"),
    ],
)
def test_parse_prefix_rejects_a_missing_length(text: str) -> None:
    with pytest.raises(InvalidInputError, match="a prefix needs a length"):
        parse_prefix(text)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        pytest.param("10.0.0.0/33", "0 to 32 for IPv4", id="ipv4-slash-33"),
        pytest.param("10.0.0.0/-1", "0 to 32 for IPv4", id="ipv4-negative"),
        pytest.param("10.0.0.0/abc", "0 to 32 for IPv4", id="ipv4-word"),
        pytest.param("10.0.0.0/", "0 to 32 for IPv4", id="ipv4-empty-length"),
        pytest.param("10.0.0.0/ 24", "0 to 32 for IPv4", id="ipv4-space-in-length"),
        pytest.param("10.0.0.0/24/8", "0 to 32 for IPv4", id="ipv4-two-slashes"),
        pytest.param("10.0.0.0/255.255.255.0", "0 to 32 for IPv4", id="ipv4-netmask"),
        pytest.param("2001:db8::/129", "0 to 128 for IPv6", id="ipv6-slash-129"),
        pytest.param("2001:db8::/-1", "0 to 128 for IPv6", id="ipv6-negative"),
        pytest.param("2001:db8::/abc", "0 to 128 for IPv6", id="ipv6-word"),
        pytest.param("2001:db8::/1e2", "0 to 128 for IPv6", id="ipv6-exponent"),
    ],
)
def test_parse_prefix_rejects_a_length_out_of_bounds(text: str, bounds: str) -> None:
    with pytest.raises(InvalidInputError, match=f"prefix length must be a whole number from {bounds}"):
        parse_prefix(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("/24", id="missing-address"),
        pytest.param("10.0.0/24", id="three-octets"),
        pytest.param("10.0.0.256/24", id="octet-too-large"),
        pytest.param("2001:db8::g/64", id="bad-hex"),
    ],
)
def test_parse_prefix_rejects_a_malformed_address(text: str) -> None:
    address_text = text.partition("/")[0]
    expected = f"{text!r} is not a valid prefix: {address_text!r} is not an address"
    with pytest.raises(InvalidInputError, match=re.escape(expected)):
        parse_prefix(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("10.0.0.0/\N{SUPERSCRIPT TWO}", id="superscript-digit"),
        pytest.param(
            "10.0.0.0/\N{ARABIC-INDIC DIGIT TWO}\N{ARABIC-INDIC DIGIT FOUR}", id="arabic-indic-digits"
        ),
    ],
)
def test_parse_prefix_rejects_non_ascii_digits_in_the_length(text: str) -> None:
    # str.isdigit() is true for these, so the length check lets them through: the superscript
    # then escapes as a bare ValueError from int(), and the Arabic-Indic digits parse as /24.
    with pytest.raises(InvalidInputError):
        parse_prefix(text)


# --- require_same_family ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(ipaddress.ip_address("0.0.0.0"), ipaddress.ip_address("::"), id="addresses"),
        pytest.param(ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::/0"), id="networks"),
        pytest.param(
            ipaddress.ip_address("2001:db8::1"), ipaddress.ip_network("10.0.0.0/8"), id="mixed-kinds"
        ),
    ],
)
def test_require_same_family_rejects_mixed_families_naming_both(
    first: IPAddress | IPNetwork, second: IPAddress | IPNetwork
) -> None:
    message = f"{first} is IPv{first.version} but {second} is IPv{second.version}"
    with pytest.raises(FamilyMismatchError, match=f"^{re.escape(message)}$"):
        require_same_family(first, second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(ipaddress.ip_address("0.0.0.0"), ipaddress.ip_network("10.0.0.0/8"), id="ipv4"),
        pytest.param(ipaddress.ip_address("::"), ipaddress.ip_address(V6_TOP), id="ipv6"),
    ],
)
def test_require_same_family_accepts_one_family(
    first: IPAddress | IPNetwork, second: IPAddress | IPNetwork
) -> None:
    require_same_family(first, second)


# --- encode_value / decode_value -------------------------------------------------------------


@PROPERTY
@given(address_values)
def test_encode_value_round_trips_through_decode_value(value: int) -> None:
    assert decode_value(encode_value(value)) == value


@PROPERTY
@given(address_values)
def test_encode_value_is_sixteen_bytes(value: int) -> None:
    assert len(encode_value(value)) == 16


@PROPERTY
@given(address_values, address_values)
def test_encode_value_orders_bytes_as_integers(first: int, second: int) -> None:
    assert (encode_value(first) < encode_value(second)) == (first < second)


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        pytest.param(0, bytes(16), id="zero"),
        pytest.param(1, bytes(15) + b"\x01", id="one"),
        pytest.param((1 << 32) - 1, bytes(12) + b"\xff" * 4, id="ipv4-top"),
        pytest.param((1 << 128) - 1, b"\xff" * 16, id="ipv6-top"),
    ],
)
def test_encode_value_is_big_endian(value: int, raw: bytes) -> None:
    assert encode_value(value) == raw


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        pytest.param(bytes(16), 0, id="zero"),
        pytest.param(bytes(12) + b"\x0a\x00\x00\x01", 0x0A000001, id="ipv4-10-0-0-1"),
        pytest.param(b"\xff" * 16, (1 << 128) - 1, id="ipv6-top"),
    ],
)
def test_decode_value_reads_big_endian(raw: bytes, value: int) -> None:
    assert decode_value(raw) == value


# --- address_from_int / network_from_ints ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "version", "expected"),
    [
        pytest.param(0, 4, ipaddress.IPv4Address("0.0.0.0"), id="ipv4-zero"),
        pytest.param((1 << 32) - 1, 4, ipaddress.IPv4Address(V4_TOP), id="ipv4-top"),
        pytest.param(0, 6, ipaddress.IPv6Address("::"), id="ipv6-zero"),
        pytest.param(1, 6, ipaddress.IPv6Address("::1"), id="ipv6-one-is-not-ipv4"),
        pytest.param((1 << 128) - 1, 6, ipaddress.IPv6Address(V6_TOP), id="ipv6-top"),
    ],
)
def test_address_from_int_builds_the_family_asked_for(value: int, version: int, expected: IPAddress) -> None:
    assert address_from_int(value, version=version) == expected


@pytest.mark.parametrize(
    ("first", "prefixlen", "version", "expected"),
    [
        pytest.param(0, 0, 4, "0.0.0.0/0", id="ipv4-slash-0"),
        pytest.param(0x0A000000, 8, 4, "10.0.0.0/8", id="ipv4"),
        pytest.param((1 << 32) - 1, 32, 4, f"{V4_TOP}/32", id="ipv4-top"),
        pytest.param(0, 0, 6, "::/0", id="ipv6-slash-0"),
        pytest.param(0x20010DB8 << 96, 32, 6, "2001:db8::/32", id="ipv6"),
        pytest.param((1 << 128) - 1, 128, 6, f"{V6_TOP}/128", id="ipv6-top"),
    ],
)
def test_network_from_ints_builds_the_family_asked_for(
    first: int, prefixlen: int, version: int, expected: str
) -> None:
    assert network_from_ints(first, prefixlen, version=version) == ipaddress.ip_network(expected)
