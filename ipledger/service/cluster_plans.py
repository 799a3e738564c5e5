"""Plans for a new cluster's networks (growth and decommissioning: ``cluster_growth``,
``cluster_decommission``).

Planning only reads the ledger and saves the plan: a list of proposed changes, the checks they
passed or failed and the capacity worked out, for a person to review. ``plans.apply_plan`` then
carries it out in one transaction after checking it again.

A new cluster's pod, service and node networks (and a load-balancer pool when asked) are sized
with ``core.capacity`` and placed with ``core.planning`` in free space of the pools: the pools
given, or else the prefixes tagged ``pool:<role>`` in the cluster's group or the nearest group
above it. Each is placed with the block after it kept free as an expansion reserve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ipledger.core.addresses import IPNetwork, max_prefixlen
from ipledger.core.capacity import (
    Capacity,
    default_node_prefixlen,
    parse_ipam_mode,
    parse_provider,
    planned_node_subnet_prefixlen,
    required_pod_prefixlen,
    required_service_prefixlen,
    service_ip_count,
)
from ipledger.core.cluster_checks import ClusterNetwork, check_networks
from ipledger.core.errors import ConflictError, ExhaustedError, InvalidInputError
from ipledger.core.findings import Finding, Severity
from ipledger.core.ipset import IPSet
from ipledger.core.planning import BlockRequest, Placement, place_blocks
from ipledger.core.ranges import IPRange
from ipledger.service.cluster_space import cluster_of, describe_claim, find_claims_around
from ipledger.service.clusters import (
    NETWORK_ROLES,
    ClusterFields,
    check_fields,
    measure,
    sizing_of,
)
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import load_group, load_space
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.service.plans import planned_prefix, save_plan
from ipledger.service.records import PlanRecord, PrefixRecord
from ipledger.store import clusters as stored
from ipledger.store import listing, queries
from ipledger.store.database import Session
from ipledger.store.models import Group, Space

__all__ = ["capacity_json", "finding_check", "plan_cluster"]

Pools = Mapping[str, Sequence[IPNetwork]]


def plan_cluster(
    ledger: Ledger,
    name: str,
    values: ClusterFields,
    *,
    actor: Actor,
    pools: Pools,
    lb_addresses: int | None = None,
    node_subnet_prefixlen_v6: int | None = None,
    defaulted: Sequence[str] = (),
) -> PlanRecord:
    """Plan a new cluster: size its networks, place them, check them, and save the plan.

    ``defaulted`` names the fields the caller left at their defaults; the plan states each
    with its value and why it is the default. An IPv6 node subnet is a /64 (SLAAC and the
    clouds need no less) unless ``node_subnet_prefixlen_v6`` asks for another length.

    Raises:
        InvalidInputError: bad fields, a pool of the wrong space, no pool for a role.
        ExhaustedError: a network fits in none of its pools ("10.0.0.0/16 is smaller than a /15",
            "10.0.0.0/14 has no free /15 (largest free block: /16)").
        ConflictError: the cluster exists already.
    """
    checked = check_fields(name, values)
    unknown = set(pools) - set(NETWORK_ROLES)
    if unknown:
        raise InvalidInputError(f"pools for unknown role(s) {', '.join(sorted(unknown))}")
    if pools.get("loadbalancer") and lb_addresses is None:
        raise InvalidInputError("a load-balancer pool is given but no size: add --lb-addresses N")
    if lb_addresses is not None and lb_addresses < 1:
        raise InvalidInputError(f"load-balancer addresses must be at least 1, not {lb_addresses}")
    with ledger.reading() as session:
        if stored.find_cluster(session, name) is not None:
            raise ConflictError(
                f"cluster {name} already exists: plan its growth with `ipledger cluster grow {name}`"
            )
        space = load_space(session, checked.space)
        if checked.group is not None:
            load_group(session, checked.group)  # an unknown group is refused now, not at apply
        families = _families(checked, pools)
        subnets = {6: node_subnet_prefixlen_v6}
        requests, notes = _requests(session, space, checked, pools, families, lb_addresses, subnets)
        given = list(dict.fromkeys(pool for request in requests for pool in request.pools))
        free = {pool: _free_in(session, space, pool) for pool in given}
        claimed = _claimed_pools(session, space, given)
        notes += [f"pool {pool} lies in {claim}: nothing is placed there" for pool, claim in claimed.items()]
        placements = _place(requests, free, claimed)
    proposed = _proposed_prefixes(checked, name, placements)
    capacity = measure(checked, proposed)
    checks = _checks(name, placements, capacity)
    changes = [{"action": "create", "kind": "cluster", "name": name, "fields": asdict(checked)}]
    changes += [_create_change(item, pool) for item, pool in _with_pools(proposed, placements)]
    body = {
        "inputs": {
            "cluster": {"name": name, **asdict(checked)},
            "pools": {role: [str(pool) for pool in given] for role, given in pools.items()},
            "load_balancer_addresses": lb_addresses,
            "node_subnet_prefixlen_v6": node_subnet_prefixlen_v6,
            "notes": [*_default_notes(checked, defaulted, families), *notes],
        },
        "changes": changes,
        "checks": checks,
        "capacity": capacity_json(capacity),
    }
    networks = ", ".join(
        f"{item.role} {item.network}" for item in proposed if item.role != "expansion-reserve"
    )
    return save_plan(ledger, "create-cluster", name, f"create cluster {name}: {networks}", body, actor=actor)


_WHY_DEFAULT = {
    "max_pods": "the kubelet's default maxPods",
    "growth": "room to double the cluster",
    "expected_nodes": "a minimal highly-available control plane",
    "provider": "no provider-specific rules",
    "ipam_mode": "node CIDRs carved from the pod CIDR by kube-controller-manager",
    "node_prefixlen": "the IPAM mode's default per-node block",
    "node_prefixlen_v6": "the IPAM mode's default per-node block",
    "expected_services": "the planner's service CIDR",
    "space": "the default space",
}


def _default_notes(values: ClusterFields, defaulted: Sequence[str], families: tuple[int, ...]) -> list[str]:
    notes = []
    for name in defaulted:
        value = getattr(values, name, None)
        if name in ("node_prefixlen", "node_prefixlen_v6"):
            family = 4 if name == "node_prefixlen" else 6
            if family not in families:
                continue
            block = default_node_prefixlen(
                parse_ipam_mode(values.ipam_mode),
                parse_provider(values.provider),
                family=family,
                max_pods=values.max_pods,
            )
            value = "none" if block is None else f"/{block}"
        elif name == "expected_services":
            sizes = []
            for family in families:
                length = required_service_prefixlen(family=family, expected_services=None)
                sizes.append(
                    f"/{length} for IPv{family}, {service_ip_count(length, family=family):,} ClusterIPs"
                )
            notes.append(f"expected services: not given (default: {_WHY_DEFAULT[name]}, {'; '.join(sizes)})")
            continue
        if name in _WHY_DEFAULT:
            notes.append(f"{name.replace('_', ' ')}: {value} (default: {_WHY_DEFAULT[name]})")
    return notes


def _families(values: ClusterFields, pools: Pools) -> tuple[int, ...]:
    if values.dual_stack:
        return (4, 6)
    given = [pool.version for pool in pools.get("pod", ())]
    return (given[0],) if given else (4,)


def _requests(
    session: Session,
    space: Space,
    values: ClusterFields,
    pools: Pools,
    families: tuple[int, ...],
    lb_addresses: int | None,
    subnets: Mapping[int, int | None],
) -> tuple[list[BlockRequest], list[str]]:
    requests, notes = [], []
    for family in families:
        sizing = sizing_of(values, family)
        lengths = {
            "pod": required_pod_prefixlen(sizing),
            "service": required_service_prefixlen(family=family, expected_services=values.expected_services),
            "node": planned_node_subnet_prefixlen(sizing, prefixlen=subnets.get(family)),
        }
        if family == 6 and subnets.get(family) is None:
            notes.append(
                f"IPv6 node subnet: /{lengths['node']} (default: a /64 at the longest, as SLAAC and the clouds' "
                "IPv6 subnets need; give another length with --node-subnet-prefixlen-v6)"
            )
        if lb_addresses is not None:
            lengths["loadbalancer"] = max_prefixlen(family) - max(0, math.ceil(math.log2(lb_addresses)))
        for role, prefixlen in lengths.items():
            found, note = _pools_for(session, space, values, pools, role, family)
            notes.extend(note)
            requests.append(BlockRequest(role, family, prefixlen, found))
    return requests, notes


def _pools_for(
    session: Session, space: Space, values: ClusterFields, pools: Pools, role: str, family: int
) -> tuple[tuple[IPNetwork, ...], list[str]]:
    given = tuple(pool for pool in pools.get(role, ()) if pool.version == family)
    if given:
        return given, []
    tag = f"pool:{role}"
    group = None if values.group is None else load_group(session, values.group)
    while group is not None:
        query = listing.PrefixQuery(space_id=space.id, group_ids=[group.id], tag=tag, family=family)
        tagged = tuple(network_of(item) for item in listing.list_prefixes(session, query)[0])
        if tagged:
            return tagged, [f"{role} pools for IPv{family} from group {group.path} (tagged {tag})"]
        group = None if group.parent_id is None else session.get(Group, group.parent_id)
    where = (
        f" or tag a prefix of group {values.group} (or a group above it) with {tag}" if values.group else ""
    )
    option = "lb" if role == "loadbalancer" else role
    raise InvalidInputError(f"no IPv{family} pool for the {role} network: give --{option}-pool CIDR{where}")


def _free_in(session: Session, space: Space, pool: IPNetwork) -> IPSet:
    """What nothing in the ledger takes inside ``pool``: every prefix inside it (not the pool
    itself, unless a cluster manages it), every range and every address there is taken, and all
    of it when a cluster's network or reserve lies around it (``cluster_space``)."""
    span = IPRange.from_network(pool)
    if find_claims_around(session, space.id, span):
        return IPSet.of(pool.version, [])
    taken = [
        IPRange.from_network(network_of(item))
        for item in queries.list_prefixes_within(session, space.id, span)
        if item.prefixlen > pool.prefixlen or cluster_of(item.managed_by) is not None
    ]
    taken += [span_of_range(item) for item in queries.list_ranges_overlapping(session, space.id, span)]
    taken += [
        IPRange(pool.version, item.value, item.value)
        for item in queries.list_addresses_within(session, space.id, span)
    ]
    return IPSet.of(pool.version, [span]).difference(IPSet.of(pool.version, taken))


