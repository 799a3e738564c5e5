"""End to end: a real Prometheus on loopback scrapes a running `ipledger serve` with an API token
and answers a query of ipledger's metrics through its HTTP API."""

from __future__ import annotations

import time

import httpx
import pytest

from ipledger.core.permissions import AccessRole, TokenScope
from ipledger.service.auth import create_token, create_user, grant
from ipledger.service.ledger import Ledger
from tests.api.server import serve_in_process
from tests.deploy.prometheus import run_prometheus
from tests.service.factories import add_address, add_prefix

# Only ends a run in which the metric never arrived; it never decides a pass.
_ARRIVAL_TIMEOUT = 120.0


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def _scrape_config(target: str, token: str) -> str:
    return f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ipledger
    metrics_path: /metrics
    authorization:
      credentials: {token}
    static_configs:
      - targets: ["{target}"]
"""


def _query(client: httpx.Client, base: str, expr: str) -> list[dict[str, object]]:
    deadline = time.monotonic() + _ARRIVAL_TIMEOUT
    while time.monotonic() < deadline:
        answer = client.get(f"{base}/api/v1/query", params={"query": expr}).json()
        assert answer["status"] == "success", answer
        if answer["data"]["result"]:
            result: list[dict[str, object]] = answer["data"]["result"]
            return result
        time.sleep(0.2)
    targets = client.get(f"{base}/api/v1/targets").json()
    raise AssertionError(f"no result for {expr} in {_ARRIVAL_TIMEOUT} s; targets: {targets}")


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_prometheus_scrapes_ipledger_and_answers_a_query(ledger_url: str) -> None:
    setup = Ledger.open(ledger_url)
    try:
        add_prefix(setup, "198.51.100.0/30", is_pool=True, role="pod")
        for host in range(3):
            add_address(setup, f"198.51.100.{host}")
        create_user(setup, "prometheus", actor="test")
        grant(setup, "prometheus", AccessRole.VIEWER, actor="test")
        _, token = create_token(setup, "prometheus", name="scrape", actor="test", scope=TokenScope.READ_ONLY)
    finally:
        setup.close()

    with (
        serve_in_process(ledger_url) as ipledger,
        run_prometheus(_scrape_config(ipledger.removeprefix("http://"), token)) as prometheus,
        httpx.Client(timeout=10.0) as client,
    ):
        result = _query(client, prometheus, 'ipledger_prefix_utilization_ratio{prefix="198.51.100.0/30"}')
        up = _query(client, prometheus, 'up{job="ipledger"}')

    [sample] = result
    assert sample["metric"] == {  # type: ignore[comparison-overlap]
        "__name__": "ipledger_prefix_utilization_ratio",
        "instance": ipledger.removeprefix("http://"),
        "job": "ipledger",
        "space": "global",
        "prefix": "198.51.100.0/30",
        "role": "pod",
    }
    assert float(sample["value"][1]) == 0.75  # type: ignore[index]
    assert up[0]["value"][1] == "1"  # type: ignore[index]
