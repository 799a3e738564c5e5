"""Findings that stay open while their condition lasts (a prefix over a threshold): listing them
with filters, and acknowledging one with a note (an audited change of kind ``finding``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.thresholds import Level
from ipledger.service.convert import names
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import group_ids
from ipledger.store import watch as stored
from ipledger.store.models import WatchFinding

__all__ = ["FindingRecord", "acknowledge_finding", "list_standing_findings"]

_LEVELS = frozenset({Level.WARNING.value, Level.CRITICAL.value, Level.EMERGENCY.value})
_NOTE_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class FindingRecord:
    id: int
    kind: str
    subject_kind: str
    subject_id: int
    subject: str
    group: str | None
    level: str
    percent: float
    opened_at: datetime
    changed_at: datetime
    closed_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    note: str


def list_standing_findings(
    ledger: Ledger,
    *,
    kind: str | None = None,
    levels: Sequence[str] | None = None,
    group: str | None = None,
    state: str = "open",
    acknowledged: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[FindingRecord], int]:
    """The findings, newest first, and how many match: ``state`` open, closed or all; ``group``
    takes its subtree; ``levels`` any of warning, critical, emergency."""
    if state not in ("open", "closed", "all"):
        raise InvalidInputError(f"state {state!r}: expected open, closed or all", field="state")
    unknown = sorted(set(levels or ()) - _LEVELS)
    if unknown:
        raise InvalidInputError(
            f"level {unknown[0]!r}: expected warning, critical or emergency", field="level"
        )
    with ledger.reading() as session:
        rows, total = stored.list_findings(
            session,
            kind=kind,
            levels=levels or None,
            group_ids=group_ids(session, group, descendants=True),
            is_open=None if state == "all" else state == "open",
            is_acknowledged=acknowledged,
            limit=limit,
            offset=offset,
        )
        lookup = names(session)
        return [_record(row, lookup.group(row.group_id)) for row in rows], total


def acknowledge_finding(ledger: Ledger, finding_id: int, *, actor: Actor, note: str = "") -> FindingRecord:
    """Mark the finding as seen by ``actor``, with a note (it stays open until its condition
    clears). Needs editor on the finding's group.

    Raises:
        NotFoundError: no finding with this id.
        InvalidInputError: a note longer than 2000 characters.
    """
    if len(note) > _NOTE_LIMIT:
        raise InvalidInputError(f"the note has {len(note)} characters; at most {_NOTE_LIMIT}", field="note")
    with ledger.transaction(actor) as tx:
        row = tx.session.get(WatchFinding, finding_id)
        if row is None:
            raise NotFoundError(f"no finding #{finding_id}")
        group = names(tx.session).group(row.group_id)
        before = _snapshot(row, group)
        row.acknowledged_by, row.acknowledged_at, row.note = tx.actor, tx.now, note
        tx.record("acknowledge", "finding", row.id, row.subject, before=before, after=_snapshot(row, group))
        return _record(row, group)


def _record(row: WatchFinding, group: str | None) -> FindingRecord:
    return FindingRecord(
        row.id,
        row.kind,
        row.subject_kind,
        row.subject_id,
        row.subject,
        group,
        row.level,
        row.percent,
        row.opened_at,
        row.changed_at,
        row.closed_at,
        row.acknowledged_by,
        row.acknowledged_at,
        row.note,
    )


def _snapshot(row: WatchFinding, group: str | None) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "subject": row.subject,
        "level": row.level,
        "group": group,
        "acknowledged_by": row.acknowledged_by,
        "note": row.note,
    }
