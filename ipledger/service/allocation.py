"""Allocation: take the next free address or prefix for a holder, preview it, or list free space.

Each allocation runs in one transaction that first locks the parent (see ``locking``), reads the
parent's free blocks, asks the core where to place the request and records the result with the
same code path as a manual entry. A preview runs the very same transaction and rolls it back,
so what it shows is exactly what an allocation would take at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ipledger.core.addresses import IPAddress, IPNetwork, address_from_int, max_prefixlen, network_from_ints
from ipledger.core.allocation import (
    FitPolicy,
    describe_exhaustion,
    find_free_address,
    find_free_addresses,
    find_free_prefix,
    place_in_block,
    usable_span,
)
from ipledger.core.errors import ExhaustedError, InvalidInputError, LedgerError, NotFoundError
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import DEFAULT_THRESHOLDS
from ipledger.service import occupancy
from ipledger.service.addresses import AddressFields, insert_address
from ipledger.service.batching import Request
from ipledger.service.convert import address_record, names, prefix_record
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.locking import lock_chain
from ipledger.service.lookup import DEFAULT_SPACE, load_prefix, load_range, load_space
from ipledger.service.prefixes import insert_prefix
from ipledger.service.records import AddressRecord, PrefixRecord
from ipledger.store import free_space, queries
from ipledger.store.database import Session
from ipledger.store.free_space import Owner
from ipledger.store.models import Address, Prefix, Range, Space

__all__ = [
    "FreeSpace",
    "PrefixFields",
    "allocate_addresses",
    "allocate_addresses_each",
    "allocate_addresses_of",
    "allocate_prefixes",
    "allocate_prefixes_each",
    "list_free_addresses_of",
    "list_free_space",
    "list_free_space_of",
    "next_free_address",
    "next_free_prefix",
]

Parent = IPNetwork | IPRange
_Record = TypeVar("_Record")
_MAX_COUNT = 10_000


@dataclass(frozen=True, slots=True)
class PrefixFields:
    """What is recorded about each allocated prefix."""

    status: str = "active"
    role: str = "general"
    group: str | None = None
    managed_by: str = "manual"
    description: str = ""
    tags: tuple[str, ...] = ()
    is_pool: bool = False


@dataclass(frozen=True, slots=True)
class FreeSpace:
    """The free blocks of a prefix or range (the largest CIDRs covering what nothing takes)."""

    parent: str
    blocks: tuple[IPNetwork, ...]
    total_blocks: int
    free_addresses: int
    next_address: IPAddress | None = None
    preview: IPNetwork | None = None


class _Preview(Exception):
    """Raised to roll a preview's transaction back while keeping what it would have allocated."""

    def __init__(self, result: object) -> None:
        super().__init__("preview")
        self.result = result


@dataclass(frozen=True, slots=True)
class _Target:
    owner: Owner
    usable: IPRange | None
    label: str
    used: int
    total: int
    chain: list[Prefix] | None = None  # the prefixes around the target, when locked
    holder: Range | None = None  # the target itself when it is a range


def _target(session: Session, space: Space, parent: Parent, *, lock: bool) -> _Target:
    """The parent to allocate from; ``lock`` serialises writers on it (not needed to read)."""
    if isinstance(parent, IPRange):
        chain = lock_chain(session, space, parent) if lock else []
        item = load_range(session, space, parent)
        around = chain[-1] if chain else _innermost(session, space, parent)
        prefix_usable = usable_span(occupancy.network_of(around), is_pool=around.is_pool)
        usable = None if prefix_usable is None else _clip(parent, prefix_usable)
        return _Target(
            ("range", item.id), usable, f"range {parent}", item.used, item.size, chain if lock else None, item
        )
    locked = lock_chain(session, space, IPRange.from_network(parent)) if lock else None
    # A prefix contains itself, so a locked chain ends with it.
    found = locked[-1] if locked and locked[-1].prefixlen == parent.prefixlen else None
    prefix = load_prefix(session, space, parent) if found is None else found
    usable = usable_span(parent, is_pool=prefix.is_pool)
    return _Target(("prefix", prefix.id), usable, str(parent), prefix.used, prefix.usable, locked)


