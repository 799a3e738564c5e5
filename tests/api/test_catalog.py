"""Spaces, roles and groups over HTTP: create, list, get, change, rename, move and delete."""

from __future__ import annotations

import httpx
import pytest

from ipledger.service.groups import list_groups
from ipledger.service.ledger import Ledger
from ipledger.service.roles import list_roles
from ipledger.service.spaces import list_spaces
from tests.api.problems import assert_problem
from tests.service.factories import add_address, add_group, add_prefix


def _group_id(api: httpx.Client, path: str) -> int:
    found = [group["id"] for group in api.get("/groups").json() if group["path"] == path]
    assert len(found) == 1, path
    return int(found[0])


# Spaces


def test_space_create_then_get_and_list(api: httpx.Client, ledger: Ledger) -> None:
    created = api.post("/spaces", json={"name": "dc1-vrf", "description": "DC 1"})

    assert created.status_code == 201
    space = created.json()
    assert space == {"id": space["id"], "name": "dc1-vrf", "description": "DC 1", "version": 1}
    assert api.get(f"/spaces/{space['id']}").json() == space
    assert [item["name"] for item in api.get("/spaces").json()] == ["dc1-vrf", "global"]
    assert [record.name for record in list_spaces(ledger)] == ["dc1-vrf", "global"]


def test_space_delete_empty_then_gone(api: httpx.Client, ledger: Ledger) -> None:
    space_id = api.post("/spaces", json={"name": "lab"}).json()["id"]

    assert api.delete(f"/spaces/{space_id}").status_code == 204
    assert_problem(api.get(f"/spaces/{space_id}"), 404, detail_has=(str(space_id),))
    assert [record.name for record in list_spaces(ledger)] == ["global"]


def test_space_delete_holding_prefixes_is_conflict(api: httpx.Client, ledger: Ledger) -> None:
    space_id = api.post("/spaces", json={"name": "lab"}).json()["id"]
    add_prefix(ledger, "10.0.0.0/24", space="lab")

    assert_problem(api.delete(f"/spaces/{space_id}"), 409, detail_has=("lab",))
    assert [record.name for record in list_spaces(ledger)] == ["global", "lab"]


# Roles


def test_role_create_then_listed(api: httpx.Client, ledger: Ledger) -> None:
    created = api.post("/roles", json={"name": "storage", "description": "SAN and NAS"})

    assert created.status_code == 201
    assert created.json() == {"name": "storage", "description": "SAN and NAS"}
    assert {"name": "storage", "description": "SAN and NAS"} in api.get("/roles").json()
    assert "storage" in [name for name, _ in list_roles(ledger)]


def test_role_delete_unused_then_gone(api: httpx.Client, ledger: Ledger) -> None:
    api.post("/roles", json={"name": "storage"})

    assert api.delete("/roles/storage").status_code == 204
    assert "storage" not in [role["name"] for role in api.get("/roles").json()]
    assert "storage" not in [name for name, _ in list_roles(ledger)]


def test_role_delete_in_use_is_conflict(api: httpx.Client, ledger: Ledger) -> None:
    api.post("/roles", json={"name": "storage"})
    add_prefix(ledger, "10.0.0.0/24", role="storage")

    assert_problem(api.delete("/roles/storage"), 409, detail_has=("storage",))
    assert "storage" in [name for name, _ in list_roles(ledger)]


def test_role_delete_unknown_is_not_found(api: httpx.Client) -> None:
    assert_problem(api.delete("/roles/no-such-role"), 404, detail_has=("no-such-role",))


def test_role_name_of_two_words_is_bad_input(api: httpx.Client) -> None:
    assert_problem(api.post("/roles", json={"name": "two words"}), 400, detail_has=("two words",))


# Groups


def test_group_create_with_parents_creates_the_chain(api: httpx.Client, ledger: Ledger) -> None:
    created = api.post(
        "/groups",
        json={"path": "k8s/prod/cluster-a", "parents": True, "owner": "platform", "tags": ["eu"]},
    )

    assert created.status_code == 201
    group = created.json()
    assert (group["path"], group["name"], group["parent"]) == ("k8s/prod/cluster-a", "cluster-a", "k8s/prod")
    assert (group["owner"], group["tags"], group["version"]) == ("platform", ["eu"], 1)
    assert created.headers["ETag"] == f'"group-{group["id"]}-v1"'
    assert [record.path for record in list_groups(ledger)] == ["k8s", "k8s/prod", "k8s/prod/cluster-a"]


def test_group_create_without_parents_needs_the_parent(api: httpx.Client, ledger: Ledger) -> None:
    assert_problem(api.post("/groups", json={"path": "k8s/prod"}), 404, detail_has=("k8s",))
    assert list_groups(ledger) == []


def test_group_list_flat_in_tree_order_and_under(api: httpx.Client, ledger: Ledger) -> None:
    for path in ("b/y", "a/x/deep", "a/w"):
        add_group(ledger, path)

    flat = [group["path"] for group in api.get("/groups").json()]
    under = [group["path"] for group in api.get("/groups", params={"under": "a/x"}).json()]

    assert flat == ["a", "a/w", "a/x", "a/x/deep", "b", "b/y"]
    assert under == ["a/x", "a/x/deep"]


