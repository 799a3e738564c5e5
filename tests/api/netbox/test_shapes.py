"""The NetBox API's answers compared with NetBox's documented shapes (the prefix example of
``docs/integrations/rest-api.md``, the serializers' field and brief lists, the list envelope,
available-ips), and its paging, headers and errors, over plain HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ipledger.service import prefixes
from ipledger.service.ledger import Ledger
from tests.api.conftest import QueryCounter
from tests.api.factories import add_all, new_address, new_prefix, new_range

# NetBox's documented prefix (docs/integrations/rest-api.md, NetBox 4.x), values aside.
NETBOX_PREFIX_EXAMPLE: dict[str, Any] = {
    "id": 18691,
    "url": "http://nb/api/ipam/prefixes/18691/",
    "display_url": "http://nb/ipam/prefixes/18691/",
    "display": "192.0.2.0/24",
    "family": {"value": 4, "label": "IPv4"},
    "prefix": "192.0.2.0/24",
    "vrf": None,
    "scope_type": "dcim.site",
    "scope_id": 6,
    "scope": {
        "id": 6,
        "url": "...",
        "display": "US-East 4",
        "name": "US-East 4",
        "slug": "us-east-4",
        "description": "",
    },
    "tenant": None,
    "vlan": None,
    "status": {"value": "active", "label": "Active"},
    "role": None,
    "is_pool": False,
    "mark_utilized": False,
    "description": "",
    "owner": None,
    "comments": "",
    "tags": [],
    "custom_fields": {},
    "created": "2025-04-29T15:44:47.597092Z",
    "last_updated": "2025-04-29T15:44:47.597092Z",
    "children": 0,
    "_depth": 0,
}
# IPAddressSerializer and IPRangeSerializer fields (ipam/api/serializers_/ip.py).
NETBOX_ADDRESS_FIELDS = {
    "id", "url", "display_url", "display", "family", "address", "vrf", "tenant", "status", "role",
    "assigned_object_type", "assigned_object_id", "assigned_object", "nat_inside", "nat_outside",
    "dns_name", "description", "owner", "comments", "tags", "custom_fields", "created", "last_updated",
}  # fmt: skip
NETBOX_RANGE_FIELDS = {
    "id", "url", "display_url", "display", "family", "start_address", "end_address", "size", "vrf",
    "tenant", "status", "role", "description", "owner", "comments", "tags", "custom_fields", "created",
    "last_updated", "mark_populated", "mark_utilized",
}  # fmt: skip


def test_prefix_has_the_fields_of_netboxs_documented_example(
    http: httpx.Client, ledger: Ledger, netbox_base: str
) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"))
    key = prefixes.list_prefixes(ledger)[0][0].id
    answer = http.get(f"/api/ipam/prefixes/{key}/")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == set(NETBOX_PREFIX_EXAMPLE)
    for name in (
        "display",
        "family",
        "prefix",
        "vrf",
        "tenant",
        "vlan",
        "status",
        "is_pool",
        "mark_utilized",
    ):
        assert body[name] == NETBOX_PREFIX_EXAMPLE[name], name
    assert body["url"] == f"{netbox_base}/api/ipam/prefixes/{key}/"
    assert body["created"].endswith("Z")
    assert set(body["role"]) == {"id", "url", "display", "name", "slug", "description"}
    assert answer.headers["API-Version"] == "4.6"


def test_address_and_range_have_netboxs_serializer_fields(http: httpx.Client, ledger: Ledger) -> None:
    add_all(
        ledger, new_prefix("192.0.2.0/24"), new_range("192.0.2.100-192.0.2.110"), new_address("192.0.2.7")
    )
    address = http.get("/api/ipam/ip-addresses/").json()["results"][0]
    assert set(address) == NETBOX_ADDRESS_FIELDS
    assert (address["address"], address["family"], address["role"]) == (
        "192.0.2.7/24",
        {"value": 4, "label": "IPv4"},
        None,
    )
    ip_range = http.get("/api/ipam/ip-ranges/").json()["results"][0]
    assert set(ip_range) == NETBOX_RANGE_FIELDS
    assert (ip_range["start_address"], ip_range["end_address"], ip_range["size"]) == (
        "192.0.2.100/24",
        "192.0.2.110/24",
        11,
    )


@pytest.mark.parametrize(
    ("endpoint", "fields"),
    [
        ("prefixes", {"id", "url", "display", "family", "prefix", "description", "_depth"}),
        ("ip-addresses", {"id", "url", "display", "family", "address", "description"}),
        ("ip-ranges", {"id", "url", "display", "family", "start_address", "end_address", "description"}),
    ],
)
def test_brief_lists_netboxs_brief_fields(
    http: httpx.Client, ledger: Ledger, endpoint: str, fields: set[str]
) -> None:
    add_all(
        ledger, new_prefix("192.0.2.0/24"), new_range("192.0.2.100-192.0.2.110"), new_address("192.0.2.7")
    )
    answer = http.get(f"/api/ipam/{endpoint}/", params={"brief": "true"}).json()
    assert answer["count"] == 1
    assert set(answer["results"][0]) == fields


def test_list_envelope_pages_with_absolute_next_and_previous(
    http: httpx.Client, ledger: Ledger, netbox_base: str
) -> None:
    add_all(ledger, *(new_prefix(f"10.{index}.0.0/16") for index in range(5)))
    first = http.get("/api/ipam/prefixes/", params={"limit": 2}).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert (first["count"], first["previous"], len(first["results"])) == (5, None, 2)
    assert first["next"].startswith(f"{netbox_base}/api/ipam/prefixes/?")
    second = http.get(first["next"]).json()
    assert [item["prefix"] for item in second["results"]] == ["10.2.0.0/16", "10.3.0.0/16"]
    assert http.get(second["previous"]).json()["results"] == first["results"]
    last = http.get(second["next"]).json()
    assert ([item["prefix"] for item in last["results"]], last["next"]) == (["10.4.0.0/16"], None)


def test_limit_zero_gives_up_to_a_thousand_and_cursor_pages_by_id(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, *(new_prefix(f"10.{index}.0.0/16") for index in range(3)))
    assert len(http.get("/api/ipam/prefixes/", params={"limit": 0}).json()["results"]) == 3
    cursor = http.get("/api/ipam/prefixes/", params={"start": 0, "limit": 2}).json()
    assert (cursor["count"], len(cursor["results"])) == (None, 2)
    rest = http.get(cursor["next"]).json()
    assert [item["prefix"] for item in rest["results"]] == ["10.2.0.0/16"]
    assert http.get("/api/ipam/prefixes/", params={"start": 0, "offset": 1}).status_code == 400


def test_available_ips_is_a_plain_array_with_bare_family(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"))
    key = prefixes.list_prefixes(ledger)[0][0].id
    answer = http.get(f"/api/ipam/prefixes/{key}/available-ips/", params={"limit": 2}).json()
    assert answer == [
        {"family": 4, "address": "192.0.2.1/24", "vrf": None},
        {"family": 4, "address": "192.0.2.2/24", "vrf": None},
    ]
    assert len(http.get(f"/api/ipam/prefixes/{key}/available-ips/").json()) == 50


def test_fields_and_omit_select_fields(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/24"))
    assert http.get("/api/ipam/prefixes/", params={"fields": "id,prefix"}).json()["results"][0].keys() == {
        "id",
        "prefix",
    }
    assert "tags" not in http.get("/api/ipam/prefixes/", params={"omit": "tags"}).json()["results"][0]


def test_depth_and_children_follow_nesting(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("10.0.0.0/8"), new_prefix("10.1.0.0/16"), new_prefix("10.1.1.0/24"))
    found = {
        item["prefix"]: (item["_depth"], item["children"])
        for item in http.get("/api/ipam/prefixes/").json()["results"]
    }
    assert found == {"10.0.0.0/8": (0, 2), "10.1.0.0/16": (1, 1), "10.1.1.0/24": (2, 0)}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"prefix": "not-a-prefix"}, "prefix", id="bad-prefix"),
        pytest.param({}, "prefix", id="missing-prefix"),
        pytest.param({"prefix": "10.0.0.0/24", "colour": "red"}, "colour", id="unknown-field"),
        pytest.param({"prefix": "10.0.0.0/24", "status": "bogus"}, "status", id="bad-status"),
        pytest.param({"prefix": "10.0.0.0/24", "status": {"value": "active"}}, "status", id="status-dict"),
        pytest.param({"prefix": "10.0.0.0/24", "vrf": 999}, "vrf", id="unknown-vrf"),
        pytest.param(
            {"prefix": "10.0.0.0/24", "scope_type": "dcim.site", "scope_id": 1}, "scope_type", id="scope"
        ),
        pytest.param(
            {"prefix": "10.0.0.0/24", "custom_fields": {"x": 1}}, "custom_fields", id="custom-field"
        ),
    ],
)
def test_bad_writes_get_400_naming_the_field(
    http: httpx.Client, ledger: Ledger, body: dict[str, Any], field: str
) -> None:
    answer = http.post("/api/ipam/prefixes/", json=body)
    assert answer.status_code == 400, answer.text
    errors = answer.json()
    assert list(errors) == [field]
    assert isinstance(errors[field], list) and errors[field][0]
    assert prefixes.list_prefixes(ledger)[1] == 0


def test_duplicate_prefix_gets_400(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("10.0.0.0/24"))
    answer = http.post("/api/ipam/prefixes/", json={"prefix": "10.0.0.0/24"})
    assert answer.status_code == 400
    assert "already exists" in answer.json()["non_field_errors"][0]


def test_unknown_object_gets_netboxs_404(http: httpx.Client) -> None:
    answer = http.get("/api/ipam/prefixes/4242/")
    assert (answer.status_code, answer.json()["detail"]) == (404, "Not found.")


def test_unknown_filter_is_refused(http: httpx.Client) -> None:
    answer = http.get("/api/ipam/prefixes/", params={"prefx": "10.0.0.0/8"})
    assert answer.status_code == 400
    assert "prefx" in answer.json()


def test_exhausted_allocation_gets_409_with_detail(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("192.0.2.0/31"))
    key = prefixes.list_prefixes(ledger)[0][0].id
    answer = http.post(f"/api/ipam/prefixes/{key}/available-ips/", json=[{}, {}, {}])
    assert answer.status_code == 409
    assert "no free address" in answer.json()["detail"]


def test_host_bits_are_cleared_as_netbox_does(http: httpx.Client, ledger: Ledger) -> None:
    answer = http.post("/api/ipam/prefixes/", json={"prefix": "10.0.0.5/24"})
    assert (answer.status_code, answer.json()["prefix"]) == (201, "10.0.0.0/24")


def test_changing_the_cidr_is_refused(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("10.0.0.0/24"))
    key = prefixes.list_prefixes(ledger)[0][0].id
    answer = http.patch(f"/api/ipam/prefixes/{key}/", json={"prefix": "10.0.1.0/24"})
    assert answer.status_code == 400
    assert "prefix" in answer.json()


def test_api_root_lists_apps_with_the_version_header(netbox_base: str) -> None:
    answer = httpx.get(f"{netbox_base}/api/")
    assert answer.status_code == 200
    assert answer.headers["API-Version"] == "4.6"
    assert answer.json()["ipam"] == f"{netbox_base}/api/ipam/"


@pytest.mark.parametrize("endpoint", ["prefixes", "ip-addresses", "ip-ranges"])
def test_list_costs_the_same_queries_for_few_or_many_objects(
    http: httpx.Client, ledger: Ledger, queries: QueryCounter, endpoint: str
) -> None:
    def count_list() -> int:
        http.get(f"/api/ipam/{endpoint}/")  # warm up: the token's last use is recorded once
        before = queries.count
        assert http.get(f"/api/ipam/{endpoint}/", params={"limit": 100}).status_code == 200
        return queries.count - before

    add_all(
        ledger,
        new_prefix("10.0.0.0/16"),
        new_prefix("10.0.0.0/24"),
        new_address("10.0.0.5"),
        new_range("10.0.0.100-10.0.0.110"),
    )
    few = count_list()
    add_all(
        ledger,
        *(new_prefix(f"10.0.{index}.0/24") for index in range(1, 40)),
        *(new_address(f"10.0.{index}.9") for index in range(1, 40)),
        *(new_range(f"10.0.{index}.100-10.0.{index}.110") for index in range(1, 40)),
    )
    assert count_list() == few


# VRFSerializer fields (ipam/api/serializers_/vrfs.py) and the nested brief VRF.
NETBOX_VRF_FIELDS = {
    "id", "url", "display_url", "display", "name", "rd", "tenant", "enforce_unique", "description",
    "owner", "comments", "import_targets", "export_targets", "tags", "custom_fields", "created",
    "last_updated", "ipaddress_count", "prefix_count",
}  # fmt: skip


def test_vrf_has_netboxs_fields_and_nests_briefly(http: httpx.Client, ledger: Ledger) -> None:
    vrf = http.post("/api/ipam/vrfs/", json={"name": "blue", "description": "tenant blue"})
    assert vrf.status_code == 201
    assert set(vrf.json()) == NETBOX_VRF_FIELDS
    add_all(ledger, new_prefix("10.0.0.0/24", space="blue"), new_address("10.0.0.1", space="blue"))
    listed = http.get("/api/ipam/vrfs/").json()["results"]
    assert [(item["name"], item["prefix_count"], item["ipaddress_count"]) for item in listed] == [
        ("blue", 1, 1)
    ]
    nested = http.get("/api/ipam/prefixes/").json()["results"][0]["vrf"]
    assert set(nested) == {"id", "url", "display", "name", "rd", "description"}
    assert (nested["id"], nested["name"]) == (vrf.json()["id"], "blue")


def test_status_has_netboxs_fields(http: httpx.Client) -> None:
    assert set(http.get("/api/status/").json()) == {
        "django-version",
        "hostname",
        "installed_apps",
        "netbox-version",
        "netbox-full-version",
        "plugins",
        "python-version",
        "rq-workers-running",
    }


def test_put_replaces_the_fields_it_names(http: httpx.Client, ledger: Ledger) -> None:
    add_all(ledger, new_prefix("10.0.0.0/24"), new_prefix("10.0.1.0/24"))
    first, second = (record.id for record in prefixes.list_prefixes(ledger)[0])
    role = {"name": "pod"}
    answer = http.put(
        f"/api/ipam/prefixes/{first}/", json={"prefix": "10.0.0.0/24", "status": "reserved", "role": role}
    )
    assert (answer.status_code, answer.json()["status"]["value"], answer.json()["role"]["name"]) == (
        200,
        "reserved",
        "pod",
    )
    bulk = http.put(
        "/api/ipam/prefixes/", json=[{"id": first, "description": "a"}, {"id": second, "description": "b"}]
    )
    assert [item["description"] for item in bulk.json()] == ["a", "b"]
    assert [
        (record.status, record.role, record.description) for record in prefixes.list_prefixes(ledger)[0]
    ] == [
        ("reserved", "pod", "a"),
        ("active", "general", "b"),
    ]


def test_deleting_what_others_depend_on_gets_409(http: httpx.Client, ledger: Ledger) -> None:
    vrf = http.post("/api/ipam/vrfs/", json={"name": "blue"}).json()
    add_all(ledger, new_prefix("10.0.0.0/24", space="blue"))
    answer = http.delete(f"/api/ipam/vrfs/{vrf['id']}/")
    assert answer.status_code == 409
    assert "still holds prefixes" in answer.json()["detail"]
    assert "blue" in ledger.space_names()
