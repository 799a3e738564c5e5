"""Turning stored rows into read records and into the JSON snapshots of the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ipledger.core.addresses import address_from_int
from ipledger.core.thresholds import Level, Thresholds
from ipledger.service.occupancy import network_of, span_of_range, usage_of
from ipledger.service.records import AddressRecord, GroupRecord, PrefixRecord, RangeRecord, SpaceRecord
from ipledger.store import catalog
from ipledger.store.database import Session
from ipledger.store.models import Address, Cluster, Group, Prefix, Range, Space

__all__ = [
    "Names",
    "address_record",
    "group_record",
    "prefix_record",
    "range_record",
    "snapshot",
    "space_record",
]


class _Names:
    """Space names and group paths by id, loaded once per call instead of once per row."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._spaces: dict[int, str] = {}
        self._groups: dict[int, str] = {}

    def space(self, space_id: int) -> str:
        if space_id not in self._spaces:
            # The session's identity map usually holds the space already: no query then.
            space = self._session.get(Space, space_id)
            self._spaces[space_id] = "?" if space is None else space.name
        return self._spaces[space_id]

    def group(self, group_id: int | None) -> str | None:
        if group_id is None:
            return None
        if group_id not in self._groups:
            self.prefetch_groups([group_id])
        return self._groups.get(group_id, "?")

    def prefetch_groups(self, group_ids: Iterable[int | None]) -> _Names:
        """Load the paths of these groups in one query (a listing calls this for its page)."""
        wanted = {key for key in group_ids if key is not None and key not in self._groups}
        if wanted:
            self._groups.update(catalog.group_paths_by_id(self._session, wanted))
        return self


Names = _Names  # the type of a lookup, for functions that take one


def names(session: Session) -> _Names:
    return _Names(session)


def space_record(space: Space) -> SpaceRecord:
    return SpaceRecord(space.id, space.name, space.description, space.version)


def group_record(group: Group) -> GroupRecord:
    parent_path = group.path.rpartition("/")[0] or None
    return GroupRecord(
        group.id,
        group.path,
        group.name,
        parent_path,
        group.description,
        group.owner,
        group.environment,
        tuple(group.tags),
        group.version,
    )


def prefix_record(prefix: Prefix, lookup: _Names) -> PrefixRecord:
    return PrefixRecord(
        id=prefix.id,
        space=lookup.space(prefix.space_id),
        network=network_of(prefix),
        status=prefix.status,
        role=prefix.role,
        group=lookup.group(prefix.group_id),
        managed_by=prefix.managed_by,
        description=prefix.description,
        tags=tuple(prefix.tags),
        is_pool=prefix.is_pool,
        thresholds=Thresholds(prefix.warning, prefix.critical, prefix.emergency),
        unit_prefixlen=prefix.unit_prefixlen,
        usage=usage_of(prefix),
        level=Level(prefix.level),
        created_at=prefix.created_at,
        updated_at=prefix.updated_at,
        version=prefix.version,
    )


def range_record(item: Range, lookup: _Names) -> RangeRecord:
    return RangeRecord(
        id=item.id,
        space=lookup.space(item.space_id),
        span=span_of_range(item),
        status=item.status,
        role=item.role,
        group=lookup.group(item.group_id),
        managed_by=item.managed_by,
        description=item.description,
        tags=tuple(item.tags),
        used=item.used,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=item.version,
    )


def address_record(item: Address, lookup: _Names) -> AddressRecord:
    return AddressRecord(
        id=item.id,
        space=lookup.space(item.space_id),
        address=address_from_int(item.value, version=item.family),
        status=item.status,
        holder_kind=item.holder_kind,
        holder_name=item.holder_name,
        dns_name=item.dns_name,
        mac=item.mac,
        source=item.source,
        last_seen=item.last_seen,
        group=lookup.group(item.group_id),
        description=item.description,
        tags=tuple(item.tags),
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=item.version,
    )


_SKIPPED = {"first", "last", "value", "family", "space_id", "group_id", "created_at", "updated_at"}
_COUNTERS = {"size", "usable", "used", "covered", "units_total", "units_used", "utilization_percent", "level"}


def snapshot(row: Space | Group | Prefix | Range | Address | Cluster, lookup: _Names) -> dict[str, Any]:
    """The user-visible fields of a row, JSON-safe, for the audit log (counters left out)."""
    data: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in _SKIPPED or column.key in _COUNTERS:
            continue
        value = getattr(row, column.key)
        data[column.key] = value.isoformat() if hasattr(value, "isoformat") else value
    if isinstance(row, Prefix):
        data["prefix"] = str(network_of(row))
    elif isinstance(row, Range):
        data["range"] = str(span_of_range(row))
    elif isinstance(row, Address):
        data["address"] = str(address_from_int(row.value, version=row.family))
    if isinstance(row, Prefix | Range | Address | Cluster):
        data["space"] = lookup.space(row.space_id)
        data["group"] = lookup.group(row.group_id)
    return data
