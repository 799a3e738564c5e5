"""Queries of monitoring: utilization samples, findings that stay open, and the prefixes a
transaction changed the occupancy of (noted on the session, read once before its commit)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import object_session

from ipledger.store.database import Session
from ipledger.store.models import Prefix, Range, UtilizationSample, WatchFinding

__all__ = [
    "delete_samples",
    "delete_series",
    "forget_group",
    "latest_sample_ids",
    "latest_samples",
    "list_findings",
    "list_prefixes_by_id",
    "list_sample_times",
    "list_series",
    "list_watched_prefixes",
    "list_watched_ranges",
    "note_occupancy_changed",
    "note_range_changed",
    "noted_changes",
    "open_findings",
    "restore_notes",
    "take_changed_prefixes",
    "take_changed_ranges",
]

_CHANGED = "ipledger.occupancy_changed"
_RANGES_CHANGED = "ipledger.ranges_changed"
_CHUNK = 500


def note_occupancy_changed(prefix: Prefix) -> None:
    """Remember that this transaction changed ``prefix``'s utilization (sampled before commit)."""
    session = object_session(prefix)
    if session is not None:
        session.info.setdefault(_CHANGED, {})[id(prefix)] = prefix


def note_range_changed(item: Range) -> None:
    """Remember that this transaction changed how many addresses the range holds."""
    session = object_session(item)
    if session is not None:
        session.info.setdefault(_RANGES_CHANGED, {})[id(item)] = item


def noted_changes(session: Session) -> tuple[dict[int, Prefix], dict[int, Range]]:
    """The notes so far, to put back with :func:`restore_notes` when a savepoint rolls back."""
    return dict(session.info.get(_CHANGED, {})), dict(session.info.get(_RANGES_CHANGED, {}))


def restore_notes(session: Session, notes: tuple[dict[int, Prefix], dict[int, Range]]) -> None:
    session.info[_CHANGED], session.info[_RANGES_CHANGED] = dict(notes[0]), dict(notes[1])


def take_changed_ranges(session: Session) -> list[Range]:
    noted: dict[int, Range] = session.info.pop(_RANGES_CHANGED, {})
    return [item for item in noted.values() if item in session and item not in session.deleted]


def take_changed_prefixes(session: Session) -> list[Prefix]:
    """The prefixes noted since the last call, still in the ledger (deleted ones are skipped)."""
    noted: dict[int, Prefix] = session.info.pop(_CHANGED, {})
    return [prefix for prefix in noted.values() if prefix in session and prefix not in session.deleted]


def latest_samples(
    session: Session, subject_kind: str, subject_ids: Sequence[int] | None = None
) -> dict[int, tuple[int, int]]:
    """The (used, total) of the latest sample of every subject of this kind (or of these)."""
    statement = select(func.max(UtilizationSample.id).label("id")).where(
        UtilizationSample.subject_kind == subject_kind
    )
    if subject_ids is not None:
        statement = statement.where(UtilizationSample.subject_id.in_(subject_ids))
    latest = statement.group_by(UtilizationSample.subject_id).subquery()
    rows = session.execute(
        select(UtilizationSample.subject_id, UtilizationSample.used, UtilizationSample.total).join(
            latest, UtilizationSample.id == latest.c.id
        )
    )
    return {row.subject_id: (row.used, row.total) for row in rows}


def latest_sample_ids(session: Session) -> set[int]:
    """The id of the latest sample of every series."""
    statement = select(func.max(UtilizationSample.id)).group_by(
        UtilizationSample.subject_kind, UtilizationSample.subject_id
    )
    return set(session.scalars(statement))


def list_series(
    session: Session, subject_kind: str, subject_id: int, *, since: datetime | None, until: datetime | None
) -> Sequence[UtilizationSample]:
    statement = select(UtilizationSample).where(
        UtilizationSample.subject_kind == subject_kind, UtilizationSample.subject_id == subject_id
    )
    if since is not None:
        statement = statement.where(UtilizationSample.at >= since)
    if until is not None:
        statement = statement.where(UtilizationSample.at <= until)
    return session.scalars(statement.order_by(UtilizationSample.at, UtilizationSample.id)).all()


def list_sample_times(session: Session, *, before: datetime) -> Iterable[Any]:
    """(id, subject_kind, subject_id, at) of every sample older than ``before``, series by series."""
    return session.execute(
        select(
            UtilizationSample.id,
            UtilizationSample.subject_kind,
            UtilizationSample.subject_id,
            UtilizationSample.at,
        )
        .where(UtilizationSample.at < before)
        .order_by(UtilizationSample.subject_kind, UtilizationSample.subject_id, UtilizationSample.at)
    )


def delete_samples(session: Session, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            delete(UtilizationSample).where(UtilizationSample.id.in_(ids[start : start + _CHUNK]))
        )


def delete_series(session: Session, subject_kind: str, subject_ids: Sequence[int]) -> None:
    for start in range(0, len(subject_ids), _CHUNK):
        session.execute(
            delete(UtilizationSample).where(
                UtilizationSample.subject_kind == subject_kind,
                UtilizationSample.subject_id.in_(subject_ids[start : start + _CHUNK]),
            )
        )


def open_findings(
    session: Session, kind: str, subject_kind: str, subject_ids: Iterable[int] | None
) -> dict[int, WatchFinding]:
    """The open findings of ``kind`` by subject id (of these subjects, or of every subject)."""
    statement = select(WatchFinding).where(
        WatchFinding.kind == kind, WatchFinding.subject_kind == subject_kind, WatchFinding.closed_at.is_(None)
    )
    if subject_ids is not None:
        ids = list(subject_ids)
        found: dict[int, WatchFinding] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = statement.where(WatchFinding.subject_id.in_(ids[start : start + _CHUNK]))
            found.update({row.subject_id: row for row in session.scalars(chunk)})
        return found
    return {row.subject_id: row for row in session.scalars(statement)}


def list_findings(
    session: Session,
    *,
    kind: str | None,
    levels: Sequence[str] | None,
    group_ids: Sequence[int] | None,
    is_open: bool | None,
    is_acknowledged: bool | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[WatchFinding], int]:
    statement = select(WatchFinding)
    if kind is not None:
        statement = statement.where(WatchFinding.kind == kind)
    if levels is not None:
        statement = statement.where(WatchFinding.level.in_(levels))
    if group_ids is not None:
        statement = statement.where(WatchFinding.group_id.in_(group_ids))
    if is_open is not None:
        closed = WatchFinding.closed_at
        statement = statement.where(closed.is_(None) if is_open else closed.is_not(None))
    if is_acknowledged is not None:
        acked = WatchFinding.acknowledged_at
        statement = statement.where(acked.is_not(None) if is_acknowledged else acked.is_(None))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(statement.order_by(WatchFinding.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def forget_group(session: Session, group_id: int) -> None:
    """The group is being deleted: its findings (closed ones, since it holds nothing) keep no group."""
    session.execute(update(WatchFinding).where(WatchFinding.group_id == group_id).values(group_id=None))


def list_watched_prefixes(session: Session) -> Sequence[Prefix]:
    return session.scalars(select(Prefix).order_by(Prefix.id)).all()


def list_prefixes_by_id(session: Session, ids: Sequence[int]) -> list[Prefix]:
    found: list[Prefix] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found += session.scalars(select(Prefix).where(Prefix.id.in_(chunk)).order_by(Prefix.id)).all()
    return found


def list_watched_ranges(session: Session) -> Sequence[Range]:
    return session.scalars(select(Range).order_by(Range.id)).all()
