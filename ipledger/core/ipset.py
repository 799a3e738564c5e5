"""IPSet: an immutable set of addresses of one family, held as sorted, merged, disjoint spans.

Set algebra runs over spans, never over single addresses, so its cost depends on how fragmented
the set is and not on how many addresses it holds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ipledger.core.addresses import IPNetwork, network_from_ints
from ipledger.core.errors import FamilyMismatchError
from ipledger.core.ranges import IPRange, iter_cidr_blocks

__all__ = ["IPSet"]

Span = tuple[int, int]
_TOP = 1 << 129  # larger than any address of either family, for bisecting by first


@dataclass(frozen=True, slots=True)
class IPSet:
    """Addresses of IP ``version`` as disjoint, non-adjacent ``(first, last)`` spans, ascending."""

    version: int
    spans: tuple[Span, ...] = ()

    @classmethod
    def of(cls, version: int, ranges: Iterable[IPRange]) -> IPSet:
        """The union of ``ranges``, merged.

        Raises:
            FamilyMismatchError: a range is not of ``version``.
        """
        spans = []
        for item in ranges:
            if item.version != version:
                raise FamilyMismatchError(f"{item} is IPv{item.version}, expected IPv{version}")
            spans.append((item.first, item.last))
        return cls(version, _merge(spans))

    def __iter__(self) -> Iterator[IPRange]:
        return (IPRange(self.version, first, last) for first, last in self.spans)

    def __len__(self) -> int:
        return len(self.spans)

    @property
    def num_addresses(self) -> int:
        return sum(last - first + 1 for first, last in self.spans)

    def is_empty(self) -> bool:
        return not self.spans

    def union(self, other: IPSet) -> IPSet:
        self._check_family(other)
        return IPSet(self.version, _merge([*self.spans, *other.spans]))

    def intersection(self, other: IPSet) -> IPSet:
        self._check_family(other)
        result: list[Span] = []
        mine, theirs = self.spans, other.spans
        i = j = 0
        while i < len(mine) and j < len(theirs):
            first = max(mine[i][0], theirs[j][0])
            last = min(mine[i][1], theirs[j][1])
            if first <= last:
                result.append((first, last))
            if mine[i][1] < theirs[j][1]:
                i += 1
            else:
                j += 1
        return IPSet(self.version, tuple(result))

    def difference(self, other: IPSet) -> IPSet:
        self._check_family(other)
        result: list[Span] = []
        theirs = other.spans
        j = 0
        for first, last in self.spans:
            position = first
            while j < len(theirs) and theirs[j][1] < position:
                j += 1
            k = j
            while k < len(theirs) and theirs[k][0] <= last:
                if theirs[k][0] > position:
                    result.append((position, theirs[k][0] - 1))
                position = max(position, theirs[k][1] + 1)
                k += 1
            if position <= last:
                result.append((position, last))
        return IPSet(self.version, tuple(result))

    def contains_value(self, value: int) -> bool:
        index = bisect_right(self.spans, (value, _TOP)) - 1
        return index >= 0 and self.spans[index][1] >= value

    def iter_blocks(self) -> Iterator[tuple[int, int]]:
        """``(first, prefixlen)`` of the largest CIDR blocks that cover the set exactly, ascending."""
        for first, last in self.spans:
            yield from iter_cidr_blocks(first, last, self.version)

    def to_networks(self) -> list[IPNetwork]:
        return [
            network_from_ints(first, prefixlen, version=self.version)
            for first, prefixlen in self.iter_blocks()
        ]

    def _check_family(self, other: IPSet) -> None:
        if self.version != other.version:
            raise FamilyMismatchError(
                f"cannot combine an IPv{self.version} set with an IPv{other.version} set"
            )


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Sort spans and join the ones that overlap or touch."""
    merged: list[Span] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return tuple(merged)
