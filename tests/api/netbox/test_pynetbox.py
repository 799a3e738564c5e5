"""The real pynetbox client against the real server, used as a NetBox user uses it: connect,
list, filter, get, count, create, update, delete prefixes, IP ranges, IP addresses and VRFs, and
take available IPs and prefixes. Each test also checks what the ledger itself then holds."""

from __future__ import annotations

import ipaddress

import pynetbox
import pytest
from pynetbox.core.query import AllocationError, RequestError

from ipledger.service import prefixes, search
from ipledger.service.ledger import Ledger
from tests.api.factories import add_all, new_address, new_prefix, new_range
from tests.service.factories import net


def _ledger_prefixes(ledger: Ledger) -> list[str]:
    return [str(record.network) for record in prefixes.list_prefixes(ledger)[0]]


def test_pynetbox_connects_and_reads_version_and_status(nb: pynetbox.api) -> None:
    assert nb.version == "4.6"
    status = nb.status()
    assert status["netbox-version"] == "4.6.8"
    assert set(status) >= {"django-version", "installed_apps", "netbox-version", "python-version", "plugins"}


def test_pynetbox_creates_a_prefix_that_the_ledger_then_holds(nb: pynetbox.api, ledger: Ledger) -> None:
    created = nb.ipam.prefixes.create(
        prefix="10.0.0.0/16", description="lab", status="reserved", is_pool=True
    )
    assert (created.prefix, created.description, created.status.value, created.is_pool) == (
        "10.0.0.0/16",
        "lab",
        "reserved",
        True,
    )
    record = search.get_prefix(ledger, created.id)
    assert (str(record.network), record.status, record.description, record.is_pool) == (
        "10.0.0.0/16",
        "reserved",
        "lab",
        True,
    )


def test_pynetbox_creates_a_list_of_prefixes_all_or_nothing(nb: pynetbox.api, ledger: Ledger) -> None:
    created = nb.ipam.prefixes.create(
        [{"prefix": "10.1.0.0/24"}, {"prefix": "10.2.0.0/24", "status": "container"}]
    )
    assert [str(item) for item in created] == ["10.1.0.0/24", "10.2.0.0/24"]
    assert created[1].status.value == "container"
    with pytest.raises(RequestError) as refused:
        nb.ipam.prefixes.create([{"prefix": "10.3.0.0/24"}, {"prefix": "10.1.0.0/24"}])
    assert refused.value.req.status_code == 400
    assert "items[1]" in str(refused.value.error)
    assert _ledger_prefixes(ledger) == ["10.1.0.0/24", "10.2.0.0/24"]


def test_pynetbox_lists_every_page_by_following_next(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, *(new_prefix(f"10.{index}.0.0/16") for index in range(120)))
    listed = list(nb.ipam.prefixes.all(limit=50))
    assert [item.prefix for item in listed] == [f"10.{index}.0.0/16" for index in range(120)]
    assert nb.ipam.prefixes.count() == 120


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({"within": "10.0.0.0/8"}, ["10.1.0.0/16", "10.1.2.0/24"], id="within"),
        pytest.param({"within_include": "10.1.0.0/16"}, ["10.1.0.0/16", "10.1.2.0/24"], id="within_include"),
        pytest.param({"contains": "10.1.2.7"}, ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"], id="contains"),
        pytest.param(
            {"prefix": ["10.0.0.0/8", "2001:db8::/32"]}, ["10.0.0.0/8", "2001:db8::/32"], id="prefix-or"
        ),
        pytest.param({"family": 6}, ["2001:db8::/32"], id="family"),
        pytest.param({"status": "reserved"}, ["10.1.2.0/24"], id="status"),
        pytest.param({"role": "pod"}, ["10.1.0.0/16"], id="role"),
        pytest.param({"tag": "blue"}, ["10.1.0.0/16", "2001:db8::/32"], id="tag"),
        pytest.param({"tag": ["blue", "green"]}, ["2001:db8::/32"], id="tags-and"),
        pytest.param({"q": "edge"}, ["10.1.2.0/24"], id="q"),
        pytest.param(
            {"vrf_id": "null"}, ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "2001:db8::/32"], id="global"
        ),
        pytest.param({"mask_length__gte": 16, "family": 4}, ["10.1.0.0/16", "10.1.2.0/24"], id="mask-gte"),
    ],
)
def test_pynetbox_filters_prefixes(
    nb: pynetbox.api, ledger: Ledger, filters: dict[str, object], expected: list[str]
) -> None:
    add_all(
        ledger,
        new_prefix("10.0.0.0/8"),
        new_prefix("10.1.0.0/16", role="pod", tags=("blue",)),
        new_prefix("10.1.2.0/24", status="reserved", description="edge routers"),
        new_prefix("2001:db8::/32", tags=("blue", "green")),
    )
    assert sorted(item.prefix for item in nb.ipam.prefixes.filter(**filters)) == sorted(expected)


