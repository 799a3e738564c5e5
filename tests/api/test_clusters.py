"""Clusters, their plans and configuration checks over HTTP: record, read, change and forget a
cluster; plan a new one, apply or discard the plan; plan growth and decommissioning; check a
cluster configuration file against the ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ipledger.core.errors import NotFoundError
from ipledger.service.clusters import ClusterFields, create_cluster, show_cluster
from ipledger.service.ledger import Ledger
from ipledger.service.plans import show_plan
from ipledger.service.spaces import create_space
from ipledger.store.models import Cluster, Plan, Prefix
from tests.api.conftest import QueryCounter
from tests.api.problems import assert_problem
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    count_rows,
    prefix_of,
    stored_state,
)

POOLS: dict[str, list[str]] = {
    "pod_pools": ["10.0.0.0/8"],
    "service_pools": ["172.16.0.0/12"],
    "node_pools": ["192.168.0.0/16"],
}
# A dual-stack cluster's fields: a pool of each family for each network.
DUAL_STACK: dict[str, Any] = {
    "dual_stack": True,
    "pod_pools": ["10.0.0.0/8", "fd00::/48"],
    "service_pools": ["172.16.0.0/12", "fd01::/108"],
    "node_pools": ["192.168.0.0/16", "fd02::/48"],
}
# What a plan of 3 nodes x growth 2 with the defaults places in POOLS: each network, then its reserve.
PLANNED = [
    ("10.0.0.0/21", "pod"),
    ("10.0.8.0/21", "expansion-reserve"),
    ("172.16.0.0/20", "service"),
    ("172.16.16.0/20", "expansion-reserve"),
    ("192.168.0.0/28", "node"),
    ("192.168.0.16/28", "expansion-reserve"),
]
KIND = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
CONFIGS = Path(__file__).resolve().parents[1] / "kube" / "configs"


def _picked(item: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``item`` under the keys of ``expected``, to compare with it."""
    return {key: item.get(key) for key in expected}


