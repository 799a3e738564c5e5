"""Allocation: the next free address or prefix, previews that write nothing, exhaustion, free space."""

from __future__ import annotations

import re

import pytest

from ipledger.core.allocation import FitPolicy
from ipledger.core.errors import ExhaustedError, InvalidInputError, NotFoundError
from ipledger.service.addresses import AddressFields
from ipledger.service.allocation import (
    PrefixFields,
    allocate_addresses,
    allocate_prefixes,
    list_free_space,
    next_free_address,
)
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import PrefixFilter, list_prefixes
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    free_blocks,
    ip,
    net,
    span,
    stored_state,
    usage_of,
)


def _take(ledger: Ledger, parent: str, *, count: int = 1, preview: bool = False) -> list[str]:
    target = span(parent) if "-" in parent else net(parent)
    records = allocate_addresses(ledger, target, actor=ACTOR, count=count, preview=preview)
    return [str(record.address) for record in records]


def _carve(
    ledger: Ledger,
    parent: str,
    prefixlen: int,
    *,
    count: int = 1,
    policy: FitPolicy = FitPolicy.FIRST_FIT,
    preview: bool = False,
) -> list[str]:
    records = allocate_prefixes(
        ledger, net(parent), actor=ACTOR, prefixlen=prefixlen, count=count, policy=policy, preview=preview
    )
    return [str(record.network) for record in records]


def _prefixes(ledger: Ledger) -> list[str]:
    return [str(record.network) for record in list_prefixes(ledger, PrefixFilter())[0]]


