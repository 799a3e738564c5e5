"""CIDRIndex: which of many networks hold an address, found without comparing against each one.

Reconciliation asks "which block, pool or range holds this address?" for every one of a hundred
thousand addresses. Networks are aligned blocks, so the question has a cheap answer: mask the
address to each prefix length that occurs among the networks and look the result up in a dict.
The cost is one lookup per distinct prefix length (usually one or two), whatever the number of
networks, and nested or overlapping networks are all found.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from ipledger.core.addresses import IPAddress, IPNetwork, max_prefixlen

__all__ = ["CIDRIndex"]

T = TypeVar("T")


class CIDRIndex(Generic[T]):
    """Networks of both families, each with a value; built once, then only read."""

    __slots__ = ("_lengths", "_table")

    def __init__(self, items: Iterable[tuple[IPNetwork, T]]) -> None:
        self._table: dict[tuple[int, int, int], list[T]] = {}
        lengths: dict[int, set[int]] = {4: set(), 6: set()}
        for network, value in items:
            key = (network.version, network.prefixlen, int(network.network_address))
            self._table.setdefault(key, []).append(value)
            lengths[network.version].add(network.prefixlen)
        # Longest prefix first, so that holders are listed from the smallest network outwards.
        self._lengths = {version: sorted(found, reverse=True) for version, found in lengths.items()}

    def holders_of_value(self, value: int, *, version: int) -> list[T]:
        """The values of every network that holds the address integer, smallest network first."""
        bits = max_prefixlen(version)
        found: list[T] = []
        for prefixlen in self._lengths[version]:
            host_bits = bits - prefixlen
            found.extend(self._table.get((version, prefixlen, value >> host_bits << host_bits), ()))
        return found

    def holders(self, address: IPAddress) -> list[T]:
        """The values of every network that holds ``address``, smallest network first."""
        return self.holders_of_value(int(address), version=address.version)
