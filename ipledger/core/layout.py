"""The layout of a whole space: who holds what, conflicts, free space and utilization, from scratch.

The write path keeps free space and utilization current incrementally; this module derives the
same from nothing but the objects, for bulk imports and for checking the ledger against itself.
Objects are given as ``Item`` values of one family; nesting is found with one sorted sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange

__all__ = ["Conflict", "Item", "Kind", "Layout", "find_conflicts", "lay_out"]


class Kind(StrEnum):
    PREFIX = "prefix"
    RANGE = "range"
    ADDRESS = "address"


_RANK = {Kind.PREFIX: 0, Kind.RANGE: 1, Kind.ADDRESS: 2}


@dataclass(frozen=True, slots=True)
class Item:
    """One object of the ledger as the layout sees it: what it is and where."""

    kind: Kind
    key: int
    span: IPRange

    @property
    def label(self) -> str:
        """How messages name it, e.g. ``prefix 10.0.0.0/24``; built only when a message needs it."""
        if self.kind is Kind.PREFIX:
            return f"prefix {self.span.to_networks()[0]}"
        return f"{self.kind.value} {self.span}"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two objects that cannot coexist in one space, and why."""

    first: Item
    second: Item | None
    reason: str

    def describe(self) -> str:
        if self.second is None:
            return f"{self.first.label} {self.reason}"
        return f"{self.first.label} {self.reason} {self.second.label}"


@dataclass(frozen=True, slots=True)
class Layout:
    """Owner of each item (the innermost prefix or range holding it) and each owner's free space."""

    owners: dict[tuple[Kind, int], Item | None]
    free: dict[tuple[Kind, int], IPSet]


def _ordered(items: Sequence[Item]) -> list[Item]:
    return sorted(items, key=lambda item: (item.span.first, -item.span.last, _RANK[item.kind]))


def find_conflicts(items: Sequence[Item]) -> list[Conflict]:
    """Every pair that breaks the ledger's rules, within one space and family.

    The rules: a CIDR or an address appears once; ranges do not overlap; a range lies inside a
    prefix, and no prefix lies inside or across a range.
    """
    conflicts: list[Conflict] = []
    ordered = _ordered(items)
    previous: Item | None = None
    open_prefixes: list[Item] = []
    last_range: Item | None = None
    for item in ordered:
        if previous is not None and previous.kind == item.kind and previous.span == item.span:
            conflicts.append(Conflict(item, previous, "duplicates"))
            continue
        previous = item
        while open_prefixes and open_prefixes[-1].span.last < item.span.first:
            open_prefixes.pop()
        if last_range is not None and last_range.span.last >= item.span.first:
            if item.kind is Kind.RANGE:
                conflicts.append(Conflict(item, last_range, "overlaps"))
            elif item.kind is Kind.PREFIX:
                conflicts.append(Conflict(item, last_range, "lies inside or across"))
        if item.kind is Kind.PREFIX:
            open_prefixes.append(item)
        elif item.kind is Kind.RANGE:
            if not open_prefixes:
                conflicts.append(Conflict(item, None, "is not inside any prefix"))
            elif open_prefixes[-1].span.last < item.span.last:
                conflicts.append(Conflict(item, open_prefixes[-1], "straddles the end of"))
            if last_range is None or item.span.last > last_range.span.last:
                last_range = item
    return conflicts


def lay_out(items: Sequence[Item]) -> Layout:
    """Owners and free space of conflict-free items of one space and family.

    The owner of a prefix is the innermost prefix around it; of a range, the innermost prefix;
    of an address, the range holding it or else the innermost prefix. Free space of a prefix or
    range is its span less the spans of the items it owns.
    """
    owners: dict[tuple[Kind, int], Item | None] = {}
    free: dict[tuple[Kind, int], IPSet] = {}
    # Sweep in address order keeping the open containers; each container's direct contents
    # arrive in order, so its free space is the gaps between them, found without set algebra.
    stack: list[tuple[Item, list[tuple[int, int]], list[int]]] = []

    def close(container: Item, gaps: list[tuple[int, int]], cursor: int) -> None:
        if cursor <= container.span.last:
            gaps.append((cursor, container.span.last))
        free[(container.kind, container.key)] = IPSet(container.span.version, tuple(gaps))

    for item in _ordered(items):
        while stack and stack[-1][0].span.last < item.span.first:
            close(stack[-1][0], stack[-1][1], stack[-1][2][0])
            stack.pop()
        if stack:
            owner, gaps, cursor = stack[-1]
            owners[(item.kind, item.key)] = owner
            if item.span.first > cursor[0]:
                gaps.append((cursor[0], item.span.first - 1))
            cursor[0] = item.span.last + 1
        else:
            owners[(item.kind, item.key)] = None
        if item.kind is not Kind.ADDRESS:
            stack.append((item, [], [item.span.first]))
    while stack:
        close(stack[-1][0], stack[-1][1], stack[-1][2][0])
        stack.pop()
    return Layout(owners, free)
