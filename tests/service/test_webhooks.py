"""Webhooks against a real receiver on 127.0.0.1: which events reach it, signatures checked by an
independent HMAC, retries with backoff at fixed times, the delivery log, nothing lost when the
ledger is closed and opened again. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.core.permissions import AccessRole, Grant, PermissionDeniedError, Principal, UserKind
from ipledger.core.webhooks import MAX_ATTEMPTS, retry_delay
from ipledger.service.auth import create_user, delete_user, disable_user, grant
from ipledger.service.groups import delete_group
from ipledger.service.ledger import Ledger
from ipledger.service.webhook_delivery import deliver_due, post_json, run_webhooks, send_test
from ipledger.service.webhooks import (
    create_webhook,
    delete_webhook,
    dispatch_events,
    list_deliveries,
    list_webhooks,
)
from ipledger.store.models import Change, WebhookDelivery
from tests.service.factories import add_address, add_group, add_prefix, count_rows
from tests.service.monitoring import T0, Clock, clocked
from tests.service.receiver import Receiver, receiving

SECRET = "a-secret-of-the-receiver-0123456789"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib takes proxies from the environment; the receiver is on 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hooked(ledger: Ledger, clock: Clock) -> Ledger:
    moved = clocked(ledger, clock)
    create_user(moved, "owner", actor="test")
    grant(moved, "owner", AccessRole.VIEWER, actor="test")
    add_group(moved, "team")
    add_group(moved, "other")
    # What happened before the first subscription is history, not news.
    dispatch_events(moved, now=T0)
    return moved


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def subscribe(ledger: Ledger, url: str, **options: object) -> int:
    record, _ = create_webhook(ledger, url, actor="test", owner="owner", secret=SECRET, **options)  # type: ignore[arg-type]
    return record.id


def bodies(receiver: Receiver) -> list[dict[str, object]]:
    return [json.loads(request.body) for request in receiver.requests]


def test_webhook_delivers_a_signed_event_that_an_independent_hmac_verifies(
    hooked: Ledger, receiver: Receiver
) -> None:
    subscribe(hooked, receiver.url)
    add_prefix(hooked, "10.0.0.0/24", group="team")

    run_webhooks(hooked, now=T0)

    [request] = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Ipledger-Signature"], expected)
    assert request.headers["X-Ipledger-Timestamp"] == str(int(T0.timestamp()))
    event = json.loads(request.body)["event"]
    assert (event["kind"], event["action"], event["label"], event["group"]) == (
        "prefix",
        "create",
        "10.0.0.0/24 (global)",
        "team",
    )


def test_webhook_signature_fails_for_another_secret(hooked: Ledger, receiver: Receiver) -> None:
    subscribe(hooked, receiver.url)
    add_prefix(hooked, "10.0.0.0/24")

    run_webhooks(hooked, now=T0)

    request = receiver.requests[0]
    wrong = "sha256=" + hmac.new(b"another-secret-entirely", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Ipledger-Signature"] != wrong


def test_webhook_retries_with_backoff_until_the_receiver_answers(hooked: Ledger, clock: Clock) -> None:
    with receiving(fail_first=2) as receiver:
        webhook = subscribe(hooked, receiver.url)
        add_prefix(hooked, "10.0.0.0/24")

        run_webhooks(hooked, now=T0)
        assert deliver_due(hooked, now=T0 + retry_delay(1) - timedelta(seconds=1)) == []
        deliver_due(hooked, now=T0 + retry_delay(1))
        deliver_due(hooked, now=T0 + retry_delay(1) + retry_delay(2))

    [delivery] = list_deliveries(hooked, webhook, actor="test")
    assert delivery.status == "delivered"
    assert [(a.status_code, a.outcome) for a in delivery.attempts] == [
        (503, "retry"),
        (503, "retry"),
        (200, "delivered"),
    ]
    assert [body["attempt"] for body in bodies(receiver)] == [1, 2, 3]
    assert len({body["delivery"] for body in bodies(receiver)}) == 1


def test_webhook_gives_up_after_the_last_attempt(hooked: Ledger) -> None:
    with receiving(fail_first=1000) as receiver:
        webhook = subscribe(hooked, receiver.url)
        add_prefix(hooked, "10.0.0.0/24")
        moment = T0
        dispatch_events(hooked, now=moment)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            deliver_due(hooked, now=moment)
            moment += retry_delay(attempt)
        deliver_due(hooked, now=moment + timedelta(days=1))

    [delivery] = list_deliveries(hooked, webhook, actor="test")
    assert (delivery.status, len(delivery.attempts), delivery.attempts[-1].outcome) == (
        "failed",
        MAX_ATTEMPTS,
        "failed",
    )
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_webhook_unreachable_receiver_records_the_error(hooked: Ledger) -> None:
    with receiving() as receiver:
        url = receiver.url  # closed when the block ends: nothing listens there any more
    webhook = subscribe(hooked, url)
    add_prefix(hooked, "10.0.0.0/24")

    run_webhooks(hooked, now=T0)

    attempt = list_deliveries(hooked, webhook, actor="test")[0].attempts[0]
    assert (attempt.status_code, attempt.outcome) == (None, "retry")
    assert attempt.error


def test_webhook_queue_survives_closing_the_ledger(
    ledger_url: str, hooked: Ledger, receiver: Receiver
) -> None:
    subscribe(hooked, receiver.url)
    add_prefix(hooked, "10.0.0.0/24")
    add_prefix(hooked, "10.0.1.0/24")
    dispatch_events(hooked, now=T0)  # queued, not sent: the server stops here

    reopened = Ledger.open(ledger_url)
    try:
        run_webhooks(reopened, now=T0 + timedelta(seconds=1))
    finally:
        reopened.close()

    assert sorted(body["event"]["label"] for body in bodies(receiver)) == [  # type: ignore[index]
        "10.0.0.0/24 (global)",
        "10.0.1.0/24 (global)",
    ]


def test_webhook_claims_a_delivery_once_until_its_lease_ends(hooked: Ledger, receiver: Receiver) -> None:
    subscribe(hooked, receiver.url)
    add_prefix(hooked, "10.0.0.0/24")
    dispatch_events(hooked, now=T0)
    with hooked.transaction("test") as tx:  # a process that claimed it and died before sending
        row = tx.session.query(WebhookDelivery).one()
        row.next_attempt_at = T0 + timedelta(minutes=5)

    assert deliver_due(hooked, now=T0 + timedelta(minutes=1)) == []
    assert len(deliver_due(hooked, now=T0 + timedelta(minutes=5))) == 1


_TEAM_EVENTS = ["create prefix", "create address", "create address", "create address", "open finding"]


@pytest.mark.parametrize(
    ("options", "delivered"),
    [
        pytest.param({}, [*_TEAM_EVENTS, "create prefix"], id="everything"),
        pytest.param({"kinds": ["finding"]}, ["open finding"], id="findings-only"),
        pytest.param({"kinds": ["finding"], "min_severity": "warning"}, ["open finding"], id="severe-enough"),
        pytest.param({"kinds": ["finding"], "min_severity": "critical"}, [], id="too-mild"),
        pytest.param({"group": "other"}, ["create prefix"], id="other-group"),
        pytest.param({"group": "team"}, _TEAM_EVENTS, id="its-group"),
    ],
)
def test_webhook_delivers_only_the_wanted_events(
    hooked: Ledger, receiver: Receiver, options: dict[str, object], delivered: list[str]
) -> None:
    subscribe(hooked, receiver.url, **options)
    add_prefix(hooked, "10.0.0.0/30", group="team", is_pool=True)  # 4 addresses: the third is 75 %
    for host in range(3):
        add_address(hooked, f"10.0.0.{host}", group="team")
    add_prefix(hooked, "10.9.0.0/24", group="other")

    run_webhooks(hooked, now=T0)

    events = [body["event"] for body in bodies(receiver)]
    assert [f"{e['action']} {e['kind']}" for e in events] == delivered  # type: ignore[index]


def test_webhook_of_a_disabled_owner_gets_no_events(hooked: Ledger, receiver: Receiver) -> None:
    subscribe(hooked, receiver.url)
    disable_user(hooked, "owner", actor="test")
    add_prefix(hooked, "10.0.0.0/24")

    run_webhooks(hooked, now=T0)

    assert receiver.requests == []
    assert count_rows(hooked, WebhookDelivery) == 0
    with hooked.reading() as session:
        assert session.query(Change).filter(Change.dispatched.is_(False)).count() == 0


def test_send_test_returns_the_delivery_result(hooked: Ledger, receiver: Receiver) -> None:
    webhook = subscribe(hooked, receiver.url)

    result = send_test(hooked, webhook, actor="test", now=T0)

    assert (result.status, [a.status_code for a in result.attempts]) == ("delivered", [200])
    assert bodies(receiver)[0]["event"]["kind"] == "test"  # type: ignore[index]


def test_send_test_to_a_failing_receiver_is_not_retried(hooked: Ledger) -> None:
    with receiving(fail_first=1) as receiver:
        webhook = subscribe(hooked, receiver.url)
        result = send_test(hooked, webhook, actor="test", now=T0)
        deliver_due(hooked, now=T0 + timedelta(days=1))

    assert (result.status, len(receiver.requests)) == ("failed", 1)


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        pytest.param("ftp://example.net/x", {}, "expected http:// or https://", id="scheme"),
        pytest.param("http://example.net/x", {"min_severity": "loud"}, "severity 'loud'", id="severity"),
        pytest.param("http://example.net/x", {"kinds": ["Prefix!"]}, "event kind", id="kind"),
        pytest.param("http://example.net/x", {"secret": "short"}, "16 characters", id="secret"),
    ],
)
def test_create_webhook_rejects_bad_input(
    hooked: Ledger, url: str, options: dict[str, object], message: str
) -> None:
    settings = {"secret": SECRET, **options}
    with pytest.raises(InvalidInputError, match=message):
        create_webhook(hooked, url, actor="test", owner="owner", **settings)  # type: ignore[arg-type]


def test_create_webhook_generates_a_secret_and_never_lists_it(hooked: Ledger) -> None:
    record, secret = create_webhook(hooked, "http://127.0.0.1:9/x", actor="test", owner="owner")

    assert len(secret) >= 32
    assert secret not in repr(list_webhooks(hooked, actor="test"))
    assert secret not in repr(record)


def test_webhooks_are_admin_business(hooked: Ledger) -> None:
    editor = Principal("ed", UserKind.HUMAN, (Grant(AccessRole.EDITOR),))

    with pytest.raises(PermissionDeniedError):
        create_webhook(hooked, "http://127.0.0.1:9/x", actor=editor, owner="owner")
    with pytest.raises(PermissionDeniedError):
        list_webhooks(hooked, actor=editor)


def test_deleting_the_owner_or_the_scope_of_a_webhook_is_refused(hooked: Ledger) -> None:
    webhook = subscribe(hooked, "http://127.0.0.1:9/x", group="other")

    with pytest.raises(ConflictError, match="owns webhook"):
        delete_user(hooked, "owner", actor="test")
    with pytest.raises(ConflictError, match="webhook subscriptions belong to it"):
        delete_group(hooked, "other", actor="test")
    delete_webhook(hooked, webhook, actor="test")
    delete_user(hooked, "owner", actor="test")


def test_webhook_deleted_while_its_delivery_is_sent_records_nothing(
    hooked: Ledger, receiver: Receiver
) -> None:
    webhook = subscribe(hooked, receiver.url)
    add_prefix(hooked, "10.0.0.0/24")
    dispatch_events(hooked, now=T0)

    def delete_then_send(
        url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> tuple[int | None, str]:
        delete_webhook(hooked, webhook, actor="test")
        return post_json(url, body, headers, timeout)

    assert deliver_due(hooked, now=T0, send=delete_then_send) == []
    assert count_rows(hooked, WebhookDelivery) == 0
    assert len(receiver.requests) == 1


def test_webhook_changes_before_any_subscription_are_dispatched_at_once_and_never_sent(
    hooked: Ledger, receiver: Receiver
) -> None:
    for third in range(3):
        add_prefix(hooked, f"10.9.{third}.0/24")

    assert dispatch_events(hooked, now=T0) == 0
    with hooked.reading() as session:
        assert session.scalar(select(func.count()).where(Change.dispatched.is_(False))) == 0
    subscribe(hooked, receiver.url)
    add_prefix(hooked, "10.9.9.0/24")
    run_webhooks(hooked, now=T0)

    assert [body["event"]["label"] for body in bodies(receiver)] == ["10.9.9.0/24 (global)"]  # type: ignore[index]
