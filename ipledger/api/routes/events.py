"""The event stream: every committed change as a Server-Sent Event, for live pages and automation."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ipledger.api.deps import ActorDep, LedgerDep, reauthenticate
from ipledger.core.errors import InvalidInputError
from ipledger.core.permissions import Principal
from ipledger.service.events import PAGE, CommitSignal, EventFilter, changes_after, latest_change_id
from ipledger.service.ledger import Ledger, groups_of_change
from ipledger.service.records import ChangeRecord

router = APIRouter(tags=["events"])

# A change made by another process (a second server, the CLI) is found by this poll; one made
# here wakes the stream at once.
POLL_SECONDS = 0.5
# The credentials are checked again this often: a revoked token or ended session stops its
# stream within this time, not only when it reconnects.
RECHECK_SECONDS = 5.0
# A comment line this often keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
# How soon a browser reconnects after the stream broke (the SSE `retry` field), in ms.
RETRY_MS = 1000

_DESCRIPTION = f"""
Every committed change, as [Server-Sent Events](https://html.spec.whatwg.org/multipage/server-sent-events.html)
(`text/event-stream`), in commit order: one event `change` per entry of the audit log, its `id`
the entry's id and its `data` the entry as JSON (`id`, `at`, `actor`, `action`, `object_kind`,
`object_id`, `object_label`, `groups`, `before`, `after`).

- Without a position the stream starts with the next change. To resume, send the id of the last
  event seen as `Last-Event-ID` (browsers' `EventSource` does that by itself on reconnect) or as
  `last_event_id`: every change after it follows, none is missed.
- Filters: `kind` and `action` (repeatable), `object_id`, `group` (that group's subtree).
- Changes to users, tokens, grants and sessions reach global admins only.
- The credentials are checked again every {RECHECK_SECONDS:.0f} s: when the token is revoked or
  expires, or the session ends, an event `end` says so and the stream closes.
- `once=true` sends what is there and closes, for clients that poll.
"""


@router.get(
    "/events",
    summary="The event stream (Server-Sent Events)",
    description=_DESCRIPTION,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def events(
    request: Request,
    ledger: LedgerDep,
    viewer: ActorDep,
    kind: Annotated[list[str] | None, Query(description="Only changes of these object kinds.")] = None,
    action: Annotated[
        list[str] | None, Query(description="Only these actions (create, update, ...).")
    ] = None,
    object_id: Annotated[int | None, Query(description="Only changes of the object with this id.")] = None,
    group: Annotated[str | None, Query(description="Only objects in this group's subtree.")] = None,
    last_event_id: Annotated[int | None, Query(ge=0, description="Resume after this event id.")] = None,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Resume after this event id (wins).")
    ] = None,
    once: Annotated[bool, Query(description="Send what is there, then close.")] = False,
) -> StreamingResponse:
    position = _position(last_event_id_header, last_event_id)
    if position is None:
        position = await run_in_threadpool(latest_change_id, ledger)
    wanted = EventFilter(
        kinds=frozenset(kind or ()), actions=frozenset(action or ()), object_id=object_id, group=group
    )
    signal: CommitSignal = request.app.state.commit_signal
    return StreamingResponse(
        _stream(request, ledger, viewer, signal, wanted, position, once),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _position(header: str | None, query: int | None) -> int | None:
    if header is None:
        return query
    if not header.strip().isdigit():
        raise InvalidInputError(f"Last-Event-ID must be an event id (a whole number), not {header!r}")
    return int(header)


async def _stream(
    request: Request,
    ledger: Ledger,
    viewer: Principal,
    signal: CommitSignal,
    wanted: EventFilter,
    position: int,
    once: bool,
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    checked = idle_since = time.monotonic()
    with signal.subscribe() as subscriber:
        while True:
            found = await run_in_threadpool(changes_after, ledger, position, viewer=viewer)
            for change in found:
                position = change.id
                if wanted.matches(change):
                    yield _event(change)
            if found:
                idle_since = time.monotonic()
            if len(found) == PAGE:
                continue
            if once:
                return
            now = time.monotonic()
            if now - checked >= RECHECK_SECONDS:
                renewed = await run_in_threadpool(reauthenticate, request)
                if renewed is None:
                    yield "event: end\ndata: the token or session is no longer valid\n\n"
                    return
                viewer, checked = renewed, now
            if now - idle_since >= HEARTBEAT_SECONDS:
                yield ": keep-alive\n\n"
                idle_since = now
            await subscriber.wait(POLL_SECONDS)


def _event(change: ChangeRecord) -> str:
    data = {
        "id": change.id,
        "at": change.at.isoformat(),
        "actor": change.actor,
        "action": change.action,
        "object_kind": change.object_kind,
        "object_id": change.object_id,
        "object_label": change.object_label,
        "groups": [group for group in groups_of_change(change.object_kind, change.before, change.after)],
        "before": change.before,
        "after": change.after,
    }
    return f"id: {change.id}\nevent: change\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"
