"""Utilization of prefixes: addresses held, space covered by child prefixes, and IPv6 units touched.

Three measures are kept apart because they answer different questions: ``used`` counts the
addresses that addresses and ranges hold (an address inside a range is counted once);
``covered`` counts the addresses that direct child prefixes take; ``units_used`` counts the
allocation units (by default /64s) that anything inside an IPv6 prefix touches. The headline
percentage is the larger of the address and coverage percentages, so a container prefix full of
subnets and a leaf subnet full of hosts both read as full.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from ipledger.core.ranges import IPRange

__all__ = [
    "PrefixShape",
    "Usage",
    "direct_parents",
    "measure_prefixes",
    "percent_of",
    "units_between",
]


@dataclass(frozen=True, slots=True)
class PrefixShape:
    """What measuring needs of a prefix: its span, usable address count and allocation unit."""

    span: IPRange
    usable: int
    unit_prefixlen: int | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Measured utilization of one prefix; all counts are exact integers."""

    size: int
    usable: int
    used: int
    covered: int
    units_total: int = 0
    units_used: int = 0

    @property
    def used_percent(self) -> float:
        return percent_of(self.used, self.usable)

    @property
    def covered_percent(self) -> float:
        return percent_of(self.covered, self.size)

    @property
    def units_percent(self) -> float:
        return percent_of(self.units_used, self.units_total)

    @property
    def percent(self) -> float:
        return max(self.used_percent, self.covered_percent)


def percent_of(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``; an empty whole is 0 % unless something is in it."""
    if whole <= 0:
        return 100.0 if part > 0 else 0.0
    return 100.0 * part / whole


def units_between(span: IPRange, unit_prefixlen: int) -> tuple[int, int]:
    """The first and last allocation-unit numbers that ``span`` touches."""
    shift = (128 if span.version == 6 else 32) - unit_prefixlen
    return span.first >> shift, span.last >> shift


def direct_parents(spans: Sequence[IPRange]) -> list[int | None]:
    """For each CIDR span, the index of the smallest other span containing it, or ``None``.

    Spans must be CIDR blocks of one family (they nest or are disjoint) and distinct.
    """
    order = sorted(range(len(spans)), key=lambda i: (spans[i].first, -spans[i].last))
    parents: list[int | None] = [None] * len(spans)
    stack: list[int] = []
    for index in order:
        while stack and spans[stack[-1]].last < spans[index].first:
            stack.pop()
        parents[index] = stack[-1] if stack else None
        stack.append(index)
    return parents


def measure_prefixes(
    prefixes: Sequence[PrefixShape], *, addresses: Sequence[int], ranges: Sequence[IPRange]
) -> list[Usage]:
    """Measure every prefix of one family from all addresses and ranges of that family in its space.

    Ranges never straddle a prefix boundary (the ledger refuses that), so a range counts for a
    prefix exactly when its first address lies inside it. Cost: O((P + A + R) log) overall.
    """
    ordered_ranges = sorted(ranges)
    range_firsts = [item.first for item in ordered_ranges]
    range_sums = _prefix_sums([item.num_addresses for item in ordered_ranges])
    loose = _outside_ranges(sorted(addresses), ordered_ranges)
    parents = direct_parents([shape.span for shape in prefixes])
    covered = [0] * len(prefixes)
    for index, parent in enumerate(parents):
        if parent is not None:
            covered[parent] += prefixes[index].span.num_addresses
    unit_cache: dict[int, tuple[list[tuple[int, int]], list[int]]] = {}
    usages = []
    for index, shape in enumerate(prefixes):
        span = shape.span
        low, high = bisect_left(range_firsts, span.first), bisect_right(range_firsts, span.last)
        used = bisect_right(loose, span.last) - bisect_left(loose, span.first)
        used += range_sums[high] - range_sums[low]
        units_total = units_used = 0
        if shape.unit_prefixlen is not None:
            cached = unit_cache.get(shape.unit_prefixlen)
            if cached is None:
                cached = _merged_units(
                    loose, ordered_ranges, version=span.version, unit_prefixlen=shape.unit_prefixlen
                )
                unit_cache[shape.unit_prefixlen] = cached
            units_total, units_used = _units_of(shape, used, *cached)
        usages.append(Usage(span.num_addresses, shape.usable, used, covered[index], units_total, units_used))
    return usages


def _prefix_sums(values: Sequence[int]) -> list[int]:
    sums = [0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def _outside_ranges(addresses: Sequence[int], ranges: Sequence[IPRange]) -> list[int]:
    """The addresses that no range holds, ascending (so each address is counted once)."""
    loose = []
    cursor = 0
    for value in addresses:
        while cursor < len(ranges) and ranges[cursor].last < value:
            cursor += 1
        if cursor < len(ranges) and ranges[cursor].first <= value:
            continue
        loose.append(value)
    return loose


def _merged_units(
    addresses: Sequence[int], ranges: Sequence[IPRange], *, version: int, unit_prefixlen: int
) -> tuple[list[tuple[int, int]], list[int]]:
    """Unit numbers touched by anything, as merged spans, with prefix sums of their lengths."""
    shift = (128 if version == 6 else 32) - unit_prefixlen
    spans = sorted(
        [(value >> shift, value >> shift) for value in addresses]
        + [(item.first >> shift, item.last >> shift) for item in ranges]
    )
    merged: list[tuple[int, int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged, _prefix_sums([last - first + 1 for first, last in merged])


def _units_of(
    shape: PrefixShape, used: int, merged: list[tuple[int, int]], sums: list[int]
) -> tuple[int, int]:
    """Units in the prefix and units touched; a prefix smaller than a unit is one unit."""
    assert shape.unit_prefixlen is not None
    span = shape.span
    bits = 128 if span.version == 6 else 32
    if bits - (span.num_addresses.bit_length() - 1) > shape.unit_prefixlen:
        return 1, 1 if used else 0
    first_unit, last_unit = units_between(span, shape.unit_prefixlen)
    low = bisect_left(merged, (first_unit, -1))
    if low > 0 and merged[low - 1][1] >= first_unit:
        low -= 1
    high = bisect_right(merged, (last_unit, 1 << 130))
    if low >= high:
        return last_unit - first_unit + 1, 0
    touched = sums[high] - sums[low]
    touched -= max(0, first_unit - merged[low][0])
    touched -= max(0, merged[high - 1][1] - last_unit)
    return last_unit - first_unit + 1, touched