def test_allocation_address_skips_network_and_used(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/29")
    add_address(ledger, "10.0.0.1")
    add_address(ledger, "10.0.0.2")
    add_address(ledger, "10.0.0.4")

    assert next_free_address(ledger, net("10.0.0.0/29")) == ip("10.0.0.3")
    assert _take(ledger, "10.0.0.0/29") == ["10.0.0.3"]
    assert _take(ledger, "10.0.0.0/29") == ["10.0.0.5"]


def test_allocation_address_count_takes_lowest_free(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_address(ledger, "10.0.0.2")

    assert _take(ledger, "10.0.0.0/24", count=3) == ["10.0.0.1", "10.0.0.3", "10.0.0.4"]
    assert usage_of(ledger, "10.0.0.0/24").used == 4


def test_allocation_address_records_fields(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    add_prefix(ledger, "10.0.0.0/24")

    (record,) = allocate_addresses(
        ledger,
        net("10.0.0.0/24"),
        actor=ACTOR,
        fields=AddressFields(holder_kind="vm", holder_name="vm-1", group="k8s"),
    )

    assert (record.address, record.holder_kind, record.holder_name, record.group) == (
        ip("10.0.0.1"),
        "vm",
        "vm-1",
        "k8s",
    )


def test_allocation_address_skips_child_prefixes_and_ranges(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/28")
    add_range(ledger, "10.0.0.16-10.0.0.31")

    assert _take(ledger, "10.0.0.0/24", count=2) == ["10.0.0.32", "10.0.0.33"]


@pytest.mark.parametrize(
    ("cidr", "is_pool", "expected"),
    [
        ("10.0.0.0/24", True, ["10.0.0.0", "10.0.0.1"]),
        ("10.0.0.0/31", False, ["10.0.0.0", "10.0.0.1"]),
        ("2001:db8::/64", False, ["2001:db8::1", "2001:db8::2"]),
        ("2001:db8::/127", False, ["2001:db8::", "2001:db8::1"]),
    ],
    ids=["v4-pool", "v4-31", "v6-64", "v6-127"],
)
def test_allocation_address_follows_usable_rule(
    ledger: Ledger, cidr: str, is_pool: bool, expected: list[str]
) -> None:
    add_prefix(ledger, cidr, is_pool=is_pool)

    assert _take(ledger, cidr, count=2) == expected


def test_allocation_address_in_range(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")
    add_address(ledger, "10.0.0.10")

    assert next_free_address(ledger, span("10.0.0.10-10.0.0.20")) == ip("10.0.0.11")
    assert _take(ledger, "10.0.0.10-10.0.0.20", count=2) == ["10.0.0.11", "10.0.0.12"]
    assert usage_of(ledger, "10.0.0.0/24").used == 11


def test_allocation_address_in_range_skips_unusable(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/29")
    add_range(ledger, "10.0.0.0-10.0.0.7")

    assert _take(ledger, "10.0.0.0-10.0.0.7", count=6) == [f"10.0.0.{n}" for n in range(1, 7)]
    with pytest.raises(ExhaustedError, match=re.escape("no free address left in range 10.0.0.0-10.0.0.7")):
        _take(ledger, "10.0.0.0-10.0.0.7")


def test_allocation_address_preview_writes_nothing(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_address(ledger, "10.0.0.1")
    before = stored_state(ledger)

    previewed = _take(ledger, "10.0.0.0/24", count=2, preview=True)

    assert previewed == ["10.0.0.2", "10.0.0.3"]
    assert stored_state(ledger) == before
    assert _take(ledger, "10.0.0.0/24", count=2) == previewed


def test_allocation_address_exhausted_names_prefix(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/30")
    _take(ledger, "10.0.0.0/30", count=2)

    assert next_free_address(ledger, net("10.0.0.0/30")) is None
    with pytest.raises(ExhaustedError, match=r"no free address left in 10.0.0.0/30: 2 usable"):
        _take(ledger, "10.0.0.0/30")


def test_allocation_address_partial_count_writes_nothing(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/29")
    add_address(ledger, "10.0.0.1")
    before = stored_state(ledger)

    with pytest.raises(ExhaustedError, match="5 of 6 requested could be given"):
        _take(ledger, "10.0.0.0/29", count=6)

    assert stored_state(ledger) == before


@pytest.mark.parametrize("count", [0, -1, 10_001], ids=["zero", "negative", "too-many"])
def test_allocation_bad_count_refused(ledger: Ledger, count: int) -> None:
    add_prefix(ledger, "10.0.0.0/24")

    with pytest.raises(InvalidInputError, match=f"count must be from 1 to 10000, not {count}"):
        _take(ledger, "10.0.0.0/24", count=count)
    with pytest.raises(InvalidInputError, match=f"count must be from 1 to 10000, not {count}"):
        _carve(ledger, "10.0.0.0/24", 28, count=count)


@pytest.mark.parametrize(
    "parent",
    ["10.0.0.0/24", "10.0.0.10-10.0.0.20"],
    ids=["prefix", "range"],
)
def test_allocation_unknown_parent_not_found(ledger: Ledger, parent: str) -> None:
    add_prefix(ledger, "10.0.0.0/16")

    with pytest.raises(NotFoundError, match=f"no (prefix|range) {parent} in space global"):
        _take(ledger, parent)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (FitPolicy.FIRST_FIT, ["10.0.0.0/28", "10.0.0.16/28"]),
        (FitPolicy.BEST_FIT, ["10.0.0.160/28", "10.0.0.176/28"]),
        (FitPolicy.LAST_FIT, ["10.0.0.240/28", "10.0.0.224/28"]),
    ],
    ids=str,
)
def test_allocation_prefix_follows_policy(ledger: Ledger, policy: FitPolicy, expected: list[str]) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    for cidr in ["10.0.0.64/26", "10.0.0.128/27", "10.0.0.192/27"]:
        add_prefix(ledger, cidr)

    assert _carve(ledger, "10.0.0.0/24", 28, count=2, policy=policy) == expected


def test_allocation_prefix_count_in_ipv6(ledger: Ledger) -> None:
    add_prefix(ledger, "2001:db8::/48")

    assert _carve(ledger, "2001:db8::/48", 64, count=3) == [
        "2001:db8::/64",
        "2001:db8:0:1::/64",
        "2001:db8:0:2::/64",
    ]
    assert usage_of(ledger, "2001:db8::/48").covered == 3 * 2**64


def test_allocation_prefix_records_fields(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    add_prefix(ledger, "10.0.0.0/16")

    (record,) = allocate_prefixes(
        ledger,
        net("10.0.0.0/16"),
        actor=ACTOR,
        prefixlen=24,
        fields=PrefixFields(role="pod", group="k8s", status="reserved", tags=("a",), is_pool=True),
    )

    assert (record.network, record.role, record.group, record.status, record.tags, record.is_pool) == (
        net("10.0.0.0/24"),
        "pod",
        "k8s",
        "reserved",
        ("a",),
        True,
    )


def test_allocation_prefix_never_takes_occupied_block(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_address(ledger, "10.0.0.5")
    add_range(ledger, "10.0.0.70-10.0.0.80")

    assert _carve(ledger, "10.0.0.0/24", 26, count=2) == ["10.0.0.128/26", "10.0.0.192/26"]
    with pytest.raises(ExhaustedError, match=re.escape("no free /26 left in 10.0.0.0/24")):
        _carve(ledger, "10.0.0.0/24", 26)


@pytest.mark.parametrize(
    ("children", "prefixlen", "message"),
    [
        (["10.0.0.0/17", "10.0.128.0/17"], 24, "no free /24 left in 10.0.0.0/16: 256 of 256 used"),
        (
            ["10.0.0.0/17", "10.0.128.0/18", "10.0.192.0/19", "10.0.224.0/20", "10.0.240.0/21"],
            20,
            "no free /20 left in 10.0.0.0/16: 16 of 16 used (largest free block: /21)",
        ),
    ],
    ids=["full", "fragment-left"],
)
def test_allocation_prefix_exhausted_message(
    ledger: Ledger, children: list[str], prefixlen: int, message: str
) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    for cidr in children:
        add_prefix(ledger, cidr)

    with pytest.raises(ExhaustedError) as caught:
        _carve(ledger, "10.0.0.0/16", prefixlen)
    assert str(caught.value) == message


def test_allocation_prefix_partial_count_writes_nothing(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/25")
    before = stored_state(ledger)

    with pytest.raises(ExhaustedError, match=re.escape("no free /26 left in 10.0.0.0/24")):
        _carve(ledger, "10.0.0.0/24", 26, count=3)

    assert stored_state(ledger) == before


def test_allocation_prefix_preview_writes_nothing(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    before = stored_state(ledger)

    previewed = _carve(ledger, "10.0.0.0/24", 26, count=2, preview=True)

    assert previewed == ["10.0.0.0/26", "10.0.0.64/26"]
    assert stored_state(ledger) == before
    assert _carve(ledger, "10.0.0.0/24", 26, count=2) == previewed


@pytest.mark.parametrize(
    ("parent", "prefixlen"),
    [("10.0.0.0/24", 24), ("10.0.0.0/24", 16), ("10.0.0.0/24", 33), ("2001:db8::/64", 129)],
    ids=["same", "shorter", "v4-too-long", "v6-too-long"],
)
def test_allocation_prefix_bad_length_refused(ledger: Ledger, parent: str, prefixlen: int) -> None:
    add_prefix(ledger, parent)

    with pytest.raises(InvalidInputError, match=f"a /{prefixlen} cannot be allocated inside {parent}"):
        _carve(ledger, parent, prefixlen)


def test_allocation_free_space_is_largest_cover(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_address(ledger, "10.0.0.5")
    add_prefix(ledger, "10.0.0.128/26")

    free = list_free_space(ledger, net("10.0.0.0/24"))

    assert [str(block) for block in free.blocks] == [
        "10.0.0.0/30",
        "10.0.0.4/32",
        "10.0.0.6/31",
        "10.0.0.8/29",
        "10.0.0.16/28",
        "10.0.0.32/27",
        "10.0.0.64/26",
        "10.0.0.192/26",
    ]
    assert (free.parent, free.total_blocks, free.free_addresses) == ("10.0.0.0/24", 8, 256 - 1 - 64)


def test_allocation_free_space_pages(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_address(ledger, "10.0.0.5")

    free = list_free_space(ledger, net("10.0.0.0/24"), limit=2, offset=1)

    assert ([str(block) for block in free.blocks], free.total_blocks) == (["10.0.0.4/32", "10.0.0.6/31"], 8)


def test_allocation_free_space_of_range(ledger: Ledger) -> None:
    add_prefix(ledger, "2001:db8::/64")
    add_range(ledger, "2001:db8::10-2001:db8::1f")
    add_address(ledger, "2001:db8::10")

    assert free_blocks(ledger, "2001:db8::10-2001:db8::1f") == [
        "2001:db8::11/128",
        "2001:db8::12/127",
        "2001:db8::14/126",
        "2001:db8::18/125",
    ]


def test_allocation_prefix_then_addresses_in_it(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    (child,) = _carve(ledger, "10.0.0.0/16", 30)

    assert _take(ledger, child, count=2) == ["10.0.0.1", "10.0.0.2"]
    assert _prefixes(ledger) == ["10.0.0.0/16", "10.0.0.0/30"]
    assert usage_of(ledger, "10.0.0.0/16").used == 2