def test_pynetbox_filters_by_vrf_and_tenant(nb: pynetbox.api, ledger: Ledger) -> None:
    vrf = nb.ipam.vrfs.create(name="blue")
    nb.ipam.prefixes.create(prefix="10.0.0.0/24", vrf=vrf.id)
    nb.ipam.prefixes.create(prefix="10.0.0.0/24")
    in_vrf = list(nb.ipam.prefixes.filter(vrf_id=vrf.id))
    assert [(item.prefix, item.vrf.name) for item in in_vrf] == [("10.0.0.0/24", "blue")]
    assert [item.vrf for item in nb.ipam.prefixes.filter(vrf_id="null")] == [None]


def test_pynetbox_gets_one_prefix_or_none(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24", description="docs"))
    found = nb.ipam.prefixes.get(prefix="192.0.2.0/24")
    assert found is not None
    assert nb.ipam.prefixes.get(found.id).description == "docs"
    assert nb.ipam.prefixes.get(9999) is None


def test_pynetbox_saves_a_changed_prefix(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"))
    found = nb.ipam.prefixes.get(prefix="192.0.2.0/24")
    found.description = "changed"
    found.status = "deprecated"
    found.role = nb.ipam.roles.get(name="pod").id
    assert found.save()
    record = prefixes.list_prefixes(ledger)[0][0]
    assert (record.description, record.status, record.role) == ("changed", "deprecated", "pod")


def test_pynetbox_updates_and_deletes_prefixes_in_bulk(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("10.1.0.0/24"), new_prefix("10.2.0.0/24"), new_prefix("10.3.0.0/24"))
    records = list(nb.ipam.prefixes.all())
    updated = nb.ipam.prefixes.update([{"id": item.id, "description": f"n{item.id}"} for item in records[:2]])
    assert [item.description for item in updated] == [f"n{records[0].id}", f"n{records[1].id}"]
    assert nb.ipam.prefixes.delete(records[:2])
    assert _ledger_prefixes(ledger) == ["10.3.0.0/24"]
    assert nb.ipam.prefixes.get(records[2].id).delete()
    assert _ledger_prefixes(ledger) == []


def test_pynetbox_creates_gets_updates_and_deletes_ip_addresses(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"))
    created = nb.ipam.ip_addresses.create(
        address="192.0.2.10/24", dns_name="Web.Example.net", status="dhcp", role="vip"
    )
    assert (created.address, created.dns_name, created.status.value, created.role.value) == (
        "192.0.2.10/24",
        "web.example.net",
        "dhcp",
        "vip",
    )
    found = nb.ipam.ip_addresses.get(address="192.0.2.10")
    found.description = "front"
    found.save()
    record = search.get_address(ledger, created.id)
    assert (record.description, record.dns_name, record.status) == ("front", "web.example.net", "active")
    assert nb.ipam.ip_addresses.get(created.id).status.value == "dhcp"
    assert found.delete()
    assert search.search_addresses(ledger, search.AddressFilter())[1] == 0


def test_pynetbox_filters_ip_addresses_by_parent_and_address(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(
        ledger,
        new_prefix("192.0.2.0/24"),
        new_address("192.0.2.5"),
        new_address("192.0.2.200"),
        new_address("198.51.100.1"),
    )
    assert [item.address for item in nb.ipam.ip_addresses.filter(parent="192.0.2.0/25")] == ["192.0.2.5/24"]
    assert [
        item.address for item in nb.ipam.ip_addresses.filter(address=["192.0.2.200/24", "198.51.100.1"])
    ] == [
        "192.0.2.200/24",
        "198.51.100.1/32",
    ]


def test_pynetbox_manages_ip_ranges(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"))
    created = nb.ipam.ip_ranges.create(
        start_address="192.0.2.100/24", end_address="192.0.2.150/24", description="dhcp"
    )
    assert (created.start_address, created.end_address, created.size) == (
        "192.0.2.100/24",
        "192.0.2.150/24",
        51,
    )
    assert [str(item) for item in nb.ipam.ip_ranges.filter(parent="192.0.2.0/24")] == [
        "192.0.2.100-192.0.2.150/24"
    ]
    created.description = "pool"
    created.save()
    assert search.get_range(ledger, created.id).description == "pool"
    assert created.delete()
    assert search.search_ranges(ledger, search.RangeFilter())[1] == 0


def test_pynetbox_manages_vrfs(nb: pynetbox.api, ledger: Ledger) -> None:
    created = nb.ipam.vrfs.create(name="tenant-a", description="first")
    assert "tenant-a" in ledger.space_names()
    assert [item.name for item in nb.ipam.vrfs.all()] == ["tenant-a"]
    created.description = "renamed"
    created.save()
    assert nb.ipam.vrfs.get(name="tenant-a").description == "renamed"
    assert created.delete()
    assert "tenant-a" not in ledger.space_names()


def test_pynetbox_lists_and_takes_available_ips(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/29"), new_address("192.0.2.2"))
    prefix = nb.ipam.prefixes.get(prefix="192.0.2.0/29")
    assert [str(item) for item in prefix.available_ips.list()] == [
        "192.0.2.1/29",
        "192.0.2.3/29",
        "192.0.2.4/29",
        "192.0.2.5/29",
        "192.0.2.6/29",
    ]
    one = prefix.available_ips.create({"description": "gw"})
    assert (one.address, one.description) == ("192.0.2.1/29", "gw")
    several = prefix.available_ips.create([{"dns_name": "a"}, {"dns_name": "b"}])
    assert [(item.address, item.dns_name) for item in several] == [
        ("192.0.2.3/29", "a"),
        ("192.0.2.4/29", "b"),
    ]
    with pytest.raises(AllocationError):
        prefix.available_ips.create([{}, {}, {}])
    assert [str(item.address) for item in search.search_addresses(ledger, search.AddressFilter())[0]] == [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.4",
    ]


def test_pynetbox_takes_available_ips_of_a_range(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"), new_range("192.0.2.10-192.0.2.11"))
    pool = nb.ipam.ip_ranges.get(start_address="192.0.2.10")
    assert [str(item) for item in pool.available_ips.list()] == ["192.0.2.10/24", "192.0.2.11/24"]
    assert [item.address for item in pool.available_ips.create([{}, {}])] == [
        "192.0.2.10/24",
        "192.0.2.11/24",
    ]
    with pytest.raises(AllocationError):
        pool.available_ips.create({})


def test_pynetbox_lists_and_takes_available_prefixes(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"), new_prefix("192.0.2.64/26"), new_prefix("192.0.2.192/27"))
    parent = nb.ipam.prefixes.get(prefix="192.0.2.0/24")
    # NetBox's own test case (ipam/tests/test_api.py): the same three free blocks.
    assert [item.prefix for item in parent.available_prefixes.list()] == [
        "192.0.2.0/26",
        "192.0.2.128/26",
        "192.0.2.224/27",
    ]
    taken = parent.available_prefixes.create(
        {"prefix_length": 28, "description": "new", "status": "reserved"}
    )
    assert (taken.prefix, taken.description, taken.status.value) == ("192.0.2.0/28", "new", "reserved")
    several = parent.available_prefixes.create([{"prefix_length": 27}, {"prefix_length": 26}])
    assert [item.prefix for item in several] == ["192.0.2.32/27", "192.0.2.128/26"]
    with pytest.raises(AllocationError):
        parent.available_prefixes.create({"prefix_length": 25})
    assert net("192.0.2.128/26") in {record.network for record in prefixes.list_prefixes(ledger)[0]}


def test_pynetbox_sees_tenants_as_groups(nb: pynetbox.api, ledger: Ledger) -> None:
    from ipledger.service.groups import create_group

    create_group(ledger, "dc1/servers", actor="setup", parents=True)
    tenant = nb.tenancy.tenants.get(name="dc1/servers")
    assert tenant is not None
    created = nb.ipam.prefixes.create(prefix="10.9.0.0/24", tenant=tenant.id)
    assert created.tenant.name == "dc1/servers"
    assert search.get_prefix(ledger, created.id).group == "dc1/servers"
    assert [item.prefix for item in nb.ipam.prefixes.filter(tenant_id=tenant.id)] == ["10.9.0.0/24"]


def test_pynetbox_choices_lists_prefix_statuses(nb: pynetbox.api) -> None:
    choices = nb.ipam.prefixes.choices()
    assert [item["value"] for item in choices["status"]] == ["container", "active", "reserved", "deprecated"]


def test_pynetbox_address_of_an_ipv6_prefix_has_its_mask(nb: pynetbox.api, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("2001:db8::/64"))
    prefix = nb.ipam.prefixes.get(prefix="2001:db8::/64")
    taken = prefix.available_ips.create({})
    assert taken.address == "2001:db8::1/64"
    assert ipaddress.ip_interface(taken.address).network == ipaddress.ip_network("2001:db8::/64")


def test_pynetbox_tags_by_name_and_by_id(nb: pynetbox.api, ledger: Ledger) -> None:
    created = nb.ipam.prefixes.create(prefix="10.0.0.0/24", status="container", tags=[{"name": "prod"}])
    assert [tag.name for tag in created.tags] == ["prod"]
    tag = nb.extras.tags.get(name="prod")
    address = nb.ipam.ip_addresses.create(address="10.0.0.5/24", tags=[tag.id])
    assert [item.slug for item in address.tags] == ["prod"]
    assert [item.address for item in nb.ipam.ip_addresses.filter(tag="prod")] == ["10.0.0.5/24"]
    # Changing the tags keeps NetBox's container status, kept in a reserved tag.
    created.tags = [{"name": "prod"}, {"name": "eu"}]
    created.save()
    again = nb.ipam.prefixes.get(created.id)
    assert (sorted(tag.name for tag in again.tags), again.status.value) == (["eu", "prod"], "container")
    assert search.get_prefix(ledger, created.id).tags == ("eu", "netbox-status:container", "prod")


def test_pynetbox_status_change_drops_the_netbox_only_status(nb: pynetbox.api, ledger: Ledger) -> None:
    created = nb.ipam.ip_addresses.create(address="10.0.0.5/32", status="dhcp", role="anycast")
    created.status = "reserved"
    created.save()
    again = nb.ipam.ip_addresses.get(created.id)
    assert (again.status.value, again.role.value) == ("reserved", "anycast")
    record = search.get_address(ledger, created.id)
    assert (record.status, record.tags) == ("reserved", ("netbox-role:anycast",))
