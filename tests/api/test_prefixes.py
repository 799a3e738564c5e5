"""Prefixes over HTTP: create, get, every listing filter, sorting, paging and the query count."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space
from ipledger.store.models import Prefix
from tests.api.conftest import QueryCounter
from tests.api.factories import add_all, new_address, new_prefix
from tests.api.paging import walk_pages
from tests.api.problems import assert_problem
from tests.service.factories import ACTOR, add_group, add_prefix, count_rows, prefix_of


def _listed(api: httpx.Client, **params: Any) -> list[str]:
    """The prefixes a listing answers with, as ``space:cidr``, in the order given."""
    response = api.get("/prefixes", params={"limit": 5000, **params})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return [f"{item['space']}:{item['prefix']}" for item in page["items"]]


@pytest.fixture
def inventory(ledger: Ledger) -> None:
    """Prefixes that each filter tells apart (see the table of the filter test)."""
    add_group(ledger, "k8s/prod/a")
    create_space(ledger, "lab", actor=ACTOR)
    add_all(
        ledger,
        new_prefix("10.0.0.0/16", group="k8s", tags=("core",), description="Campus backbone"),
        new_prefix("10.0.1.0/24", group="k8s/prod", role="node", tags=("eu",)),
        new_prefix("10.0.2.0/24", group="k8s/prod/a", role="pod", status="reserved"),
        new_prefix("10.0.3.0/30", managed_by="terraform"),
        new_prefix("2001:db8::/32", tags=("eu", "v6")),
        new_prefix("2001:db8:1::/48", role="pod"),
        new_prefix("10.0.0.0/16", space="lab", description="lab copy"),
        *[new_address(f"10.0.1.{host}") for host in range(1, 11)],
        new_address("10.0.3.1"),
        new_address("10.0.3.2"),
    )


def test_prefix_create_returns_the_record(api: httpx.Client, ledger: Ledger) -> None:
    add_group(ledger, "k8s")

    response = api.post(
        "/prefixes",
        json={
            "prefix": "10.42.0.0/16",
            "role": "pod",
            "group": "k8s",
            "description": "pods",
            "tags": ["eu"],
            "thresholds": {"warning": 50, "critical": 60, "emergency": 90},
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["prefix"], body["space"], body["family"], body["prefixlen"]) == (
        "10.42.0.0/16",
        "global",
        4,
        16,
    )
    assert (body["role"], body["group"], body["tags"], body["version"]) == ("pod", "k8s", ["eu"], 1)
    assert body["thresholds"] == {"warning": 50.0, "critical": 60.0, "emergency": 90.0}
    assert body["utilization"]["usable"] == 65534
    stored = prefix_of(ledger, "10.42.0.0/16")
    assert (stored.id, stored.role, stored.group) == (body["id"], "pod", "k8s")


def test_prefix_create_ipv6_is_canonical(api: httpx.Client, ledger: Ledger) -> None:
    response = api.post("/prefixes", json={"prefix": "2001:DB8:0:0::/48"})

    assert response.status_code == 201
    assert (response.json()["prefix"], response.json()["family"]) == ("2001:db8::/48", 6)
    assert prefix_of(ledger, "2001:db8::/48").id == response.json()["id"]


def test_prefix_patch_without_if_match_applies(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")

    response = api.patch(f"/prefixes/{prefix.id}", json={"status": "deprecated", "role": "pod"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["role"], response.json()["version"]) == (
        "deprecated",
        "pod",
        2,
    )
    assert (prefix_of(ledger, "10.0.0.0/24").status, prefix_of(ledger, "10.0.0.0/24").role) == (
        "deprecated",
        "pod",
    )


def test_prefix_if_match_of_another_object_is_bad_input(api: httpx.Client, ledger: Ledger) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24")

    response = api.patch(
        f"/prefixes/{prefix.id}", json={"description": "x"}, headers={"If-Match": '"group-1-v1"'}
    )

    assert_problem(response, 400, field="If-Match")
    assert prefix_of(ledger, "10.0.0.0/24").description == ""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"space": "lab"}, ["lab:10.0.0.0/16"], id="space"),
        pytest.param({"group": "k8s/prod"}, ["global:10.0.1.0/24", "global:10.0.2.0/24"], id="group-subtree"),
        pytest.param({"group": "k8s/prod", "descendants": "false"}, ["global:10.0.1.0/24"], id="group-only"),
        pytest.param({"role": "pod"}, ["global:10.0.2.0/24", "global:2001:db8:1::/48"], id="role"),
        pytest.param({"status": "reserved"}, ["global:10.0.2.0/24"], id="status"),
        pytest.param({"tag": "eu"}, ["global:10.0.1.0/24", "global:2001:db8::/32"], id="tag"),
        pytest.param({"family": 6}, ["global:2001:db8::/32", "global:2001:db8:1::/48"], id="family"),
        pytest.param(
            {"contains": "10.0.2.7"},
            ["global:10.0.0.0/16", "global:10.0.2.0/24", "lab:10.0.0.0/16"],
            id="contains",
        ),
        pytest.param(
            {"within": "10.0.0.0/22", "space": "global"},
            ["global:10.0.1.0/24", "global:10.0.2.0/24", "global:10.0.3.0/30"],
            id="within",
        ),
        pytest.param({"utilization_gte": 85}, ["global:10.0.3.0/30"], id="utilization_gte"),
        pytest.param({"level": "emergency"}, ["global:10.0.3.0/30"], id="level"),
        pytest.param({"q": "BACKBONE"}, ["global:10.0.0.0/16"], id="q-description"),
        pytest.param({"q": "terraform"}, ["global:10.0.3.0/30"], id="q-managed-by"),
    ],
)
@pytest.mark.usefixtures("inventory")
def test_prefix_list_filters(api: httpx.Client, params: dict[str, Any], expected: list[str]) -> None:
    assert _listed(api, **params) == expected


@pytest.mark.usefixtures("inventory")
def test_prefix_list_unfiltered_in_prefix_order(api: httpx.Client) -> None:
    assert _listed(api) == [
        "global:10.0.0.0/16",
        "global:10.0.1.0/24",
        "global:10.0.2.0/24",
        "global:10.0.3.0/30",
        "global:2001:db8::/32",
        "global:2001:db8:1::/48",
        "lab:10.0.0.0/16",
    ]


@pytest.mark.usefixtures("inventory")
def test_prefix_list_sorts_by_utilization(api: httpx.Client) -> None:
    fullest_first = _listed(api, sort="utilization", space="global", within="10.0.0.0/8")

    assert fullest_first[:2] == ["global:10.0.3.0/30", "global:10.0.1.0/24"]
    assert _listed(api, sort="-utilization", space="global", within="10.0.0.0/8") == fullest_first[::-1]
    percents = [
        item["utilization"]["percent"]
        for item in api.get("/prefixes", params={"sort": "utilization"}).json()["items"]
    ]
    assert percents == sorted(percents, reverse=True)


@pytest.mark.parametrize("by", ["offset", "cursor"])
def test_prefix_list_pages_cover_everything_once(api: httpx.Client, ledger: Ledger, by: str) -> None:
    cidrs = [f"10.{n}.0.0/16" for n in range(23)]
    add_all(ledger, *[new_prefix(cidr) for cidr in cidrs])

    pages = list(walk_pages(api, "/prefixes", by=by, limit=5))

    assert [len(page["items"]) for page in pages] == [5, 5, 5, 5, 3]
    assert {page["total"] for page in pages} == {23}
    assert [page["offset"] for page in pages] == [0, 5, 10, 15, 20]
    assert [item["prefix"] for page in pages for item in page["items"]] == cidrs


def test_prefix_list_pages_by_utilization_with_ties_cover_everything_once(
    api: httpx.Client, ledger: Ledger
) -> None:
    spaces = [f"vrf{n:02}" for n in range(30)]
    for space in spaces:
        create_space(ledger, space, actor=ACTOR)
    add_all(ledger, *[new_prefix("10.0.0.0/24", space=space) for space in spaces])

    pages = list(walk_pages(api, "/prefixes", by="cursor", limit=7, sort="utilization"))

    listed = [item["space"] for page in pages for item in page["items"]]
    assert sorted(listed) == spaces, "some prefixes came twice and others never"


def test_prefix_list_bad_cursor_is_bad_input(api: httpx.Client) -> None:
    assert_problem(api.get("/prefixes", params={"cursor": "not-a-cursor"}), 400, field="cursor")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"contains": "10.0.0"}, "contains", id="contains"),
        pytest.param({"within": "10.0.0.1/8"}, "within", id="within-host-bits"),
    ],
)
def test_prefix_list_bad_filter_value_names_it(api: httpx.Client, params: dict[str, str], field: str) -> None:
    assert_problem(api.get("/prefixes", params=params), 400, field=field)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit-zero"),
        pytest.param({"offset": -1}, id="offset-negative"),
        pytest.param({"sort": "size"}, id="sort"),
        pytest.param({"utilization_gte": 101}, id="utilization-over-100"),
    ],
)
def test_prefix_list_out_of_bounds_parameter_is_refused(api: httpx.Client, params: dict[str, Any]) -> None:
    name = next(iter(params))
    assert_problem(api.get("/prefixes", params=params), 422, field=f"query.{name}")


def test_prefix_list_query_count_does_not_grow_with_the_page(
    api: httpx.Client, ledger: Ledger, queries: QueryCounter
) -> None:
    sites = [f"site{n}" for n in range(6)]
    for site in sites:
        add_group(ledger, site)
    add_all(ledger, *[new_prefix(f"10.{n}.0.0/16", group=site) for n, site in enumerate(sites)])
    api.get("/prefixes", params={"limit": 1})  # the app's first request builds its stack

    def count(limit: int) -> int:
        before = queries.count
        assert len(api.get("/prefixes", params={"limit": limit}).json()["items"]) == limit
        return queries.count - before

    small, large = count(2), count(6)

    assert small == large, f"{small} statements for a page of 2 prefixes, {large} for a page of 6"
    assert count_rows(ledger, Prefix) == 6
