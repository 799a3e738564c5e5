"""Plans: proposed changes saved for review, then applied in one transaction or discarded.

Applying re-checks every change against the ledger as it is now, inside the transaction and
after taking the locks the change needs: a block planned as free must still be free, a prefix
to delete or resize must still be there. If anything no longer holds, nothing is applied and the
error says what is in the way. The audit log records the plan's creation, its application (or
discarding) and every change it made, each under the actor who applied it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ipledger.core.addresses import IPAddress, IPNetwork, address_from_int
from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError
from ipledger.core.ranges import IPRange, parse_range
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Level
from ipledger.core.utilization import Usage
from ipledger.service.addresses import remove_address
from ipledger.service.cluster_space import describe_claim, find_claims_around
from ipledger.service.clusters import ClusterFields, insert_cluster, load_cluster, managed_label
from ipledger.service.convert import names, snapshot
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.locking import lock_chain, lock_within
from ipledger.service.lookup import load_space
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.service.prefixes import change_prefix, insert_prefix, remove_prefix
from ipledger.service.ranges import change_range, remove_range
from ipledger.service.records import PlanRecord, PrefixRecord
from ipledger.service.widening import widen_prefix
from ipledger.store import clusters as stored
from ipledger.store import queries
from ipledger.store.database import Session
from ipledger.store.models import Address, Plan, Space

__all__ = [
    "AppliedPlan",
    "apply_plan",
    "describe_contents",
    "discard_plan",
    "list_plans",
    "planned_prefix",
    "save_plan",
    "show_plan",
]

PROPOSED, APPLIED, DISCARDED = "proposed", "applied", "discarded"
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class AppliedPlan:
    plan: PlanRecord
    done: tuple[str, ...]  # one line per change made


def save_plan(
    ledger: Ledger, kind: str, cluster: str, summary: str, body: dict[str, Any], *, actor: Actor
) -> PlanRecord:
    with ledger.transaction(actor) as tx:
        row = Plan(
            kind=kind,
            cluster=cluster,
            status=PROPOSED,
            summary=summary[:500],
            body=body,
            created_at=tx.now,
            created_by=tx.actor,
            version=1,
        )
        tx.session.add(row)
        tx.session.flush()
        tx.record(
            "create", "plan", row.id, f"plan {row.id}: {row.summary}"[:300], after=_plan_json(row, tx.session)
        )
        return plan_record(row)


def planned_prefix(
    space: str, network: IPNetwork, role: str, group: str | None, cluster: str
) -> PrefixRecord:
    """A prefix a plan proposes, as a record (never stored as such: capacity reads it)."""
    return PrefixRecord(
        id=0,
        space=space,
        network=network,
        status="reserved" if role == "expansion-reserve" else "active",
        role=role,
        group=group,
        managed_by=managed_label(cluster),
        description=f"{role} network of cluster {cluster}"
        if role != "expansion-reserve"
        else f"room for cluster {cluster} to double the network before it",
        tags=(),
        is_pool=False,
        thresholds=DEFAULT_THRESHOLDS,
        unit_prefixlen=None,
        usage=Usage(size=network.num_addresses, usable=network.num_addresses, used=0, covered=0),
        level=Level.OK,
        created_at=_EPOCH,
        updated_at=_EPOCH,
        version=0,
    )


def show_plan(ledger: Ledger, plan_id: int) -> PlanRecord:
    with ledger.reading() as session:
        return plan_record(_load(session, plan_id))


def list_plans(ledger: Ledger, *, status: str | None = None, cluster: str | None = None) -> list[PlanRecord]:
    """The newest plans first (at most 100)."""
    if status is not None and status not in (PROPOSED, APPLIED, DISCARDED):
        raise InvalidInputError(
            f"plan status must be one of {PROPOSED}, {APPLIED}, {DISCARDED}", field="status"
        )
    with ledger.reading() as session:
        return [plan_record(row) for row in stored.list_plans(session, status=status, cluster=cluster)]


def discard_plan(ledger: Ledger, plan_id: int, *, actor: Actor) -> PlanRecord:
    """Set a proposed plan aside; it stays readable, but can no longer be applied."""
    with ledger.transaction(actor) as tx:
        row = _proposed(tx.session, plan_id)
        _decide(tx, row, DISCARDED)
        return plan_record(row)


def apply_plan(ledger: Ledger, plan_id: int, *, actor: Actor) -> AppliedPlan:
    """Carry out every change of a proposed plan in one transaction, or none of them.

    Raises:
        NotFoundError: no such plan.
        ConflictError: the plan is not proposed any more, one of its checks failed, or the
            ledger changed so that a change no longer fits (the message says what is in the way).
    """
    with ledger.transaction(actor) as tx:
        row = _proposed(tx.session, plan_id)
        failed = [check for check in row.body.get("checks", []) if not check["ok"]]
        if failed:
            raise ConflictError(
                f"plan {plan_id} failed {len(failed)} check(s) when it was made ({failed[0]['detail']}): "
                "discard it and plan again"
            )
        done = []
        for change in row.body["changes"]:
            try:
                done.append(_apply_change(tx, change))
            except (ConflictError, NotFoundError) as error:
                raise ConflictError(
                    f"plan {plan_id} cannot be applied, nothing was changed: {error}"
                ) from error
        _decide(tx, row, APPLIED)
        return AppliedPlan(plan_record(row), tuple(done))


def _apply_change(tx: Transaction, change: dict[str, Any]) -> str:
    kind, action = change["kind"], change["action"]
    if kind == "cluster":
        if action == "create":
            insert_cluster(tx, change["name"], ClusterFields(**change["fields"]), status="active")
            return f"created cluster {change['name']}"
        row = load_cluster(tx.session, change["name"])
        before = snapshot(row, names(tx.session))
        row.status = change["changes"]["status"]
        row.updated_at = tx.now
        row.version += 1
        tx.record(
            "update", "cluster", row.id, row.name, before=before, after=snapshot(row, names(tx.session))
        )
        return f"cluster {row.name} is now {row.status}"
    space = load_space(tx.session, change["space"])
    if kind == "range":
        span = parse_range(change["range"])
        if action == "delete":
            remove_range(tx, space, span)
            return f"released range {span}"
        change_range(tx, space, span, change["changes"])
        return f"range {span}: {_words(change['changes'])}"
    if kind == "addresses":
        within = change["within"]
        span = parse_range(within) if "-" in within else IPRange.from_network(_network(within))
        return _delete_addresses(tx, space, span)
    network = _network(change["prefix"])
    if action == "create":
        return _create_prefix(tx, space, network, change)
    if action == "delete":
        if change.get("empty"):
            lock_chain(tx.session, space, IPRange.from_network(network))
            held = describe_contents(tx.session, space, network)
            if held:
                raise ConflictError(f"{network} is no longer empty: it now holds {held}")
        remove_prefix(tx, space, network)
        return f"released {network}"
    if action == "resize":
        wider = _network(change["to"])
        widen_prefix(tx, space, network, wider)
        return f"widened {network} to {wider}" + (
            f" (its reserve {change['reserve']})" if "reserve" in change else ""
        )
    change_prefix(tx, space, network, change["changes"])
    return f"{network}: {_words(change['changes'])}"


def _create_prefix(tx: Transaction, space: Space, network: IPNetwork, change: dict[str, Any]) -> str:
    session = tx.session
    span = IPRange.from_network(network)
    pool = _network(change["pool"])
    lock_chain(session, space, span)
    lock_within(session, space, span)
    in_the_way = _occupant(session, space, network, pool)
    if in_the_way is not None:
        raise ConflictError(f"{network} is no longer free in space {space.name}: {in_the_way}")
    insert_prefix(
        tx,
        space,
        network,
        status=change["status"],
        role=change["role"],
        group=change["group"],
        managed_by=change["managed_by"],
        description=change["description"],
        tags=(),
        is_pool=False,
        thresholds=DEFAULT_THRESHOLDS,
        unit_prefixlen=None,
    )
    return f"created {change['role']} {network} ({change['status']})"


def _occupant(session: Session, space: Space, network: IPNetwork, pool: IPNetwork) -> str | None:
    """What now takes part of ``network``: a cluster's network or reserve around it, a prefix
    inside the pool that covers it, or anything recorded inside it. A prefix around the pool that
    no cluster manages is fine: the network nests in it (see ``cluster_space``)."""
    span = IPRange.from_network(network)
    around = find_claims_around(session, space.id, span)
    if around:
        return f"it lies in {describe_claim(around[0])}"
    for item in queries.list_prefixes_containing(session, space.id, span):
        if item.prefixlen > pool.prefixlen:
            return f"{describe_claim(item)} now covers it"
    inside = queries.list_prefixes_within(session, space.id, span)
    if inside:
        return f"{describe_claim(inside[0])} was recorded inside it"
    ranges = queries.list_ranges_overlapping(session, space.id, span)
    if ranges:
        return f"{describe_claim(ranges[0])} was recorded in it"
    addresses = queries.list_addresses_within(session, space.id, span, limit=1)
    if addresses:
        return f"address {address_of(addresses[0])} was recorded in it"
    return None


def describe_contents(session: Session, space: Space, network: IPNetwork) -> str:
    """What the ledger holds inside ``network`` besides the prefix itself, in words ('' if nothing)."""
    span = IPRange.from_network(network)
    parts = []
    prefixes = [
        item
        for item in queries.list_prefixes_within(session, space.id, span)
        if item.prefixlen > network.prefixlen
    ]
    if prefixes:
        parts.append(f"{len(prefixes)} prefix(es), e.g. {network_of(prefixes[0])}")
    ranges = queries.list_ranges_overlapping(session, space.id, span)
    if ranges:
        parts.append(f"{len(ranges)} range(s), e.g. {span_of_range(ranges[0])}")
    count = queries.count_addresses_within(session, space.id, span)
    if count:
        parts.append(f"{count} address(es)")
    return ", ".join(parts)


def _delete_addresses(tx: Transaction, space: Space, span: IPRange) -> str:
    rows = queries.list_addresses_within(tx.session, space.id, span)
    for row in rows:
        remove_address(tx, space, address_of(row))
    return f"released {len(rows)} address(es) in {span}"


def address_of(row: Address) -> IPAddress:
    return address_from_int(row.value, version=row.family)


def _network(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


def _words(changes: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in changes.items())


def _load(session: Session, plan_id: int, *, for_update: bool = False) -> Plan:
    row = stored.find_plan(session, plan_id, for_update=for_update)
    if row is None:
        raise NotFoundError(f"no plan with id {plan_id}")
    return row


def _proposed(session: Session, plan_id: int) -> Plan:
    row = _load(session, plan_id, for_update=True)
    if row.status != PROPOSED:
        when = "" if row.decided_at is None else f" at {row.decided_at:%Y-%m-%d %H:%M} UTC"
        raise ConflictError(
            f"plan {plan_id} was {row.status} by {row.decided_by}{when}; "
            "only a proposed plan can be applied or discarded"
        )
    return row


def _decide(tx: Transaction, row: Plan, status: str) -> None:
    before = _plan_json(row, tx.session)
    row.status = status
    row.decided_at = tx.now
    row.decided_by = tx.actor
    row.version += 1
    action = "apply" if status == APPLIED else "discard"
    tx.record(
        action,
        "plan",
        row.id,
        f"plan {row.id}: {row.summary}"[:300],
        before=before,
        after=_plan_json(row, tx.session),
    )


def _plan_json(row: Plan, session: Session) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "cluster": row.cluster,
        "group": _plan_group(row, session),
        "status": row.status,
        "summary": row.summary,
        "changes": row.body.get("changes", []),
    }


def _plan_group(row: Plan, session: Session) -> str | None:
    """The group of the plan's cluster (the one a new cluster will have): who may plan for it."""
    cluster = stored.find_cluster(session, row.cluster)
    if cluster is not None:
        return names(session).group(cluster.group_id)
    group: str | None = row.body.get("inputs", {}).get("cluster", {}).get("group")
    return group


def plan_record(row: Plan) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        kind=row.kind,
        cluster=row.cluster,
        status=row.status,
        summary=row.summary,
        body=row.body,
        created_at=row.created_at,
        created_by=row.created_by,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        version=row.version,
    )