def _innermost(session: Session, space: Space, span: IPRange) -> Prefix:
    chain = queries.list_prefixes_containing(session, space.id, span)
    if not chain:
        raise NotFoundError(f"no prefix holds range {span} in space {space.name}")
    return chain[-1]


def _clip(span: IPRange, limit: IPRange) -> IPRange | None:
    first, last = max(span.first, limit.first), min(span.last, limit.last)
    return IPRange(span.version, first, last) if first <= last else None


def _next_free(session: Session, target: _Target) -> tuple[int, IPRange] | None:
    """The lowest free usable address of the target, with the free block it lies in."""
    if target.usable is None:
        return None
    block = free_space.find_block_for_address(
        session, target.owner, version=target.usable.version, at_least=target.usable.first
    )
    if block is None:
        return None
    value = max(block.first, target.usable.first)
    return (value, block) if value <= target.usable.last else None


def _next_value(session: Session, target: _Target) -> int | None:
    found = _next_free(session, target)
    return None if found is None else found[0]


def next_free_address(ledger: Ledger, parent: Parent, *, space: str = DEFAULT_SPACE) -> IPAddress | None:
    """The address an allocation from ``parent`` would take now, or None when it is full."""
    with ledger.reading() as session:
        if isinstance(parent, IPRange):
            target = _target(session, load_space(session, space), parent, lock=False)
        else:
            target = _prefix_target(session, space, parent)
        value = _next_value(session, target)
        return None if value is None else address_from_int(value, version=parent.version)


def _prefix_target(session: Session, space: str, parent: IPNetwork) -> _Target:
    """The allocation target of a prefix, read with one query (the hot path of address requests)."""
    found = queries.find_prefix_key(session, space, IPRange.from_network(parent))
    if found is None:
        load_prefix(session, load_space(session, space), parent)  # raises the precise NotFoundError
        raise NotFoundError(f"no prefix {parent} in space {space}")
    key, is_pool = found
    return _Target(("prefix", key), usable_span(parent, is_pool=is_pool), str(parent), 0, 0)


def next_free_prefix(
    ledger: Ledger,
    parent: IPNetwork,
    *,
    prefixlen: int,
    space: str = DEFAULT_SPACE,
    policy: FitPolicy = FitPolicy.FIRST_FIT,
) -> IPNetwork | None:
    """The block an allocation of a /``prefixlen`` from ``parent`` would take now, or None."""
    _check_length(parent, prefixlen)
    with ledger.reading() as session:
        owner = _prefix_target(session, space, parent).owner
        block = free_space.find_block_for_prefix(session, owner, prefixlen=prefixlen, policy=policy)
        if block is None:
            return None
        return place_in_block(*block, prefixlen=prefixlen, version=parent.version, policy=policy)


def allocate_addresses(
    ledger: Ledger,
    parent: Parent,
    *,
    actor: Actor,
    space: str = DEFAULT_SPACE,
    count: int = 1,
    fields: AddressFields = AddressFields(),
    preview: bool = False,
) -> list[AddressRecord]:
    """Take the ``count`` lowest free usable addresses of a prefix or range for one holder.

    Raises:
        ExhaustedError: fewer than ``count`` addresses are free; nothing is taken.
        NotFoundError: the parent is not recorded.
    """
    _check_count(count)

    def take(tx: Transaction) -> list[AddressRecord]:
        space_row = load_space(tx.session, space)
        target = _target(tx.session, space_row, parent, lock=True)
        return _take_addresses(tx, space_row, target, count, fields)

    return _run(ledger, actor, preview, take)


def allocate_addresses_of(
    ledger: Ledger,
    *,
    actor: Actor,
    prefix_id: int | None = None,
    range_id: int | None = None,
    count: int = 1,
    fields: AddressFields = AddressFields(),
) -> list[AddressRecord]:
    """:func:`allocate_addresses` from the prefix or range with this id.

    Concurrent requests for the same parent are served together, each in its own savepoint of
    one transaction (see ``batching``): the answers are the same as one by one, only cheaper.
    """
    _check_count(count)
    request = _AddressRequest(actor, count, fields)
    key = ("prefix", prefix_id) if prefix_id is not None else ("range", range_id)
    result: list[AddressRecord] = ledger.batches.submit(
        key, request, lambda batch: _serve_addresses(ledger, prefix_id, range_id, batch)
    )
    return result


