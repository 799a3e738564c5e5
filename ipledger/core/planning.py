"""Placing a cluster's networks in free space, each with the room to double it later.

A network of length /N is placed as the lower half of a free, aligned /(N-1); the upper half
stays free as its expansion reserve. Widening the network later is then a change of its prefix
length (/N to /(N-1)), never a renumbering of the nodes and pods inside it.

Placement is deterministic: the largest networks first (they are the hardest to fit), each in
the first of its pools that holds it, at the lowest address (first fit). What one placement
takes, reserve included, is no longer free for the next, so a plan never overlaps itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ipledger.core.addresses import IPNetwork, max_prefixlen, network_from_ints
from ipledger.core.allocation import FitPolicy, find_free_prefix
from ipledger.core.errors import ExhaustedError, InvalidInputError
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange

__all__ = ["BlockRequest", "Placement", "place_blocks", "place_with_reserve"]


@dataclass(frozen=True, slots=True)
class BlockRequest:
    """One network a plan needs: its role (pod, service, node, ...), family, length, and the
    pools it may be placed in, in order of preference (pools of the other family are skipped)."""

    role: str
    family: int
    prefixlen: int
    pools: tuple[IPNetwork, ...]
    reserve: bool = True


@dataclass(frozen=True, slots=True)
class Placement:
    role: str
    network: IPNetwork
    reserve: IPNetwork | None
    pool: IPNetwork


def place_with_reserve(free: IPSet, *, prefixlen: int) -> tuple[IPNetwork, IPNetwork] | None:
    """The lowest free aligned /(``prefixlen``-1) split into the network and its reserve, or None.

    Raises:
        InvalidInputError: ``prefixlen`` is 0 (a whole address space has no room to double) or
            out of bounds for the family.
    """
    if prefixlen == 0:
        raise InvalidInputError("a /0 cannot be doubled, so it cannot be given an expansion reserve")
    pair = find_free_prefix(free, prefixlen=prefixlen - 1, policy=FitPolicy.FIRST_FIT)
    if pair is None:
        return None
    first = int(pair.network_address)
    upper = first + (1 << (max_prefixlen(free.version) - prefixlen))
    return (
        network_from_ints(first, prefixlen, version=free.version),
        network_from_ints(upper, prefixlen, version=free.version),
    )


def place_blocks(
    requests: Sequence[BlockRequest], free_by_pool: Mapping[IPNetwork, IPSet]
) -> tuple[Placement, ...]:
    """Place every request (see the module docstring); the result is in the order of ``requests``.

    ``free_by_pool`` holds the free space of each pool (what the ledger leaves free in it).

    Raises:
        InvalidInputError: a request has no pool of its family, or a pool has no free space given.
        ExhaustedError: a request fits in none of its pools; the message names each pool tried
            and its largest free block, and nothing is placed.
    """
    free = dict(free_by_pool)
    placed: dict[int, Placement] = {}
    order = sorted(range(len(requests)), key=lambda index: (requests[index].prefixlen, index))
    for index in order:
        request = requests[index]
        placement = _place_one(request, free, _kept_for_others(request, requests))
        taken = placement.network if placement.reserve is None else placement.network.supernet()
        claimed = IPSet.of(request.family, [IPRange.from_network(taken)])
        # Pools may overlap (a service pool inside the pod pool): what one takes is gone from all.
        for pool, space in free.items():
            if pool.version == request.family:
                free[pool] = space.difference(claimed)
        placed[index] = placement
    return tuple(placed[index] for index in range(len(requests)))


def _kept_for_others(request: BlockRequest, requests: Sequence[BlockRequest]) -> IPSet:
    """The pools other requests of the family may use and this one has not been given."""
    own = set(request.pools)
    return IPSet.of(
        request.family,
        [
            IPRange.from_network(pool)
            for other in requests
            if other is not request
            for pool in other.pools
            if pool.version == request.family and pool not in own
        ],
    )


def _place_one(request: BlockRequest, free: Mapping[IPNetwork, IPSet], avoid: IPSet) -> Placement:
    """The first fit in the first pool that holds the request, keeping out of the pools other
    requests need while that is possible (a pod pool that contains the service pool, say)."""
    for space_of in (lambda pool: free[pool].difference(avoid), lambda pool: free[pool]):
        try:
            return _first_fit(request, free, space_of)
        except ExhaustedError:
            if avoid.is_empty():
                raise
    return _first_fit(request, free, lambda pool: free[pool])


def _first_fit(
    request: BlockRequest, free: Mapping[IPNetwork, IPSet], space_of: Callable[[IPNetwork], IPSet]
) -> Placement:
    pools = [pool for pool in request.pools if pool.version == request.family]
    if not pools:
        raise InvalidInputError(f"no IPv{request.family} pool given for the {request.role} network")
    reasons = []
    for pool in pools:
        if pool not in free:
            raise InvalidInputError(f"no free space given for pool {pool}")
        space = space_of(pool)
        if request.reserve:
            found = place_with_reserve(space, prefixlen=request.prefixlen)
            if found is not None:
                return Placement(request.role, found[0], found[1], pool)
            wanted = request.prefixlen - 1
        else:
            network = find_free_prefix(space, prefixlen=request.prefixlen, policy=FitPolicy.FIRST_FIT)
            if network is not None:
                return Placement(request.role, network, None, pool)
            wanted = request.prefixlen
        reasons.append(_why_not(pool, wanted, space))
    room = " with its expansion reserve" if request.reserve else ""
    raise ExhaustedError(
        f"the {request.role} network (/{request.prefixlen}{room}) fits in no pool: " + "; ".join(reasons)
    )


def _why_not(pool: IPNetwork, prefixlen: int, space: IPSet) -> str:
    if prefixlen < pool.prefixlen:
        return f"{pool} is smaller than a /{prefixlen}"
    lengths = [length for _, length in space.iter_blocks()]
    if not lengths:
        return f"{pool} has no free space left"
    return f"{pool} has no free /{prefixlen} (largest free block: /{min(lengths)})"
