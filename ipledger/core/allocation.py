"""Allocation: which addresses of a prefix are usable, and where the next address or block goes.

Everything works on free space held as merged spans or as the largest CIDR blocks covering it,
never address by address, so a /8 or an IPv6 /32 costs what a /24 costs. Functions named
``find_*`` return a value or ``None``; ``allocate_*`` return the result together with the new
free set, or raise ``ExhaustedError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from ipledger.core.addresses import IPNetwork, max_prefixlen, network_from_ints
from ipledger.core.errors import ExhaustedError, FamilyMismatchError, InvalidInputError
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange

__all__ = [
    "FitPolicy",
    "allocate_address",
    "allocate_prefix",
    "count_free_blocks",
    "describe_exhaustion",
    "find_free_address",
    "find_free_addresses",
    "find_free_prefix",
    "place_in_block",
    "usable_range",
    "usable_span",
]


class FitPolicy(StrEnum):
    """Where in the free space a new block goes.

    first-fit: the lowest aligned place. best-fit: inside the smallest free block that holds it,
    which keeps large blocks whole. last-fit: the highest aligned place. Ties go to the lowest
    address, so every policy is deterministic.
    """

    FIRST_FIT = "first-fit"
    BEST_FIT = "best-fit"
    LAST_FIT = "last-fit"


def usable_span(network: IPNetwork, *, is_pool: bool = False) -> IPRange | None:
    """The addresses of ``network`` that may be given to a host; ``None`` if there are none.

    The one place this rule lives:
    - IPv4 shorter than /31: the network and broadcast addresses are not usable.
    - IPv4 /31 (RFC 3021 point-to-point) and /32: every address is usable.
    - IPv6 shorter than /127: the first address is the subnet-router anycast address
      (RFC 4291 section 2.6.1), which routers answer on, so it is not handed out. There is no
      broadcast in IPv6, so the last address is usable. /127 (RFC 6164) and /128: all usable.
    - A prefix marked as a pool (e.g. a NAT or load-balancer pool) uses every address.
    """
    return usable_range(IPRange.from_network(network), prefixlen=network.prefixlen, is_pool=is_pool)


def usable_range(span: IPRange, *, prefixlen: int, is_pool: bool = False) -> IPRange | None:
    """:func:`usable_span` for a prefix given as its span and length, without building a network."""
    if is_pool or prefixlen >= max_prefixlen(span.version) - 1:
        return span
    if span.version == 4:
        return IPRange(4, span.first + 1, span.last - 1)
    return IPRange(6, span.first + 1, span.last)


def find_free_address(free: IPSet, *, usable: IPRange | None) -> int | None:
    """The lowest free address inside ``usable``, or ``None``.

    ``free`` may hold more than the usable span (e.g. the network address); it is clipped.
    """
    if usable is None or free.is_empty():
        return None
    candidates = free.intersection(IPSet.of(usable.version, [usable]))
    return None if candidates.is_empty() else candidates.spans[0][0]


def find_free_addresses(free: IPSet, *, usable: IPRange | None, count: int) -> list[int]:
    """The ``count`` lowest free addresses inside ``usable`` (fewer if fewer are free).

    Only the first spans are visited and each one only as far as ``count`` still needs, so the
    cost follows ``count``, never the size of the free space.
    """
    if usable is None or count < 1:
        return []
    found: list[int] = []
    for first, last in free.intersection(IPSet.of(usable.version, [usable])).spans:
        found.extend(range(first, min(last, first + count - len(found) - 1) + 1))
        if len(found) == count:
            break
    return found


def allocate_address(free: IPSet, *, usable: IPRange | None, parent: str) -> tuple[int, IPSet]:
    """Take the lowest free usable address; return it with the free set that remains.

    Raises:
        ExhaustedError: no usable address is free; the message names ``parent``.
    """
    value = find_free_address(free, usable=usable)
    if value is None:
        size = 0 if usable is None else usable.num_addresses
        raise ExhaustedError(f"no free address left in {parent}: {size} of {size} usable addresses used")
    return value, free.difference(IPSet(free.version, ((value, value),)))


def place_in_block(
    block_first: int, block_prefixlen: int, *, prefixlen: int, version: int, policy: FitPolicy
) -> IPNetwork:
    """The /``prefixlen`` that ``policy`` takes inside one free aligned block.

    Raises:
        InvalidInputError: the block is smaller than the requested length.
    """
    if block_prefixlen > prefixlen:
        raise InvalidInputError(f"a /{block_prefixlen} block cannot hold a /{prefixlen}")
    bits = max_prefixlen(version)
    first = block_first
    if policy is FitPolicy.LAST_FIT:
        first = block_first + (1 << (bits - block_prefixlen)) - (1 << (bits - prefixlen))
    return network_from_ints(first, prefixlen, version=version)


def find_free_prefix(free: IPSet, *, prefixlen: int, policy: FitPolicy) -> IPNetwork | None:
    """The aligned /``prefixlen`` that ``policy`` picks from ``free``, or ``None`` if none fits.

    Raises:
        InvalidInputError: ``prefixlen`` is out of bounds for the family.
    """
    _check_prefixlen(prefixlen, free.version)
    blocks = [block for block in free.iter_blocks() if block[1] <= prefixlen]
    if not blocks:
        return None
    if policy is FitPolicy.BEST_FIT:
        chosen = min(blocks, key=lambda block: (-block[1], block[0]))
    elif policy is FitPolicy.LAST_FIT:
        chosen = blocks[-1]
    else:
        chosen = blocks[0]
    return place_in_block(*chosen, prefixlen=prefixlen, version=free.version, policy=policy)


def allocate_prefix(
    free: IPSet, *, parent: IPNetwork, prefixlen: int, policy: FitPolicy = FitPolicy.FIRST_FIT
) -> tuple[IPNetwork, IPSet]:
    """Take a /``prefixlen`` from ``free`` (the free space of ``parent``).

    Raises:
        InvalidInputError: the length is out of bounds or not longer than the parent's.
        ExhaustedError: no aligned block of that length is free.
    """
    if free.version != parent.version:
        raise FamilyMismatchError(
            f"free space of IPv{free.version} given for IPv{parent.version} parent {parent}"
        )
    if prefixlen < parent.prefixlen:
        raise InvalidInputError(f"a /{prefixlen} cannot fit inside {parent}")
    network = find_free_prefix(free, prefixlen=prefixlen, policy=policy)
    if network is None:
        raise ExhaustedError(describe_exhaustion(parent, prefixlen=prefixlen, free_blocks=free.iter_blocks()))
    return network, free.difference(IPSet.of(free.version, [IPRange.from_network(network)]))


def count_free_blocks(free_blocks: Iterable[tuple[int, int]], *, prefixlen: int) -> int:
    """How many aligned /``prefixlen`` blocks fit in the free CIDR blocks ``(first, prefixlen)``."""
    return sum(1 << (prefixlen - length) for _, length in free_blocks if length <= prefixlen)


def describe_exhaustion(parent: IPNetwork, *, prefixlen: int, free_blocks: Iterable[tuple[int, int]]) -> str:
    """The message for a full parent, e.g. ``no free /24 left in 10.0.0.0/16: 256 of 256 used``."""
    blocks = list(free_blocks)
    total = 1 << (prefixlen - parent.prefixlen)
    used = total - count_free_blocks(blocks, prefixlen=prefixlen)
    message = f"no free /{prefixlen} left in {parent}: {used} of {total} used"
    if blocks:
        message += f" (largest free block: /{min(length for _, length in blocks)})"
    return message


def _check_prefixlen(prefixlen: int, version: int) -> None:
    bits = max_prefixlen(version)
    if not 0 <= prefixlen <= bits:
        raise InvalidInputError(f"prefix length /{prefixlen} is out of bounds for IPv{version} (0 to {bits})")
