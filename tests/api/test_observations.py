"""Cluster syncs from uploaded objects, sync history and reports, scans and stale addresses over HTTP.

Cluster prod documents a pod, service, node and load-balancer network; uploads are the v1 Lists that
`kubectl get -o json` prints, built by `tests.service.k8s_dumps`. Each test checks the status,
the body and the rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ipledger.service.addresses import show_address
from ipledger.service.cluster_report import list_syncs
from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space
from ipledger.store.models import ClusterSync
from tests.api.conftest import QueryCounter
from tests.api.problems import assert_problem
from tests.service.factories import (
    ACTOR,
    add_address,
    add_cluster,
    add_prefix,
    count_rows,
    ip,
    stored_state,
)
from tests.service.k8s_dumps import STRANDED_IP, kube_list, node, pod, prod_objects, service

SEEN_AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PROD_NETWORKS = (
    ("10.244.0.0/16", "pod"),
    ("10.96.0.0/16", "service"),
    ("192.168.10.0/24", "node"),
    ("203.0.113.0/24", "loadbalancer"),
)
CONFIG_MAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "settings", "namespace": "default"},
}


def objects(*, pods: int = 1) -> list[dict[str, Any]]:
    """One node, ``pods`` pods (10.244.1.2, .3, ...) and a LoadBalancer service."""
    return [
        node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"),
        *(pod("default", f"web-{n}", node_name="node-a", ips=[f"10.244.1.{n + 2}"]) for n in range(pods)),
        service("default", "web", cluster_ip="10.96.0.20", ingress_ip="203.0.113.10"),
    ]


def add_prod(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")
    for cidr, role in PROD_NETWORKS:
        add_prefix(ledger, cidr, role=role, managed_by="cluster:prod")


def upload(api: httpx.Client, items: list[dict[str, Any]], name: str = "prod") -> dict[str, Any]:
    response = api.post(f"/clusters/{name}/syncs", json=kube_list(items))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def scan(api: httpx.Client, text: str, **fields: Any) -> httpx.Response:
    return api.post("/scans", json={"text": text, "filename": "scan.csv", **fields})


def csv_of(*addresses: str) -> str:
    return "address,seen_at\n" + "".join(f"{address},{SEEN_AT.isoformat()}\n" for address in addresses)


def created_days_ago(ledger: Ledger, days: int) -> Ledger:
    """The same database, recording objects as if ``days`` days ago (the API takes its own now)."""
    moment = datetime.now(UTC) - timedelta(days=days)
    return Ledger(ledger.database, clock=lambda: moment)


# -- POST /clusters/{name}/syncs -----------------------------------------------------------------


def test_whois_of_a_stranded_address_names_the_cni_record_that_holds_it(
    api: httpx.Client, ledger: Ledger
) -> None:
    add_prod(ledger)
    upload(api, [item for items in prod_objects().values() for item in items])

    [answer] = api.get(f"/whois/{STRANDED_IP}").json()

    assert answer["held_by"] == []
    [stranded] = answer["stranded_in"]
    assert {key: stranded[key] for key in ("cluster", "kind", "pool")} == {
        "cluster": "prod",
        "kind": "whereabouts-pod-gone",
        "pool": "IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
    }
    assert stranded["owner"].startswith("default/db-0 (container ")
    assert stranded["release"].startswith("kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io")
    assert stranded["synced_at"] is not None


def test_cluster_sync_upload_syncs_and_answers_the_counts(api: httpx.Client, ledger: Ledger) -> None:
    add_prod(ledger)

    body = upload(api, [*objects(pods=2), CONFIG_MAP])

    assert (body["cluster"], body["skipped"], body["findings"]) == ("prod", 1, {})
    assert {key: body["counts"][key] for key in ("nodes", "pods", "services", "skipped")} == {
        "nodes": 1,
        "pods": 2,
        "services": 1,
        "skipped": 1,
    }
    (row,) = list_syncs(ledger, "prod")
    assert (row.id, row.status, row.source) == (body["sync_id"], "ok", "upload")


def test_cluster_sync_upload_of_an_unknown_cluster_is_404(api: httpx.Client, ledger: Ledger) -> None:
    assert_problem(api.post("/clusters/nope/syncs", json=kube_list(objects())), 404, detail_has=("nope",))
    assert count_rows(ledger, ClusterSync) == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"apiVersion": "v1", "kind": "List"}, id="no-items"),
        pytest.param({"items": "pods"}, id="items-a-string"),
        pytest.param({"items": {"kind": "Pod"}}, id="items-an-object"),
        pytest.param({"items": [{"kind": "Pod"}, 7]}, id="an-item-not-an-object"),
    ],
)
def test_cluster_sync_upload_without_a_list_of_items_is_400_naming_the_field(
    api: httpx.Client, ledger: Ledger, body: dict[str, Any]
) -> None:
    add_prod(ledger)
    before = stored_state(ledger)

    assert_problem(
        api.post("/clusters/prod/syncs", json=body),
        400,
        field="items",
        detail_has=("the body must be a List",),
    )
    assert stored_state(ledger) == before


def test_cluster_sync_upload_of_a_json_array_is_422(api: httpx.Client, ledger: Ledger) -> None:
    add_prod(ledger)

    assert_problem(api.post("/clusters/prod/syncs", json=objects()), 422)
    assert count_rows(ledger, ClusterSync) == 0


def test_cluster_sync_upload_of_a_malformed_object_is_400_and_recorded_as_failed(
    api: httpx.Client, ledger: Ledger
) -> None:
    add_prod(ledger)
    broken = pod("default", "broken", node_name="node-a", ips=["bogus"])

    body = assert_problem(
        api.post("/clusters/prod/syncs", json=kube_list([*objects(), broken])),
        400,
        field="status.podIPs[0].ip",
        detail_has=("upload, items[3] (Pod default/broken)", "'bogus'"),
    )

    (row,) = list_syncs(ledger, "prod")
    assert (row.status, row.error) == ("failed", body["detail"])


# -- GET /clusters/{name}/syncs and /report ------------------------------------------------------


def test_cluster_syncs_lists_the_newest_first_with_errors(api: httpx.Client, ledger: Ledger) -> None:
    add_prod(ledger)
    first = upload(api, objects())
    api.post("/clusters/prod/syncs", json=kube_list([pod("default", "x", node_name="node-a", ips=["bogus"])]))

    response = api.get("/clusters/prod/syncs")

    assert response.status_code == 200, response.text
    rows = response.json()
    assert [(item["status"], item["source"]) for item in rows] == [("failed", "upload"), ("ok", "upload")]
    assert "'bogus' is not a valid IPv4 or IPv6 address" in rows[0]["error"]
    assert (rows[1]["id"], rows[1]["error"], rows[1]["counts"]["pods"]) == (first["sync_id"], "", 1)
    assert rows[1]["finished_at"] is not None


def test_cluster_syncs_query_count_does_not_grow_with_syncs(
    api: httpx.Client, ledger: Ledger, queries: QueryCounter
) -> None:
    add_prod(ledger)
    upload(api, objects())
    api.get("/clusters/prod/syncs")  # the app's first request builds its stack

    def count() -> int:
        before = queries.count
        assert api.get("/clusters/prod/syncs").status_code == 200
        return queries.count - before

    one = count()
    for _ in range(3):
        upload(api, objects())
    four = count()

    assert len(api.get("/clusters/prod/syncs").json()) == 4
    assert one == four, f"{one} statements for 1 sync, {four} for 4"


@pytest.mark.parametrize("path", ["/clusters/nope/syncs", "/clusters/nope/report"])
def test_cluster_sync_history_and_report_of_an_unknown_cluster_are_404(api: httpx.Client, path: str) -> None:
    assert_problem(api.get(path), 404, detail_has=("nope",))


def test_cluster_report_answers_the_last_sync_and_its_usage(api: httpx.Client, ledger: Ledger) -> None:
    add_prod(ledger)
    synced = upload(api, objects())

    response = api.get("/clusters/prod/report")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cluster"] == "prod"
    assert body["last_sync"]["id"] == body["last_good_sync"]["id"] == synced["sync_id"]
    assert (body["findings"], body["total_findings"], body["finding_counts"]) == ([], 0, {})
    assert [(item["kind"], item["name"], item["cidr"]) for item in body["blocks"]] == [
        ("pod-cidr", "node-a", "10.244.1.0/24")
    ]


def test_cluster_report_pages_and_sorts_the_blocks_apart_from_the_findings(
    api: httpx.Client, ledger: Ledger
) -> None:
    add_prod(ledger)
    many = [
        node(f"node-{index}", internal_ip=f"192.168.10.{20 + index}", pod_cidr=f"10.244.{10 + index}.0/24")
        for index in range(5)
    ]
    upload(api, [*objects(), *many])

    first = api.get("/clusters/prod/report", params={"block_limit": 2}).json()
    rest = api.get("/clusters/prod/report", params={"block_limit": 2, "block_offset": 2}).json()
    only = api.get("/clusters/prod/report", params={"block_kind": "calico-block"}).json()

    assert (first["total_blocks"], first["block_counts"]) == (6, {"pod-cidr": 6})
    assert [item["name"] for item in first["blocks"]] == ["node-0", "node-1"]
    assert [item["name"] for item in rest["blocks"]] == ["node-2", "node-3"]
    assert only["blocks"] == []
    fullest = api.get("/clusters/prod/report", params={"block_sort": "fullest", "block_limit": 1}).json()
    assert [item["name"] for item in fullest["blocks"]] == ["node-a"]  # the only node with a pod
    assert_problem(api.get("/clusters/prod/report", params={"block_sort": "biggest"}), 422)


def test_cluster_report_before_any_sync_has_no_syncs(api: httpx.Client, ledger: Ledger) -> None:
    add_prod(ledger)

    response = api.get("/clusters/prod/report")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["last_sync"], body["last_good_sync"], body["pod_ips"]) == (None, None, None)
    assert (body["blocks"], body["block_counts"], body["total_blocks"]) == ([], {}, 0)


@pytest.mark.parametrize("params", [{"limit": 0}, {"offset": -1}, {"limit": "many"}])
def test_cluster_report_with_bad_paging_is_422(
    api: httpx.Client, ledger: Ledger, params: dict[str, Any]
) -> None:
    add_prod(ledger)

    assert_problem(api.get("/clusters/prod/report", params=params), 422)


# -- POST /scans ---------------------------------------------------------------------------------


def test_scan_updates_the_records_it_saw(api: httpx.Client, ledger: Ledger) -> None:
    add_prefix(ledger, "192.0.2.0/24")
    add_address(ledger, "192.0.2.10")

    response = scan(api, csv_of("192.0.2.10", "192.0.2.11"))

    assert response.status_code == 200, response.text
    assert response.json() == {"seen": 2, "updated": 1, "findings": []}
    assert show_address(ledger, ip("192.0.2.10")).last_seen == SEEN_AT


def test_scan_answers_rogue_addresses_and_addresses_in_no_prefix(api: httpx.Client, ledger: Ledger) -> None:
    add_prod(ledger)
    upload(api, objects())

    response = scan(api, csv_of("10.244.1.2", "10.244.1.99", "198.51.100.7"))

    assert response.status_code == 200, response.text
    assert [(item["severity"], item["kind"], item["subject"]) for item in response.json()["findings"]] == [
        ("error", "rogue-address", "10.244.1.99"),
        ("warning", "address-in-no-prefix", "198.51.100.7"),
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param(
            "192.0.2.10 dev eth0 lladdr 52:54:00:00:00:01 REACHABLE\n", None, id="ip-neigh-detected"
        ),
        pytest.param(
            "192.0.2.10 dev eth0 lladdr 52:54:00:00:00:01 REACHABLE\n", "ip-neigh", id="ip-neigh-named"
        ),
        pytest.param(
            '<?xml version="1.0"?><nmaprun start="1793534400"><host><status state="up" reason="arp-response"/>'
            '<address addr="192.0.2.10" addrtype="ipv4"/>'
            '<address addr="52:54:00:00:00:01" addrtype="mac"/></host></nmaprun>',
            None,
            id="nmap-detected",
        ),
    ],
)
def test_scan_reads_each_kind(api: httpx.Client, ledger: Ledger, text: str, kind: str | None) -> None:
    add_prefix(ledger, "192.0.2.0/24")
    add_address(ledger, "192.0.2.10")

    response = scan(api, text, kind=kind)

    assert response.status_code == 200, response.text
    assert (response.json()["seen"], response.json()["updated"]) == (1, 1)
    recorded = show_address(ledger, ip("192.0.2.10"))
    assert (recorded.mac, recorded.last_seen is not None) == ("52:54:00:00:00:01", True)


def test_scan_of_malformed_text_is_400_naming_the_line(api: httpx.Client, ledger: Ledger) -> None:
    add_address(ledger, "192.0.2.10")
    before = stored_state(ledger)

    assert_problem(
        scan(api, "address,mac\n192.0.2.10,\n192.0.2.300,\n"),
        400,
        field="address",
        detail_has=("scan.csv, line 3, address: '192.0.2.300' is not a valid IPv4 or IPv6 address",),
    )
    assert stored_state(ledger) == before


def test_scan_in_an_unknown_space_is_404(api: httpx.Client) -> None:
    assert_problem(scan(api, csv_of("192.0.2.10"), space="nowhere"), 404, detail_has=("nowhere",))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"filename": "scan.csv"}, id="no-text"),
        pytest.param({"text": "address\n", "kind": "arp"}, id="unknown-kind"),
        pytest.param({"text": "address\n", "format": "csv"}, id="unknown-field"),
        pytest.param({"text": 7}, id="text-not-a-string"),
    ],
)
def test_scan_with_a_body_that_does_not_fit_is_422(api: httpx.Client, body: dict[str, Any]) -> None:
    assert_problem(api.post("/scans", json=body), 422)


# -- GET /stale ----------------------------------------------------------------------------------


def test_stale_lists_old_unseen_records_and_unbound_load_balancer_addresses(
    api: httpx.Client, ledger: Ledger
) -> None:
    add_prod(ledger)
    old = created_days_ago(ledger, 40)
    add_address(old, "192.0.2.10")
    add_address(old, "192.0.2.11", last_seen=datetime.now(UTC) - timedelta(days=1))
    add_address(ledger, "192.0.2.12")
    add_address(ledger, "203.0.113.50", holder_kind="loadbalancer")
    upload(api, objects())

    response = api.get("/stale", params={"days": 30})

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(item["address"], item["space"], item["last_seen"]) for item in body["addresses"]] == [
        ("192.0.2.10", "global", None)
    ]
    assert [(item["severity"], item["kind"], item["subject"]) for item in body["unbound"]] == [
        ("warning", "loadbalancer-address-unbound", "203.0.113.50")
    ]


def test_stale_cutoff_is_days_before_now(api: httpx.Client) -> None:
    before = datetime.now(UTC)
    response = api.get("/stale", params={"days": 7})
    after = datetime.now(UTC)

    assert response.status_code == 200, response.text
    cutoff = datetime.fromisoformat(response.json()["cutoff"])
    assert before - timedelta(days=7) <= cutoff <= after - timedelta(days=7)


def test_stale_of_a_space_lists_only_its_records(api: httpx.Client, ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    old = created_days_ago(ledger, 40)
    add_address(old, "192.0.2.10")
    add_address(old, "192.0.2.20", space="lab")

    response = api.get("/stale", params={"space": "lab"})

    assert response.status_code == 200, response.text
    assert [(item["address"], item["space"]) for item in response.json()["addresses"]] == [
        ("192.0.2.20", "lab")
    ]


def test_stale_query_count_does_not_grow_with_records(
    api: httpx.Client, ledger: Ledger, queries: QueryCounter
) -> None:
    old = created_days_ago(ledger, 40)
    add_address(old, "192.0.2.1")
    api.get("/stale")  # the app's first request builds its stack

    def count() -> int:
        before = queries.count
        assert api.get("/stale").status_code == 200
        return queries.count - before

    one = count()
    for n in range(2, 6):
        add_address(old, f"192.0.2.{n}")
    five = count()

    assert len(api.get("/stale").json()["addresses"]) == 5
    assert one == five, f"{one} statements for 1 record, {five} for 5"


@pytest.mark.parametrize("params", [{"days": -1}, {"days": "soon"}])
def test_stale_with_bad_days_is_422(api: httpx.Client, params: dict[str, Any]) -> None:
    assert_problem(api.get("/stale", params=params), 422)


def test_stale_of_an_unknown_space_is_404(api: httpx.Client) -> None:
    assert_problem(api.get("/stale", params={"space": "nowhere"}), 404, detail_has=("nowhere",))
