"""Group commit of concurrent address allocations: the answers are those of one request at a time.

Requests for the same parent that queue up while a transaction runs are served by one
transaction, each in its own savepoint. These tests hold a batch open (a listener blocks inside
the serving turn), queue requests behind it, and check what each request gets, what the audit
log says and that the stored counters and free space still agree with a recount.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from ipledger.core.errors import ExhaustedError, InvalidInputError, NotFoundError
from ipledger.service.addresses import AddressFields
from ipledger.service.allocation import allocate_addresses_of
from ipledger.service.audit import list_changes
from ipledger.service.batching import Batches, Request
from ipledger.service.ledger import Event, Ledger
from tests.service.factories import add_prefix, add_range, span
from tests.service.recount import check_against_recount

WAIT_S = 30.0


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never came true")
        time.sleep(0.005)


# Batches on their own


def test_batching_requests_queued_behind_a_batch_are_served_together() -> None:
    batches = Batches()
    release = threading.Event()
    served: list[list[str]] = []

    def serve(batch: list[Request[str]]) -> None:
        served.append([item.payload for item in batch])
        if batch[0].payload == "first":
            release.wait(WAIT_S)
        for item in batch:
            item.result = f"done {item.payload}"

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batches.submit, "key", "first", serve)
        _wait_until(lambda: served == [["first"]])
        later = [pool.submit(batches.submit, "key", name, serve) for name in ("second", "third")]
        _wait_until(lambda: batches.pending("key") == 2)
        release.set()
        results = [first.result(WAIT_S)] + [future.result(WAIT_S) for future in later]

    assert results == ["done first", "done second", "done third"]
    assert served[0] == ["first"]
    assert sorted(served[1]) == ["second", "third"]
    assert len(served) == 2
    assert batches.pending("key") == 0


def test_batching_other_keys_do_not_wait_for_a_batch() -> None:
    batches = Batches()
    release = threading.Event()

    def slow(batch: list[Request[str]]) -> None:
        release.wait(WAIT_S)
        for item in batch:
            item.result = "slow"

    def quick(batch: list[Request[str]]) -> None:
        for item in batch:
            item.result = "quick"

    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(batches.submit, "a", 1, slow)
        assert pool.submit(batches.submit, "b", 2, quick).result(WAIT_S) == "quick"
        assert not held.done()
        release.set()
        assert held.result(WAIT_S) == "slow"


def test_batching_an_escaping_error_reaches_every_request_of_the_batch() -> None:
    batches = Batches()
    release = threading.Event()
    calls: list[int] = []

    def serve(batch: list[Request[str]]) -> None:
        calls.append(len(batch))
        if len(calls) == 1:
            release.wait(WAIT_S)
            batch[0].result = "fine"
            return
        raise RuntimeError("the database went away")

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(batches.submit, "key", 0, serve)
        _wait_until(lambda: calls == [1])
        later = [pool.submit(batches.submit, "key", n, serve) for n in (1, 2)]
        _wait_until(lambda: batches.pending("key") == 2)
        release.set()
        assert first.result(WAIT_S) == "fine"
        for future in later:
            with pytest.raises(RuntimeError, match="went away"):
                future.result(WAIT_S)
    assert calls == [1, 2]


# Allocation through batches, on SQLite and PostgreSQL


def _queue_behind_a_held_batch(
    ledger: Ledger, key: tuple[str, int], calls: list[dict[str, Any]]
) -> tuple[list[Any], list[BaseException | None]]:
    """Run one allocation that holds its turn, queue ``calls`` behind it, then let all run."""
    results: list[Any] = []
    errors: list[BaseException | None] = []
    with ThreadPoolExecutor(len(calls) + 1) as pool:
        release = threading.Event()
        entered = threading.Event()

        def hold(_event: Event) -> None:
            if not entered.is_set():
                entered.set()
                release.wait(WAIT_S)

        ledger.listeners.append(hold)
        try:
            first = pool.submit(allocate_addresses_of, ledger, actor="holder", **{f"{key[0]}_id": key[1]})
            assert entered.wait(WAIT_S)
            futures: list[Future[Any]] = [
                pool.submit(allocate_addresses_of, ledger, **{f"{key[0]}_id": key[1]}, **call)
                for call in calls
            ]
            _wait_until(lambda: ledger.batches.pending(key) == len(calls))
        finally:
            release.set()
        try:
            first.result(WAIT_S)
        finally:
            ledger.listeners.remove(hold)
        for future in futures:
            error = future.exception(WAIT_S)
            errors.append(error)
            results.append(None if error is not None else future.result())
    return results, errors


def test_batching_allocations_in_one_batch_get_distinct_addresses_and_their_own_audit(
    ledger: Ledger,
) -> None:
    parent = add_prefix(ledger, "10.20.0.0/24")
    calls = [
        {
            "actor": f"pipeline-{n}",
            "count": n,
            "fields": AddressFields(holder_kind="pod", holder_name=f"p{n}"),
        }
        for n in (1, 2, 3)
    ]

    results, errors = _queue_behind_a_held_batch(ledger, ("prefix", parent.id), calls)

    assert errors == [None, None, None]
    given = [str(record.address) for batch in results for record in batch]
    assert len(given) == len(set(given)) == 6
    # The holder took .1; the batch hands out the next six in the order it served them.
    assert sorted(given, key=lambda text: int(text.rsplit(".", 1)[1])) == [
        f"10.20.0.{n}" for n in range(2, 8)
    ]
    for call, batch in zip(calls, results, strict=True):
        assert [record.holder_name for record in batch] == [call["fields"].holder_name] * call["count"]
    created = list_changes(ledger, object_kind="address")
    by_actor = {change.actor: 0 for change in created}
    for change in created:
        by_actor[change.actor] += 1
    assert by_actor == {"holder": 1, "pipeline-1": 1, "pipeline-2": 2, "pipeline-3": 3}
    check_against_recount(ledger, "after the batches")


def test_batching_one_failing_request_leaves_the_others_of_its_batch_intact(ledger: Ledger) -> None:
    parent = add_prefix(ledger, "10.30.0.0/29")  # six usable addresses; the holder takes one
    events: list[Event] = []
    ledger.listeners.append(events.append)
    calls = [
        {"actor": "too-many", "count": 6},
        {"actor": "bad-group", "count": 1, "fields": AddressFields(group="no/such/group")},
        {"actor": "fits", "count": 2},
    ]

    results, errors = _queue_behind_a_held_batch(ledger, ("prefix", parent.id), calls)

    assert isinstance(errors[0], ExhaustedError)
    assert "10.30.0.0/29" in str(errors[0])
    assert isinstance(errors[1], (InvalidInputError, NotFoundError))
    assert "no/such/group" in str(errors[1])
    assert errors[2] is None
    assert [str(record.address) for record in results[2]] == ["10.30.0.2", "10.30.0.3"]
    actors = sorted(change.actor for change in list_changes(ledger, object_kind="address"))
    assert actors == ["fits", "fits", "holder"]
    # Only what committed was announced: no event of the requests that failed.
    assert sorted(event.actor for event in events if event.object_kind == "address") == actors
    check_against_recount(ledger, "after the batches")


def test_batching_applies_to_ranges_too(ledger: Ledger) -> None:
    add_prefix(ledger, "10.40.0.0/24")
    pool = add_range(ledger, "10.40.0.100-10.40.0.109")
    calls = [{"actor": f"a{n}", "count": 3} for n in range(3)]

    results, errors = _queue_behind_a_held_batch(ledger, ("range", pool.id), calls)

    assert errors == [None, None, None]
    given = sorted(int(str(record.address).rsplit(".", 1)[1]) for batch in results for record in batch)
    assert given == list(range(101, 110))
    assert all(span("10.40.0.100-10.40.0.109").first <= int(r.address) for b in results for r in b)
    check_against_recount(ledger, "after the batches")


def test_batching_an_unknown_parent_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no prefix with id 999"):
        allocate_addresses_of(ledger, actor="x", prefix_id=999)
    with pytest.raises(NotFoundError, match="no range with id 999"):
        allocate_addresses_of(ledger, actor="x", range_id=999)


def test_batching_many_threads_never_share_an_address(ledger: Ledger) -> None:
    parent = add_prefix(ledger, "10.50.0.0/24")

    def take(n: int) -> list[str]:
        return [
            str(record.address)
            for _ in range(6)
            for record in allocate_addresses_of(ledger, actor=f"t{n}", prefix_id=parent.id)
        ]

    with ThreadPoolExecutor(8) as pool:
        given = [address for batch in pool.map(take, range(8)) for address in batch]

    assert len(given) == len(set(given)) == 48
    assert len(list_changes(ledger, object_kind="address")) == 48
    check_against_recount(ledger, "after the batches")
