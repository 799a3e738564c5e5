"""Planning the end of a cluster: its networks released (deleted, with the addresses in them) or
marked deprecated, and the cluster marked decommissioned."""

from __future__ import annotations

from typing import Any

from ipledger.core.errors import ConflictError
from ipledger.core.ranges import IPRange
from ipledger.service.clusters import load_cluster, managed_label
from ipledger.service.convert import names, prefix_record
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import load_space
from ipledger.service.occupancy import span_of_range
from ipledger.service.plans import save_plan
from ipledger.service.records import PlanRecord
from ipledger.store import clusters as stored
from ipledger.store import queries

__all__ = ["plan_decommission"]


def plan_decommission(ledger: Ledger, name: str, *, actor: Actor, release: bool) -> PlanRecord:
    """Plan the end of a cluster: its prefixes and ranges released (deleted, with the addresses
    recorded inside them) or, without ``release``, marked deprecated; the cluster is marked
    decommissioned either way."""
    with ledger.reading() as session:
        cluster = load_cluster(session, name)
        if cluster.status == "decommissioned":
            raise ConflictError(f"cluster {name} is already decommissioned")
        lookup = names(session)
        label = managed_label(name)
        prefixes = [prefix_record(item, lookup) for item in stored.list_cluster_prefixes(session, label)]
        ranges = list(stored.list_cluster_ranges(session, label))
        counts = {
            str(item.network): queries.count_addresses_within(
                session, load_space(session, item.space).id, IPRange.from_network(item.network)
            )
            for item in prefixes
        }
        space_of_range = {item.id: lookup.space(item.space_id) for item in ranges}
        range_counts = {
            item.id: queries.count_addresses_within(session, item.space_id, span_of_range(item))
            for item in ranges
        }
    changes: list[dict[str, Any]] = []
    for span in ranges:
        target = {"kind": "range", "space": space_of_range[span.id], "range": str(span_of_range(span))}
        if release and range_counts[span.id]:
            changes.append(
                {
                    "action": "delete",
                    "kind": "addresses",
                    "space": target["space"],
                    "within": target["range"],
                    "count": range_counts[span.id],
                }
            )
        changes.append(
            {"action": "delete", **target}
            if release
            else {"action": "update", **target, "changes": {"status": "deprecated"}}
        )
    # Innermost first, so that a release never leaves a prefix's contents to an outer one of the cluster.
    for item in sorted(prefixes, key=lambda item: -item.network.prefixlen):
        target = {"kind": "prefix", "space": item.space, "prefix": str(item.network)}
        if release:
            if counts[str(item.network)]:
                changes.append(
                    {
                        "action": "delete",
                        "kind": "addresses",
                        "space": item.space,
                        "within": str(item.network),
                        "count": counts[str(item.network)],
                    }
                )
            changes.append({"action": "delete", **target})
        else:
            changes.append({"action": "update", **target, "changes": {"status": "deprecated"}})
    changes.append(
        {"action": "update", "kind": "cluster", "name": name, "changes": {"status": "decommissioned"}}
    )
    how = "released" if release else "marked deprecated"
    body = {
        "inputs": {"cluster": name, "release": release},
        "changes": changes,
        "checks": [
            {
                "check": "cluster networks found",
                "ok": True,
                "severity": "info",
                "detail": f"{len(prefixes)} prefix(es) and {len(ranges)} range(s) will be {how}",
            }
        ],
        "capacity": {},
    }
    summary = f"decommission cluster {name}: {len(prefixes)} prefix(es), {len(ranges)} range(s) {how}"
    return save_plan(ledger, "decommission-cluster", name, summary, body, actor=actor)