def _plan(api: httpx.Client, name: str = "c1", **fields: Any) -> dict[str, Any]:
    """POST /cluster-plans with POOLS unless ``fields`` name other pools; the saved plan."""
    response = api.post("/cluster-plans", json={"name": name, **POOLS, **fields})
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def _apply(api: httpx.Client, plan: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/plans/{plan['id']}/apply")
    assert response.status_code == 200, response.text
    applied: dict[str, Any] = response.json()
    return applied


def _planned_cluster(api: httpx.Client, name: str = "c1", **fields: Any) -> dict[str, Any]:
    """A cluster created the way it should be: planned, then applied; its applied plan."""
    return _apply(api, _plan(api, name, **fields))


def _networks(api: httpx.Client, name: str = "c1") -> list[tuple[str, str]]:
    """The cluster's prefixes as GET /clusters/{name} answers them: (prefix, role)."""
    response = api.get(f"/clusters/{name}")
    assert response.status_code == 200, response.text
    return [(item["prefix"], item["role"]) for item in response.json()["prefixes"]]


def _plan_ids(api: httpx.Client, **params: str) -> list[int]:
    response = api.get("/plans", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def _grow(api: httpx.Client, name: str = "c1", **body: Any) -> dict[str, Any]:
    response = api.post(f"/clusters/{name}/growth-plans", json=body)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def _decommission(api: httpx.Client, name: str = "c1", **body: Any) -> dict[str, Any]:
    response = api.post(f"/clusters/{name}/decommission-plans", json=body)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


# Clusters: record, read, change, forget.


def test_cluster_create_returns_the_record_in_canonical_form(api: httpx.Client, ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")

    response = api.post(
        "/clusters",
        json={
            "name": "prod-eu-1",
            "group": "k8s/prod",
            "provider": "EKS",
            "ipam_mode": "Calico",
            "max_pods": 64,
            "expected_nodes": 10,
            "description": "recorded by hand",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert response.headers["ETag"] == f'"cluster-{body["id"]}-v1"'
    expected = {"name": "prod-eu-1", "space": "global", "group": "k8s/prod", "status": "active", "version": 1}
    assert _picked(body, expected) == expected
    expected = {"provider": "eks", "ipam_mode": "calico", "max_pods": 64, "expected_nodes": 10, "growth": 2.0}
    assert _picked(body, expected) == expected
    stored = show_cluster(ledger, "prod-eu-1").cluster
    assert (stored.id, stored.provider, stored.ipam_mode, stored.group) == (
        body["id"],
        "eks",
        "calico",
        "k8s/prod",
    )


def test_cluster_create_with_instance_figures_warns_about_max_pods(api: httpx.Client, ledger: Ledger) -> None:
    # m5.large: 3 ENIs of 10 IPv4 addresses hold 3 x (10 - 1) + 2 = 29 pods, fewer than 58.
    figures = {"eni_count": 3, "ips_per_eni": 10, "vcpus": 2}
    body = {"name": "eks-1", "provider": "eks", "ipam_mode": "aws-vpc-cni", "max_pods": 58, **figures}

    response = api.post("/clusters", json=body)

    assert response.status_code == 201
    assert _picked(response.json(), figures) == figures
    detail = api.get("/clusters/eks-1").json()
    assert _picked(detail["cluster"], figures) == figures
    [warning] = [item for item in detail["findings"] if item["kind"] == "aws-max-pods"]
    assert "max pods 58 exceeds the 29 pods these ENIs can address" in warning["message"]
    assert show_cluster(ledger, "eks-1").cluster.eni_count == 3


def test_cluster_create_duplicate_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    assert api.post("/clusters", json={"name": "c1"}).status_code == 201

    assert_problem(
        api.post("/clusters", json={"name": "c1", "max_pods": 64}), 409, detail_has=("c1 already exists",)
    )

    assert count_rows(ledger, Cluster) == 1
    assert show_cluster(ledger, "c1").cluster.max_pods == 110


def test_cluster_create_duplicate_answers_the_existing(api: httpx.Client) -> None:
    first = api.post("/clusters", json={"name": "c1"}).json()

    body = assert_problem(api.post("/clusters", json={"name": "c1"}), 409)

    assert (body["existing"]["id"], body["existing"]["name"]) == (first["id"], "c1")


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        pytest.param({"name": "bad name"}, "name", "must start with a letter or digit", id="name"),
        pytest.param(
            {"name": "c1", "ipam_mode": "weave"},
            "ipam_mode",
            "expected one of kube-controller-manager, flannel, calico, cilium-cluster-pool",
            id="ipam_mode",
        ),
        pytest.param(
            {"name": "c1", "provider": "ec2"},
            "provider",
            "expected one of bare-metal, eks, gke, aks",
            id="provider",
        ),
        pytest.param({"name": "c1", "growth": 0.5}, "growth", "at least 1", id="growth-below-1"),
        pytest.param({"name": "c1", "max_pods": 0}, "max_pods", "at least 1", id="max_pods-0"),
    ],
)
def test_cluster_create_bad_value_names_the_field(
    api: httpx.Client, ledger: Ledger, body: dict[str, Any], field: str, detail: str
) -> None:
    assert_problem(api.post("/clusters", json=body), 400, field=field, detail_has=(detail,))
    assert count_rows(ledger, Cluster) == 0


def test_cluster_get_answers_networks_etag_and_capacity(api: httpx.Client) -> None:
    _planned_cluster(api)

    response = api.get("/clusters/c1")

    assert response.status_code == 200
    body = response.json()
    assert response.headers["ETag"] == f'"cluster-{body["cluster"]["id"]}-v1"'
    assert [(item["prefix"], item["role"]) for item in body["prefixes"]] == PLANNED
    assert {item["managed_by"] for item in body["prefixes"]} == {"cluster:c1"}
    assert [item["family"] for item in body["capacity"]] == [4]
    capacity = body["capacity"][0]
    assert (capacity["nodes_needed"], capacity["node_capacity"], capacity["headroom_nodes"]) == (6, 8, 2)
    assert body["findings"] == []


def test_cluster_patch_with_fresh_if_match_answers_new_etag(api: httpx.Client, ledger: Ledger) -> None:
    key = api.post("/clusters", json={"name": "c1"}).json()["id"]
    tag = api.get("/clusters/c1").headers["ETag"]

    response = api.patch(
        "/clusters/c1", json={"description": "edited", "expected_nodes": 12}, headers={"If-Match": tag}
    )

    assert response.status_code == 200
    expected = {"description": "edited", "expected_nodes": 12, "version": 2}
    assert _picked(response.json(), expected) == expected
    assert response.headers["ETag"] == f'"cluster-{key}-v2"'
    stored = show_cluster(ledger, "c1").cluster
    assert (stored.description, stored.expected_nodes, stored.version) == ("edited", 12, 2)


def test_cluster_patch_with_stale_if_match_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    api.post("/clusters", json={"name": "c1"})
    stale = api.get("/clusters/c1").headers["ETag"]
    assert api.patch("/clusters/c1", json={"description": "first"}).status_code == 200

    assert_problem(
        api.patch("/clusters/c1", json={"description": "second"}, headers={"If-Match": stale}),
        412,
        detail_has=("version 2",),
    )

    assert show_cluster(ledger, "c1").cluster.description == "first"


def test_cluster_patch_with_stale_if_match_answers_current(api: httpx.Client) -> None:
    key = api.post("/clusters", json={"name": "c1"}).json()["id"]
    stale = api.get("/clusters/c1").headers["ETag"]
    api.patch("/clusters/c1", json={"description": "first"})

    body = assert_problem(
        api.patch("/clusters/c1", json={"description": "second"}, headers={"If-Match": stale}), 412
    )

    expected = {"id": key, "description": "first", "version": 2}
    assert _picked(body["current"], expected) == expected


def test_cluster_delete_with_stale_if_match_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    api.post("/clusters", json={"name": "c1"})
    stale = api.get("/clusters/c1").headers["ETag"]
    api.patch("/clusters/c1", json={"description": "edited"})

    body = assert_problem(api.delete("/clusters/c1", headers={"If-Match": stale}), 412)

    assert body["current"]["version"] == 2
    assert show_cluster(ledger, "c1").cluster.version == 2


def test_cluster_if_match_of_another_object_is_bad_input(api: httpx.Client, ledger: Ledger) -> None:
    api.post("/clusters", json={"name": "c1"})

    response = api.patch("/clusters/c1", json={"description": "x"}, headers={"If-Match": '"prefix-1-v1"'})

    assert_problem(response, 400, field="If-Match")
    assert show_cluster(ledger, "c1").cluster.description == ""


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        pytest.param({"ipam_mode": "weave"}, 400, "ipam_mode", id="ipam_mode"),
        pytest.param({"growth": 0.5}, 400, "growth", id="growth"),
        pytest.param({"group": "nowhere"}, 404, None, id="unknown-group"),
        pytest.param({"status": "gone"}, 422, "status", id="status"),
        pytest.param({"space": "lab"}, 422, "space", id="space-is-fixed"),
        pytest.param({"name": "c2"}, 422, "name", id="name-is-fixed"),
    ],
)
def test_cluster_patch_bad_change_is_refused(
    api: httpx.Client, ledger: Ledger, body: dict[str, Any], status: int, field: str | None
) -> None:
    api.post("/clusters", json={"name": "c1"})

    assert_problem(api.patch("/clusters/c1", json=body), status, field=field)

    expected = {
        "ipam_mode": "kube-controller-manager",
        "growth": 2.0,
        "group": None,
        "status": "active",
        "version": 1,
    }
    assert _picked(api.get("/clusters/c1").json()["cluster"], expected) == expected
    assert show_cluster(ledger, "c1").cluster.version == 1


def test_cluster_delete_without_networks_forgets_it(api: httpx.Client, ledger: Ledger) -> None:
    api.post("/clusters", json={"name": "c1"})

    assert api.delete("/clusters/c1").status_code == 204

    assert_problem(api.get("/clusters/c1"), 404, detail_has=("'c1'",))
    with pytest.raises(NotFoundError):
        show_cluster(ledger, "c1")


def test_cluster_delete_still_managing_networks_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    _planned_cluster(api)

    assert_problem(
        api.delete("/clusters/c1"), 409, detail_has=("still manages 6 prefix(es)", "decommission it first")
    )

    assert show_cluster(ledger, "c1").cluster.status == "active"
    assert count_rows(ledger, Prefix) == 6


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/clusters/nope", None, id="get"),
        pytest.param("PATCH", "/clusters/nope", {"description": "x"}, id="patch"),
        pytest.param("DELETE", "/clusters/nope", None, id="delete"),
        pytest.param("POST", "/clusters/nope/growth-plans", {}, id="growth-plan"),
        pytest.param("POST", "/clusters/nope/decommission-plans", {"release": True}, id="decommission-plan"),
    ],
)
def test_cluster_unknown_is_not_found(
    api: httpx.Client, ledger: Ledger, method: str, path: str, body: dict[str, Any] | None
) -> None:
    api.post("/clusters", json={"name": "c1"})

    assert_problem(api.request(method, path, json=body), 404, detail_has=("no cluster named 'nope'", "c1"))

    assert count_rows(ledger, Plan) == 0


