"""The audit log and events: every change writes who, what, before and after; a refused one writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from ipledger.core.errors import LedgerError
from ipledger.service.addresses import AddressFields, delete_address, update_address
from ipledger.service.allocation import allocate_addresses, allocate_prefixes
from ipledger.service.audit import list_changes
from ipledger.service.groups import create_group, delete_group, move_group, rename_group, update_group
from ipledger.service.ledger import Event, Ledger
from ipledger.service.prefixes import delete_prefix, update_prefix
from ipledger.service.ranges import delete_range, update_range
from ipledger.service.roles import create_role, delete_role
from ipledger.service.spaces import create_space, delete_space
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    all_changes,
    ip,
    net,
    span,
)

WHO = "bob"
Step = Callable[[Ledger], object]


def _nothing(ledger: Ledger) -> None:
    return None


def _prefix(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")


def _range(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")


def _groups(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")
    add_group(ledger, "net")


_CHANGES: list[tuple[str, Step, Step, list[tuple[str, str, str]]]] = [
    ("create-space", _nothing, lambda lg: create_space(lg, "lab", actor=WHO), [("create", "space", "lab")]),
    (
        "delete-space",
        lambda lg: create_space(lg, "lab", actor=ACTOR),
        lambda lg: delete_space(lg, "lab", actor=WHO),
        [("delete", "space", "lab")],
    ),
    (
        "create-groups",
        _nothing,
        lambda lg: create_group(lg, "k8s/prod", actor=WHO, parents=True),
        [("create", "group", "k8s"), ("create", "group", "k8s/prod")],
    ),
    (
        "update-group",
        _groups,
        lambda lg: update_group(lg, "net", actor=WHO, changes={"owner": "network"}),
        [("update", "group", "net")],
    ),
    (
        "move-group",
        _groups,
        lambda lg: move_group(lg, "k8s/prod", actor=WHO, new_parent="net"),
        [("move", "group", "k8s/prod -> net/prod")],
    ),
    (
        "rename-group",
        _groups,
        lambda lg: rename_group(lg, "k8s", actor=WHO, new_name="kube"),
        [("move", "group", "k8s -> kube")],
    ),
    ("delete-group", _groups, lambda lg: delete_group(lg, "net", actor=WHO), [("delete", "group", "net")]),
    (
        "create-prefix",
        _nothing,
        lambda lg: add_prefix(lg, "10.0.0.0/24", actor=WHO),
        [("create", "prefix", "10.0.0.0/24 (global)")],
    ),
    (
        "update-prefix",
        _prefix,
        lambda lg: update_prefix(lg, net("10.0.0.0/24"), actor=WHO, changes={"description": "pods"}),
        [("update", "prefix", "10.0.0.0/24 (global)")],
    ),
    (
        "delete-prefix",
        _prefix,
        lambda lg: delete_prefix(lg, net("10.0.0.0/24"), actor=WHO),
        [("delete", "prefix", "10.0.0.0/24 (global)")],
    ),
    (
        "create-range",
        _prefix,
        lambda lg: add_range(lg, "10.0.0.10-10.0.0.20", actor=WHO),
        [("create", "range", "10.0.0.10-10.0.0.20 (global)")],
    ),
    (
        "update-range",
        _range,
        lambda lg: update_range(lg, span("10.0.0.10-10.0.0.20"), actor=WHO, changes={"description": "lb"}),
        [("update", "range", "10.0.0.10-10.0.0.20 (global)")],
    ),
    (
        "delete-range",
        _range,
        lambda lg: delete_range(lg, span("10.0.0.10-10.0.0.20"), actor=WHO),
        [("delete", "range", "10.0.0.10-10.0.0.20 (global)")],
    ),
    (
        "create-address",
        _prefix,
        lambda lg: add_address(lg, "10.0.0.1", actor=WHO),
        [("create", "address", "10.0.0.1 (global)")],
    ),
    (
        "update-address",
        lambda lg: add_address(lg, "10.0.0.1"),
        lambda lg: update_address(lg, ip("10.0.0.1"), actor=WHO, changes={"holder_name": "vm-1"}),
        [("update", "address", "10.0.0.1 (global)")],
    ),
    (
        "delete-address",
        lambda lg: add_address(lg, "10.0.0.1"),
        lambda lg: delete_address(lg, ip("10.0.0.1"), actor=WHO),
        [("delete", "address", "10.0.0.1 (global)")],
    ),
    (
        "allocate-addresses",
        _prefix,
        lambda lg: allocate_addresses(lg, net("10.0.0.0/24"), actor=WHO, count=2),
        [("create", "address", "10.0.0.1 (global)"), ("create", "address", "10.0.0.2 (global)")],
    ),
    (
        "allocate-prefix",
        _prefix,
        lambda lg: allocate_prefixes(lg, net("10.0.0.0/24"), actor=WHO, prefixlen=26),
        [("create", "prefix", "10.0.0.0/26 (global)")],
    ),
    ("create-role", _nothing, lambda lg: create_role(lg, "edge", actor=WHO), [("create", "role", "edge")]),
    (
        "delete-role",
        lambda lg: create_role(lg, "edge", actor=ACTOR),
        lambda lg: delete_role(lg, "edge", actor=WHO),
        [("delete", "role", "edge")],
    ),
]


@pytest.mark.parametrize(
    ("setup", "change", "expected"), [c[1:] for c in _CHANGES], ids=[c[0] for c in _CHANGES]
)
def test_audit_every_change_writes_an_entry(
    ledger: Ledger, setup: Step, change: Step, expected: list[tuple[str, str, str]]
) -> None:
    setup(ledger)
    known = len(all_changes(ledger))

    change(ledger)

    entries = all_changes(ledger)[known:]
    assert [(entry.action, entry.object_kind, entry.object_label) for entry in entries] == expected
    for entry in entries:
        assert entry.actor == WHO
        assert entry.at.tzinfo is not None
        assert (entry.before is None, entry.after is None) == (
            entry.action == "create",
            entry.action == "delete",
        )
        if entry.before is not None and entry.after is not None:
            assert entry.before != entry.after


def test_audit_update_shows_before_and_after(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24", description="old")

    update_prefix(ledger, net("10.0.0.0/24"), actor=WHO, changes={"description": "new", "tags": ["a"]})

    entry = list_changes(ledger, limit=1)[0]
    assert entry.before is not None and entry.after is not None
    assert (entry.before["description"], entry.after["description"]) == ("old", "new")
    assert (entry.before["tags"], entry.after["tags"]) == ([], ["a"])
    assert (entry.after["prefix"], entry.after["space"], entry.after["version"]) == (
        "10.0.0.0/24",
        "global",
        2,
    )


def test_audit_entry_names_the_object(ledger: Ledger) -> None:
    record = add_prefix(ledger, "10.0.0.0/24", actor=WHO)

    entry = list_changes(ledger, object_kind="prefix", object_id=record.id)[0]

    assert (entry.object_id, entry.after["prefix"] if entry.after else None) == (record.id, "10.0.0.0/24")


_REFUSED: list[tuple[str, Step, Step]] = [
    ("duplicate-prefix", _prefix, lambda lg: add_prefix(lg, "10.0.0.0/24", actor=WHO)),
    ("overlapping-range", _range, lambda lg: add_range(lg, "10.0.0.15-10.0.0.30", actor=WHO)),
    (
        "duplicate-address",
        lambda lg: add_address(lg, "10.0.0.1"),
        lambda lg: add_address(lg, "10.0.0.1", actor=WHO),
    ),
    ("network-address", _prefix, lambda lg: add_address(lg, "10.0.0.0", actor=WHO)),
    ("bad-mac", _prefix, lambda lg: add_address(lg, "10.0.0.1", actor=WHO, mac="nope")),
    ("unknown-group", _prefix, lambda lg: add_prefix(lg, "10.0.1.0/24", actor=WHO, group="nope")),
    (
        "stale-update",
        _prefix,
        lambda lg: update_prefix(
            lg, net("10.0.0.0/24"), actor=WHO, expected_version=7, changes={"description": "x"}
        ),
    ),
    ("non-empty-group", _groups, lambda lg: delete_group(lg, "k8s", actor=WHO)),
    (
        "exhausted-addresses",
        lambda lg: add_prefix(lg, "10.0.0.0/29"),
        lambda lg: allocate_addresses(lg, net("10.0.0.0/29"), actor=WHO, count=7),
    ),
    (
        "exhausted-prefixes",
        _prefix,
        lambda lg: allocate_prefixes(lg, net("10.0.0.0/24"), actor=WHO, prefixlen=26, count=5),
    ),
    (
        "groups-with-bad-field",
        _nothing,
        lambda lg: create_group(lg, "a/b", actor=WHO, parents=True, tags="x"),  # type: ignore[arg-type]
    ),
]


@pytest.mark.parametrize(("setup", "change"), [c[1:] for c in _REFUSED], ids=[c[0] for c in _REFUSED])
def test_audit_refused_change_writes_nothing(ledger: Ledger, setup: Step, change: Step) -> None:
    setup(ledger)
    before = all_changes(ledger)

    with pytest.raises(LedgerError):
        change(ledger)

    assert all_changes(ledger) == before


def test_audit_preview_writes_nothing(ledger: Ledger) -> None:
    _prefix(ledger)
    before = all_changes(ledger)

    allocate_addresses(ledger, net("10.0.0.0/24"), actor=WHO, count=3, preview=True)
    allocate_prefixes(ledger, net("10.0.0.0/24"), actor=WHO, prefixlen=28, preview=True)

    assert all_changes(ledger) == before


def test_audit_list_filters_and_pages(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24", actor="carol")
    add_address(ledger, "10.0.0.1", actor=WHO)
    add_address(ledger, "10.0.0.2", actor=WHO)

    assert [entry.object_label for entry in list_changes(ledger, actor=WHO)] == [
        "10.0.0.2 (global)",
        "10.0.0.1 (global)",
    ]
    assert [entry.object_kind for entry in list_changes(ledger, object_kind="prefix")] == ["prefix"]
    assert [entry.object_label for entry in list_changes(ledger, label="10.0.0.1")] == ["10.0.0.1 (global)"]
    assert [entry.object_label for entry in list_changes(ledger, limit=1, offset=1)] == ["10.0.0.1 (global)"]


def test_audit_list_filters_by_time(ledger: Ledger) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    ticks = iter(start + timedelta(hours=hour) for hour in range(10))
    timed = Ledger(ledger.database, clock=lambda: next(ticks))
    for text in ["10.0.0.1", "10.0.0.2", "10.0.0.3"]:
        add_address(timed, text)

    window = list_changes(ledger, since=start + timedelta(hours=1), until=start + timedelta(hours=2))

    assert [(entry.object_label, entry.at) for entry in window] == [
        ("10.0.0.2 (global)", start + timedelta(hours=1))
    ]


def test_audit_events_published_after_commit(ledger: Ledger) -> None:
    seen: list[Event] = []
    ledger.listeners.append(seen.append)

    add_prefix(ledger, "10.0.0.0/24", actor=WHO)
    allocate_addresses(ledger, net("10.0.0.0/24"), actor=WHO, count=2, preview=True)
    with pytest.raises(LedgerError):
        add_prefix(ledger, "10.0.0.0/24", actor=WHO)
    allocate_addresses(ledger, net("10.0.0.0/24"), actor=WHO, fields=AddressFields(holder_name="vm-1"))

    assert [(event.action, event.object_kind, event.label, event.actor) for event in seen] == [
        ("create", "prefix", "10.0.0.0/24 (global)", WHO),
        ("create", "address", "10.0.0.1 (global)", WHO),
    ]
