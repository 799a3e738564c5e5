"""Factories for the service tests: one short call records an object, one reads back what is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ipledger.core.addresses import IPAddress, IPNetwork, parse_address, parse_prefix
from ipledger.core.findings import Severity
from ipledger.core.ranges import IPRange, parse_range
from ipledger.core.utilization import Usage
from ipledger.service.addresses import AddressFields, create_address
from ipledger.service.allocation import list_free_space
from ipledger.service.audit import list_changes
from ipledger.service.bulk import ImportSummary
from ipledger.service.checks import check_ledger
from ipledger.service.clusters import ClusterFields, create_cluster
from ipledger.service.groups import create_group
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import create_prefix, show_prefix
from ipledger.service.ranges import create_range
from ipledger.service.records import (
    AddressRecord,
    ChangeRecord,
    ClusterRecord,
    GroupRecord,
    PrefixRecord,
    RangeRecord,
)
from ipledger.store.models import Base

__all__ = [
    "ACTOR",
    "add_address",
    "add_cluster",
    "add_group",
    "add_prefix",
    "add_range",
    "all_changes",
    "count_rows",
    "created_by",
    "error_findings",
    "free_blocks",
    "ip",
    "net",
    "prefix_of",
    "span",
    "stored_state",
    "usage_of",
]

ACTOR = "alice"


def net(text: str) -> IPNetwork:
    return parse_prefix(text)


def ip(text: str) -> IPAddress:
    return parse_address(text)


def span(text: str) -> IPRange:
    """``start-end``, a CIDR, or one address, as an IPRange."""
    if "-" in text:
        return parse_range(text)
    if "/" in text:
        return IPRange.from_network(net(text))
    return IPRange.from_address(ip(text))


def add_prefix(ledger: Ledger, cidr: str, **options: Any) -> PrefixRecord:
    return create_prefix(ledger, net(cidr), actor=options.pop("actor", ACTOR), **options)


def add_range(ledger: Ledger, text: str, **options: Any) -> RangeRecord:
    return create_range(ledger, parse_range(text), actor=options.pop("actor", ACTOR), **options)


def add_address(ledger: Ledger, text: str, *, space: str = "global", **fields: Any) -> AddressRecord:
    actor = fields.pop("actor", ACTOR)
    return create_address(ledger, ip(text), actor=actor, space=space, fields=AddressFields(**fields))


def add_group(ledger: Ledger, path: str, **options: Any) -> GroupRecord:
    return create_group(ledger, path, actor=options.pop("actor", ACTOR), parents=True, **options)


def add_cluster(ledger: Ledger, name: str, **fields: Any) -> ClusterRecord:
    """Record a cluster by hand (``fields`` as in ClusterFields); its networks are added with
    ``add_prefix(..., managed_by=f"cluster:{name}")``."""
    actor = fields.pop("actor", ACTOR)
    return create_cluster(ledger, name, ClusterFields(**fields), actor=actor)


def prefix_of(ledger: Ledger, cidr: str, *, space: str = "global") -> PrefixRecord:
    return show_prefix(ledger, net(cidr), space=space).prefix


def usage_of(ledger: Ledger, cidr: str, *, space: str = "global") -> Usage:
    return prefix_of(ledger, cidr, space=space).usage


def free_blocks(ledger: Ledger, parent: str, *, space: str = "global") -> list[str]:
    """The free blocks of a prefix (``a/n``) or range (``a-b``) as strings, lowest first."""
    target: IPNetwork | IPRange = parse_range(parent) if "-" in parent else net(parent)
    return [str(block) for block in list_free_space(ledger, target, space=space).blocks]


def all_changes(ledger: Ledger) -> list[ChangeRecord]:
    """The whole audit log, oldest first."""
    return list(reversed(list_changes(ledger, limit=None)))


def created_by(summary: ImportSummary) -> dict[str, int]:
    """How many objects of each kind an import created (its lists of ids left out)."""
    return {
        "spaces": summary.spaces,
        "groups": summary.groups,
        "prefixes": summary.prefixes,
        "ranges": summary.ranges,
        "addresses": summary.addresses,
    }


def error_findings(ledger: Ledger) -> list[str]:
    """What ``check_ledger`` reports as errors (conflicts, drifted counters or free space)."""
    return [
        f"{item.subject}: {item.message}" for item in check_ledger(ledger) if item.severity is Severity.ERROR
    ]


def count_rows(ledger: Ledger, model: type[Base]) -> int:
    with ledger.reading() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# A request's own token or browser session records when it was last used: bookkeeping, not a
# change it made.
_BOOKKEEPING = {"api_tokens": "last_used_at", "browser_sessions": "last_seen_at"}


def stored_state(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a call wrote nothing."""
    with ledger.reading() as session:
        return {
            table.name: sorted(
                (
                    tuple(
                        value
                        for column, value in zip(table.columns, row, strict=True)
                        if _BOOKKEEPING.get(table.name) != column.name
                    )
                    for row in session.execute(select(table))
                ),
                key=repr,
            )
            for table in Base.metadata.sorted_tables
        }
