"""The three kinds of object the NetBox API serves with full CRUD (prefixes, IP ranges, IP
addresses): how each is read, filtered, ordered, shaped, edited and deleted in the ledger."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ipledger.api.netbox import bodies, filters, shapes
from ipledger.api.netbox.context import Catalog
from ipledger.service import bulk_delete, nesting, prefixes, search
from ipledger.service.edits import Edit
from ipledger.service.ledger import Ledger

__all__ = ["ADDRESSES", "KINDS", "PREFIXES", "RANGES", "ObjectKind"]


@dataclass(frozen=True, slots=True)
class ObjectKind:
    endpoint: str  # ipam/prefixes
    load: Callable[[Ledger, str | None], Sequence[Any]]  # every record (of one space), in order
    get: Callable[[Ledger, int], Any]
    shape: Callable[[Ledger, Catalog, Sequence[Any]], list[dict[str, Any]]]
    edit: Callable[[bodies.Body, Catalog, Any], Edit]
    delete: Callable[..., int]
    filters: dict[str, filters.Filter]
    orderings: dict[str, Callable[[Any], Any]]


def _shape_prefixes(ledger: Ledger, catalog: Catalog, records: Sequence[Any]) -> list[dict[str, Any]]:
    nested = nesting.nesting_of_spaces(ledger, {record.space for record in records})
    return [
        shapes.prefix_shape(catalog, record, nested.get(record.id, nesting.Nesting(0, 0)))
        for record in records
    ]


def _shape_ranges(ledger: Ledger, catalog: Catalog, records: Sequence[Any]) -> list[dict[str, Any]]:
    masks = nesting.innermost_prefixlens(
        ledger, [(record.id, record.space, record.span.first_address) for record in records]
    )
    return [shapes.range_shape(catalog, record, masks.get(record.id)) for record in records]


def _shape_addresses(ledger: Ledger, catalog: Catalog, records: Sequence[Any]) -> list[dict[str, Any]]:
    masks = nesting.innermost_prefixlens(
        ledger, [(record.id, record.space, record.address) for record in records]
    )
    return [shapes.address_shape(catalog, record, masks.get(record.id)) for record in records]


def _by_time(name: str) -> Callable[[Any], Any]:
    return lambda record: (getattr(record, name), record.id)


_COMMON_ORDER: dict[str, Callable[[Any], Any]] = {
    "id": lambda record: record.id,
    "created": _by_time("created_at"),
    "last_updated": _by_time("updated_at"),
}

PREFIXES = ObjectKind(
    endpoint="ipam/prefixes",
    load=lambda ledger, space: prefixes.list_prefixes(ledger, prefixes.PrefixFilter(space=space))[0],
    get=search.get_prefix,
    shape=_shape_prefixes,
    edit=bodies.prefix_edit,
    delete=bulk_delete.delete_prefixes,
    filters=filters.prefix_filters,
    orderings={
        **_COMMON_ORDER,
        "prefix": lambda record: (record.network.version, record.network),
        "vrf": lambda record: (record.space, record.network.version, record.network),
    },
)
RANGES = ObjectKind(
    endpoint="ipam/ip-ranges",
    load=lambda ledger, space: search.search_ranges(ledger, search.RangeFilter(space=space))[0],
    get=search.get_range,
    shape=_shape_ranges,
    edit=bodies.range_edit,
    delete=bulk_delete.delete_ranges,
    filters=filters.range_filters,
    orderings={**_COMMON_ORDER, "start_address": lambda record: (record.span.version, record.span.first)},
)
ADDRESSES = ObjectKind(
    endpoint="ipam/ip-addresses",
    load=lambda ledger, space: search.search_addresses(ledger, search.AddressFilter(space=space))[0],
    get=search.get_address,
    shape=_shape_addresses,
    edit=bodies.address_edit,
    delete=bulk_delete.delete_addresses,
    filters=filters.address_filters,
    orderings={
        **_COMMON_ORDER,
        "address": lambda record: (record.address.version, record.address),
        "dns_name": lambda record: (record.dns_name, record.id),
    },
)
KINDS = (PREFIXES, RANGES, ADDRESSES)