def _claimed_pools(session: Session, space: Space, pools: Sequence[IPNetwork]) -> dict[IPNetwork, str]:
    """The pools that lie inside a cluster's network or reserve, with the claim in words."""
    claimed = {}
    for pool in pools:
        around = find_claims_around(session, space.id, IPRange.from_network(pool))
        if around:
            claimed[pool] = describe_claim(around[0])
    return claimed


def _place(
    requests: Sequence[BlockRequest], free: Mapping[IPNetwork, IPSet], claimed: Mapping[IPNetwork, str]
) -> tuple[Placement, ...]:
    try:
        return place_blocks(requests, free)
    except ExhaustedError as error:
        if not claimed:
            raise
        why = "; ".join(f"{pool} lies in {claim}" for pool, claim in claimed.items())
        raise ExhaustedError(f"{error} ({why}, which no other cluster may use)") from error


def _proposed_prefixes(
    values: ClusterFields, name: str, placements: Sequence[Placement]
) -> tuple[PrefixRecord, ...]:
    """The planned networks as records (not saved: capacity and checks read them like stored ones)."""
    records = []
    for placement in placements:
        records.append(planned_prefix(values.space, placement.network, placement.role, values.group, name))
        if placement.reserve is not None:
            records.append(
                planned_prefix(values.space, placement.reserve, "expansion-reserve", values.group, name)
            )
    return tuple(records)