@dataclass(frozen=True, slots=True)
class _AddressRequest:
    actor: Actor
    count: int
    fields: AddressFields


def _serve_addresses(
    ledger: Ledger, prefix_id: int | None, range_id: int | None, batch: list[Request[list[AddressRecord]]]
) -> None:
    """Serve the batch in one transaction; when a request of it fails, serve it again with each
    request in its own savepoint, so that only the failed one is refused.

    Failures are rare (an exhausted prefix, an unknown group), and a savepoint with the flushes
    around it costs about as much as the allocation itself, so the first try goes without them.
    """
    try:
        with ledger.transaction(batch[0].payload.actor) as tx:
            space_row, target = _locked_target(tx, prefix_id, range_id)
            for item in batch:
                wanted: _AddressRequest = item.payload
                tx.act_as(wanted.actor)
                item.result = _take_addresses(tx, space_row, target, wanted.count, wanted.fields)
        return
    except LedgerError:
        if len(batch) == 1:
            raise
    for item in batch:
        item.result = None
    with ledger.transaction(batch[0].payload.actor) as tx:
        space_row, target = _locked_target(tx, prefix_id, range_id)
        for item in batch:
            wanted = item.payload
            tx.act_as(wanted.actor)
            try:
                with tx.savepoint():
                    item.result = _take_addresses(tx, space_row, target, wanted.count, wanted.fields)
            except LedgerError as error:
                item.error = error


def _locked_target(tx: Transaction, prefix_id: int | None, range_id: int | None) -> tuple[Space, _Target]:
    space_id, parent = _parent_by_id(tx.session, prefix_id, range_id)
    space_row = tx.session.get(Space, space_id)
    assert space_row is not None  # a foreign key keeps it
    return space_row, _target(tx.session, space_row, parent, lock=True)


def _parent_by_id(session: Session, prefix_id: int | None, range_id: int | None) -> tuple[int, Parent]:
    if prefix_id is not None:
        prefix = session.get(Prefix, prefix_id)
        if prefix is None:
            raise NotFoundError(f"no prefix with id {prefix_id}")
        return prefix.space_id, occupancy.network_of(prefix)
    item = None if range_id is None else session.get(Range, range_id)
    if item is None:
        raise NotFoundError(f"no range with id {range_id}")
    return item.space_id, occupancy.span_of_range(item)


def _run(
    ledger: Ledger, actor: Actor, preview: bool, take: Callable[[Transaction], list[_Record]]
) -> list[_Record]:
    """Run ``take`` in one transaction; a preview rolls it back and returns what it took."""
    try:
        with ledger.transaction(actor) as tx:
            records = take(tx)
            if preview:
                raise _Preview(records)
            return records
    except _Preview as rolled_back:
        result: list[_Record] = rolled_back.result  # type: ignore[assignment]
        return result


def _take_addresses(
    tx: Transaction, space_row: Space, target: _Target, count: int, fields: AddressFields
) -> list[AddressRecord]:
    taken: list[Address] = []
    for _ in range(count):
        found = _next_free(tx.session, target)
        if found is None:
            raise ExhaustedError(
                f"no free address left in {target.label}: {target.total} usable, "
                f"{len(taken)} of {count} requested could be given"
            )
        address = address_from_int(found[0], version=found[1].version)
        placement = (found[1], target.holder)
        taken.append(insert_address(tx, space_row, address, fields, chain=target.chain, free_block=placement))
    lookup = names(tx.session)
    return [address_record(row, lookup) for row in taken]


