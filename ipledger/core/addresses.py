"""Parsing and formatting of addresses and prefixes, and their fixed-width encodings.

Parsing is strict: a prefix with host bits set is refused with the corrected form in the message,
so that a typo never silently becomes a different network. Addresses are stored as 16-byte
big-endian values plus their family, so that IPv4 and IPv6 sort and compare the same way.
"""

from __future__ import annotations

import ipaddress
from typing import TypeAlias

from ipledger.core.errors import FamilyMismatchError, InvalidInputError

__all__ = [
    "IPAddress",
    "IPNetwork",
    "address_from_int",
    "decode_value",
    "encode_value",
    "format_value",
    "max_prefixlen",
    "network_from_ints",
    "parse_address",
    "parse_prefix",
    "require_same_family",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

_VALUE_BYTES = 16


def max_prefixlen(version: int) -> int:
    """Bits in an address of the family: 32 for IPv4, 128 for IPv6.

    Raises:
        InvalidInputError: the version is neither 4 nor 6.
    """
    if version == 4:
        return 32
    if version == 6:
        return 128
    raise InvalidInputError(f"unknown IP version {version}: expected 4 or 6")


def parse_address(text: str) -> IPAddress:
    """Parse one IPv4 or IPv6 address, without a prefix length.

    Raises:
        InvalidInputError: the text is not an address (the message quotes it).
    """
    cleaned = text.strip()
    if "." in cleaned and "/" not in cleaned:
        # Most addresses are dotted IPv4: try that first, as ip_address itself would.
        try:
            return ipaddress.IPv4Address(cleaned)
        except ValueError:
            pass
    if "/" in cleaned:
        raise InvalidInputError(f"{text!r}: expected a single address, not a prefix")
    if "%" in cleaned:
        # A zone (fe80::1%eth0) names an interface of one host; the ledger records addresses only.
        raise InvalidInputError(f"{text!r}: leave out the zone (%...); the ledger records addresses only")
    try:
        return ipaddress.ip_address(cleaned)
    except ValueError as exc:
        raise InvalidInputError(f"{text!r} is not a valid IPv4 or IPv6 address") from exc


def parse_prefix(text: str) -> IPNetwork:
    """Parse a CIDR such as ``10.0.0.0/24`` or ``2001:db8::/48``; the length is required.

    Raises:
        InvalidInputError: malformed text, a missing or out-of-bounds length, or host bits set
            (the message names the network the caller probably meant).
    """
    cleaned = text.strip()
    address_text, slash, length_text = cleaned.partition("/")
    if not slash:
        raise InvalidInputError(f"{text!r}: a prefix needs a length, e.g. {cleaned}/24")
    try:
        address = parse_address(address_text)
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"{text!r} is not a valid prefix: {address_text!r} is not an address"
        ) from exc
    bits = max_prefixlen(address.version)
    # At most three digits: int() of thousands of digits is refused by Python itself.
    if (
        not (length_text.isascii() and length_text.isdigit())
        or len(length_text) > 3
        or int(length_text) > bits
    ):
        raise InvalidInputError(
            f"{text!r}: prefix length must be a whole number from 0 to {bits} for IPv{address.version}"
        )
    network = ipaddress.ip_network(f"{address}/{int(length_text)}", strict=False)
    if network.network_address != address:
        raise InvalidInputError(f"{cleaned}: host bits set; did you mean {network}?")
    return network


def require_same_family(first: IPAddress | IPNetwork, second: IPAddress | IPNetwork) -> None:
    """Refuse a pair of values of different families.

    Raises:
        FamilyMismatchError: one is IPv4 and the other IPv6.
    """
    if first.version != second.version:
        raise FamilyMismatchError(f"{first} is IPv{first.version} but {second} is IPv{second.version}")


def encode_value(value: int) -> bytes:
    """The 16-byte big-endian form of an address integer, for either family."""
    return value.to_bytes(_VALUE_BYTES, "big")


def decode_value(raw: bytes) -> int:
    """The address integer of a 16-byte big-endian value."""
    return int.from_bytes(raw, "big")


def format_value(value: int, *, version: int) -> str:
    """The usual text of an address integer (what ``str`` of the address gives, only faster for
    IPv4, where bulk imports label a hundred thousand of them)."""
    if version == 4:
        return "%d.%d.%d.%d" % tuple(value.to_bytes(4, "big"))  # noqa: UP031 - the fastest form here
    return str(address_from_int(value, version=version))


def address_from_int(value: int, *, version: int) -> IPAddress:
    """The address of the family with the given integer value."""
    if version == 4:
        return ipaddress.IPv4Address(value)
    return ipaddress.IPv6Address(value)


def network_from_ints(first: int, prefixlen: int, *, version: int) -> IPNetwork:
    """The network starting at ``first`` with the given length (``first`` must be aligned)."""
    if version == 4:
        return ipaddress.IPv4Network((first, prefixlen))
    return ipaddress.IPv6Network((first, prefixlen))
