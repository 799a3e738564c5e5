"""`ipledger report history`, `report forecast`, `findings`, `monitor` and `webhook`, in process."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest

from tests.cli.invocation import Cli, assert_error
from tests.service.receiver import Receiver, receiving

SECRET = "cli-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def full(cli: Cli) -> Cli:
    """A /30 pool in group team with three of four addresses: a warning finding."""
    cli.ok("group", "create", "team")
    cli.ok("prefix", "create", "198.51.100.0/30", "--pool", "--group", "team")
    for host in range(3):
        cli.ok("address", "create", f"198.51.100.{host}")
    return cli


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def test_report_history_shows_a_sample_per_change(full: Cli) -> None:
    lines = full.ok("report", "history", "198.51.100.0/30").splitlines()

    assert lines[0] == "prefix 198.51.100.0/30"
    assert lines[1].split() == ["AT", "USED", "OF", "UTILIZATION"]
    assert [line.split()[2:4] for line in lines[2:]] == [["0", "4"], ["1", "4"], ["2", "4"], ["3", "4"]]


def test_report_history_json(full: Cli) -> None:
    body = full.json("report", "history", "198.51.100.0/30")

    assert body["subject"]["label"] == "198.51.100.0/30"
    assert [sample["used"] for sample in body["samples"]] == [0, 1, 2, 3]


def test_report_history_needs_a_prefix_or_a_cluster(full: Cli) -> None:
    assert_error(full("report", "history"), "name one PREFIX, one --range or one --cluster", exit_code=2)


def test_report_history_of_a_range(full: Cli) -> None:
    full.ok("prefix", "create", "10.0.0.0/24")
    full.ok("range", "create", "10.0.0.10-10.0.0.19")
    full.ok("address", "create", "10.0.0.11")

    body = full.json("report", "history", "--range", "10.0.0.10-10.0.0.19")

    assert body["subject"]["kind"] == "range"
    assert [(sample["used"], sample["total"]) for sample in body["samples"]] == [(0, 10), (1, 10)]


def test_report_forecast_says_when_history_is_too_short(full: Cli) -> None:
    output = full.ok("report", "forecast", "198.51.100.0/30")

    assert "insufficient" in output
    assert "198.51.100.0/30: too little history" in output


def test_report_forecast_lists_every_prefix_with_history(full: Cli) -> None:
    found = full.json("report", "forecast", "--kind", "prefix")

    assert [item["subject"]["label"] for item in found] == ["198.51.100.0/30"]
    assert (found[0]["confidence"], found[0]["exhaustion"]) == ("insufficient", None)


def test_findings_lists_the_open_finding_and_acknowledges_it(full: Cli) -> None:
    lines = full.ok("findings").splitlines()
    assert lines[0].split()[:4] == ["ID", "LEVEL", "SUBJECT", "NOW"]
    assert lines[1].split()[:5] == ["1", "warning", "198.51.100.0/30", "75.0%", "team"]

    assert (
        full.ok("findings", "ack", "1", "--note", "CHG-1")
        == "acknowledged finding #1 (warning 198.51.100.0/30)\n"
    )

    [finding] = full.json("findings")
    assert (finding["acknowledged_by"], finding["note"]) == ("tester@cli", "CHG-1")
    assert full.ok("findings", "--unacknowledged") == "no open findings\n"


def test_findings_ack_of_an_unknown_finding(full: Cli) -> None:
    assert_error(full("findings", "ack", "9"), "no finding #9")


def test_monitor_sample_and_prune(full: Cli) -> None:
    full.ok("range", "create", "198.51.100.1-198.51.100.2")

    assert full.ok("monitor", "sample") == "sampled 0 prefix(es), 0 range(s); 0 finding change(s)\n"
    assert full.ok("monitor", "prune") == "dropped 0 sample(s)\n"


def test_webhook_create_test_and_deliveries(full: Cli, receiver: Receiver) -> None:
    full.ok("user", "create", "bot", "--service")
    full.ok("user", "grant", "bot", "--role", "viewer")

    created = full.ok(
        "webhook", "create", receiver.url, "--owner", "bot", "--kind", "finding", "--secret", SECRET
    )
    assert created.splitlines() == [
        f"created webhook #1 for {receiver.url}",
        f"signing secret (shown only now): {SECRET}",
    ]
    assert full.ok("webhook", "test", "1").split() == [
        "delivery",
        "1",
        "status",
        "delivered",
        "answer",
        "HTTP",
        "200",
    ]

    request = receiver.requests[0]
    assert request.headers["X-Ipledger-Signature"] == (
        "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    )
    assert json.loads(request.body)["event"]["kind"] == "test"
    [listed] = full.json("webhook", "list")
    assert (listed["owner"], listed["kinds"]) == ("bot", ["finding"])
    assert full.json("webhook", "deliveries", "1")[0]["status"] == "delivered"
    assert full.ok("webhook", "delete", "1") == f"deleted webhook #1 ({receiver.url})\n"


def test_webhook_test_of_an_unreachable_receiver_exits_1(full: Cli) -> None:
    with receiving() as receiver:
        url = receiver.url
    full.ok("user", "create", "bot", "--service")
    full.ok("user", "grant", "bot", "--role", "viewer")
    full.ok("webhook", "create", url, "--owner", "bot")

    result = full("webhook", "test", "1")

    assert result.exit_code == 1
    assert "failed" in result.stdout


def test_webhook_create_refuses_an_unknown_owner(full: Cli) -> None:
    assert_error(full("webhook", "create", "http://127.0.0.1:9/", "--owner", "nobody"), "no user 'nobody'")
