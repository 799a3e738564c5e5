"""Prefixes: record, refuse duplicates, show the nesting, list with filters, update and delete."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ipledger.core.errors import (
    ConflictError,
    InvalidInputError,
    LedgerError,
    NotFoundError,
    StaleVersionError,
)
from ipledger.core.thresholds import Level, Thresholds
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import (
    PrefixFilter,
    delete_prefix,
    list_prefixes,
    show_prefix,
    update_prefix,
)
from ipledger.service.spaces import create_space
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    free_blocks,
    ip,
    net,
    prefix_of,
    usage_of,
)


def _cidrs(records: Any) -> list[str]:
    return [str(record.network) for record in records]


@pytest.mark.parametrize(
    ("cidr", "usable", "units_total"),
    [
        ("10.0.0.0/24", 254, 0),
        ("10.0.0.0/31", 2, 0),
        ("10.0.0.7/32", 1, 0),
        ("2001:db8::/56", 2**72 - 1, 256),
        ("2001:db8::/127", 2, 1),
        ("::/0", 2**128 - 1, 2**64),
    ],
    ids=["v4-24", "v4-31", "v4-32", "v6-56", "v6-127", "v6-all"],
)
def test_prefix_create_records_shape(ledger: Ledger, cidr: str, usable: int, units_total: int) -> None:
    record = add_prefix(ledger, cidr, role="pod", status="reserved", description="pods", tags=("b", "a"))

    assert (record.network, record.role, record.status, record.description, record.tags) == (
        net(cidr),
        "pod",
        "reserved",
        "pods",
        ("a", "b"),
    )
    assert (record.usage.size, record.usage.usable, record.usage.used, record.usage.units_total) == (
        net(cidr).num_addresses,
        usable,
        0,
        units_total,
    )
    assert (record.level, record.version, record.space) == (Level.OK, 1, "global")
    assert prefix_of(ledger, cidr) == record


def test_prefix_create_duplicate_refused_naming_existing(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")
    existing = add_prefix(ledger, "10.0.0.0/24", role="pod", group="k8s/prod")

    with pytest.raises(ConflictError) as caught:
        add_prefix(ledger, "10.0.0.0/24")

    assert str(caught.value) == (
        f"10.0.0.0/24 already exists in space global (prefix #{existing.id}, role pod, status active, "
        "group k8s/prod)"
    )


def test_prefix_create_same_cidr_in_other_space_allowed(ledger: Ledger) -> None:
    create_space(ledger, "cluster-a", actor=ACTOR)
    add_prefix(ledger, "10.42.0.0/16")

    other = add_prefix(ledger, "10.42.0.0/16", space="cluster-a")

    assert other.space == "cluster-a"
    assert _cidrs(list_prefixes(ledger)[0]) == ["10.42.0.0/16", "10.42.0.0/16"]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"role": "nope"}, InvalidInputError, "unknown role 'nope': expected one of"),
        ({"status": "gone"}, InvalidInputError, "unknown status 'gone': expected one of active"),
        ({"group": "k8s/missing"}, NotFoundError, "no group 'k8s/missing'"),
        ({"space": "nowhere"}, NotFoundError, "no space named 'nowhere'"),
        ({"unit_prefixlen": 64}, InvalidInputError, "allocation units apply to IPv6 prefixes only"),
    ],
    ids=["role", "status", "group", "space", "v4-unit"],
)
def test_prefix_create_bad_reference_refused(
    ledger: Ledger, options: dict[str, Any], error: type[LedgerError], message: str
) -> None:
    with pytest.raises(error, match=message):
        add_prefix(ledger, "10.0.0.0/24", **options)
    assert list_prefixes(ledger) == ([], 0)


@pytest.mark.parametrize("unit", [0, 129], ids=["zero", "too-long"])
def test_prefix_create_bad_ipv6_unit_refused(ledger: Ledger, unit: int) -> None:
    with pytest.raises(InvalidInputError, match=f"allocation unit /{unit} is out of bounds"):
        add_prefix(ledger, "2001:db8::/48", unit_prefixlen=unit)


def test_prefix_show_gives_parents_outermost_first(ledger: Ledger) -> None:
    for cidr in ["10.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24", "10.0.0.0/25"]:
        add_prefix(ledger, cidr)

    detail = show_prefix(ledger, net("10.0.0.0/24"))

    assert _cidrs(detail.parents) == ["10.0.0.0/8", "10.0.0.0/16"]
    assert _cidrs(detail.children) == ["10.0.0.0/25"]


def test_prefix_show_gives_direct_children_only(ledger: Ledger) -> None:
    for cidr in ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.200.0.0/24", "11.0.0.0/24"]:
        add_prefix(ledger, cidr)

    detail = show_prefix(ledger, net("10.0.0.0/8"))

    assert detail.parents == ()
    assert _cidrs(detail.children) == ["10.1.0.0/16", "10.200.0.0/24"]


def test_prefix_show_counts_ranges_and_addresses_inside(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    add_prefix(ledger, "10.0.1.0/24")
    add_range(ledger, "10.0.1.10-10.0.1.20")
    add_address(ledger, "10.0.1.15")
    add_address(ledger, "10.0.2.1")

    detail = show_prefix(ledger, net("10.0.0.0/16"))

    assert (detail.ranges, detail.addresses) == (1, 2)


def test_prefix_show_unknown_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match=re.escape("no prefix 10.0.0.0/24 in space global")):
        show_prefix(ledger, net("10.0.0.0/24"))


@pytest.fixture
def listed(ledger: Ledger) -> Ledger:
    """A small ledger to filter: groups, roles, statuses, tags, both families, two spaces."""
    for path in ["k8s/prod", "k8s/dev", "net"]:
        add_group(ledger, path)
    create_space(ledger, "lab", actor=ACTOR)
    add_prefix(ledger, "10.0.0.0/16", group="k8s", role="pod", tags=("blue",))
    add_prefix(ledger, "10.0.1.0/24", group="k8s/prod", role="pod", status="reserved", tags=("blue", "edge"))
    add_prefix(ledger, "10.0.2.0/24", group="k8s/dev", role="service", tags=("blue-green",))
    add_prefix(ledger, "192.168.0.0/24", group="net", role="infrastructure", status="deprecated")
    add_range(ledger, "192.168.0.1-192.168.0.200")
    add_prefix(ledger, "2001:db8::/48", group="net", role="node")
    add_prefix(ledger, "2001:db8::/64", role="node")
    add_prefix(ledger, "10.0.0.0/16", space="lab")
    return ledger


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (PrefixFilter(), ["10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "192.168.0.0/24", "2001:db8::/48",
                          "2001:db8::/64", "10.0.0.0/16"]),
        (PrefixFilter(space="lab"), ["10.0.0.0/16"]),
        (PrefixFilter(group="k8s"), ["10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24"]),
        (PrefixFilter(group="k8s", include_descendant_groups=False), ["10.0.0.0/16"]),
        (PrefixFilter(group="k8s/prod"), ["10.0.1.0/24"]),
        (PrefixFilter(role="pod"), ["10.0.0.0/16", "10.0.1.0/24"]),
        (PrefixFilter(status="reserved"), ["10.0.1.0/24"]),
        (PrefixFilter(status="Deprecated"), ["192.168.0.0/24"]),
        (PrefixFilter(tag="blue"), ["10.0.0.0/16", "10.0.1.0/24"]),
        (PrefixFilter(tag="edge"), ["10.0.1.0/24"]),
        (PrefixFilter(family=6), ["2001:db8::/48", "2001:db8::/64"]),
        (PrefixFilter(family=4, space="global"), ["10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "192.168.0.0/24"]),
        (PrefixFilter(contains=ip("10.0.1.7"), space="global"), ["10.0.0.0/16", "10.0.1.0/24"]),
        (PrefixFilter(contains=ip("2001:db8::1")), ["2001:db8::/48", "2001:db8::/64"]),
        (PrefixFilter(contains=ip("10.1.0.0")), []),
        (PrefixFilter(within=net("10.0.0.0/16"), space="global"), ["10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24"]),
        (PrefixFilter(within=net("10.0.0.0/23")), ["10.0.1.0/24"]),
        (PrefixFilter(within=net("2001:db8::/56")), ["2001:db8::/64"]),
        (PrefixFilter(utilization_gte=50.0), ["192.168.0.0/24"]),
        (PrefixFilter(level="warning"), ["192.168.0.0/24"]),
        (PrefixFilter(text="MANUAL", space="lab"), ["10.0.0.0/16"]),
        (PrefixFilter(group="net", family=6), ["2001:db8::/48"]),
    ],
    ids=[
        "all", "space", "group-tree", "group-only", "group-leaf", "role", "status", "status-case", "tag",
        "tag-second", "family-6", "family-4", "contains-v4", "contains-v6", "contains-none", "within-v4",
        "within-narrow", "within-v6", "utilization", "level", "text", "combined",
    ],
)  # fmt: skip
def test_prefix_list_filters(listed: Ledger, criteria: PrefixFilter, expected: list[str]) -> None:
    records, total = list_prefixes(listed, criteria)

    assert _cidrs(records) == expected
    assert total == len(expected)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("axb", ["10.0.1.0/24"]),
        ("café", ["10.0.0.0/24"]),
        ('say "hi"', ["10.0.2.0/24"]),
        ("a_b", []),
        ("%", []),
    ],
    ids=["plain", "non-ascii", "quotes", "underscore-is-no-wildcard", "percent-is-no-wildcard"],
)
def test_prefix_list_tag_matches_whole_tag_exactly(ledger: Ledger, tag: str, expected: list[str]) -> None:
    add_prefix(ledger, "10.0.0.0/24", tags=("café",))
    add_prefix(ledger, "10.0.1.0/24", tags=("axb",))
    add_prefix(ledger, "10.0.2.0/24", tags=('say "hi"',))

    records, total = list_prefixes(ledger, PrefixFilter(tag=tag))

    assert (_cidrs(records), total) == (expected, len(expected))


def test_prefix_list_sorts_by_utilization(listed: Ledger) -> None:
    add_prefix(listed, "10.0.3.0/30")
    add_address(listed, "10.0.3.1")

    records, _ = list_prefixes(listed, PrefixFilter(sort="utilization", space="global", family=4))

    assert _cidrs(records)[:2] == ["192.168.0.0/24", "10.0.3.0/30"]
    percents = [record.usage.percent for record in records]
    assert percents == sorted(percents, reverse=True)


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [
        (2, 0, ["10.0.0.0/16", "10.0.1.0/24"]),
        (2, 2, ["10.0.2.0/24", "192.168.0.0/24"]),
        (10, 5, ["2001:db8::/64"]),
        (None, 6, []),
    ],
    ids=["first-page", "second-page", "last-page", "past-the-end"],
)
def test_prefix_list_pages_with_total(
    listed: Ledger, limit: int | None, offset: int, expected: list[str]
) -> None:
    records, total = list_prefixes(listed, PrefixFilter(space="global", limit=limit, offset=offset))

    assert (_cidrs(records), total) == (expected, 6)


def test_prefix_list_unknown_sort_refused(listed: Ledger) -> None:
    with pytest.raises(InvalidInputError, match="unknown sort 'size'"):
        list_prefixes(listed, PrefixFilter(sort="size"))


def test_prefix_update_changes_fields(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    add_prefix(ledger, "10.0.0.0/24")

    record = update_prefix(
        ledger,
        net("10.0.0.0/24"),
        actor=ACTOR,
        expected_version=1,
        changes={
            "status": "reserved",
            "role": "pod",
            "group": "k8s",
            "managed_by": "cluster-a",
            "description": "pods",
            "tags": ["x"],
        },
    )

    assert (record.status, record.role, record.group, record.managed_by, record.description, record.tags) == (
        "reserved",
        "pod",
        "k8s",
        "cluster-a",
        "pods",
        ("x",),
    )
    assert record.version == 2
    assert prefix_of(ledger, "10.0.0.0/24") == record


def test_prefix_update_clears_group(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    add_prefix(ledger, "10.0.0.0/24", group="k8s")

    record = update_prefix(ledger, net("10.0.0.0/24"), actor=ACTOR, changes={"group": None})

    assert record.group is None


def test_prefix_update_stale_version_refused(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    update_prefix(ledger, net("10.0.0.0/24"), actor=ACTOR, changes={"description": "first"})

    with pytest.raises(StaleVersionError, match=re.escape("10.0.0.0/24 is at version 2, not 1")) as caught:
        update_prefix(
            ledger, net("10.0.0.0/24"), actor=ACTOR, expected_version=1, changes={"description": "late"}
        )

    assert caught.value.current.description == "first"
    assert prefix_of(ledger, "10.0.0.0/24").description == "first"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prefix": "10.0.1.0/24"}, "unknown prefix field"),
        ({"status": "gone"}, "unknown status"),
        ({"role": "nope"}, "unknown role"),
        ({"thresholds": {"warning": 50.0}}, "threshold"),
    ],
    ids=["field", "status", "role", "thresholds-not-thresholds"],
)
def test_prefix_update_bad_change_refused(ledger: Ledger, changes: dict[str, Any], message: str) -> None:
    add_prefix(ledger, "10.0.0.0/24")

    with pytest.raises(InvalidInputError, match=message):
        update_prefix(ledger, net("10.0.0.0/24"), actor=ACTOR, changes=changes)
    assert prefix_of(ledger, "10.0.0.0/24").version == 1


def test_prefix_update_thresholds_changes_level(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/30")
    add_address(ledger, "10.0.0.1")

    record = update_prefix(
        ledger, net("10.0.0.0/30"), actor=ACTOR, changes={"thresholds": Thresholds(10, 20, 60)}
    )

    assert (record.thresholds, record.level) == (Thresholds(10, 20, 60), Level.CRITICAL)


def test_prefix_update_pool_counts_every_address(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")

    record = update_prefix(ledger, net("10.0.0.0/24"), actor=ACTOR, changes={"is_pool": True})

    assert (record.is_pool, record.usage.usable) == (True, 256)


def test_prefix_delete_keeps_children_and_addresses(ledger: Ledger) -> None:
    for cidr in ["10.0.0.0/8", "10.0.0.0/16", "10.0.1.0/24"]:
        add_prefix(ledger, cidr)
    add_address(ledger, "10.0.0.5")

    deleted = delete_prefix(ledger, net("10.0.0.0/16"), actor=ACTOR)

    assert deleted.network == net("10.0.0.0/16")
    detail = show_prefix(ledger, net("10.0.0.0/8"))
    assert _cidrs(detail.children) == ["10.0.1.0/24"]
    assert detail.addresses == 1
    assert (detail.prefix.usage.used, detail.prefix.usage.covered) == (1, 256)


def test_prefix_delete_returns_free_space_to_parent(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/26")
    add_prefix(ledger, "10.0.0.0/28")
    add_address(ledger, "10.0.0.17")

    delete_prefix(ledger, net("10.0.0.0/26"), actor=ACTOR)

    assert free_blocks(ledger, "10.0.0.0/24") == [
        "10.0.0.16/32",
        "10.0.0.18/31",
        "10.0.0.20/30",
        "10.0.0.24/29",
        "10.0.0.32/27",
        "10.0.0.64/26",
        "10.0.0.128/25",
    ]


def test_prefix_delete_last_child_merges_free_space(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.64/26")

    delete_prefix(ledger, net("10.0.0.64/26"), actor=ACTOR)

    assert free_blocks(ledger, "10.0.0.0/24") == ["10.0.0.0/24"]
    assert usage_of(ledger, "10.0.0.0/24").covered == 0


def test_prefix_delete_unknown_not_found(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/16")

    with pytest.raises(NotFoundError, match=re.escape("no prefix 10.0.0.0/24 in space global")):
        delete_prefix(ledger, net("10.0.0.0/24"), actor=ACTOR)


def test_prefix_create_around_existing_children(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.1.0/24")
    add_prefix(ledger, "10.0.3.0/24")
    add_address(ledger, "10.0.2.9")

    record = add_prefix(ledger, "10.0.0.0/22")

    assert (record.usage.covered, record.usage.used) == (512, 1)
    assert _cidrs(show_prefix(ledger, net("10.0.0.0/22")).children) == ["10.0.1.0/24", "10.0.3.0/24"]
    assert free_blocks(ledger, "10.0.0.0/22") == [
        "10.0.0.0/24",
        "10.0.2.0/29",
        "10.0.2.8/32",
        "10.0.2.10/31",
        "10.0.2.12/30",
        "10.0.2.16/28",
        "10.0.2.32/27",
        "10.0.2.64/26",
        "10.0.2.128/25",
    ]


def test_prefix_create_between_parent_and_children(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    add_prefix(ledger, "10.0.1.0/24")

    add_prefix(ledger, "10.0.0.0/20")

    assert usage_of(ledger, "10.0.0.0/16").covered == 4096
    assert usage_of(ledger, "10.0.0.0/20").covered == 256
    assert _cidrs(show_prefix(ledger, net("10.0.0.0/16")).children) == ["10.0.0.0/20"]
    assert free_blocks(ledger, "10.0.0.0/16")[0] == "10.0.16.0/20"