def test_cluster_list_shows_networks_by_role_and_headroom(api: httpx.Client) -> None:
    _planned_cluster(api)

    response = api.get("/clusters")

    assert response.status_code == 200
    [summary] = response.json()
    assert summary["cluster"]["name"] == "c1"
    assert summary["networks"] == {
        "pod": ["10.0.0.0/21"],
        "service": ["172.16.0.0/20"],
        "node": ["192.168.0.0/28"],
        "expansion-reserve": ["10.0.8.0/21", "172.16.16.0/20", "192.168.0.16/28"],
    }
    assert (summary["pod_percent"], summary["headroom_nodes"]) == (0.0, 2)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, ["a", "b", "c"], id="all"),
        pytest.param({"group": "k8s"}, ["a", "b"], id="group-subtree"),
        pytest.param({"group": "k8s/prod"}, ["b"], id="group-below"),
        pytest.param({"space": "lab"}, ["c"], id="space"),
    ],
)
def test_cluster_list_filters(
    api: httpx.Client, ledger: Ledger, params: dict[str, str], expected: list[str]
) -> None:
    add_group(ledger, "k8s/prod")
    create_space(ledger, "lab", actor=ACTOR)
    for body in (
        {"name": "a", "group": "k8s"},
        {"name": "b", "group": "k8s/prod"},
        {"name": "c", "space": "lab"},
    ):
        assert api.post("/clusters", json=body).status_code == 201

    response = api.get("/clusters", params=params)

    assert response.status_code == 200
    assert [item["cluster"]["name"] for item in response.json()] == expected


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        pytest.param({"space": "nope"}, "no space named 'nope'", id="space"),
        pytest.param({"group": "nope"}, "no group 'nope'", id="group"),
    ],
)
def test_cluster_list_unknown_filter_is_not_found(
    api: httpx.Client, params: dict[str, str], detail: str
) -> None:
    assert_problem(api.get("/clusters", params=params), 404, detail_has=(detail,))


def test_cluster_list_query_count_does_not_grow_with_clusters(
    api: httpx.Client, ledger: Ledger, queries: QueryCounter
) -> None:
    add_prefix(ledger, "10.0.0.0/24", role="pod", managed_by="cluster:c0")
    api.post("/clusters", json={"name": "c0"})
    api.get("/clusters")  # the app's first request builds its stack

    def count() -> int:
        before = queries.count
        assert api.get("/clusters").status_code == 200
        return queries.count - before

    one = count()
    for n in range(1, 5):
        add_prefix(ledger, f"10.0.{n}.0/24", role="pod", managed_by=f"cluster:c{n}")
        api.post("/clusters", json={"name": f"c{n}"})
    five = count()

    assert one == five, f"{one} statements for 1 cluster, {five} for 5"


