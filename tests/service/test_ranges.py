"""Ranges: a span inside one prefix, overlapping no other range and crossing no prefix."""

from __future__ import annotations

import re

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError, StaleVersionError
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import delete_prefix
from ipledger.service.ranges import delete_range, list_ranges, update_range
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    free_blocks,
    net,
    span,
    usage_of,
)


def test_range_create_inside_prefix(ledger: Ledger) -> None:
    add_group(ledger, "lb")
    add_prefix(ledger, "10.0.0.0/24")

    record = add_range(ledger, "10.0.0.10-10.0.0.19", role="loadbalancer", group="lb", tags=("metallb",))

    assert (record.span, record.role, record.group, record.tags, record.used) == (
        span("10.0.0.10-10.0.0.19"),
        "loadbalancer",
        "lb",
        ("metallb",),
        0,
    )
    assert list_ranges(ledger) == [record]
    assert usage_of(ledger, "10.0.0.0/24").used == 10


def test_range_create_ipv6(ledger: Ledger) -> None:
    add_prefix(ledger, "2001:db8::/64")

    record = add_range(ledger, "2001:db8::100-2001:db8::1ff")

    assert record.span.num_addresses == 256
    assert usage_of(ledger, "2001:db8::/64").used == 256


@pytest.mark.parametrize(
    "text",
    ["10.9.0.1-10.9.0.5", "10.0.0.250-10.0.1.5"],
    ids=["outside", "partly-outside"],
)
def test_range_create_outside_any_prefix_refused(ledger: Ledger, text: str) -> None:
    add_prefix(ledger, "10.0.0.0/24")

    with pytest.raises(InvalidInputError, match=f"range {text} is not inside any prefix of space global"):
        add_range(ledger, text)
    assert list_ranges(ledger) == []


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.10-10.0.0.12",
        "10.0.0.15-10.0.0.25",
        "10.0.0.5-10.0.0.10",
        "10.0.0.1-10.0.0.99",
        "10.0.0.20-10.0.0.20",
    ],
    ids=["same-start", "crosses-end", "crosses-start", "around", "last-address"],
)
def test_range_create_overlap_refused_naming_other(ledger: Ledger, text: str) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    other = add_range(ledger, "10.0.0.10-10.0.0.20")

    with pytest.raises(ConflictError, match=f"overlaps range 10.0.0.10-10.0.0.20 \\(range #{other.id}\\)"):
        add_range(ledger, text)


