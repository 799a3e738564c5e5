"""Finding objects by id, and searching ranges and addresses with filters and paging."""

from __future__ import annotations

from dataclasses import dataclass

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.ranges import IPRange
from ipledger.core.vocabulary import HolderKind, Status, parse_choice
from ipledger.service.convert import (
    address_record,
    group_record,
    names,
    prefix_record,
    range_record,
    space_record,
)
from ipledger.service.ledger import Ledger
from ipledger.service.lookup import group_ids, load_space, require_role
from ipledger.service.records import AddressRecord, GroupRecord, PrefixRecord, RangeRecord, SpaceRecord
from ipledger.store import listing
from ipledger.store.database import Session
from ipledger.store.models import Address, Group, Prefix, Range, Space

__all__ = [
    "AddressFilter",
    "RangeFilter",
    "get_address",
    "get_group",
    "get_prefix",
    "get_range",
    "get_space",
    "search_addresses",
    "search_ranges",
]


@dataclass(frozen=True, slots=True)
class RangeFilter:
    space: str | None = None
    group: str | None = None
    include_descendant_groups: bool = True
    role: str | None = None
    status: str | None = None
    tag: str | None = None
    family: int | None = None
    contains: IPAddress | None = None
    within: IPNetwork | None = None
    text: str | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class AddressFilter:
    space: str | None = None
    group: str | None = None
    include_descendant_groups: bool = True
    status: str | None = None
    holder_kind: str | None = None
    tag: str | None = None
    family: int | None = None
    within: IPNetwork | None = None
    text: str | None = None
    sort: str = "address"  # address, -address, holder, status, updated
    limit: int | None = None
    offset: int = 0


def _get(
    session: Session, model: type[Space | Group | Prefix | Range | Address], key: int, word: str
) -> object:
    found = session.get(model, key)
    if found is None:
        raise NotFoundError(f"no {word} with id {key}")
    return found


def get_space(ledger: Ledger, key: int) -> SpaceRecord:
    with ledger.reading() as session:
        found = _get(session, Space, key, "space")
        assert isinstance(found, Space)
        return space_record(found)


def get_group(ledger: Ledger, key: int) -> GroupRecord:
    with ledger.reading() as session:
        found = _get(session, Group, key, "group")
        assert isinstance(found, Group)
        return group_record(found)


def get_prefix(ledger: Ledger, key: int) -> PrefixRecord:
    with ledger.reading() as session:
        found = _get(session, Prefix, key, "prefix")
        assert isinstance(found, Prefix)
        return prefix_record(found, names(session))


def get_range(ledger: Ledger, key: int) -> RangeRecord:
    with ledger.reading() as session:
        found = _get(session, Range, key, "range")
        assert isinstance(found, Range)
        return range_record(found, names(session))


def get_address(ledger: Ledger, key: int) -> AddressRecord:
    with ledger.reading() as session:
        found = _get(session, Address, key, "address")
        assert isinstance(found, Address)
        return address_record(found, names(session))


def search_ranges(ledger: Ledger, criteria: RangeFilter) -> tuple[list[RangeRecord], int]:
    """Ranges that match, by space and start, with the total before paging."""
    with ledger.reading() as session:
        query = listing.RangeQuery(
            space_id=None if criteria.space is None else load_space(session, criteria.space).id,
            group_ids=group_ids(session, criteria.group, descendants=criteria.include_descendant_groups),
            role=None if criteria.role is None else require_role(session, criteria.role),
            status=None
            if criteria.status is None
            else parse_choice(Status, criteria.status, what="status").value,
            tag=criteria.tag,
            family=criteria.family,
            contains=None
            if criteria.contains is None
            else (criteria.contains.version, int(criteria.contains)),
            within=None if criteria.within is None else IPRange.from_network(criteria.within),
            text=criteria.text,
            limit=criteria.limit,
            offset=criteria.offset,
        )
        rows, total = listing.search_ranges(session, query)
        lookup = names(session).prefetch_groups(row.group_id for row in rows)
        return [range_record(row, lookup) for row in rows], total


def search_addresses(ledger: Ledger, criteria: AddressFilter) -> tuple[list[AddressRecord], int]:
    """Addresses that match, in the asked order (by space and value), with the total before paging."""
    if criteria.sort not in listing.ADDRESS_SORTS:
        raise InvalidInputError(
            f"unknown sort {criteria.sort!r}: expected one of {', '.join(listing.ADDRESS_SORTS)}"
        )
    with ledger.reading() as session:
        kind = criteria.holder_kind
        query = listing.AddressQuery(
            space_id=None if criteria.space is None else load_space(session, criteria.space).id,
            group_ids=group_ids(session, criteria.group, descendants=criteria.include_descendant_groups),
            status=None
            if criteria.status is None
            else parse_choice(Status, criteria.status, what="status").value,
            holder_kind=None if kind is None else parse_choice(HolderKind, kind, what="holder kind").value,
            tag=criteria.tag,
            family=criteria.family,
            within=None if criteria.within is None else IPRange.from_network(criteria.within),
            text=criteria.text,
            sort=criteria.sort,
            limit=criteria.limit,
            offset=criteria.offset,
        )
        rows, total = listing.search_addresses(session, query)
        lookup = names(session).prefetch_groups(row.group_id for row in rows)
        return [address_record(row, lookup) for row in rows], total
