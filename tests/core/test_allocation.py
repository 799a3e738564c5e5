"""Allocation: the usable-address rule, the next free address, and prefix placement by policy."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ipledger.core.addresses import IPNetwork
from ipledger.core.allocation import (
    FitPolicy,
    allocate_address,
    allocate_prefix,
    count_free_blocks,
    describe_exhaustion,
    find_free_address,
    find_free_addresses,
    find_free_prefix,
    place_in_block,
    usable_range,
    usable_span,
)
from ipledger.core.errors import ExhaustedError, FamilyMismatchError, InvalidInputError
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange
from tests.core.strategies import (
    PROPERTY,
    AllocationCase,
    allocation_cases,
    members,
    small_networks,
)

V6_TOP = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
policies = pytest.mark.parametrize("policy", list(FitPolicy), ids=str)


def _net(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


def _free(parent: IPNetwork, used: list[IPRange]) -> IPSet:
    return IPSet.of(parent.version, [IPRange.from_network(parent)]).difference(IPSet.of(parent.version, used))


def _free_of(parent: str, *used: str) -> IPSet:
    """The free set of ``parent`` once the ``used`` prefixes or ``start-end`` ranges are taken."""
    return _free(_net(parent), [_span(text) for text in used])


def _span(text: str) -> IPRange:
    if "-" in text:
        start, _, end = text.partition("-")
        return IPRange.from_addresses(ipaddress.ip_address(start), ipaddress.ip_address(end))
    return IPRange.from_network(_net(text))


def _is_free(first: int, prefixlen: int, *, bits: int, used: set[int]) -> bool:
    return used.isdisjoint(range(first, first + (1 << (bits - prefixlen))))


def _free_aligned_blocks(parent: IPNetwork, used: set[int], prefixlen: int) -> list[int]:
    """Brute force: the first address of every /``prefixlen`` in ``parent`` that holds nothing used."""
    bits, size = parent.max_prefixlen, 1 << (parent.max_prefixlen - prefixlen)
    starts = range(int(parent.network_address), int(parent.broadcast_address) + 1, size)
    return [first for first in starts if _is_free(first, prefixlen, bits=bits, used=used)]


def _largest_free_blocks(parent: IPNetwork, used: set[int]) -> list[tuple[int, int]]:
    """Brute force: ``(first, prefixlen)`` of every free aligned block not inside a larger free one."""
    bits = parent.max_prefixlen
    blocks = []
    for prefixlen in range(parent.prefixlen, bits + 1):
        for first in _free_aligned_blocks(parent, used, prefixlen):
            enclosing = first & ~((1 << (bits - prefixlen + 1)) - 1)
            if prefixlen == parent.prefixlen or not _is_free(enclosing, prefixlen - 1, bits=bits, used=used):
                blocks.append((first, prefixlen))
    return blocks


def _usable_oracle(network: IPNetwork, *, is_pool: bool) -> list[int]:
    """The host rule as the standard library states it, or every address for a pool."""
    if is_pool:
        return list(range(int(network.network_address), int(network.broadcast_address) + 1))
    return [int(host) for host in network.hosts()]


# --- FitPolicy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "policy"),
    [("first-fit", FitPolicy.FIRST_FIT), ("best-fit", FitPolicy.BEST_FIT), ("last-fit", FitPolicy.LAST_FIT)],
    ids=str,
)
def test_fit_policy_parses_from_its_name(text: str, policy: FitPolicy) -> None:
    assert FitPolicy(text) is policy


# --- usable_span -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "is_pool", "first", "last"),
    [
        pytest.param("0.0.0.0/0", False, "0.0.0.1", "255.255.255.254", id="ipv4-slash-0"),
        pytest.param("10.0.0.0/24", False, "10.0.0.1", "10.0.0.254", id="ipv4-slash-24"),
        pytest.param("10.0.0.0/30", False, "10.0.0.1", "10.0.0.2", id="ipv4-slash-30"),
        pytest.param("10.0.0.0/31", False, "10.0.0.0", "10.0.0.1", id="ipv4-slash-31-point-to-point"),
        pytest.param("10.0.0.7/32", False, "10.0.0.7", "10.0.0.7", id="ipv4-slash-32"),
        pytest.param("255.255.255.255/32", False, "255.255.255.255", "255.255.255.255", id="ipv4-top"),
        pytest.param("10.0.0.0/24", True, "10.0.0.0", "10.0.0.255", id="ipv4-pool"),
        pytest.param("0.0.0.0/0", True, "0.0.0.0", "255.255.255.255", id="ipv4-pool-slash-0"),
        pytest.param("::/0", False, "::1", V6_TOP, id="ipv6-slash-0"),
        pytest.param(
            "2001:db8::/64", False, "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", id="ipv6-slash-64"
        ),
        pytest.param("2001:db8::/126", False, "2001:db8::1", "2001:db8::3", id="ipv6-slash-126"),
        pytest.param("2001:db8::/127", False, "2001:db8::", "2001:db8::1", id="ipv6-slash-127"),
        pytest.param("::/128", False, "::", "::", id="ipv6-zero-slash-128"),
        pytest.param(f"{V6_TOP}/128", False, V6_TOP, V6_TOP, id="ipv6-top"),
        pytest.param("2001:db8::/64", True, "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", id="ipv6-pool"),
    ],
)
def test_usable_span_follows_the_host_rule(network: str, is_pool: bool, first: str, last: str) -> None:
    expected = IPRange.from_addresses(ipaddress.ip_address(first), ipaddress.ip_address(last))

    assert usable_span(_net(network), is_pool=is_pool) == expected


@PROPERTY
@given(small_networks(), st.booleans())
def test_usable_span_matches_the_standard_library_hosts(network: IPNetwork, is_pool: bool) -> None:
    span = usable_span(network, is_pool=is_pool)

    assert span is not None
    assert list(range(span.first, span.last + 1)) == _usable_oracle(network, is_pool=is_pool)


@PROPERTY
@given(small_networks(), st.booleans())
def test_usable_range_agrees_with_usable_span(network: IPNetwork, is_pool: bool) -> None:
    span = IPRange.from_network(network)

    assert usable_range(span, prefixlen=network.prefixlen, is_pool=is_pool) == usable_span(
        network, is_pool=is_pool
    )


# --- find_free_address / allocate_address ----------------------------------------------------


@PROPERTY
@given(allocation_cases(), st.booleans())
def test_find_free_address_is_the_lowest_free_usable_address(case: AllocationCase, is_pool: bool) -> None:
    used = members(case.used)
    expected = next((v for v in _usable_oracle(case.parent, is_pool=is_pool) if v not in used), None)

    found = find_free_address(_free(case.parent, case.used), usable=usable_span(case.parent, is_pool=is_pool))

    assert found == expected


@PROPERTY
@given(allocation_cases(), st.booleans(), st.integers(min_value=0, max_value=20))
def test_find_free_addresses_are_the_lowest_free_usable_addresses(
    case: AllocationCase, is_pool: bool, count: int
) -> None:
    used = members(case.used)
    expected = [v for v in _usable_oracle(case.parent, is_pool=is_pool) if v not in used][:count]

    found = find_free_addresses(
        _free(case.parent, case.used), usable=usable_span(case.parent, is_pool=is_pool), count=count
    )

    assert found == expected


@pytest.mark.parametrize("parent", ["10.0.0.0/8", "2001:db8::/32"])
def test_find_free_addresses_of_a_huge_parent_cost_only_the_count(parent: str) -> None:
    free = _free_of(parent)
    usable = usable_span(_net(parent))
    assert usable is not None
    assert find_free_addresses(free, usable=usable, count=3) == [
        usable.first,
        usable.first + 1,
        usable.first + 2,
    ]
    assert find_free_addresses(free, usable=None, count=3) == []


@PROPERTY
@given(allocation_cases(), st.booleans())
def test_allocate_address_returns_the_free_set_without_the_address(
    case: AllocationCase, is_pool: bool
) -> None:
    free = _free(case.parent, case.used)
    usable = usable_span(case.parent, is_pool=is_pool)
    assume(find_free_address(free, usable=usable) is not None)

    value, remaining = allocate_address(free, usable=usable, parent=str(case.parent))

    assert members(remaining) == members(free) - {value}


@PROPERTY
@given(allocation_cases(), st.booleans())
def test_allocate_address_raises_exhausted_exactly_when_no_usable_address_is_free(
    case: AllocationCase, is_pool: bool
) -> None:
    used = members(case.used)
    exhausted = all(value in used for value in _usable_oracle(case.parent, is_pool=is_pool))
    free = _free(case.parent, case.used)

    try:
        allocate_address(free, usable=usable_span(case.parent, is_pool=is_pool), parent=str(case.parent))
    except ExhaustedError:
        assert exhausted
    else:
        assert not exhausted


@PROPERTY
@given(small_networks(), st.booleans())
def test_allocate_address_drains_exactly_the_usable_addresses_in_order(
    network: IPNetwork, is_pool: bool
) -> None:
    free = _free(network, [])
    usable = usable_span(network, is_pool=is_pool)
    taken = []

    with pytest.raises(ExhaustedError):
        while True:
            value, free = allocate_address(free, usable=usable, parent=str(network))
            taken.append(value)

    assert taken == _usable_oracle(network, is_pool=is_pool)


@pytest.mark.parametrize(
    ("parent", "used", "is_pool", "expected"),
    [
        pytest.param("10.0.0.0/24", [], False, "10.0.0.1", id="ipv4-skips-network-address"),
        pytest.param("10.0.0.0/30", ["10.0.0.1/32"], False, "10.0.0.2", id="ipv4-next-after-used"),
        pytest.param("10.0.0.0/24", [], True, "10.0.0.0", id="ipv4-pool-takes-network-address"),
        pytest.param("10.0.0.0/31", [], False, "10.0.0.0", id="ipv4-slash-31"),
        pytest.param("10.0.0.0/31", ["10.0.0.0/32"], False, "10.0.0.1", id="ipv4-slash-31-second"),
        pytest.param("0.0.0.0/32", [], False, "0.0.0.0", id="ipv4-zero-slash-32"),
        pytest.param("255.255.255.255/32", [], False, "255.255.255.255", id="ipv4-top-slash-32"),
        pytest.param("0.0.0.0/0", [], False, "0.0.0.1", id="ipv4-slash-0"),
        pytest.param("2001:db8::/64", [], False, "2001:db8::1", id="ipv6-skips-subnet-router-anycast"),
        pytest.param("2001:db8::/64", [], True, "2001:db8::", id="ipv6-pool-takes-first"),
        pytest.param("2001:db8::/127", [], False, "2001:db8::", id="ipv6-slash-127"),
        pytest.param("::/128", [], False, "::", id="ipv6-zero-slash-128"),
        pytest.param(
            "2001:db8::/126", ["2001:db8::1-2001:db8::2"], False, "2001:db8::3", id="ipv6-last-is-usable"
        ),
        pytest.param("::/0", ["::/1"], False, "8000::", id="ipv6-slash-0-upper-half"),
    ],
)
def test_allocate_address_takes_the_lowest_free_usable_address(
    parent: str, used: list[str], is_pool: bool, expected: str
) -> None:
    free = _free_of(parent, *used)

    value, _ = allocate_address(free, usable=usable_span(_net(parent), is_pool=is_pool), parent=parent)

    assert value == int(ipaddress.ip_address(expected))


@pytest.mark.parametrize(
    ("parent", "used", "message"),
    [
        pytest.param(
            "10.0.0.0/30",
            ["10.0.0.1-10.0.0.2"],
            "no free address left in 10.0.0.0/30: 2 of 2 usable addresses used",
            id="ipv4-only-network-and-broadcast-free",
        ),
        pytest.param(
            "2001:db8::/126",
            ["2001:db8::1-2001:db8::3"],
            "no free address left in 2001:db8::/126: 3 of 3 usable addresses used",
            id="ipv6-only-anycast-free",
        ),
        pytest.param(
            "10.0.0.0/32",
            ["10.0.0.0/32"],
            "no free address left in 10.0.0.0/32: 1 of 1 usable addresses used",
            id="ipv4-slash-32-used",
        ),
    ],
)
def test_allocate_address_exhaustion_names_the_parent_and_counts(
    parent: str, used: list[str], message: str
) -> None:
    free = _free_of(parent, *used)

    with pytest.raises(ExhaustedError, match=f"^{re.escape(message)}$"):
        allocate_address(free, usable=usable_span(_net(parent)), parent=parent)


def test_allocate_address_without_a_usable_span_reports_zero_of_zero() -> None:
    with pytest.raises(
        ExhaustedError, match=f"^{re.escape('no free address left in pool-a: 0 of 0 usable addresses used')}$"
    ):
        allocate_address(_free_of("10.0.0.0/24"), usable=None, parent="pool-a")


@pytest.mark.parametrize(
    ("free", "usable"),
    [
        pytest.param(IPSet(4, ((0, 255),)), None, id="no-usable-span"),
        pytest.param(IPSet(4), IPRange(4, 1, 254), id="empty-free-set"),
        pytest.param(IPSet(4, ((0, 0), (255, 255))), IPRange(4, 1, 254), id="free-only-outside-usable"),
        pytest.param(IPSet(6), IPRange(6, 1, 1), id="ipv6-empty-free-set"),
    ],
)
def test_find_free_address_returns_none_when_nothing_usable_is_free(
    free: IPSet, usable: IPRange | None
) -> None:
    assert find_free_address(free, usable=usable) is None


def test_find_free_address_rejects_a_usable_span_of_the_other_family() -> None:
    with pytest.raises(FamilyMismatchError):
        find_free_address(IPSet(4, ((0, 255),)), usable=IPRange(6, 1, 254))


# --- find_free_prefix / allocate_prefix: properties ------------------------------------------


@PROPERTY
@given(allocation_cases())
def test_find_free_prefix_returns_none_exactly_when_no_aligned_block_is_free(case: AllocationCase) -> None:
    exhausted = not _free_aligned_blocks(case.parent, members(case.used), case.prefixlen)
    free = _free(case.parent, case.used)

    found = {policy: find_free_prefix(free, prefixlen=case.prefixlen, policy=policy) for policy in FitPolicy}

    assert all((network is None) == exhausted for network in found.values())


@PROPERTY
@given(allocation_cases())
def test_allocate_prefix_places_an_aligned_block_in_the_parent_overlapping_nothing_used(
    case: AllocationCase,
) -> None:
    free = _free(case.parent, case.used)
    assume(_free_aligned_blocks(case.parent, members(case.used), case.prefixlen))

    for policy in FitPolicy:
        network, _ = allocate_prefix(free, parent=case.parent, prefixlen=case.prefixlen, policy=policy)

        assert network.prefixlen == case.prefixlen, policy
        assert int(network.network_address) % network.num_addresses == 0, policy
        assert network.subnet_of(case.parent), policy  # type: ignore[arg-type]
        assert not any(IPRange.from_network(network).overlaps(item) for item in case.used), policy


@PROPERTY
@given(allocation_cases())
def test_allocate_prefix_first_fit_takes_the_lowest_free_aligned_block(case: AllocationCase) -> None:
    free_blocks = _free_aligned_blocks(case.parent, members(case.used), case.prefixlen)
    assume(free_blocks)

    network, _ = allocate_prefix(
        _free(case.parent, case.used),
        parent=case.parent,
        prefixlen=case.prefixlen,
        policy=FitPolicy.FIRST_FIT,
    )

    assert int(network.network_address) == free_blocks[0]


@PROPERTY
@given(allocation_cases())
def test_allocate_prefix_last_fit_takes_the_highest_free_aligned_block(case: AllocationCase) -> None:
    free_blocks = _free_aligned_blocks(case.parent, members(case.used), case.prefixlen)
    assume(free_blocks)

    network, _ = allocate_prefix(
        _free(case.parent, case.used), parent=case.parent, prefixlen=case.prefixlen, policy=FitPolicy.LAST_FIT
    )

    assert int(network.network_address) == free_blocks[-1]


@PROPERTY
@given(allocation_cases())
def test_allocate_prefix_best_fit_takes_the_start_of_the_smallest_free_block_that_holds_it(
    case: AllocationCase,
) -> None:
    holders = [
        block for block in _largest_free_blocks(case.parent, members(case.used)) if block[1] <= case.prefixlen
    ]
    assume(holders)
    tightest = max(length for _, length in holders)
    expected = min(first for first, length in holders if length == tightest)

    network, _ = allocate_prefix(
        _free(case.parent, case.used), parent=case.parent, prefixlen=case.prefixlen, policy=FitPolicy.BEST_FIT
    )

    assert int(network.network_address) == expected


@PROPERTY
@given(allocation_cases())
def test_allocate_prefix_returns_the_free_set_without_the_new_block(case: AllocationCase) -> None:
    free = _free(case.parent, case.used)
    assume(_free_aligned_blocks(case.parent, members(case.used), case.prefixlen))

    network, remaining = allocate_prefix(free, parent=case.parent, prefixlen=case.prefixlen)

    assert members(remaining) == members(free) - members([IPRange.from_network(network)])


@PROPERTY
@given(allocation_cases())
def test_allocate_prefix_raises_exhausted_exactly_when_no_aligned_block_is_free(case: AllocationCase) -> None:
    exhausted = not _free_aligned_blocks(case.parent, members(case.used), case.prefixlen)

    try:
        allocate_prefix(_free(case.parent, case.used), parent=case.parent, prefixlen=case.prefixlen)
    except ExhaustedError:
        assert exhausted
    else:
        assert not exhausted


@PROPERTY
@given(allocation_cases())
def test_count_free_blocks_counts_every_free_aligned_block(case: AllocationCase) -> None:
    free_blocks = _free_aligned_blocks(case.parent, members(case.used), case.prefixlen)

    counted = count_free_blocks(_free(case.parent, case.used).iter_blocks(), prefixlen=case.prefixlen)

    assert counted == len(free_blocks)


# --- find_free_prefix / allocate_prefix: examples --------------------------------------------


@pytest.mark.parametrize(
    ("parent", "used", "prefixlen", "policy", "expected"),
    [
        pytest.param("10.0.0.0/16", ["10.0.0.0/24"], 24, "first-fit", "10.0.1.0/24", id="ipv4-first-fit"),
        pytest.param("10.0.0.0/16", ["10.0.0.0/24"], 24, "last-fit", "10.0.255.0/24", id="ipv4-last-fit"),
        pytest.param(
            "10.0.0.0/16", ["10.0.0.0/24"], 24, "best-fit", "10.0.1.0/24", id="ipv4-best-fit-adjacent"
        ),
        pytest.param(
            "10.0.0.0/24",
            ["10.0.0.0/26", "10.0.0.128/27"],
            27,
            "first-fit",
            "10.0.0.64/27",
            id="ipv4-fragmented-first-fit",
        ),
        pytest.param(
            "10.0.0.0/24",
            ["10.0.0.0/26", "10.0.0.128/27"],
            27,
            "best-fit",
            "10.0.0.160/27",
            id="ipv4-fragmented-best-fit",
        ),
        pytest.param(
            "10.0.0.0/24",
            ["10.0.0.0/26", "10.0.0.128/27"],
            27,
            "last-fit",
            "10.0.0.224/27",
            id="ipv4-fragmented-last-fit",
        ),
        pytest.param(
            "10.0.0.0/24",
            ["10.0.0.1-10.0.0.6"],
            30,
            "first-fit",
            "10.0.0.8/30",
            id="ipv4-range-breaks-alignment",
        ),
        pytest.param("0.0.0.0/0", [], 0, "first-fit", "0.0.0.0/0", id="ipv4-whole-space"),
        pytest.param("0.0.0.0/0", [], 32, "last-fit", "255.255.255.255/32", id="ipv4-top-slash-32"),
        pytest.param(
            "10.0.0.0/31", ["10.0.0.0/32"], 32, "first-fit", "10.0.0.1/32", id="ipv4-slash-31-second"
        ),
        pytest.param("10.0.0.5/32", [], 32, "best-fit", "10.0.0.5/32", id="ipv4-slash-32-itself"),
        pytest.param(
            "2001:db8::/48", ["2001:db8::/64"], 64, "first-fit", "2001:db8:0:1::/64", id="ipv6-first-fit"
        ),
        pytest.param(
            "2001:db8::/48", ["2001:db8::/64"], 64, "last-fit", "2001:db8:0:ffff::/64", id="ipv6-last-fit"
        ),
        pytest.param("::/0", [], 127, "first-fit", "::/127", id="ipv6-slash-127-at-zero"),
        pytest.param("::/0", [], 128, "last-fit", f"{V6_TOP}/128", id="ipv6-top-slash-128"),
        pytest.param("::/0", ["::/1"], 1, "best-fit", "8000::/1", id="ipv6-upper-half"),
    ],
)
def test_allocate_prefix_places_by_policy(
    parent: str, used: list[str], prefixlen: int, policy: str, expected: str
) -> None:
    network, _ = allocate_prefix(
        _free_of(parent, *used), parent=_net(parent), prefixlen=prefixlen, policy=FitPolicy(policy)
    )

    assert network == _net(expected)


def test_allocate_prefix_defaults_to_first_fit() -> None:
    network, _ = allocate_prefix(
        _free_of("10.0.0.0/24", "10.0.0.0/26"), parent=_net("10.0.0.0/24"), prefixlen=26
    )

    assert network == _net("10.0.0.64/26")


def test_allocate_prefix_leaves_the_free_set_unchanged() -> None:
    free = _free_of("10.0.0.0/24")

    allocate_prefix(free, parent=_net("10.0.0.0/24"), prefixlen=25)

    assert free == _free_of("10.0.0.0/24")


@pytest.mark.parametrize(
    ("parent", "used", "prefixlen", "message"),
    [
        pytest.param(
            "10.0.0.0/16",
            ["10.0.0.0/16"],
            24,
            "no free /24 left in 10.0.0.0/16: 256 of 256 used",
            id="ipv4-full",
        ),
        pytest.param(
            "10.0.0.0/16",
            [
                "10.0.0.0/17",
                "10.0.128.0/18",
                "10.0.192.0/19",
                "10.0.224.0/20",
                "10.0.240.0/21",
                "10.0.248.0/22",
                "10.0.252.0/23",
                "10.0.254.0/24",
                "10.0.255.0/25",
            ],
            24,
            "no free /24 left in 10.0.0.0/16: 256 of 256 used (largest free block: /25)",
            id="ipv4-fragment-left",
        ),
        pytest.param(
            "2001:db8::/48",
            ["2001:db8::/48"],
            64,
            "no free /64 left in 2001:db8::/48: 65536 of 65536 used",
            id="ipv6-full",
        ),
        pytest.param(
            "::/0",
            ["::-ffff::"],
            16,
            "no free /16 left in ::/0: 65536 of 65536 used (largest free block: /17)",
            id="ipv6-whole-space-almost-full",
        ),
        pytest.param(
            "10.0.0.0/32",
            ["10.0.0.0/32"],
            32,
            "no free /32 left in 10.0.0.0/32: 1 of 1 used",
            id="ipv4-slash-32",
        ),
    ],
)
def test_allocate_prefix_exhaustion_names_the_length_parent_and_counts(
    parent: str, used: list[str], prefixlen: int, message: str
) -> None:
    with pytest.raises(ExhaustedError, match=f"^{re.escape(message)}$"):
        allocate_prefix(_free_of(parent, *used), parent=_net(parent), prefixlen=prefixlen)


@pytest.mark.parametrize(
    ("parent", "prefixlen", "message"),
    [
        pytest.param("10.0.0.0/16", 8, "a /8 cannot fit inside 10.0.0.0/16", id="ipv4-shorter-than-parent"),
        pytest.param("10.0.0.0/16", -1, "a /-1 cannot fit inside 10.0.0.0/16", id="ipv4-negative"),
        pytest.param(
            "2001:db8::/48", 32, "a /32 cannot fit inside 2001:db8::/48", id="ipv6-shorter-than-parent"
        ),
        pytest.param(
            "10.0.0.0/16",
            33,
            "prefix length /33 is out of bounds for IPv4 (0 to 32)",
            id="ipv4-slash-33",
        ),
        pytest.param(
            "::/0", 129, "prefix length /129 is out of bounds for IPv6 (0 to 128)", id="ipv6-slash-129"
        ),
    ],
)
def test_allocate_prefix_rejects_a_length_that_cannot_fit(parent: str, prefixlen: int, message: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}$"):
        allocate_prefix(_free_of(parent), parent=_net(parent), prefixlen=prefixlen)


@pytest.mark.parametrize(
    ("version", "prefixlen"),
    [(4, -1), (4, 33), (6, -1), (6, 129)],
    ids=["ipv4-negative", "ipv4-slash-33", "ipv6-negative", "ipv6-slash-129"],
)
def test_find_free_prefix_rejects_a_length_out_of_bounds(version: int, prefixlen: int) -> None:
    with pytest.raises(
        InvalidInputError, match=f"prefix length /{prefixlen} is out of bounds for IPv{version}"
    ):
        find_free_prefix(IPSet(version, ((0, 255),)), prefixlen=prefixlen, policy=FitPolicy.FIRST_FIT)


@policies
@pytest.mark.parametrize("version", [4, 6], ids=["ipv4", "ipv6"])
def test_find_free_prefix_in_the_empty_set_is_none(policy: FitPolicy, version: int) -> None:
    assert find_free_prefix(IPSet(version), prefixlen=24, policy=policy) is None


@pytest.mark.parametrize(
    ("parent", "free", "prefixlen"),
    [
        pytest.param("10.0.0.0/8", "::/0", 24, id="ipv4-parent-ipv6-free-space"),
        pytest.param("10.0.0.0/8", "2001:db8::/32", 24, id="ipv4-parent-small-ipv6-free-space"),
        pytest.param("2001:db8::/32", "0.0.0.0/0", 32, id="ipv6-parent-ipv4-free-space"),
    ],
)
def test_allocate_prefix_rejects_free_space_of_the_other_family(
    parent: str, free: str, prefixlen: int
) -> None:
    # The core returns an IPv6 block for an IPv4 parent (or raises ExhaustedError naming a
    # free block larger than the one asked for) instead of refusing the mixed families.
    with pytest.raises(FamilyMismatchError):
        allocate_prefix(_free_of(free), parent=_net(parent), prefixlen=prefixlen)


# --- place_in_block / count_free_blocks / describe_exhaustion --------------------------------


@pytest.mark.parametrize(
    ("block", "prefixlen", "version", "policy", "expected"),
    [
        pytest.param(("10.0.0.0", 24), 26, 4, "first-fit", "10.0.0.0/26", id="ipv4-first-fit"),
        pytest.param(("10.0.0.0", 24), 26, 4, "best-fit", "10.0.0.0/26", id="ipv4-best-fit-starts-low"),
        pytest.param(("10.0.0.0", 24), 26, 4, "last-fit", "10.0.0.192/26", id="ipv4-last-fit"),
        pytest.param(("10.0.0.0", 24), 24, 4, "last-fit", "10.0.0.0/24", id="ipv4-whole-block"),
        pytest.param(("0.0.0.0", 0), 32, 4, "last-fit", "255.255.255.255/32", id="ipv4-top"),
        pytest.param(("::", 0), 128, 6, "last-fit", f"{V6_TOP}/128", id="ipv6-top"),
        pytest.param(("::", 0), 0, 6, "first-fit", "::/0", id="ipv6-whole-space"),
    ],
)
def test_place_in_block_puts_the_block_where_the_policy_says(
    block: tuple[str, int], prefixlen: int, version: int, policy: str, expected: str
) -> None:
    first = int(ipaddress.ip_address(block[0]))

    placed = place_in_block(first, block[1], prefixlen=prefixlen, version=version, policy=FitPolicy(policy))

    assert placed == _net(expected)


def test_place_in_block_rejects_a_block_too_small() -> None:
    with pytest.raises(InvalidInputError, match=f"^{re.escape('a /25 block cannot hold a /24')}$"):
        place_in_block(0, 25, prefixlen=24, version=4, policy=FitPolicy.FIRST_FIT)


@pytest.mark.parametrize(
    ("blocks", "prefixlen", "expected"),
    [
        pytest.param([], 24, 0, id="empty"),
        pytest.param([(0, 16)], 24, 256, id="one-slash-16"),
        pytest.param([(0, 25), (128, 26)], 24, 0, id="only-smaller-blocks"),
        pytest.param([(0, 24), (256, 23), (1024, 25)], 24, 3, id="mixed"),
        pytest.param([(0, 0)], 128, 1 << 128, id="ipv6-whole-space"),
    ],
)
def test_count_free_blocks_counts_aligned_blocks_of_the_length(
    blocks: list[tuple[int, int]], prefixlen: int, expected: int
) -> None:
    assert count_free_blocks(blocks, prefixlen=prefixlen) == expected


@pytest.mark.parametrize(
    ("parent", "prefixlen", "blocks", "message"),
    [
        pytest.param(
            "10.0.0.0/16", 24, [], "no free /24 left in 10.0.0.0/16: 256 of 256 used", id="ipv4-none-free"
        ),
        pytest.param(
            "10.0.0.0/16",
            24,
            [(0x0A000080, 25), (0x0A000100, 26)],
            "no free /24 left in 10.0.0.0/16: 256 of 256 used (largest free block: /25)",
            id="ipv4-fragments",
        ),
        pytest.param(
            "10.0.0.0/16",
            24,
            [(0x0A000000, 24)],
            "no free /24 left in 10.0.0.0/16: 255 of 256 used (largest free block: /24)",
            id="ipv4-one-free",
        ),
        pytest.param("0.0.0.0/0", 0, [], "no free /0 left in 0.0.0.0/0: 1 of 1 used", id="ipv4-slash-0"),
        pytest.param(
            "2001:db8::/48",
            64,
            [],
            "no free /64 left in 2001:db8::/48: 65536 of 65536 used",
            id="ipv6-none-free",
        ),
        pytest.param(
            "::/0",
            128,
            [],
            f"no free /128 left in ::/0: {1 << 128} of {1 << 128} used",
            id="ipv6-whole-space",
        ),
    ],
)
def test_describe_exhaustion_names_length_parent_counts_and_largest_block(
    parent: str, prefixlen: int, blocks: list[tuple[int, int]], message: str
) -> None:
    assert describe_exhaustion(_net(parent), prefixlen=prefixlen, free_blocks=iter(blocks)) == message