def test_range_create_adjacent_allowed(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")

    add_range(ledger, "10.0.0.21-10.0.0.30")
    add_range(ledger, "10.0.0.1-10.0.0.9")

    assert [str(item.span) for item in list_ranges(ledger)] == [
        "10.0.0.1-10.0.0.9",
        "10.0.0.10-10.0.0.20",
        "10.0.0.21-10.0.0.30",
    ]


@pytest.mark.parametrize(
    ("prefixes", "text", "crossed"),
    [
        (["10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24"], "10.0.0.250-10.0.1.5", "10.0.0.0/24"),
        (["10.0.0.0/16", "10.0.1.0/24"], "10.0.0.250-10.0.1.5", "10.0.1.0/24"),
        (["10.0.0.0/24", "10.0.0.16/28"], "10.0.0.10-10.0.0.40", "10.0.0.16/28"),
        (["10.0.0.0/24", "10.0.0.16/28"], "10.0.0.20-10.0.0.40", "10.0.0.16/28"),
    ],
    ids=["straddles-siblings", "into-child", "around-child", "out-of-child"],
)
def test_range_create_crossing_prefix_refused(
    ledger: Ledger, prefixes: list[str], text: str, crossed: str
) -> None:
    for cidr in prefixes:
        add_prefix(ledger, cidr)

    with pytest.raises(ConflictError, match=f"range {text} would cut through prefix {crossed}"):
        add_range(ledger, text)
    assert list_ranges(ledger) == []


@pytest.mark.parametrize(
    "cidr", ["10.0.0.8/29", "10.0.0.16/28", "10.0.0.12/30"], ids=["start", "end", "inside"]
)
def test_prefix_create_cutting_range_refused(ledger: Ledger, cidr: str) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    other = add_range(ledger, "10.0.0.10-10.0.0.20")

    with pytest.raises(
        ConflictError, match=f"{cidr} would cut through range 10.0.0.10-10.0.0.20 \\(range #{other.id}\\)"
    ):
        add_prefix(ledger, cidr)


def test_prefix_create_around_range_allowed(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")

    record = add_prefix(ledger, "10.0.0.0/27")

    assert record.usage.used == 11
    assert free_blocks(ledger, "10.0.0.0/27") == [
        "10.0.0.0/29",
        "10.0.0.8/31",
        "10.0.0.21/32",
        "10.0.0.22/31",
        "10.0.0.24/29",
    ]


def test_range_create_counts_addresses_inside(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_address(ledger, "10.0.0.15")
    add_address(ledger, "10.0.0.30")

    record = add_range(ledger, "10.0.0.10-10.0.0.20")

    assert record.used == 1
    assert usage_of(ledger, "10.0.0.0/24").used == 12
    assert free_blocks(ledger, "10.0.0.10-10.0.0.20") == [
        "10.0.0.10/31",
        "10.0.0.12/31",
        "10.0.0.14/32",
        "10.0.0.16/30",
        "10.0.0.20/32",
    ]


def test_range_update_changes_fields(ledger: Ledger) -> None:
    add_group(ledger, "lb")
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")

    record = update_range(
        ledger,
        span("10.0.0.10-10.0.0.20"),
        actor=ACTOR,
        expected_version=1,
        changes={"status": "planned", "role": "loadbalancer", "group": "lb", "description": "pool"},
    )

    assert (record.status, record.role, record.group, record.description, record.version) == (
        "planned",
        "loadbalancer",
        "lb",
        "pool",
        2,
    )


def test_range_update_stale_version_refused(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")
    update_range(ledger, span("10.0.0.10-10.0.0.20"), actor=ACTOR, changes={"description": "first"})

    with pytest.raises(StaleVersionError, match="is at version 2, not 1"):
        update_range(
            ledger, span("10.0.0.10-10.0.0.20"), actor=ACTOR, expected_version=1, changes={"description": "x"}
        )


@pytest.mark.parametrize("text", ["10.0.0.10-10.0.0.19", "10.0.0.11-10.0.0.20"], ids=["shorter", "later"])
def test_range_update_inexact_span_not_found(ledger: Ledger, text: str) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")

    with pytest.raises(NotFoundError, match=f"no range {text} in space global"):
        update_range(ledger, span(text), actor=ACTOR, changes={"description": "x"})


def test_range_delete_keeps_addresses(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")
    add_address(ledger, "10.0.0.12")

    deleted = delete_range(ledger, span("10.0.0.10-10.0.0.20"), actor=ACTOR)

    assert deleted.used == 1
    assert list_ranges(ledger) == []
    assert usage_of(ledger, "10.0.0.0/24").used == 1
    assert free_blocks(ledger, "10.0.0.0/24") == [
        "10.0.0.0/29",
        "10.0.0.8/30",
        "10.0.0.13/32",
        "10.0.0.14/31",
        "10.0.0.16/28",
        "10.0.0.32/27",
        "10.0.0.64/26",
        "10.0.0.128/25",
    ]


def test_range_list_filters(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.1.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")
    add_range(ledger, "10.0.1.10-10.0.1.20")
    add_range(ledger, "10.0.1.30-10.0.1.40")

    within = list_ranges(ledger, within=span("10.0.1.0/24"))
    paged = list_ranges(ledger, limit=1, offset=1)

    assert [str(item.span) for item in within] == ["10.0.1.10-10.0.1.20", "10.0.1.30-10.0.1.40"]
    assert [str(item.span) for item in paged] == ["10.0.1.10-10.0.1.20"]


def test_prefix_delete_last_around_range_refused(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")

    with pytest.raises(ConflictError, match=re.escape("10.0.0.0/24 holds range 10.0.0.10-10.0.0.20")):
        delete_prefix(ledger, net("10.0.0.0/24"), actor=ACTOR)

    assert [str(item.span) for item in list_ranges(ledger)] == ["10.0.0.10-10.0.0.20"]
    assert usage_of(ledger, "10.0.0.0/24").used == 11


def test_prefix_delete_hands_range_to_outer_prefix(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")

    delete_prefix(ledger, net("10.0.0.0/24"), actor=ACTOR)
    assert (usage_of(ledger, "10.0.0.0/16").used, usage_of(ledger, "10.0.0.0/16").covered) == (11, 0)

    delete_range(ledger, span("10.0.0.10-10.0.0.20"), actor=ACTOR)
    assert usage_of(ledger, "10.0.0.0/16").used == 0
    assert free_blocks(ledger, "10.0.0.0/16") == ["10.0.0.0/16"]