def allocate_prefixes(
    ledger: Ledger,
    parent: IPNetwork,
    *,
    actor: Actor,
    prefixlen: int,
    space: str = DEFAULT_SPACE,
    count: int = 1,
    policy: FitPolicy = FitPolicy.FIRST_FIT,
    fields: PrefixFields = PrefixFields(),
    preview: bool = False,
) -> list[PrefixRecord]:
    """Take ``count`` aligned /``prefixlen`` blocks from ``parent`` under ``policy``.

    A block is only ever taken from free space: never one that holds a prefix, range or address.

    Raises:
        InvalidInputError: the length is out of bounds or not longer than the parent's.
        ExhaustedError: fewer than ``count`` blocks fit; nothing is taken. The message says how
            full the parent is and the largest block still free.
    """
    _check_count(count)
    _check_length(parent, prefixlen)

    def take(tx: Transaction) -> list[PrefixRecord]:
        session = tx.session
        space_row = load_space(session, space)
        lock_chain(session, space_row, IPRange.from_network(parent))
        owner: Owner = ("prefix", load_prefix(session, space_row, parent).id)
        taken: list[Prefix] = []
        for _ in range(count):
            block = free_space.find_block_for_prefix(session, owner, prefixlen=prefixlen, policy=policy)
            if block is None:
                blocks = free_space.list_blocks(session, owner, version=parent.version).iter_blocks()
                raise ExhaustedError(describe_exhaustion(parent, prefixlen=prefixlen, free_blocks=blocks))
            network = place_in_block(*block, prefixlen=prefixlen, version=parent.version, policy=policy)
            taken.append(_insert_allocated(tx, space_row, network, fields))
        lookup = names(session)
        return [prefix_record(row, lookup) for row in taken]

    return _run(ledger, actor, preview, take)


def list_free_space(
    ledger: Ledger,
    parent: Parent,
    *,
    space: str = DEFAULT_SPACE,
    limit: int | None = None,
    offset: int = 0,
    prefixlen: int | None = None,
    policy: FitPolicy = FitPolicy.FIRST_FIT,
) -> FreeSpace:
    """The largest CIDR blocks that cover the free space of a prefix or range, lowest first, the
    address an allocation would take now and, given ``prefixlen``, the block a request for that
    length would get: all read at one moment."""
    if prefixlen is not None and isinstance(parent, IPRange):
        raise InvalidInputError(f"range {parent} hands out addresses, not prefixes")
    if prefixlen is not None and not isinstance(parent, IPRange):
        _check_length(parent, prefixlen)
    with ledger.reading() as session:
        return _free_space(
            session, parent, space, limit=limit, offset=offset, prefixlen=prefixlen, policy=policy
        )


def list_free_space_of(
    ledger: Ledger,
    *,
    prefix_id: int | None = None,
    range_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    prefixlen: int | None = None,
    policy: FitPolicy = FitPolicy.FIRST_FIT,
) -> FreeSpace:
    """:func:`list_free_space` of the prefix or range with this id, in one read."""
    with ledger.reading() as session:
        if prefix_id is not None:
            prefix = session.get(Prefix, prefix_id)
            if prefix is None:
                raise NotFoundError(f"no prefix with id {prefix_id}")
            parent: Parent = occupancy.network_of(prefix)
            space_id = prefix.space_id
        else:
            item = None if range_id is None else session.get(Range, range_id)
            if item is None:
                raise NotFoundError(f"no range with id {range_id}")
            parent, space_id = occupancy.span_of_range(item), item.space_id
        space = names(session).space(space_id)
        if prefixlen is not None and not isinstance(parent, IPRange):
            _check_length(parent, prefixlen)
        return _free_space(
            session, parent, space, limit=limit, offset=offset, prefixlen=prefixlen, policy=policy
        )


def _free_space(
    session: Session,
    parent: Parent,
    space: str,
    *,
    limit: int | None,
    offset: int,
    prefixlen: int | None,
    policy: FitPolicy,
) -> FreeSpace:
    if isinstance(parent, IPRange):
        target = _target(session, load_space(session, space), parent, lock=False)
    else:
        target = _prefix_target(session, space, parent)
    free = free_space.list_blocks(session, target.owner, version=parent.version)
    blocks = list(free.iter_blocks())
    end = None if limit is None else offset + limit
    shown = tuple(
        network_from_ints(first, length, version=parent.version) for first, length in blocks[offset:end]
    )
    value = find_free_address(free, usable=target.usable)
    preview = None if prefixlen is None else find_free_prefix(free, prefixlen=prefixlen, policy=policy)
    return FreeSpace(
        target.label,
        shown,
        len(blocks),
        free.num_addresses,
        None if value is None else address_from_int(value, version=parent.version),
        preview,
    )


