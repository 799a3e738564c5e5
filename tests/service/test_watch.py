"""Samples on every change and threshold findings with hysteresis, on SQLite and PostgreSQL.

The prefix is a /27 pool (32 usable addresses, 3.125 points each): 22 addresses are 68.75 %,
23 are 71.875 %, 21 are 65.625 %. With the warning mark at 70 % and a margin of 2 points, 23
opens a warning, 22 keeps it, 21 closes it.
"""

from __future__ import annotations

import pytest

from ipledger.core.permissions import AccessRole, Grant, PermissionDeniedError, Principal, UserKind
from ipledger.core.thresholds import Thresholds
from ipledger.service.addresses import delete_address
from ipledger.service.history import prefix_subject, range_subject_by_id, series
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import delete_prefix, update_prefix
from ipledger.service.standing_findings import acknowledge_finding, list_standing_findings
from ipledger.service.watch import SampledCounts, sample_everything
from ipledger.store.models import Prefix, UtilizationSample
from tests.service.factories import (
    add_address,
    add_group,
    add_prefix,
    add_range,
    all_changes,
    count_rows,
    ip,
    net,
)
from tests.service.monitoring import T0, Clock, clocked

POOL = "198.51.100.0/27"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def watched(ledger: Ledger, clock: Clock) -> Ledger:
    moved = clocked(ledger, clock)
    add_group(moved, "team")
    add_prefix(moved, POOL, is_pool=True, group="team")
    return moved


def fill(ledger: Ledger, count: int, *, start: int = 0) -> None:
    for host in range(start, start + count):
        add_address(ledger, f"198.51.100.{host}")


def finding_actions(ledger: Ledger) -> list[tuple[str, str | None]]:
    return [
        (change.action, (change.after or {}).get("level"))
        for change in all_changes(ledger)
        if change.object_kind == "finding"
    ]


def test_watch_samples_the_prefix_at_every_change(watched: Ledger, clock: Clock) -> None:
    for host in range(3):
        clock.advance(hours=1)
        add_address(watched, f"198.51.100.{host}")

    samples = series(watched, prefix_subject(watched, net(POOL), space="global"))

    assert [(sample.at - T0).total_seconds() / 3600 for sample in samples[-3:]] == [1, 2, 3]
    assert [sample.used for sample in samples[-3:]] == [1, 2, 3]
    assert {sample.total for sample in samples} == {32}


def test_watch_opens_a_warning_at_70_percent(watched: Ledger) -> None:
    fill(watched, 22)
    assert list_standing_findings(watched)[1] == 0

    add_address(watched, "198.51.100.22")

    findings, total = list_standing_findings(watched)
    assert total == 1
    assert (findings[0].level, findings[0].subject, findings[0].group) == ("warning", POOL, "team")
    assert findings[0].percent == pytest.approx(71.875)
    assert finding_actions(watched) == [("open", "warning")]


def test_watch_keeps_the_finding_within_the_margin_and_closes_below_it(watched: Ledger) -> None:
    fill(watched, 23)

    delete_address(watched, ip("198.51.100.22"), actor="test")  # 68.75 %: within 2 points
    assert [item.level for item in list_standing_findings(watched)[0]] == ["warning"]
    delete_address(watched, ip("198.51.100.21"), actor="test")  # 65.625 %: closes

    assert list_standing_findings(watched)[1] == 0
    closed = list_standing_findings(watched, state="closed")[0]
    assert len(closed) == 1 and closed[0].closed_at is not None
    assert finding_actions(watched) == [("open", "warning"), ("close", "ok")]


def test_watch_flapping_around_70_percent_records_one_finding(watched: Ledger) -> None:
    fill(watched, 22)
    for _ in range(5):
        add_address(watched, "198.51.100.22")
        delete_address(watched, ip("198.51.100.22"), actor="test")

    assert finding_actions(watched) == [("open", "warning")]


