"""IPRange: an inclusive first..last span of one family, the unit of all interval math.

Prefixes, ranges and single addresses all become IPRange values, so that containment, overlap
and counting are integer comparisons that cost the same for an IPv6 /32 as for an IPv4 /30.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ipledger.core.addresses import (
    IPAddress,
    IPNetwork,
    address_from_int,
    max_prefixlen,
    network_from_ints,
    parse_address,
    require_same_family,
)
from ipledger.core.errors import FamilyMismatchError, InvalidInputError

__all__ = ["IPRange", "iter_cidr_blocks", "parse_range"]


@dataclass(frozen=True, slots=True, order=True)
class IPRange:
    """Addresses ``first`` to ``last`` inclusive, as integers of IP ``version`` 4 or 6."""

    version: int
    first: int
    last: int

    def __post_init__(self) -> None:
        top = (1 << max_prefixlen(self.version)) - 1
        if not 0 <= self.first <= self.last <= top:
            raise InvalidInputError(
                f"invalid IPv{self.version} span {self.first}..{self.last}: start must not be after end"
            )

    @classmethod
    def checked_elsewhere(cls, version: int, first: int, last: int) -> IPRange:
        """A span from values already known to be valid (stored rows, parsed addresses), built
        without re-checking them: bulk work builds hundreds of thousands of these."""
        span = object.__new__(cls)
        object.__setattr__(span, "version", version)
        object.__setattr__(span, "first", first)
        object.__setattr__(span, "last", last)
        return span

    @classmethod
    def from_network(cls, network: IPNetwork) -> IPRange:
        first = int(network.network_address)
        # ipaddress derives broadcast_address through masks and new objects; the bits are cheaper.
        return cls(network.version, first, first | ((1 << (network.max_prefixlen - network.prefixlen)) - 1))

    @classmethod
    def from_address(cls, address: IPAddress) -> IPRange:
        return cls(address.version, int(address), int(address))

    @classmethod
    def from_addresses(cls, start: IPAddress, end: IPAddress) -> IPRange:
        """The span from ``start`` to ``end``.

        Raises:
            FamilyMismatchError: the two are of different families.
            InvalidInputError: ``start`` comes after ``end``.
        """
        require_same_family(start, end)
        if int(start) > int(end):
            raise InvalidInputError(f"range {start}-{end}: start is after end")
        return cls(start.version, int(start), int(end))

    @property
    def num_addresses(self) -> int:
        return self.last - self.first + 1

    @property
    def first_address(self) -> IPAddress:
        return address_from_int(self.first, version=self.version)

    @property
    def last_address(self) -> IPAddress:
        return address_from_int(self.last, version=self.version)

    def overlaps(self, other: IPRange) -> bool:
        self._check_family(other)
        return self.first <= other.last and other.first <= self.last

    def contains(self, other: IPRange) -> bool:
        """Whether every address of ``other`` lies in this span."""
        self._check_family(other)
        return self.first <= other.first and other.last <= self.last

    def contains_value(self, value: int) -> bool:
        return self.first <= value <= self.last

    def is_network(self) -> bool:
        """Whether the span is exactly one CIDR block."""
        size = self.num_addresses
        return size & (size - 1) == 0 and self.first % size == 0

    def to_networks(self) -> list[IPNetwork]:
        """The largest CIDR blocks that together cover exactly this span, lowest first."""
        return [
            network_from_ints(first, prefixlen, version=self.version)
            for first, prefixlen in iter_cidr_blocks(self.first, self.last, self.version)
        ]

    def __str__(self) -> str:
        if self.first == self.last:
            return str(self.first_address)
        return f"{self.first_address}-{self.last_address}"

    def _check_family(self, other: IPRange) -> None:
        if self.version != other.version:
            raise FamilyMismatchError(f"{self} is IPv{self.version} but {other} is IPv{other.version}")


def iter_cidr_blocks(first: int, last: int, version: int) -> Iterator[tuple[int, int]]:
    """Yield ``(first, prefixlen)`` of the largest aligned blocks covering ``first..last``.

    Greedy from the low end: at each position take the largest block that is aligned there and
    ends inside the span. The result has at most two blocks per prefix length.
    """
    bits = max_prefixlen(version)
    position = first
    while position <= last:
        alignment = position & -position if position else 1 << bits
        remaining = last - position + 1
        size = alignment
        while size > remaining:
            size >>= 1
        yield position, bits - size.bit_length() + 1
        position += size


def parse_range(text: str) -> IPRange:
    """Parse ``start-end`` (e.g. ``10.0.0.10-10.0.0.99``), ends inclusive, both of one family.

    Raises:
        InvalidInputError: malformed ends, a start after the end, or mixed families.
    """
    start_text, dash, end_text = text.strip().partition("-")
    if not dash:
        raise InvalidInputError(f"{text!r}: a range is written start-end, e.g. 10.0.0.10-10.0.0.99")
    return IPRange.from_addresses(parse_address(start_text), parse_address(end_text))