@pytest.fixture
def overlapping(ledger: Ledger) -> None:
    """c1 and c2 overlap in space global; c3 reuses c1's pod CIDR in space lab."""
    create_space(ledger, "lab", actor=ACTOR)
    for name, space in (("c1", "global"), ("c2", "global"), ("c3", "lab")):
        create_cluster(ledger, name, ClusterFields(space=space), actor=ACTOR)
    add_prefix(ledger, "10.0.0.0/16", role="pod", managed_by="cluster:c1")
    add_prefix(ledger, "10.0.1.0/24", role="node", managed_by="cluster:c2")
    add_prefix(ledger, "10.0.0.0/16", space="lab", role="pod", managed_by="cluster:c3")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {},
            [
                ("error", "c1 pod 10.0.0.0/16 / c2 node 10.0.1.0/24"),
                ("info", "c1 pod 10.0.0.0/16 / c3 pod 10.0.0.0/16"),
                ("info", "c2 node 10.0.1.0/24 / c3 pod 10.0.0.0/16"),
            ],
            id="every-space",
        ),
        pytest.param(
            {"space": "lab"},
            [
                ("info", "c1 pod 10.0.0.0/16 / c3 pod 10.0.0.0/16"),
                ("info", "c2 node 10.0.1.0/24 / c3 pod 10.0.0.0/16"),
            ],
            id="space-lab",
        ),
    ],
)
@pytest.mark.usefixtures("overlapping")
def test_cluster_overlaps_error_within_a_space_info_across(
    api: httpx.Client, params: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    response = api.get("/clusters/overlaps", params=params)

    assert response.status_code == 200
    found = response.json()
    assert [(item["severity"], item["subject"]) for item in found] == expected
    assert {item["kind"] for item in found} == {"clusters-overlap"}


@pytest.mark.usefixtures("overlapping")
def test_cluster_overlaps_say_why_they_matter(api: httpx.Client) -> None:
    messages = {item["severity"]: item["message"] for item in api.get("/clusters/overlaps").json()}

    assert "routed to the wrong cluster; renumber one of them" in messages["error"]
    assert "fine for isolated overlays" in messages["info"]


# Plans of new clusters.


def test_cluster_plan_proposes_networks_with_reserves_and_saves_nothing_else(
    api: httpx.Client, ledger: Ledger
) -> None:
    response = api.post("/cluster-plans", json={"name": "c1", **POOLS})

    assert response.status_code == 201
    plan = response.json()
    assert (plan["kind"], plan["cluster"], plan["status"], plan["created_by"], plan["decided_at"]) == (
        "create-cluster",
        "c1",
        "proposed",
        "alice (token tests)",
        None,
    )
    changes = plan["body"]["changes"]
    assert (changes[0]["action"], changes[0]["kind"], changes[0]["name"]) == ("create", "cluster", "c1")
    assert [(item["prefix"], item["role"]) for item in changes[1:]] == PLANNED
    assert {(item["action"], item["kind"], item["managed_by"]) for item in changes[1:]} == {
        ("create", "prefix", "cluster:c1")
    }
    assert all(check["ok"] for check in plan["body"]["checks"]), plan["body"]["checks"]
    assert {check["check"] for check in plan["body"]["checks"]} >= {"pod network is free", "networks apart"}
    assert plan["body"]["capacity"]["IPv4"]["nodes_needed"] == 6
    assert show_plan(ledger, plan["id"]).status == "proposed"
    assert (count_rows(ledger, Cluster), count_rows(ledger, Prefix)) == (0, 0)
    assert_problem(api.get("/clusters/c1"), 404)


@pytest.mark.parametrize(
    ("fields", "stated", "not_stated"),
    [
        pytest.param(
            {},
            [
                "max pods: 110 (default: the kubelet's default maxPods)",
                "expected nodes: 3 (default: a minimal highly-available control plane)",
                "growth: 2.0 (default: room to double the cluster)",
                "node prefixlen: /24 (default: the IPAM mode's default per-node block)",
                "space: global (default: the default space)",
            ],
            ["node prefixlen v6"],
            id="all-defaults",
        ),
        pytest.param(
            {"max_pods": 64, "expected_nodes": 10, "growth": 1.5},
            ["node prefixlen: /24 (default: the IPAM mode's default per-node block)"],
            ["max pods", "expected nodes", "growth"],
            id="given-not-stated",
        ),
        pytest.param(
            {"ipam_mode": "calico"},
            ["node prefixlen: /26 (default: the IPAM mode's default per-node block)"],
            ["ipam mode"],
            id="calico-block",
        ),
        pytest.param(
            DUAL_STACK,
            ["node prefixlen v6: /64 (default: the IPAM mode's default per-node block)"],
            [],
            id="dual-stack",
        ),
    ],
)
def test_cluster_plan_states_the_defaults_it_used(
    api: httpx.Client, fields: dict[str, Any], stated: list[str], not_stated: list[str]
) -> None:
    notes = _plan(api, **fields)["body"]["inputs"]["notes"]

    for note in stated:
        assert note in notes, notes
    for start in not_stated:
        assert not [note for note in notes if note.startswith(f"{start}:")], notes


def test_plan_apply_creates_the_cluster_and_its_prefixes(api: httpx.Client, ledger: Ledger) -> None:
    plan = _plan(api)

    response = api.post(f"/plans/{plan['id']}/apply")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_by"]) == ("applied", "alice (token tests)")
    assert _networks(api) == PLANNED
    listed = api.get("/prefixes", params={"q": "cluster:c1"}).json()
    assert [(item["prefix"], item["role"], item["managed_by"]) for item in listed["items"]] == [
        (cidr, role, "cluster:c1") for cidr, role in PLANNED
    ]
    pod = prefix_of(ledger, "10.0.0.0/21")
    assert (pod.role, pod.status, pod.managed_by) == ("pod", "active", "cluster:c1")
    assert prefix_of(ledger, "10.0.8.0/21").status == "reserved"
    assert show_cluster(ledger, "c1").cluster.status == "active"
    assert show_plan(ledger, plan["id"]).status == "applied"


def test_plan_apply_nests_networks_in_a_recorded_pool(api: httpx.Client, ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/8", description="pod pool")

    _planned_cluster(api)

    parents = api.get("/prefixes", params={"contains": "10.0.0.1"}).json()["items"]
    assert [item["prefix"] for item in parents] == ["10.0.0.0/8", "10.0.0.0/21"]
    assert prefix_of(ledger, "10.0.0.0/8").usage.covered == 4096


_DECIDED = {"apply": "applied", "discard": "discarded"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("apply", "apply", id="apply-twice"),
        pytest.param("apply", "discard", id="discard-applied"),
        pytest.param("discard", "apply", id="apply-discarded"),
        pytest.param("discard", "discard", id="discard-twice"),
    ],
)
def test_plan_decided_cannot_be_decided_again(
    api: httpx.Client, ledger: Ledger, first: str, second: str
) -> None:
    plan = _plan(api)
    assert api.post(f"/plans/{plan['id']}/{first}").status_code == 200
    before = stored_state(ledger)

    assert_problem(
        api.post(f"/plans/{plan['id']}/{second}"),
        409,
        detail_has=(f"was {_DECIDED[first]} by alice",),
    )

    assert stored_state(ledger) == before


def test_plan_discard_keeps_it_readable_and_creates_nothing(api: httpx.Client, ledger: Ledger) -> None:
    plan = _plan(api)

    response = api.post(f"/plans/{plan['id']}/discard")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_by"]) == ("discarded", "alice (token tests)")
    assert api.get(f"/plans/{plan['id']}").json()["status"] == "discarded"
    assert (count_rows(ledger, Cluster), count_rows(ledger, Prefix)) == (0, 0)


@pytest.mark.parametrize(
    ("record", "in_the_way"),
    [
        pytest.param(
            lambda ledger: add_prefix(ledger, "10.0.4.0/24"),
            "10.0.0.0/21 is no longer free in space global: prefix 10.0.4.0/24 (general, manual) "
            "was recorded inside it",
            id="prefix-inside",
        ),
        pytest.param(
            lambda ledger: add_prefix(ledger, "10.0.0.0/16", managed_by="terraform"),
            "prefix 10.0.0.0/16 (general, terraform) now covers it",
            id="prefix-around",
        ),
        pytest.param(
            lambda ledger: (
                add_prefix(ledger, "172.16.0.0/12"),
                add_range(ledger, "172.16.1.10-172.16.1.20"),
            ),
            "172.16.0.0/20 is no longer free in space global: range 172.16.1.10-172.16.1.20 (general, manual) "
            "was recorded in it",
            id="range",
        ),
        pytest.param(
            lambda ledger: add_address(ledger, "192.168.0.5"),
            "192.168.0.0/28 is no longer free in space global: address 192.168.0.5 was recorded in it",
            id="address",
        ),
        pytest.param(
            lambda ledger: add_address(ledger, "192.168.0.17"),
            "192.168.0.16/28 is no longer free in space global: address 192.168.0.17 was recorded in it",
            id="address-in-reserve",
        ),
    ],
)
def test_plan_apply_after_a_block_was_taken_is_refused_and_changes_nothing(
    api: httpx.Client, ledger: Ledger, record: Callable[[Ledger], object], in_the_way: str
) -> None:
    plan = _plan(api)
    record(ledger)
    before = stored_state(ledger)

    assert_problem(
        api.post(f"/plans/{plan['id']}/apply"),
        409,
        detail_has=(f"plan {plan['id']} cannot be applied, nothing was changed", in_the_way),
    )

    assert stored_state(ledger) == before
    assert api.get(f"/plans/{plan['id']}").json()["status"] == "proposed"


def test_plan_apply_of_two_racing_plans_only_one_wins(api: httpx.Client, ledger: Ledger) -> None:
    first, second = _plan(api, "c1"), _plan(api, "c2")
    assert [item["prefix"] for item in first["body"]["changes"][1:]] == [
        item["prefix"] for item in second["body"]["changes"][1:]
    ]
    _apply(api, first)

    assert_problem(
        api.post(f"/plans/{second['id']}/apply"),
        409,
        detail_has=(
            "10.0.0.0/21 is no longer free in space global: it lies in the pod network 10.0.0.0/21 of cluster c1",
        ),
    )

    assert show_cluster(ledger, "c1").cluster.name == "c1"
    assert_problem(api.get("/clusters/c2"), 404)
    assert count_rows(ledger, Prefix) == 6


@pytest.mark.parametrize(
    ("fields", "record", "detail"),
    [
        pytest.param(
            {"pod_pools": ["10.0.0.0/24"]},
            (),
            "the pod network (/21 with its expansion reserve) fits in no pool: 10.0.0.0/24 is smaller than a /20",
            id="pool-smaller",
        ),
        pytest.param(
            {"node_pools": ["192.168.0.0/30"]},
            (),
            "192.168.0.0/30 is smaller than a /27",
            id="node-pool-smaller",
        ),
        pytest.param(
            {"pod_pools": ["10.0.0.0/19"]},
            ("10.0.0.0/20", "10.0.16.0/24"),
            "10.0.0.0/19 has no free /20 (largest free block: /21)",
            id="pool-full",
        ),
    ],
)
def test_cluster_plan_pool_too_small_saves_nothing(
    api: httpx.Client, ledger: Ledger, fields: dict[str, Any], record: tuple[str, ...], detail: str
) -> None:
    for cidr in record:
        add_prefix(ledger, cidr)
    before = stored_state(ledger)

    assert_problem(
        api.post("/cluster-plans", json={"name": "c1", **POOLS, **fields}), 409, detail_has=(detail,)
    )

    assert _plan_ids(api) == []
    assert stored_state(ledger) == before


@pytest.mark.parametrize(
    ("fields", "field", "detail"),
    [
        pytest.param(
            {"pod_pools": ["10.0.0.1/8"]},
            "pod_pools[0]",
            "10.0.0.1/8: host bits set; did you mean 10.0.0.0/8?",
            id="pod-pool-host-bits",
        ),
        pytest.param(
            {"service_pools": ["172.16.0.0/12", "172.16.0.0"]},
            "service_pools[1]",
            "a prefix needs a length",
            id="service-pool-no-length",
        ),
        pytest.param(
            {"ipam_mode": "weave"},
            "ipam_mode",
            "unknown ipam mode 'weave': expected one of kube-controller-manager, flannel, calico, "
            "cilium-cluster-pool, cilium-multi-pool, whereabouts, aws-vpc-cni, aws-vpc-cni-prefix, "
            "azure-cni-overlay",
            id="ipam_mode",
        ),
        pytest.param({"provider": "ec2"}, "provider", "unknown provider 'ec2'", id="provider"),
        pytest.param({"name": "-c1"}, "name", "must start with a letter or digit", id="name"),
        pytest.param({"growth": 0.5}, "growth", "growth 0.5", id="growth"),
        pytest.param({"pod_pools": []}, None, "no IPv4 pool for the pod network", id="no-pod-pool"),
    ],
)
def test_cluster_plan_bad_value_names_it_and_saves_nothing(
    api: httpx.Client, ledger: Ledger, fields: dict[str, Any], field: str | None, detail: str
) -> None:
    assert_problem(
        api.post("/cluster-plans", json={"name": "c1", **POOLS, **fields}),
        400,
        field=field,
        detail_has=(detail,),
    )
    assert count_rows(ledger, Plan) == 0


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"space": "nowhere"}, id="space"),
        pytest.param(
            {"group": "nowhere"},
            id="group",
        ),
    ],
)
def test_cluster_plan_unknown_space_or_group_is_not_found(
    api: httpx.Client, ledger: Ledger, fields: dict[str, str]
) -> None:
    assert_problem(
        api.post("/cluster-plans", json={"name": "c1", **POOLS, **fields}), 404, detail_has=("nowhere",)
    )
    assert count_rows(ledger, Plan) == 0