def test_watch_raises_and_lowers_the_level_as_thresholds_change(watched: Ledger) -> None:
    fill(watched, 23)

    update_prefix(watched, net(POOL), actor="test", changes={"thresholds": Thresholds(20, 30, 40)})
    update_prefix(watched, net(POOL), actor="test", changes={"thresholds": Thresholds(60, 71, 90)})

    assert finding_actions(watched) == [("open", "warning"), ("raise", "emergency"), ("lower", "critical")]
    assert [item.level for item in list_standing_findings(watched)[0]] == ["critical"]


def test_watch_closes_the_finding_of_a_deleted_prefix_and_drops_its_series(watched: Ledger) -> None:
    fill(watched, 23)

    delete_prefix(watched, net(POOL), actor="test")

    assert finding_actions(watched)[-1] == ("close", "ok")
    assert count_rows(watched, UtilizationSample) == 0


def test_acknowledge_finding_records_who_when_and_the_note(watched: Ledger, clock: Clock) -> None:
    fill(watched, 23)
    finding = list_standing_findings(watched)[0][0]
    clock.advance(minutes=5)

    acked = acknowledge_finding(watched, finding.id, actor="carol", note="expanding on Monday")

    assert (acked.acknowledged_by, acked.acknowledged_at, acked.note) == (
        "carol",
        clock.now,
        "expanding on Monday",
    )
    assert list_standing_findings(watched, acknowledged=False)[1] == 0
    assert all_changes(watched)[-1].action == "acknowledge"


def test_acknowledge_finding_needs_editor_on_its_group(watched: Ledger) -> None:
    fill(watched, 23)
    finding = list_standing_findings(watched)[0][0]
    viewer = Principal("vic", UserKind.HUMAN, (Grant(AccessRole.VIEWER),))

    with pytest.raises(PermissionDeniedError, match="may not write in group team"):
        acknowledge_finding(watched, finding.id, actor=viewer, note="no")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({"levels": ["warning"]}, 1, id="level"),
        pytest.param({"levels": ["critical"]}, 0, id="other-level"),
        pytest.param({"group": "team"}, 1, id="group"),
        pytest.param({"kind": "threshold"}, 1, id="kind"),
        pytest.param({"state": "closed"}, 0, id="closed"),
        pytest.param({"state": "all"}, 1, id="all"),
    ],
)
def test_list_standing_findings_filters(watched: Ledger, filters: dict[str, object], expected: int) -> None:
    fill(watched, 23)
    add_group(watched, "elsewhere")

    assert list_standing_findings(watched, **filters)[1] == expected  # type: ignore[arg-type]


def test_watch_samples_a_range_when_it_is_recorded_and_when_its_addresses_change(watched: Ledger) -> None:
    span = add_range(watched, "198.51.100.10-198.51.100.19")
    add_address(watched, "198.51.100.11")
    delete_address(watched, ip("198.51.100.11"), actor="test")

    samples = series(watched, range_subject_by_id(watched, span.id))

    assert [(sample.used, sample.total) for sample in samples] == [(0, 10), (1, 10), (0, 10)]


def test_sample_everything_finds_nothing_new_after_watched_writes(watched: Ledger) -> None:
    add_range(watched, "198.51.100.10-198.51.100.19")
    fill(watched, 3)

    assert sample_everything(watched) == SampledCounts(0, 0, 0)


def test_sample_everything_settles_a_prefix_changed_behind_the_ledgers_back(watched: Ledger) -> None:
    fill(watched, 3)
    with watched.database.writing() as session:  # as a restore of an old backup might leave it
        row = session.query(Prefix).one()
        row.used, row.utilization_percent = 30, 93.75

    counts = sample_everything(watched)

    assert (counts.prefixes, counts.findings) == (1, 1)
    assert [item.level for item in list_standing_findings(watched)[0]] == ["critical"]
    assert sample_everything(watched) == SampledCounts(0, 0, 0)
