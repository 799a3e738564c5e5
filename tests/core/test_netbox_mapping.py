"""NetBox's words mapped to the ledger's and back: statuses, address roles, ids, slugs, spaces."""

from __future__ import annotations

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.netbox_mapping import (
    address_role_of,
    label_of,
    ledger_status,
    netbox_status,
    plain_tags,
    slug_of,
    space_name_of,
    stable_id,
)


@pytest.mark.parametrize(
    ("kind", "value", "status", "tags"),
    [
        ("prefix", "active", "active", ()),
        ("prefix", " Reserved ", "reserved", ()),
        ("prefix", "container", "active", ("netbox-status:container",)),
        ("prefix", "planned", "planned", ()),
        ("address", "dhcp", "active", ("netbox-status:dhcp",)),
        ("address", "slaac", "active", ("netbox-status:slaac",)),
        ("range", "deprecated", "deprecated", ()),
    ],
)
def test_ledger_status_maps_netbox_statuses(
    kind: str, value: str, status: str, tags: tuple[str, ...]
) -> None:
    assert ledger_status(kind, value) == (status, tags)  # type: ignore[arg-type]
    assert netbox_status(status, tags) == value.strip().lower()


@pytest.mark.parametrize(
    ("kind", "value"), [("range", "container"), ("prefix", "dhcp"), ("address", "bogus")]
)
def test_ledger_status_refuses_what_the_kind_does_not_know(kind: str, value: str) -> None:
    with pytest.raises(InvalidInputError, match="not a valid choice") as refused:
        ledger_status(kind, value)  # type: ignore[arg-type]
    assert refused.value.field == "status"


def test_address_role_and_plain_tags_come_from_the_reserved_tags() -> None:
    tags = ("gold", "netbox-role:vip", "netbox-status:dhcp")
    assert (address_role_of(tags), address_role_of(("gold",))) == ("vip", None)
    assert plain_tags(tags) == ["gold"]


@pytest.mark.parametrize(
    ("value", "label"),
    [("active", "Active"), ("dhcp", "DHCP"), ("vip", "VIP"), ("expansion-reserve", "Expansion reserve")],
)
def test_label_of_gives_netboxs_labels(value: str, label: str) -> None:
    assert label_of(value) == label


def test_stable_id_is_positive_and_the_same_every_time() -> None:
    assert stable_id("general") == stable_id("general") == 1311323722
    assert 0 < stable_id("x") < 2**31


@pytest.mark.parametrize(
    ("name", "slug"), [("Acme Corp", "acme-corp"), ("dc1/servers", "dc1-servers"), ("///", "-")]
)
def test_slug_of_makes_netbox_slugs(name: str, slug: str) -> None:
    assert slug_of(name) == slug


def test_space_name_of_makes_one_word() -> None:
    assert space_name_of(" Customer A / EU ") == "Customer-A-EU"
    with pytest.raises(InvalidInputError, match="needs a name"):
        space_name_of("  ")