def test_cluster_plan_of_an_existing_cluster_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    api.post("/clusters", json={"name": "c1"})

    assert_problem(
        api.post("/cluster-plans", json={"name": "c1", **POOLS}), 409, detail_has=("already exists",)
    )
    assert count_rows(ledger, Plan) == 0


def test_cluster_plan_takes_pools_tagged_in_the_group_above(api: httpx.Client, ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")
    for cidr, role in (("10.0.0.0/8", "pod"), ("172.16.0.0/12", "service"), ("192.168.0.0/16", "node")):
        add_prefix(ledger, cidr, group="k8s", tags=(f"pool:{role}",))

    plan = _plan(api, group="k8s/prod", pod_pools=[], service_pools=[], node_pools=[])

    assert "pod pools for IPv4 from group k8s (tagged pool:pod)" in plan["body"]["inputs"]["notes"]
    _apply(api, plan)
    assert _networks(api) == PLANNED
    assert prefix_of(ledger, "10.0.0.0/21").group == "k8s/prod"


def test_cluster_plan_dual_stack_places_both_families(api: httpx.Client) -> None:
    plan = _plan(api, **DUAL_STACK)

    assert sorted(plan["body"]["capacity"]) == ["IPv4", "IPv6"]
    _apply(api, plan)
    assert _networks(api)[len(PLANNED) :] == [
        ("fd00::/61", "pod"),
        ("fd00:0:0:8::/61", "expansion-reserve"),
        ("fd01::/112", "service"),
        ("fd01::1:0/112", "expansion-reserve"),
        ("fd02::/64", "node"),  # SLAAC and the clouds need a /64
        ("fd02:0:0:1::/64", "expansion-reserve"),
    ]


def test_cluster_plan_ipv6_node_subnet_length_given_is_used(api: httpx.Client) -> None:
    plan = _plan(api, **DUAL_STACK, node_subnet_prefixlen_v6=125)

    _apply(api, plan)

    assert _networks(api)[-2:] == [("fd02::/125", "node"), ("fd02::8/125", "expansion-reserve")]


def test_cluster_plan_ipv6_node_subnet_too_small_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    before = stored_state(ledger)

    response = api.post(
        "/cluster-plans", json={"name": "c1", **POOLS, **DUAL_STACK, "node_subnet_prefixlen_v6": 126}
    )

    assert_problem(
        response,
        400,
        field="node_subnet_prefixlen_v6",
        detail_has=("a /126 IPv6 node subnet holds fewer than the 6 nodes needed",),
    )
    assert stored_state(ledger) == before


def test_cluster_plan_loadbalancer_pool_is_sized_for_its_addresses(api: httpx.Client) -> None:
    plan = _plan(api, loadbalancer_addresses=20, loadbalancer_pools=["192.0.2.0/24"])

    _apply(api, plan)

    assert ("192.0.2.0/27", "loadbalancer") in _networks(api)


# Growth and decommissioning.


def test_growth_plan_apply_widens_the_pod_network_into_its_reserve(api: httpx.Client, ledger: Ledger) -> None:
    _planned_cluster(api)

    plan = _grow(api, role="pod", family=4)

    assert plan["kind"] == "grow-cluster"
    assert [
        (item["action"], item["prefix"], item["to"], item["reserve"]) for item in plan["body"]["changes"]
    ] == [
        ("resize", "10.0.0.0/21", "10.0.0.0/20", "10.0.8.0/21"),
    ]
    assert _networks(api)[:2] == PLANNED[:2]
    pod = prefix_of(ledger, "10.0.0.0/21")
    _apply(api, plan)
    assert _networks(api) == [("10.0.0.0/20", "pod"), *PLANNED[2:]]
    widened = prefix_of(ledger, "10.0.0.0/20")
    assert (widened.id, widened.role, widened.managed_by, widened.status) == (
        pod.id,
        "pod",
        "cluster:c1",
        "active",
    )
    assert api.get("/clusters/c1").json()["capacity"][0]["node_capacity"] == 16


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(
            {"role": "pod", "family": 6}, "cluster c1 has no IPv6 pod network to grow", id="no-ipv6"
        ),
        pytest.param(
            {"role": "loadbalancer"},
            "cluster c1 has no IPv4 loadbalancer network to grow",
            id="no-loadbalancer",
        ),
    ],
)
def test_growth_plan_of_a_missing_network_is_bad_input(
    api: httpx.Client, ledger: Ledger, body: dict[str, Any], detail: str
) -> None:
    _planned_cluster(api)

    assert_problem(api.post("/clusters/c1/growth-plans", json=body), 400, detail_has=(detail,))
    assert _plan_ids(api, status="proposed") == []


