"""Widening a prefix in place into the empty block beside it: a cluster growing into its reserve.

The prefix keeps its row and id, and with them its fields, its utilization history and its
findings; only its bounds and length change, in one ``update`` entry of the audit log. What it
holds stays in it: nesting is derived from containment, so its children, ranges and addresses
need no new parent. The rest of the wider block must hold nothing but the expansion reserve
recorded there for the prefix, which is removed. Free space and counters move by exactly what
changes: the rest joins the prefix's free space, and the prefix around them loses it unless the
reserve had taken it already. ``ipledger check`` recounts all of it from the objects.
"""

from __future__ import annotations

from ipledger.core.addresses import IPNetwork
from ipledger.core.allocation import usable_span
from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange
from ipledger.service import occupancy
from ipledger.service.cluster_space import cluster_of, describe_claim, find_claims_around
from ipledger.service.convert import names, snapshot
from ipledger.service.ledger import Transaction
from ipledger.service.locking import lock_chain, lock_within
from ipledger.service.lookup import load_prefix
from ipledger.service.watch import forget_subject, relabel_subject
from ipledger.store import free_space, queries
from ipledger.store.database import Session
from ipledger.store.models import Prefix, Space

__all__ = ["widen_prefix"]


def widen_prefix(tx: Transaction, space: Space, network: IPNetwork, wider: IPNetwork) -> Prefix:
    """Widen the prefix ``network`` to ``wider``, which contains it, inside an open transaction.

    Raises:
        InvalidInputError: ``wider`` is not a shorter prefix around ``network``.
        NotFoundError: ``network`` is not recorded in the space.
        ConflictError: ``wider`` is recorded already, lies in another cluster's network or
            reserve, or the rest of it holds anything but the prefix's empty reserve.
    """
    if (
        wider.version != network.version
        or wider.prefixlen >= network.prefixlen
        or not (IPRange.from_network(wider).contains(IPRange.from_network(network)))
    ):
        raise InvalidInputError(
            f"{wider} is not a shorter prefix around {network}: it cannot be widened to it"
        )
    session = tx.session
    span = IPRange.from_network(wider)
    chain = lock_chain(session, space, span)
    lock_within(session, space, span)
    prefix = load_prefix(session, space, network)
    if chain and chain[-1].prefixlen == wider.prefixlen:
        raise ConflictError(
            f"{network} cannot widen to {wider}: {describe_claim(chain[-1])} is recorded there"
        )
    claims = find_claims_around(session, space.id, span, apart_from=cluster_of(prefix.managed_by))
    if claims:
        raise ConflictError(f"{network} cannot widen to {wider}: it would lie in {describe_claim(claims[0])}")
    rest = IPSet.of(span.version, [span]).difference(IPSet.of(span.version, [IPRange.from_network(network)]))
    reserves = _reserves_in(session, space, prefix, rest)
    _remove_reserves(tx, space, reserves)
    loose = rest.difference(IPSet.of(span.version, [occupancy.span_of_prefix(item) for item in reserves]))
    owner = chain[-1] if chain else None
    if owner is not None and not loose.is_empty():
        for block in loose:
            occupancy.take_span(session, ("prefix", owner.id), block, None, space_id=space.id)
        owner.covered += loose.num_addresses
        occupancy.refresh_level(owner)
    _join_free_space(session, prefix, network, rest)
    before = snapshot(prefix, names(session))
    prefix.first, prefix.last, prefix.prefixlen = span.first, span.last, wider.prefixlen
    usable = usable_span(wider, is_pool=prefix.is_pool)
    prefix.usable = 0 if usable is None else usable.num_addresses
    occupancy.store_usage(prefix, occupancy.measure_one(session, prefix))
    prefix.updated_at = tx.now
    prefix.version += 1
    session.flush()
    relabel_subject(tx, "prefix", prefix.id, str(wider))
    tx.record(
        "update",
        "prefix",
        prefix.id,
        f"{wider} ({space.name})",
        before=before,
        after=snapshot(prefix, names(session)),
    )
    return prefix


def _reserves_in(session: Session, space: Space, prefix: Prefix, rest: IPSet) -> list[Prefix]:
    """The prefix's expansion reserves in ``rest``; anything else recorded there is a conflict."""
    reserves = []
    for block in rest:
        shown = ", ".join(str(network) for network in block.to_networks())
        for item in queries.list_prefixes_within(session, space.id, block):
            if item.role != "expansion-reserve" or item.managed_by != prefix.managed_by:
                raise ConflictError(f"{shown} is no longer empty: it now holds {describe_claim(item)}")
            reserves.append(item)
        ranges = queries.list_ranges_overlapping(session, space.id, block)
        if ranges:
            raise ConflictError(f"{shown} is no longer empty: it now holds {describe_claim(ranges[0])}")
        addresses = queries.count_addresses_within(session, space.id, block)
        if addresses:
            raise ConflictError(f"{shown} is no longer empty: it now holds {addresses} address(es)")
    return reserves


def _remove_reserves(tx: Transaction, space: Space, reserves: list[Prefix]) -> None:
    """Delete the reserves: the widened prefix takes their place in the prefix around them, so
    that prefix's free space and counters stay as they are."""
    for item in reserves:
        label = f"{occupancy.network_of(item)} ({space.name})"
        tx.record("delete", "prefix", item.id, label, before=snapshot(item, names(tx.session)))
        free_space.delete_blocks(tx.session, ("prefix", item.id))
        forget_subject(tx, "prefix", item.id)
        tx.session.delete(item)
    tx.session.flush()


def _join_free_space(session: Session, prefix: Prefix, network: IPNetwork, rest: IPSet) -> None:
    """Merge ``rest`` into the prefix's free space, with the prefix's free blocks that touch it."""
    owner = ("prefix", prefix.id)
    version = network.version
    first, last = int(network.network_address), int(network.broadcast_address)
    touching = []
    if any(block.first > last for block in rest):
        touching += free_space.list_run_before(session, owner, version=version, end=last + 1)
    if any(block.last < first for block in rest):
        touching += free_space.list_run_after(session, owner, version=version, start=first - 1)
    free_space.delete_blocks(session, owner, sorted({block.first for block in touching}))
    free_space.insert_blocks(session, owner, rest.union(IPSet.of(version, touching)))