def test_group_tree_nests_children(api: httpx.Client, ledger: Ledger) -> None:
    for path in ("a/x/deep", "a/w", "b"):
        add_group(ledger, path)

    def shape(nodes: list[dict[str, object]]) -> list[object]:
        return [(node["group"]["path"], shape(node["children"])) for node in nodes]  # type: ignore[index, arg-type]

    tree = api.get("/groups/tree")

    assert tree.status_code == 200
    assert shape(tree.json()) == [("a", [("a/w", []), ("a/x", [("a/x/deep", [])])]), ("b", [])]


def test_group_get_answers_with_etag(api: httpx.Client, ledger: Ledger) -> None:
    group = add_group(ledger, "k8s")

    response = api.get(f"/groups/{group.id}")

    assert response.status_code == 200
    assert response.json()["path"] == "k8s"
    assert response.headers["ETag"] == f'"group-{group.id}-v1"'


def test_group_patch_fields_with_fresh_if_match(api: httpx.Client, ledger: Ledger) -> None:
    group = add_group(ledger, "k8s")
    tag = api.get(f"/groups/{group.id}").headers["ETag"]

    response = api.patch(
        f"/groups/{group.id}",
        json={"owner": "platform", "environment": "prod", "description": "clusters", "tags": ["x"]},
        headers={"If-Match": tag},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["owner"], body["environment"], body["description"], body["tags"]) == (
        "platform",
        "prod",
        "clusters",
        ["x"],
    )
    assert body["version"] == 2
    assert response.headers["ETag"] == f'"group-{group.id}-v2"' != tag
    stored = list_groups(ledger)[0]
    assert (stored.owner, stored.version) == ("platform", 2)


def test_group_patch_with_stale_if_match_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    group = add_group(ledger, "k8s")
    stale = api.get(f"/groups/{group.id}").headers["ETag"]
    api.patch(f"/groups/{group.id}", json={"owner": "first"})

    body = assert_problem(
        api.patch(f"/groups/{group.id}", json={"owner": "second"}, headers={"If-Match": stale}), 412
    )

    assert (body["current"]["owner"], body["current"]["version"]) == ("first", 2)
    assert list_groups(ledger)[0].owner == "first"


def test_group_rename_carries_the_subtree(api: httpx.Client, ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod/cluster-a")
    prefix = add_prefix(ledger, "10.0.0.0/24", group="k8s/prod/cluster-a")

    response = api.patch(f"/groups/{_group_id(api, 'k8s/prod')}", json={"name": "production"})

    assert response.status_code == 200
    assert response.json()["path"] == "k8s/production"
    assert [record.path for record in list_groups(ledger)] == [
        "k8s",
        "k8s/production",
        "k8s/production/cluster-a",
    ]
    assert api.get(f"/prefixes/{prefix.id}").json()["group"] == "k8s/production/cluster-a"


@pytest.mark.parametrize(
    ("parent", "path"),
    [pytest.param("b", "b/x", id="under-another"), pytest.param(None, "x", id="to-the-top")],
)
def test_group_move_takes_children_along(
    api: httpx.Client, ledger: Ledger, parent: str | None, path: str
) -> None:
    add_group(ledger, "a/x/deep")
    add_group(ledger, "b")

    response = api.patch(f"/groups/{_group_id(api, 'a/x')}", json={"parent": parent})

    assert response.status_code == 200
    assert (response.json()["path"], response.json()["parent"]) == (path, parent)
    assert f"{path}/deep" in [record.path for record in list_groups(ledger)]


def test_group_move_into_its_own_subtree_is_bad_input(api: httpx.Client, ledger: Ledger) -> None:
    add_group(ledger, "a/x")

    assert_problem(api.patch(f"/groups/{_group_id(api, 'a')}", json={"parent": "a/x"}), 400)
    assert [record.path for record in list_groups(ledger)] == ["a", "a/x"]


def test_group_delete_empty_then_gone(api: httpx.Client, ledger: Ledger) -> None:
    group = add_group(ledger, "k8s")

    assert api.delete(f"/groups/{group.id}").status_code == 204
    assert_problem(api.get(f"/groups/{group.id}"), 404)
    assert list_groups(ledger) == []


@pytest.mark.parametrize(
    "holding",
    [
        pytest.param(lambda ledger: add_group(ledger, "k8s/prod"), id="child-group"),
        pytest.param(lambda ledger: add_prefix(ledger, "10.0.0.0/24", group="k8s"), id="prefix"),
        pytest.param(lambda ledger: add_address(ledger, "192.0.2.1", group="k8s"), id="address"),
    ],
)
def test_group_delete_non_empty_is_conflict(api: httpx.Client, ledger: Ledger, holding: object) -> None:
    group = add_group(ledger, "k8s")
    holding(ledger)  # type: ignore[operator]

    assert_problem(api.delete(f"/groups/{group.id}"), 409, detail_has=("k8s",))
    assert "k8s" in [record.path for record in list_groups(ledger)]