def _with_pools(
    proposed: Sequence[PrefixRecord], placements: Sequence[Placement]
) -> list[tuple[PrefixRecord, IPNetwork]]:
    pool_of = {placement.network: placement.pool for placement in placements}
    pool_of.update(
        {placement.reserve: placement.pool for placement in placements if placement.reserve is not None}
    )
    return [(item, pool_of[item.network]) for item in proposed]


def _create_change(item: PrefixRecord, pool: IPNetwork) -> dict[str, Any]:
    reserve = item.role == "expansion-reserve"
    return {
        "action": "create",
        "kind": "prefix",
        "space": item.space,
        "prefix": str(item.network),
        "role": item.role,
        "status": "reserved" if reserve else "active",
        "group": item.group,
        "managed_by": item.managed_by,
        "description": item.description,
        "pool": str(pool),
    }


def _checks(
    name: str, placements: Sequence[Placement], capacity: Sequence[tuple[int, Capacity]]
) -> list[dict[str, Any]]:
    checks = [
        {
            "check": f"{item.role} network is free",
            "ok": True,
            "severity": "error",
            "detail": f"{item.network} lies in free space of pool {item.pool}"
            + ("" if item.reserve is None else f"; {item.reserve} after it stays free to double it"),
        }
        for item in placements
    ]
    networks = [ClusterNetwork(item.role, item.network) for item in placements]
    problems = check_networks(networks, cluster=name)
    checks += [finding_check(finding) for finding in problems]
    if not problems:
        checks.append(
            {
                "check": "networks apart",
                "ok": True,
                "severity": "error",
                "detail": "no two networks of the cluster overlap, and none touches loopback, "
                "link-local, multicast or Docker's default bridge",
            }
        )
    for family, worked in capacity:
        checks += [finding_check(finding) for finding in worked.findings]
        if worked.headroom_nodes is not None and worked.headroom_nodes >= 0:
            checks.append(
                {
                    "check": f"IPv{family} capacity",
                    "ok": True,
                    "severity": "error",
                    "detail": f"room for {worked.node_capacity} nodes; {worked.nodes_needed} needed "
                    f"(expected nodes x growth), headroom {worked.headroom_nodes}",
                }
            )
    return checks


def error_check(check: str, ok: bool, *, passed: str, failed: str) -> dict[str, Any]:
    """A check a plan must pass, with what it says either way."""
    return {"check": check, "ok": ok, "severity": "error", "detail": passed if ok else failed}


def finding_check(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.kind,
        "ok": finding.severity is not Severity.ERROR,
        "severity": finding.severity.value,
        "detail": f"{finding.subject}: {finding.message}",
    }


def capacity_json(capacity: Sequence[tuple[int, Capacity]]) -> dict[str, Any]:
    return {
        f"IPv{family}": {
            "figures": [asdict(figure) for figure in worked.figures],
            "nodes_needed": worked.nodes_needed,
            "node_capacity": worked.node_capacity,
            "headroom_nodes": worked.headroom_nodes,
        }
        for family, worked in capacity
    }
