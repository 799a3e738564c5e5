"""Watching utilization: a sample for every change, and threshold findings with hysteresis.

``watch_transaction`` runs in every write transaction just before its commit (``Ledger``
calls it): each prefix whose utilization the transaction changed gets a sample, and its
threshold finding is opened, moved to another level or closed (``core.thresholds.settle_level``),
each move recorded in the audit log as a change of kind ``finding``, which makes it an event for
the listeners and the webhooks; each range whose count of held addresses changed gets a sample
too. ``sample_everything`` is the periodic pass of the server: it samples what changed without a
transaction noticing (bulk imports, a row changed by hand in the database) and closes the
findings of prefixes that are gone. Cluster samples come from syncs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ipledger.core.addresses import network_from_ints
from ipledger.core.thresholds import Level, Thresholds, settle_level
from ipledger.store import locks
from ipledger.store import watch as stored
from ipledger.store.bulk_insert import insert_columns
from ipledger.store.database import Session
from ipledger.store.models import Group, Prefix, UtilizationSample, WatchFinding

if TYPE_CHECKING:
    from ipledger.service.ledger import Ledger, Transaction

__all__ = [
    "THRESHOLD",
    "SampledCounts",
    "forget_subject",
    "record_cluster_sample",
    "relabel_subject",
    "sample_everything",
    "watch_transaction",
]

THRESHOLD = "threshold"
ACTOR = "monitor"


@dataclass(frozen=True, slots=True)
class SampledCounts:
    """What one periodic pass wrote: samples by subject kind, and findings moved."""

    prefixes: int
    ranges: int
    findings: int


def watch_transaction(tx: Transaction) -> None:
    """Sample the prefixes and ranges this transaction changed and move the prefixes' threshold
    findings."""
    changed = stored.take_changed_prefixes(tx.session)
    ranges = stored.take_changed_ranges(tx.session)
    if not changed and not ranges:
        return
    tx.session.flush()
    _insert_samples(tx.session, "prefix", [(prefix.id, *_counts(prefix)) for prefix in changed], tx.now)
    _insert_samples(tx.session, "range", [(item.id, item.used, item.size) for item in ranges], tx.now)
    if changed:
        _settle_findings(tx, changed)


def record_cluster_sample(tx: Transaction, cluster_id: int, *, used: int, total: int, at: datetime) -> None:
    """A sample of a cluster's pod IPs, taken by each sync: ``used`` of ``total`` (the figures of
    ``usage_history.measure_cluster_pod_ips``)."""
    _insert_samples(tx.session, "cluster", [(cluster_id, used, total)], at)


def forget_subject(tx: Transaction, subject_kind: str, subject_id: int) -> None:
    """The prefix, range or cluster is being deleted: close its findings and drop its series (a
    later object may be given the same id)."""
    for finding in stored.open_findings(tx.session, THRESHOLD, subject_kind, [subject_id]).values():
        _close(tx, finding, f"the {subject_kind} was deleted")
    stored.delete_series(tx.session, subject_kind, [subject_id])


def relabel_subject(tx: Transaction, subject_kind: str, subject_id: int, label: str) -> None:
    """The prefix or range now reads ``label`` (a prefix widened in place): its open findings
    name it so, and keep their history."""
    for finding in stored.open_findings(tx.session, THRESHOLD, subject_kind, [subject_id]).values():
        finding.subject = label


def sample_everything(ledger: Ledger, *, actor: str = ACTOR) -> SampledCounts:
    """Sample every prefix and range whose counts differ from its latest sample, and settle
    every threshold finding (a prefix gone closes its finding).

    It reads every prefix without locking them. The prefixes whose finding would move are then
    locked (PostgreSQL; SQLite holds the write lock already) and settled as they are under the
    lock, so that a write settling the same prefix at the same time never opens a second finding.
    """
    with ledger.transaction(actor) as tx:
        session = tx.session
        prefixes = stored.list_watched_prefixes(session)
        latest = stored.latest_samples(session, "prefix")
        rows = [(p.id, *_counts(p)) for p in prefixes if latest.get(p.id) != _counts(p)]
        _insert_samples(session, "prefix", rows, tx.now)
        ranges = stored.list_watched_ranges(session)
        latest_ranges = stored.latest_samples(session, "range")
        range_rows = [(r.id, r.used, r.size) for r in ranges if latest_ranges.get(r.id) != (r.used, r.size)]
        _insert_samples(session, "range", range_rows, tx.now)
        before = len(tx.events)
        found = stored.open_findings(session, THRESHOLD, "prefix", None)
        for gone in set(found) - {prefix.id for prefix in prefixes}:
            _close(tx, found[gone], "the prefix was deleted")
        moving = [prefix.id for prefix in prefixes if _settled(prefix).value != prefix.finding_level]
        if moving:
            session.flush()  # the lock re-reads the prefixes: nothing pending may be lost
            locks.lock_prefixes(session, moving)
            _settle_findings(tx, stored.list_prefixes_by_id(session, moving))
        return SampledCounts(len(rows), len(range_rows), len(tx.events) - before)


def _counts(prefix: Prefix) -> tuple[int, int]:
    """(used, total) of the headline percentage: addresses of the usable ones, or the space that
    child prefixes cover of the whole, whichever is fuller (``core.utilization.Usage.percent``)."""
    used_share = prefix.used * max(prefix.size, 1)
    covered_share = prefix.covered * max(prefix.usable, 1)
    if prefix.covered > 0 and covered_share >= used_share:
        return prefix.covered, prefix.size
    return prefix.used, prefix.usable


def _insert_samples(
    session: Session, subject_kind: str, rows: Sequence[tuple[int, int, int]], at: datetime
) -> None:
    columns: dict[str, list[Any]] = {
        "subject_kind": [subject_kind] * len(rows),
        "subject_id": [row[0] for row in rows],
        "at": [at] * len(rows),
        "used": [row[1] for row in rows],
        "total": [row[2] for row in rows],
        "percent": [_percent(row[1], row[2]) for row in rows],
    }
    insert_columns(session, UtilizationSample, columns)


def _percent(used: int, total: int) -> float:
    if total <= 0:
        return 100.0 if used > 0 else 0.0
    return 100.0 * used / total


def _settle_findings(tx: Transaction, prefixes: Sequence[Prefix]) -> None:
    """Move the findings of the prefixes whose settled level changes; the others cost nothing."""
    moving = [(prefix, _settled(prefix)) for prefix in prefixes]
    moving = [(prefix, level) for prefix, level in moving if level.value != prefix.finding_level]
    if not moving:
        return
    found = stored.open_findings(tx.session, THRESHOLD, "prefix", [prefix.id for prefix, _ in moving])
    for prefix, level in moving:
        _move(tx, found.get(prefix.id), prefix, level)
        prefix.finding_level = level.value


def _settled(prefix: Prefix) -> Level:
    thresholds = Thresholds(prefix.warning, prefix.critical, prefix.emergency)
    return settle_level(prefix.utilization_percent, Level(prefix.finding_level), thresholds)


def _move(tx: Transaction, finding: WatchFinding | None, prefix: Prefix, level: Level) -> None:
    if level is Level.OK:
        assert finding is not None
        _close(tx, finding, f"utilization fell to {prefix.utilization_percent:.1f} %")
        return
    label = _label(prefix)
    group = _group_path(tx.session, prefix.group_id)
    if finding is None:
        finding = WatchFinding(
            kind=THRESHOLD,
            subject_kind="prefix",
            subject_id=prefix.id,
            subject=label,
            group_id=prefix.group_id,
            level=level.value,
            percent=prefix.utilization_percent,
            opened_at=tx.now,
            changed_at=tx.now,
            note="",
        )
        tx.session.add(finding)
        tx.session.flush()
        tx.record_authorized("open", "finding", finding.id, label, after=_snapshot(finding, group))
        return
    before = _snapshot(finding, group)
    finding.level, finding.percent, finding.changed_at = level.value, prefix.utilization_percent, tx.now
    finding.group_id = prefix.group_id
    action = "raise" if _rank(level) > _rank(Level(before["level"])) else "lower"
    tx.record_authorized(action, "finding", finding.id, label, before=before, after=_snapshot(finding, group))


def _close(tx: Transaction, finding: WatchFinding, why: str) -> None:
    group = _group_path(tx.session, finding.group_id)
    before = _snapshot(finding, group)
    finding.closed_at = finding.changed_at = tx.now
    after = {**_snapshot(finding, group), "level": Level.OK.value, "reason": why}
    tx.record_authorized("close", "finding", finding.id, finding.subject, before=before, after=after)


def _rank(level: Level) -> int:
    return list(Level).index(level)


def _label(prefix: Prefix) -> str:
    return str(network_from_ints(prefix.first, prefix.prefixlen, version=prefix.family))


def _group_path(session: Session, group_id: int | None) -> str | None:
    if group_id is None:
        return None
    group = session.get(Group, group_id)
    return None if group is None else group.path


def _snapshot(finding: WatchFinding, group: str | None) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "subject": finding.subject,
        "prefix_id": finding.subject_id,
        "level": finding.level,
        "percent": round(finding.percent, 3),
        "group": group,
        "opened_at": finding.opened_at.isoformat(),
    }
