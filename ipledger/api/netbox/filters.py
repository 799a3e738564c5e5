"""NetBox's list filters (``ipam/filtersets.py``) as predicates on the ledger's records.

Repeating a parameter means OR, except ``tag`` (AND), as in NetBox; ``<name>__n`` negates a
filter. ``vrf_id=null`` is the global table and ``tenant_id=null`` objects without a group.
An unknown filter is refused (400) rather than silently ignored: a misspelt filter that
returned everything would be read as a match by automation.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from starlette.datastructures import QueryParams

from ipledger.api.netbox.context import GLOBAL_SPACE, Catalog
from ipledger.api.netbox.pagination import PAGING_PARAMS
from ipledger.core.errors import InvalidInputError
from ipledger.core.netbox_mapping import address_role_of, netbox_status, slug_of, stable_id
from ipledger.service.records import AddressRecord, PrefixRecord, RangeRecord

__all__ = ["Predicate", "address_filters", "apply_filters", "prefix_filters", "range_filters", "single_space"]

Record = TypeVar("Record", PrefixRecord, RangeRecord, AddressRecord)
Predicate = Callable[[Any], bool]
# A filter: the values given -> a predicate on a record.
Filter = Callable[[list[str], Catalog], Predicate]
_TRUE = frozenset({"true", "1", "yes"})


def _ints(name: str, values: list[str]) -> set[int | None]:
    found: set[int | None] = set()
    for value in values:
        if value.lower() == "null":
            found.add(None)
        elif value.lstrip("-").isdigit():
            found.add(int(value))
        else:
            raise InvalidInputError(f"{value!r} is not a valid id", field=name)
    return found


def _network(name: str, value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise InvalidInputError(f"{value!r} is not a valid prefix", field=name) from exc


def _host(name: str, value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_interface(value.strip()).ip
    except ValueError as exc:
        raise InvalidInputError(f"{value!r} is not a valid address", field=name) from exc


def _span_of(record: Any) -> tuple[int, int, int]:
    """(version, first, last) of a prefix, range or address record."""
    if isinstance(record, PrefixRecord):
        net = record.network
        return net.version, int(net.network_address), int(net.broadcast_address)
    if isinstance(record, RangeRecord):
        return record.span.version, record.span.first, record.span.last
    return record.address.version, int(record.address), int(record.address)


def _inside(record: Any, net: Any, *, strict: bool) -> bool:
    version, first, last = _span_of(record)
    if version != net.version or first < int(net.network_address) or last > int(net.broadcast_address):
        return False
    return not (strict and isinstance(record, PrefixRecord) and record.network == net)


def _holds(record: Any, value: str, name: str) -> bool:
    version, first, last = _span_of(record)
    if "/" in value:
        net = _network(name, value)
        wanted, low, high = net.version, int(net.network_address), int(net.broadcast_address)
    else:
        host = _host(name, value)
        wanted, low, high = host.version, int(host), int(host)
    return version == wanted and first <= low and high <= last


def _space_ids(values: list[str], catalog: Catalog) -> Predicate:
    wanted = {
        GLOBAL_SPACE
        if key is None
        else (catalog.spaces_by_id[key].name if key in catalog.spaces_by_id else "")
        for key in _ints("vrf_id", values)
    }
    return lambda record: record.space in wanted


def _tenant_ids(values: list[str], catalog: Catalog) -> Predicate:
    wanted = {
        None if key is None else (catalog.groups_by_id[key].path if key in catalog.groups_by_id else "")
        for key in _ints("tenant_id", values)
    }
    return lambda record: record.group in wanted


def _tenants(values: list[str], _catalog: Catalog) -> Predicate:
    wanted = set(values)
    return lambda record: (
        record.group is not None and (record.group in wanted or slug_of(record.group) in wanted)
    )


def _tags(values: list[str], _catalog: Catalog) -> Predicate:
    def matches(record: Any) -> bool:
        names = set(record.tags) | {slug_of(tag) for tag in record.tags}
        return all(value in names for value in values)

    return matches


def _statuses(values: list[str], _catalog: Catalog) -> Predicate:
    wanted = {value.lower() for value in values}
    return lambda record: netbox_status(record.status, record.tags) in wanted


def _families(values: list[str], _catalog: Catalog) -> Predicate:
    wanted = _ints("family", values)
    return lambda record: _span_of(record)[0] in wanted


def _ids(values: list[str], _catalog: Catalog) -> Predicate:
    wanted = _ints("id", values)
    return lambda record: record.id in wanted


def _text(text_of: Callable[[Any], str]) -> Filter:
    def build(values: list[str], _catalog: Catalog) -> Predicate:
        wanted = [value.lower() for value in values]
        return lambda record: any(value in text_of(record).lower() for value in wanted)

    return build


def _exact(get: Callable[[Any], str]) -> Filter:
    return lambda values, _catalog: lambda record: get(record) in values


def _role_ids(values: list[str], _catalog: Catalog) -> Predicate:
    wanted = _ints("role_id", values)
    return lambda record: stable_id(record.role) in wanted


def _roles(values: list[str], _catalog: Catalog) -> Predicate:
    return lambda record: record.role in values or slug_of(record.role) in values


def _address_roles(values: list[str], _catalog: Catalog) -> Predicate:
    return lambda record: address_role_of(record.tags) in values


def _within(strict: bool) -> Filter:
    def build(values: list[str], _catalog: Catalog) -> Predicate:
        nets = [_network("within" if strict else "within_include", value) for value in values]
        return lambda record: any(_inside(record, net, strict=strict) for net in nets)

    return build


def _contains(values: list[str], _catalog: Catalog) -> Predicate:
    return lambda record: any(_holds(record, value, "contains") for value in values)


def _parents(values: list[str], _catalog: Catalog) -> Predicate:
    nets = [_network("parent", value) for value in values]
    return lambda record: any(_inside(record, net, strict=False) for net in nets)


def _prefixes(values: list[str], _catalog: Catalog) -> Predicate:
    nets = {_network("prefix", value) for value in values}
    return lambda record: record.network in nets


def _addresses(values: list[str], _catalog: Catalog) -> Predicate:
    # The ledger records hosts, not interfaces: the mask of a value is not compared.
    hosts = {_host("address", value) for value in values}
    return lambda record: record.address in hosts


def _range_ends(end: str) -> Filter:
    attribute = "first_address" if end == "start_address" else "last_address"

    def build(values: list[str], _catalog: Catalog) -> Predicate:
        hosts = {_host(end, value) for value in values}
        return lambda record: getattr(record.span, attribute) in hosts

    return build


def _mask_length(compare: Callable[[int, int], bool]) -> Filter:
    def build(values: list[str], _catalog: Catalog) -> Predicate:
        lengths = [key for key in _ints("mask_length", values) if key is not None]
        return lambda record: any(compare(record.network.prefixlen, length) for length in lengths)

    return build


def _is_pool(values: list[str], _catalog: Catalog) -> Predicate:
    wanted = {value.lower() in _TRUE for value in values}
    return lambda record: record.is_pool in wanted


_COMMON: dict[str, Filter] = {
    "id": _ids,
    "family": _families,
    "status": _statuses,
    "vrf_id": _space_ids,
    "vrf": _exact(lambda record: record.space),
    "tenant_id": _tenant_ids,
    "tenant": _tenants,
    "tag": _tags,
    "description": _exact(lambda record: record.description),
    "description__ic": _text(lambda record: record.description),
}

prefix_filters: dict[str, Filter] = {
    **_COMMON,
    "q": _text(lambda record: f"{record.network} {record.description}"),
    "prefix": _prefixes,
    "within": _within(True),
    "within_include": _within(False),
    "contains": _contains,
    "mask_length": _mask_length(lambda have, want: have == want),
    "mask_length__gte": _mask_length(lambda have, want: have >= want),
    "mask_length__lte": _mask_length(lambda have, want: have <= want),
    "is_pool": _is_pool,
    "role_id": _role_ids,
    "role": _roles,
}

range_filters: dict[str, Filter] = {
    **_COMMON,
    "q": _text(lambda record: f"{record.span} {record.description}"),
    "start_address": _range_ends("start_address"),
    "end_address": _range_ends("end_address"),
    "contains": _contains,
    "parent": _parents,
    "role_id": _role_ids,
    "role": _roles,
}

address_filters: dict[str, Filter] = {
    **_COMMON,
    "q": _text(lambda record: f"{record.address} {record.dns_name} {record.description}"),
    "address": _addresses,
    "parent": _parents,
    "dns_name": _exact(lambda record: record.dns_name),
    "role": _address_roles,
}


def apply_filters(
    params: QueryParams, known: dict[str, Filter], catalog: Catalog, records: Iterable[Record]
) -> list[Record]:
    """The records that pass every filter of ``params``, in their order.

    Raises:
        InvalidInputError: an unknown filter, or a malformed value (naming the parameter).
    """
    predicates: list[Predicate] = []
    for name in dict.fromkeys(params.keys()):
        if name in PAGING_PARAMS:
            continue
        base, negate = (name[:-3], True) if name.endswith("__n") else (name, False)
        if base not in known:
            raise InvalidInputError(
                f"unknown filter {name!r}: known are {', '.join(sorted(known))}", field=name
            )
        values = [value for value in params.getlist(name) if value != ""]
        if not values:
            continue
        predicate = known[base](values, catalog)
        predicates.append((lambda test: lambda record: not test(record))(predicate) if negate else predicate)
    return [record for record in records if all(test(record) for test in predicates)]


def single_space(params: QueryParams, catalog: Catalog) -> str | None:
    """The one space a ``vrf_id`` filter names, so that only its objects are read at all."""
    values = params.getlist("vrf_id")
    if len(values) != 1:
        return None
    if values[0].lower() == "null":
        return GLOBAL_SPACE
    if values[0].isdigit() and int(values[0]) in catalog.spaces_by_id:
        return catalog.spaces_by_id[int(values[0])].name
    return None
