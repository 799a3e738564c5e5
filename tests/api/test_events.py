"""The event stream /events over a real server: order, resume, filters, who sees what, revocation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ipledger.api.routes import events as events_route
from ipledger.core.permissions import AccessRole
from ipledger.service.auth import create_user, list_tokens, revoke_token
from ipledger.service.ledger import Ledger
from tests.api.conftest import TIMEOUT, client_of, sign_in
from tests.service.factories import add_group, add_prefix


@dataclass(frozen=True, slots=True)
class ServerEvent:
    id: str | None
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


class EventReader:
    """Reads one open stream event by event (blocking, with the client's timeout)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()
        self.retry: str | None = None

    def next(self) -> ServerEvent:
        fields: dict[str, str] = {}
        for line in self._lines:
            if line == "":
                if "retry" in fields and "data" not in fields:
                    self.retry = fields["retry"]
                    fields = {}
                    continue
                if fields:
                    return ServerEvent(
                        fields.get("id"), fields.get("event", "message"), fields.get("data", "")
                    )
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    def changes(self, count: int) -> list[dict[str, Any]]:
        found = [self.next() for _ in range(count)]
        assert all(item.event == "change" for item in found), found
        assert [item.id for item in found] == [str(item.json()["id"]) for item in found]
        return [item.json() for item in found]


@contextmanager
def stream(client: httpx.Client, **params: Any) -> Iterator[EventReader]:
    """The event stream with ``client``'s credentials (on a client of its own: the test clients
    read every answer whole, and this one never ends)."""
    headers = {"Authorization": client.headers["Authorization"], **params.pop("headers", {})}
    with (
        httpx.Client(base_url=client.base_url, timeout=TIMEOUT) as own,
        own.stream("GET", "/events", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


def test_events_a_change_reaches_an_open_stream_with_its_audit_entry(api: httpx.Client) -> None:
    with stream(api) as reader:
        created = api.post("/prefixes", json={"prefix": "10.1.0.0/16", "description": "lab"}).json()
        [change] = reader.changes(1)

    assert reader.retry == str(events_route.RETRY_MS)
    assert change["action"] == "create" and change["object_kind"] == "prefix"
    assert change["object_id"] == created["id"]
    assert change["actor"].startswith("alice")
    assert change["after"]["description"] == "lab" and change["before"] is None


def test_events_resume_after_the_last_event_id_misses_nothing(api: httpx.Client) -> None:
    with stream(api) as reader:
        api.post("/prefixes", json={"prefix": "10.2.0.0/16"})
        [first] = reader.changes(1)
    # Disconnected: three more changes happen meanwhile.
    for third in range(3):
        api.post("/prefixes", json={"prefix": f"10.2.{third}.0/24"})

    with stream(api, headers={"Last-Event-ID": str(first["id"])}) as reader:
        missed = reader.changes(3)

    assert [item["object_label"].split()[0] for item in missed] == [f"10.2.{n}.0/24" for n in range(3)]
    assert [item["id"] for item in missed] == sorted(item["id"] for item in missed)
    assert missed[0]["id"] > first["id"]


def test_events_once_sends_what_is_there_and_closes(api: httpx.Client) -> None:
    api.post("/prefixes", json={"prefix": "10.3.0.0/16"})
    api.post("/prefixes", json={"prefix": "10.4.0.0/16"})

    response = api.get("/events", params={"last_event_id": 0, "once": True, "kind": "prefix"})

    labels = [
        json.loads(line.removeprefix("data: "))["object_label"]
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]
    assert labels == ["10.3.0.0/16 (global)", "10.4.0.0/16 (global)"]


def test_events_filter_by_kind_action_and_group_subtree(ledger: Ledger, api: httpx.Client) -> None:
    add_group(ledger, "team/sub")
    add_group(ledger, "other")
    with stream(api, kind="prefix", action="create", group="team") as reader:
        api.post("/prefixes", json={"prefix": "10.5.0.0/16", "group": "other"})
        api.post("/ranges", json={"range": "10.5.0.10-10.5.0.20", "group": "team"})
        inside = api.post("/prefixes", json={"prefix": "10.6.0.0/16", "group": "team/sub"}).json()
        api.patch(f"/prefixes/{inside['id']}", json={"description": "changed"})
        api.post("/prefixes", json={"prefix": "10.7.0.0/16", "group": "team"})
        found = reader.changes(2)

    assert [item["object_label"] for item in found] == ["10.6.0.0/16 (global)", "10.7.0.0/16 (global)"]
    assert found[0]["groups"] == ["team/sub"]


def test_events_changes_of_users_and_tokens_reach_admins_only(ledger: Ledger, api_base: str) -> None:
    viewer = sign_in(ledger, "vera", grants=((AccessRole.VIEWER, None),))
    with (
        client_of(api_base) as admin,
        client_of(api_base, viewer) as reader_client,
        stream(admin) as admin_stream,
        stream(reader_client) as viewer_stream,
    ):
        create_user(ledger, "newcomer", actor="setup")
        add_prefix(ledger, "10.8.0.0/16")
        admin_saw = admin_stream.changes(2)
        viewer_saw = viewer_stream.changes(1)
        audit = reader_client.get("/changes").json()["items"]

    assert [item["object_kind"] for item in admin_saw] == ["user", "prefix"]
    assert [item["object_kind"] for item in viewer_saw] == ["prefix"]
    # The audit log shows the viewer the same as the stream does.
    assert "user" not in {item["object_kind"] for item in audit}


def test_events_a_change_by_another_ledger_handle_arrives_by_the_poll(
    ledger_url: str, api: httpx.Client
) -> None:
    other = Ledger.open(ledger_url)  # like the CLI, or a second server process, on the same database
    try:
        with stream(api) as reader:
            add_prefix(other, "10.9.0.0/16")
            [change] = reader.changes(1)
    finally:
        other.close()

    assert change["object_label"] == "10.9.0.0/16 (global)"


def test_events_a_revoked_token_ends_its_stream(
    ledger: Ledger, api_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_route, "RECHECK_SECONDS", 0.0)
    token = sign_in(ledger, "temp", grants=((AccessRole.VIEWER, None),))
    with client_of(api_base, token) as client, stream(client) as reader:
        [record] = list_tokens(ledger, user="temp")
        revoke_token(ledger, record.id, actor="setup")
        ended = reader.next()

    assert ended.event == "end"
    assert "no longer valid" in ended.data


def test_events_a_bad_last_event_id_is_refused(api: httpx.Client) -> None:
    response = api.get("/events", headers={"Last-Event-ID": "yesterday"})

    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()["detail"]


def test_events_need_credentials(api_base: str) -> None:
    with httpx.Client(base_url=api_base, timeout=30) as anonymous:
        assert anonymous.get("/events").status_code == 401
