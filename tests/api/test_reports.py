"""Reports over HTTP: whois, utilization with group roll-ups, findings, and the audit log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space
from tests.api.conftest import client_of, sign_in
from tests.api.factories import add_all, new_address, new_prefix
from tests.api.paging import walk_pages
from tests.api.problems import assert_problem
from tests.service.factories import ACTOR, add_address, add_group, add_prefix, add_range, all_changes


@pytest.fixture
def filled(ledger: Ledger) -> None:
    """k8s/a holds a full /30; k8s holds a /24 at 78.7 %; the /16 around them holds little."""
    add_group(ledger, "k8s/a")
    add_prefix(ledger, "10.0.0.0/16")
    add_prefix(ledger, "10.0.0.0/30", group="k8s/a")
    add_prefix(ledger, "10.0.1.0/24", group="k8s")
    add_address(ledger, "10.0.0.1")
    add_address(ledger, "10.0.0.2", holder_name="gw")
    add_range(ledger, "10.0.1.10-10.0.1.209")


# Whois


@pytest.mark.usefixtures("filled")
def test_whois_names_prefixes_outermost_first_range_and_record(api: httpx.Client) -> None:
    response = api.get("/whois/10.0.0.2")

    assert response.status_code == 200
    [answer] = response.json()
    assert (answer["space"], answer["address"]) == ("global", "10.0.0.2")
    assert [prefix["prefix"] for prefix in answer["prefixes"]] == ["10.0.0.0/16", "10.0.0.0/30"]
    assert answer["range"] is None
    assert answer["record"]["holder_name"] == "gw"


@pytest.mark.usefixtures("filled")
def test_whois_of_an_address_in_a_range(api: httpx.Client) -> None:
    [answer] = api.get("/whois/10.0.1.50").json()

    assert [prefix["prefix"] for prefix in answer["prefixes"]] == ["10.0.0.0/16", "10.0.1.0/24"]
    assert answer["range"]["range"] == "10.0.1.10-10.0.1.209"
    assert answer["record"] is None


def test_whois_answers_per_space(api: httpx.Client, ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    add_prefix(ledger, "2001:db8::/48")
    add_prefix(ledger, "2001:db8::/48", space="lab")

    everywhere = api.get("/whois/2001:db8::1").json()
    lab_only = api.get("/whois/2001:db8::1", params={"space": "lab"}).json()

    assert sorted(answer["space"] for answer in everywhere) == ["global", "lab"]
    assert [answer["space"] for answer in lab_only] == ["lab"]


def test_whois_of_an_unknown_address_is_empty(api: httpx.Client) -> None:
    response = api.get("/whois/192.0.2.1")

    assert (response.status_code, response.json()) == (200, [])


def test_whois_of_a_malformed_address_is_bad_input(api: httpx.Client) -> None:
    assert_problem(api.get("/whois/10.0.0"), 400, field="ip", detail_has=("10.0.0",))


# Utilization and findings


@pytest.mark.usefixtures("filled")
def test_utilization_lists_prefixes_nested_with_levels(api: httpx.Client) -> None:
    response = api.get("/utilization")

    assert response.status_code == 200
    rows = [
        (row["prefix"]["prefix"], row["depth"], row["prefix"]["utilization"]["level"])
        for row in response.json()["prefixes"]
    ]
    assert rows == [("10.0.0.0/16", 0, "ok"), ("10.0.0.0/30", 1, "emergency"), ("10.0.1.0/24", 1, "warning")]


@pytest.mark.usefixtures("filled")
def test_utilization_rolls_groups_up_with_their_subgroups(api: httpx.Client) -> None:
    groups = {group["group"]: group for group in api.get("/utilization").json()["groups"]}

    assert set(groups) == {"k8s", "k8s/a"}
    assert {key: groups["k8s/a"][key] for key in ("prefixes", "usable", "used", "percent", "level")} == {
        "prefixes": 1,
        "usable": 2,
        "used": 2,
        "percent": 100.0,
        "level": "emergency",
    }
    assert {key: groups["k8s"][key] for key in ("prefixes", "size", "usable", "used", "level")} == {
        "prefixes": 2,
        "size": 260,
        "usable": 256,
        "used": 202,
        "level": "warning",
    }


@pytest.mark.usefixtures("filled")
def test_utilization_min_percent_keeps_the_fuller(api: httpx.Client) -> None:
    rows = api.get("/utilization", params={"min_percent": 50}).json()["prefixes"]

    assert [row["prefix"]["prefix"] for row in rows] == ["10.0.0.0/30", "10.0.1.0/24"]


def test_utilization_per_space(api: httpx.Client, ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.9.0.0/24", space="lab")

    rows = api.get("/utilization", params={"space": "lab"}).json()["prefixes"]

    assert [(row["prefix"]["space"], row["prefix"]["prefix"]) for row in rows] == [("lab", "10.9.0.0/24")]


@pytest.mark.usefixtures("filled")
def test_findings_report_prefixes_over_their_marks(api: httpx.Client) -> None:
    response = api.get("/findings")

    assert response.status_code == 200
    assert [(item["severity"], item["kind"], item["subject"]) for item in response.json()] == [
        ("warning", "threshold", "prefix 10.0.0.0/30"),
        ("info", "threshold", "prefix 10.0.1.0/24"),
    ]
    assert "emergency" in response.json()[0]["message"]


def test_findings_of_a_healthy_ledger_are_empty(api: httpx.Client, ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")

    assert api.get("/findings").json() == []


# The audit log


def test_changes_record_who_did_what_newest_first(api: httpx.Client, ledger: Ledger) -> None:
    """The actor is the user behind the token, whatever the request says of itself."""
    with (
        client_of(str(api.base_url), sign_in(ledger, "bob")) as bob,
        client_of(str(api.base_url), sign_in(ledger, "carol")) as carol,
    ):
        created = bob.post("/prefixes", json={"prefix": "10.0.0.0/24"}, headers={"X-Actor": "mallory"}).json()
        carol.patch(f"/prefixes/{created['id']}", json={"description": "edited"})

    items = api.get("/changes").json()["items"]

    assert [(item["actor"], item["action"], item["object_kind"], item["object_id"]) for item in items] == [
        ("carol (token tests)", "update", "prefix", created["id"]),
        ("bob (token tests)", "create", "prefix", created["id"]),
    ]
    assert (items[0]["before"]["description"], items[0]["after"]["description"]) == ("", "edited")
    assert [change.actor for change in all_changes(ledger)] == ["bob (token tests)", "carol (token tests)"]


@pytest.fixture
def history(ledger: Ledger) -> None:
    """Prefix, address and group changes by alice, and one prefix change by bob."""
    add_group(ledger, "k8s")
    add_prefix(ledger, "10.0.0.0/24")
    add_address(ledger, "10.0.0.5")
    add_prefix(ledger, "10.0.1.0/24", actor="bob")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {"object_kind": "prefix"}, ["10.0.1.0/24 (global)", "10.0.0.0/24 (global)"], id="object-kind"
        ),
        pytest.param({"actor": "bob"}, ["10.0.1.0/24 (global)"], id="actor"),
        pytest.param({"object": "10.0.0."}, ["10.0.0.5 (global)", "10.0.0.0/24 (global)"], id="object-label"),
        pytest.param({"object_kind": "group", "object_id": 1}, ["k8s"], id="object-id"),
    ],
)
@pytest.mark.usefixtures("history")
def test_changes_filters(api: httpx.Client, params: dict[str, Any], expected: list[str]) -> None:
    page = api.get("/changes", params=params).json()

    assert [item["object"] for item in page["items"]] == expected
    assert page["total"] == len(expected)


def test_changes_since_is_inclusive_and_until_is_not(api: httpx.Client, ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.1.0/24")
    add_prefix(ledger, "10.0.2.0/24")
    middle = api.get("/changes", params={"object": "10.0.1.0/24"}).json()["items"][0]["at"]

    since = api.get("/changes", params={"since": middle}).json()["items"]
    until = api.get("/changes", params={"until": middle}).json()["items"]

    assert [item["object"] for item in since] == ["10.0.2.0/24 (global)", "10.0.1.0/24 (global)"]
    assert [item["object"] for item in until] == ["10.0.0.0/24 (global)"]


@pytest.mark.parametrize("by", ["offset", "cursor"])
def test_changes_pages_cover_everything_once_with_the_total(
    api: httpx.Client, ledger: Ledger, by: str
) -> None:
    add_prefix(ledger, "10.0.0.0/16")
    add_all(ledger, *[new_address(f"10.0.0.{host}") for host in range(1, 12)], new_prefix("10.0.1.0/24"))
    expected = [change.id for change in reversed(all_changes(ledger))]
    assert len(expected) == 13

    pages = list(walk_pages(api, "/changes", by=by, limit=5))

    assert [item["id"] for page in pages for item in page["items"]] == expected
    assert {page["total"] for page in pages} == {13}


def test_changes_bad_time_is_refused(api: httpx.Client) -> None:
    assert_problem(api.get("/changes", params={"since": "yesterday"}), 422, field="query.since")
