"""Checking the ledger: conflicts between objects, stored state that disagrees with the objects,
and prefixes past their utilization thresholds."""

from __future__ import annotations

from ipledger.core.findings import Finding, Severity
from ipledger.core.ipset import IPSet
from ipledger.core.layout import Kind, find_conflicts
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Level
from ipledger.service.inventory import derive_space, load_inventory, rebuild_space
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.occupancy import network_of
from ipledger.store import catalog, listing, objects
from ipledger.store.database import Session
from ipledger.store.models import Space

__all__ = ["check_ledger", "repair_ledger"]

_SEVERITY_OF_LEVEL = {
    Level.WARNING: Severity.INFO,
    Level.CRITICAL: Severity.WARNING,
    Level.EMERGENCY: Severity.WARNING,
}


def check_ledger(ledger: Ledger) -> list[Finding]:
    """Every conflict (error), every disagreement of stored counters or free space with the
    objects (error; ``ipledger check --repair`` rebuilds them), and every prefix at or above its
    warning threshold (info or warning)."""
    findings: list[Finding] = []
    with ledger.reading() as session:
        for space in catalog.list_spaces(session):
            for version in (4, 6):
                findings.extend(_check_space(session, space, version))
        for prefix in listing.list_prefixes_above_ok(session):
            level = Level(prefix.level)
            findings.append(
                Finding(
                    _SEVERITY_OF_LEVEL[level],
                    "threshold",
                    f"prefix {network_of(prefix)}",
                    f"{prefix.utilization_percent:.1f} % used, at or above its {level.value} mark",
                )
            )
    return findings


def _check_space(session: Session, space: Space, version: int) -> list[Finding]:
    inventory = load_inventory(session, space.id, version)
    if not inventory.items:
        return []
    findings = [
        Finding(
            Severity.ERROR, "conflict", conflict.first.label, f"{conflict.describe()} (space {space.name})"
        )
        for conflict in find_conflicts(inventory.items)
    ]
    if findings:
        return findings
    state = derive_space(inventory)
    for kind, ids in ((Kind.PREFIX, list(inventory.shapes)), (Kind.RANGE, list(inventory.range_sizes))):
        stored_blocks = objects.load_free_blocks_of(session, kind.value, ids)
        for key in ids:
            stored = IPSet.of(version, (IPRange(version, first, last) for first, last in stored_blocks[key]))
            expected = state.layout.free[(kind, key)]
            if stored != expected:
                findings.append(_drift(space, kind, key, "free space", stored, expected))
    for key, stored_counts in objects.load_prefix_counters(session, space.id, version).items():
        usage = state.usages[key]
        derived = (usage.used, usage.covered, usage.units_used)
        if stored_counts != derived:
            findings.append(
                Finding(
                    Severity.ERROR,
                    "drift",
                    f"prefix #{key}",
                    f"stored used/covered/units {stored_counts} differ from the objects {derived} "
                    f"in space {space.name}; run `ipledger check --repair`",
                )
            )
    for key, used in objects.load_range_counters(session, space.id, version).items():
        if used != state.range_used[key]:
            findings.append(
                Finding(
                    Severity.ERROR, "drift", f"range #{key}", "stored used count differs from its addresses"
                )
            )
    return findings


def _drift(space: Space, kind: Kind, key: int, what: str, stored: IPSet, expected: IPSet) -> Finding:
    return Finding(
        Severity.ERROR,
        "drift",
        f"{kind.value} #{key}",
        f"stored {what} ({stored.num_addresses} addresses) differs from the objects "
        f"({expected.num_addresses}) in space {space.name}; run `ipledger check --repair`",
    )


def repair_ledger(ledger: Ledger, *, actor: Actor) -> int:
    """Rebuild free space and counters of every space from the objects; returns spaces rebuilt."""
    with ledger.transaction(actor) as tx:
        spaces = list(catalog.list_spaces(tx.session))
        for space in spaces:
            for version in (4, 6):
                rebuild_space(tx.session, space.id, version)
        tx.record("repair", "ledger", None, "all spaces", after={"spaces": [space.name for space in spaces]})
        return len(spaces)
