"""Monitoring over HTTP: history, forecasts, standing findings, webhooks and /metrics, with the
rows they read or write. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ipledger.api.app import PREFIX
from ipledger.service.ledger import Ledger
from ipledger.service.sync import sync_from_objects
from ipledger.store.models import WebhookAttempt, WebhookSubscription
from tests.api.conftest import client_of
from tests.api.problems import assert_problem
from tests.service.factories import add_address, add_cluster, add_group, add_prefix, add_range, count_rows
from tests.service.k8s_dumps import node, pod, prod_objects
from tests.service.receiver import Receiver, receiving


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def full(ledger: Ledger) -> int:
    """A /30 pool in group team with three of its four addresses: 75 %, a warning."""
    add_group(ledger, "team")
    prefix = add_prefix(
        ledger, "198.51.100.0/30", is_pool=True, group="team", role="pod", managed_by="cluster:c1"
    )
    for host in range(3):
        add_address(ledger, f"198.51.100.{host}", group="team")
    return prefix.id


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def metrics_of(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(text)
    }


def test_prefix_history_lists_a_sample_per_change(api: httpx.Client, full: int) -> None:
    response = api.get(f"/prefixes/{full}/history")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subject"] == {"kind": "prefix", "id": full, "label": "198.51.100.0/30", "group": "team"}
    assert [(sample["used"], sample["total"], sample["percent"]) for sample in body["samples"]] == [
        (0, 4, 0.0),
        (1, 4, 25.0),
        (2, 4, 50.0),
        (3, 4, 75.0),
    ]


def test_prefix_forecast_with_minutes_of_history_says_it_is_too_little(api: httpx.Client, full: int) -> None:
    response = api.get(f"/prefixes/{full}/forecast")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["confidence"], body["exhaustion"], body["current_percent"]) == ("insufficient", None, 75.0)
    assert [(c["level"], c["reached"]) for c in body["crossings"]] == [
        ("warning", True),
        ("critical", False),
        ("emergency", False),
        ("exhausted", False),
    ]


def test_range_history_lists_a_sample_per_change(api: httpx.Client, ledger: Ledger, full: int) -> None:
    span = add_range(ledger, "198.51.100.3-198.51.100.3")

    response = api.get(f"/ranges/{span.id}/history")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["subject"]["kind"], body["subject"]["label"]) == ("range", "198.51.100.3")
    assert [(sample["used"], sample["total"]) for sample in body["samples"]] == [(0, 1)]


def test_history_of_an_unknown_prefix_is_404(api: httpx.Client) -> None:
    assert_problem(api.get("/prefixes/999/history"), 404, detail_has=("no prefix #999",))


def test_cluster_history_before_any_sync_is_empty(api: httpx.Client, ledger: Ledger) -> None:
    add_cluster(ledger, "c1")

    response = api.get("/clusters/c1/history")

    assert response.status_code == 200, response.text
    assert response.json()["samples"] == []


def test_forecast_lists_every_subject_with_history(api: httpx.Client, full: int) -> None:
    response = api.get("/forecast", params={"kind": "prefix", "min_percent": 50})

    assert response.status_code == 200, response.text
    assert [item["subject"]["label"] for item in response.json()] == ["198.51.100.0/30"]


def test_findings_list_and_acknowledge(api: httpx.Client, ledger: Ledger, full: int) -> None:
    listed = api.get("/utilization/findings", params={"level": ["warning"], "group": "team"})
    assert listed.status_code == 200, listed.text
    [finding] = listed.json()["items"]
    assert (finding["subject"], finding["level"], finding["percent"]) == ("198.51.100.0/30", "warning", 75.0)

    acked = api.post(f"/utilization/findings/{finding['id']}/ack", json={"note": "CHG-1234"})

    assert acked.status_code == 200, acked.text
    assert (acked.json()["acknowledged_by"], acked.json()["note"]) == ("alice (token tests)", "CHG-1234")
    unacked = api.get("/utilization/findings", params={"acknowledged": "false"}).json()
    assert unacked["total"] == 0


def test_acknowledge_an_unknown_finding_is_404(api: httpx.Client) -> None:
    assert_problem(api.post("/utilization/findings/42/ack", json={}), 404, detail_has=("no finding #42",))


def test_webhook_create_test_and_deliveries(api: httpx.Client, ledger: Ledger, receiver: Receiver) -> None:
    created = api.post("/webhooks", json={"url": receiver.url, "kinds": ["finding"]})
    assert created.status_code == 201, created.text
    webhook = created.json()
    assert (webhook["owner"], webhook["kinds"]) == ("alice", ["finding"])
    assert "secret" not in api.get("/webhooks").json()[0]

    tested = api.post(f"/webhooks/{webhook['id']}/test")

    assert tested.status_code == 200, tested.text
    assert (tested.json()["status"], tested.json()["attempts"][0]["status_code"]) == ("delivered", 200)
    [request] = receiver.requests
    signature = "sha256=" + hmac.new(webhook["secret"].encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Ipledger-Signature"] == signature
    assert json.loads(request.body)["event"]["kind"] == "test"
    log = api.get(f"/webhooks/{webhook['id']}/deliveries").json()
    assert [item["status"] for item in log] == ["delivered"]
    assert count_rows(ledger, WebhookAttempt) == 1


def test_webhook_delete(api: httpx.Client, ledger: Ledger) -> None:
    webhook = api.post("/webhooks", json={"url": "http://127.0.0.1:9/x"}).json()

    response = api.delete(f"/webhooks/{webhook['id']}")

    assert response.status_code == 200, response.text
    assert count_rows(ledger, WebhookSubscription) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"url": "ftp://example.net/"}, 400, id="scheme"),
        pytest.param({"url": "http://127.0.0.1:9/", "min_severity": "loud"}, 422, id="severity"),
        pytest.param({"url": "http://127.0.0.1:9/", "secret": "short"}, 422, id="secret"),
        pytest.param({"url": "http://127.0.0.1:9/", "group": "nowhere"}, 404, id="group"),
    ],
)
def test_webhook_create_refuses_bad_input(api: httpx.Client, body: dict[str, object], status: int) -> None:
    assert api.post("/webhooks", json=body).status_code == status


def test_metrics_export_prefixes_clusters_findings_and_marks(
    api_base: str, api: httpx.Client, full: int
) -> None:
    response = api.get(api_base.removesuffix(PREFIX) + "/metrics")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = metrics_of(response.text)
    labels = {"space": "global", "prefix": "198.51.100.0/30", "group": "team", "role": "pod", "cluster": "c1"}
    assert found["ipledger_prefix_utilization_ratio"] == [(labels, 0.75)]
    assert found["ipledger_prefix_used_addresses"] == [(labels, 3.0)]
    assert found["ipledger_prefix_total_addresses"] == [(labels, 4.0)]
    assert sorted(value for _, value in found["ipledger_prefix_threshold_ratio"]) == [0.7, 0.85, 0.95]
    assert found["ipledger_findings_open"] == [({"kind": "threshold", "severity": "warning"}, 1.0)]
    assert sorted(found["ipledger_threshold_ratio"], key=lambda item: item[1]) == [
        ({"level": "warning"}, 0.7),
        ({"level": "critical"}, 0.85),
        ({"level": "emergency"}, 0.95),
    ]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        pytest.param({}, 2, id="all"),
        pytest.param({"role": "pod"}, 1, id="role"),
        pytest.param({"group": "team"}, 1, id="group"),
        pytest.param({"min_prefixlen": 24}, 1, id="min-prefixlen"),
        pytest.param({"max_prefixlen": 16}, 1, id="max-prefixlen"),
        pytest.param({"space": "nowhere"}, 0, id="space"),
    ],
)
def test_metrics_filters_bound_the_prefix_series(
    api_base: str, api: httpx.Client, ledger: Ledger, full: int, params: dict[str, object], count: int
) -> None:
    add_prefix(ledger, "10.0.0.0/8")

    response = api.get(api_base.removesuffix(PREFIX) + "/metrics", params=params)

    assert response.status_code == 200, response.text
    assert len(metrics_of(response.text)["ipledger_prefix_utilization_ratio"]) == count


def test_metrics_refuse_a_request_without_a_token(api_base: str) -> None:
    with client_of(api_base) as client:
        del client.headers["Authorization"]
        response = client.get(api_base.removesuffix(PREFIX) + "/metrics")

    assert response.status_code == 401


def test_metrics_made_public_need_no_token(api_base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPLEDGER_METRICS_PUBLIC", "1")
    with httpx.Client() as client:
        response = client.get(api_base.removesuffix(PREFIX) + "/metrics")

    assert response.status_code == 200


def test_metrics_run_a_fixed_number_of_queries(
    api_base: str, api: httpx.Client, ledger: Ledger, queries: object
) -> None:
    add_prefix(ledger, "10.0.0.0/8")
    url = api_base.removesuffix(PREFIX) + "/metrics"
    api.get(url)
    counter = queries
    before = counter.count  # type: ignore[attr-defined]
    api.get(url)
    few = counter.count - before  # type: ignore[attr-defined]
    for index in range(20):
        add_prefix(ledger, f"10.{index}.0.0/16")
    before = counter.count  # type: ignore[attr-defined]

    api.get(url)

    assert counter.count - before == few  # type: ignore[attr-defined]


def test_metrics_export_a_synced_clusters_pod_ips_and_free_node_slots(
    api_base: str, api: httpx.Client, ledger: Ledger
) -> None:
    add_cluster(ledger, "prod", node_prefixlen=24)
    add_prefix(ledger, "10.244.0.0/22", role="pod", managed_by="cluster:prod")  # four /24 node slots
    objects = [
        node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.0.0/24"),
        pod("default", "web-1", node_name="node-a", ips=["10.244.0.2"]),
        pod("default", "web-2", node_name="node-a", ips=["10.244.0.3"]),
    ]
    sync_from_objects(ledger, "prod", objects, source="test", actor="test")

    found = metrics_of(api.get(api_base.removesuffix(PREFIX) + "/metrics").text)

    labels = {"cluster": "prod", "group": ""}
    assert found["ipledger_cluster_pod_ips_used"] == [(labels, 2.0)]
    assert found["ipledger_cluster_pod_ips_capacity"] == [(labels, 1022.0)]
    assert found["ipledger_cluster_free_node_slots"] == [(labels, 3.0)]


def test_metrics_pod_ips_agree_with_the_cluster_report_and_its_history(
    api_base: str, api: httpx.Client, ledger: Ledger
) -> None:
    add_cluster(ledger, "prod")
    add_prefix(ledger, "10.244.0.0/16", role="pod", managed_by="cluster:prod")
    sync_from_objects(
        ledger, "prod", [item for items in prod_objects().values() for item in items], source="t", actor="t"
    )

    found = metrics_of(api.get(api_base.removesuffix(PREFIX) + "/metrics").text)
    report = api.get("/clusters/prod/report").json()
    [point] = api.get("/clusters/prod/history").json()["samples"]

    labels = {"cluster": "prod", "group": ""}
    # One count everywhere: 3 pod addresses of the pod network, not the 12 of the block, pool and
    # node rows added up, nor the Whereabouts and service addresses outside it.
    assert found["ipledger_cluster_pod_ips_used"] == [(labels, 3.0)]
    assert found["ipledger_cluster_pod_ips_capacity"] == [(labels, 65534.0)]
    assert (report["pod_ips"]["in_use"], report["pod_ips"]["size"]) == (3, 65534)
    assert (point["used"], point["total"]) == (3, 65534)
