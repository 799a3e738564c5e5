"""The address map of a recorded prefix (see ``core.address_map``), read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from ipledger.core.address_map import MAX_CELLS, Cell, Occupant, map_prefix
from ipledger.core.allocation import usable_span
from ipledger.core.errors import NotFoundError
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange
from ipledger.core.utilization import direct_parents
from ipledger.service import occupancy
from ipledger.service.ledger import Ledger
from ipledger.store import free_space, queries
from ipledger.store.models import Prefix

__all__ = ["PrefixMap", "prefix_map"]


@dataclass(frozen=True, slots=True)
class PrefixMap:
    network: str
    cell_size: int  # addresses per cell
    cells: tuple[Cell, ...]
    child_ids: dict[str, int]  # the label of each child prefix -> its id, to link cells to it
    free_addresses: int  # usable addresses nothing takes


def prefix_map(ledger: Ledger, prefix_id: int) -> PrefixMap:
    with ledger.reading() as session:
        prefix = session.get(Prefix, prefix_id)
        if prefix is None:
            raise NotFoundError(f"no prefix with id {prefix_id}")
        network = occupancy.network_of(prefix)
        span = IPRange.from_network(network)
        # The free blocks cover the network and broadcast addresses too (allocation clips them);
        # the map shows those as not for hosts, and counts only what a host could get.
        usable = usable_span(network, is_pool=prefix.is_pool)
        free = free_space.list_blocks(session, ("prefix", prefix.id), version=span.version).intersection(
            IPSet.of(span.version, [] if usable is None else [usable])
        )
        inside = [
            item
            for item in queries.list_prefixes_within(session, prefix.space_id, span)
            if item.id != prefix.id
        ]
        spans = [occupancy.span_of_prefix(item) for item in inside]
        children = [
            (item, item_span)
            for item, item_span, parent in zip(inside, spans, direct_parents(spans), strict=True)
            if parent is None
        ]
        ranges = [
            Occupant(occupancy.span_of_range(item), f"range {occupancy.span_of_range(item)}")
            for item in queries.list_ranges_within(session, prefix.space_id, span)
        ]
        addresses = {}
        if span.num_addresses <= MAX_CELLS:
            for row in queries.list_addresses_within(session, prefix.space_id, span):
                holder = " ".join(part for part in (row.holder_kind, row.holder_name) if part) or "recorded"
                addresses[row.value] = Occupant(
                    IPRange(span.version, row.value, row.value), holder, row.holder_kind or "other"
                )
    cells = map_prefix(
        network,
        free=free,
        children=[Occupant(item_span, str(occupancy.network_of(item))) for item, item_span in children],
        ranges=ranges,
        addresses=addresses,
    )
    return PrefixMap(
        str(network),
        cells[0].size,
        tuple(cells),
        {str(occupancy.network_of(item)): item.id for item, _ in children},
        free.num_addresses,
    )