def test_growth_plan_without_reserve_left_is_bad_input(api: httpx.Client) -> None:
    _planned_cluster(api)
    _apply(api, _grow(api))

    assert_problem(
        api.post("/clusters/c1/growth-plans", json={}),
        400,
        detail_has=(
            "10.0.0.0/20 of cluster c1 has no expansion reserve after it (10.0.0.0/19 would be needed)",
        ),
    )


def test_growth_plan_with_reserve_in_use_fails_its_check_and_is_not_applied(
    api: httpx.Client, ledger: Ledger
) -> None:
    _planned_cluster(api)
    add_prefix(ledger, "10.0.9.0/24")

    plan = _grow(api)

    check, *others = plan["body"]["checks"]
    assert (check["check"], check["ok"]) == ("reserve is empty", False)
    assert [other["ok"] for other in others] == [True, True]
    assert "10.0.9.0/24" in check["detail"]
    before = stored_state(ledger)
    assert_problem(
        api.post(f"/plans/{plan['id']}/apply"), 409, detail_has=("failed 1 check(s)", "10.0.9.0/24")
    )
    assert stored_state(ledger) == before


def test_growth_plan_apply_after_the_reserve_was_taken_is_refused(api: httpx.Client, ledger: Ledger) -> None:
    _planned_cluster(api)
    plan = _grow(api)
    add_prefix(ledger, "10.0.9.0/24")
    before = stored_state(ledger)

    assert_problem(api.post(f"/plans/{plan['id']}/apply"), 409, detail_has=("10.0.9.0/24",))

    assert stored_state(ledger) == before


