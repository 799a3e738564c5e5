"""How prefixes nest, derived from containment when read: the depth of each prefix and how many
prefixes lie inside it, and the length of the innermost prefix around an address.

NetBox's API shows these (``_depth``, ``children``, and an address's mask); the ledger stores no
parent pointers, so they are worked out here from the prefixes of the spaces involved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ipledger.core.addresses import IPAddress
from ipledger.core.ranges import IPRange
from ipledger.core.utilization import direct_parents
from ipledger.service import occupancy
from ipledger.service.ledger import Ledger
from ipledger.service.lookup import load_space
from ipledger.store import listing, queries

__all__ = ["Nesting", "innermost_prefixlens", "nesting_of_spaces"]


@dataclass(frozen=True, slots=True)
class Nesting:
    """``depth``: how many prefixes contain it (0 at the top); ``children``: how many it contains."""

    depth: int
    children: int


def nesting_of_spaces(ledger: Ledger, space_names: Iterable[str]) -> dict[int, Nesting]:
    """The nesting of every prefix of these spaces, by prefix id (one read of their prefixes)."""
    found: dict[int, Nesting] = {}
    with ledger.reading() as session:
        for name in sorted(set(space_names)):
            rows = listing.list_all_prefixes(session, space_id=load_space(session, name).id)
            for family in (4, 6):
                members = [row for row in rows if row.family == family]
                parents = direct_parents([occupancy.span_of_prefix(row) for row in members])
                depths: list[int] = [0] * len(members)
                children = [0] * len(members)
                # ``list_all_prefixes`` orders by address then length: parents come before children.
                for index, parent in enumerate(parents):
                    if parent is not None:
                        depths[index] = depths[parent] + 1
                for parent in parents:
                    ancestor = parent
                    while ancestor is not None:
                        children[ancestor] += 1
                        ancestor = parents[ancestor]
                for index, row in enumerate(members):
                    found[row.id] = Nesting(depths[index], children[index])
    return found


def innermost_prefixlens(ledger: Ledger, points: Iterable[tuple[int, str, IPAddress]]) -> dict[int, int]:
    """For each ``(key, space, address)``, the length of the innermost prefix of the space that
    holds the address, by key (points outside every prefix are missing from the answer).

    Two queries per space and family, whatever the number of points: the prefixes around the
    lowest point and those starting between the lowest and the highest cover every candidate.
    """
    groups: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for key, space, address in points:
        groups[(space, address.version)].append((key, int(address)))
    found: dict[int, int] = {}
    with ledger.reading() as session:
        for (space, version), members in groups.items():
            space_id = load_space(session, space).id
            low, high = min(value for _, value in members), max(value for _, value in members)
            candidates = [
                *queries.list_prefixes_containing(session, space_id, IPRange(version, low, low)),
                *queries.list_prefixes_starting_inside(session, space_id, IPRange(version, low, high)),
            ]
            for key, value in members:
                lengths = [row.prefixlen for row in candidates if row.first <= value <= row.last]
                if lengths:
                    found[key] = max(lengths)
    return found
