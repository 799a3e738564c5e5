"""The free-block table: reading and replacing the largest CIDR blocks free in a prefix or range.

Each owner's free space is stored as its canonical CIDR cover, so the next free address is the
lowest block at or after the first usable address, and the next free prefix under any policy is
one indexed query: first fit takes the lowest block of at most the asked length, best fit the
longest such block, last fit the highest. The service computes what changes with the core and
hands the results here.

No ORM object of this table ever exists, so every statement runs as Core on the session's
connection: the session's autoflush and delete synchronisation would be pure cost (they were a
third of the time of an allocation).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import CursorResult, Executable, bindparam, delete, func, select
from sqlalchemy.orm import Session

from ipledger.core.addresses import max_prefixlen
from ipledger.core.allocation import FitPolicy
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange
from ipledger.store.bulk_insert import insert_columns
from ipledger.store.models import FreeBlock

__all__ = [
    "Owner",
    "delete_blocks",
    "find_block_for_address",
    "find_block_for_prefix",
    "insert_blocks",
    "insert_many",
    "largest_free_prefixlen",
    "list_blocks",
    "list_blocks_overlapping",
    "list_run_after",
    "list_run_before",
]

Owner = tuple[str, int]
Block = tuple[int, int]  # (first, prefixlen)


# The statements of every allocation are built once: composing one costs more than running it.
_OWNED = (FreeBlock.owner_kind == bindparam("kind"), FreeBlock.owner_id == bindparam("key"))
_BLOCK_FOR_ADDRESS = (
    select(FreeBlock.first, FreeBlock.last)
    .where(*_OWNED, FreeBlock.last >= bindparam("at_least"))
    .order_by(FreeBlock.first)
    .limit(1)
)
_DELETE_BLOCKS_AT = delete(FreeBlock).where(*_OWNED, FreeBlock.first.in_(bindparam("firsts", expanding=True)))


def _run(
    session: Session, statement: Executable, parameters: dict[str, Any] | None = None
) -> CursorResult[Any]:
    return session.connection().execute(statement, parameters)


def _owned(owner: Owner):  # type: ignore[no-untyped-def]
    return (FreeBlock.owner_kind == owner[0], FreeBlock.owner_id == owner[1])


def list_blocks(session: Session, owner: Owner, *, version: int) -> IPSet:
    rows = _run(
        session, select(FreeBlock.first, FreeBlock.last).where(*_owned(owner)).order_by(FreeBlock.first)
    ).all()
    return IPSet.of(version, (IPRange(version, row.first, row.last) for row in rows))


def list_blocks_overlapping(session: Session, owner: Owner, span: IPRange) -> list[IPRange]:
    """The owner's free blocks that share an address with ``span``, ascending."""
    blocks = []
    before = _run(
        session,
        select(FreeBlock.first, FreeBlock.last)
        .where(*_owned(owner), FreeBlock.first < span.first)
        .order_by(FreeBlock.first.desc())
        .limit(1),
    ).first()
    if before is not None and before.last >= span.first:
        blocks.append(IPRange(span.version, before.first, before.last))
    rows = _run(
        session,
        select(FreeBlock.first, FreeBlock.last)
        .where(*_owned(owner), FreeBlock.first >= span.first, FreeBlock.first <= span.last)
        .order_by(FreeBlock.first),
    ).all()
    blocks.extend(IPRange(span.version, row.first, row.last) for row in rows)
    return blocks


def list_run_before(session: Session, owner: Owner, *, version: int, end: int) -> list[IPRange]:
    """The owner's blocks that run without a gap up to the address just below ``end``."""
    # A maximal free span is covered by at most two blocks of each length, so this many suffice.
    rows = _run(
        session,
        select(FreeBlock.first, FreeBlock.last)
        .where(*_owned(owner), FreeBlock.first < end)
        .order_by(FreeBlock.first.desc())
        .limit(2 * max_prefixlen(version) + 2),
    ).all()
    run: list[IPRange] = []
    expected_last = end - 1
    for row in rows:
        if row.last != expected_last:
            break
        run.append(IPRange(version, row.first, row.last))
        expected_last = row.first - 1
    return run[::-1]


def list_run_after(session: Session, owner: Owner, *, version: int, start: int) -> list[IPRange]:
    """The owner's blocks that run without a gap from the address just above ``start``."""
    rows = _run(
        session,
        select(FreeBlock.first, FreeBlock.last)
        .where(*_owned(owner), FreeBlock.first > start)
        .order_by(FreeBlock.first)
        .limit(2 * max_prefixlen(version) + 2),
    ).all()
    run: list[IPRange] = []
    expected_first = start + 1
    for row in rows:
        if row.first != expected_first:
            break
        run.append(IPRange(version, row.first, row.last))
        expected_first = row.last + 1
    return run


def delete_blocks(session: Session, owner: Owner, firsts: Iterable[int] | None = None) -> None:
    """Delete the owner's blocks starting at ``firsts``, or all of them when ``firsts`` is None."""
    if firsts is None:
        _run(session, delete(FreeBlock).where(*_owned(owner)))
        return
    values = list(firsts)
    if values:
        _run(session, _DELETE_BLOCKS_AT, {"kind": owner[0], "key": owner[1], "firsts": values})


def insert_blocks(session: Session, owner: Owner, free: IPSet) -> None:
    """Store the canonical CIDR cover of ``free`` as the owner's blocks (none stored for it yet)."""
    insert_many(session, {owner: free})


def insert_many(session: Session, free_by_owner: dict[Owner, IPSet]) -> None:
    """:func:`insert_blocks` for many owners in one batch."""
    kinds: list[str] = []
    keys: list[int] = []
    firsts: list[int] = []
    lasts: list[int] = []
    lengths: list[int] = []
    for (kind, key), free in free_by_owner.items():
        bits = max_prefixlen(free.version)
        for first, length in free.iter_blocks():
            kinds.append(kind)
            keys.append(key)
            firsts.append(first)
            lasts.append(first + (1 << (bits - length)) - 1)
            lengths.append(length)
    insert_columns(
        session,
        FreeBlock,
        {"owner_kind": kinds, "owner_id": keys, "first": firsts, "last": lasts, "prefixlen": lengths},
    )


def find_block_for_address(session: Session, owner: Owner, *, version: int, at_least: int) -> IPRange | None:
    """The lowest free block holding an address at or above ``at_least``."""
    row = _run(session, _BLOCK_FOR_ADDRESS, {"kind": owner[0], "key": owner[1], "at_least": at_least}).first()
    return None if row is None else IPRange(version, row.first, row.last)


def find_block_for_prefix(
    session: Session, owner: Owner, *, prefixlen: int, policy: FitPolicy
) -> Block | None:
    """The free block that ``policy`` places a /``prefixlen`` in, as ``(first, prefixlen)``."""
    query = select(FreeBlock.first, FreeBlock.prefixlen).where(
        *_owned(owner), FreeBlock.prefixlen <= prefixlen
    )
    if policy is FitPolicy.BEST_FIT:
        query = query.order_by(FreeBlock.prefixlen.desc(), FreeBlock.first)
    elif policy is FitPolicy.LAST_FIT:
        query = query.order_by(FreeBlock.first.desc())
    else:
        query = query.order_by(FreeBlock.first)
    row = _run(session, query.limit(1)).first()
    return None if row is None else (row.first, row.prefixlen)


def largest_free_prefixlen(session: Session, owner: Owner) -> int | None:
    return _run(session, select(func.min(FreeBlock.prefixlen)).where(*_owned(owner))).scalar()