def test_growth_plan_of_the_ipv6_network_of_a_dual_stack_cluster(api: httpx.Client) -> None:
    _planned_cluster(api, **DUAL_STACK)

    plan = _grow(api, role="pod", family=6)

    assert plan["body"]["changes"] == [
        {
            "action": "resize",
            "kind": "prefix",
            "space": "global",
            "prefix": "fd00::/61",
            "to": "fd00::/60",
            "reserve": "fd00:0:0:8::/61",
        }
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"role": "expansion-reserve"}, "role", id="role"),
        pytest.param({"family": 5}, "family", id="family"),
    ],
)
def test_growth_plan_out_of_schema_value_is_refused(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    _planned_cluster(api)

    assert_problem(api.post("/clusters/c1/growth-plans", json=body), 422, field=field)


def test_decommission_plan_release_removes_the_networks_and_what_they_hold(
    api: httpx.Client, ledger: Ledger
) -> None:
    _planned_cluster(api)
    add_address(ledger, "10.0.0.5")
    add_range(ledger, "10.0.1.10-10.0.1.20", role="loadbalancer", managed_by="cluster:c1")

    plan = _decommission(api, release=True)

    assert plan["summary"] == "decommission cluster c1: 6 prefix(es), 1 range(s) released"
    _apply(api, plan)
    detail = api.get("/clusters/c1").json()
    assert (detail["cluster"]["status"], detail["prefixes"], detail["ranges"]) == ("decommissioned", [], [])
    for path in ("/prefixes", "/ranges", "/addresses"):
        assert api.get(path).json()["total"] == 0, path
    assert api.delete("/clusters/c1").status_code == 204
    assert count_rows(ledger, Cluster) == 0


def test_decommission_plan_without_release_deprecates_the_networks(api: httpx.Client, ledger: Ledger) -> None:
    _planned_cluster(api)

    _apply(api, _decommission(api))

    detail = api.get("/clusters/c1").json()
    assert detail["cluster"]["status"] == "decommissioned"
    assert [(item["prefix"], item["status"]) for item in detail["prefixes"]] == [
        (cidr, "deprecated") for cidr, _role in PLANNED
    ]
    assert count_rows(ledger, Prefix) == 6


def test_decommission_plan_of_a_decommissioned_cluster_is_refused(api: httpx.Client) -> None:
    _planned_cluster(api)
    _apply(api, _decommission(api, release=True))

    assert_problem(
        api.post("/clusters/c1/decommission-plans", json={"release": True}),
        409,
        detail_has=("already decommissioned",),
    )


# Plans: listing and reading.


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, ["c3", "c2", "c1"], id="newest-first"),
        pytest.param({"status": "proposed"}, ["c3"], id="proposed"),
        pytest.param({"status": "applied"}, ["c1"], id="applied"),
        pytest.param({"status": "discarded"}, ["c2"], id="discarded"),
        pytest.param({"cluster": "c2"}, ["c2"], id="cluster"),
        pytest.param({"cluster": "c9"}, [], id="no-plan-of-that-cluster"),
    ],
)
def test_plan_list_filters(api: httpx.Client, params: dict[str, str], expected: list[str]) -> None:
    _apply(api, _plan(api, "c1"))
    api.post(f"/plans/{_plan(api, 'c2', pod_pools=['10.1.0.0/16'])['id']}/discard")
    _plan(api, "c3", pod_pools=["10.2.0.0/16"])

    response = api.get("/plans", params=params)

    assert response.status_code == 200
    assert [item["cluster"] for item in response.json()] == expected


def test_plan_list_bad_status_is_bad_input(api: httpx.Client) -> None:
    assert_problem(api.get("/plans", params={"status": "done"}), 400, field="status")


def test_plan_list_query_count_does_not_grow_with_plans(api: httpx.Client, queries: QueryCounter) -> None:
    _plan(api, "c0")

    def count() -> int:
        before = queries.count
        assert api.get("/plans").status_code == 200
        return queries.count - before

    one = count()
    for n in range(1, 5):
        _plan(api, f"c{n}")
    five = count()

    assert len(api.get("/plans").json()) == 5
    assert one == five, f"{one} statements for 1 plan, {five} for 5"


def test_plan_get_answers_the_saved_plan(api: httpx.Client) -> None:
    plan = _plan(api)

    response = api.get(f"/plans/{plan['id']}")

    assert response.status_code == 200
    assert response.json() == plan


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/plans/999", id="get"),
        pytest.param("POST", "/plans/999/apply", id="apply"),
        pytest.param("POST", "/plans/999/discard", id="discard"),
    ],
)
def test_plan_unknown_is_not_found(api: httpx.Client, method: str, path: str) -> None:
    assert_problem(api.request(method, path), 404, detail_has=("no plan with id 999",))


# Unknown fields, in every body of these endpoints.


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/clusters", {"name": "c2"}, id="cluster-create"),
        pytest.param("PATCH", "/clusters/c1", {}, id="cluster-patch"),
        pytest.param("POST", "/cluster-plans", {"name": "c2", **POOLS}, id="cluster-plan"),
        pytest.param("POST", "/clusters/c1/growth-plans", {}, id="growth-plan"),
        pytest.param("POST", "/clusters/c1/decommission-plans", {}, id="decommission-plan"),
        pytest.param("POST", "/config-checks", {"text": KIND}, id="config-check"),
    ],
)
def test_cluster_body_unknown_field_is_named(
    api: httpx.Client, ledger: Ledger, method: str, path: str, body: dict[str, Any]
) -> None:
    api.post("/clusters", json={"name": "c1"})
    before = stored_state(ledger)

    assert_problem(
        api.request(method, path, json={**body, "pod_cidr": "10.0.0.0/16"}),
        422,
        field="pod_cidr",
        detail_has=("pod_cidr",),
    )

    assert stored_state(ledger) == before


