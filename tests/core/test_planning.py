"""Placement of a cluster's networks with expansion reserves, with ``ipaddress`` as the oracle."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.addresses import IPNetwork
from ipledger.core.errors import ExhaustedError, InvalidInputError
from ipledger.core.ipset import IPSet
from ipledger.core.planning import BlockRequest, Placement, place_blocks, place_with_reserve
from ipledger.core.ranges import IPRange
from tests.core.strategies import PROPERTY


def net(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


def free_of(pool: str, *taken: str) -> IPSet:
    whole = IPSet.of(net(pool).version, [IPRange.from_network(net(pool))])
    used = IPSet.of(net(pool).version, [IPRange.from_network(net(text)) for text in taken])
    return whole.difference(used)


@pytest.mark.parametrize(
    ("pool", "taken", "prefixlen", "expected"),
    [
        ("10.0.0.0/8", (), 16, ("10.0.0.0/16", "10.1.0.0/16")),
        ("10.0.0.0/8", ("10.0.0.0/24",), 16, ("10.2.0.0/16", "10.3.0.0/16")),
        ("10.0.0.0/8", ("10.1.0.0/16",), 16, ("10.2.0.0/16", "10.3.0.0/16")),
        ("10.0.0.0/16", (), 16, None),  # the pool itself has no room for a reserve
        ("10.0.0.0/16", ("10.0.128.0/17",), 17, None),
        ("0.0.0.0/0", (), 32, ("0.0.0.0/32", "0.0.0.1/32")),
        ("2001:db8::/32", (), 48, ("2001:db8::/48", "2001:db8:1::/48")),
        ("2001:db8::/32", ("2001:db8::/64",), 48, ("2001:db8:2::/48", "2001:db8:3::/48")),
        ("::/0", (), 128, ("::/128", "::1/128")),
    ],
    ids=lambda value: str(value),
)
def test_place_with_reserve_takes_the_lower_half_of_the_first_free_double(
    pool: str, taken: tuple[str, ...], prefixlen: int, expected: tuple[str, str] | None
) -> None:
    found = place_with_reserve(free_of(pool, *taken), prefixlen=prefixlen)
    assert found == (None if expected is None else (net(expected[0]), net(expected[1])))


def test_place_with_reserve_refuses_a_whole_address_space() -> None:
    with pytest.raises(InvalidInputError, match="a /0 cannot be doubled"):
        place_with_reserve(free_of("0.0.0.0/0"), prefixlen=0)


def test_place_blocks_places_the_largest_first_and_keeps_request_order() -> None:
    pool = net("10.0.0.0/8")
    requests = [
        BlockRequest("service", 4, 20, (pool,)),
        BlockRequest("pod", 4, 14, (pool,)),
        BlockRequest("node", 4, 22, (pool,), reserve=False),
    ]

    placed = place_blocks(requests, {pool: free_of("10.0.0.0/8")})

    assert placed == (
        Placement("service", net("10.8.0.0/20"), net("10.8.16.0/20"), pool),
        Placement("pod", net("10.0.0.0/14"), net("10.4.0.0/14"), pool),
        Placement("node", net("10.8.32.0/22"), None, pool),
    )


def test_place_blocks_uses_the_next_pool_when_the_first_is_full() -> None:
    small, large = net("192.168.0.0/24"), net("172.16.0.0/12")
    placed = place_blocks(
        [BlockRequest("pod", 4, 16, (small, large))],
        {small: free_of("192.168.0.0/24"), large: free_of("172.16.0.0/12", "172.16.0.0/16")},
    )
    assert placed == (Placement("pod", net("172.18.0.0/16"), net("172.19.0.0/16"), large),)


def test_place_blocks_takes_each_family_from_its_own_pools() -> None:
    v4, v6 = net("10.0.0.0/8"), net("fd00::/48")
    placed = place_blocks(
        [BlockRequest("pod", 6, 56, (v4, v6)), BlockRequest("pod", 4, 16, (v4, v6))],
        {v4: free_of("10.0.0.0/8"), v6: free_of("fd00::/48")},
    )
    assert [item.network for item in placed] == [net("fd00::/56"), net("10.0.0.0/16")]


@pytest.mark.parametrize(
    ("pools", "request_", "message"),
    [
        (
            {"10.0.0.0/16": ()},
            BlockRequest("pod", 4, 15, (net("10.0.0.0/16"),)),
            r"the pod network \(/15 with its expansion reserve\) fits in no pool: "
            r"10\.0\.0\.0/16 is smaller than a /14",
        ),
        (
            {"10.0.0.0/16": ("10.0.0.0/17",)},
            BlockRequest("pod", 4, 17, (net("10.0.0.0/16"),)),
            r"10\.0\.0\.0/16 has no free /16 \(largest free block: /17\)",
        ),
        (
            {"10.0.0.0/24": ("10.0.0.0/24",)},
            BlockRequest("node", 4, 28, (net("10.0.0.0/24"),), reserve=False),
            r"the node network \(/28\) fits in no pool: 10\.0\.0\.0/24 has no free space left",
        ),
        (
            {"10.0.0.0/24": ("10.0.0.0/25",), "10.1.0.0/24": ("10.1.0.128/25",)},
            BlockRequest("service", 4, 25, (net("10.0.0.0/24"), net("10.1.0.0/24"))),
            r"10\.0\.0\.0/24 has no free /24 \(largest free block: /25\); "
            r"10\.1\.0\.0/24 has no free /24 \(largest free block: /25\)",
        ),
    ],
    ids=["pool-smaller", "largest-free-named", "no-free-space", "every-pool-named"],
)
def test_place_blocks_exhausted_names_every_pool_tried(
    pools: dict[str, tuple[str, ...]], request_: BlockRequest, message: str
) -> None:
    free = {net(pool): free_of(pool, *taken) for pool, taken in pools.items()}
    with pytest.raises(ExhaustedError, match=message):
        place_blocks([request_], free)


def test_place_blocks_requires_a_pool_of_the_family() -> None:
    with pytest.raises(InvalidInputError, match="no IPv6 pool given for the pod network"):
        place_blocks(
            [BlockRequest("pod", 6, 64, (net("10.0.0.0/8"),))], {net("10.0.0.0/8"): free_of("10.0.0.0/8")}
        )


def test_place_blocks_requires_the_free_space_of_each_pool() -> None:
    with pytest.raises(InvalidInputError, match=r"no free space given for pool 10\.0\.0\.0/8"):
        place_blocks([BlockRequest("pod", 4, 16, (net("10.0.0.0/8"),))], {})


# Properties, in a small pool of either family so that requests collide often.

_POOLS = (net("10.9.8.0/24"), net("2001:db8::ff00/120"))


@st.composite
def _cases(draw: st.DrawFn) -> tuple[IPNetwork, list[IPNetwork], list[BlockRequest]]:
    pool = draw(st.sampled_from(_POOLS))
    bits = pool.max_prefixlen
    taken = []
    for _ in range(draw(st.integers(0, 4))):
        length = draw(st.integers(pool.prefixlen + 1, bits))
        taken.append(draw(st.sampled_from(list(pool.subnets(new_prefix=length)))))
    requests = [
        BlockRequest(
            draw(st.sampled_from(("pod", "service", "node"))),
            pool.version,
            draw(st.integers(pool.prefixlen + 1, bits)),
            (pool,),
            reserve=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    return pool, taken, requests


@PROPERTY
@given(_cases())
def test_place_blocks_never_overlaps_what_is_taken_or_itself(
    case: tuple[IPNetwork, list[IPNetwork], list[BlockRequest]],
) -> None:
    pool, taken, requests = case
    free = IPSet.of(pool.version, [IPRange.from_network(pool)]).difference(
        IPSet.of(pool.version, [IPRange.from_network(item) for item in taken])
    )
    try:
        placed = place_blocks(requests, {pool: free})
    except ExhaustedError:
        return
    claimed: list[IPNetwork] = []
    for request, placement in zip(requests, placed, strict=True):
        assert placement.network.prefixlen == request.prefixlen
        assert placement.network.subnet_of(pool)  # type: ignore[arg-type]
        assert ipaddress.ip_network(str(placement.network))  # strict: aligned, no host bits
        if request.reserve:
            assert placement.reserve is not None
            pair = placement.network.supernet()
            assert list(pair.subnets()) == [placement.network, placement.reserve]
            claimed.append(pair)
        else:
            assert placement.reserve is None
            claimed.append(placement.network)
    for index, block in enumerate(claimed):
        assert not any(block.overlaps(other) for other in taken)  # type: ignore[arg-type]
        assert not any(block.overlaps(other) for other in claimed[index + 1 :])  # type: ignore[arg-type]


@PROPERTY
@given(_cases())
def test_place_with_reserve_finds_a_double_whenever_one_is_free(
    case: tuple[IPNetwork, list[IPNetwork], list[BlockRequest]],
) -> None:
    pool, taken, requests = case
    prefixlen = requests[0].prefixlen
    free = IPSet.of(pool.version, [IPRange.from_network(pool)]).difference(
        IPSet.of(pool.version, [IPRange.from_network(item) for item in taken])
    )
    doubles = (
        [
            block
            for block in pool.subnets(new_prefix=prefixlen - 1)
            if not any(block.overlaps(item) for item in taken)  # type: ignore[arg-type]
        ]
        if prefixlen - 1 >= pool.prefixlen
        else []
    )

    found = place_with_reserve(free, prefixlen=prefixlen)

    if not doubles:
        assert found is None
    else:
        assert found is not None
        assert found[0].supernet() == doubles[0]
