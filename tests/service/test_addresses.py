"""Addresses: one IP per space, usable in its prefix, with a holder and a normalised MAC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, StaleVersionError
from ipledger.service.addresses import delete_address, list_addresses, update_address
from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    free_blocks,
    ip,
    span,
    usage_of,
)

SEEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_address_create_records_fields(ledger: Ledger) -> None:
    add_group(ledger, "k8s")
    add_prefix(ledger, "10.0.0.0/24")

    record = add_address(
        ledger,
        "10.0.0.7",
        holder_kind="node",
        holder_name="node-7",
        dns_name="node-7.example.org",
        mac="52:54:00:AB:CD:EF",
        source="sync:cluster-a",
        last_seen=SEEN,
        group="k8s",
        tags=("rack1",),
    )

    assert (record.address, record.holder_kind, record.holder_name, record.dns_name, record.mac) == (
        ip("10.0.0.7"),
        "node",
        "node-7",
        "node-7.example.org",
        "52:54:00:ab:cd:ef",
    )
    assert (record.source, record.last_seen, record.group, record.tags, record.version) == (
        "sync:cluster-a",
        SEEN,
        "k8s",
        ("rack1",),
        1,
    )
    assert list_addresses(ledger) == [record]


def test_address_create_outside_any_prefix_allowed(ledger: Ledger) -> None:
    record = add_address(ledger, "2001:db8::1")

    assert record.address == ip("2001:db8::1")


def test_address_create_duplicate_refused_naming_holder(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    existing = add_address(ledger, "10.0.0.7", holder_kind="pod", holder_name="web-1")

    with pytest.raises(ConflictError) as caught:
        add_address(ledger, "10.0.0.7", holder_name="web-2")

    assert str(caught.value) == (
        f"10.0.0.7 is already recorded in space global (address #{existing.id}, held by pod web-1)"
    )
    assert [item.holder_name for item in list_addresses(ledger)] == ["web-1"]


def test_address_create_same_ip_in_other_space_allowed(ledger: Ledger) -> None:
    create_space(ledger, "cluster-a", actor=ACTOR)
    add_address(ledger, "10.42.0.7")

    add_address(ledger, "10.42.0.7", space="cluster-a")

    assert [item.space for item in list_addresses(ledger)] == ["global", "cluster-a"]


@pytest.mark.parametrize(
    ("cidr", "address", "what"),
    [
        ("10.0.0.0/24", "10.0.0.0", "network"),
        ("10.0.0.0/24", "10.0.0.255", "broadcast"),
        ("10.0.0.0/30", "10.0.0.3", "broadcast"),
        ("2001:db8::/64", "2001:db8::", "subnet-router anycast"),
    ],
    ids=["v4-network", "v4-broadcast", "v4-30-broadcast", "v6-anycast"],
)
def test_address_create_unusable_refused(ledger: Ledger, cidr: str, address: str, what: str) -> None:
    add_prefix(ledger, cidr)

    with pytest.raises(InvalidInputError, match=f"{address} is the {what} address of {cidr}"):
        add_address(ledger, address)
    assert list_addresses(ledger) == []


def test_address_create_refused_in_innermost_prefix(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    add_prefix(ledger, "10.0.1.0/24")

    with pytest.raises(
        InvalidInputError, match=re.escape("10.0.1.255 is the broadcast address of 10.0.1.0/24")
    ):
        add_address(ledger, "10.0.1.255")


@pytest.mark.parametrize(
    ("cidr", "is_pool", "address"),
    [
        ("10.0.0.0/24", True, "10.0.0.0"),
        ("10.0.0.0/24", True, "10.0.0.255"),
        ("10.0.0.0/31", False, "10.0.0.0"),
        ("10.0.0.0/31", False, "10.0.0.1"),
        ("10.0.0.9/32", False, "10.0.0.9"),
        ("2001:db8::/64", True, "2001:db8::"),
        ("2001:db8::/64", False, "2001:db8::ffff:ffff:ffff:ffff"),
        ("2001:db8::/127", False, "2001:db8::"),
    ],
    ids=["pool-network", "pool-broadcast", "31-low", "31-high", "32", "v6-pool-anycast", "v6-last", "v6-127"],
)
def test_address_create_edge_usable_allowed(ledger: Ledger, cidr: str, is_pool: bool, address: str) -> None:
    add_prefix(ledger, cidr, is_pool=is_pool)

    add_address(ledger, address)

    assert usage_of(ledger, cidr).used == 1


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("52:54:00:12:34:56", "52:54:00:12:34:56"),
        ("52-54-00-AB-CD-EF", "52:54:00:ab:cd:ef"),
        ("5254.00ab.cdef", "52:54:00:ab:cd:ef"),
        ("525400ABCDEF", "52:54:00:ab:cd:ef"),
        ("", ""),
    ],
    ids=["colons", "dashes", "cisco", "bare", "empty"],
)
def test_address_mac_normalised(ledger: Ledger, given: str, stored: str) -> None:
    assert add_address(ledger, "10.0.0.1", mac=given).mac == stored


@pytest.mark.parametrize(
    "mac",
    ["52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:zz", "not a mac", "52:54:00:12:3:4:56"],
    ids=["short", "long", "not-hex", "words", "seven-groups"],
)
def test_address_bad_mac_refused(ledger: Ledger, mac: str) -> None:
    with pytest.raises(InvalidInputError, match="is not a MAC address"):
        add_address(ledger, "10.0.0.1", mac=mac)
    assert list_addresses(ledger) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "lost"}, "unknown status 'lost'"),
        ({"holder_kind": "toaster"}, "unknown holder kind 'toaster'"),
        ({"tags": "web"}, "tags must be a list of words"),
    ],
    ids=["status", "holder-kind", "tags-string"],
)
def test_address_bad_field_refused(ledger: Ledger, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        add_address(ledger, "10.0.0.1", **fields)
    assert list_addresses(ledger) == []


def test_address_naive_last_seen_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidInputError, match=r"last_seen|zone"):
        add_address(ledger, "10.0.0.1", last_seen=datetime(2026, 1, 2, 3, 4, 5))
    assert list_addresses(ledger) == []


def test_address_update_changes_fields(ledger: Ledger) -> None:
    add_address(ledger, "10.0.0.1", holder_name="old")

    record = update_address(
        ledger,
        ip("10.0.0.1"),
        actor=ACTOR,
        expected_version=1,
        changes={"holder_name": "new", "mac": "AA-BB-CC-DD-EE-FF", "last_seen": SEEN, "status": "deprecated"},
    )

    assert (record.holder_name, record.mac, record.last_seen, record.status, record.version) == (
        "new",
        "aa:bb:cc:dd:ee:ff",
        SEEN,
        "deprecated",
        2,
    )


def test_address_update_stale_version_refused(ledger: Ledger) -> None:
    add_address(ledger, "10.0.0.1")
    update_address(ledger, ip("10.0.0.1"), actor=ACTOR, changes={"holder_name": "a"})

    with pytest.raises(StaleVersionError, match=re.escape("10.0.0.1 is at version 2, not 1")):
        update_address(ledger, ip("10.0.0.1"), actor=ACTOR, expected_version=1, changes={"holder_name": "b"})
    assert list_addresses(ledger)[0].holder_name == "a"


def test_address_update_bad_mac_refused(ledger: Ledger) -> None:
    add_address(ledger, "10.0.0.1", mac="52:54:00:12:34:56")

    with pytest.raises(InvalidInputError, match="is not a MAC address"):
        update_address(ledger, ip("10.0.0.1"), actor=ACTOR, changes={"mac": "52:54"})
    assert list_addresses(ledger)[0].mac == "52:54:00:12:34:56"


def test_address_delete_frees_it(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/29")
    add_address(ledger, "10.0.0.3")

    deleted = delete_address(ledger, ip("10.0.0.3"), actor=ACTOR)

    assert deleted.address == ip("10.0.0.3")
    assert list_addresses(ledger) == []
    assert free_blocks(ledger, "10.0.0.0/29") == ["10.0.0.0/29"]
    assert usage_of(ledger, "10.0.0.0/29").used == 0


def test_address_in_range_belongs_to_range(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.13")

    add_address(ledger, "10.0.0.11")

    assert usage_of(ledger, "10.0.0.0/24").used == 4
    assert free_blocks(ledger, "10.0.0.10-10.0.0.13") == ["10.0.0.10/32", "10.0.0.12/31"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"holder": "WEB"}, ["10.0.0.1", "10.0.0.2"]),
        ({"holder": "db.example"}, ["10.0.0.3"]),
        ({"within": span("10.0.0.2-10.0.0.3")}, ["10.0.0.2", "10.0.0.3"]),
        ({"limit": 2, "offset": 1}, ["10.0.0.2", "10.0.0.3"]),
        ({"space": "global"}, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1"]),
    ],
    ids=["holder", "dns", "within", "page", "space"],
)
def test_address_list_filters(ledger: Ledger, options: dict[str, Any], expected: list[str]) -> None:
    add_address(ledger, "10.0.0.1", holder_name="web-1")
    add_address(ledger, "10.0.0.2", holder_name="web-2")
    add_address(ledger, "10.0.0.3", holder_name="db", dns_name="db.example.org")
    add_address(ledger, "2001:db8::1")

    assert [str(item.address) for item in list_addresses(ledger, **options)] == expected