# Configuration checks.


def test_config_check_kind_pod_subnet_colliding_with_the_ledger_is_an_error(
    api: httpx.Client, ledger: Ledger
) -> None:
    add_prefix(ledger, "10.244.5.0/24", role="node")

    response = api.post(
        "/config-checks",
        json={"text": KIND + "name: k1\nnetworking:\n  podSubnet: 10.244.0.0/16\n", "filename": "kind.yaml"},
    )

    assert response.status_code == 200
    report = response.json()
    assert (report["source"], report["name"], report["pod_cidrs"]) == ("kind", "k1", ["10.244.0.0/16"])
    assert report["errors"] >= 1
    [collision] = [item for item in report["findings"] if item["kind"] == "collides-with-ledger"]
    assert (collision["severity"], collision["subject"]) == ("error", "pod 10.244.0.0/16")
    assert "holds 10.244.5.0/24 (node, managed by manual)" in collision["message"]


@pytest.mark.parametrize(
    ("record", "space", "findings"),
    [
        pytest.param(
            "10.0.0.0/8",
            None,
            [
                ("inside-recorded-prefix", "pod 10.244.0.0/16"),
                ("inside-recorded-prefix", "service 10.96.0.0/16"),
            ],
            id="inside-a-recorded-prefix",
        ),
        pytest.param("10.244.5.0/24", "lab", [("space-not-recorded", "lab")], id="unrecorded-space"),
    ],
)
def test_config_check_without_collision_has_no_error(
    api: httpx.Client, ledger: Ledger, record: str, space: str | None, findings: list[tuple[str, str]]
) -> None:
    add_prefix(ledger, record)

    response = api.post("/config-checks", json={"text": KIND, "space": space})

    assert response.status_code == 200
    report = response.json()
    assert report["errors"] == 0
    assert [(item["kind"], item["subject"]) for item in report["findings"]] == findings
    assert {item["severity"] for item in report["findings"]} == {"info"}
    assert report["assumed"] == ["ipam mode: kube-controller-manager", "max pods: 110", "growth: 2.0"]


def test_config_check_given_sizing_wins_over_the_defaults(api: httpx.Client) -> None:
    response = api.post("/config-checks", json={"text": KIND, "expected_nodes": 100, "max_pods": 110})

    assert response.status_code == 200
    report = response.json()
    assert report["assumed"] == ["ipam mode: kube-controller-manager", "growth: 2.0"]
    [capacity] = report["capacity"]
    assert (capacity["nodes_needed"], capacity["node_capacity"], capacity["headroom_nodes"]) == (200, 256, 56)


def test_config_check_services_and_instance_figures_reach_the_checks(api: httpx.Client) -> None:
    spec = (CONFIGS / "ipledger-clusterspec-eks.yaml").read_text(encoding="utf-8")

    response = api.post("/config-checks", json={"text": spec, "expected_services": 300, "max_pods": 30})

    # A /24 gives 254 ClusterIPs, fewer than 300; the m5.large's ENIs hold 29 pods, fewer than 30.
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert [item["kind"] for item in findings] == ["service-cidr-too-small", "aws-max-pods"]
    assert "fewer than the 300 Services expected" in findings[0]["message"]
    assert "max pods 30 exceeds the 29 pods" in findings[1]["message"]


def test_config_check_instance_figures_for_a_mode_without_them_are_refused(api: httpx.Client) -> None:
    response = api.post("/config-checks", json={"text": KIND, "eni_count": 3, "ips_per_eni": 10})

    assert_problem(
        response, 400, detail_has=("ENI figures apply to the AWS VPC CNI modes, not kube-controller-manager",)
    )


@pytest.mark.parametrize(
    ("text", "field", "detail"),
    [
        pytest.param(
            KIND + "networking:\n  podSubnet: 10.244.0.1/16\n",
            "networking.podSubnet",
            "kind.yaml, line 4, networking.podSubnet: 10.244.0.1/16: host bits set; did you mean 10.244.0.0/16?",
            id="host-bits",
        ),
        pytest.param(
            KIND + "networking:\n  ipFamily: both\n",
            "networking.ipFamily",
            "kind.yaml, line 4, networking.ipFamily: 'both': expected one of ipv4, ipv6, dual",
            id="kind-ipFamily",
        ),
        pytest.param(
            KIND + "nodes: 3\n",
            "nodes",
            "kind.yaml, line 3, nodes: expected a list",
            id="kind-nodes-not-a-list",
        ),
        pytest.param("networking: [\n", None, "kind.yaml, line 2: not valid YAML", id="not-yaml"),
    ],
)
def test_config_check_malformed_text_names_line_and_field(
    api: httpx.Client, text: str, field: str | None, detail: str
) -> None:
    response = api.post("/config-checks", json={"text": text, "filename": "kind.yaml"})

    assert_problem(response, 400, field=field, detail_has=(detail,))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"growth": 0.5}, "growth", id="growth"),
        pytest.param({"max_pods": 0}, "max_pods", id="max_pods"),
    ],
)
def test_config_check_bad_sizing_names_the_field(api: httpx.Client, body: dict[str, Any], field: str) -> None:
    assert_problem(api.post("/config-checks", json={"text": KIND, **body}), 400, field=field)


def test_config_check_text_over_1_mib_is_refused(api: httpx.Client) -> None:
    text = KIND + "#" * (1 << 20)

    assert_problem(
        api.post("/config-checks", json={"text": text}), 422, field="text", detail_has=("1048576",)
    )