def list_free_addresses_of(
    ledger: Ledger, *, prefix_id: int | None = None, range_id: int | None = None, count: int
) -> tuple[str, list[IPAddress]]:
    """The space and the ``count`` lowest free usable addresses of the prefix or range with this
    id: what allocations from it would take next, in order."""
    with ledger.reading() as session:
        space_id, parent = _parent_by_id(session, prefix_id, range_id)
        space = names(session).space(space_id)
        if isinstance(parent, IPRange):
            target = _target(session, load_space(session, space), parent, lock=False)
        else:
            target = _prefix_target(session, space, parent)
        free = free_space.list_blocks(session, target.owner, version=parent.version)
        values = find_free_addresses(free, usable=target.usable, count=count)
        return space, [address_from_int(value, version=parent.version) for value in values]


def allocate_addresses_each(
    ledger: Ledger,
    *,
    actor: Actor,
    prefix_id: int | None = None,
    range_id: int | None = None,
    fields: Sequence[AddressFields],
) -> list[AddressRecord]:
    """One address for each entry of ``fields``, lowest first, all in one transaction.

    Raises:
        ExhaustedError: fewer addresses are free than asked for; nothing is taken.
    """
    _check_count(len(fields))
    with ledger.transaction(actor) as tx:
        space_id, parent = _parent_by_id(tx.session, prefix_id, range_id)
        space_row = tx.session.get(Space, space_id)
        assert space_row is not None  # a foreign key keeps it
        target = _target(tx.session, space_row, parent, lock=True)
        taken: list[AddressRecord] = []
        for index, wanted in enumerate(fields):
            try:
                taken.extend(_take_addresses(tx, space_row, target, 1, wanted))
            except ExhaustedError as exc:
                raise ExhaustedError(f"{exc} ({index} of {len(fields)} could be given)") from exc
        return taken


def allocate_prefixes_each(
    ledger: Ledger, *, actor: Actor, prefix_id: int, requests: Sequence[tuple[int, PrefixFields]]
) -> list[PrefixRecord]:
    """One block for each ``(prefixlen, fields)`` of ``requests``, first fit, in one transaction.

    Raises:
        InvalidInputError: a length is out of bounds for the parent.
        ExhaustedError: a block does not fit; nothing is taken.
    """
    _check_count(len(requests))
    with ledger.transaction(actor) as tx:
        session = tx.session
        space_id, parent = _parent_by_id(session, prefix_id, None)
        assert not isinstance(parent, IPRange)
        space_row = session.get(Space, space_id)
        assert space_row is not None  # a foreign key keeps it
        lock_chain(session, space_row, IPRange.from_network(parent))
        owner: Owner = ("prefix", prefix_id)
        taken: list[Prefix] = []
        for prefixlen, fields in requests:
            _check_length(parent, prefixlen)
            block = free_space.find_block_for_prefix(
                session, owner, prefixlen=prefixlen, policy=FitPolicy.FIRST_FIT
            )
            if block is None:
                blocks = free_space.list_blocks(session, owner, version=parent.version).iter_blocks()
                raise ExhaustedError(describe_exhaustion(parent, prefixlen=prefixlen, free_blocks=blocks))
            network = place_in_block(
                *block, prefixlen=prefixlen, version=parent.version, policy=FitPolicy.FIRST_FIT
            )
            taken.append(_insert_allocated(tx, space_row, network, fields))
        lookup = names(session)
        return [prefix_record(row, lookup) for row in taken]


def _insert_allocated(tx: Transaction, space_row: Space, network: IPNetwork, fields: PrefixFields) -> Prefix:
    return insert_prefix(
        tx,
        space_row,
        network,
        status=fields.status,
        role=fields.role,
        group=fields.group,
        managed_by=fields.managed_by,
        description=fields.description,
        tags=fields.tags,
        is_pool=fields.is_pool,
        thresholds=DEFAULT_THRESHOLDS,
        unit_prefixlen=None,
    )


def _check_length(parent: IPNetwork, prefixlen: int) -> None:
    bits = max_prefixlen(parent.version)
    if not parent.prefixlen < prefixlen <= bits:
        raise InvalidInputError(
            f"a /{prefixlen} cannot be allocated inside {parent}: "
            f"ask for a length from /{parent.prefixlen + 1} to /{bits}"
        )


def _check_count(count: int) -> None:
    if not 1 <= count <= _MAX_COUNT:
        raise InvalidInputError(f"count must be from 1 to {_MAX_COUNT}, not {count}")
