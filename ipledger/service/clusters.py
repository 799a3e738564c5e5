"""Clusters: record a Kubernetes cluster, see its networks with their utilization and capacity.

A cluster's networks are ordinary prefixes and ranges of the ledger whose ``managed_by`` is
``cluster:<name>`` and whose role says what they are (pod, service, node, loadbalancer,
expansion-reserve). Plans create them (see ``cluster_plans``); they can also be recorded by hand
with that ``managed_by``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from ipledger.core.capacity import Capacity, Sizing, measure_cluster, parse_ipam_mode, parse_provider
from ipledger.core.cluster_checks import ClusterNetwork, check_networks
from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError
from ipledger.core.findings import Finding
from ipledger.service.cluster_overlaps import load_claims, overlap_findings
from ipledger.service.convert import Names, names, prefix_record, range_record, snapshot
from ipledger.service.fields import refuse_unknown_fields, require_version
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.lookup import DEFAULT_SPACE, group_ids, load_group, load_space
from ipledger.service.records import ClusterRecord, PrefixRecord, RangeRecord
from ipledger.service.watch import forget_subject
from ipledger.store import clusters as stored
from ipledger.store import metrics as stored_metrics
from ipledger.store import observed
from ipledger.store.database import Session
from ipledger.store.models import Cluster

__all__ = [
    "ClusterDetail",
    "ClusterFields",
    "ClusterSummary",
    "create_cluster",
    "delete_cluster",
    "insert_cluster",
    "list_clusters",
    "load_cluster",
    "managed_label",
    "measure",
    "show_cluster",
    "update_cluster",
]

NETWORK_ROLES = ("pod", "service", "node", "loadbalancer")
_CLAIM_ROLES = (*NETWORK_ROLES, "expansion-reserve")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True, slots=True)
class ClusterFields:
    """What is recorded about a cluster besides its name (the defaults are stated in `--help`)."""

    space: str = DEFAULT_SPACE
    group: str | None = None
    provider: str = "other"
    ipam_mode: str = "kube-controller-manager"
    max_pods: int = 110
    node_prefixlen: int | None = None
    node_prefixlen_v6: int | None = None
    expected_nodes: int = 3
    growth: float = 2.0
    expected_services: int | None = None
    # The instance type's ENIs, IPv4 addresses per ENI and vCPUs (AWS VPC CNI modes only): the
    # max-pods formula then checks max pods against what the instance can address.
    eni_count: int | None = None
    ips_per_eni: int | None = None
    vcpus: int | None = None
    dual_stack: bool = False
    description: str = ""


_UPDATABLE = {field.name for field in fields(ClusterFields)} - {"space"} | {"status"}
_STATUSES = ("active", "decommissioned")


@dataclass(frozen=True, slots=True)
class LastSync:
    """When the cluster was last synced, how that ended, and why it failed if it did."""

    started_at: datetime
    status: str
    error: str
    source: str


@dataclass(frozen=True, slots=True)
class ClusterDetail:
    cluster: ClusterRecord
    prefixes: tuple[PrefixRecord, ...]
    ranges: tuple[RangeRecord, ...]
    capacity: tuple[tuple[int, Capacity], ...]  # per address family
    findings: tuple[Finding, ...]
    last_sync: LastSync | None = None


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    cluster: ClusterRecord
    networks: dict[str, tuple[str, ...]]  # role -> CIDRs and ranges
    pod_percent: float | None  # pod IPs in use of the pod networks, at the last sync (else the records)
    headroom_nodes: int | None


def managed_label(name: str) -> str:
    return f"cluster:{name}"


def check_fields(name: str, values: ClusterFields) -> ClusterFields:
    """The fields with provider and IPAM mode in canonical form.

    Raises:
        InvalidInputError: a bad name, an unknown provider or mode, or impossible sizes.
    """
    if _NAME.fullmatch(name) is None:
        raise InvalidInputError(
            f"cluster name {name!r} must start with a letter or digit and hold only letters, digits, "
            "'.', '_' and '-' (at most 100)",
            field="name",
        )
    checked = replace(
        values,
        provider=parse_provider(values.provider).value,
        ipam_mode=parse_ipam_mode(values.ipam_mode).value,
    )
    for family in (4, 6):
        sizing_of(checked, family)  # the sizing itself refuses impossible values
    return checked


def sizing_of(values: ClusterFields | ClusterRecord | Cluster, family: int) -> Sizing:
    return Sizing(
        mode=parse_ipam_mode(values.ipam_mode),
        provider=parse_provider(values.provider),
        family=family,
        max_pods=values.max_pods,
        expected_nodes=values.expected_nodes,
        growth=values.growth,
        node_prefixlen=values.node_prefixlen if family == 4 else values.node_prefixlen_v6,
        expected_services=values.expected_services,
        eni_count=values.eni_count,
        ips_per_eni=values.ips_per_eni,
        vcpus=values.vcpus,
    )


def create_cluster(ledger: Ledger, name: str, values: ClusterFields, *, actor: Actor) -> ClusterRecord:
    """Record an existing cluster (a new one is better planned: ``cluster_plans.plan_cluster``).

    Raises:
        ConflictError: a cluster of that name exists.
        InvalidInputError: see :func:`check_fields`.
        NotFoundError: the space or group does not exist.
    """
    checked = check_fields(name, values)
    with ledger.transaction(actor) as tx:
        return cluster_record(insert_cluster(tx, name, checked, status="active"), tx.session)


def insert_cluster(tx: Transaction, name: str, values: ClusterFields, *, status: str) -> Cluster:
    session = tx.session
    existing = stored.find_cluster(session, name)
    if existing is not None:
        raise ConflictError(
            f"cluster {name} already exists (status {existing.status})",
            existing=cluster_record(existing, session),
        )
    space = load_space(session, values.space)
    group = None if values.group is None else load_group(session, values.group)
    row = Cluster(
        name=name,
        space_id=space.id,
        group_id=None if group is None else group.id,
        status=status,
        created_at=tx.now,
        updated_at=tx.now,
        version=1,
        **{
            field.name: getattr(values, field.name)
            for field in fields(ClusterFields)
            if field.name not in ("space", "group")
        },
    )
    session.add(row)
    session.flush()
    tx.record("create", "cluster", row.id, name, after=snapshot(row, names(session)))
    return row


def update_cluster(
    ledger: Ledger, name: str, changes: dict[str, Any], *, actor: Actor, expected_version: int | None = None
) -> ClusterRecord:
    """Change some fields of a cluster (not its name or space: its networks live there).

    Raises:
        InvalidInputError: an unknown field or a bad value; StaleVersionError: ``expected_version``
        is not the current one.
    """
    refuse_unknown_fields("cluster", changes, _UPDATABLE)
    if "status" in changes and changes["status"] not in _STATUSES:
        raise InvalidInputError(f"cluster status must be one of {', '.join(_STATUSES)}", field="status")
    with ledger.transaction(actor) as tx:
        session = tx.session
        row = load_cluster(session, name)
        require_version(
            f"cluster {name}",
            expected=expected_version,
            actual=row.version,
            current=lambda: cluster_record(row, session),
        )
        before = snapshot(row, names(session))
        values = {
            **_fields_of(row, session),
            **{key: value for key, value in changes.items() if key != "status"},
        }
        checked = check_fields(name, ClusterFields(**values))
        for key in changes:
            if key == "group":
                row.group_id = None if checked.group is None else load_group(session, checked.group).id
            elif key == "status":
                row.status = changes["status"]
            else:
                setattr(row, key, getattr(checked, key))
        row.updated_at = tx.now
        row.version += 1
        tx.record("update", "cluster", row.id, name, before=before, after=snapshot(row, names(session)))
        return cluster_record(row, session)


def delete_cluster(
    ledger: Ledger, name: str, *, actor: Actor, expected_version: int | None = None
) -> ClusterRecord:
    """Forget a cluster that manages no prefix or range any more, or that is decommissioned
    (its deprecated networks keep ``managed_by`` as history), with its sync history.

    Raises:
        ConflictError: it still manages networks (decommission it with a plan first).
        StaleVersionError: ``expected_version`` is not the current one.
    """
    with ledger.transaction(actor) as tx:
        session = tx.session
        row = load_cluster(session, name)
        require_version(
            f"cluster {name}",
            expected=expected_version,
            actual=row.version,
            current=lambda: cluster_record(row, session),
        )
        label = managed_label(name)
        held = len(stored.list_cluster_prefixes(session, label)) + len(
            stored.list_cluster_ranges(session, label)
        )
        if held and row.status != "decommissioned":
            raise ConflictError(
                f"cluster {name} still manages {held} prefix(es) or range(s): decommission it first "
                f"(`ipledger cluster decommission {name}`), then apply that plan"
            )
        record = cluster_record(row, session)
        tx.record("delete", "cluster", row.id, name, before=snapshot(row, names(session)))
        observed.forget_cluster(session, row.id)
        forget_subject(tx, "cluster", row.id)
        session.delete(row)
        return record


def show_cluster(ledger: Ledger, name: str) -> ClusterDetail:
    """The cluster, its networks with their utilization, its capacity worked out per family and
    what is wrong with its networks (overlaps, special ranges, capacity)."""
    with ledger.reading() as session:
        row = load_cluster(session, name)
        lookup = names(session)
        label = managed_label(name)
        prefixes = tuple(prefix_record(item, lookup) for item in stored.list_cluster_prefixes(session, label))
        ranges = tuple(range_record(item, lookup) for item in stored.list_cluster_ranges(session, label))
        record = cluster_record(row, session)
        synced = observed.find_last_sync(session, row.id)
        last = (
            None
            if synced is None
            else LastSync(synced.started_at, synced.status, synced.error, synced.source)
        )
        claims = load_claims(session, lookup)
    capacity = measure(record, prefixes)
    # Its reserves count too: the network grows into them, so they must stay clear of the rest.
    networks = [ClusterNetwork(item.role, item.network) for item in prefixes if item.role in _CLAIM_ROLES]
    findings = check_networks(networks, cluster=name)
    findings += overlap_findings(claims, only=name)
    for _, worked in capacity:
        findings.extend(worked.findings)
    return ClusterDetail(record, prefixes, ranges, capacity, tuple(findings), last)


def measure(
    cluster: ClusterRecord | ClusterFields, prefixes: tuple[PrefixRecord, ...]
) -> tuple[tuple[int, Capacity], ...]:
    """The capacity of the cluster per family it has networks in (IPv4 when it has none yet).

    With several networks of one role in a family, the largest counts (the others are usually
    being retired or added); ``cluster show`` lists them all."""
    families = sorted({item.network.version for item in prefixes if item.role in NETWORK_ROLES}) or [4]
    result = []
    for family in families:
        lengths = {
            role: min(
                (
                    item.network.prefixlen
                    for item in prefixes
                    if item.role == role and item.network.version == family
                ),
                default=None,
            )
            for role in ("pod", "service", "node")
        }
        result.append(
            (
                family,
                measure_cluster(
                    sizing_of(cluster, family),
                    pod_prefixlen=lengths["pod"],
                    service_prefixlen=lengths["service"],
                    node_subnet_prefixlen=lengths["node"],
                ),
            )
        )
    return tuple(result)


def list_clusters(
    ledger: Ledger, *, space: str | None = None, group: str | None = None
) -> list[ClusterSummary]:
    """Every cluster (of a space, or of a group and the groups below it) with its networks,
    the utilization of its pod networks and its headroom in nodes."""
    with ledger.reading() as session:
        rows = stored.list_clusters(
            session,
            space_id=None if space is None else load_space(session, space).id,
            group_ids=group_ids(session, group, descendants=True),
        )
        labels = [managed_label(row.name) for row in rows]
        lookup = names(session)
        prefixes = stored.list_prefixes_managed_by(session, labels)
        ranges = stored.list_ranges_managed_by(session, labels)
        lookup.prefetch_groups([row.group_id for row in rows])
        lookup.prefetch_groups([item.group_id for item in prefixes])
        lookup.prefetch_groups([item.group_id for item in ranges])
        by_label: dict[str, list[PrefixRecord]] = {label: [] for label in labels}
        for item in prefixes:
            by_label[item.managed_by].append(prefix_record(item, lookup))
        spans: dict[str, list[RangeRecord]] = {label: [] for label in labels}
        for span in ranges:
            spans[span.managed_by].append(range_record(span, lookup))
        synced = stored_metrics.latest_cluster_samples(session)
        loaded = [
            (
                cluster_record(row, session, lookup),
                tuple(by_label[label]),
                tuple(spans[label]),
                synced.get(row.id),
            )
            for row, label in zip(rows, labels, strict=True)
        ]
    return [_summary(*item) for item in loaded]


def _summary(
    record: ClusterRecord,
    prefixes: tuple[PrefixRecord, ...],
    ranges: tuple[RangeRecord, ...],
    synced: tuple[int, int] | None,
) -> ClusterSummary:
    """``synced`` is the (in use, size) of the pod IPs at the last sync, the cluster's own figure;
    before any sync the address records of the pod prefixes stand in."""
    networks: dict[str, tuple[str, ...]] = {}
    for item in prefixes:
        networks[item.role] = (*networks.get(item.role, ()), str(item.network))
    for span in ranges:
        networks[span.role] = (*networks.get(span.role, ()), str(span.span))
    pods = [item for item in prefixes if item.role == "pod"]
    if synced is not None:
        used, usable = synced
    else:
        used, usable = sum(item.usage.used for item in pods), sum(item.usage.usable for item in pods)
    percent = None if not pods or usable == 0 else round(100.0 * used / usable, 2)
    headrooms = [
        worked.headroom_nodes for _, worked in measure(record, prefixes) if worked.headroom_nodes is not None
    ]
    return ClusterSummary(record, networks, percent, min(headrooms) if headrooms else None)


def load_cluster(session: Session, name: str) -> Cluster:
    row = stored.find_cluster(session, name)
    if row is None:
        known = ", ".join(item.name for item in stored.list_clusters(session)) or "none yet"
        raise NotFoundError(f"no cluster named {name!r} (clusters: {known})")
    return row


def cluster_record(row: Cluster, session: Session, lookup: Names | None = None) -> ClusterRecord:
    lookup = lookup or names(session)
    return ClusterRecord(
        id=row.id,
        name=row.name,
        space=lookup.space(row.space_id),
        group=lookup.group(row.group_id),
        status=row.status,
        provider=row.provider,
        ipam_mode=row.ipam_mode,
        max_pods=row.max_pods,
        node_prefixlen=row.node_prefixlen,
        node_prefixlen_v6=row.node_prefixlen_v6,
        expected_nodes=row.expected_nodes,
        growth=row.growth,
        expected_services=row.expected_services,
        eni_count=row.eni_count,
        ips_per_eni=row.ips_per_eni,
        vcpus=row.vcpus,
        dual_stack=row.dual_stack,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        sync_kubeconfig=row.sync_kubeconfig,
        sync_context=row.sync_context,
        sync_every_minutes=row.sync_every_minutes,
    )


def _fields_of(row: Cluster, session: Session) -> dict[str, Any]:
    lookup = names(session)
    values = {
        field.name: getattr(row, field.name)
        for field in fields(ClusterFields)
        if field.name not in ("space", "group")
    }
    return {**values, "space": lookup.space(row.space_id), "group": lookup.group(row.group_id)}
