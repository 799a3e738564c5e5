"""The clusters section of a ledger export: every cluster's settings, by name.

A cluster's networks travel as the prefixes and ranges they are (with managed_by
``cluster:<name>``); plans are history, like the audit log, and stay out of the document.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from ipledger.core.errors import InvalidInputError, LedgerError
from ipledger.service.clusters import ClusterFields, check_fields, insert_cluster
from ipledger.service.convert import names
from ipledger.service.ledger import Transaction
from ipledger.store import clusters as stored
from ipledger.store.database import Session

__all__ = ["export_clusters", "merge_clusters", "parse_clusters"]

_FIELDS = {field.name for field in fields(ClusterFields)}
_KNOWN = _FIELDS | {"name", "status"}
_STATUSES = ("active", "decommissioned")
ParsedCluster = tuple[str, ClusterFields, str]


def export_clusters(session: Session) -> list[dict[str, Any]]:
    lookup = names(session)
    exported = []
    for row in stored.list_clusters(session):
        entry: dict[str, Any] = {"name": row.name, "status": row.status}
        for name in sorted(_FIELDS):
            entry[name] = getattr(row, name, None)
        entry["space"] = lookup.space(row.space_id)
        entry["group"] = lookup.group(row.group_id)
        exported.append(entry)
    return exported


def parse_clusters(entries: list[dict[str, Any]]) -> list[ParsedCluster]:
    """Each entry checked like a new cluster; errors name the entry (``clusters[3].growth: ...``)."""
    parsed = []
    for index, entry in enumerate(entries):
        where = f"clusters[{index}]"
        unknown = sorted(set(entry) - _KNOWN)
        if unknown:
            raise InvalidInputError(
                f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(_KNOWN))})"
            )
        name, status = entry.get("name"), entry.get("status", "active")
        if not isinstance(name, str):
            raise InvalidInputError(f"{where}.name: expected text, got {name!r}")
        if status not in _STATUSES:
            raise InvalidInputError(f"{where}.status: expected one of {', '.join(_STATUSES)}, got {status!r}")
        try:
            values = ClusterFields(
                **{key: value for key, value in entry.items() if key in _FIELDS and value is not None}
            )
            parsed.append((name, check_fields(name, values), status))
        except (LedgerError, TypeError) as exc:
            raise InvalidInputError(f"{where}: {exc}") from exc
    return parsed


def merge_clusters(tx: Transaction, parsed: list[ParsedCluster]) -> int:
    """Add the clusters (after spaces and groups exist); one that exists already is a conflict."""
    for name, values, status in parsed:
        insert_cluster(tx, name, values, status=status)
    return len(parsed)
