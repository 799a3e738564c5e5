"""Allocation over HTTP: what is free in a prefix or range (paged, with a preview), taking the next
free addresses or prefixes, and the 409 of an exhausted parent that says how full it is."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ipledger.service.ledger import Ledger
from ipledger.store.models import Address, Prefix
from tests.api.factories import add_all, new_address
from tests.api.problems import assert_problem
from tests.service.factories import add_address, add_prefix, add_range, count_rows, free_blocks, usage_of


def _free_pages(api: httpx.Client, path: str, *, by: str, limit: int) -> list[dict[str, Any]]:
    """Every page of the free blocks of ``path``, following ``next_cursor`` or raising ``offset``."""
    pages: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": limit}
    while True:
        response = api.get(path, params=query)
        assert response.status_code == 200, response.text
        pages.append(response.json()["blocks"])
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages
        query = {"limit": limit, **({"cursor": cursor} if by == "cursor" else {"offset": len(pages) * limit})}


def test_allocation_free_space_of_a_prefix(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")
    for host in (1, 2, 3):
        add_address(ledger, f"10.0.0.{host}")

    response = api.get(f"/prefixes/{prefix.id}/available-addresses")

    assert response.status_code == 200
    body = response.json()
    assert (body["parent"], body["free_addresses"], body["next_address"]) == ("10.0.0.0/24", 253, "10.0.0.4")
    assert body["blocks"]["items"] == free_blocks(ledger, "10.0.0.0/24")
    assert body["blocks"]["items"][1:3] == ["10.0.0.4/30", "10.0.0.8/29"]
    assert body["blocks"]["total"] == len(body["blocks"]["items"])


@pytest.mark.parametrize("by", ["offset", "cursor"])
def test_allocation_free_blocks_page_over_everything_once(api: httpx.Client, ledger: Ledger, by: str) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")
    add_all(ledger, *[new_address(f"10.0.0.{host}") for host in range(2, 256, 8)])
    everything = free_blocks(ledger, "10.0.0.0/24")
    assert len(everything) > 12

    pages = _free_pages(api, f"/prefixes/{prefix.id}/available-prefixes", by=by, limit=5)

    assert [block for page in pages for block in page["items"]] == everything
    assert {page["total"] for page in pages} == {len(everything)}
    assert [page["offset"] for page in pages] == list(range(0, len(everything), 5))


def test_allocation_preview_is_what_the_next_allocation_takes(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/26")

    preview = api.get(f"/prefixes/{prefix.id}/available-prefixes", params={"prefixlen": 26}).json()["preview"]
    assert count_rows(ledger, Prefix) == 2
    taken = api.post(f"/prefixes/{prefix.id}/available-prefixes", json={"prefixlen": 26})

    assert preview == "10.0.0.64/26"
    assert [item["prefix"] for item in taken.json()] == [preview]


def test_allocation_preview_of_a_full_prefix_is_null(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/25")

    response = api.get(f"/prefixes/{prefix.id}/available-prefixes", params={"prefixlen": 24 + 1})

    assert response.json()["preview"] == "10.0.0.128/25"
    add_prefix(ledger, "10.0.0.128/25")
    assert (
        api.get(f"/prefixes/{prefix.id}/available-prefixes", params={"prefixlen": 25}).json()["preview"]
        is None
    )


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        pytest.param("10.0.0.0/24", ["10.0.0.1", "10.0.0.2", "10.0.0.3"], id="ipv4-skips-network"),
        pytest.param("2001:db8::/64", ["2001:db8::1", "2001:db8::2", "2001:db8::3"], id="ipv6-skips-anycast"),
    ],
)
def test_allocation_addresses_take_the_lowest_free(
    api: httpx.Client, ledger: Ledger, parent: str, expected: list[str]
) -> None:
    prefix = add_prefix(ledger, parent)

    response = api.post(
        f"/prefixes/{prefix.id}/available-addresses",
        json={"count": 3, "holder_kind": "vm", "holder_name": "web", "dns_name": "web.example.net"},
    )

    assert response.status_code == 201
    assert [item["address"] for item in response.json()] == expected
    assert {(item["holder_kind"], item["holder_name"], item["source"]) for item in response.json()} == {
        ("vm", "web", "api")
    }
    assert usage_of(ledger, parent).used == 3
    assert count_rows(ledger, Address) == 3


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param("first-fit", "10.0.0.64/27", id="first-fit"),
        pytest.param("best-fit", "10.0.0.160/27", id="best-fit"),
        pytest.param("last-fit", "10.0.0.224/27", id="last-fit"),
    ],
)
def test_allocation_prefix_follows_the_policy(
    api: httpx.Client, ledger: Ledger, policy: str, expected: str
) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/26")
    add_prefix(ledger, "10.0.0.128/27")

    preview = api.get(
        f"/prefixes/{prefix.id}/available-prefixes", params={"prefixlen": 27, "policy": policy}
    ).json()["preview"]
    response = api.post(f"/prefixes/{prefix.id}/available-prefixes", json={"prefixlen": 27, "policy": policy})

    assert response.status_code == 201
    assert [item["prefix"] for item in response.json()] == [expected]
    assert preview == expected


def test_allocation_prefixes_are_aligned_and_recorded(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.1.0.0/24")
    add_prefix(ledger, "10.1.0.16/28")

    response = api.post(
        f"/prefixes/{prefix.id}/available-prefixes",
        json={"prefixlen": 28, "count": 4, "role": "pod", "description": "cluster-a", "tags": ["k8s"]},
    )

    assert response.status_code == 201
    taken = response.json()
    assert [item["prefix"] for item in taken] == [
        "10.1.0.0/28",
        "10.1.0.32/28",
        "10.1.0.48/28",
        "10.1.0.64/28",
    ]
    assert {(item["role"], item["description"], tuple(item["tags"])) for item in taken} == {
        ("pod", "cluster-a", ("k8s",))
    }
    assert count_rows(ledger, Prefix) == 6
    assert usage_of(ledger, "10.1.0.0/24").covered == 5 * 16


def test_allocation_ipv6_prefixes(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "2001:db8::/48")

    response = api.post(f"/prefixes/{prefix.id}/available-prefixes", json={"prefixlen": 64, "count": 2})

    assert [item["prefix"] for item in response.json()] == ["2001:db8::/64", "2001:db8:0:1::/64"]


def test_allocation_exhausted_prefix_refuses_addresses_saying_how_full(
    api: httpx.Client, ledger: Ledger
) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/29")
    api.post(f"/prefixes/{prefix.id}/available-addresses", json={"count": 6})

    body = assert_problem(api.post(f"/prefixes/{prefix.id}/available-addresses", json={}), 409)

    assert "10.0.0.0/29" in body["detail"]
    assert "6" in body["detail"], "the message says how many addresses the prefix holds"
    assert count_rows(ledger, Address) == 6


def test_allocation_too_few_free_addresses_takes_none(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/29")
    api.post(f"/prefixes/{prefix.id}/available-addresses", json={"count": 4})

    assert_problem(
        api.post(f"/prefixes/{prefix.id}/available-addresses", json={"count": 3}),
        409,
        detail_has=("10.0.0.0/29",),
    )
    assert count_rows(ledger, Address) == 4


def test_allocation_exhausted_prefix_refuses_prefixes_saying_how_full(
    api: httpx.Client, ledger: Ledger
) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/25")
    add_prefix(ledger, "10.0.0.128/26")

    body = assert_problem(api.post(f"/prefixes/{prefix.id}/available-prefixes", json={"prefixlen": 25}), 409)

    assert "no free /25" in body["detail"]
    assert "10.0.0.0/24" in body["detail"]
    assert "2 of 2 used" in body["detail"]
    assert count_rows(ledger, Prefix) == 3


def test_allocation_free_space_of_a_range(api: httpx.Client, ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    span = add_range(ledger, "10.0.0.10-10.0.0.20")

    response = api.get(f"/ranges/{span.id}/available-addresses")

    assert response.status_code == 200
    body = response.json()
    assert body["blocks"]["items"] == ["10.0.0.10/31", "10.0.0.12/30", "10.0.0.16/30", "10.0.0.20/32"]
    assert (body["free_addresses"], body["next_address"]) == (11, "10.0.0.10")


def test_allocation_addresses_of_a_range_stay_inside_it(api: httpx.Client, ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    span = add_range(ledger, "10.0.0.10-10.0.0.12")

    taken = api.post(f"/ranges/{span.id}/available-addresses", json={"count": 3, "holder_name": "lb"})
    refused = api.post(f"/ranges/{span.id}/available-addresses", json={"count": 1})

    assert taken.status_code == 201
    assert [item["address"] for item in taken.json()] == ["10.0.0.10", "10.0.0.11", "10.0.0.12"]
    assert_problem(refused, 409, detail_has=("10.0.0.10",))
    assert api.get(f"/ranges/{span.id}").json()["used"] == 3


def test_allocation_from_unknown_parent_is_not_found(api: httpx.Client) -> None:
    for parent in ("/prefixes/999/available-prefixes", "/prefixes/999/available-addresses"):
        assert_problem(api.get(parent), 404, detail_has=("999",))
    assert_problem(api.get("/ranges/999/available-addresses"), 404, detail_has=("999",))
    assert_problem(
        api.post("/prefixes/999/available-prefixes", json={"prefixlen": 28}), 404, detail_has=("999",)
    )
    assert_problem(api.post("/prefixes/999/available-addresses", json={}), 404, detail_has=("999",))
    assert_problem(api.post("/ranges/999/available-addresses", json={}), 404, detail_has=("999",))


@pytest.mark.parametrize(
    ("method", "params", "body"),
    [
        pytest.param("POST", None, {"prefixlen": 20}, id="shorter-than-parent"),
        pytest.param("POST", None, {"prefixlen": 33}, id="longer-than-family"),
        pytest.param("GET", {"prefixlen": 33}, None, id="preview-longer-than-family"),
    ],
)
def test_allocation_prefix_length_out_of_bounds_is_bad_input(
    api: httpx.Client, ledger: Ledger, method: str, params: dict[str, int] | None, body: dict[str, int] | None
) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")

    response = api.request(method, f"/prefixes/{prefix.id}/available-prefixes", params=params, json=body)

    assert_problem(response, 400, detail_has=("/25", "/32"))
    assert count_rows(ledger, Prefix) == 1


def test_allocation_count_below_one_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")

    assert_problem(
        api.post(f"/prefixes/{prefix.id}/available-addresses", json={"count": 0}), 422, field="count"
    )
    assert count_rows(ledger, Address) == 0
